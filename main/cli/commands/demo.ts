/**
 * `scopecloud demo`: the main job on the embedded default, no AWS account needed.
 * A synthetic two-photon recording with known cells is "acquired" into a watched folder (written
 * while growing), archived locally with checksum verification and a session manifest, then
 * analysed by the local worker; the result is compared with the ground truth.
 */
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CliError, ExitCode, type CliCommand } from '../command.ts';
import { defaultSettings, type Settings } from '../../config/schema.ts';
import { statePaths } from '../../config/paths.ts';
import { createServiceContainer, memoryBackend } from '../../services.ts';
import { replayAcquisition } from '../../demo/microscope.ts';
import { demoRoot, demoStatePaths } from '../../demo/demo-state.ts';
import { findWorker } from '../../jobs/worker-binary.ts';
import { shardsFor } from '../../jobs/job-wiring.ts';
import { jobKeys } from '../../jobs/job-layout.ts';
import { jobDetail, progressPrinter } from './job-output.ts';
import { count, formatBytes, formatHz } from '../format.ts';
import { centroid, scoreDetections } from '../../demo/score.ts';

const HELP = `Usage: scopecloud demo [--dir <folder>] [--frames N] [--size N] [--cells N] [--seed S] [--json]

Runs the whole ScopeCloud job on this computer without AWS:
  1. a synthetic recording with known cells is written into a watched acquisition folder,
     growing at microscope speed, then the session is closed with a marker file;
  2. every file is archived into a local folder, verified by checksum, with a manifest.json;
  3. the local analysis worker registers, segments and clusters it;
  4. the cells found are compared with the ground truth.
Everything lives under --dir (default: <state>/demo), apart from your own settings, queue and
destination; a run replaces the one before. scopecloud serve's Results view shows the analysis
(labelled demo) of a run in the default folder.

Options:
  --frames N   frames in the recording (default 600)
  --size N     frame width and height in pixels (default 256)
  --cells N    cells in the field of view (default 60)
  --seed S     random seed (default 7)
  --rate MB    microscope write speed in MB/s (default 40)
  --json       print a JSON summary at the end

Exit codes: 0 the job finished and every file verified, 1 something failed (named), 2 usage.`;

/** What a demo run puts in its folder. */
const DEMO_FOLDERS = ['microscope', 'staging', 'state'];

/** The stand-in microscope's frame rate, as its metadata says and the analysis is told. */
const FRAME_RATE_HZ = 30;

