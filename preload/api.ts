/**
 * The one contract between the renderer and the main process.
 *
 * Every call is `method(request) → Promise<response>`. JSON methods carry structured-cloneable
 * data; binary methods return raw bytes (result arrays, images) so large results never go
 * through JSON. Both transports — Electron IPC (preload bridge) and HTTP/WebSocket
 * (`scopecloud serve`) — carry exactly these messages and validate them with these schemas.
 *
 * Longer than 400 lines on purpose: the contract is read as a whole (a reviewer checks one file
 * to see everything the renderer may ask and receive), and each schema sits next to its type.
 */
import { PROJECTION_KINDS } from './anatomy-binary.ts';
import { array, bool, bytes, literal, none, nullable, num, object, oneOf, optional, str, union, type Infer, type Schema } from './schema.ts';

const id = str({ min: 1, max: 256 });
const money = num();
const epochMs = num({ min: 0 });
const path = str({ min: 1, max: 4096 });

// ---- settings and first run ----------------------------------------------------------------

export const AwsSettings = object({
  profile: str({ max: 128 }),
  region: str({ min: 1, max: 32 }),
  bucket: str({ min: 1, max: 63 }),
  prefix: str({ max: 512 }),
  /** S3-compatible endpoint override; '' for AWS. */
  endpoint: str({ max: 2048 }),
});
export type AwsSettings = Infer<typeof AwsSettings>;

/** The lab's spending rules (stored `budget`). */
export const BudgetPrefs = object({
  /** USD per month the launch guard holds to when the account has no AWS Budget; null = none. */
  monthlyLimitUsd: nullable(num({ min: 0, max: 10_000_000 })),
  /** Hours after which an instance the app launches stops itself. */
  maxRuntimeHours: num({ min: 0.1, max: 24 * 31 }),
});
export type BudgetPrefs = Infer<typeof BudgetPrefs>;

/** How acquisition folders are watched (stored `watch`, less the folder list and patterns). */
export const WatchPrefs = object({
  /** A file with this name closes its acquisition folder at once. */
  markerFile: str({ min: 1, max: 255 }),
  /** Size and modification time unchanged this long: the file is complete. */
  stableMs: num({ min: 100, max: 3_600_000, int: true }),
  /** Poll with stat instead of file-system events (network shares). */
  polling: bool,
  pollIntervalMs: num({ min: 100, max: 3_600_000, int: true }),
});
export type WatchPrefs = Infer<typeof WatchPrefs>;

export const Settings = object({
  mode: oneOf(['local', 'aws'] as const),
  archiveDir: str({ max: 4096 }),
  aws: nullable(AwsSettings),
  watchedFolders: array(path, { max: 64 }),
  bandwidthLimitBytesPerSec: nullable(num({ min: 0 })),
  firstRunComplete: bool,
  theme: oneOf(['system', 'light', 'dark'] as const),
  budget: BudgetPrefs,
  watch: WatchPrefs,
  /** Days a copy restored from cold storage stays readable (stored `restore.days`). */
  restoreDays: num({ min: 1, max: 30, int: true }),
});
export type Settings = Infer<typeof Settings>;

export const SettingsPatch = object({
  mode: optional(oneOf(['local', 'aws'] as const)),
  archiveDir: optional(str({ max: 4096 })),
  aws: optional(nullable(AwsSettings)),
  watchedFolders: optional(array(path, { max: 64 })),
  bandwidthLimitBytesPerSec: optional(nullable(num({ min: 0 }))),
  firstRunComplete: optional(bool),
  theme: optional(oneOf(['system', 'light', 'dark'] as const)),
  budget: optional(BudgetPrefs),
  watch: optional(WatchPrefs),
  restoreDays: optional(num({ min: 1, max: 30, int: true })),
});
export type SettingsPatch = Infer<typeof SettingsPatch>;

/**
 * The S3 destination's bucket lifecycle rule that makes S3 abort uploads left unfinished for 7
 * days (this app aborts only its own). `unsupported`: the store offers no lifecycle rules;
 * `local`: the destination is a local archive. `explanation` is what the user consents to.
 */
export const UploadLifecycle = object({
  state: oneOf(['absent', 'present', 'unsupported', 'local'] as const),
  /** s3://bucket/prefix/, or null for a local archive. */
  where: nullable(str({ max: 4096 })),
  days: nullable(num({ min: 0 })),
  rule: nullable(str({ max: 1024 })),
  explanation: array(str({ max: 1000 }), { max: 20 }),
});
export type UploadLifecycle = Infer<typeof UploadLifecycle>;

/**
 * Cold storage for raw acquisitions (upload/cold-storage-plan.ts): lifecycle rules that move raw
 * files over 16 MiB under each watched folder's prefix to `storageClass` after `days`, and the
 * saving per month for the class and days asked about. `state` as UploadLifecycle's, plus
 * `partial` (a watched folder without the rule). `explanation` is what the user consents to.
 */
