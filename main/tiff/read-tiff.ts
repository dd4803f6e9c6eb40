/**
 * TIFF/BigTIFF header reader built on ranged reads only.
 *
 * Contract: reads the 8/16-byte header, the first IFD's entries and the values of the
 * handful of tags it reports (never StripOffsets/StripByteCounts arrays), then walks the
 * IFD chain reading only each IFD's entry count and next-IFD offset. Bytes read are
 * O(pages) small reads, independent of pixel data size. Any structural problem in the
 * header or first IFD throws a `TiffError`; problems later in the chain end the walk and
 * are recorded in `notes` with `pagesExact: false`.
 */
import { parseImageJDescription } from './imagej.ts';
import { isOmeXml, parseOmeXml } from './ome-xml.ts';
import { type OpenFile, type RangeSource, withFileSource } from './range-source.ts';
import { looksLikeScanImage, parseScanImage, SCANIMAGE_HEADER_MAGIC } from './scanimage.ts';
import { TiffError } from './tiff-error.ts';
import type { SampleFormat, TiffFacts } from './tiff-facts.ts';

export interface ReadTiffOptions {
  /** Stop walking the IFD chain after this many pages (default 1,000,000). */
  maxPages?: number;
  /** Longest ImageDescription / Software / Artist text read, in bytes (default 8 MiB). */
  maxTextBytes?: number;
  openFile?: OpenFile;
}

const TAG = {
  imageWidth: 256,
  imageLength: 257,
  bitsPerSample: 258,
  compression: 259,
  photometric: 262,
  imageDescription: 270,
  samplesPerPixel: 277,
  planarConfig: 284,
  software: 305,
  artist: 315,
  tileWidth: 322,
  tileLength: 323,
  sampleFormat: 339,
} as const;

/** Byte size of each TIFF field type; 0 marks an unknown type. */
const TYPE_SIZE: readonly number[] = [0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4, 0, 0, 8, 8, 8];

const COMPRESSION_NAMES: Readonly<Record<number, string>> = {
  1: 'none', 2: 'ccitt-rle', 3: 'ccitt-fax3', 4: 'ccitt-fax4', 5: 'lzw', 6: 'ojpeg', 7: 'jpeg',
  8: 'deflate', 32773: 'packbits', 32946: 'deflate', 34712: 'jpeg2000', 34887: 'lerc',
  34925: 'lzma', 50000: 'zstd', 50001: 'webp', 50002: 'jpegxl',
};

const MAX_IFD_ENTRIES = 4096;

interface Entry {
  tag: number;
  type: number;
  count: number;
  /** The raw value/offset field (4 bytes classic, 8 BigTIFF). */
  field: Uint8Array;
}

interface Layout {
  little: boolean;
  big: boolean;
  /** Bytes of an IFD entry count, an entry, and an offset. */
  countBytes: number;
  entryBytes: number;
  offsetBytes: number;
}

export async function readTiffFacts(path: string, options: ReadTiffOptions = {}): Promise<TiffFacts> {
  return withFileSource(path, (source) => readTiffFromSource(source, options), options.openFile);
}