function int(v: string, flag: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${flag} must be a whole number from ${min} to ${max} (got "${v}")`, ExitCode.usage);
  return n;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-2000);
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args[0]} failed (exit ${code}): ${err.trim().split('\n').pop() ?? ''}`))));
  });
}

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'the whole job on synthetic data, locally, no AWS needed',
  help: HELP,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        dir: { type: 'string' },
        frames: { type: 'string', default: '600' },
        size: { type: 'string', default: '256' },
        cells: { type: 'string', default: '60' },
        seed: { type: 'string', default: '7' },
        rate: { type: 'string', default: '40' },
        json: { type: 'boolean', default: false },
      },
    });
    const frames = int(values.frames, '--frames', 50, 100_000);
    const size = int(values.size, '--size', 64, 2048);
    const cells = int(values.cells, '--cells', 1, 10_000);
    const seed = int(values.seed, '--seed', 0, 2 ** 31);
    const rate = int(values.rate, '--rate', 1, 10_000) * 1e6;
    const listedRoot = demoRoot(statePaths());
    const root = values.dir === undefined ? listedRoot : resolve(values.dir);
    // A run empties its folder first: never a folder of the user's holding anything but an earlier run.
    const held = values.dir === undefined ? [] : await readdir(root).catch(() => [] as string[]);
    if (held.some((name) => !DEMO_FOLDERS.includes(name))) {
      throw new CliError(`--dir ${root} holds other files; the demo empties its folder, so give a new or empty one`, ExitCode.usage);
    }
    await rm(root, { recursive: true, force: true });
    const paths = demoStatePaths(root);
    const microscope = join(root, 'microscope');
    const staging = join(root, 'staging');
    await mkdir(microscope, { recursive: true });
    await mkdir(staging, { recursive: true });
    const say = (line: string) => {
      if (!values.json) io.out(line);
    };

    const worker = await findWorker().catch((e: Error) => {
      throw new CliError(`the analysis worker is not built: ${e.message} (run: npm run worker:build)`);
    });
    say(`1/4  synthesising a ${frames}-frame ${size}x${size} recording at ${formatHz(FRAME_RATE_HZ)} with ${count(cells, 'cell')} (seed ${seed})`);
    const movie = join(staging, 'movie.tif');
    const truthFile = join(staging, 'truth.json');
    await run(worker.path, [
      'synth',
      '--out',
      movie,
      '--truth',
      truthFile,
      '--frames',
      String(frames),
      '--width',
      String(size),
      '--height',
      String(size),
      '--cells',
      String(cells),
      '--seed',
      String(seed),
    ]);

    const base = defaultSettings(paths.archive);
    const settings: Settings = { ...base, watch: { ...base.watch, folders: [microscope], stableMs: 1000 } };
    // The demo's own state, settings and archive: never the user's (main/demo/demo-state.ts).
    const c = await createServiceContainer({ paths, backend: memoryBackend(settings as unknown as Record<string, unknown>), jobPollMs: 250 });
    const acq = await c.startAcquisition({
      watch: true,
      sessionIdleMs: 2000,
      log: (l) => say(`     ${l}`),
    });
    const manifestKey = 'microscope/session-001/manifest.json';
    let closeAt = 0;
    let manifestVerifiedAt = 0;
    const done = new Promise<void>((resolve) => {
      acq.engine.subscribe((ev) => {
        if (ev.type === 'item' && ev.item.state === 'verified') {
          say(`     verified ${ev.item.key.replace(paths.archive + '/', '')} (${formatBytes(ev.item.size)}, crc32c ${ev.item.checksum ?? '?'})`);
          if (ev.item.key.endsWith(manifestKey)) {
            manifestVerifiedAt = Date.now();
            resolve();
          }
        }
        if (ev.type === 'item' && ev.item.state === 'failed') say(`     FAILED ${ev.item.path}: ${ev.item.error?.message}`);
      });
    });
    say(`2/4  acquiring into ${microscope} at ${values.rate} MB/s while archiving to ${paths.archive}`);
    await replayAcquisition({
      source: movie,
      sessionDir: join(microscope, 'session-001'),
      rate,
      markerName: settings.watch.markerFile,
      metadata: { microscope: 'ScopeCloud demo (synthetic)', frameRateHz: FRAME_RATE_HZ, frames, width: size, height: size, seed },
    });
    closeAt = Date.now();
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new CliError('the session did not finish archiving within 120 s')), 120_000).unref(),
    );
    try {
      await Promise.race([done, timeout]);
      // the manifest is small and may be verified before the recording's last parts: the session is
      // archived once every one of its files is, so wait for the queue to be empty as well
      await Promise.race([acq.engine.drain(), timeout]);
    } finally {
      await acq.stop();
    }
    const status = acq.engine.status();
    say(
      `     session archived and verified ${((manifestVerifiedAt - closeAt) / 1000).toFixed(1)} s after the microscope closed it (${count(status.counts.verified, 'file')}, ${status.counts.failed} failed)`,
    );
    if (status.counts.failed > 0) throw new CliError(`${count(status.counts.failed, 'file')} failed to archive; see above`);

    say('3/4  analysing the archived session with the local worker');
    const jobs = c.destinationJobs();
    const shards = await shardsFor(jobs.store, ['microscope/session-001'], { fanOut: false, where: 'local' });
    const job = await jobs.jobs.submit({
      name: 'synthetic recording',
      sources: ['microscope/session-001'],
      shards,
      params: { k: 4, seed, fs: FRAME_RATE_HZ },
      placement: { kind: 'local' },
      maxRuntimeSeconds: 3600,
    });
    const view = await jobs.jobs.follow(job.id, { signal: io.stopSignal, onUpdate: values.json ? () => {} : progressPrinter(io, false) });
    if (!values.json) for (const line of jobDetail(view)) io.out(`     ${line}`);
    if (view.state !== 'done') throw new CliError(`the analysis ended ${view.state}${view.failure ? `: ${view.failure.message}` : ''}`);

    say('4/4  comparing with the ground truth');
    const truth = JSON.parse(await readFile(truthFile, 'utf8')) as { cells: Array<{ plane: number; coordinates: Array<[number, number]> }> };
    const resultsDir = join(paths.archive, jobKeys(job.id).results);
    const rois = JSON.parse(await readFile(join(resultsDir, 'rois.json'), 'utf8')) as { rois: Array<{ plane: number; x: number; y: number; iscell: boolean }> };
    const score = scoreDetections(
      truth.cells.map((c) => centroid(c.plane, c.coordinates)),
      rois.rois.filter((r) => r.iscell).map((r) => ({ plane: r.plane, row: r.y, col: r.x })),
    );
    const result = {
      ok: true,
      root,
      archive: paths.archive,
      jobId: job.id,
      results: resultsDir,
      rois: rois.rois.length,
      detection: score,
      secondsFromCloseToVerified: (manifestVerifiedAt - closeAt) / 1000,
    };
    if (values.json) io.out(JSON.stringify(result, null, 2));
    else {
      io.out(`     ${score.truth} cells planted, ${score.detected} cells found among ${result.rois} ROIs, ${score.matched} matched within 10 px`);
      io.out(`     recall ${score.recall.toFixed(2)}  precision ${score.precision.toFixed(2)}  F1 ${score.f1.toFixed(2)}`);
      io.out(`     results: ${resultsDir}`);
      io.out(
        root === listedRoot
          ? 'Look at them: scopecloud serve (Results view, labelled demo), or open the PNGs in the results folder.'
          : "Look at them: open the PNGs in the results folder (the app's Results view lists a demo run without --dir).",
      );
    }
    return ExitCode.ok;
  },
};