export const ColdStorageClass = oneOf(['GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'] as const);
export const ColdStorageAsk = object({ days: num({ min: 0, max: 3650, int: true }), storageClass: ColdStorageClass });
export const ColdStorage = object({
  state: oneOf(['absent', 'present', 'partial', 'unsupported', 'local'] as const),
  rawPrefixes: array(str({ max: 4096 }), { max: 200 }),
  rules: array(object({ prefix: str({ max: 4096 }), days: nullable(num({ min: 0 })), storageClass: nullable(str({ max: 64 })), enabled: bool }), { max: 200 }),
  saving: nullable(
    object({
      storageClass: ColdStorageClass,
      days: num({ min: 0 }),
      eligibleBytes: num({ min: 0 }),
      eligibleFiles: num({ min: 0 }),
      perMonthUsd: nullable(num()),
      minStorageDays: num({ min: 0 }),
      retrievalPerGbUsd: num({ min: 0 }),
      needsRestore: bool,
    }),
  ),
  explanation: array(str({ max: 1000 }), { max: 20 }),
});
export type ColdStorage = Infer<typeof ColdStorage>;

export const AwsCheckRequest = object({ profile: str({ max: 128 }), region: str({ max: 32 }), bucket: str({ max: 63 }), endpoint: str({ max: 2048 }) });
export const FieldProblem = object({ field: str({ max: 64 }), message: str() });
export type FieldProblem = Infer<typeof FieldProblem>;
export const AwsCheckResult = object({
  ok: bool,
  /** Who the credentials belong to (STS caller ARN), when they work. */
  identity: nullable(str()),
  problems: array(FieldProblem),
});
export type AwsCheckResult = Infer<typeof AwsCheckResult>;

export const AwsProfiles = object({ profiles: array(str({ max: 128 })), defaultRegion: nullable(str({ max: 32 })) });
export type AwsProfiles = Infer<typeof AwsProfiles>;

export const LocalCheckResult = object({ ok: bool, problems: array(FieldProblem) });

// ---- acquisition -------------------------------------------------------------------------------

export const FileState = oneOf(['waiting', 'uploading', 'verifying', 'verified', 'failed'] as const);
export type FileState = Infer<typeof FileState>;

export const ErrorInfo = object({ code: str({ max: 128 }), message: str() });
export type ErrorInfo = Infer<typeof ErrorInfo>;

export const FileItem = object({
  id,
  path,
  session: str({ max: 4096 }),
  sizeBytes: num({ min: 0 }),
  sentBytes: num({ min: 0 }),
  state: FileState,
  error: nullable(ErrorInfo),
  updatedAt: epochMs,
});
export type FileItem = Infer<typeof FileItem>;

/**
 * `watching`; `missing`: not there (drive unmounted, folder renamed or deleted, share not
 * answering); `unreadable`: ScopeCloud may not read it (permission); `stopped`: the acquisition
 * is not watching it (restarting). Missing and unreadable folders are checked every few seconds
 * and watched again, with a catch-up of what was written meanwhile, as soon as they are back.
 */
export const FolderState = oneOf(['watching', 'missing', 'unreadable', 'stopped'] as const);
export type FolderState = Infer<typeof FolderState>;

export const WatchedFolder = object({
  path,
  state: FolderState,
  /** Why it is not watched, in plain words; null while watching. */
  reason: nullable(str()),
  /** When it entered this state; null when not known (stopped). */
  since: nullable(epochMs),
  sessions: num({ min: 0, int: true }),
  files: num({ min: 0, int: true }),
  /** The first problem met inside the folder (a file that could not be read), if any. */
  error: nullable(str()),
});
export type WatchedFolder = Infer<typeof WatchedFolder>;

export const Acquisition = object({
  /** Where verified files end up: `s3://bucket/prefix` or a local archive path. */
  target: str(),
  paused: bool,
  bandwidthLimitBytesPerSec: nullable(num({ min: 0 })),
  throughputBytesPerSec: num({ min: 0 }),
  etaSeconds: nullable(num({ min: 0 })),
  /** Set while the disk holding the upload queue is full: which folder, about how much it needs. */
  diskFull: nullable(str({ max: 2000 })),
  totals: object({
    files: num({ min: 0, int: true }),
    verified: num({ min: 0, int: true }),
    failed: num({ min: 0, int: true }),
    bytes: num({ min: 0 }),
    sentBytes: num({ min: 0 }),
  }),
  /** Throughput samples, oldest first, for the chart. */
  history: array(object({ t: epochMs, bytesPerSec: num({ min: 0 }) }), { max: 3600 }),
  folders: array(WatchedFolder),
  /** The most recently changed files (at most 500), newest first. */
  files: array(FileItem, { max: 500 }),
});
export type Acquisition = Infer<typeof Acquisition>;

