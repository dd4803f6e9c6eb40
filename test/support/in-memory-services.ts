/**
 * TEST DOUBLE. An in-memory AppServices with plausible, deterministic data and a simulated
 * clock (advanced by `tick()`): uploads progress, instances change state, analyses advance. For
 * the host and Electron shell unit tests and `bench/viewer.ts` only (the UI e2e tests run on the
 * real services); test/integration/app/fake-contract.test.ts checks its answers, transitions and
 * refusals against the real services so that it cannot drift from them.
 */
import type {
  Acquisition,
  ActionExplanation,
  Analysis,
  AppEvent,
  Budget,
  FileItem,
  Instance,
  InstanceAction,
  Preset,
  ResultSummary,
  SessionInfo,
  Settings,
  Status,
  Topic,
  UploadLifecycle,
  ColdStorage,
} from '../../preload/api.ts';
import type { RoiArrays } from '../../preload/roi-binary.ts';
import type { AppServices } from '../../main/app/contract.ts';
import { encodePng } from './png.ts';
import { encodeGrayGif } from './gif.ts';
import { seededRandom } from './seeded-random.ts';
import { syntheticActivity, syntheticRois } from './synthetic-rois.ts';
import { loadPriceTable } from '../../main/cost/price-table.ts';
import { storageBill } from '../../main/cost/storage-bill.ts';
import { toStorageCost } from '../../main/app/storage-cost-mapping.ts';
import { chooseSessions } from '../../main/app/session-attribution.ts';
import { checkPerson } from '../../main/cost/session-assignments.ts';
import { attributeBytes } from '../../main/cost/storage-attribution.ts';
import { ATTRIBUTION_TEXT } from '../../main/app/storage-cost.ts';
import { noSpendLimit } from '../../main/budget/budget-guard.ts';
import { ALERTS, names, planBudgetSetup, type BudgetSetupRequest as SetupRequest, type ExistingSetup } from '../../main/budget/budget-setup-plan.ts';
import { toUiPlan } from '../../main/app/budget-setup-api.ts';
import { syntheticAnatomy } from './synthetic-anatomy.ts';

export interface InMemoryOptions {
  /** ROIs in the finished demo analysis (default 100,000). */
  roiCount?: number;
  now?: () => number;
}

export interface InMemoryServices extends AppServices {
  /** Advances the simulation by `ms` of simulated time. */
  tick(ms: number): void;
  readonly calls: ReadonlyArray<{ method: string; req: unknown }>;
  dispose(): void;
}

class ServiceError extends Error {
  readonly code: string;
  readonly field: string | null;
  constructor(code: string, message: string, field: string | null = null) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

interface Result {
  summary: ResultSummary;
  rois: RoiArrays;
  seed: number;
  images: Map<string, Uint8Array>;
}

const GB = 1024 ** 3;
const MB = 1024 ** 2;

function grayImage(w: number, h: number, f: (x: number, y: number) => number): Uint8Array {
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const v = Math.max(0, Math.min(255, Math.round(f(x, y))));
      rgb.set([v, v, v], (y * w + x) * 3);
    }
  return encodePng(w, h, rgb);
}

function makeImages(rois: RoiArrays, k: number, seed: number): Map<string, Uint8Array> {
  const w = 256,
    h = 256,
    scale = 256 / 512;
  const field = new Float32Array(w * h);
  const rnd = seededRandom(seed + 7);
  for (let i = 0; i < Math.min(rois.count, 3000); i++) {
    const cx = rois.centroids[i * 3] * scale,
      cy = rois.centroids[i * 3 + 1] * scale;
    const r = Math.sqrt(rois.sizes[i] / Math.PI) * scale;
    const amp = 0.4 + rnd();
    for (let y = Math.max(0, Math.floor(cy - 2 * r)); y < Math.min(h, cy + 2 * r); y++) {
      for (let x = Math.max(0, Math.floor(cx - 2 * r)); x < Math.min(w, cx + 2 * r); x++) {
        field[y * w + x] += amp * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r));
      }
    }
  }
  const noise = seededRandom(seed + 11);
  const images = new Map<string, Uint8Array>();
  images.set(
    'first-frame',
    grayImage(w, h, (x, y) => 30 + 40 * field[y * w + x] + 40 * noise()),
  );
  images.set(
    'mean',
    grayImage(w, h, (x, y) => 25 + 50 * field[y * w + x]),
  );
  images.set(
    'max',
    grayImage(w, h, (x, y) => 20 + 90 * field[y * w + x]),
  );
  images.set(
    'std',
    grayImage(w, h, (x, y) => 10 + 70 * Math.sqrt(field[y * w + x])),
  );
  // Max over time: 12 windows at half resolution, cells flickering with their own phase.
  const gw = 128,
    gh = 128;
  const frames = Array.from({ length: 12 }, (_, t) => {
    const f = new Uint8Array(gw * gh);
    for (let y = 0; y < gh; y++)
      for (let x = 0; x < gw; x++) {
        const v = field[y * 2 * w + x * 2];
        f[y * gw + x] = Math.max(0, Math.min(255, Math.round(20 + 110 * v * (0.45 + 0.55 * Math.sin(t * 0.9 + x * 0.11 + y * 0.07) ** 2))));
      }
    return f;
  });
  images.set('max-over-time', encodeGrayGif(gw, gh, frames, 25));
  // Cluster-sorted covariance: block structure plus noise (the worker draws no colour bars; the UI adds them).
  const n = 240,
    bar = 0,
    size = n + bar;
  const rgb = new Uint8Array(size * size * 3);
  const block = (i: number) => Math.min(k - 1, Math.floor((i / n) * k));
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      let r: number, g: number, b: number;
      if (x < bar || y < bar) {
        const c = CLUSTER_RGB[block(Math.max(0, (x < bar ? y : x) - bar)) % CLUSTER_RGB.length];
        [r, g, b] = x < bar && y < bar ? [255, 255, 255] : c;
      } else {
        const same = block(x - bar) === block(y - bar);
        const v = (same ? 0.6 : 0.05) + 0.3 * noise() - 0.15 + (x === y ? 0.4 : 0);
        const t = Math.max(-1, Math.min(1, v));
        // diverging blue-white-red
        r = t > 0 ? 255 : Math.round(255 * (1 + t));
        b = t < 0 ? 255 : Math.round(255 * (1 - t));
        g = Math.round(255 * (1 - Math.abs(t)));
      }
      rgb.set([r, g, b], (y * size + x) * 3);
    }
  images.set('covariance', encodePng(size, size, rgb));
  return images;
}

const CLUSTER_RGB: ReadonlyArray<[number, number, number]> = [
  [78, 121, 167],
  [242, 142, 43],
  [89, 161, 79],
  [225, 87, 89],
  [176, 122, 161],
  [118, 183, 178],
];

