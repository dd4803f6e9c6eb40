/**
 * The composition root: builds the application layer once per process from settings, with real
 * side effects (fs, clock, AWS clients). The CLI's commands, `scopecloud serve` and the Electron
 * app all reach the use cases through this container, so they share one owner name, one region,
 * one set of compute services, one job wiring, one acquisition start and one analysis planner;
 * adapters parse, call and format, and never wire services themselves. Tests build the parts
 * directly with their own injected clocks and clients.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import Conf from 'conf';
import { statePaths, type StatePaths } from './config/paths.ts';
import { createSettingsStore, type KeyValueBackend, type SettingsStore } from './config/store.ts';
import type { Settings } from './config/schema.ts';
import { ownerName } from './common/owner.ts';
import { startAcquisition } from './acquisition/acquisition-service.ts';
import { readQueueStatus } from './acquisition/queue-status.ts';
import { createAwsContexts } from './app/aws-context.ts';
import { createJobsContexts } from './app/jobs-context.ts';
import { planAnalysis } from './app/analysis-plan.ts';
import { uploadLifecycle } from './upload/lifecycle-rule.ts';
import { createStorageCost } from './app/storage-cost.ts';
import { createJsonFileStore } from './cost/cache-store.ts';
import { loadPriceTable } from './cost/price-table.ts';
import { systemClock } from './common/time.ts';
import type { ServiceContainer } from './app/container.ts';

export type { ServiceContainer };

export interface ContainerOptions {
  env?: NodeJS.ProcessEnv;
  /** A conf-compatible backend (electron-store in the app); default: conf in the state dir. */
  backend?: KeyValueBackend;
  /** State folders; default from the environment (config/paths.ts). */
  paths?: StatePaths;
  /** How often followed jobs are read (default: the job service's). */
  jobPollMs?: number;
}

export function openSettings(
  env: NodeJS.ProcessEnv = process.env,
  backend?: KeyValueBackend,
  paths: StatePaths = statePaths(env),
): { paths: StatePaths; settings: SettingsStore } {
  mkdirSync(paths.root, { recursive: true });
  const store = backend ?? (new Conf({ cwd: paths.root, configName: 'settings', projectName: 'scopecloud' }) as unknown as KeyValueBackend);
  return { paths, settings: createSettingsStore(store, paths.archive) };
}

/** Settings held in memory only (the demo's own run; tests). */
export function memoryBackend(initial: Record<string, unknown> = {}): KeyValueBackend {
  let store = structuredClone(initial);
  return {
    get store() {
      return store;
    },
    set store(next) {
      store = structuredClone(next);
    },
    clear() {
      store = {};
    },
  };
}

export async function createServiceContainer(opts: ContainerOptions = {}): Promise<ServiceContainer> {
  const env = opts.env ?? process.env;
  const { paths, settings } = openSettings(env, opts.backend, opts.paths);
  const owner = ownerName(env);
  const awsContexts = createAwsContexts({ env, owner, cacheFile: join(paths.cache, 'compute.json') });
  const jobs = createJobsContexts({
    paths,
    env,
    owner,
    aws: (s) => awsContexts.of(s),
    ...(opts.jobPollMs !== undefined ? { pollMs: opts.jobPollMs } : {}),
  });
  const current = (s?: Settings) => s ?? settings.get();
  const storage = createStorageCost({
    settings: () => settings.get(),
    aws(s) {
      const ctx = awsContexts.of(s);
      return ctx ? { s3: ctx.clients.s3, prices: ctx.compute.prices, region: ctx.compute.region, cloudwatch: ctx.clients.cloudwatch } : null;
    },
    localPrices: () => loadPriceTable(),
    rate: async () => (await readQueueStatus(paths.queue, settings.get())).rate,
    store: createJsonFileStore(join(paths.cache, 'storage.json')),
    clock: systemClock,
  });
  return {
    paths,
    settings,
    env,
    owner,
    aws: () => awsContexts.any(settings.get()).clients,
    awsContext: (s) => awsContexts.of(current(s)),
    compute: () => awsContexts.any(settings.get()).compute,
    jobs,
    destinationJobs: (s) => jobs.of(current(s)),
    queueStatus: () => readQueueStatus(paths.queue, settings.get()),
    storageCost: () => storage,
    uploadLifecycle(s) {
      const at = current(s);
      if (at.target.kind !== 's3') return null;
      return uploadLifecycle(awsContexts.of(at)!.clients.s3, at.target.bucket, at.target.prefix);
    },
    startAcquisition(o) {
      const s = current(o.settings);
      return startAcquisition({
        ...o,
        settings: s,
        queueDir: paths.queue,
        stagingDir: join(paths.root, 'manifests'),
        recordedBy: { owner, host: hostname() },
        ...(s.target.kind === 's3' ? { s3: awsContexts.of(s)!.clients.s3 } : {}),
      });
    },
    planAnalysis(r, s) {
      const at = current(s);
      return planAnalysis({ settings: at, aws: r.ec2 ? awsContexts.of(at) : null }, r);
    },
    runInBackground: (b) => awsContexts.runInBackground(b),
    async dispose() {
      awsContexts.dispose();
    },
  };
}