export const SessionInfo = object({
  id,
  folder: path,
  files: num({ min: 0, int: true }),
  bytes: num({ min: 0 }),
  closed: bool,
  uploaded: bool,
  /** Files of the session verified at the destination, and failed ones (when known). */
  verified: optional(num({ min: 0, int: true })),
  failed: optional(num({ min: 0, int: true })),
});
export type SessionInfo = Infer<typeof SessionInfo>;

// ---- instances -----------------------------------------------------------------------------

export const InstanceState = oneOf(['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'] as const);
export type InstanceState = Infer<typeof InstanceState>;
export const InstanceAction = oneOf(['start', 'stop', 'reboot', 'terminate'] as const);
export type InstanceAction = Infer<typeof InstanceAction>;

/** A stopped instance's disk cost is flagged after this many days (tray, Instances view, daily summary). */
export const STOPPED_DISK_REMIND_DAYS = 3;

export const Instance = object({
  id,
  name: str({ max: 256 }),
  type: str({ max: 64 }),
  state: InstanceState,
  /** Epoch ms of the current run's start; null when not running. */
  launchTime: nullable(epochMs),
  owner: str({ max: 256 }),
  /** On-demand (or spot) price per hour; null when the price table has no entry. */
  hourlyPrice: nullable(num({ min: 0 })),
  /** Cost accrued up to `costAsOf`; the UI adds price × elapsed time while running. */
  accruedCost: money,
  costAsOf: epochMs,
  launchedByApp: bool,
  /** A Spot instance: its price and cost are the on-demand figures, an upper bound. */
  spot: optional(bool),
  /** GB of attached volumes and their monthly cost: billed while stopped too. */
  diskGb: num({ min: 0 }),
  diskMonthly: money,
  /** Epoch ms a stopped instance stopped (EC2's own time); null when not stopped or not said. */
  stoppedSince: nullable(epochMs),
});
export type Instance = Infer<typeof Instance>;

/**
 * The price table the figures use: shipped with the app or fetched from the AWS Pricing API, the
 * day its prices were taken (YYYY-MM-DD) and their age in whole days; `stale` once the age is
 * over `staleAfterDays`.
 */
export const PriceTableInfo = object({
  source: oneOf(['shipped', 'pricing-api'] as const),
  retrieved: str({ max: 10 }),
  ageDays: num({ min: 0, int: true }),
  staleAfterDays: num({ min: 1, int: true }),
  stale: bool,
});
export type PriceTableInfo = Infer<typeof PriceTableInfo>;

export const Instances = object({ currency: str({ max: 8 }), asOf: epochMs, instances: array(Instance, { max: 10_000 }), prices: optional(PriceTableInfo) });
export type Instances = Infer<typeof Instances>;

export const ActionExplanation = object({
  action: InstanceAction,
  /** One sentence: what will happen. */
  what: str(),
  /** What it does to billing, with numbers where known. */
  cost: str(),
  /** What data or state is lost; empty when nothing is. */
  lost: array(str()),
  /** 'none': runs at once; 'yes': needs an explicit yes; 'name': the user must type `confirmText`. */
  confirmation: oneOf(['none', 'yes', 'name'] as const),
  confirmText: nullable(str()),
});
export type ActionExplanation = Infer<typeof ActionExplanation>;

export const Preset = object({
  id,
  label: str(),
  type: str({ max: 64 }),
  vcpus: num({ min: 0, int: true }),
  memoryGiB: num({ min: 0 }),
  gpus: num({ min: 0, int: true }),
  diskGiB: num({ min: 0 }),
  hourlyPrice: num({ min: 0 }),
  spot: bool,
});
export type Preset = Infer<typeof Preset>;

export const Market = oneOf(['on-demand', 'spot'] as const);
export type Market = Infer<typeof Market>;

export const LaunchRequest = object({
  presetId: id,
  name: str({ min: 1, max: 128 }),
  plannedHours: num({ min: 0.1, max: 24 * 31 }),
  override: bool,
  /** Default on-demand. A one-time Spot instance can be interrupted and always terminates (it cannot stop). */
  market: optional(Market),
});
export type LaunchRequest = Infer<typeof LaunchRequest>;

export const LaunchCheck = object({
  allowed: bool,
  projectedCost: money,
  remaining: nullable(money),
  message: str(),
  /**
   * Why a launch would be refused (null when allowed): past the budget (an administrator may
   * override) or no spending limit known (set one in Settings; no override).
   */
  refusal: nullable(oneOf(['BUDGET_EXCEEDED', 'NO_SPEND_LIMIT'] as const)),
});
export type LaunchCheck = Infer<typeof LaunchCheck>;

// ---- budget -----------------------------------------------------------------------------------

export const Amount = object({ name: str(), amount: money });
export type Amount = Infer<typeof Amount>;

