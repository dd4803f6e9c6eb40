/**
 * `npm run bench:viewer`: time to first frame and frame time of the 3D ROI viewer for 10,000
 * and 100,000 ROIs, in headless Debian Chromium. There is no GPU here: WebGL runs on SwiftShader
 * (software), so the numbers are a CPU-rendering floor, not what a workstation GPU achieves.
 * Data comes from the in-memory test services (synthetic ROIs) over the real host and bundle.
 *
 * First frame is measured with the default shape (the camera-facing impostor); frame times are
 * then measured for each ROI shape on the same page and data, so the shapes compare like for like.
 * Prints a table and writes bench/results/viewer.json, keeping the previous run's `before`
 * (the first run recorded there, i.e. the 20-triangle icosahedron baseline).
 *
 * Playback and picking (issue #18 point 4), on the same pages: frame time while activity plays,
 * before (every ROI's colour computed on the CPU and the instance colour buffer re-uploaded each
 * frame) and after (the activity in a data texture, one time uniform per frame), on the spheres
 * and on the anatomy slices; pick latency before (projecting every ROI centre) and after (one
 * label-image lookup per slice).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleRenderer, projectRoot } from '../scripts/bundle-renderer.ts';
import { startHost } from '../main/host/server.ts';
import { createInMemoryServices } from '../test/support/in-memory-services.ts';
import { CHROMIUM, chromiumMissing, launchChromium } from '../test/support/chromium.ts';

const SIZES = [10_000, 100_000];
const FRAMES = Number(process.env.BENCH_FRAMES ?? 30);
/** The slow baseline shapes get fewer frames at 100,000 ROIs (seconds per frame in software). */
const SHAPES = ['impostor', 'octahedron', 'icosahedron'] as const;

/** Picks timed per case (points spread over the canvas). */
const PICKS = Number(process.env.BENCH_PICKS ?? 200);

interface PlayRow {
  rois: number;
  measure: 'playback frame' | 'pick';
  view: 'spheres' | 'slices';
  how: string;
  stage: 'before' | 'after';
  medianMs: number;
  p95Ms: number;
  /** Playback: the CPU update before rendering (median), null for picks. */
  updateMedianMs: number | null;
  samples: number;
}

