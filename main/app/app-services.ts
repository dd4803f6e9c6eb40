/**
 * AppServices over the real services: settings, acquisition (watch + upload), instances and
 * budget, analyses and their results. Built once per process from the service container by
 * `scopecloud serve` and the Electron app; `dispose()` stops the acquisition (releasing the
 * upload-queue lock), follows no more jobs and closes AWS clients.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppServices } from './contract.ts';
import type { ServiceContainer } from './container.ts';
import type { Settings } from '../config/schema.ts';
import type { GuardrailEvent } from '../instances/guardrails.ts';
import type { InstanceInfo } from '../aws/ec2-instance.ts';
import { createJsonFileStore } from '../cost/cache-store.ts';
import { createDailySummaryScheduler } from '../tray/daily-summary.ts';
import { createUptimeRecorder } from '../instances/uptime-records.ts';
import { stoppedDisks } from '../instances/stopped-disks.ts';
import { createNotificationLimiter } from '../tray/notification-limiter.ts';
import { createAppNotifier } from './app-notifier.ts';
import type { TrayModel, TrayStorage } from '../tray/tray-model.ts';
import type { TrayPeople } from '../tray/tray-people.ts';
import { createEventHub } from './events.ts';
import { createSettingsApi } from './settings-api.ts';
import { createAcquisitionApi } from './acquisition-api.ts';
import { createComputeApi } from './compute-api.ts';
import { createAnalysesApi } from './analyses-api.ts';
import { createResultsApi } from './results-api.ts';
import { createCuratorIdentities, systemOsUser } from '../results/curator-identity.ts';
import { createUploadLifecycleApi } from './upload-lifecycle-api.ts';
import { createColdStorageApi } from './cold-storage-api.ts';
import { coldStorage } from '../upload/cold-storage-rule.ts';
import { toStorageCost } from './storage-cost-mapping.ts';
import { createBudgetSetupApi } from './budget-setup-api.ts';
import { budgetSetupOf } from '../budget/budget-setup-aws.ts';
import { acquisitionChanged } from './settings-mapping.ts';
import { systemClock, backgroundTimers } from '../common/time.ts';
import { createRestoreWatcher, type WatchedRestore } from '../jobs/restore-watcher.ts';
import { s3ColdInputs } from '../jobs/job-restore.ts';
import { withRestores } from '../tray/tray-restores.ts';
import { archivedAsRefusal, createResultsRestoreApi } from './results-restore.ts';

export interface AppHost extends AppServices {
  /** The tray's model (Electron). */
  trayModel(): Promise<TrayModel>;
  dispose(): Promise<void>;
}

export interface AppServicesOptions {
  /** Environment: SCOPECLOUD_WORKER (the worker binary), SCOPECLOUD_OWNER, AWS_* endpoints. */
  env?: NodeJS.ProcessEnv;
  /** Background log lines (default: appended to <state>/logs/app.log). */
  log?: (line: string) => void;
  /** Run the instance guardrails in AWS mode (default true). */
  guardrails?: boolean;
  /** Poll the app's instances adaptively in AWS mode and refresh the instances topic (default true). */
  pollInstances?: boolean;
  sessionIdleMs?: number;
  /** Send yesterday's "what ran and what it cost" once a day (default true). */
  dailySummary?: boolean;
  /** Minimum time between two notifications with the same key (default 10 min). */
  notificationIntervalMs?: number;
  /** Least time between two HEAD rounds of the restores asked from cold storage (default 2 min). */
  restoreCheckMs?: number;
}

const ok = { ok: true as const };