/** One budget-guard override, as the lab manager sees it. */
export const BudgetOverride = object({
  at: epochMs,
  action: oneOf(['launch', 'start'] as const),
  /** Preset name or instance id. */
  subject: str({ max: 256 }),
  /** The owner name the app acted as. */
  by: str({ max: 256 }),
  /** The AWS identity (STS ARN) that overrode; null for a record kept only on this machine. */
  identity: nullable(str({ max: 2048 })),
  /** The workstation's host name; null when unknown. */
  host: nullable(str({ max: 256 })),
  reason: str({ max: 10_000 }),
  projected: money,
  limit: nullable(money),
});
export type BudgetOverride = Infer<typeof BudgetOverride>;

export const Budget = object({
  currency: str({ max: 8 }),
  asOf: epochMs,
  monthToDate: money,
  forecast: money,
  limit: nullable(money),
  thresholds: array(object({ percent: num({ min: 0 }), crossed: bool })),
  guard: object({ state: oneOf(['ok', 'warning', 'blocked'] as const), remaining: nullable(money), message: str() }),
  byService: array(Amount),
  byOwner: array(Amount),
  /** Daily spend this month, `YYYY-MM-DD`. */
  daily: array(object({ date: str({ max: 10 }), amount: money }), { max: 31 }),
  /**
   * Cost Explorer bookkeeping: when its figures were fetched (null: never), the earliest time a
   * refresh really asks AWS again, and what one request costs.
   */
  costExplorer: optional(object({ fetchedAt: nullable(epochMs), nextRefreshAt: nullable(epochMs), requestCost: money })),
  /**
   * Budget overrides, newest first: from the shared log in the destination bucket (`shared`, every
   * workstation's, at `location`), or this machine's own; `error` when the log could not be read.
   */
  overrides: object({
    shared: bool,
    location: nullable(str({ max: 4096 })),
    error: nullable(str({ max: 10_000 })),
    list: array(BudgetOverride, { max: 500 }),
  }),
});
export type Budget = Infer<typeof Budget>;

/**
 * The storage bill: the bytes under the destination's prefix per S3 storage class (a paged
 * listing, cached for hours), priced per GB-month, and the rest of the month projected with what
 * the watched folders add. `kind` 'local': a local archive, on local disk with no S3 bill.
 */
export const StorageCost = object({
  currency: str({ max: 8 }),
  kind: oneOf(['s3', 'local'] as const),
  /** `s3://bucket/prefix/` or the archive folder; null before a first listing. */
  location: nullable(str({ max: 4096 })),
  listedAt: nullable(epochMs),
  /** When an ordinary read lists again; a refresh lists now. */
  nextListingAt: nullable(epochMs),
  fromCache: bool,
  /** Why the last listing failed (the figures, if any, are the last good listing's): unknown, not zero. */
  error: nullable(str({ max: 10_000 })),
  classes: array(
    object({
      storageClass: str({ max: 64 }),
      bytes: num({ min: 0 }),
      objects: num({ min: 0, int: true }),
      perGbMonth: nullable(money),
      monthly: nullable(money),
    }),
    { max: 64 },
  ),
  totalBytes: num({ min: 0 }),
  /** USD per month at the current size (priced classes). */
  monthly: money,
  unpriced: array(str({ max: 64 }), { max: 64 }),
  projection: nullable(
    object({
      restOfMonth: money,
      restOfMonthStored: money,
      restOfMonthAdded: money,
      monthlyAtMonthEnd: money,
      bytesPerDay: num({ min: 0 }),
      addedBytes: num({ min: 0 }),
      rateWindowDays: num({ min: 1 }),
      /** The projection's formula with this month's numbers, for a tooltip. */
      formula: str({ max: 4000 }),
    }),
  ),
  /** Which price table: "shipped table of <date>" or "AWS Pricing API, fetched <date>". */
  prices: str({ max: 256 }),
  /**
   * Per person, from the same listing: the bytes each owner's sessions and jobs hold, `unattributed`
   * for the rest; `monthly` null for a local archive. Null when the listing predates the split.
   */
  byOwner: nullable(
    array(
      object({
        owner: str({ min: 1, max: 256 }),
        bytes: num({ min: 0 }),
        objects: num({ min: 0, int: true }),
        monthly: nullable(money),
        unpriced: array(str({ max: 64 }), { max: 64 }),
      }),
      { max: 1000 },
    ),
  ),
  /** How storage was attributed to people (for the UI to say), and why some could not be. */
  attribution: object({ text: str({ max: 2000 }), error: nullable(str({ max: 10_000 })) }),
  /**
   * Sessions (folders relative to the prefix) whose manifests name no one and that nobody assigned
   * to a person yet, largest first: what `assignSessions` can attribute.
   */
  unattributedSessions: array(object({ session: str({ min: 1, max: 1024 }), bytes: num({ min: 0 }), objects: num({ min: 0, int: true }) }), {
    max: 1000,
  }),
});
export type StorageCost = Infer<typeof StorageCost>;