export function createInMemoryServices(opts: InMemoryOptions = {}): InMemoryServices {
  const realNow = opts.now ?? Date.now;
  let simOffset = 0;
  const now = () => realNow() + simOffset;
  const listeners = new Set<(e: AppEvent) => void>();
  const calls: Array<{ method: string; req: unknown }> = [];
  const emit = (e: AppEvent) => {
    for (const l of listeners) l(e);
  };
  const changed = (topic: Topic) => emit({ type: 'changed', topic });
  const t0 = now();
  /** The shipped table of 2025-06-01 and its age today (stale, as the real one is after 90 days). */
  const shippedPrices = () => {
    const ageDays = Math.max(0, Math.floor((now() - Date.UTC(2025, 5, 1)) / 86_400_000));
    return { source: 'shipped' as const, retrieved: '2025-06-01', ageDays, staleAfterDays: 90, stale: ageDays > 90 };
  };

  let settings: Settings = {
    mode: 'local',
    archiveDir: '/srv/scopecloud-archive',
    aws: null,
    watchedFolders: ['/data/acquisition/2P-rig-A'],
    bandwidthLimitBytesPerSec: null,
    firstRunComplete: true,
    theme: 'system',
    budget: { monthlyLimitUsd: 500, maxRuntimeHours: 8 },
    watch: { markerFile: 'acquisition.done', stableMs: 3000, polling: false, pollIntervalMs: 2000 },
    restoreDays: 3,
  };
  // ---- the bucket's rule for unfinished uploads (S3 destination) ----
  let lifecycleRule = false;
  const uploadLifecycle = (): UploadLifecycle => {
    if (settings.mode !== 'aws' || !settings.aws) return { state: 'local', where: null, days: null, rule: null, explanation: [] };
    const where = `s3://${settings.aws.bucket}/${settings.aws.prefix ? `${settings.aws.prefix.replace(/\/+$/, '')}/` : ''}`;
    return {
      state: lifecycleRule ? 'present' : 'absent',
      where,
      days: lifecycleRule ? 7 : null,
      rule: lifecycleRule ? `scopecloud-abort-incomplete-uploads/${where.slice(`s3://${settings.aws.bucket}/`.length)}` : null,
      explanation: [`S3 aborts every upload under ${where} still unfinished 7 days after it began.`, 'It never deletes a finished file.'],
    };
  };

  // ---- cold storage for raw files (S3 destination): 300 GiB of raw files older than any N ----
  let coldRule: { days: number; storageClass: string } | null = null;
  const coldStorage = (ask: { days: number; storageClass: 'GLACIER_IR' | 'GLACIER' | 'DEEP_ARCHIVE' }): ColdStorage => {
    if (settings.mode !== 'aws' || !settings.aws) return { state: 'local', rawPrefixes: [], rules: [], saving: null, explanation: [] };
    const prefix = `s3://${settings.aws.bucket}/${settings.aws.prefix ? `${settings.aws.prefix.replace(/\/+$/, '')}/` : ''}2P-rig-A/`;
    const price = { GLACIER_IR: 0.004, GLACIER: 0.0036, DEEP_ARCHIVE: 0.00099 }[ask.storageClass];
    return {
      state: coldRule ? 'present' : 'absent',
      rawPrefixes: [prefix],
      rules: coldRule ? [{ prefix, ...coldRule, enabled: true }] : [],
      saving: {
        ...ask,
        eligibleBytes: 300 * 2 ** 30,
        eligibleFiles: 120,
        perMonthUsd: 300 * (0.023 - price),
        minStorageDays: ask.storageClass === 'DEEP_ARCHIVE' ? 180 : 90,
        retrievalPerGbUsd: { GLACIER_IR: 0.03, GLACIER: 0.01, DEEP_ARCHIVE: 0.02 }[ask.storageClass],
        needsRestore: ask.storageClass !== 'GLACIER_IR',
      },
      explanation: [`This rule asks S3 to move raw acquisition files under ${prefix} to ${ask.storageClass} ${ask.days} days after upload.`],
    };
  };

  // ---- acquisition ----
  let paused = false;
  let nextFileId = 1;
  const files: FileItem[] = [];
  const session = '/data/acquisition/2P-rig-A/2025-03-14_mouse12_v1';
  const addFile = (name: string, sizeBytes: number, state: FileItem['state'], sent = 0, error: FileItem['error'] = null) => {
    files.unshift({
      id: `f${nextFileId++}`,
      path: `${session}/${name}`,
      session,
      sizeBytes,
      sentBytes: state === 'verified' ? sizeBytes : sent,
      state,
      error,
      updatedAt: now(),
    });
  };
  for (let i = 0; i < 12; i++) addFile(`file_${String(i).padStart(5, '0')}.tif`, 2 * GB, 'verified');
  addFile('file_00012.tif', 2 * GB, 'failed', 0.4 * GB, {
    code: 'file-unreadable',
    message: 'Permission denied reading the file; check its permissions, then press Retry.',
  });
  addFile('file_00013.tif', 2 * GB, 'uploading', 1.3 * GB);
  addFile('file_00014.tif', 2 * GB, 'uploading', 0.2 * GB);
  for (let i = 15; i < 24; i++) addFile(`file_${String(i).padStart(5, '0')}.tif`, 2 * GB, 'waiting');
  const pastSessions: SessionInfo[] = [
    {
      id: 's-mouse11',
      folder: '/data/acquisition/2P-rig-A/2025-03-12_mouse11_v2',
      files: 18,
      bytes: 18 * 2 * GB,
      closed: true,
      uploaded: true,
      verified: 18,
      failed: 0,
    },
    {
      id: 's-mouse11b',
      folder: '/data/acquisition/2P-rig-A/2025-03-13_mouse11_v3',
      files: 6,
      bytes: 6 * 2 * GB,
      closed: true,
      uploaded: false,
      verified: 5,
      failed: 1,
    },
  ];
  const history: Array<{ t: number; bytesPerSec: number }> = [];
  const jitter = seededRandom(5);
  let lastThroughput = 0;
  let bandwidthLimit: number | null = null;
  const folders = () =>
    settings.watchedFolders.map((p) => ({
      path: p,
      state: 'watching' as const,
      reason: null,
      since: t0,
      sessions: p === '/data/acquisition/2P-rig-A' ? 1 : 0,
      files: files.filter((f) => f.path.startsWith(p + '/')).length,
      error: null,
    }));

  function tickUploads(ms: number): void {
    if (ms <= 0) return;
    const capacity = paused ? 0 : Math.min(bandwidthLimit ?? Infinity, 110 * MB) * (ms / 1000);
    let budget = capacity;
    let moved = 0;
    for (const f of files)
      if (f.state === 'verifying') {
        f.state = 'verified';
        f.updatedAt = now();
      }
    let active = files.filter((f) => f.state === 'uploading');
    while (active.length < 2 && !paused) {
      const next = [...files].reverse().find((f) => f.state === 'waiting');
      if (!next) break;
      next.state = 'uploading';
      next.updatedAt = now();
      active = files.filter((f) => f.state === 'uploading');
    }
    for (const f of active) {
      const share = Math.min(budget / Math.max(1, active.length), f.sizeBytes - f.sentBytes);
      f.sentBytes += share;
      moved += share;
      budget -= 0;
      f.updatedAt = now();
      if (f.sentBytes >= f.sizeBytes) {
        f.sentBytes = f.sizeBytes;
        f.state = 'verifying';
      }
    }
    // A little jitter so the throughput chart looks like a real network.
    lastThroughput = (moved / (ms / 1000)) * (paused ? 1 : 0.9 + 0.2 * jitter());
    history.push({ t: now(), bytesPerSec: lastThroughput });
    if (history.length > 300) history.shift();
  }

  function acquisition(): Acquisition {
    const total = files.reduce((s, f) => s + f.sizeBytes, 0);
    const sent = files.reduce((s, f) => s + (f.state === 'failed' ? 0 : f.sentBytes), 0);
    const remaining = files.filter((f) => f.state !== 'failed').reduce((s, f) => s + f.sizeBytes - f.sentBytes, 0);
    return {
      target: settings.mode === 'aws' && settings.aws ? `s3://${settings.aws.bucket}/${settings.aws.prefix}` : settings.archiveDir,
      paused,
      bandwidthLimitBytesPerSec: bandwidthLimit,
      throughputBytesPerSec: lastThroughput,
      etaSeconds: lastThroughput > 0 ? remaining / lastThroughput : null,
      diskFull: null,
      totals: {
        files: files.length,
        verified: files.filter((f) => f.state === 'verified').length,
        failed: files.filter((f) => f.state === 'failed').length,
        bytes: total,
        sentBytes: sent,
      },
      history: history.slice(-120),
      folders: folders(),
      files: [...files].sort((a, b) => b.updatedAt - a.updatedAt).slice(0, 500),
    };
  }

  // ---- AWS Budgets set-up: the real planner over what this fake account holds ----
  const setups = new Map<string, ExistingSetup>();
  const noSetup: ExistingSetup = { budgets: [], actions: [], policyArn: null, roleArn: null, ownerTagActive: false, otherActionBudgets: 0 };
  const planSetup = (req: SetupRequest) => {
    if (settings.mode !== 'aws') {
      throw new ServiceError('NOT_CONFIGURED', 'AWS is not configured (needed for setting up AWS Budgets): switch the destination to Amazon S3 in Settings.');
    }
    try {
      return planBudgetSetup(req, setups.get(req.lab) ?? noSetup);
    } catch (e) {
      throw new ServiceError((e as { code: string }).code, (e as Error).message);
    }
  };
  const setupApplied = (r: SetupRequest, prev: ExistingSetup): ExistingSetup => {
    const asked = [
      { name: names.labBudget(r.lab), limitUsd: r.monthlyUsd, alerts: ALERTS },
      ...(r.perPerson?.owners ?? []).map((o) => ({ name: names.personBudget(r.lab, o), limitUsd: r.perPerson!.monthlyUsd, alerts: ALERTS })),
    ];
    return {
      budgets: [...prev.budgets.filter((b) => !asked.some((a) => a.name === b.name)), ...asked],
      actions: r.action
        ? [
            {
              budgetName: names.labBudget(r.lab),
              actionId: 'fake-action',
              approval: r.action.mode === 'automatic' ? 'AUTOMATIC' : 'MANUAL',
              users: r.action.users,
              roles: r.action.roles,
            },
          ]
        : prev.actions,
      policyArn: r.action ? `arn:aws:iam::123456789012:policy/${names.denyPolicy(r.lab)}` : prev.policyArn,
      roleArn: r.action ? `arn:aws:iam::123456789012:role/${names.actionRole(r.lab)}` : prev.roleArn,
      ownerTagActive: prev.ownerTagActive || r.perPerson !== null,
      otherActionBudgets: 0,
    };
  };

  // ---- instances ----
  const hour = 3_600_000;
  const instances: Instance[] = [
    {
      id: 'i-0a1b2c3d4e5f60718',
      name: 'suite-analysis-gpu',
      type: 'g5.xlarge',
      state: 'running',
      launchTime: t0 - 2.25 * hour,
      owner: 'maria',
      hourlyPrice: 1.006,
      accruedCost: 1.006 * 2.25,
      costAsOf: t0,
      launchedByApp: true,
      diskGb: 100,
      diskMonthly: 8,
      stoppedSince: null,
    },
    {
      id: 'i-0f9e8d7c6b5a40312',
      name: 'registration-cpu',
      type: 'c7i.4xlarge',
      state: 'running',
      launchTime: t0 - 0.6 * hour,
      owner: 'jon',
      hourlyPrice: 0.714,
      accruedCost: 0.714 * 0.6,
      costAsOf: t0,
      launchedByApp: true,
      diskGb: 100,
      diskMonthly: 8,
      stoppedSince: null,
    },
    {
      id: 'i-07766554433221100',
      name: 'old-notebook',
      type: 't3.large',
      state: 'stopped',
      launchTime: null,
      owner: 'maria',
      hourlyPrice: 0.0832,
      accruedCost: 4.12,
      costAsOf: t0,
      launchedByApp: true,
      diskGb: 100,
      diskMonthly: 8,
      stoppedSince: now() - 4 * 86_400_000,
    },
  ];
  const transitions: Array<{ at: number; id: string; state: Instance['state'] }> = [];
  const presets: Preset[] = [
    { id: 'cpu-small', label: 'CPU, small', type: 'c7i.2xlarge', vcpus: 8, memoryGiB: 16, gpus: 0, diskGiB: 200, hourlyPrice: 0.357, spot: false },
    { id: 'cpu-large', label: 'CPU, large', type: 'c7i.8xlarge', vcpus: 32, memoryGiB: 64, gpus: 0, diskGiB: 500, hourlyPrice: 1.428, spot: false },
    { id: 'gpu', label: 'GPU (A10G)', type: 'g5.xlarge', vcpus: 4, memoryGiB: 16, gpus: 1, diskGiB: 200, hourlyPrice: 1.006, spot: false },
  ];
  const settle = (i: Instance) => {
    if (i.state === 'running' && i.launchTime !== null && i.hourlyPrice !== null) {
      i.accruedCost += (i.hourlyPrice * (now() - i.costAsOf)) / hour;
    }
    i.costAsOf = now();
  };
  function tickInstances(): void {
    let any = false;
    for (const tr of transitions.filter((t) => t.at <= now())) {
      const i = instances.find((x) => x.id === tr.id);
      if (i) {
        settle(i);
        i.state = tr.state;
        if (tr.state === 'running') i.launchTime = now();
        if (tr.state === 'stopped' || tr.state === 'terminated') i.launchTime = null;
        any = true;
      }
      transitions.splice(transitions.indexOf(tr), 1);
    }
    if (any) {
      changed('instances');
      changed('status');
    }
  }
  const findInstance = (id: string) => {
    const i = instances.find((x) => x.id === id);
    if (!i) throw new ServiceError('UNKNOWN_INSTANCE', `No instance ${id} in this account and region.`);
    return i;
  };
  function explain(i: Instance, action: InstanceAction): ActionExplanation {
    const price = i.hourlyPrice === null ? 'its hourly price' : `$${i.hourlyPrice.toFixed(3)}/h`;
    const label = `${i.name} (${i.id})`;
    switch (action) {
      case 'start':
        return {
          action,
          what: `Starts ${label}, a ${i.type}.`,
          cost: `Compute billing resumes at ${price}, whether or not you are connected.`,
          lost: [],
          confirmation: 'none',
          confirmText: null,
        };
      case 'stop':
        return {
          action,
          what: `Shuts down ${label}; it can be started again later.`,
          cost: `Compute billing (${price}) stops. Its disks are kept and still billed while it is stopped.`,
          lost: ['everything in memory (unsaved work, running jobs)', 'its public IP address'],
          confirmation: 'yes',
          confirmText: null,
        };
      case 'reboot':
        return {
          action,
          what: `Restarts ${label}.`,
          cost: 'Billing continues unchanged.',
          lost: ['everything in memory (unsaved work, running jobs)'],
          confirmation: 'yes',
          confirmText: null,
        };
      case 'terminate':
        return {
          action,
          what: `Destroys ${label} permanently.`,
          cost: 'All billing for it stops, including its root disk.',
          lost: ['the instance itself: it cannot be started again', 'its root disk and everything on it'],
          confirmation: 'name',
          confirmText: i.name,
        };
    }
  }

  // ---- budget ----
  /** The real guard's refusal without a limit, for `what`. */
  const noLimit = (what: string) => noSpendLimit(what, null).message;
  const budget = (): Budget => {
    const running = instances.filter((i) => i.state === 'running').reduce((s, i) => s + (i.hourlyPrice ?? 0), 0);
    const mtd = 312.4 + instances.reduce((s, i) => s + i.accruedCost, 0) - 7;
    const limit = settings.budget.monthlyLimitUsd;
    const forecast = mtd + running * 24 * 12;
    const daily =
      ceFetchedAt === null
        ? []
        : Array.from({ length: 14 }, (_, d) => ({ date: `2025-03-${String(d + 1).padStart(2, '0')}`, amount: 12 + 18 * Math.abs(Math.sin(d * 1.7)) }));
    const state = limit === null ? 'blocked' : forecast > limit ? 'warning' : 'ok';
    return {
      currency: 'USD',
      asOf: now(),
      monthToDate: mtd,
      forecast,
      limit,
      thresholds: [50, 80, 100].map((p) => ({ percent: p, crossed: limit !== null && mtd >= (limit * p) / 100 })),
      guard: {
        state,
        remaining: limit === null ? null : limit - mtd,
        message:
          limit === null
            ? 'No monthly limit is set, so launches and EC2 analyses are refused until one is.'
            : state === 'ok'
              ? 'Launches are allowed while projected spend stays under the budget.'
              : `At the current rate this month ends near $${forecast.toFixed(0)}, above the $${limit} budget.`,
      },
      byService: [
        { name: 'EC2 compute', amount: mtd * 0.71 },
        { name: 'S3 storage', amount: mtd * 0.18 },
        { name: 'EBS volumes', amount: mtd * 0.08 },
        { name: 'Data transfer', amount: mtd * 0.03 },
      ],
      byOwner: [
        { name: 'maria', amount: mtd * 0.56 },
        { name: 'jon', amount: mtd * 0.31 },
        { name: '(untagged)', amount: mtd * 0.13 },
      ],
      daily,
      costExplorer: { fetchedAt: ceFetchedAt, nextRefreshAt: ceFetchedAt === null ? null : ceFetchedAt + CE_MIN_INTERVAL_MS, requestCost: 0.01 },
      overrides: { shared: true, location: 's3://lab-bucket/budget/overrides/', error: null, list: [...overrideLog].reverse() },
    };
  };
  /** The shared override log (newest last): one from another workstation, then this one's. */
  const overrideLog: Budget['overrides']['list'] = [
    {
      at: now() - 3 * 86_400_000,
      action: 'launch',
      subject: 'gpu',
      by: 'jon',
      identity: 'arn:aws:iam::123456789012:user/jon',
      host: 'rig-2',
      reason: 'grant deadline: figure 3 reruns',
      projected: 531.2,
      limit: 500,
    },
  ];
  /** Simulated Cost Explorer: never asked until a refresh, then not again within its minimum interval. */
  let ceFetchedAt: number | null = null;
  let ceRequests = 0;
  const CE_MIN_INTERVAL_MS = 10 * 60_000;
  let profileExists = false;

  // ---- analyses and results ----
  const results = new Map<string, Result>();
  const analyses: Analysis[] = [];
  const STEPS = ['register', 'detect', 'extract', 'deconvolve', 'cluster', 'project'];
  function makeResult(id: string, count: number, seed: number): void {
    const rois = syntheticRois(count, seed);
    results.set(id, {
      rois,
      seed,
      images: makeImages(rois, 4, seed),
      summary: {
        id,
        roiCount: count,
        planes: rois.planes,
        planeSpacing: 6,
        planeSpacingSource: 'assumed',
        zStep: null,
        voxelDisagreement: null,
        width: 512,
        height: 512,
        traceLength: 1200,
        fs: 30,
        clusters: 4,
        images: [
          { name: 'first-frame', label: 'First frame', mime: 'image/png' },
          { name: 'mean', label: 'Mean projection', mime: 'image/png' },
          { name: 'max', label: 'Max projection', mime: 'image/png' },
          { name: 'std', label: 'Std projection', mime: 'image/png' },
          { name: 'max-over-time', label: 'Max over time', mime: 'image/gif' },
          { name: 'covariance', label: 'Covariance (cluster-sorted)', mime: 'image/png' },
        ],
      },
    });
  }
  const demoId = 'a-2025-03-14-mouse12';
  analyses.push({
    id: demoId,
    name: 'mouse12 whole-brain',
    source: session,
    where: 'ec2',
    status: 'done',
    steps: STEPS.map((name) => ({ name, done: 100, total: 100 })),
    startedAt: t0 - 5 * hour,
    finishedAt: t0 - 4 * hour,
    error: null,
    stage: null,
    demo: false,
  });
  makeResult(demoId, opts.roiCount ?? 100_000, 12);
  analyses.push({
    id: 'a-2025-03-15-mouse13',
    name: 'mouse13 plane 1-10',
    source: '/data/acquisition/2P-rig-A/2025-03-15_mouse13',
    where: 'local',
    status: 'running',
    steps: STEPS.map((name, i) => ({ name, done: i < 2 ? 100 : i === 2 ? 35 : 0, total: 100 })),
    startedAt: t0 - 0.3 * hour,
    finishedAt: null,
    error: null,
    stage: 'running',
    demo: false,
  });
  const logs = new Map<string, string[]>([
    [demoId, ['worker 0.1.0', 'register: 6000 frames, rigid + non-rigid', 'detect: 100000 ROIs', 'cluster: k=4', 'done in 58 min']],
  ]);
  let nextAnalysis = 1;

  function tickAnalyses(ms: number): void {
    let any = false;
    for (const a of analyses) {
      if (a.status !== 'running') continue;
      const step = a.steps.find((s) => s.done < s.total);
      if (!step) {
        a.status = 'done';
        a.finishedAt = now();
        a.stage = null;
        any = true;
        if (!results.has(a.id)) makeResult(a.id, 2000, 99 + analyses.indexOf(a));
        changed('results');
        emit({ type: 'notification', level: 'info', title: 'Analysis finished', body: `${a.name} is ready to view.` });
        continue;
      }
      step.done = Math.min(step.total, step.done + ms / 40);
      any = true;
    }
    if (any) changed('analyses');
  }

  function status(): Status {
    const running = instances.filter((i) => i.state === 'running');
    const b = budget();
    return {
      version: '0.1.0',
      mode: settings.mode,
      target: acquisition().target,
      currency: 'USD',
      uploads: {
        active: files.filter((f) => f.state === 'uploading' || f.state === 'verifying').length,
        queued: files.filter((f) => f.state === 'waiting').length,
        failed: files.filter((f) => f.state === 'failed').length,
        paused,
        unwatchedFolders: 0,
      },
      instances: { running: running.length, hourlyBurn: running.reduce((s, i) => s + (i.hourlyPrice ?? 0), 0) },
      budget: { monthToDate: b.monthToDate, limit: b.limit, state: b.guard.state },
      analyses: {
        running: analyses.filter((a) => a.status === 'running' && a.stage !== 'restoring').length,
        restoring: analyses.filter((a) => a.stage === 'restoring').length,
      },
    };
  }

  // The lab's archive: older sessions moved to colder classes, plus what the fake has verified.
  let storageListedAt: number | null = null;
  /** Sessions assigned by hand (assignSessions): session folder → owner. */
  const storageAssigned = new Map<string, string>();
  function storageCost(refresh: boolean) {
    if (refresh || storageListedAt === null) storageListedAt = now();
    const aws = settings.mode === 'aws' && settings.aws;
    const verified = files.filter((f) => f.state === 'verified').reduce((n, f) => n + f.sizeBytes, 0);
    const byClass = aws
      ? [
          { storageClass: 'DEEP_ARCHIVE', bytes: 8200 * GB, objects: 41_300 },
          { storageClass: 'STANDARD', bytes: 1450 * GB + verified, objects: 7_210 },
          { storageClass: 'STANDARD_IA', bytes: 380 * GB, objects: 1_904 },
        ]
      : [{ storageClass: 'STANDARD', bytes: 1450 * GB + verified, objects: 7_210 }];
    const totalBytes = byClass.reduce((n, c) => n + c.bytes, 0);
    const usage = {
      kind: aws ? ('s3' as const) : ('local' as const),
      location: aws ? `s3://${aws.bucket}/${aws.prefix ? `${aws.prefix.replace(/\/+$/, '')}/` : ''}` : settings.archiveDir,
      method: aws ? ('list-objects-v2' as const) : ('local-disk' as const),
      listedAt: storageListedAt,
      byClass,
      totalBytes,
      totalObjects: byClass.reduce((n, c) => n + c.objects, 0),
    };
    const rate = { bytesPerDay: 96 * GB, verifiedBytes: 672 * GB, windowDays: 7 };
    const prices = loadPriceTable();
    const region = aws ? settings.aws!.region : '';
    const owners = attributeBytes(
      [
        { folder: 'rig1/maria/2026-11-30', byClass: byClass.map((c) => ({ ...c, bytes: Math.round(c.bytes * 0.6), objects: Math.round(c.objects * 0.6) })) },
        {
          folder: 'jobs/j-20261201-101500-lee1',
          byClass: byClass.map((c) => ({ ...c, bytes: Math.round(c.bytes * 0.3), objects: Math.round(c.objects * 0.3) })),
        },
        {
          folder: 'rig1/old',
          byClass: byClass.map((c) => ({
            ...c,
            bytes: c.bytes - Math.round(c.bytes * 0.6) - Math.round(c.bytes * 0.3),
            objects: c.objects - Math.round(c.objects * 0.6) - Math.round(c.objects * 0.3),
          })),
        },
      ],
      new Map([['rig1/maria/2026-11-30', 'maria'], ['jobs/j-20261201-101500-lee1', 'lee'], ...storageAssigned]),
    );
    const bill = storageBill({ usage, prices, region: aws ? region : 'us-east-1', bytesPerDay: rate.bytesPerDay, rateWindowDays: 7, now: now(), owners });
    return toStorageCost(
      {
        usage,
        fromCache: !refresh,
        error: null,
        bill,
        rate,
        region,
        pricesLabel: `shipped table of ${prices.retrieved}`,
        nextListingAt: storageListedAt + 6 * 3_600_000,
        attribution: { text: ATTRIBUTION_TEXT, error: null },
        unattributedSessions: storageAssigned.has('rig1/old')
          ? []
          : [
              {
                session: 'rig1/old',
                bytes: owners.find((o) => o.owner === 'unattributed')?.bytes ?? 0,
                objects: owners.find((o) => o.owner === 'unattributed')?.objects ?? 0,
              },
            ],
      },
      usage.kind,
      'USD',
    );
  }

  const log = (method: string, req: unknown) => {
    calls.push({ method, req });
  };
  const ok = { ok: true as const };

  function tick(ms: number): void {
    simOffset += 0; // real time already advances; the offset exists for injected clocks
    tickUploads(ms);
    tickInstances();
    tickAnalyses(ms);
    changed('acquisition');
    changed('status');
  }

  const getResult = (id: string) => {
    const r = results.get(id);
    if (!r) throw new ServiceError('NO_RESULTS', `Analysis ${id} has no results yet.`);
    return r;
  };
  /** Curation per result: the worker's labels, records so far, and each action's labels before it (for undo). */
  const curations = new Map<string, { worker: Uint8Array; records: number; undo: Array<Array<[number, number]>> }>();
  const curationOf = (id: string) => {
    const r = getResult(id);
    r.rois.iscell ??= Uint8Array.from(r.rois.clusters, (k) => (k !== 255 ? 1 : 0));
    let c = curations.get(id);
    if (!c) curations.set(id, (c = { worker: r.rois.iscell.slice(), records: 0, undo: [] }));
    return { labels: r.rois.iscell, c };
  };
  const curationState = (labels: Uint8Array, c: { worker: Uint8Array; records: number }) => ({
    records: c.records,
    cells: labels.filter((v) => v === 1).length,
    changed: labels.filter((v, i) => v !== c.worker[i]).length,
  });

  const services: InMemoryServices = {
    calls,
    tick,
    dispose() {
      listeners.clear();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async getStatus() {
      return status();
    },
    async getSettings() {
      return settings;
    },
    async saveSettings(patch) {
      log('saveSettings', patch);
      if (patch.mode === 'aws' && !(patch.aws ?? settings.aws))
        throw new ServiceError('INVALID_SETTINGS', 'aws: choose a profile, region and bucket first.', 'aws');
      if (patch.archiveDir !== undefined && !patch.archiveDir.startsWith('/'))
        throw new ServiceError('INVALID_SETTINGS', 'archiveDir: must be an absolute path.', 'archiveDir');
      settings = { ...settings, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as Settings;
      changed('settings');
      changed('status');
      return settings;
    },
    async listAwsProfiles() {
      return { profiles: ['default', 'lab-admin', 'maria-sso'], defaultRegion: 'eu-west-1' };
    },
    async checkAwsSettings(req) {
      log('checkAwsSettings', req);
      const problems: Array<{ field: string; message: string }> = [];
      if (!['default', 'lab-admin', 'maria-sso'].includes(req.profile))
        problems.push({ field: 'profile', message: `No profile named "${req.profile}" in ~/.aws/config.` });
      if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(req.region))
        problems.push({ field: 'region', message: `"${req.region}" is not an AWS region name (for example eu-west-1).` });
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(req.bucket))
        problems.push({ field: 'bucket', message: 'Bucket names are 3-63 lowercase letters, digits, dots and hyphens.' });
      else if (req.bucket !== 'lab-scopecloud')
        problems.push({ field: 'bucket', message: `Bucket "${req.bucket}" does not exist or these credentials cannot reach it.` });
      return {
        ok: problems.length === 0,
        identity: problems.some((p) => p.field === 'profile') ? null : `arn:aws:iam::123456789012:user/${req.profile}`,
        problems,
      };
    },
    async checkLocalArchive(req) {
      return req.archiveDir.startsWith('/')
        ? { ok: true, problems: [] }
        : { ok: false, problems: [{ field: 'archiveDir', message: 'Give an absolute path, for example /srv/archive.' }] };
    },
    async getUploadLifecycle() {
      return uploadLifecycle();
    },
    async addUploadLifecycleRule(req) {
      log('addUploadLifecycleRule', req);
      if (settings.mode === 'aws') lifecycleRule = true;
      changed('settings');
      return uploadLifecycle();
    },
    async getColdStorage(req) {
      return coldStorage(req);
    },
    async applyColdStorage(req) {
      log('applyColdStorage', req);
      if (settings.mode === 'aws') coldRule = { days: req.days, storageClass: req.storageClass };
      changed('settings');
      return coldStorage(req);
    },
    async removeColdStorage(req) {
      log('removeColdStorage', req);
      coldRule = null;
      changed('settings');
      return coldStorage(req);
    },

    async getAcquisition() {
      return acquisition();
    },
    async addWatchedFolder(req) {
      log('addWatchedFolder', req);
      if (!settings.watchedFolders.includes(req.path)) settings = { ...settings, watchedFolders: [...settings.watchedFolders, req.path] };
      changed('acquisition');
      return ok;
    },
    async removeWatchedFolder(req) {
      settings = { ...settings, watchedFolders: settings.watchedFolders.filter((p) => p !== req.path) };
      changed('acquisition');
      return ok;
    },
    async pauseUploads() {
      log('pauseUploads', null);
      paused = true;
      changed('acquisition');
      return ok;
    },
    async resumeUploads() {
      log('resumeUploads', null);
      paused = false;
      changed('acquisition');
      return ok;
    },
    async setBandwidthLimit(req) {
      log('setBandwidthLimit', req);
      bandwidthLimit = req.bytesPerSec;
      changed('acquisition');
      return ok;
    },
    async retryFile(req) {
      log('retryFile', req);
      const f = files.find((x) => x.id === req.id);
      if (!f) throw new ServiceError('INVALID_OPTION', `No file with id ${req.id}.`, 'id');
      if (f.state !== 'failed') throw new ServiceError('not-failed', `${f.path} has not failed; nothing to retry.`);
      f.state = 'waiting';
      f.error = null;
      f.sentBytes = 0;
      f.updatedAt = now();
      changed('acquisition');
      return ok;
    },
    async listSessions(): Promise<{ sessions: SessionInfo[] }> {
      const live: SessionInfo = {
        id: 's-mouse12',
        folder: session,
        files: files.length,
        bytes: files.reduce((s, f) => s + f.sizeBytes, 0),
        closed: false,
        uploaded: false,
        verified: files.filter((f) => f.state === 'verified').length,
        failed: files.filter((f) => f.state === 'failed').length,
      };
      return { sessions: [...pastSessions, live] };
    },

    async listInstances() {
      for (const i of instances) settle(i);
      return { currency: 'USD', asOf: now(), instances: instances.filter((i) => i.state !== 'terminated').map((i) => ({ ...i })), prices: shippedPrices() };
    },
    async explainAction(req) {
      return explain(findInstance(req.id), req.action);
    },
    async instanceAction(req) {
      log('instanceAction', req);
      const i = findInstance(req.id);
      const allowed: Record<InstanceAction, Instance['state'][]> = {
        start: ['stopped'],
        stop: ['running', 'pending'],
        reboot: ['running'],
        terminate: ['running', 'stopped', 'pending', 'stopping'],
      };
      if (!allowed[req.action].includes(i.state)) throw new ServiceError('wrong-state', `${i.name} is ${i.state}; it cannot ${req.action} now.`);
      if (req.action === 'terminate' && req.confirmText !== i.name && req.confirmText !== i.id) {
        throw new ServiceError('CONFIRMATION_REQUIRED', `Type the instance name (${i.name}) to confirm termination.`);
      }
      settle(i);
      const next: Record<InstanceAction, [Instance['state'], Instance['state']]> = {
        start: ['pending', 'running'],
        stop: ['stopping', 'stopped'],
        reboot: ['running', 'running'],
        terminate: ['shutting-down', 'terminated'],
      };
      i.state = next[req.action][0];
      transitions.push({ at: now() + 2500, id: i.id, state: next[req.action][1] });
      changed('instances');
      changed('status');
      return { id: i.id, state: i.state };
    },
    async listPresets() {
      return { presets };
    },
    async checkLaunch(req) {
      const p = presets.find((x) => x.id === req.presetId);
      if (!p) throw new ServiceError('unknown-preset', `No preset ${req.presetId}.`);
      const b = budget();
      const projected = p.hourlyPrice * req.plannedHours;
      if (b.limit === null) return { allowed: false, projectedCost: projected, remaining: null, message: noLimit(`launch ${p.id}`), refusal: 'NO_SPEND_LIMIT' };
      const remaining = b.limit - b.monthToDate;
      const allowed = projected <= remaining;
      return {
        allowed,
        projectedCost: projected,
        remaining,
        message: allowed
          ? `Projected $${projected.toFixed(2)} fits in the remaining $${remaining.toFixed(2)}.`
          : `Projected $${projected.toFixed(2)} exceeds the remaining $${remaining.toFixed(2)} of this month's budget.`,
        refusal: allowed ? null : 'BUDGET_EXCEEDED',
      };
    },
    async launchInstance(req) {
      log('launchInstance', req);
      const check = await services.checkLaunch({ presetId: req.presetId, plannedHours: req.plannedHours });
      if (check.refusal === 'NO_SPEND_LIMIT') throw new ServiceError('NO_SPEND_LIMIT', check.message);
      if (!check.allowed && !req.override) throw new ServiceError('BUDGET_EXCEEDED', check.message);
      if (!check.allowed) {
        const b = budget();
        overrideLog.push({
          at: now(),
          action: 'launch',
          subject: req.presetId,
          by: 'you',
          identity: 'arn:aws:iam::123456789012:user/you',
          host: 'rig-1',
          reason: 'confirmed in the ScopeCloud launch dialog',
          projected: b.monthToDate + check.projectedCost,
          limit: b.limit,
        });
        changed('budget');
      }
      const p = presets.find((x) => x.id === req.presetId)!;
      const id = `i-${(0x1000000 + instances.length * 7919).toString(16).padStart(17, '0')}`;
      instances.push({
        id,
        name: req.name,
        type: p.type,
        state: 'pending',
        launchTime: null,
        owner: 'you',
        hourlyPrice: p.hourlyPrice,
        accruedCost: 0,
        costAsOf: now(),
        launchedByApp: true,
        diskGb: 100,
        diskMonthly: 8,
        stoppedSince: null,
        spot: req.market === 'spot',
      });
      transitions.push({ at: now() + 2500, id, state: 'running' });
      changed('instances');
      return { id };
    },

    async getBudgetSetupOwners() {
      return { owners: [...new Set(instances.map((i) => i.owner))].sort() };
    },
    async planBudgetSetup(req) {
      return toUiPlan(planSetup(req));
    },
    async applyBudgetSetup(req) {
      log('applyBudgetSetup', req);
      const before = planSetup(req.request);
      setups.set(req.request.lab, setupApplied(req.request, setups.get(req.request.lab) ?? noSetup));
      changed('budget');
      return { done: before.steps.map((s) => `created ${s.label}`), notes: [], plan: toUiPlan(planSetup(req.request)) };
    },
    async removeBudgetSetup(req) {
      log('removeBudgetSetup', req);
      const had = setups.get(req.lab);
      setups.delete(req.lab);
      changed('budget');
      return { removed: had ? had.budgets.map((b) => `deleted budget ${b.name} and its alerts`) : [] };
    },
    async getBudget() {
      return budget();
    },
    async refreshBudget() {
      log('refreshBudget', null);
      if (ceFetchedAt === null || now() - ceFetchedAt >= CE_MIN_INTERVAL_MS) {
        ceFetchedAt = now();
        ceRequests++;
      }
      changed('budget');
      return budget();
    },

    async refreshPrices() {
      log('refreshPrices', null);
      return {
        ok: false,
        message:
          'Prices not refreshed: your AWS identity may not read the Pricing API (AccessDeniedException; it needs pricing:GetProducts); keeping the shipped table of 2025-06-01.',
        prices: shippedPrices(),
      };
    },

    async getStorageCost() {
      return storageCost(false);
    },
    async refreshStorageCost() {
      log('refreshStorageCost', null);
      return storageCost(true);
    },
    async assignSessions(req) {
      log('assignSessions', req);
      const owner = checkPerson(req.owner);
      const unnamed = ['rig1/old'];
      const sessions = chooseSessions({
        scope: req.scope,
        key: req.key,
        unnamed,
        unattributed: unnamed.filter((x) => !storageAssigned.has(x)),
        named: new Map([['rig1/maria/2026-11-30', 'maria']]),
        location: 'the fake archive',
      });
      for (const x of sessions) storageAssigned.set(x, owner);
      changed('budget');
      return { assigned: sessions, storage: storageCost(false) };
    },

    async listAnalyses() {
      return { analyses: analyses.map((a) => ({ ...a, steps: a.steps.map((s) => ({ ...s })) })) };
    },
    async planAnalysisRestore(req) {
      log('planAnalysisRestore', req);
      // the fake's sessions are never in a cold class
      return { objects: 0, bytes: 0, ongoing: 0, tiers: [], restoredCopyUsd: null, days: 1 };
    },
    async planResultsRestore(req) {
      log('planResultsRestore', req);
      // the fake's results are never in a cold class
      return { offer: { objects: 0, bytes: 0, ongoing: 0, tiers: [], restoredCopyUsd: 0, days: settings.restoreDays }, pending: null };
    },
    async restoreResults(req) {
      log('restoreResults', req);
      if (req.consent !== true) throw new ServiceError('CONSENT_REQUIRED', 'Restoring results from cold storage is billed: it needs your consent.', 'consent');
      throw new ServiceError('INVALID_INPUT', 'these results are readable: nothing to restore', 'id');
    },
    async launchAnalysis(req) {
      log('launchAnalysis', req);
      if (req.where === 'ec2') {
        if (settings.budget.monthlyLimitUsd === null) throw new ServiceError('NO_SPEND_LIMIT', noLimit(`launch analysis ${req.name || 'analysis'}`));
        if (!profileExists && req.consentToCreateProfile !== true) {
          throw new ServiceError(
            'CONSENT_REQUIRED',
            'EC2 analyses need the IAM instance profile scopecloud-analysis, which does not exist yet: agree to create it (a role that may only read s3://lab-scopecloud/scopecloud/* and write s3://lab-scopecloud/scopecloud/jobs/*)',
          );
        }
        profileExists = true;
      }
      const id = `a-new-${nextAnalysis++}`;
      const source = req.source.kind === 'local' ? req.source.path : req.source.sessionId;
      analyses.unshift({
        id,
        name: req.name || source.split('/').pop() || id,
        source,
        where: req.where,
        status: 'running',
        steps: STEPS.map((name) => ({ name, done: 0, total: 100 })),
        startedAt: now(),
        finishedAt: null,
        error: null,
        stage: 'running',
        demo: false,
      });
      logs.set(id, [`queued ${source}`]);
      changed('analyses');
      return { id };
    },
    async cancelAnalysis(req) {
      const a = analyses.find((x) => x.id === req.id);
      if (!a) throw new ServiceError('JOB_NOT_FOUND', `No analysis ${req.id}.`);
      if (a.status !== 'running' && a.status !== 'queued') throw new ServiceError('not-running', `${a.name} is ${a.status}; nothing to cancel.`);
      a.status = 'cancelled';
      a.finishedAt = now();
      a.stage = null;
      changed('analyses');
      return ok;
    },
    async dismissAnalysis(req) {
      const i = analyses.findIndex((x) => x.id === req.id);
      if (i < 0) throw new ServiceError('JOB_NOT_FOUND', `No analysis ${req.id}.`);
      if (analyses[i].status !== 'failed' && analyses[i].status !== 'cancelled')
        throw new ServiceError('JOB_NOT_FAILED', `${analyses[i].name} is ${analyses[i].status}: only a failed or cancelled analysis can be dismissed.`);
      analyses.splice(i, 1);
      changed('analyses');
      return ok;
    },
    async getAnalysisLog(req) {
      if (!analyses.some((a) => a.id === req.id)) throw new ServiceError('JOB_NOT_FOUND', `No analysis ${req.id}.`);
      return { lines: logs.get(req.id) ?? [] };
    },
    async listResults() {
      const cells = (id: string) => {
        const r = results.get(id);
        return r ? r.rois.clusters.filter((k) => k !== 255).length : null;
      };
      return {
        results: analyses
          .filter((a) => a.status === 'done')
          .map((a) => {
            const curated = (curations.get(a.id)?.records ?? 0) > 0;
            const count = curated ? results.get(a.id)!.rois.iscell!.filter((v) => v === 1).length : cells(a.id);
            return { id: a.id, name: a.name, source: a.source, finishedAt: a.finishedAt ?? a.startedAt, cells: count, curated, demo: a.demo };
          }),
      };
    },
    async getResultSummary(req) {
      return getResult(req.id).summary;
    },
    async getRoiArrays(req) {
      return getResult(req.id).rois;
    },
    async curateRois(req) {
      const { labels, c } = curationOf(req.id);
      if (req.rois.length === 0) throw new ServiceError('UNKNOWN_ROI', 'no ROI given');
      const bad = req.rois.find((roi) => roi >= labels.length);
      if (bad !== undefined)
        throw new ServiceError('UNKNOWN_ROI', `ROI ${bad} does not exist (the results have ${labels.length} ROIs, 0–${labels.length - 1})`);
      const rois = [...new Set(req.rois)];
      c.undo.push(rois.map((roi) => [roi, labels[roi]]));
      for (const roi of rois) labels[roi] = req.iscell ? 1 : 0;
      c.records += rois.length;
      return curationState(labels, c);
    },
    async undoCuration(req) {
      const { labels, c } = curationOf(req.id);
      const last = c.undo.pop();
      if (!last) throw new ServiceError('INVALID_INPUT', 'no curation left to undo');
      for (const [roi, v] of last) labels[roi] = v;
      c.records += last.length;
      return curationState(labels, c);
    },
    async getTrace(req) {
      const r = getResult(req.id);
      if (req.roi >= r.rois.count) throw new ServiceError('unknown-roi', `ROI ${req.roi} is out of range (0-${r.rois.count - 1}).`);
      const T = r.summary.traceLength;
      const cluster = r.rois.clusters[req.roi];
      const shared = seededRandom(r.seed * 31 + cluster);
      const own = seededRandom(r.seed * 7919 + req.roi);
      const out = new Float32Array(T);
      let a = 0,
        b = 0;
      for (let t = 0; t < T; t++) {
        if (shared() < 0.01) a += 1.2;
        if (own() < 0.006) b += 0.8;
        a *= 0.95;
        b *= 0.95;
        out[t] = a + b + (own() - 0.5) * 0.15;
      }
      return out;
    },
    async getRoiDetail(req) {
      const r = getResult(req.id);
      if (req.roi >= r.rois.count) throw new ServiceError('UNKNOWN_ROI', `ROI ${req.roi} is out of range (0-${r.rois.count - 1})`);
      const dff = await services.getTrace(req);
      const { labels, c } = curationOf(req.id);
      const F = dff.map((v) => 400 + 120 * v);
      const Fneu = dff.map((v, t) => 250 + 20 * v + 10 * Math.sin(t / 40));
      const spks = dff.map((v, t) => Math.max(0, v - (t > 0 ? dff[t - 1] * 0.95 : 0)));
      const npix = r.rois.sizes[req.roi];
      return {
        roi: req.roi,
        plane: r.rois.centroids[req.roi * 3 + 2],
        x: r.rois.centroids[req.roi * 3],
        y: r.rois.centroids[req.roi * 3 + 1],
        score: (r.rois.scores?.[req.roi] ?? 0) / 255,
        workerIscell: c.worker[req.roi] === 1,
        iscell: labels[req.roi] === 1,
        features: [
          { name: 'npix', value: npix },
          { name: 'radius', value: Math.sqrt(npix / Math.PI) },
          { name: 'aspect_ratio', value: 1 + (req.roi % 7) / 10 },
          { name: 'compact', value: 1 + (req.roi % 5) / 20 },
          { name: 'skew', value: 1 + (req.roi % 11) / 3 },
          { name: 'std', value: 0.2 + (req.roi % 3) / 10 },
        ],
        F,
        Fneu,
        dff,
        spks,
      };
    },
    async getActivity(req) {
      const r = getResult(req.id);
      return syntheticActivity(r.rois, r.seed, r.summary.traceLength, req.bins);
    },
    async getPlaneAnatomy(req) {
      const r = getResult(req.id);
      if (req.plane >= r.summary.planes) throw new ServiceError('UNKNOWN_IMAGE', `plane ${req.plane} is out of range (this result has ${r.summary.planes}).`);
      return syntheticAnatomy(r.rois, r.summary.width, r.summary.height, req.plane, req.kind, r.seed);
    },
    async getResultImage(req) {
      const img = getResult(req.id).images.get(req.name);
      if (!img) throw new ServiceError('unknown-image', `No image "${req.name}" in this result.`);
      return img;
    },
  };
  return services;
}
