/**
 * The settings schema: one plain object, persisted as JSON by `conf` (plain Node) or
 * `electron-store` (the app), validated by `validateSettings` before it is used or saved.
 *
 * Credentials are deliberately absent: they come only from the standard AWS chain
 * (environment, ~/.aws profiles, SSO, instance roles).
 */
import { DEFAULT_EXCLUDE, DEFAULT_INCLUDE } from '../watch/patterns.ts';

export interface LocalTarget {
  kind: 'local';
  /** Archive folder (local disk or a mounted NAS path). */
  path: string;
}

export interface S3Target {
  kind: 's3';
  bucket: string;
  /** Key prefix without leading slash; '' for the bucket root. */
  prefix: string;
  region: string;
  /** Named profile from ~/.aws; empty means the default chain. */
  profile: string;
  /** Optional endpoint override (any S3-compatible store). AWS_ENDPOINT_URL(_S3) also apply. */
  endpoint: string;
}

export type Target = LocalTarget | S3Target;

export interface WatchSettings {
  folders: string[];
  include: string[];
  exclude: string[];
  /** Size and mtime unchanged for this long => the file is complete. */
  stableMs: number;
  /** A file with this name closes its acquisition folder at once. */
  markerFile: string;
  /** Stat-based polling instead of fs events (network shares). */
  polling: boolean;
  pollIntervalMs: number;
  /** Full rescan that catches what events missed. */
  reconcileIntervalMs: number;
}

export interface UploadSettings {
  /** Files uploaded at once. */
  concurrency: number;
  /** Parts in flight per file. */
  partConcurrency: number;
  /** Bytes per second across all uploads; 0 = unlimited. */
  bandwidthLimit: number;
  /** Opt-in: delete local files this many days after verified upload; null = never (default). */
  freeSpaceAfterDays: number | null;
}

export interface BudgetSettings {
  /** Monthly limit in USD used by the budget guard when no AWS Budget exists; null = none. */
  monthlyLimitUsd: number | null;
  /** Hours after which a launched instance stops itself. */
  maxRuntimeHours: number;
}

/** Restores from cold storage (GLACIER, DEEP_ARCHIVE) the user asks for. */
export interface RestoreSettings {
  /** Days a restored copy stays readable (S3 bills it as STANDARD meanwhile), 1 to 30. */
  days: number;
}

export const RESTORE_DAYS_RANGE = { min: 1, max: 30 } as const;

export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

/** What only the app's UI uses. */
export interface UiSettings {
  /** The first-run screen was completed (a destination chosen); until then the app shows it. */
  firstRunComplete: boolean;
  theme: Theme;
}

export interface Settings {
  schema: 1;
  target: Target;
  watch: WatchSettings;
  upload: UploadSettings;
  budget: BudgetSettings;
  restore: RestoreSettings;
  ui: UiSettings;
}

export function defaultSettings(archiveDir: string): Settings {
  return {
    schema: 1,
    target: { kind: 'local', path: archiveDir },
    watch: {
      folders: [],
      include: [...DEFAULT_INCLUDE],
      exclude: [...DEFAULT_EXCLUDE],
      stableMs: 3000,
      markerFile: 'acquisition.done',
      polling: false,
      pollIntervalMs: 2000,
      reconcileIntervalMs: 60_000,
    },
    // 32 files: on a lossy WAN link each TCP connection settles near the Mathis bound (about 5 Mb/s at
    // 0.5% loss and 40 ms), so filling 100 Mb/s takes 20+ requests at once (bench:upload, #19)
    upload: { concurrency: 32, partConcurrency: 2, bandwidthLimit: 0, freeSpaceAfterDays: null },
    budget: { monthlyLimitUsd: null, maxRuntimeHours: 8 },
    // long enough for an analysis and a re-run of it
    restore: { days: 3 },
    ui: { firstRunComplete: false, theme: 'system' },
  };
}
