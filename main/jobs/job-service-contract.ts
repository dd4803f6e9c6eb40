/**
 * What the job service offers (submit, follow, cancel, recover, logs) and what it is built from.
 * The implementation is job-service.ts.
 */
import type { JobManifest, JobView, Placement, ShardSpec, WorkerParams } from './job-types.ts';
import type { ObjectStore } from './object-store.ts';
import type { SpawnWorker } from './local-runner.ts';
import type { Ec2JobRunner } from './ec2-runner.ts';
import type { WorkerBinary } from './worker-binary.ts';
import type { Timeouts } from '../common/time.ts';
import type { ColdInputs } from './job-restore.ts';
import type { RestoreTier } from './restore-plan.ts';

export interface JobServiceDeps {
  store: ObjectStore;
  /** Scratch space for local shards and merges (`<state>/jobs`). */
  workDir: string;
  worker: () => Promise<WorkerBinary>;
  owner: string;
  now?: () => number;
  /** Waits between reads of a followed job (default: system timers). */
  timers?: Timeouts;
  hostname?: string;
  /** This process's pid (default: process.pid): the runner recorded on the shards it runs. */
  processId?: number;
  spawnWorker?: SpawnWorker;
  /** Present when EC2 is configured (S3 target); absent means only local jobs. */
  ec2?: Ec2JobRunner;
  /** Is this pid alive on this host (default: process.kill(pid, 0)). */
  pidAlive?: (pid: number) => boolean;
  /** Ends an orphaned local worker left by a killed app (default: SIGKILL after checking it is ours). */
  killOrphan?: (pid: number, workerPath: string) => void;
  /** Poll period of `follow` for EC2 jobs. */
  pollMs?: number;
  /** S3 access for EC2 jobs whose inputs are in a cold class (S3 target); absent: no restore is checked. */
  coldInputs?: ColdInputs;
  /** Least time between two HeadObject rounds of a `restoring` job (default 60 s). */
  restorePollMs?: number;
}

export interface SubmitRequest {
  name?: string;
  sources: string[];
  shards: Array<Omit<ShardSpec, 'index'>>;
  params: WorkerParams;
  placement: Placement;
  maxRuntimeSeconds: number;
  heartbeatSeconds?: number;
  staleAfterSeconds?: number;
  /**
   * EC2 only: the retrieval tier and the user's consent to restore inputs in a cold class. Without
   * consent, submitting a job whose inputs need a restore is refused (CONSENT_REQUIRED); with it the
   * restore is asked and the job waits as `restoring`, launching nothing until the inputs are back.
   * `days`: how long the restored copies stay readable (default RESTORE_DAYS).
   */
  restore?: { tier: RestoreTier; consent: boolean; days?: number };
}

export interface FollowOptions {
  signal?: AbortSignal;
  onUpdate?: (view: JobView) => void;
}

export interface JobService {
  submit(request: SubmitRequest): Promise<JobManifest>;
  /** Runs (local) or drives (EC2) the job until it is done, failed or cancelled; `signal` stops following only. */
  follow(id: string, options?: FollowOptions): Promise<JobView>;
  /** One idempotent step for an unfinished job (see the file comment); a `restoring` job moves on to its launch once every input is restored. */
  reconcile(id: string): Promise<JobView>;
  /** Reconciles every unfinished job; returns their views. */
  recover(): Promise<JobView[]>;
  list(): Promise<JobView[]>;
  show(id: string): Promise<JobView>;
  manifest(id: string): Promise<JobManifest>;
  cancel(id: string): Promise<JobView>;
  /** Marks a failed or cancelled job dismissed (the app stops listing it; its record and log stay). */
  dismiss(id: string): Promise<void>;
  logs(id: string, shard?: number): Promise<string>;
}
