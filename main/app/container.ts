/**
 * What the application layer offers every adapter: the use cases for the current settings, built
 * once per process by the composition root (main/services.ts). The CLI's commands, `serve` and
 * the Electron app call these; none of them wires services itself.
 */
import type { StatePaths } from '../config/paths.ts';
import type { SettingsStore } from '../config/store.ts';
import type { Settings } from '../config/schema.ts';
import type { AwsClients } from '../aws/clients.ts';
import type { ComputeServices } from '../instances/compute-services.ts';
import type { Acquisition, AcquisitionStart } from '../acquisition/acquisition-service.ts';
import type { QueueStatus } from '../acquisition/queue-status.ts';
import type { SubmitRequest } from '../jobs/job-service-contract.ts';
import type { AwsBackground, AwsContext } from './aws-context.ts';
import type { JobsContext, JobsContexts } from './jobs-context.ts';
import type { AnalysisPlanRequest } from './analysis-plan.ts';
import type { UploadLifecycle } from '../upload/lifecycle-rule.ts';
import type { StorageCostService } from './storage-cost.ts';

export interface ServiceContainer {
  readonly paths: StatePaths;
  readonly settings: SettingsStore;
  readonly env: NodeJS.ProcessEnv;
  /** Who acts: tags, job records and budget overrides (common/owner.ts). */
  readonly owner: string;
  /** AWS clients for the current settings, whatever the destination. */
  aws(): AwsClients;
  /** The AWS context of an S3 destination; null in local-archive mode (the app's view). */
  awsContext(settings?: Settings): AwsContext | null;
  /** Instances, cost, budget and guardrails for the current settings, whatever the destination. */
  compute(): ComputeServices;
  /** The destination's job store and job service, plus the last demo run's (jobs.listed). */
  readonly jobs: JobsContexts;
  /** The destination's jobs for the current settings. */
  destinationJobs(settings?: Settings): JobsContext;
  /** The upload queue at a glance: live from a running watch/serve, else from the journal. */
  queueStatus(): Promise<QueueStatus>;
  /** The destination's storage bill (cached listing under the prefix, priced, projected). */
  storageCost(): StorageCostService;
  /**
   * The S3 destination's lifecycle rule that makes S3 abort uploads left unfinished for 7 days
   * (upload/lifecycle-rule.ts): read it, or add it with consent. Null in local-archive mode.
   */
  uploadLifecycle(settings?: Settings): UploadLifecycle | null;
  /** Starts watching (or only uploading) into the destination of `settings` (default: current). */
  startAcquisition(o: AcquisitionStart): Promise<Acquisition>;
  /** The job to submit for an analysis (placement, profile consent, budget check). */
  planAnalysis(r: AnalysisPlanRequest, settings?: Settings): Promise<SubmitRequest>;
  /** Runs guardrails and instance polling from now on (a long-running host: the app, `serve`). */
  runInBackground(background: AwsBackground): void;
  dispose(): Promise<void>;
}
