/** ImageJ's ImageDescription: `ImageJ=1.53t\nimages=480\nslices=2\nframes=240\nhyperstack=true...`. */
import type { ImageJFacts } from './tiff-facts.ts';

export function parseImageJDescription(description: string): ImageJFacts | undefined {
  if (!description.startsWith('ImageJ=')) return undefined;
  const values = new Map<string, string>();
  for (const line of description.split(/\r\n|\r|\n/)) {
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const facts: ImageJFacts = { version: values.get('ImageJ') ?? '' };
  const int = (key: string): number | undefined => {
    const raw = values.get(key);
    if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
    return Number(raw);
  };
  const num = (key: string): number | undefined => {
    const raw = values.get(key);
    const n = raw === undefined ? NaN : Number(raw);
    return Number.isFinite(n) ? n : undefined;
  };
  const images = int('images');
  if (images !== undefined) facts.images = images;
  const channels = int('channels');
  if (channels !== undefined) facts.channels = channels;
  const slices = int('slices');
  if (slices !== undefined) facts.slices = slices;
  const frames = int('frames');
  if (frames !== undefined) facts.frames = frames;
  const hyperstack = values.get('hyperstack');
  if (hyperstack !== undefined) facts.hyperstack = hyperstack === 'true';
  const finterval = num('finterval');
  if (finterval !== undefined) facts.finterval = finterval;
  const spacing = num('spacing');
  if (spacing !== undefined) facts.spacing = spacing;
  const unit = values.get('unit');
  if (unit !== undefined) facts.unit = unit;
  return facts;
}