/** Assigns sessions whose manifests name no one to a person (main/cost/session-assignments.ts). */
export const AssignSessionsRequest = object({
  /** 'session': `key` is one session folder; 'prefix': every unattributed session at or below the folder `key`. */
  scope: oneOf(['session', 'prefix'] as const),
  key: str({ min: 1, max: 1024 }),
  owner: str({ min: 1, max: 64 }),
});

/** What the Budget view's set-up panel asks for (main/budget/budget-setup-plan.ts `BudgetSetupRequest`). */
export const BudgetSetupRequest = object({
  lab: str({ min: 1, max: 40 }),
  monthlyUsd: num({ min: 0.01, max: 1_000_000 }),
  emails: array(str({ min: 3, max: 254 }), { max: 10 }),
  perPerson: nullable(object({ owners: array(str({ min: 1, max: 64 }), { max: 100 }), monthlyUsd: num({ min: 0.01, max: 1_000_000 }) })),
  action: nullable(
    object({
      mode: oneOf(['automatic', 'approval'] as const),
      users: array(str({ min: 1, max: 64 }), { max: 50 }),
      roles: array(str({ min: 1, max: 64 }), { max: 10 }),
    }),
  ),
});
export type BudgetSetupRequest = Infer<typeof BudgetSetupRequest>;

/** The set-up's parts: what exists (`present`), what is `missing` or `changed`, what each costs a month. */
export const BudgetSetupPlan = object({
  lab: str({ max: 40 }),
  parts: array(
    object({
      key: str({ max: 300 }),
      kind: oneOf(['budget', 'alert', 'owner-tag', 'deny-policy', 'action-role', 'budget-action'] as const),
      label: str({ max: 300 }),
      state: oneOf(['present', 'missing', 'changed'] as const),
      explanation: str({ max: 2000 }),
      monthlyCostUsd: money,
    }),
    { max: 1000 },
  ),
  /** Budgets' own charge for the whole set-up, per month. */
  monthlyCostUsd: money,
  notes: array(str({ max: 2000 }), { max: 20 }),
});
export type BudgetSetupPlan = Infer<typeof BudgetSetupPlan>;

// ---- analyses and results ------------------------------------------------------------------

export const AnalysisStatus = oneOf(['queued', 'running', 'done', 'failed', 'cancelled'] as const);
export type AnalysisStatus = Infer<typeof AnalysisStatus>;

/** Where an unfinished analysis is (the job's state): EC2 ones pass through all of these (`restoring` only when their inputs are in a cold storage class). */
export const AnalysisStage = oneOf(['restoring', 'queued', 'provisioning', 'booting', 'downloading', 'running', 'uploading', 'merging'] as const);
export type AnalysisStage = Infer<typeof AnalysisStage>;

/** S3's retrieval tiers for a restore from GLACIER / DEEP_ARCHIVE (main/jobs/restore-plan.ts). */
export const RestoreTierName = oneOf(['Expedited', 'Standard', 'Bulk'] as const);
export type RestoreTierName = Infer<typeof RestoreTierName>;

/** What launching an EC2 analysis needs restored from cold storage first; `objects` 0: nothing. */
export const AnalysisRestoreOffer = object({
  objects: num({ min: 0, int: true }),
  bytes: num({ min: 0 }),
  /** Restores already underway (asked earlier): waited for, not billed again. */
  ongoing: num({ min: 0, int: true }),
  tiers: array(object({ tier: RestoreTierName, usd: money, hours: num({ min: 0 }), waiting: str({ max: 200 }) }), { max: 3 }),
  /** The restored copies kept as STANDARD for `days`; null when the price is not known. */
  restoredCopyUsd: nullable(money),
  days: num({ min: 1, int: true }),
});
export type AnalysisRestoreOffer = Infer<typeof AnalysisRestoreOffer>;

/** Archived results (files in GLACIER / DEEP_ARCHIVE): what restoring them costs per tier, and the restore this app waits for. */
export const ResultsRestore = object({
  /** `objects` 0: nothing left to ask (readable, or every restore underway). */
  offer: AnalysisRestoreOffer,
  /** The restore asked here and not yet readable (the app notifies when it is); null: none. */
  pending: nullable(object({ tier: RestoreTierName, waiting: str({ max: 200 }), since: epochMs, days: num({ min: 1, max: 30, int: true }) })),
});
export type ResultsRestore = Infer<typeof ResultsRestore>;

export const Analysis = object({
  id,
  name: str(),
  source: str(),
  where: oneOf(['local', 'ec2'] as const),
  status: AnalysisStatus,
  steps: array(object({ name: str({ max: 64 }), done: num({ min: 0 }), total: num({ min: 0 }) })),
  startedAt: epochMs,
  finishedAt: nullable(epochMs),
  error: nullable(str()),
  /** null once it ended. */
  stage: nullable(AnalysisStage),
  /** Inputs asked back from a cold storage class before the launch: the tier, its wait, since when. */
  restore: optional(object({ tier: RestoreTierName, waiting: str({ max: 200 }), since: epochMs, objects: num({ min: 0, int: true }) })),
  /** The last `scopecloud demo` run's analysis, kept apart from the destination's. */
  demo: bool,
});
export type Analysis = Infer<typeof Analysis>;