interface Row {
  rois: number;
  shape: string;
  firstFrameMs: number | null;
  medianFrameMs: number;
  p95FrameMs: number;
  fps: number;
  drawCalls: number;
  triangles: number;
  frames: number;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function main(): Promise<void> {
  const missing = chromiumMissing();
  if (missing) {
    console.error(`bench:viewer skipped: ${missing}`);
    process.exitCode = 1;
    return;
  }
  const outDir = mkdtempSync(join(tmpdir(), 'scopecloud-bench-'));
  await bundleRenderer({ outDir });
  const browser = await launchChromium({ width: 1280, height: 800 });
  const rows: Row[] = [];
  const playRows: PlayRow[] = [];
  try {
    for (const n of SIZES) {
      const services = createInMemoryServices({ roiCount: n });
      const host = await startHost({ services, rendererDir: outDir });
      const page = await browser.context.newPage();
      await page.goto(`${host.url}`);
      await page.waitForSelector('h1');
      // Time to first frame: from navigation to the Results view until the first rendered frame.
      const t0 = await page.evaluate(() => {
        location.hash = '#/results/a-2025-03-14-mouse12';
        return performance.now();
      });
      await page.waitForFunction(() => (window.__scopecloudViewer?.info().frames ?? 0) > 0, undefined, { timeout: 120_000 });
      const firstFrameMs = (await page.evaluate(() => performance.now())) - t0;
      // Shapes compare on the spheres (10,000 ROIs open on the anatomy slices).
      await page.getByRole('button', { name: 'Spheres', exact: true }).click();
      for (const shape of SHAPES) {
        await page.evaluate((sh) => window.__scopecloudViewer!.setShape(sh), shape);
        const frames = shape === 'impostor' || n <= 10_000 ? FRAMES : Math.max(5, Math.floor(FRAMES / 3));
        const times = await page.evaluate((f) => window.__scopecloudViewer!.measureFrames(f), frames);
        const info = await page.evaluate(() => window.__scopecloudViewer!.info());
        const median = quantile(times, 0.5);
        rows.push({
          rois: n,
          shape,
          firstFrameMs: shape === 'impostor' ? firstFrameMs : null,
          medianFrameMs: median,
          p95FrameMs: quantile(times, 0.95),
          fps: 1000 / median,
          drawCalls: info.calls,
          triangles: info.triangles,
          frames,
        });
      }
      // Playback and picking: the default shape, activity loaded, spheres first, then the slices.
      await page.evaluate(() => window.__scopecloudViewer!.setShape('impostor'));
      await page.getByRole('button', { name: 'Spheres', exact: true }).click();
      await page.waitForFunction(() => window.__scopecloudViewer!.roiScene.uniforms.uBins.value > 0, undefined, { timeout: 120_000 });
      const add = (
        measure: PlayRow['measure'],
        view: PlayRow['view'],
        how: string,
        stage: PlayRow['stage'],
        m: number[] | { frameMs: number[]; updateMs: number[] },
      ) => {
        const times = Array.isArray(m) ? m : m.frameMs;
        const updateMedianMs = Array.isArray(m) ? null : quantile(m.updateMs, 0.5);
        playRows.push({
          rois: n,
          measure,
          view,
          how,
          stage,
          medianMs: quantile(times, 0.5),
          p95Ms: quantile(times, 0.95),
          updateMedianMs,
          samples: times.length,
        });
      };
      add(
        'playback frame',
        'spheres',
        'CPU colours + instance buffer upload',
        'before',
        await page.evaluate((f) => window.__scopecloudViewer!.measurePlayback(f, 'upload'), FRAMES),
      );
      add(
        'playback frame',
        'spheres',
        'time uniform (activity texture)',
        'after',
        await page.evaluate((f) => window.__scopecloudViewer!.measurePlayback(f, 'uniform'), FRAMES),
      );
      add('pick', 'spheres', 'project every ROI centre', 'before', await page.evaluate((k) => window.__scopecloudViewer!.measurePicks(k, 'centres'), PICKS));
      await page.getByRole('button', { name: 'Anatomy', exact: true }).click();
      await page.waitForFunction(
        () => window.__scopecloudViewer!.info().slices > 0 && document.querySelector('.viewer-overlay[aria-busy="true"]') === null,
        undefined,
        { timeout: 300_000 },
      );
      add(
        'playback frame',
        'slices',
        'time uniform (activity texture)',
        'after',
        await page.evaluate((f) => window.__scopecloudViewer!.measurePlayback(f, 'uniform'), FRAMES),
      );
      add('pick', 'slices', 'label image lookup per slice', 'after', await page.evaluate((k) => window.__scopecloudViewer!.measurePicks(k, 'labels'), PICKS));
      await page.close();
      await host.close();
      services.dispose();
    }
  } finally {
    await browser.close();
    rmSync(outDir, { recursive: true, force: true });
  }
  console.log(`3D ROI viewer, headless ${CHROMIUM}, WebGL on SwiftShader (software, no GPU), orbiting`);
  console.log('ROIs      shape         first frame   median frame   p95 frame     fps   draw calls   triangles');
  for (const r of rows) {
    console.log(
      `${String(r.rois).padEnd(9)} ${r.shape.padEnd(12)} ${r.firstFrameMs === null ? '       —   ' : `${r.firstFrameMs.toFixed(0).padStart(8)} ms`} ${r.medianFrameMs.toFixed(1).padStart(11)} ms ${r.p95FrameMs.toFixed(1).padStart(9)} ms ${r.fps.toFixed(1).padStart(7)} ${String(r.drawCalls).padStart(12)} ${String(r.triangles).padStart(11)}`,
    );
  }
  console.log('');
  console.log('Activity playback and picking (same pages; 30 planes of 512x512 for the slices)');
  console.log('ROIs      measure          view      stage    median       p95   CPU update   how');
  for (const r of playRows) {
    console.log(
      `${String(r.rois).padEnd(9)} ${r.measure.padEnd(16)} ${r.view.padEnd(9)} ${r.stage.padEnd(6)} ${r.medianMs.toFixed(2).padStart(8)} ms ${r.p95Ms.toFixed(2).padStart(8)} ms ${r.updateMedianMs === null ? '        —   ' : `${r.updateMedianMs.toFixed(3).padStart(9)} ms`}   ${r.how}`,
    );
  }
  const dir = join(projectRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'viewer.json');
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { before?: unknown; date?: string; rows?: unknown[] }) : null;
  // A file from before the shapes existed is itself the baseline (icosahedron, 20 triangles per ROI).
  const before =
    previous?.before ?? (previous?.rows ? { shape: 'icosahedron (20 triangles, MeshLambertMaterial)', date: previous.date, rows: previous.rows } : null);
  writeFileSync(
    file,
    JSON.stringify(
      {
        benchmark: 'viewer',
        browser: CHROMIUM,
        renderer: 'SwiftShader (software WebGL)',
        note: 'first frame = hash change to first rendered frame (fetch + decode + upload + render), default shape; frame time waits for gl.finish(); all shapes measured on the same page and data',
        before,
        after: { date: new Date().toISOString(), framesMeasured: FRAMES, defaultShape: 'impostor (camera-facing quad, 2 triangles, ShaderMaterial)', rows },
        playbackAndPicking: {
          date: new Date().toISOString(),
          note: 'playback frame = advance one activity bin, render, gl.finish(); CPU update = the part before rendering (the colour buffer upload itself is inside the render); before = per-instance colours recomputed on the CPU and re-uploaded, after = one time uniform (dF/F bins in a data texture); pick = one hover pick at a canvas point. SwiftShader rasterises on the CPU, so frame times are dominated by drawing, not by the update',
          rows: playRows,
        },
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`wrote ${file}`);
}

await main();