export async function createAppServices(container: ServiceContainer, opts: AppServicesOptions = {}): Promise<AppHost> {
  const env = opts.env ?? process.env;
  const paths = container.paths;
  const log = opts.log ?? fileLog(join(paths.logs, 'app.log'));
  const hub = createEventHub();
  // notification history, uptime records and the last daily summary survive restarts
  const appStore = createJsonFileStore(join(paths.cache, 'app-state.json'));
  const notifier = createAppNotifier({
    limiter: createNotificationLimiter({ clock: systemClock, store: appStore, intervalMs: opts.notificationIntervalMs ?? 10 * 60_000 }),
    show: (level, title, body) => hub.notify(level, title, body),
    now: () => systemClock.now(),
  });
  const uptime = createUptimeRecorder(appStore);
  /** The instances of the last poll: the daily summary names the stopped ones whose disks bill. */
  let polled: InstanceInfo[] = [];
  const dailySummary = createDailySummaryScheduler({
    clock: systemClock,
    timers: backgroundTimers,
    records: () => uptime.records(),
    stopped: () => stoppedDisks(polled, systemClock.now()),
    // `compute` is built below; the scheduler asks only after start()
    people: () => compute.trayPeople(),
    store: appStore,
    limiter: createNotificationLimiter({ clock: systemClock, store: appStore, intervalMs: 60 * 60_000 }),
    notify: (n) => hub.notify('info', n.title, n.body),
  });

  let onInstancesChanged = (_list: InstanceInfo[]): void => {};
  const aws = { of: (s: Settings) => container.awsContext(s) };
  container.runInBackground({
    pollInstances: opts.pollInstances ?? true,
    onInstancesChanged: (list, previous) => {
      polled = list;
      // The first list after a start: reconcile the time the app was off from EC2's own facts,
      // terminated instances included (EC2 lists them for about an hour).
      if (previous === null) void reconcileUptime(list);
      else uptime.observe(list, systemClock.now());
      onInstancesChanged(list);
    },
    guardrails: opts.guardrails ?? true,
    onGuardrailEvent: (e) => {
      if (e.kind !== 'check-failed') notifier.guardrail(e);
      hub.changed('instances', 'status', 'budget');
    },
  });
  async function reconcileUptime(list: InstanceInfo[]): Promise<void> {
    let facts = list;
    try {
      const ctx = aws.of(settings.current());
      if (ctx) facts = await ctx.compute.instances.list({ includeTerminated: true });
    } catch (e) {
      log(`uptime reconcile: listing terminated instances failed, using the poll: ${(e as Error).message}`);
    }
    uptime.observe(facts, systemClock.now());
  }
  const jobsContexts = container.jobs;

  // The settings API needs the acquisition (to follow saves) and the acquisition reads settings.
  let onSaved = async (_before: Settings, _after: Settings): Promise<void> => {};
  const settings = createSettingsApi({
    store: container.settings,
    defaultArchiveDir: paths.archive,
    env,
    hub,
    onSaved: (b, a) => onSaved(b, a),
  });
  const lifecycle = createUploadLifecycleApi(() => container.uploadLifecycle(settings.current()));
  const cold = createColdStorageApi(() => {
    const s = settings.current();
    const ctx = s.target.kind === 's3' ? aws.of(s) : null;
    if (s.target.kind !== 's3' || !ctx) return null;
    return coldStorage({
      s3: ctx.clients.s3,
      bucket: s.target.bucket,
      destinationPrefix: s.target.prefix,
      watchFolders: s.watch.folders,
      prices: ctx.compute.prices,
      region: ctx.compute.region,
      now: () => systemClock.now(),
    });
  });
  const budgetSetup = createBudgetSetupApi(() => {
    const ctx = aws.of(settings.current());
    return ctx ? budgetSetupOf(ctx.clients) : null;
  });
  const acquisition = createAcquisitionApi({
    settings: settings.current,
    start: (o) => container.startAcquisition(o),
    stagingDir: join(paths.root, 'manifests'),
    hub,
    log,
    onUploadEvent: (e) => notifier.uploadEvent(e),
    onFolderEvent: (e) => {
      notifier.folder(e);
    },
    ...(opts.sessionIdleMs !== undefined ? { sessionIdleMs: opts.sessionIdleMs } : {}),
  });
  onSaved = async (before, after) => {
    if (acquisitionChanged(before, after)) await acquisition.restart();
    else if (before.upload.bandwidthLimit !== after.upload.bandwidthLimit)
      await acquisition.setBandwidthLimit(after.upload.bandwidthLimit).catch(() => undefined);
    if (JSON.stringify(before.target) !== JSON.stringify(after.target)) hub.changed('instances', 'budget', 'analyses', 'results');
  };
  /** The storage bill's last answer, for the tray (which never lists). */
  let trayStorage: TrayStorage | null = null;
  let trayByOwner: TrayPeople['storage'] = null;
  const compute = createComputeApi({
    settings: settings.current,
    context: (s) => aws.of(s),
    env,
    hub,
    storage: () => trayStorage,
    storageByOwner: () => trayByOwner,
  });
  onInstancesChanged = (list) => compute.instancesPolled(list);
  const analyses = createAnalysesApi({
    settings: settings.current,
    jobs: (s) => jobsContexts.of(s),
    listed: (s) => jobsContexts.listed(s),
    holding: (s, id) => jobsContexts.holding(s, id),
    aws: (s) => aws.of(s),
    sessions: () => acquisition.sessions(),
    hub,
    onFinished: (id, name, ok, detail) => notifier.analysis(id, name, ok, detail),
    onRestoreAsked: (r) => restores.add(r),
  });
  const curators = createCuratorIdentities({ osUser: systemOsUser, onStsError: (e) => log(`curation identity (STS): ${e.message}`) });
  const results = createResultsApi((id) => jobsContexts.holding(settings.current(), id), {
    cacheRoot: paths.cache,
    curator: (ctx) => curators.of(ctx.ec2 ? (aws.of(settings.current())?.clients.sts ?? null) : null),
  });
  const restoreDone = (r: WatchedRestore, ok: boolean, detail: string) => {
    notifier.restore(r, ok, detail);
    hub.changed('analyses', 'status');
  };
  // restores the user asked for (an analysis's inputs, archived results), HEADed every few minutes until readable
  const restores = createRestoreWatcher({
    inspect: () => {
      const s = settings.current();
      const ctx = aws.of(s);
      return ctx && s.target.kind === 's3' ? s3ColdInputs(ctx.clients.s3, s.target.bucket, s.target.prefix).inspect : null;
    },
    store: appStore,
    clock: systemClock,
    timers: backgroundTimers,
    ...(opts.restoreCheckMs ? { intervalMs: opts.restoreCheckMs } : {}),
    onDone: (r) => restoreDone(r, true, `Readable now, for ${r.days} day${r.days === 1 ? '' : 's'} (${r.tier} restore).`),
    onFailed: (r, message) => restoreDone(r, false, message),
    onError: (e) => log(`restore check: ${(e as Error).message}`),
  });
  const resultsRestore = createResultsRestoreApi({
    settings: settings.current,
    aws: (s) => aws.of(s),
    holding: (id) => jobsContexts.holding(settings.current(), id),
    watcher: restores,
    now: () => systemClock.now(),
  });

  async function storageCost(refresh: boolean) {
    const kind = settings.current().target.kind === 's3' ? 's3' : 'local';
    const c = await container.storageCost().read({ refresh });
    trayStorage = c.bill
      ? { billed: c.bill.billed, totalBytes: c.bill.totalBytes, monthly: c.bill.monthly, restOfMonth: c.bill.projection.restOfMonth, unknown: false }
      : { billed: kind === 's3', totalBytes: 0, monthly: 0, restOfMonth: 0, unknown: c.error !== null };
    trayByOwner = c.bill?.byOwner ?? null;
    return toStorageCost(c, kind, 'USD');
  }

  await acquisition.restart();
  // the tray's storage line from the cached listing (listed only when older than its age limit)
  void storageCost(false).catch((e: unknown) => log(`storage bill: ${(e as Error).message}`));
  void analyses.resume();
  restores.start();
  if (opts.dailySummary ?? true) dailySummary.start();

  return {
    subscribe: (listener) => hub.subscribe(listener),

    async getStatus() {
      const s = settings.current();
      const c = compute.status();
      return {
        version: appVersion(),
        mode: s.target.kind === 's3' ? 'aws' : 'local',
        target: acquisition.target(),
        currency: c.currency,
        uploads: acquisition.summary(),
        instances: { running: c.running, hourlyBurn: c.hourlyBurn },
        budget: { monthToDate: c.monthToDate, limit: c.limit, state: c.state },
        analyses: { running: analyses.running(), restoring: analyses.restoring() },
      };
    },
    getSettings: async () => settings.get(),
    saveSettings: (patch) => settings.save(patch),
    listAwsProfiles: () => settings.listAwsProfiles(),
    checkAwsSettings: (req) => settings.checkAws(req),
    checkLocalArchive: (req) => settings.checkLocalArchive(req.archiveDir),
    getUploadLifecycle: () => lifecycle.view(),
    async addUploadLifecycleRule(req) {
      const view = await lifecycle.add(req.consent);
      hub.changed('settings');
      return view;
    },
    getColdStorage: (req) => cold.view(req),
    async applyColdStorage(req) {
      const view = await cold.apply(req);
      hub.changed('settings');
      return view;
    },
    async removeColdStorage(req) {
      const view = await cold.remove(req);
      hub.changed('settings');
      return view;
    },

    getAcquisition: () => acquisition.view(),
    async addWatchedFolder(req) {
      await settings.addFolder(req.path);
      return ok;
    },
    async removeWatchedFolder(req) {
      await settings.removeFolder(req.path);
      return ok;
    },
    async pauseUploads() {
      await acquisition.pause();
      return ok;
    },
    async resumeUploads() {
      await acquisition.resume();
      return ok;
    },
    async setBandwidthLimit(req) {
      await settings.setBandwidthLimit(req.bytesPerSec);
      return ok;
    },
    async retryFile(req) {
      await acquisition.retry(req.id);
      return ok;
    },
    async listSessions() {
      return { sessions: await acquisition.sessions() };
    },

    listInstances: (req) => compute.listInstances(req),
    explainAction: (req) => compute.explainAction(req),
    instanceAction: (req) => compute.instanceAction(req),
    listPresets: () => compute.listPresets(),
    checkLaunch: (req) => compute.checkLaunch(req),
    launchInstance: (req) => compute.launchInstance(req),
    getBudget: () => compute.getBudget(),
    refreshBudget: () => compute.refreshBudget(),
    getBudgetSetupOwners: () => budgetSetup.owners(),
    planBudgetSetup: (req) => budgetSetup.plan(req),
    async applyBudgetSetup(req) {
      const out = await budgetSetup.apply(req.request, req.consent);
      hub.changed('budget');
      return out;
    },
    async removeBudgetSetup(req) {
      const out = await budgetSetup.remove(req.lab, req.consent);
      hub.changed('budget');
      return out;
    },
    refreshPrices: () => compute.refreshPrices(),
    getStorageCost: () => storageCost(false),
    refreshStorageCost: () => storageCost(true),
    async assignSessions(req) {
      const { assigned } = await container.storageCost().assign({ ...req, by: container.owner });
      const storage = await storageCost(false);
      hub.changed('budget');
      return { assigned, storage };
    },

    async listAnalyses() {
      return { analyses: await analyses.list() };
    },
    launchAnalysis: (req) => analyses.launch(req),
    planAnalysisRestore: (req) => analyses.restoreOffer(req),
    planResultsRestore: (req) => resultsRestore.offer(req.id),
    restoreResults: (req) => resultsRestore.restore(req),
    async cancelAnalysis(req) {
      await analyses.cancel(req.id);
      return ok;
    },
    async dismissAnalysis(req) {
      await analyses.dismiss(req.id);
      return ok;
    },
    async getAnalysisLog(req) {
      return { lines: await analyses.log(req.id) };
    },
    async listResults() {
      return { results: await results.list(await analyses.list()) };
    },
    getResultSummary: (req) => archivedAsRefusal(results.summary(req.id)),
    curateRois: (req) => results.curate(req.id, req.rois, req.iscell, container.owner),
    undoCuration: (req) => results.undoCuration(req.id, container.owner),
    getRoiArrays: (req) => archivedAsRefusal(results.rois(req.id)),
    getTrace: (req) => results.trace(req.id, req.roi),
    getResultImage: (req) => results.image(req.id, req.name),
    getActivity: (req) => results.activity(req.id, req.bins),
    getPlaneAnatomy: (req) => results.anatomy(req.id, req.plane, req.kind),
    getRoiDetail: (req) => results.detail(req.id, req.roi),

    trayModel: async () => withRestores(await compute.trayModel(), restores.pending()),

    async dispose() {
      analyses.stop();
      restores.stop();
      dailySummary.stop();
      await acquisition.stop();
      await container.dispose();
      hub.dispose();
    },
  };
}

let version: string | null = null;
/** The version in the package.json above this file (main/app or build/main/app). */
export function appVersion(): string {
  if (version) return version;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6 && !version; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        version = String((JSON.parse(readFileSync(p, 'utf8')) as { version?: string }).version ?? '');
      } catch {
        // unreadable: keep looking up
      }
    }
    dir = dirname(dir);
  }
  version ||= '0.0.0';
  return version;
}

function fileLog(path: string): (line: string) => void {
  return (line) => {
    try {
      mkdirSync(dirname(path), { recursive: true });
      appendFileSync(path, `${new Date().toISOString()} ${line}\n`);
    } catch {
      // logging is best effort
    }
  };
}
