/**
 * Results a scientist can take elsewhere (issue #18, points 3 and 5), on a real worker run of a
 * synthetic two-plane movie: each plane's suite2p folder read back by NumPy and compared in
 * structure with real suite2p output (../shared/data/suite2p-output-format/plane0; suite2p 1.x's
 * db.npy/settings.npy, merged, against that output's ops.npy), loaded by
 * suite2p's own code where suite2p is installed; a curation edited in suite2p (its iscell.npy,
 * changed by NumPy here) imported back; traces.csv against rois.json and dff.npy; README.txt
 * naming every file of the folder.
 */
import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { WORKER_BINARY, runCli, workerMissing } from '../../support/cli.ts';
import { optional, pythonModuleMissing, requires } from '../../support/requirements.ts';
import { sharedData, sharedDataMissing } from '../../support/shared-data.ts';
import { parseNpy } from '../../../main/results/npy.ts';
import { CurationError, importSuite2pCuration, readCuration, readSuite2pCuration } from '../../../main/results/suite2p-curation.ts';
import { RESULT_FILES, SUITE2P_PLANE_FILES, roiList, suite2pPlaneDir, type RoiRecord } from '../../../main/results/worker-contract.ts';
import { effectiveIscell } from '../../../main/results/curation.ts';
import { exportCuratedSuite2p } from '../../../main/results/suite2p-export.ts';

const skip = requires(workerMissing(), pythonModuleMissing('numpy'));
const skipReal = requires(workerMissing(), pythonModuleMissing('numpy'), sharedDataMissing('suite2p-output-format/plane0/stat.npy'));
// suite2p (with torch) is too heavy for CI: this check is listed in .ci/expected-skips.
const skipSuite2p = optional(skipReal, skipReal ? false : suite2pLoaderMissing());

/**
 * Why suite2p's own loader cannot be used here, or false: suite2p not installed, or the installed
 * version cannot load real suite2p output either (0.14.5 and 0.14.6 fail on every one-channel
 * folder: they print meanImg_chan2 unconditionally), so the check could tell nothing.
 */
function suite2pLoaderMissing(): string | false {
  if (spawnSync('python3', ['-c', 'import suite2p'], { stdio: 'ignore' }).status !== 0)
    return 'suite2p is not installed (pip install suite2p to load the folders with its own code)';
  const real = loadWithSuite2p(sharedData('suite2p-output-format'));
  return real.error ? `suite2p ${real.version} cannot load real suite2p output either (${real.error})` : false;
}

interface Suite2pLoad {
  version: string;
  n: number;
  F: number[];
  iscell: number;
  error?: string;
}

/**
 * A suite2p folder loaded by suite2p.io.combined, what the GUI runs to open a multi-plane folder
 * (suite2p 0.x, ops.npy). It writes combined/ into the folder it reads, so it reads a copy.
 */
function loadWithSuite2p(folder: string): Suite2pLoad {
  return python(
    `
import contextlib, json, shutil, sys, tempfile, suite2p
from suite2p.io import combined
d = tempfile.mkdtemp()
shutil.copytree(sys.argv[1], d + '/suite2p')
out = {'version': getattr(suite2p, 'version', '?')}
try:
    with contextlib.redirect_stdout(sys.stderr):
        stat, ops, F, Fneu, spks, iscell, prob, red, redprob, hasred = combined(d + '/suite2p', save=False)
    out.update({'n': len(stat), 'F': list(F.shape), 'iscell': int(iscell.sum())})
except Exception as e:
    out['error'] = '%s: %s' % (type(e).__name__, e)
finally:
    shutil.rmtree(d)
print(json.dumps(out))
`,
    [folder],
  ) as Suite2pLoad;
}

