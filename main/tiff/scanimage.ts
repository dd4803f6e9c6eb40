/**
 * ScanImage metadata, all generations:
 * - 3.x: ImageDescription of `state.*=value` lines separated by CR.
 * - 4.x: ImageDescription of `scanimage.SI4.* = value` lines.
 * - 5.x and 2015+: `SI.* = value` lines (ImageDescription on old releases, the Software tag and
 *   the BigTIFF header block at offset 16 on newer ones), plus ROI group JSON in that header.
 * Values are MATLAB literals; only the ones needed here are interpreted.
 */
import type { ScanImageFacts } from './tiff-facts.ts';

/** Magic number of the ScanImage BigTIFF header block that follows the 16-byte BigTIFF header. */
export const SCANIMAGE_HEADER_MAGIC = 117637889;

export type MatlabValue = number | boolean | string | number[] | null;

/** Interprets a MATLAB literal: numbers, logicals, quoted strings, numeric row/column vectors. */
export function parseMatlabValue(raw: string): MatlabValue {
  const text = raw.trim();
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === '[]' || text === '{}') return null;
  if (/^'.*'$/s.test(text)) return text.slice(1, -1).replace(/''/g, "'");
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) || text === 'NaN' || text === 'Inf' || text === '-Inf') {
    return Number(text);
  }
  if (/^\[[-+\d.eE\s;,NaInf]*\]$/.test(text)) {
    const parts = text.slice(1, -1).split(/[\s;,]+/).filter((part) => part.length > 0);
    const numbers = parts.map(Number);
    if (numbers.every((n, i) => !Number.isNaN(n) || parts[i] === 'NaN')) return numbers;
  }
  return text;
}

/** `key = value` or `key=value` lines into a map; keys keep their full dotted names. */
export function parseKeyValueLines(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split(/\r\n|\r|\n/)) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    values.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return values;
}

export function looksLikeScanImage(text: string): boolean {
  return text.includes('state.software.version') || text.includes('scanimage.SI') || /(^|\n)SI\.[A-Za-z]/.test(text);
}

/**
 * Facts from ScanImage text metadata (description, Software tag, or header frame data),
 * with `roiJson` the parsed ROI group JSON when the BigTIFF header carried it.
 */
export function parseScanImage(text: string, roiJson?: unknown): ScanImageFacts | undefined {
  const values = parseKeyValueLines(text);
  if (values.has('state.software.version')) return fromScanImage3(values);
  const si4 = [...values.keys()].some((key) => key.startsWith('scanimage.SI4.'));
  if (si4) return fromScanImage4(values);
  const normalised = new Map<string, string>();
  for (const [key, value] of values) {
    const bare = key.replace(/^scanimage\./, '').replace(/^SI5\./, 'SI.');
    if (bare.startsWith('SI.')) normalised.set(bare, value);
  }
  if (normalised.size === 0) return undefined;
  return fromScanImage5(normalised, roiJson);
}

function fromScanImage3(values: Map<string, string>): ScanImageFacts {
  const facts: ScanImageFacts = { version: String(values.get('state.software.version')), generation: 3 };
  const saved: number[] = [];
  for (let channel = 1; channel <= 8; channel++) {
    if (numberOf(values, `state.acq.savingChannel${channel}`) === 1) saved.push(channel);
  }
  if (saved.length > 0) facts.channelsSaved = saved;
  assignNumber(facts, 'slices', numberOf(values, 'state.acq.numberOfZSlices'));
  assignNumber(facts, 'framesPerSlice', numberOf(values, 'state.acq.numberOfFrames'));
  assignNumber(facts, 'frameRate', numberOf(values, 'state.acq.frameRate'));
  return facts;
}

function fromScanImage4(values: Map<string, string>): ScanImageFacts {
  const key = (name: string) => `scanimage.SI4.${name}`;
  const facts: ScanImageFacts = { version: versionString(values.get(key('versionMajor')), values.get(key('versionMinor'))) || '4', generation: 4 };
  const saved = numbersOf(values, key('channelsSave'));
  if (saved) facts.channelsSaved = saved;
  assignNumber(facts, 'slices', numberOf(values, key('stackNumSlices')));
  assignNumber(facts, 'framesPerSlice', numberOf(values, key('acqNumFrames')));
  assignNumber(facts, 'frameRate', numberOf(values, key('scanFrameRate')));
  assignNumber(facts, 'volumes', numberOf(values, key('fastZNumVolumes')));
  return facts;
}

function fromScanImage5(values: Map<string, string>, roiJson: unknown): ScanImageFacts {
  const major = values.get('SI.VERSION_MAJOR');
  const facts: ScanImageFacts = { version: versionString(major, values.get('SI.VERSION_MINOR')) || '5', generation: 5 };
  const saved = numbersOf(values, 'SI.hChannels.channelSave');
  if (saved) facts.channelsSaved = saved;
  const zs = numbersOf(values, 'SI.hStackManager.zs');
  if (zs) facts.zs = zs;
  assignNumber(
    facts,
    'slices',
    numberOf(values, 'SI.hStackManager.actualNumSlices') ?? numberOf(values, 'SI.hStackManager.numSlices') ?? numberOf(values, 'SI.hFastZ.numFramesPerVolume'),
  );
  assignNumber(
    facts,
    'volumes',
    numberOf(values, 'SI.hStackManager.actualNumVolumes') ?? numberOf(values, 'SI.hStackManager.numVolumes') ?? numberOf(values, 'SI.hFastZ.numVolumes'),
  );
  assignNumber(facts, 'framesPerSlice', numberOf(values, 'SI.hStackManager.framesPerSlice'));
  assignNumber(facts, 'frameRate', numberOf(values, 'SI.hRoiManager.scanFrameRate'));
  if (roiJson !== undefined && roiJson !== null) {
    const count = countImagingRois(roiJson);
    if (count !== undefined) facts.roiCount = count;
    facts.roiGroups = (roiJson as { RoiGroups?: unknown }).RoiGroups ?? roiJson;
  }
  return facts;
}

function countImagingRois(json: unknown): number | undefined {
  const rois = (json as { RoiGroups?: { imagingRoiGroup?: { rois?: unknown } } })?.RoiGroups?.imagingRoiGroup?.rois;
  if (rois === undefined || rois === null) return undefined;
  return Array.isArray(rois) ? rois.length : 1;
}

function versionString(major: string | undefined, minor: string | undefined): string {
  if (major === undefined) return '';
  const majorValue = parseMatlabValue(major);
  const majorText = majorValue === null ? '' : String(majorValue);
  const minorValue = minor === undefined ? null : parseMatlabValue(minor);
  if (minorValue === null || minorValue === '' || minorValue === '0' || minorValue === 0 || majorText.includes('.')) return majorText;
  return `${majorText}.${String(minorValue)}`;
}

function numberOf(values: Map<string, string>, key: string): number | undefined {
  const raw = values.get(key);
  if (raw === undefined) return undefined;
  const value = parseMatlabValue(raw);
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value) && value.length === 1 && Number.isFinite(value[0])) return value[0];
  return undefined;
}

function numbersOf(values: Map<string, string>, key: string): number[] | undefined {
  const raw = values.get(key);
  if (raw === undefined) return undefined;
  const value = parseMatlabValue(raw);
  if (typeof value === 'number' && Number.isFinite(value)) return [value];
  if (Array.isArray(value)) return value;
  return undefined;
}

function assignNumber<K extends 'slices' | 'framesPerSlice' | 'frameRate' | 'volumes'>(facts: ScanImageFacts, key: K, value: number | undefined): void {
  if (value !== undefined) facts[key] = value;
}