export async function readTiffFromSource(source: RangeSource, options: ReadTiffOptions = {}): Promise<TiffFacts> {
  const maxPages = options.maxPages ?? 1_000_000;
  const maxTextBytes = options.maxTextBytes ?? 8 * 1024 * 1024;

  const header = await source.read(0, 16);
  if (header.length < 8) throw new TiffError(header.length === 0 ? 'truncated' : 'not-tiff', `not a TIFF: file is ${source.size} bytes, shorter than a TIFF header`);
  const order = String.fromCharCode(header[0], header[1]);
  if (order !== 'II' && order !== 'MM') throw new TiffError('not-tiff', 'not a TIFF: missing II/MM byte-order mark');
  const little = order === 'II';
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const magic = view.getUint16(2, little);
  let layout: Layout;
  let firstIfd: number;
  if (magic === 42) {
    layout = { little, big: false, countBytes: 2, entryBytes: 12, offsetBytes: 4 };
    firstIfd = view.getUint32(4, little);
  } else if (magic === 43) {
    if (header.length < 16) throw new TiffError('truncated', 'BigTIFF header is cut short');
    if (view.getUint16(4, little) !== 8 || view.getUint16(6, little) !== 0) throw new TiffError('corrupt', 'BigTIFF header has an unsupported offset size');
    layout = { little, big: true, countBytes: 8, entryBytes: 20, offsetBytes: 8 };
    firstIfd = uint64(view, 8, little);
  } else {
    throw new TiffError('not-tiff', `not a TIFF: version ${magic} is neither 42 (TIFF) nor 43 (BigTIFF)`);
  }
  if (firstIfd === 0) throw new TiffError('incomplete', 'TIFF header points to no image directory yet (file still being written?)');
  checkIfdOffset(firstIfd, layout, source.size, 'first image directory');

  const { entries, next } = await readIfd(source, layout, firstIfd, true);
  const find = (tag: number): Entry | undefined => entries.find((entry) => entry.tag === tag);
  const numbers = async (tag: number, max = 16): Promise<number[] | undefined> => {
    const entry = find(tag);
    return entry === undefined ? undefined : readNumbers(source, layout, entry, max);
  };
  const first = async (tag: number): Promise<number | undefined> => (await numbers(tag, 1))?.[0];
  const text = async (tag: number): Promise<string | undefined> => {
    const entry = find(tag);
    return entry === undefined ? undefined : readText(source, layout, entry, maxTextBytes);
  };

  const width = await first(TAG.imageWidth);
  const height = await first(TAG.imageLength);
  if (width === undefined || height === undefined) throw new TiffError('corrupt', 'first image directory lacks ImageWidth or ImageLength');
  if (width === 0 || height === 0) throw new TiffError('corrupt', `image size ${width}x${height} is empty`);
  const samplesPerPixel = (await first(TAG.samplesPerPixel)) ?? 1;
  const bitsPerSample = (await first(TAG.bitsPerSample)) ?? 1;
  const sampleFormat = sampleFormatName((await first(TAG.sampleFormat)) ?? 1);
  const compression = (await first(TAG.compression)) ?? 1;
  const photometric = await first(TAG.photometric);
  const planar = (await first(TAG.planarConfig)) ?? 1;
  const tileWidth = await first(TAG.tileWidth);
  const tileHeight = await first(TAG.tileLength);

  const notes: string[] = [];
  const walk = await countPages(source, layout, firstIfd, next, maxPages);
  notes.push(...walk.notes);

  const facts: TiffFacts = {
    byteOrder: little ? 'little' : 'big',
    bigTiff: layout.big,
    width,
    height,
    pages: walk.pages,
    pagesExact: walk.exact,
    samplesPerPixel,
    bitsPerSample,
    sampleFormat,
    sampleType: sampleTypeName(sampleFormat, bitsPerSample),
    compression,
    compressionName: COMPRESSION_NAMES[compression] ?? `unknown-${compression}`,
    planarConfig: planar === 2 ? 'planar' : 'chunky',
    layout: tileWidth !== undefined ? 'tiles' : 'strips',
    notes,
  };
  if (photometric !== undefined) facts.photometric = photometric;
  if (tileWidth !== undefined) facts.tileWidth = tileWidth;
  if (tileHeight !== undefined) facts.tileHeight = tileHeight;

  const description = await text(TAG.imageDescription);
  if (description !== undefined) {
    const imagej = parseImageJDescription(description);
    if (imagej) {
      facts.imagej = imagej;
      if (imagej.images !== undefined && imagej.images !== walk.pages && walk.exact) {
        notes.push(`ImageJ header claims ${imagej.images} images but the file holds ${walk.pages} page${walk.pages === 1 ? '' : 's'}`);
      }
    }
    if (isOmeXml(description)) {
      const ome = parseOmeXml(description);
      if (ome) facts.ome = ome;
    }
  }
  const scanimage = await readScanImage(source, layout, description, await text(TAG.software), await text(TAG.artist), maxTextBytes);
  if (scanimage) facts.scanimage = scanimage;
  return facts;
}

