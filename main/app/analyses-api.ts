/**
 * Analyses for the app: launch (a local folder or TIFF, or an acquisition session), follow,
 * cancel, logs. A local job runs in this process (the job service runs it while it is followed);
 * the app follows every job it launched, and at start-up picks up what an earlier run left:
 * orphaned local jobs are marked interrupted (job service `recover`), queued local jobs and
 * unfinished EC2 jobs are followed again.
 */
import { stat } from 'node:fs/promises';
import { basename, isAbsolute } from 'node:path';
import type { Analysis, AnalysisRestoreOffer, LaunchAnalysisRequest, SessionInfo } from '../../preload/api.ts';
import type { Settings } from '../config/schema.ts';
import { isTerminal, type JobView } from '../jobs/job-types.ts';
import { ANALYSIS_PRESETS, PRESETS, type LaunchPreset } from '../instances/presets.ts';
import { folderKeyPrefix } from '../acquisition/object-keys.ts';
import { AppError, notConfigured } from './app-errors.ts';
import { planAnalysis } from './analysis-plan.ts';
import type { AwsContext } from './aws-context.ts';
import type { EventHub } from './events.ts';
import type { JobsContext } from './jobs-context.ts';
import { analysisCounts, analysisStatus, toAnalysis } from './analyses-mapping.ts';
import { restoreOffer } from './analysis-restore.ts';
import type { WatchedRestore } from '../jobs/restore-watcher.ts';

export interface AnalysesDeps {
  settings: () => Settings;
  /** The destination's jobs: where launches go and what a restart picks up. */
  jobs: (settings: Settings) => JobsContext;
  /** Every job store the list reads: the destination's, then the last demo run's (default: the destination's). */
  listed?: (settings: Settings) => JobsContext[];
  /** The listed store holding job `id`, for its log, cancel or dismissal (default: the destination's). */
  holding?: (settings: Settings, id: string) => Promise<JobsContext>;
  aws: (settings: Settings) => AwsContext | null;
  sessions: () => Promise<SessionInfo[]>;
  hub: EventHub;
  now?: () => number;
  /** An analysis finished or failed (the app's rate-limited notifier); default: hub.notify. */
  onFinished?: (id: string, name: string, ok: boolean, detail: string) => void;
  /** A launch asked S3 to restore its inputs, or `resume` found a job waiting for one (the app's restore watcher notifies when they are back). */
  onRestoreAsked?: (r: WatchedRestore) => void;
  /** Maximum runtime of a local analysis (default 12 h). */
  localMaxRuntimeSeconds?: number;
}

export interface AnalysesApi {
  list(): Promise<Analysis[]>;
  launch(req: LaunchAnalysisRequest): Promise<{ id: string }>;
  /** What an EC2 launch of `req` needs restored from cold storage first (nothing for a local one). */
  restoreOffer(req: LaunchAnalysisRequest): Promise<AnalysisRestoreOffer>;
  cancel(id: string): Promise<void>;
  /** A failed or cancelled analysis leaves the list (its record stays in the store). */
  dismiss(id: string): Promise<void>;
  log(id: string): Promise<string[]>;
  /** Running analyses from the last list, not counting those waiting for a restore (no I/O). */
  running(): number;
  /** Analyses waiting for S3 to restore their inputs, from the last list (no I/O). */
  restoring(): number;
  /** Recovers and resumes following what an earlier run of the app left. */
  resume(): Promise<void>;
  stop(): void;
}

/** The machine EC2 analyses run on unless the request names another preset. */
const EC2_PRESET = 'small-analysis';
const TIFF = /\.(tif|tiff|btf|tf2|tf8)$/i;