/** A finished analysis in the Results list. */
export const ResultEntry = object({
  id,
  name: str(),
  /** The recording: the session, folder or file analysed. */
  source: str(),
  finishedAt: epochMs,
  /** ROIs taken for cells; null when the results do not say. */
  cells: nullable(num({ min: 0, int: true })),
  /** `cells` counts the curated labels (the results have curation records), not the worker's. */
  curated: bool,
  demo: bool,
});
export type ResultEntry = Infer<typeof ResultEntry>;

export const AnalysisSource = union('kind', {
  local: object({ kind: literal('local'), path }),
  session: object({ kind: literal('session'), sessionId: id }),
});
export type AnalysisSource = Infer<typeof AnalysisSource>;

export const LaunchAnalysisRequest = object({
  source: AnalysisSource,
  name: optional(str({ max: 128 })),
  where: oneOf(['local', 'ec2'] as const),
  /** EC2 only: the launch preset (listPresets) to run on; default the small analysis machine. */
  presetId: optional(id),
  params: object({
    planes: optional(num({ min: 1, max: 1000, int: true })),
    fs: optional(num({ min: 0.01, max: 10_000 })),
    k: optional(num({ min: 1, max: 64, int: true })),
  }),
  /**
   * EC2 only: the user agreed to create the least-privilege instance profile (scopecloud-analysis)
   * if it does not exist. Without it a missing profile fails with code CONSENT_REQUIRED.
   */
  consentToCreateProfile: optional(bool),
  /** EC2 only: launch even though the budget guard refuses it (recorded with the user's name). */
  overrideBudget: optional(bool),
  /**
   * EC2 only, inputs in a cold class: the restore tier the user chose and agreed to pay for. Without
   * it such a launch fails with CONSENT_REQUIRED, field `restoreTier` (planAnalysisRestore says why).
   */
  restoreTier: optional(RestoreTierName),
});
export type LaunchAnalysisRequest = Infer<typeof LaunchAnalysisRequest>;

export const ResultImage = object({ name: str({ min: 1, max: 128 }), label: str(), mime: oneOf(['image/png', 'image/gif'] as const) });
export type ResultImage = Infer<typeof ResultImage>;

export const ResultSummary = object({
  id,
  roiCount: num({ min: 0, int: true }),
  planes: num({ min: 1, int: true }),
  /** Distance between planes in pixel units; the viewer places an ROI at z = plane × spacing. */
  planeSpacing: num({ min: 0 }),
  /** `metadata`: the recording's z step over its pixel width; `assumed`: it states not both. */
  planeSpacingSource: oneOf(['metadata', 'assumed'] as const),
  /** The z step the recording's metadata states (unit µm for known lengths); null when none. */
  zStep: nullable(object({ value: num({ min: 0 }), unit: str({ min: 1, max: 32 }) })),
  /** The input files state different voxel sizes (which files state what): the spacing is assumed. Absent or null: they agree. */
  voxelDisagreement: optional(nullable(str({ max: 2000 }))),
  width: num({ min: 0 }),
  height: num({ min: 0 }),
  traceLength: num({ min: 0, int: true }),
  fs: num({ min: 0 }),
  clusters: num({ min: 0, int: true }),
  images: array(ResultImage),
});
export type ResultSummary = Infer<typeof ResultSummary>;

// ---- status and events -----------------------------------------------------------------------

export const Status = object({
  version: str(),
  mode: oneOf(['local', 'aws'] as const),
  target: str(),
  currency: str({ max: 8 }),
  /** `unwatchedFolders`: watched folders that are missing or unreadable right now. */
  uploads: object({ active: num({ min: 0 }), queued: num({ min: 0 }), failed: num({ min: 0 }), paused: bool, unwatchedFolders: num({ min: 0, int: true }) }),
  instances: object({ running: num({ min: 0 }), hourlyBurn: money }),
  budget: object({ monthToDate: money, limit: nullable(money), state: oneOf(['ok', 'warning', 'blocked'] as const) }),
  /** `restoring`: analyses waiting for S3 to restore their inputs (no compute billed), not in `running`. */
  analyses: object({ running: num({ min: 0 }), restoring: num({ min: 0, int: true }) }),
});
export type Status = Infer<typeof Status>;

/** `results`: the Results list may differ (an analysis finished, left or joined the list, or the destination changed). */
export const Topic = oneOf(['status', 'settings', 'acquisition', 'instances', 'budget', 'analyses', 'results'] as const);
export type Topic = Infer<typeof Topic>;