async function readScanImage(
  source: RangeSource,
  layout: Layout,
  description: string | undefined,
  software: string | undefined,
  artist: string | undefined,
  maxTextBytes: number,
): Promise<TiffFacts['scanimage']> {
  if (layout.big) {
    const block = await source.read(16, 16);
    if (block.length === 16) {
      const view = new DataView(block.buffer, block.byteOffset, 16);
      const magic = view.getUint32(0, layout.little);
      const version = view.getUint32(4, layout.little);
      if (magic === SCANIMAGE_HEADER_MAGIC && version >= 3) {
        const frameBytes = view.getUint32(8, layout.little);
        const roiBytes = view.getUint32(12, layout.little);
        if (frameBytes <= maxTextBytes && roiBytes <= maxTextBytes) {
          const frameData = decodeText(await source.read(32, frameBytes));
          let roi: unknown;
          if (roiBytes > 1) {
            try {
              roi = JSON.parse(decodeText(await source.read(32 + frameBytes, roiBytes)));
            } catch {
              roi = undefined;
            }
          }
          const facts = parseScanImage(frameData, roi);
          if (facts) return facts;
        }
      }
    }
  }
  for (const text of [description, software]) {
    if (text !== undefined && looksLikeScanImage(text)) {
      let roi: unknown;
      if (artist !== undefined && artist.trimStart().startsWith('{')) {
        try {
          roi = JSON.parse(artist);
        } catch {
          roi = undefined;
        }
      }
      const facts = parseScanImage(text, roi);
      if (facts) return facts;
    }
  }
  return undefined;
}

function checkIfdOffset(offset: number, layout: Layout, size: number, what: string): void {
  if (offset < (layout.big ? 16 : 8)) throw new TiffError('corrupt', `${what} offset ${offset} overlaps the header`);
  if (offset + layout.countBytes > size) throw new TiffError('truncated', `${what} at offset ${offset} lies beyond the end of the ${size}-byte file`);
}

async function readIfd(source: RangeSource, layout: Layout, offset: number, withEntries: boolean): Promise<{ entries: Entry[]; count: number; next: number }> {
  const countBuffer = await source.read(offset, layout.countBytes);
  if (countBuffer.length < layout.countBytes) throw new TiffError('truncated', `image directory at offset ${offset} is cut short`);
  const countView = new DataView(countBuffer.buffer, countBuffer.byteOffset, countBuffer.byteLength);
  const count = layout.big ? uint64(countView, 0, layout.little) : countView.getUint16(0, layout.little);
  if (count === 0 || count > MAX_IFD_ENTRIES) throw new TiffError('corrupt', `image directory at offset ${offset} claims ${count} entries`);
  const entriesStart = offset + layout.countBytes;
  const nextAt = entriesStart + count * layout.entryBytes;
  const entries: Entry[] = [];
  if (withEntries) {
    const block = await source.read(entriesStart, count * layout.entryBytes + layout.offsetBytes);
    if (block.length < count * layout.entryBytes + layout.offsetBytes) throw new TiffError('truncated', `image directory at offset ${offset} is cut short`);
    const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
    for (let i = 0; i < count; i++) {
      const at = i * layout.entryBytes;
      const tag = view.getUint16(at, layout.little);
      const type = view.getUint16(at + 2, layout.little);
      const entryCount = layout.big ? uint64(view, at + 4, layout.little) : view.getUint32(at + 4, layout.little);
      const fieldAt = at + (layout.big ? 12 : 8);
      entries.push({ tag, type, count: entryCount, field: block.subarray(fieldAt, fieldAt + layout.offsetBytes) });
    }
    const next = readOffset(view, count * layout.entryBytes, layout);
    return { entries, count, next };
  }
  const nextBuffer = await source.read(nextAt, layout.offsetBytes);
  if (nextBuffer.length < layout.offsetBytes) throw new TiffError('truncated', `image directory at offset ${offset} is cut short`);
  const next = readOffset(new DataView(nextBuffer.buffer, nextBuffer.byteOffset, nextBuffer.byteLength), 0, layout);
  return { entries, count, next };
}

async function countPages(
  source: RangeSource,
  layout: Layout,
  firstIfd: number,
  secondIfd: number,
  maxPages: number,
): Promise<{ pages: number; exact: boolean; notes: string[] }> {
  const visited = new Set<number>([firstIfd]);
  let pages = 1;
  let next = secondIfd;
  while (next !== 0) {
    if (visited.has(next)) {
      return { pages, exact: false, notes: [`IFD chain loops back to offset ${next} after ${pages} pages; counting stopped`] };
    }
    if (pages >= maxPages) {
      return { pages, exact: false, notes: [`IFD chain longer than ${maxPages} pages; counting stopped`] };
    }
    if (next < (layout.big ? 16 : 8) || next + layout.countBytes > source.size) {
      return { pages, exact: false, notes: [`IFD ${pages + 1} offset ${next} lies outside the ${source.size}-byte file; counting stopped`] };
    }
    visited.add(next);
    try {
      ({ next } = await readIfd(source, layout, next, false));
    } catch (error) {
      if (!(error instanceof TiffError) || error.code === 'io') throw error;
      return { pages, exact: false, notes: [`IFD ${pages + 1} is unreadable (${error.message}); counting stopped`] };
    }
    pages++;
  }
  return { pages, exact: true, notes: [] };
}