export function createAnalysesApi(d: AnalysesDeps): AnalysesApi {
  const now = d.now ?? Date.now;
  const listed = d.listed ?? ((s: Settings) => [d.jobs(s)]);
  const holding = d.holding ?? (async (s: Settings) => d.jobs(s));
  const following = new Map<string, AbortController>();
  let lastList: Analysis[] = [];
  let lastListAt = 0;
  /** What of the last list the Results list shows (its finished analyses): `results` when it changes. */
  let lastResults = '';
  let listing: Promise<Analysis[]> | null = null;

  function follow(ctx: JobsContext, id: string): void {
    if (following.has(id)) return;
    const abort = new AbortController();
    following.set(id, abort);
    ctx.jobs
      .follow(id, { signal: abort.signal, onUpdate: () => d.hub.changed('analyses', 'status') })
      .then(
        (v) => {
          if (abort.signal.aborted) return;
          if (d.onFinished) {
            if (v.state === 'done') d.onFinished(id, v.name, true, `${v.name} is ready: open it in Results.`);
            else if (v.state === 'failed') d.onFinished(id, v.name, false, v.failure?.message ?? 'failed');
          } else if (v.state === 'done') d.hub.notify('info', 'Analysis finished', `${v.name} is ready: open it in Results.`);
          else if (v.state === 'failed') d.hub.notify('error', 'Analysis failed', `${v.name}: ${v.failure?.message ?? 'failed'}`);
        },
        (e: unknown) => {
          const message = (e as Error).message.split('\n')[0] ?? 'stopped';
          if (d.onFinished) d.onFinished(id, id, false, `stopped following it: ${message}`);
          else d.hub.notify('error', 'Analysis stopped', `${id}: ${message}`);
        },
      )
      .finally(() => {
        following.delete(id);
        d.hub.changed('analyses');
        void relist().catch(() => undefined);
      });
  }

  const resultsShown = (list: readonly Analysis[]) =>
    JSON.stringify(list.filter((a) => a.status === 'done').map((a) => [a.id, a.name, a.source, a.finishedAt, a.demo]));
  const activeCount = (list: readonly Analysis[]) => {
    const c = analysisCounts(list);
    return c.running + c.restoring;
  };
  const staleList = () => {
    if (now() - lastListAt > 10_000 && !listing) void list().catch(() => undefined);
  };

  async function list(): Promise<Analysis[]> {
    listing ??= Promise.all(
      listed(d.settings()).map(async (ctx) => {
        try {
          return (await ctx.jobs.list()).filter((v) => !v.dismissed).map((v) => toAnalysis(v, ctx.demo));
        } catch (e) {
          if (ctx.demo) return []; // a demo run replacing its folder under the read is no error of the user's
          throw e;
        }
      }),
    )
      .then((lists) => {
        const before = activeCount(lastList);
        lastList = lists.flat().sort((a, b) => b.startedAt - a.startedAt);
        lastListAt = now();
        if (activeCount(lastList) !== before) d.hub.changed('status');
        const results = resultsShown(lastList);
        if (results !== lastResults) d.hub.changed('results');
        lastResults = results;
        return lastList;
      })
      .finally(() => {
        listing = null;
      });
    return listing;
  }

  /** A list read after this call: one already in flight may predate the change, so it is waited out. */
  function relist(): Promise<Analysis[]> {
    const inFlight = listing;
    return inFlight ? inFlight.then(list, list) : list();
  }

  async function sourceOf(req: LaunchAnalysisRequest): Promise<{ label: string; folder: string }> {
    if (req.source.kind === 'local') {
      const p = req.source.path.trim();
      if (!isAbsolute(p)) throw new AppError('INVALID_INPUT', `give an absolute path to a folder or TIFF file (got "${p}")`, 'path');
      const st = await stat(p).catch(() => null);
      if (!st) throw new AppError('INVALID_INPUT', `${p} does not exist`, 'path');
      if (!st.isDirectory() && !TIFF.test(p)) throw new AppError('INVALID_INPUT', `${p} is neither a folder nor a TIFF file`, 'path');
      return { label: basename(p) || p, folder: p };
    }
    const id = req.source.sessionId;
    const session = (await d.sessions()).find((s) => s.id === id);
    if (!session) throw new AppError('UNKNOWN_SESSION', `no acquisition session ${id}; it may belong to a folder no longer watched`);
    return { label: basename(session.folder), folder: session.folder };
  }

  /** Stored TIFF keys (relative to the job store) of a session: what the destination holds, not what the queue says. */
  async function storedKeys(ctx: JobsContext, settings: Settings, folder: string): Promise<string[]> {
    const prefix = folderKeyPrefix(settings.watch.folders, folder);
    if (prefix === null) return [];
    return (await ctx.store.list(`${prefix}/`)).filter((k) => TIFF.test(k)).sort();
  }

  /** The uploaded TIFF keys an EC2 analysis of `req` reads (INVALID_INPUT when there are none). */
  async function ec2Keys(ctx: JobsContext, settings: Settings, req: LaunchAnalysisRequest, src: { label: string; folder: string }): Promise<string[]> {
    if (req.source.kind !== 'session')
      throw new AppError('INVALID_INPUT', 'EC2 analyses read their data from S3: choose an acquisition session that has been uploaded', 'source');
    const keys = await storedKeys(ctx, settings, src.folder);
    if (keys.length === 0) throw new AppError('INVALID_INPUT', `no uploaded TIFF files of ${src.label} yet: wait until its files are verified`, 'source');
    return keys;
  }

  return {
    list,

    async restoreOffer(req) {
      const none: AnalysisRestoreOffer = { objects: 0, bytes: 0, ongoing: 0, tiers: [], restoredCopyUsd: null, days: 1 };
      if (req.where !== 'ec2') return none;
      const settings = d.settings();
      const aws = d.aws(settings);
      if (!aws || settings.target.kind !== 's3') throw notConfigured('analyses on EC2');
      const ctx = d.jobs(settings);
      const keys = await ec2Keys(ctx, settings, req, await sourceOf(req));
      return restoreOffer(aws, settings.target, keys, now(), settings.restore.days);
    },

    async launch(req) {
      const settings = d.settings();
      const ctx = d.jobs(settings);
      const src = await sourceOf(req);
      const params = {
        k: req.params.k ?? 4,
        ...(req.params.planes !== undefined ? { planes: req.params.planes } : {}),
        ...(req.params.fs !== undefined ? { fs: req.params.fs } : {}),
      };
      const name = req.name || src.label;
      let request;
      if (req.where === 'ec2') {
        const aws = d.aws(settings);
        if (!aws || !ctx.ec2) throw notConfigured('analyses on EC2');
        const preset = analysisPreset(req.presetId ?? EC2_PRESET);
        const keys = await ec2Keys(ctx, settings, req, src);
        request = await planAnalysis(
          { settings, aws },
          {
            name,
            sources: [src.folder],
            params,
            shards: [{ label: src.label, input: { kind: 'store', keys }, args: [] }],
            // the lab's rule for any instance ScopeCloud launches (settings budget.maxRuntimeHours)
            maxRuntimeSeconds: Math.round(settings.budget.maxRuntimeHours * 3600),
            ec2: {
              instanceType: preset.instanceType,
              consentToCreateProfile: req.consentToCreateProfile === true,
              ...(req.overrideBudget ? { overrideReason: 'confirmed in the ScopeCloud analysis form' } : {}),
              ...(req.restoreTier ? { restoreTier: req.restoreTier } : {}),
            },
          },
        );
      } else {
        request = await planAnalysis(
          { settings, aws: null },
          {
            name,
            sources: [src.folder],
            params,
            shards: [{ label: src.label, input: { kind: 'local', paths: [src.folder] }, args: [] }],
            maxRuntimeSeconds: d.localMaxRuntimeSeconds ?? 12 * 3600,
          },
        );
      }
      const m = await ctx.jobs.submit(request);
      if (m.restore) d.onRestoreAsked?.({ id: `analysis:${m.id}`, label: name, ...m.restore });
      follow(ctx, m.id);
      d.hub.changed('analyses');
      void relist().catch(() => undefined);
      return { id: m.id };
    },

    async cancel(id) {
      const ctx = await holding(d.settings(), id);
      const running = following.get(id);
      // The job service ends a local run this process owns and writes the cancel for any other.
      await ctx.jobs.cancel(id);
      running?.abort();
      d.hub.changed('analyses', 'status');
    },

    async dismiss(id) {
      await (await holding(d.settings(), id)).jobs.dismiss(id);
      d.hub.changed('analyses');
      void relist().catch(() => undefined);
    },

    async log(id) {
      const text = await (await holding(d.settings(), id)).jobs.logs(id);
      const lines = text.split('\n');
      if (lines.at(-1) === '') lines.pop();
      return lines.slice(-10_000).map((l) => (l.length > 100_000 ? l.slice(0, 100_000) : l));
    },

    running() {
      staleList();
      return analysisCounts(lastList).running;
    },

    restoring() {
      staleList();
      return analysisCounts(lastList).restoring;
    },

    async resume() {
      const ctx = d.jobs(d.settings());
      let views: JobView[];
      try {
        await ctx.jobs.recover();
        views = await ctx.jobs.list();
      } catch {
        return; // an unreachable store: the view shows the error when opened
      }
      for (const v of views) {
        if (isTerminal(v.state)) continue;
        // a restore asked before this start (by the CLI, or an app run before it) is watched too
        if (v.state === 'restoring' && d.onRestoreAsked) {
          const asked = d.onRestoreAsked;
          void ctx.jobs.manifest(v.id).then(
            (m) => m.restore && asked({ id: `analysis:${v.id}`, label: v.name, ...m.restore }),
            () => undefined,
          );
        }
        if (v.where === 'ec2' || analysisStatus(v.state) === 'queued') follow(ctx, v.id);
      }
      d.hub.changed('analyses', 'status');
    },

    stop() {
      for (const a of following.values()) a.abort();
      following.clear();
    },
  };
}

/** A launch preset an analysis can run on: the worker uses CPUs only, so no GPU machine. */
function analysisPreset(name: string): LaunchPreset {
  const p = PRESETS.find((x) => x.name === name);
  if (!p) throw new AppError('INVALID_INPUT', `unknown machine "${name}" (one of ${ANALYSIS_PRESETS.join(', ')})`, 'presetId');
  if (!ANALYSIS_PRESETS.includes(p.name))
    throw new AppError(
      'INVALID_INPUT',
      `${p.label} (${p.instanceType}) is not for analyses: the worker uses CPUs only (choose ${ANALYSIS_PRESETS.join(', ')})`,
      'presetId',
    );
  return p;
}
