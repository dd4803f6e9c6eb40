/**
 * Screenshots compared with reviewed reference PNGs (test/e2e/reference/<name>.png).
 *
 * Contract of `compareImages`: a pixel differs when any of its R, G, B, A channels differs by
 * more than `channelTolerance`; the images match when they have the same size and at most
 * `maxDifferingFraction` of their pixels differ. Regions that change by themselves (clocks,
 * costs, temporary paths) are masked when the screenshot is taken (Playwright's `mask`, a flat
 * colour), so they are equal in both images.
 *
 * `expectScreen` asserts a match with the committed reference. When the reference is missing it
 * fails under CI; outside CI it writes the screenshot as the candidate reference and fails too,
 * so that a person looks at it before committing it. SCOPECLOUD_UPDATE_REFERENCES=1 rewrites
 * references (outside CI only). On a mismatch the actual image and a diff (differing pixels in
 * red over a faded copy) are written to the system temp folder and named in the failure.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePng } from './png.ts';
import { decodePng, type DecodedPng } from './png-decode.ts';
import { underCi } from './requirements.ts';

export const REFERENCE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'e2e', 'reference');

export interface CompareOptions {
  /** Largest per-channel difference (0-255) still counted as equal; absorbs font antialiasing. */
  channelTolerance: number;
  /** Largest fraction (0-1) of pixels allowed to differ. */
  maxDifferingFraction: number;
}

export const DEFAULT_COMPARE: CompareOptions = { channelTolerance: 40, maxDifferingFraction: 0.004 };

export interface Comparison {
  sameSize: boolean;
  differing: number;
  fraction: number;
  matches: boolean;
  /** Differing pixels in red over a faded `actual` (only when the sizes agree). */
  diff: DecodedPng | null;
}

export function compareImages(expected: DecodedPng, actual: DecodedPng, o: CompareOptions = DEFAULT_COMPARE): Comparison {
  if (expected.width !== actual.width || expected.height !== actual.height) {
    return { sameSize: false, differing: Infinity, fraction: 1, matches: false, diff: null };
  }
  const n = expected.width * expected.height;
  const diff = new Uint8Array(n * 4);
  let differing = 0;
  for (let p = 0; p < n; p++) {
    const i = p * 4;
    let worst = 0;
    for (let c = 0; c < 4; c++) worst = Math.max(worst, Math.abs(expected.rgba[i + c] - actual.rgba[i + c]));
    const grey = 200 + ((actual.rgba[i] + actual.rgba[i + 1] + actual.rgba[i + 2]) / 3) * (55 / 255);
    if (worst > o.channelTolerance) {
      differing++;
      diff.set([255, 0, 0, 255], i);
    } else {
      diff.set([grey, grey, grey, 255], i);
    }
  }
  const fraction = differing / n;
  return {
    sameSize: true,
    differing,
    fraction,
    matches: fraction <= o.maxDifferingFraction,
    diff: { width: expected.width, height: expected.height, rgba: diff },
  };
}

/** Asserts that `screenshot` (a PNG) matches reference `name`; see the file's contract. */
export function expectScreen(
  name: string,
  screenshot: Uint8Array,
  o: Partial<CompareOptions> & { dir?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
): void {
  const dir = o.dir ?? REFERENCE_DIR;
  const reference = join(dir, `${name}.png`);
  const ci = underCi(env);
  if (!ci && env.SCOPECLOUD_UPDATE_REFERENCES === '1') {
    mkdirSync(dir, { recursive: true });
    writeFileSync(reference, screenshot);
    return;
  }
  if (!existsSync(reference)) {
    if (!ci) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(reference, screenshot);
    }
    assert.fail(
      ci
        ? `no reference image ${reference}: create it outside CI, look at it and commit it`
        : `no reference image ${reference}: written from this run; look at it, then commit it`,
    );
  }
  const actual = decodePng(screenshot);
  const result = compareImages(decodePng(readFileSync(reference)), actual, { ...DEFAULT_COMPARE, ...o });
  if (result.matches) return;
  const out = join(tmpdir(), `scopecloud-screen-${name}`);
  writeFileSync(`${out}-actual.png`, screenshot);
  if (result.diff) writeFileSync(`${out}-diff.png`, encodePng(result.diff.width, result.diff.height, result.diff.rgba, 4));
  assert.fail(
    result.sameSize
      ? `screen ${name} differs from its reference in ${result.differing} pixels (${(result.fraction * 100).toFixed(2)}%); see ${out}-actual.png and ${out}-diff.png`
      : `screen ${name} is ${actual.width}x${actual.height}, its reference is not; see ${out}-actual.png`,
  );
}
