/**
 * The job CLI on the embedded default (local archive, worker as a child process), run through the
 * command objects with a real service container in a temporary SCOPECLOUD_HOME and the real worker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeCommand } from '../../../main/cli/commands/analyze.ts';
import { jobsCommand } from '../../../main/cli/commands/jobs.ts';
import { resultsCommand } from '../../../main/cli/commands/results.ts';
import { runCommand } from '../../support/cli-in-process.ts';
import { workerCandidates } from '../../../main/worker/worker-path.ts';
import { writeSyntheticMovie } from './synthetic-movie.ts';
import { pythonModuleMissing, requires } from '../../support/requirements.ts';

const worker = workerCandidates().find((p) => existsSync(p) && spawnSync(p, ['--version']).status === 0);
const skip = requires(worker ? false : 'no runnable scopecloud-worker (npm run worker:build)');
/** The export is read back with h5py when it is installed (always under CI). */
const noH5py = requires(pythonModuleMissing('h5py'));

test('analyze --local runs the real worker; jobs list/show/logs; results pull and export --nwb', { skip }, async () => {
  const home = await mkdtemp(join(tmpdir(), 'sc-cli-jobs-'));
  const env = { ...process.env, SCOPECLOUD_HOME: home, SCOPECLOUD_WORKER: worker! };
  try {
    const movie = join(home, 'session-a', 'movie.tif');
    await (await import('node:fs/promises')).mkdir(join(home, 'session-a'));
    await writeSyntheticMovie(movie, { width: 48, height: 48, frames: 120, cells: 6, seed: 5 });
    const a = await runCommand(analyzeCommand, [join(home, 'session-a'), '--local', '--k', '2', '--seed', '1', '--json'], env);
    assert.equal(a.code, 0, a.err);
    const job = JSON.parse(a.out) as { id: string; state: string; shards: Array<{ state: string }> };
    assert.equal(job.state, 'done');
    assert.match(a.err, new RegExp(`"id":"${job.id}","state":"running","step":"register"`));
    // The job lives in the local archive, in the same layout as on S3.
    assert.ok(existsSync(join(home, 'archive', 'jobs', job.id, 'results', 'checksums.sha256')));

    const list = await runCommand(jobsCommand, ['list', '--json'], env);
    assert.deepEqual(
      (JSON.parse(list.out) as Array<{ id: string }>).map((j) => j.id),
      [job.id],
    );
    const show = await runCommand(jobsCommand, ['show', job.id], env);
    assert.match(show.out, /state:\s+done/);
    const logs = await runCommand(jobsCommand, ['logs', job.id], env);
    assert.match(logs.out, /analyze --input/);

    const pull = await runCommand(resultsCommand, ['pull', job.id, '--json'], env);
    assert.equal(pull.code, 0, pull.err);
    const pulled = JSON.parse(pull.out) as { dir: string; files: number; downloaded: number };
    assert.ok(pulled.files >= 8 && pulled.downloaded === pulled.files);
    const again = JSON.parse((await runCommand(resultsCommand, ['pull', job.id, '--json'], env)).out) as { downloaded: number; reused: number };
    assert.deepEqual([again.downloaded, again.reused], [0, pulled.files]);

    const nwbFile = join(home, 'out.nwb');
    const exp = await runCommand(resultsCommand, ['export', job.id, '--nwb', nwbFile, '--json'], env);
    assert.equal(exp.code, 0, exp.err);
    const r = JSON.parse(exp.out) as { rois: number; frames: number };
    assert.equal(r.frames, 120);
    const said = await runCommand(resultsCommand, ['export', job.id, '--nwb', join(home, 'again.nwb')], env);
    assert.match(said.out, /: \d+ ROIs x 120 frames in 1 plane at 30 Hz$/);
    if (!noH5py) {
      const py = spawnSync(
        'python3',
        ['-c', `import h5py; f = h5py.File(${JSON.stringify(nwbFile)}, 'r'); print(f['processing/ophys/Fluorescence/RoiResponseSeries0/data'].shape)`],
        { encoding: 'utf8' },
      );
      assert.equal(py.stdout.trim(), `(120, ${r.rois})`);
    }

    const bad = await runCommand(jobsCommand, ['show', 'j-missing-0000'], env).catch((e: Error) => ({ code: -1, out: '', err: e.message }));
    assert.match(bad.err, /not found/);
    await assert.rejects(runCommand(jobsCommand, ['cancel', job.id], env), /already ended/);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test("analyze of a file the worker refuses is an input error, said once with the worker's words", { skip }, async () => {
  const home = await mkdtemp(join(tmpdir(), 'sc-cli-bad-'));
  const env = { ...process.env, SCOPECLOUD_HOME: home, SCOPECLOUD_WORKER: worker! };
  try {
    const notTiff = join(home, 'notes.tif');
    await writeFile(notTiff, 'laser 920 nm, 30 Hz\n');
    const a = await runCommand(analyzeCommand, [notTiff, '--local'], env);
    assert.equal(a.code, 1);
    const said = `not a TIFF file: ${notTiff}`;
    assert.match(a.out, new RegExp(`state:\\s+failed: input-error \\(${said.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)`));
    assert.equal(`${a.out}\n${a.err}`.split(said).length - 1, 1, `the cause is said once:\n${a.out}\n${a.err}`);
    assert.doesNotMatch(`${a.out}\n${a.err}`, /worker-crashed|exit code 3|scopecloud-worker: input error/);
    const id = /job:\s+(\S+)/.exec(a.out)![1];
    const show = await runCommand(jobsCommand, ['show', id], env);
    assert.equal(show.out.split(said).length - 1, 1, show.out);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('analyze --fan-out over two sessions: the worker merges the shards into one results folder', { skip }, async () => {
  const home = await mkdtemp(join(tmpdir(), 'sc-cli-merge-'));
  const env = { ...process.env, SCOPECLOUD_HOME: home, SCOPECLOUD_WORKER: worker! };
  const { mkdir, readFile } = await import('node:fs/promises');
  try {
    const sessions = ['session-a', 'session-b'].map((s) => join(home, s));
    for (const [i, dir] of sessions.entries()) {
      await mkdir(dir);
      await writeSyntheticMovie(join(dir, 'movie.tif'), { width: 48, height: 48, frames: 120 - i * 20, cells: 6, seed: 5 + i });
    }
    // each session alone, for the counts the merge must add up to
    const alone: number[] = [];
    for (const dir of sessions) {
      const one = await runCommand(analyzeCommand, [dir, '--local', '--k', '2', '--seed', '1', '--json'], env);
      assert.equal(one.code, 0, one.err);
      const id = (JSON.parse(one.out) as { id: string }).id;
      alone.push((JSON.parse(await readFile(join(home, 'archive', 'jobs', id, 'results', 'rois.json'), 'utf8')) as { rois: unknown[] }).rois.length);
    }
    const a = await runCommand(analyzeCommand, [...sessions, '--local', '--fan-out', '--k', '2', '--seed', '1', '--json'], env);
    assert.equal(a.code, 0, a.err);
    const job = JSON.parse(a.out) as { id: string; state: string; shards: unknown[] };
    assert.deepEqual([job.state, job.shards.length], ['done', 2]);
    const results = join(home, 'archive', 'jobs', job.id, 'results');
    const rois = (JSON.parse(await readFile(join(results, 'rois.json'), 'utf8')) as { schema: number; rois: Array<{ id: number }> }).rois;
    assert.equal(rois.length, alone[0] + alone[1], 'every ROI of both shards, once');
    assert.deepEqual(
      rois.map((r) => r.id),
      rois.map((_, i) => i),
      'renumbered 0..n-1 in shard order',
    );
    const summary = JSON.parse(await readFile(join(results, 'summary.json'), 'utf8')) as {
      parameters: { step: string };
      shards: unknown[];
      notes: string[];
      counts: { rois: number };
    };
    assert.equal(summary.parameters.step, 'merge', 'written by scopecloud-worker merge');
    assert.deepEqual([summary.shards.length, summary.counts.rois], [2, rois.length]);
    assert.ok(
      summary.notes.some((n) => /100/.test(n)),
      `traces cut to the shorter recording (100 frames) and said: ${summary.notes.join('; ')}`,
    );
    const F = (await import('../../../main/results/npy.ts')).parseNpy(await readFile(join(results, 'F.npy')));
    assert.deepEqual(F.shape, [rois.length, 100]);
    assert.ok(existsSync(join(results, 'checksums.sha256')));
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
