/**
 * Issue #18 pt1: the Results view's plane spacing comes from the recording's metadata. The real
 * worker analyses synthetic 2-plane TIFFs (test/support/synthetic-tiff.ts) carrying the voxel size
 * as ImageJ calibration (unit=, spacing=, XResolution), as OME-XML PhysicalSize* and as ScanImage's
 * stack step, one carrying none (as thunder-zebrafish), and movies of two files that state
 * different sizes; results-mapping reads each summary.json.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { planesOf, toResultSummary } from '../../../main/app/results-mapping.ts';
import { RESULT_FILES, roiList } from '../../../main/results/worker-contract.ts';
import { WORKER_BINARY, workerMissing } from '../../support/cli.ts';
import { requires } from '../../support/requirements.ts';
import { encodeTiff, type TiffSpec } from '../../support/synthetic-tiff.ts';

const skip = requires(workerMissing());
const dir = mkdtempSync(join(tmpdir(), 'scopecloud-plane-spacing-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const FRAMES = 30;
const base: TiffSpec = { width: 64, height: 48, pages: 2 * FRAMES, bitsPerSample: 16, fill: 9 };
const hyperstack = `ImageJ=1.54f\nimages=${2 * FRAMES}\nslices=2\nframes=${FRAMES}\nhyperstack=true\n`;

/**
 * Writes `spec` (and each of `more` as a further file of the movie), runs `scopecloud-worker
 * analyze` on them and maps the results as the Results view does.
 */
async function analysed(name: string, spec: Partial<TiffSpec>, more: Array<Partial<TiffSpec>> = []) {
  const movies = [spec, ...more].map((s, i) => {
    const movie = join(dir, i === 0 ? `${name}.tif` : `${name}-${i}.tif`);
    writeFileSync(movie, encodeTiff({ ...base, ...s }));
    return movie;
  });
  const out = join(dir, name);
  await promisify(execFile)(WORKER_BINARY, ['analyze', '-i', ...movies, '-o', out, '-q'], { timeout: 120_000 });
  const summary: unknown = JSON.parse(readFileSync(join(out, RESULT_FILES.summary), 'utf8'));
  const rois = roiList(JSON.parse(readFileSync(join(out, RESULT_FILES.rois), 'utf8')));
  assert.equal(planesOf(summary, rois), 2, `${name}: two planes`);
  return toResultSummary({ id: 'j-20250101-000000-abcd', summary, rois, traceLength: null, images: [] });
}

test('plane spacing from ImageJ calibration: spacing= over the XResolution pixel width', { skip }, async () => {
  // 4 pixels per µm (0.25 µm pixels), planes 7.5 µm apart: 30 pixel widths.
  const s = await analysed('imagej', { description: `${hyperstack}unit=micron\nspacing=7.5\n`, resolution: { x: [4, 1], y: [4, 1], unit: 1 } });
  assert.equal(s.planeSpacingSource, 'metadata');
  assert.equal(s.planeSpacing, 30);
  assert.deepEqual(s.zStep, { value: 7.5, unit: 'µm' });
});

test('plane spacing from OME-XML PhysicalSizeX/Z in their own units', { skip }, async () => {
  const ome =
    `<?xml version="1.0"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06"><Image ID="Image:0">` +
    `<Pixels ID="Pixels:0" DimensionOrder="XYZCT" Type="uint16" SizeX="64" SizeY="48" SizeZ="2" SizeC="1" SizeT="${FRAMES}" ` +
    `PhysicalSizeX="800" PhysicalSizeXUnit="nm" PhysicalSizeY="0.8" PhysicalSizeZ="0.004" PhysicalSizeZUnit="mm">` +
    `<TiffData IFD="0" PlaneCount="${2 * FRAMES}"/></Pixels></Image></OME>`;
  const s = await analysed('ome', { description: ome });
  assert.equal(s.planeSpacingSource, 'metadata');
  assert.ok(Math.abs(s.planeSpacing - 5) < 1e-9, `4 µm over 0.8 µm pixels is 5 pixel widths (${s.planeSpacing})`);
  assert.equal(s.zStep?.unit, 'µm');
  assert.ok(Math.abs((s.zStep?.value ?? 0) - 4) < 1e-9);
});

test('plane spacing assumed when the recording states no z step, or no pixel size', { skip }, async () => {
  const bare = await analysed('bare', { description: hyperstack });
  assert.equal(bare.planeSpacingSource, 'assumed');
  assert.equal(bare.zStep, null);
  assert.equal(bare.planeSpacing, (64 * 0.35) / 1, 'a third of the field of view, as before');
  // spacing= with a unit but no resolution tags: the z step is known, the pixel width is not.
  const noPixel = await analysed('no-pixel-size', { description: `${hyperstack}unit=micron\nspacing=3\n` });
  assert.equal(noPixel.planeSpacingSource, 'assumed');
  assert.deepEqual(noPixel.zStep, { value: 3, unit: 'µm' });
});

test("plane spacing from ScanImage's stack step, with the pixel size of the resolution tags", { skip }, async () => {
  // ScanImage 4: a 2-slice stack of 6 µm steps; 40 000 pixels per cm are 0.25 µm pixels: 24 pixel widths.
  const si4 = `scanimage.SI4.versionMajor = 4.1\nscanimage.SI4.channelsSave = 1\nscanimage.SI4.stackNumSlices = 2\nscanimage.SI4.stackZStepSize = 6\n`;
  const s = await analysed('scanimage', { description: si4, resolution: { x: [40_000, 1], y: [40_000, 1], unit: 3 } });
  assert.equal(s.planeSpacingSource, 'metadata');
  assert.equal(s.planeSpacing, 24);
  assert.deepEqual(s.zStep, { value: 6, unit: 'µm' });
});

test('plane spacing assumed, naming the files, when the input files state different voxel sizes', { skip }, async () => {
  const calibrated = (spacing: number): Partial<TiffSpec> => ({
    description: `${hyperstack}unit=micron\nspacing=${spacing}\n`,
    resolution: { x: [4, 1], y: [4, 1], unit: 1 },
  });
  const same = await analysed('same', calibrated(7.5), [calibrated(7.5)]);
  assert.equal(same.planeSpacingSource, 'metadata');
  assert.equal(same.voxelDisagreement, null);
  const differ = await analysed('differ', calibrated(7.5), [calibrated(10)]);
  assert.equal(differ.planeSpacingSource, 'assumed');
  assert.equal(differ.zStep, null);
  assert.equal(differ.voxelDisagreement, 'differ.tif: x 0.25, y 0.25, z 7.5 µm; differ-1.tif: x 0.25, y 0.25, z 10 µm');
});
