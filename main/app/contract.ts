/**
 * What the app's UI needs from the main-process services, in the contract's terms.
 * The service container (main/services.ts) provides one implementation; tests use
 * test/support/in-memory-services.ts. Errors thrown here should carry a string `code`
 * (and `field` for settings) — they reach the user as the message, so make it one plain line.
 */
import type { AppEvent, JsonMethodName, Req, Res } from '../../preload/api.ts';
import type { RoiArrays } from '../../preload/roi-binary.ts';
import type { ActivityMatrix } from '../../preload/activity-binary.ts';
import type { PlaneAnatomy } from '../../preload/anatomy-binary.ts';
import type { RoiDetail } from '../../preload/roi-detail-binary.ts';
import type { BranchCode } from '../../preload/errors.ts';
import type { AppErrorCode } from './app-errors.ts';
import type { BudgetErrorCode } from '../budget/errors.ts';

export type JsonServices = { [M in JsonMethodName]: (req: Req<M>) => Promise<Res<M>> };

export interface AppServices extends JsonServices {
  getRoiArrays(req: Req<'getRoiArrays'>): Promise<RoiArrays>;
  /** dF/F of one ROI. */
  getTrace(req: Req<'getTrace'>): Promise<Float32Array>;
  getResultImage(req: Req<'getResultImage'>): Promise<Uint8Array>;
  /** Binned dF/F of every ROI, in ROI order. */
  getActivity(req: Req<'getActivity'>): Promise<ActivityMatrix>;
  /** One plane's projection image and ROI footprint labels. */
  getPlaneAnatomy(req: Req<'getPlaneAnatomy'>): Promise<PlaneAnatomy>;
  /** One ROI's traces, labels and features, for curation. */
  getRoiDetail(req: Req<'getRoiDetail'>): Promise<RoiDetail>;
  /** Push events to the UI; returns an unsubscribe function. */
  subscribe(listener: (event: AppEvent) => void): () => void;
}

/** Every code the renderer branches on is one the services raise (a compile error otherwise). */
type Raised = AppErrorCode | BudgetErrorCode;
export const BRANCH_CODES_RAISED: [BranchCode] extends [Raised] ? true : never = true;