/** An analysis' curation after a change: records kept, ROIs now cells, ROIs whose label differs from the worker's. */
export const CurationState = object({
  records: num({ min: 0, int: true }),
  cells: num({ min: 0, int: true }),
  changed: num({ min: 0, int: true }),
});
export type CurationState = Infer<typeof CurationState>;

export const AppEvent = union('type', {
  /** Something under `topic` changed; the renderer re-reads it (coalesced). */
  changed: object({ type: literal('changed'), topic: Topic }),
  notification: object({
    type: literal('notification'),
    level: oneOf(['info', 'warning', 'error'] as const),
    title: str(),
    body: str(),
  }),
});
export type AppEvent = Infer<typeof AppEvent>;

// ---- the method table ----------------------------------------------------------------------

const ok = object({ ok: literal(true) });
const byId = object({ id });

export const jsonMethods = {
  getStatus: { req: none, res: Status },
  getSettings: { req: none, res: Settings },
  saveSettings: { req: SettingsPatch, res: Settings },
  listAwsProfiles: { req: none, res: AwsProfiles },
  checkAwsSettings: { req: AwsCheckRequest, res: AwsCheckResult },
  checkLocalArchive: { req: object({ archiveDir: str({ max: 4096 }) }), res: LocalCheckResult },
  getUploadLifecycle: { req: none, res: UploadLifecycle },
  /** Adds the lifecycle rule (the bucket's other rules kept); only with the user's consent to `explanation`. */
  addUploadLifecycleRule: { req: object({ consent: literal(true) }), res: UploadLifecycle },
  /** The cold-storage rules now, with the saving for the class and days asked about. */
  getColdStorage: { req: ColdStorageAsk, res: ColdStorage },
  /** Adds (or changes) the cold-storage rules, the bucket's other rules kept; only with consent to `explanation`. */
  applyColdStorage: { req: object({ days: num({ min: 0, max: 3650, int: true }), storageClass: ColdStorageClass, consent: literal(true) }), res: ColdStorage },
  /** Removes only ScopeCloud's cold-storage rules; files already moved stay where they are. */
  removeColdStorage: { req: object({ days: num({ min: 0, max: 3650, int: true }), storageClass: ColdStorageClass, consent: literal(true) }), res: ColdStorage },

  getAcquisition: { req: none, res: Acquisition },
  addWatchedFolder: { req: object({ path }), res: ok },
  removeWatchedFolder: { req: object({ path }), res: ok },
  pauseUploads: { req: none, res: ok },
  resumeUploads: { req: none, res: ok },
  setBandwidthLimit: { req: object({ bytesPerSec: nullable(num({ min: 0 })) }), res: ok },
  retryFile: { req: byId, res: ok },
  listSessions: { req: none, res: object({ sessions: array(SessionInfo) }) },

  listInstances: { req: object({ all: bool }), res: Instances },
  explainAction: { req: object({ id, action: InstanceAction }), res: ActionExplanation },
  instanceAction: { req: object({ id, action: InstanceAction, confirmText: optional(str()) }), res: object({ id, state: InstanceState }) },
  listPresets: { req: none, res: object({ presets: array(Preset) }) },
  checkLaunch: { req: object({ presetId: id, plannedHours: num({ min: 0.1, max: 24 * 31 }) }), res: LaunchCheck },
  launchInstance: { req: LaunchRequest, res: object({ id }) },

  getBudget: { req: none, res: Budget },
  /** Asks Cost Explorer again unless its minimum interval has not passed (then the cached figures). */
  refreshBudget: { req: none, res: Budget },
  /** Owner names on the region's instances (the owner tag), to offer per-person budgets for. */
  getBudgetSetupOwners: { req: none, res: object({ owners: array(str({ max: 64 }), { max: 1000 }) }) },
  /** What exists of the lab's AWS Budgets set-up, what is missing and what it costs; creates nothing. */
  planBudgetSetup: { req: BudgetSetupRequest, res: BudgetSetupPlan },
  /** Creates what the plan lists as missing or changed; only with the user's consent to that plan. */
  applyBudgetSetup: {
    req: object({ request: BudgetSetupRequest, consent: literal(true) }),
    res: object({ done: array(str({ max: 2000 }), { max: 1000 }), notes: array(str({ max: 2000 }), { max: 20 }), plan: BudgetSetupPlan }),
  },
  /** Deletes what ScopeCloud created for the lab (lifting a block its action applied); only with consent. */
  removeBudgetSetup: {
    req: object({ lab: str({ min: 1, max: 40 }), consent: literal(true) }),
    res: object({ removed: array(str({ max: 2000 }), { max: 1000 }) }),
  },
  /**
   * Asks the AWS Pricing API for this region's prices; never fails for a refusal: `ok` false and
   * `message` say why the current table was kept. `prices` is the table in use afterwards.
   */
  refreshPrices: { req: none, res: object({ ok: bool, message: str(), prices: PriceTableInfo }) },
  /** The storage bill from the cached listing (listed when older than its age limit). */
  getStorageCost: { req: none, res: StorageCost },
  /** Lists the destination again now, then answers as getStorageCost. */
  refreshStorageCost: { req: none, res: StorageCost },
  /** Records who recorded sessions older than manifests' recordedBy (in the destination, for every instance), then answers as getStorageCost. */
  assignSessions: { req: AssignSessionsRequest, res: object({ assigned: array(str({ max: 1024 }), { max: 1000 }), storage: StorageCost }) },

  listAnalyses: { req: none, res: object({ analyses: array(Analysis) }) },
  launchAnalysis: { req: LaunchAnalysisRequest, res: object({ id }) },
  /** The restore from cold storage an EC2 launch of this request needs (objects, bytes, each tier's cost and wait); HEADs only. */
  planAnalysisRestore: { req: LaunchAnalysisRequest, res: AnalysisRestoreOffer },
  /** Whether an analysis's results are in cold storage: each tier's cost and wait, or the restore underway; HEADs only. */
  planResultsRestore: { req: object({ id }), res: ResultsRestore },
  /** Asks S3 to restore the results' cold files with the tier chosen; CONSENT_REQUIRED without `consent`. */
  restoreResults: { req: object({ id, tier: RestoreTierName, consent: bool }), res: ResultsRestore },
  cancelAnalysis: { req: byId, res: ok },
  /** Removes a failed or cancelled analysis from the list. */
  dismissAnalysis: { req: byId, res: ok },
  getAnalysisLog: { req: byId, res: object({ lines: array(str({ max: 100_000 }), { max: 10_000 }) }) },
  /** Finished analyses, newest first, with their cell counts. */
  listResults: { req: none, res: object({ results: array(ResultEntry) }) },
  getResultSummary: { req: byId, res: ResultSummary },
  /**
   * Labels ROIs cell or not cell: records appended to the analysis' curation.json beside its results
   * (who = the owner); getRoiArrays' iscell follows. An empty list or an unknown ROI is refused.
   */
  curateRois: { req: object({ id, rois: array(num({ min: 0, int: true }), { max: 1_000_000 }), iscell: bool }), res: CurationState },
  /** Undoes the owner's last curateRois on the analysis (a record restoring the labels; the history stays). */
  undoCuration: { req: byId, res: CurationState },
} as const satisfies Record<string, { req: Schema<unknown>; res: Schema<unknown> }>;