async function readNumbers(source: RangeSource, layout: Layout, entry: Entry, max: number): Promise<number[]> {
  const size = TYPE_SIZE[entry.type] ?? 0;
  if (size === 0) throw new TiffError('corrupt', `tag ${entry.tag} has unknown field type ${entry.type}`);
  const count = Math.min(entry.count, max);
  const bytes = await valueBytes(source, layout, entry, size, count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * size;
    switch (entry.type) {
      case 1: case 7: values.push(view.getUint8(at)); break;
      case 6: values.push(view.getInt8(at)); break;
      case 3: values.push(view.getUint16(at, layout.little)); break;
      case 8: values.push(view.getInt16(at, layout.little)); break;
      case 4: case 13: values.push(view.getUint32(at, layout.little)); break;
      case 9: values.push(view.getInt32(at, layout.little)); break;
      case 16: case 18: values.push(uint64(view, at, layout.little)); break;
      case 17: values.push(Number(view.getBigInt64(at, layout.little))); break;
      case 11: values.push(view.getFloat32(at, layout.little)); break;
      case 12: values.push(view.getFloat64(at, layout.little)); break;
      case 5: values.push(view.getUint32(at, layout.little) / view.getUint32(at + 4, layout.little)); break;
      case 10: values.push(view.getInt32(at, layout.little) / view.getInt32(at + 4, layout.little)); break;
      default: throw new TiffError('corrupt', `tag ${entry.tag} has non-numeric field type ${entry.type}`);
    }
  }
  return values;
}

async function readText(source: RangeSource, layout: Layout, entry: Entry, maxBytes: number): Promise<string> {
  if (entry.type !== 2 && entry.type !== 1 && entry.type !== 7) throw new TiffError('corrupt', `text tag ${entry.tag} has field type ${entry.type}`);
  return decodeText(await valueBytes(source, layout, entry, 1, Math.min(entry.count, maxBytes)));
}

async function valueBytes(source: RangeSource, layout: Layout, entry: Entry, size: number, count: number): Promise<Uint8Array> {
  const total = entry.count * size;
  const wanted = count * size;
  if (total <= layout.offsetBytes) return entry.field.subarray(0, wanted);
  const view = new DataView(entry.field.buffer, entry.field.byteOffset, entry.field.byteLength);
  const offset = readOffset(view, 0, layout);
  if (offset + wanted > source.size) throw new TiffError('truncated', `value of tag ${entry.tag} at offset ${offset} lies beyond the end of the file`);
  const bytes = await source.read(offset, wanted);
  if (bytes.length < wanted) throw new TiffError('truncated', `value of tag ${entry.tag} is cut short`);
  return bytes;
}

function readOffset(view: DataView, at: number, layout: Layout): number {
  return layout.big ? uint64(view, at, layout.little) : view.getUint32(at, layout.little);
}

function uint64(view: DataView, at: number, little: boolean): number {
  const value = view.getBigUint64(at, little);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new TiffError('corrupt', `64-bit value ${value} at byte ${at} is out of range`);
  return Number(value);
}

const utf8 = new TextDecoder('utf-8');

function decodeText(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return utf8.decode(bytes.subarray(0, end));
}

function sampleFormatName(code: number): SampleFormat {
  switch (code) {
    case 1: return 'uint';
    case 2: return 'int';
    case 3: return 'float';
    case 5: return 'complex-int';
    case 6: return 'complex-float';
    default: return 'unknown';
  }
}

function sampleTypeName(format: SampleFormat, bits: number): string {
  switch (format) {
    case 'uint': return `uint${bits}`;
    case 'int': return `int${bits}`;
    case 'float': return `float${bits}`;
    case 'complex-int': return `complex-int${bits}`;
    case 'complex-float': return `complex${bits}`;
    default: return `unknown${bits}`;
  }
}
