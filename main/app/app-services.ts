/**
 * AppServices over the real services: settings, acquisition (watch + upload), instances and
 * budget, analyses and their results. Built once per process from the service container by
 * `scopecloud serve` and the Electron app; `dispose()` stops the acquisition (releasing the
 * upload-queue lock), follows no more jobs and closes AWS clients.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppServices } from '../host/app-services.ts';
import type { ServiceContainer } from '../services.ts';
import type { Settings } from '../config/schema.ts';
import type { GuardrailEvent } from '../instances/guardrails.ts';
import { usd } from '../cost/money.ts';
import type { TrayModel } from '../tray/tray-model.ts';
import { createEventHub } from './events.ts';
import { createAwsContexts } from './aws-context.ts';
import { createJobsContexts } from './jobs-context.ts';
import { createSettingsApi } from './settings-api.ts';
import { createAcquisitionApi } from './acquisition-api.ts';
import { createComputeApi } from './compute-api.ts';
import { createAnalysesApi } from './analyses-api.ts';
import { createResultsApi } from './results-api.ts';
import { acquisitionChanged } from './settings-mapping.ts';

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
  sessionIdleMs?: number;
}

const ok = { ok: true as const };

export async function createAppServices(container: ServiceContainer, opts: AppServicesOptions = {}): Promise<AppHost> {
  const env = opts.env ?? process.env;
  const paths = container.paths;
  const log = opts.log ?? fileLog(join(paths.logs, 'app.log'));
  const hub = createEventHub();

  const aws = createAwsContexts({
    env,
    cacheFile: join(paths.cache, 'compute.json'),
    guardrails: opts.guardrails ?? true,
    onGuardrailEvent: (e) => {
      const n = guardrailNotice(e);
      if (n) hub.notify(n.level, n.title, n.body);
      hub.changed('instances', 'status', 'budget');
    },
  });
  const jobsContexts = createJobsContexts({ paths, env, aws: (s) => aws.of(s) });

  // The settings API needs the acquisition (to follow saves) and the acquisition reads settings.
  let onSaved = async (_before: Settings, _after: Settings): Promise<void> => {};
  const settings = createSettingsApi({
    store: container.settings,
    defaultArchiveDir: paths.archive,
    env,
    hub,
    onSaved: (b, a) => onSaved(b, a),
  });
  const acquisition = createAcquisitionApi({
    settings: settings.current,
    queueDir: paths.queue,
    stagingDir: join(paths.root, 'manifests'),
    s3For: (s) => aws.of(s)!.clients.s3,
    hub,
    log,
    ...(opts.sessionIdleMs !== undefined ? { sessionIdleMs: opts.sessionIdleMs } : {}),
  });
  onSaved = async (before, after) => {
    if (acquisitionChanged(before, after)) await acquisition.restart();
    else if (before.upload.bandwidthLimit !== after.upload.bandwidthLimit) await acquisition.setBandwidthLimit(after.upload.bandwidthLimit).catch(() => undefined);
    if (JSON.stringify(before.target) !== JSON.stringify(after.target)) hub.changed('instances', 'budget', 'analyses');
  };
  const compute = createComputeApi({ settings: settings.current, context: (s) => aws.of(s), env, hub });
  const analyses = createAnalysesApi({
    settings: settings.current,
    jobs: (s) => jobsContexts.of(s),
    aws: (s) => aws.of(s),
    sessions: () => acquisition.sessions(),
    items: () => acquisition.items(),
    hub,
  });
  const results = createResultsApi(() => jobsContexts.of(settings.current()));

  await acquisition.restart();
  void analyses.resume();

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
        analyses: { running: analyses.running() },
      };
    },
    getSettings: async () => settings.get(),
    saveSettings: (patch) => settings.save(patch),
    listAwsProfiles: () => settings.listAwsProfiles(),
    checkAwsSettings: (req) => settings.checkAws(req),
    checkLocalArchive: (req) => settings.checkLocalArchive(req.archiveDir),

    getAcquisition: () => acquisition.view(),
    async addWatchedFolder(req) { await settings.addFolder(req.path); return ok; },
    async removeWatchedFolder(req) { await settings.removeFolder(req.path); return ok; },
    async pauseUploads() { await acquisition.pause(); return ok; },
    async resumeUploads() { await acquisition.resume(); return ok; },
    async setBandwidthLimit(req) { await settings.setBandwidthLimit(req.bytesPerSec); return ok; },
    async retryFile(req) { await acquisition.retry(req.id); return ok; },
    async listSessions() { return { sessions: await acquisition.sessions() }; },

    listInstances: (req) => compute.listInstances(req),
    explainAction: (req) => compute.explainAction(req),
    instanceAction: (req) => compute.instanceAction(req),
    listPresets: () => compute.listPresets(),
    checkLaunch: (req) => compute.checkLaunch(req),
    launchInstance: (req) => compute.launchInstance(req),
    getBudget: () => compute.getBudget(),
    refreshBudget: () => compute.refreshBudget(),

    async listAnalyses() { return { analyses: await analyses.list() }; },
    launchAnalysis: (req) => analyses.launch(req),
    async cancelAnalysis(req) { await analyses.cancel(req.id); return ok; },
    async getAnalysisLog(req) { return { lines: await analyses.log(req.id) }; },
    getResultSummary: (req) => results.summary(req.id),
    getRoiArrays: (req) => results.rois(req.id),
    getTrace: (req) => results.trace(req.id, req.roi),
    getResultImage: (req) => results.image(req.id, req.name),
    getActivity: (req) => results.activity(req.id, req.bins),

    trayModel: () => compute.trayModel(),

    async dispose() {
      analyses.stop();
      await acquisition.stop();
      aws.dispose();
      hub.dispose();
    },
  };
}

function guardrailNotice(e: GuardrailEvent): { level: 'info' | 'warning' | 'error'; title: string; body: string } | null {
  switch (e.kind) {
    case 'max-runtime': return { level: e.error ? 'error' : 'warning', title: `${e.name} reached its maximum runtime`, body: e.error ? `It could not be ${e.action === 'stop' ? 'stopped' : 'terminated'}: ${e.error}` : `It was ${e.action === 'stop' ? 'stopped' : 'terminated'}.` };
    case 'idle-warning': return { level: 'warning', title: `${e.name} looks idle`, body: `CPU ${e.averageCpu === null ? 'unknown' : `${e.averageCpu.toFixed(1)} %`} over ${e.windowMinutes} min while billing. Stop it if nothing runs.` };
    case 'idle-stopped': return { level: e.error ? 'error' : 'info', title: `${e.name} was idle`, body: e.error ? `Stopping it failed: ${e.error}` : 'It was stopped to save cost.' };
    case 'long-running': return { level: 'info', title: `${e.name} is still running`, body: 'It has been running for a long time; check it is still needed.' };
    case 'budget-threshold': return { level: e.level >= 100 ? 'error' : 'warning', title: `Budget ${e.budget}: ${e.level} % reached`, body: `${usd(e.spent)} of ${usd(e.limit)} spent this month.` };
    case 'check-failed': return null;
  }
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