/** Methods answered with raw bytes; see roi-binary.ts for the ROI layout. */
export const binaryMethods = {
  /** Encoded RoiArrays (roi-binary.ts). */
  getRoiArrays: { req: byId, res: bytes },
  /** dF/F of one ROI as little-endian float32. */
  getTrace: { req: object({ id, roi: num({ min: 0, int: true }) }), res: bytes },
  /** PNG or GIF bytes of a result image named in ResultSummary.images. */
  getResultImage: { req: object({ id, name: str({ min: 1, max: 128 }) }), res: bytes },
  /** Binned, quantised dF/F of every ROI (activity-binary.ts), for the raster and the time slider. */
  getActivity: { req: object({ id, bins: num({ min: 1, max: 1024, int: true }) }), res: bytes },
  /** One plane's mean/max/std projection and its ROI footprints (anatomy-binary.ts). */
  getPlaneAnatomy: { req: object({ id, plane: num({ min: 0, max: 100_000, int: true }), kind: oneOf(PROJECTION_KINDS) }), res: bytes },
  /** One ROI's F, Fneu, dF/F, spikes, score, worker and curated labels and features (roi-detail-binary.ts). */
  getRoiDetail: { req: object({ id, roi: num({ min: 0, int: true }) }), res: bytes },
} as const satisfies Record<string, { req: Schema<unknown>; res: Schema<Uint8Array> }>;

export const methods = { ...jsonMethods, ...binaryMethods };
export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type JsonMethodName = keyof typeof jsonMethods;
export type BinaryMethodName = keyof typeof binaryMethods;
export type Req<M extends MethodName> = Infer<Methods[M]['req']>;
export type Res<M extends MethodName> = Infer<Methods[M]['res']>;

export const methodNames = Object.keys(methods) as MethodName[];
export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name);
}
export function isBinaryMethod(name: MethodName): name is BinaryMethodName {
  return Object.hasOwn(binaryMethods, name);
}

/** What the renderer sees, over either transport. */
export type ScopeCloudApi = { [M in MethodName]: (req: Req<M>) => Promise<Res<M>> } & {
  /** Returns an unsubscribe function. */
  subscribe(listener: (event: AppEvent) => void): () => void;
};

/** IPC channel names (Electron transport). */
export const ipcChannel = (method: MethodName): string => `scopecloud:${method}`;
export const ipcEventChannel = 'scopecloud:event';

/** The global name the preload bridge exposes the API under. */
export const bridgeGlobal = 'scopecloud';
