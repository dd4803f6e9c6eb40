/**
 * The analysis job model. A job lives as objects under `<prefix>/jobs/<id>/` in the job store
 * (S3, or the local archive folder when there is no S3):
 *
 *   job.json                       manifest, written once at submission (JobManifest)
 *                                  (with `restore` when its inputs were asked back from a cold class)
 *   status.json                    job-level state written by the controller (JobStatusDoc)
 *   cancel                         present once a cancel was requested
 *   dismissed                      present once the user dismissed the failed or cancelled job from the app's list
 *   shards/<n>/status.json         shard state written by whoever runs it (ShardStatusDoc)
 *   shards/<n>/heartbeat.json      liveness, rewritten every few seconds while it runs (Heartbeat)
 *   shards/<n>/instance.json       the EC2 instance that runs this shard's current attempt (ShardLaunch)
 *   shards/<n>/log.txt             bootstrap + worker stderr, uploaded as it grows
 *   shards/<n>/results/...         a shard's outputs when the job has several shards
 *   results/...                    the job's outputs (the worker's layout) + checksums.sha256
 *
 * Every document carries `updatedAt` (epoch ms) so a reader on another workstation can tell fresh
 * from stale state.
 */
import type { RestoreTier } from './restore-plan.ts';

export const JOB_STATES = [
  'restoring',
  'queued',
  'provisioning',
  'booting',
  'downloading',
  'running',
  'uploading',
  'merging',
  'done',
  'failed',
  'cancelled',
] as const;
export type JobState = (typeof JOB_STATES)[number];

export type TerminalState = 'done' | 'failed' | 'cancelled';
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set<TerminalState>(['done', 'failed', 'cancelled']);
export function isTerminal(state: JobState): state is TerminalState {
  return TERMINAL_STATES.has(state);
}

/** Stable, machine-readable reasons a job or shard failed. */
export type FailureCode =
  | 'worker-crashed'
  /** The worker refused its input (exit code 3): not a TIFF, truncated, empty, missing. Not retried. */
  | 'input-error'
  | 'worker-hash-mismatch'
  /** A downloaded input's CRC32C differs from its session manifest's. Not retried. */
  | 'input-checksum-mismatch'
  | 'max-runtime'
  | 'download-failed'
  | 'upload-failed'
  | 'instance-lost'
  | 'launch-failed'
  | 'interrupted'
  | 'merge-failed'
  | 'no-input'
  /** The inputs' restore from cold storage was refused, or its copy expired before the launch. Not retried. */
  | 'restore-failed'
  | 'cancelled';

export interface WorkerParams {
  k: number;
  planes?: number;
  fs?: number;
  seed?: number;
  threads?: number;
}

export interface LocalPlacement {
  kind: 'local';
}

export interface Ec2Placement {
  kind: 'ec2';
  instanceType: string;
  spot: boolean;
  /** Instance profile name the instance runs with (least-privilege job role). */
  instanceProfile: string;
  imageId: string;
  subnetId?: string;
  /** Launch attempts per shard (the first included) before the shard fails. */
  maxAttempts: number;
}

export type Placement = LocalPlacement | Ec2Placement;

/** Where one shard's input lives: local files, or keys under the job store. */
export type ShardInput = { kind: 'local'; paths: string[] } | { kind: 'store'; keys: string[] };

export interface ShardSpec {
  index: number;
  /** What the user sees: the session, file or plane this shard analyses. */
  label: string;
  input: ShardInput;
  /** Extra worker flags for this shard (for example a plane selection). */
  args: string[];
}

/**
 * A restore from a cold class (GLACIER, DEEP_ARCHIVE) asked at submission, with the user's consent:
 * the job stays `restoring`, launching nothing, until every key reads as restored.
 */
export interface JobRestore {
  /** Store keys (relative to the store's prefix) S3 restores. */
  keys: string[];
  tier: RestoreTier;
  askedAt: number;
  /** Days the restored copies stay readable. */
  days: number;
  /** The tier's wait in words (jobs/restore-plan.ts), for display. */
  waiting: string;
}

export interface JobManifest {
  schema: 1;
  id: string;
  name: string;
  createdAt: number;
  owner: string;
  /** The sessions or prefixes the user asked to analyse (display and provenance). */
  sources: string[];
  params: WorkerParams;
  worker: { version: string; sha256: string; key?: string };
  placement: Placement;
  maxRuntimeSeconds: number;
  heartbeatSeconds: number;
  shards: ShardSpec[];
  /** Seconds without a heartbeat after which a shard whose runner cannot be found is lost. */
  staleAfterSeconds: number;
  restore?: JobRestore;
}

export interface WorkerProgress {
  step: string;
  done: number;
  total: number;
}

export interface ShardStatusDoc {
  state: JobState;
  attempt: number;
  progress?: WorkerProgress;
  failure?: { code: FailureCode; message: string };
  exitCode?: number;
  instanceId?: string;
  /** Local runner only: host and worker pid, so a restarted app can find (and end) an orphan. */
  host?: string;
  pid?: number;
  /** Local runner only: the process running the shard (an app, `scopecloud analyze`, the demo), so another process on the same host leaves it alone while it lives. */
  runnerPid?: number;
  updatedAt: number;
}

export interface Heartbeat {
  at: number;
  instanceId?: string;
  host?: string;
  pid?: number;
  attempt: number;
}

export interface ShardLaunch {
  attempt: number;
  instanceId: string;
  spot: boolean;
  launchedAt: number;
  /** Instances of earlier attempts, for the record. */
  previous: string[];
}

export interface JobStatusDoc {
  state: JobState;
  failure?: { code: FailureCode; message: string };
  updatedAt: number;
  finishedAt?: number;
}

/** What `jobs show` prints: the manifest plus every shard's latest state, derived by job-state.ts. */
export interface ShardView {
  index: number;
  label: string;
  state: JobState;
  attempt: number;
  progress?: WorkerProgress;
  percent: number | null;
  failure?: { code: FailureCode; message: string };
  instanceId?: string;
  heartbeatAgeSeconds: number | null;
}

export interface JobView {
  id: string;
  name: string;
  where: 'local' | 'ec2';
  state: JobState;
  /** The running shards' current worker step, when exactly one step is in progress. */
  step: string | null;
  percent: number | null;
  failure?: { code: FailureCode; message: string };
  createdAt: number;
  updatedAt: number;
  shards: ShardView[];
  sources: string[];
  /** Set by `list` for a failed or cancelled job the user dismissed: the app no longer lists it. */
  dismissed?: true;
  /** The restore from cold storage the job waits for (or waited for). */
  restore?: { tier: RestoreTier; waiting: string; askedAt: number; objects: number };
}