function python(code: string, args: readonly string[] = []): unknown {
  const r = spawnSync('python3', ['-c', code, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr.trim().split('\n').slice(-4).join(' | ')}`);
  return JSON.parse(r.stdout);
}

function worker(args: readonly string[]): void {
  const r = spawnSync(WORKER_BINARY, [...args, '-q'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  }
  return out.sort();
}

/** Structure of a suite2p plane folder, per key: Python type, dtype, ndim (and shapes), as JSON. */
const DESCRIBE = `
import json, os, sys, numpy as np
def kind(v):
    if isinstance(v, (bool, np.bool_)): return 'bool'
    if isinstance(v, (int, float)) and not isinstance(v, np.generic): return 'number'
    if isinstance(v, np.generic): return 'numpy:' + v.dtype.str[1:]
    if isinstance(v, np.ndarray): return 'ndarray:%s:%d' % (v.dtype.str[1:], v.ndim)
    if isinstance(v, list): return 'list:%d' % len(v)
    return type(v).__name__
out = {}
for d in sys.argv[1:]:
    stat = np.load(d + '/stat.npy', allow_pickle=True)
    ops = np.load(d + '/ops.npy', allow_pickle=True)
    o = ops.item()
    onex = None  # suite2p 0.x output has ops.npy only
    if os.path.exists(d + '/db.npy') or os.path.exists(d + '/settings.npy'):
        db = np.load(d + '/db.npy', allow_pickle=True).item()
        settings = np.load(d + '/settings.npy', allow_pickle=True).item()
        onex = {'dicts': [type(db).__name__, type(settings).__name__], 'keys': {k: kind(v) for k, v in {**db, **settings}.items()}}
    arrays = {n: np.load(d + '/' + n + '.npy') for n in ['F', 'Fneu', 'spks', 'iscell']}
    keys = {}
    for s in stat:
        for k, v in s.items():
            keys.setdefault(k, set()).add(kind(v))
    out[d] = {
        'stat': {'dtype': stat.dtype.str, 'ndim': stat.ndim, 'n': len(stat), 'keys': {k: sorted(v) for k, v in keys.items()}},
        'ops': {'dtype': ops.dtype.str, 'ndim': ops.ndim, 'keys': {k: kind(v) for k, v in o.items()},
                'shapes': {k: list(np.shape(o[k])) for k in ['meanImg', 'meanImgE', 'max_proj', 'Vcorr', 'refImg'] if k in o},
                'Ly': o['Ly'], 'Lx': o['Lx'], 'nframes': o['nframes'], 'yrange': [int(x) for x in o['yrange']], 'xrange': [int(x) for x in o['xrange']]},
        'onex': onex,
        'arrays': {n: {'dtype': a.dtype.str, 'shape': list(a.shape)} for n, a in arrays.items()},
        'iscell01': bool(np.isin(arrays['iscell'][:, 0], [0, 1]).all()),
        'pixels_inside': all(((s['ypix'] >= 0) & (s['ypix'] < o['Ly']) & (s['xpix'] >= 0) & (s['xpix'] < o['Lx'])).all() and len(s['lam']) == s['npix'] == len(s['ypix']) for s in stat),
    }
print(json.dumps(out))
`;

const STAT_KEYS = ['ypix', 'xpix', 'lam', 'med', 'npix', 'radius', 'compact', 'footprint', 'skew', 'std', 'overlap', 'aspect_ratio', 'npix_norm'];
const OPS_KEYS = ['Ly', 'Lx', 'nframes', 'fs', 'tau', 'nplanes', 'nchannels', 'meanImg', 'meanImgE', 'max_proj', 'Vcorr', 'refImg', 'xrange', 'yrange'];

interface Described {
  stat: { dtype: string; ndim: number; n: number; keys: Record<string, string[]> };
  ops: {
    dtype: string;
    ndim: number;
    keys: Record<string, string>;
    shapes: Record<string, number[]>;
    Ly: number;
    Lx: number;
    nframes: number;
    yrange: number[];
    xrange: number[];
  };
  /** suite2p 1.x's db.npy and settings.npy: their types and the kinds of `{**db, **settings}`. */
  onex: { dicts: string[]; keys: Record<string, string> } | null;
  arrays: Record<string, { dtype: string; shape: number[] }>;
  iscell01: boolean;
  pixels_inside: boolean;
}

describe('portable results of a real worker run', { skip }, () => {
  let dir = '';
  let results = '';
  let rois: RoiRecord[] = [];
  let frames = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sc-portable-'));
    const movie = join(dir, 'movie.tif');
    worker(['synth', '--out', movie, '--frames', '160', '--planes', '2', '--width', '96', '--height', '80', '--cells', '16']);
    results = join(dir, 'results');
    worker(['analyze', '--input', movie, '--out', results, '--fs', '10']);
    rois = roiList(JSON.parse(await readFile(join(results, RESULT_FILES.rois), 'utf8')));
    frames = parseNpy(await readFile(join(results, RESULT_FILES.dff))).shape[1];
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('each plane has a suite2p folder whose ROIs are that plane rows of the results', async () => {
    const planes = [0, 1].map((p) => join(results, suite2pPlaneDir(p)));
    const got = python(DESCRIBE, planes) as Record<string, Described>;
    const F = parseNpy(await readFile(join(results, RESULT_FILES.F)));
    for (const [p, d] of planes.entries()) {
      const ours = got[d];
      const n = rois.filter((r) => r.plane === p).length;
      assert.ok(n > 0, `plane ${p} has ROIs`);
      assert.equal(ours.stat.n, n);
      for (const a of ['F', 'Fneu', 'spks']) assert.deepEqual(ours.arrays[a], { dtype: '<f4', shape: [n, frames] });
      assert.deepEqual(ours.arrays.iscell, { dtype: '<f8', shape: [n, 2] });
      assert.ok(ours.iscell01);
      assert.ok(ours.pixels_inside, 'ypix/xpix inside Ly x Lx, one lam per pixel');
      assert.deepEqual([ours.ops.Ly, ours.ops.Lx, ours.ops.nframes], [80, 96, frames]);
      // the GUI pastes Vcorr and max_proj into [yrange, xrange] of the full frame
      const crop = [ours.ops.yrange[1] - ours.ops.yrange[0], ours.ops.xrange[1] - ours.ops.xrange[0]];
      assert.deepEqual(ours.ops.shapes.Vcorr, crop);
      assert.deepEqual(ours.ops.shapes.max_proj, crop);
      assert.deepEqual(ours.ops.shapes.meanImgE, [80, 96]);
      // suite2p 1.x reads db.npy and settings.npy where 0.x read ops.npy: the same dict, byte for byte
      assert.deepEqual(ours.onex?.dicts, ['dict', 'dict'], `plane ${p}: db.npy and settings.npy hold dicts`);
      const ops = await readFile(join(d, SUITE2P_PLANE_FILES.ops));
      for (const f of [SUITE2P_PLANE_FILES.db, SUITE2P_PLANE_FILES.settings]) assert.deepEqual(await readFile(join(d, f)), ops, `plane ${p}: ${f}`);
      // the plane folder's F is the results' F rows of that plane
      const planeF = parseNpy(await readFile(join(d, SUITE2P_PLANE_FILES.F)));
      const first = rois.findIndex((r) => r.plane === p);
      assert.deepEqual(planeF.data.slice(0, frames), F.data.slice(first * frames, (first + 1) * frames));
    }
  });

  test('the suite2p folder has the structure of real suite2p output', { skip: skipReal }, () => {
    const real = sharedData('suite2p-output-format', 'plane0');
    const ours = join(results, suite2pPlaneDir(0));
    const got = python(DESCRIBE, [real, ours]) as Record<string, Described>;
    const [a, b] = [got[real], got[ours]];
    assert.deepEqual([b.stat.dtype, b.stat.ndim], [a.stat.dtype, a.stat.ndim]);
    assert.deepEqual([b.ops.dtype, b.ops.ndim], [a.ops.dtype, a.ops.ndim]);
    for (const k of STAT_KEYS) {
      assert.ok(a.stat.keys[k], `real stat has ${k}`);
      assert.deepEqual(b.stat.keys[k], a.stat.keys[k], `stat[${k}]`);
    }
    assert.equal(a.onex, null, 'the real output is suite2p 0.x (ops.npy only)');
    for (const k of OPS_KEYS) {
      assert.ok(a.ops.keys[k], `real ops has ${k}`);
      assert.equal(b.ops.keys[k], a.ops.keys[k], `ops[${k}]`);
      assert.equal(b.onex?.keys[k], a.ops.keys[k], `{**db, **settings}[${k}] (suite2p 1.x)`);
    }
    for (const n of ['F', 'Fneu', 'spks', 'iscell']) {
      assert.equal(b.arrays[n].dtype, a.arrays[n].dtype, n);
      assert.equal(b.arrays[n].shape.length, a.arrays[n].shape.length, n);
      assert.equal(b.arrays[n].shape[0], b.stat.n, `${n} has a row per ROI`);
      assert.equal(a.arrays[n].shape[0], a.stat.n);
    }
  });

  test("suite2p's own loader reads the folders", { skip: skipSuite2p }, () => {
    const ours = loadWithSuite2p(join(results, 'suite2p'));
    assert.equal(ours.error, undefined);
    assert.equal(ours.n, rois.length);
    assert.deepEqual(ours.F, [rois.length, frames]);
    assert.equal(ours.iscell, rois.filter((r) => r.iscell).length);
  });

  test('a curation edited in suite2p (iscell.npy) comes back as curation.json records', async () => {
    const copy = join(dir, 'curated-plane1');
    const planeRois = rois.filter((r) => r.plane === 1);
    // what the GUI does when cells are flipped: rewrite column 0 of iscell.npy in a copy of the folder
    python(
      `
import json, shutil, sys, numpy as np
shutil.copytree(sys.argv[1], sys.argv[2])
a = np.load(sys.argv[2] + '/iscell.npy')
a[0, 0] = 1 - a[0, 0]
a[-1, 0] = 1 - a[-1, 0]
np.save(sys.argv[2] + '/iscell.npy', a)
print(json.dumps(True))
`,
      [join(results, suite2pPlaneDir(1)), copy],
    );
    const cur = await readSuite2pCuration(results, copy);
    assert.equal(cur.plane, 1);
    assert.deepEqual(
      cur.rois,
      planeRois.map((r) => r.id),
    );
    const flipped = planeRois.map((r, i) => (i === 0 || i === planeRois.length - 1 ? !r.iscell : r.iscell));
    assert.deepEqual(cur.iscell, flipped);

    const original = await readFile(join(results, RESULT_FILES.iscell));
    const when = new Date('2026-12-07T12:00:00Z');
    const r = await importSuite2pCuration(results, copy, { who: 'ana', now: () => when });
    assert.deepEqual([r.plane, r.rois, r.changed], [1, planeRois.length, planeRois.length > 1 ? 2 : 1]);
    const doc = await readCuration(results);
    assert.deepEqual(doc.records[0], { roi: planeRois[0].id, iscell: !planeRois[0].iscell, source: 'suite2p', who: 'ana', when: when.toISOString() });
    assert.deepEqual(await readFile(join(results, RESULT_FILES.iscell)), original, "the worker's iscell.npy is untouched");
    // importing the same labels again changes nothing
    assert.equal((await importSuite2pCuration(results, copy, { who: 'ana', now: () => when })).changed, 0);

    // through the CLI, with the records kept
    const cli = await runCli(['results', 'import-suite2p-curation', results, copy, '--who', 'bo', '--json'], { SCOPECLOUD_HOME: join(dir, 'home') });
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal((JSON.parse(cli.stdout) as { changed: number }).changed, 0);
    assert.equal((await readCuration(results)).records.length, doc.records.length);
  });

  test('a suite2p folder of other results or with the wrong ROI count is refused, nothing written', async () => {
    const other = join(dir, 'other-plane');
    python(
      `
import json, shutil, sys, numpy as np
shutil.copytree(sys.argv[1], sys.argv[2])
s = np.load(sys.argv[2] + '/stat.npy', allow_pickle=True)
np.save(sys.argv[2] + '/stat.npy', s[:-1], allow_pickle=True)
print(json.dumps(True))
`,
      [join(results, suite2pPlaneDir(0)), other],
    );
    const before = await readFile(join(results, 'curation.json'), 'utf8').catch(() => '');
    await assert.rejects(readSuite2pCuration(results, other), (e: unknown) => e instanceof CurationError && e.code === 'NOT_THESE_RESULTS');
    const short = join(dir, 'short-iscell');
    python(
      `
import json, shutil, sys, numpy as np
shutil.copytree(sys.argv[1], sys.argv[2])
np.save(sys.argv[2] + '/iscell.npy', np.load(sys.argv[2] + '/iscell.npy')[:-1])
print(json.dumps(True))
`,
      [join(results, suite2pPlaneDir(0)), short],
    );
    await assert.rejects(
      readSuite2pCuration(results, short),
      (e: unknown) => e instanceof CurationError && e.code === 'BAD_ISCELL' && /expected \(\d+, 2\)/.test(e.message),
    );
    const cli = await runCli(['results', 'import-suite2p-curation', results, join(dir, 'nowhere')], { SCOPECLOUD_HOME: join(dir, 'home') });
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /not a suite2p plane folder/);
    assert.equal(await readFile(join(results, 'curation.json'), 'utf8').catch(() => ''), before);
  });

  test('the suite2p folders exported with the curation: iscell column 0 curated, column 1 the worker probability (NumPy)', async () => {
    const out = join(dir, 'curated-export');
    const curated = effectiveIscell(
      rois.map((r) => r.iscell),
      (await readCuration(results)).records,
    );
    assert.ok(
      curated.some((v, i) => v !== rois[i].iscell),
      'the earlier import left curated labels to export',
    );
    const r = await exportCuratedSuite2p(results, out);
    assert.deepEqual([r.planes, r.rois, r.curated], [2, rois.length, curated.filter((v, i) => v !== rois[i].iscell).length]);
    const got = python(
      `
import json, sys, numpy as np
out = {}
for p in (0, 1):
    mine = np.load(sys.argv[1] + '/suite2p/plane%d/iscell.npy' % p)
    theirs = np.load(sys.argv[2] + '/suite2p/plane%d/iscell.npy' % p)
    same = bool(np.array_equal(np.load(sys.argv[1] + '/suite2p/plane%d/F.npy' % p), np.load(sys.argv[2] + '/suite2p/plane%d/F.npy' % p)))
    out[p] = {'label': mine[:, 0].tolist(), 'prob': mine[:, 1].tolist(), 'worker_prob': theirs[:, 1].tolist(), 'dtype': str(mine.dtype), 'F_same': same}
print(json.dumps(out))
`,
      [out, results],
    ) as Record<string, { label: number[]; prob: number[]; worker_prob: number[]; dtype: string; F_same: boolean }>;
    for (const p of [0, 1]) {
      const ids = rois.filter((x) => x.plane === p).map((x) => x.id);
      assert.deepEqual(
        got[p].label,
        ids.map((id) => (curated[id] ? 1 : 0)),
        `plane ${p} labels`,
      );
      assert.deepEqual(got[p].prob, got[p].worker_prob, `plane ${p} keeps the worker's probability`);
      assert.equal(got[p].F_same, true);
    }
    await assert.rejects(
      exportCuratedSuite2p(results, join(results, 'x')),
      (e: unknown) => e instanceof CurationError && /inside the results folder/.test(e.message),
    );
  });

  test('the exported folder has what suite2p 1.x reads to open a folder of plane folders', async () => {
    // suite2p 1.x (MouseLand/suite2p v1.0+, suite2p/io/save.py combined() and suite2p/gui/io.py):
    // every plane<k>/ needs db.npy and settings.npy (the GUI merges them as {**db, **settings}
    // where 0.x had ops.npy; combined() reads each plane's images, sizes and ranges from db.npy
    // alone and settings.npy of the first plane), stat.npy, F.npy, Fneu.npy, spks.npy and iscell.npy (N, 2); redcell.npy,
    // F_chan2.npy and the reg_outputs.npy / detect_outputs.npy splits are optional. Structure
    // compared here as that code reads it. The worker writes db.npy and settings.npy; results of a
    // worker before them (here: a copy with both removed) get them from ops.npy on export.
    const old = join(dir, 'results-before-1x');
    await cp(results, old, { recursive: true });
    for (const p of [0, 1]) for (const f of [SUITE2P_PLANE_FILES.db, SUITE2P_PLANE_FILES.settings]) await rm(join(old, suite2pPlaneDir(p), f));
    const oldOut = join(dir, 'export-1x-old');
    await exportCuratedSuite2p(old, oldOut);
    const out = join(dir, 'export-1x');
    await exportCuratedSuite2p(results, out);
    for (const p of [0, 1])
      for (const f of [SUITE2P_PLANE_FILES.db, SUITE2P_PLANE_FILES.settings]) {
        const worker = await readFile(join(results, suite2pPlaneDir(p), f));
        assert.deepEqual(await readFile(join(out, suite2pPlaneDir(p), f)), worker, `plane ${p}: the worker's ${f} exported as written`);
        assert.deepEqual(await readFile(join(oldOut, suite2pPlaneDir(p), f)), worker, `plane ${p}: ${f} of older results, from ops.npy, is the same`);
      }
    assert.deepEqual(
      await readdir(join(old, suite2pPlaneDir(0))).then((fs) => fs.filter((f) => f.endsWith('db.npy'))),
      [],
      'older results are not changed by the export',
    );
    const got = python(
      `
import json, os, sys, numpy as np
root = sys.argv[1]
out = {}
for name in sorted(os.listdir(root)):
    d = os.path.join(root, name)
    if not (os.path.isdir(d) and name[:5] == 'plane'):
        continue
    db = np.load(d + '/db.npy', allow_pickle=True).item()
    settings = np.load(d + '/settings.npy', allow_pickle=True).item()
    o = {**db, **settings}
    stat = np.load(d + '/stat.npy', allow_pickle=True)
    n = {a: list(np.load(d + '/' + a + '.npy').shape) for a in ['F', 'Fneu', 'spks', 'iscell']}
    crop = [int(o['yrange'][-1] - o['yrange'][0]), int(o['xrange'][-1] - o['xrange'][0])]
    out[name] = {
        'dicts': [type(db).__name__, type(settings).__name__],
        'missing': [k for k in ['Ly', 'Lx', 'nframes', 'nchannels', 'meanImg', 'meanImgE', 'Vcorr', 'max_proj', 'xrange', 'yrange', 'fs', 'tau', 'diameter'] if k not in o],
        'db_missing': [k for k in ['Ly', 'Lx', 'nframes', 'nchannels', 'meanImg', 'meanImgE', 'Vcorr', 'max_proj', 'xrange', 'yrange'] if k not in db],
        'images': [list(np.shape(o['meanImg'])) == [o['Ly'], o['Lx']], list(np.shape(o['meanImgE'])) == [o['Ly'], o['Lx']],
                   list(np.shape(o['Vcorr'])) == crop, list(np.shape(o['max_proj'])) == crop],
        'stat_missing': sorted({k for s in stat for k in ['ypix', 'xpix', 'lam', 'med', 'radius', 'npix', 'footprint', 'overlap'] if k not in s}),
        'n': len(stat), 'shapes': n, 'nframes': int(o['nframes']),
    }
print(json.dumps(out))
`,
      [join(out, 'suite2p')],
    ) as Record<
      string,
      {
        dicts: string[];
        missing: string[];
        db_missing: string[];
        images: boolean[];
        stat_missing: string[];
        n: number;
        shapes: Record<string, number[]>;
        nframes: number;
      }
    >;
    assert.deepEqual(Object.keys(got), ['plane0', 'plane1']);
    for (const [plane, g] of Object.entries(got)) {
      assert.deepEqual(g.dicts, ['dict', 'dict'], `${plane}: db.npy and settings.npy hold dicts`);
      assert.deepEqual(g.missing, [], `${plane}: keys suite2p 1.x reads from {**db, **settings}`);
      assert.deepEqual(g.db_missing, [], `${plane}: keys suite2p 1.x's combined() reads from db.npy alone`);
      assert.deepEqual(g.images, [true, true, true, true], `${plane}: image shapes`);
      assert.deepEqual(g.stat_missing, [], `${plane}: stat keys the 1.x GUI reads`);
      const rows = rois.filter((r) => `plane${r.plane}` === plane).length;
      assert.equal(g.n, rows);
      for (const a of ['F', 'Fneu', 'spks']) assert.deepEqual(g.shapes[a], [rows, g.nframes]);
      assert.deepEqual(g.shapes.iscell, [rows, 2]);
    }
  });

  test('traces.csv has a row per ROI: its table fields, then its dF/F per frame', async () => {
    const text = await readFile(join(results, RESULT_FILES.tracesCsv), 'utf8');
    const lines = text.trimEnd().split('\n');
    const header = lines[0].split(',');
    assert.deepEqual(header.slice(0, 7), ['id', 'plane', 'x', 'y', 'z', 'cluster', 'iscell']);
    assert.deepEqual(
      header.slice(7),
      Array.from({ length: frames }, (_, t) => `dff_frame_${t}`),
    );
    assert.equal(lines.length, rois.length + 1);
    const dff = parseNpy(await readFile(join(results, RESULT_FILES.dff)));
    for (const [i, r] of rois.entries()) {
      const cells = lines[i + 1].split(',');
      assert.deepEqual(cells.slice(0, 7), [
        String(r.id),
        String(r.plane),
        String(r.x),
        String(r.y),
        String(r.z),
        r.cluster === null ? '' : String(r.cluster),
        r.iscell ? '1' : '0',
      ]);
      const values = cells.slice(7).map(Number);
      assert.deepEqual(Float32Array.from(values), dff.data.slice(i * frames, (i + 1) * frames) as Float32Array);
    }
  });

  test('README.txt names every file of the results folder', async () => {
    const readme = await readFile(join(results, RESULT_FILES.readme), 'utf8');
    const files = await filesUnder(results);
    assert.ok(files.includes('suite2p/plane1/ops.npy') && files.includes('traces.csv'));
    for (const f of files) {
      const slash = f.lastIndexOf('/');
      const named = readme.includes(`${f}:`) || (slash > 0 && readme.includes(`${f.slice(0, slash)}/\n`) && readme.includes(`  ${f.slice(slash + 1)}:`));
      assert.ok(named || (f === 'curation.json' && readme.includes(f)), `${f} is not described in README.txt`);
    }
    for (const tool of ['numpy', 'suite2p', 'pynwb', 'spreadsheet', 'ScopeCloud']) assert.ok(readme.includes(tool), `README mentions ${tool}`);
  });
});
