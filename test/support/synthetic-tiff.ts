/**
 * Writers of synthetic TIFF / BigTIFF files for tests.
 *
 * - `encodeTiff(spec)`: a whole small file in memory.
 * - `writeSparseTiff(path, spec)`: the same layout on disk as a sparse file (ftruncate, then
 *   only header and IFDs written), so multi-GB files cost a few KiB of disk.
 * - `SlowTiffWriter`: grows a file page by page like an acquisition program does, leaving the
 *   header's first-IFD offset at 0 and a placeholder description until `close()`, which
 *   rewrites both (bytes near the start change after they were first written).
 *
 * Layout: [header][description slot?] then per page [pixel strip][IFD][out-of-line values].
 */
import { open, type FileHandle } from 'node:fs/promises';

export interface TiffSpec {
  width: number;
  height: number;
  pages: number;
  bitsPerSample?: 8 | 16 | 32 | 64;
  /** 1 uint, 2 int, 3 float. */
  sampleFormat?: 1 | 2 | 3;
  samplesPerPixel?: number;
  littleEndian?: boolean;
  bigTiff?: boolean;
  /** ImageDescription of the first page. */
  description?: string;
  software?: string;
  /**
   * XResolution and YResolution of the first page as [numerator, denominator] pixels per unit,
   * with ResolutionUnit (1 none, 2 inch, 3 centimetre).
   */
  resolution?: { x: [number, number]; y: [number, number]; unit: 1 | 2 | 3 };
  /** Fill byte for pixel data (encodeTiff only). */
  fill?: number;
  /** Override the pixel bytes stored per page (default width*height*spp*bps/8). */
  stripBytes?: number;
}

interface Field {
  tag: number;
  type: number;
  count: number;
  /** Encoded value bytes (already in the file's byte order). */
  bytes: Uint8Array;
}

interface Format {
  little: boolean;
  big: boolean;
}

const ASCII = 2;
const SHORT = 3;
const LONG = 4;
const RATIONAL = 5;
const LONG8 = 16;

export function headerBytes(format: Format, firstIfd: number): Uint8Array {
  const bytes = new Uint8Array(format.big ? 16 : 8);
  const view = new DataView(bytes.buffer);
  bytes[0] = bytes[1] = format.little ? 0x49 : 0x4d;
  view.setUint16(2, format.big ? 43 : 42, format.little);
  if (format.big) {
    view.setUint16(4, 8, format.little);
    view.setUint16(6, 0, format.little);
    view.setBigUint64(8, BigInt(firstIfd), format.little);
  } else {
    view.setUint32(4, firstIfd, format.little);
  }
  return bytes;
}

function numberField(format: Format, tag: number, type: number, values: number[]): Field {
  const size = type === SHORT ? 2 : type === LONG ? 4 : 8;
  const bytes = new Uint8Array(size * values.length);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => {
    if (type === SHORT) view.setUint16(i * size, value, format.little);
    else if (type === LONG) view.setUint32(i * size, value, format.little);
    else view.setBigUint64(i * size, BigInt(value), format.little);
  });
  return { tag, type, count: values.length, bytes };
}

function rationalField(format: Format, tag: number, [numerator, denominator]: [number, number]): Field {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, numerator, format.little);
  view.setUint32(4, denominator, format.little);
  return { tag, type: RATIONAL, count: 1, bytes };
}

function asciiField(tag: number, text: string, capacity?: number): Field {
  const encoded = new TextEncoder().encode(text);
  const length = capacity ?? encoded.length + 1;
  if (encoded.length + 1 > length) throw new Error(`text of ${encoded.length} bytes exceeds slot of ${length}`);
  const bytes = new Uint8Array(length);
  bytes.set(encoded);
  return { tag, type: ASCII, count: length, bytes };
}

/**
 * One IFD at `offset` with its out-of-line values right after it. `external` maps a tag to
 * an already-written value location (used for the rewritable description slot).
 */
export function encodeIfd(format: Format, offset: number, fields: Field[], next: number, external: Map<number, number> = new Map()): Uint8Array {
  const entryBytes = format.big ? 20 : 12;
  const countBytes = format.big ? 8 : 2;
  const offsetBytes = format.big ? 8 : 4;
  const sorted = [...fields].sort((a, b) => a.tag - b.tag);
  const ifdLength = countBytes + sorted.length * entryBytes + offsetBytes;
  const extraLength = sorted.reduce((sum, f) => sum + (f.bytes.length > offsetBytes && !external.has(f.tag) ? f.bytes.length + (f.bytes.length % 2) : 0), 0);
  const out = new Uint8Array(ifdLength + extraLength);
  const view = new DataView(out.buffer);
  if (format.big) view.setBigUint64(0, BigInt(sorted.length), format.little);
  else view.setUint16(0, sorted.length, format.little);
  let extraAt = ifdLength;
  sorted.forEach((field, i) => {
    const at = countBytes + i * entryBytes;
    view.setUint16(at, field.tag, format.little);
    view.setUint16(at + 2, field.type, format.little);
    if (format.big) view.setBigUint64(at + 4, BigInt(field.count), format.little);
    else view.setUint32(at + 4, field.count, format.little);
    const valueAt = at + (format.big ? 12 : 8);
    const externalOffset = external.get(field.tag);
    if (externalOffset !== undefined) {
      writeOffset(view, valueAt, externalOffset, format);
    } else if (field.bytes.length <= offsetBytes) {
      out.set(field.bytes, valueAt);
    } else {
      writeOffset(view, valueAt, offset + extraAt, format);
      out.set(field.bytes, extraAt);
      extraAt += field.bytes.length + (field.bytes.length % 2);
    }
  });
  writeOffset(view, countBytes + sorted.length * entryBytes, next, format);
  return out;
}

function writeOffset(view: DataView, at: number, value: number, format: Format): void {
  if (format.big) view.setBigUint64(at, BigInt(value), format.little);
  else view.setUint32(at, value, format.little);
}

function pageFields(spec: TiffSpec, format: Format, stripOffset: number, stripBytes: number, first: boolean, descriptionCapacity?: number): Field[] {
  const bps = spec.bitsPerSample ?? 16;
  const spp = spec.samplesPerPixel ?? 1;
  const offsetType = format.big ? LONG8 : LONG;
  const fields: Field[] = [
    numberField(format, 256, LONG, [spec.width]),
    numberField(format, 257, LONG, [spec.height]),
    numberField(format, 258, SHORT, new Array<number>(spp).fill(bps)),
    numberField(format, 259, SHORT, [1]),
    numberField(format, 262, SHORT, [1]),
    numberField(format, 273, offsetType, [stripOffset]),
    numberField(format, 277, SHORT, [spp]),
    numberField(format, 278, LONG, [spec.height]),
    numberField(format, 279, offsetType, [stripBytes]),
    numberField(format, 339, SHORT, new Array<number>(spp).fill(spec.sampleFormat ?? 1)),
  ];
  if (first && spec.description !== undefined) fields.push(asciiField(270, spec.description, descriptionCapacity));
  if (first && spec.software !== undefined) fields.push(asciiField(305, spec.software));
  if (first && spec.resolution !== undefined)
    fields.push(
      rationalField(format, 282, spec.resolution.x),
      rationalField(format, 283, spec.resolution.y),
      numberField(format, 296, SHORT, [spec.resolution.unit]),
    );
  return fields;
}

function stripBytesOf(spec: TiffSpec): number {
  return spec.stripBytes ?? (spec.width * spec.height * (spec.samplesPerPixel ?? 1) * (spec.bitsPerSample ?? 16)) / 8;
}

/** Chunks (offset, bytes) making up the file, pixel data excluded, plus the total size. */
export function tiffLayout(spec: TiffSpec): { chunks: Array<{ offset: number; bytes: Uint8Array }>; strips: number[]; size: number } {
  const format: Format = { little: spec.littleEndian ?? true, big: spec.bigTiff ?? false };
  const stripBytes = stripBytesOf(spec);
  const chunks: Array<{ offset: number; bytes: Uint8Array }> = [];
  const strips: number[] = [];
  let at = format.big ? 16 : 8;
  const ifdOffsets: number[] = [];
  const ifds: Field[][] = [];
  for (let page = 0; page < spec.pages; page++) {
    strips.push(at);
    at += stripBytes;
    at += at % 2;
    ifdOffsets.push(at);
    const fields = pageFields(spec, format, strips[page], stripBytes, page === 0);
    ifds.push(fields);
    at += encodeIfd(format, at, fields, 0).length;
  }
  chunks.push({ offset: 0, bytes: headerBytes(format, ifdOffsets[0] ?? 0) });
  for (let page = 0; page < spec.pages; page++) {
    chunks.push({ offset: ifdOffsets[page], bytes: encodeIfd(format, ifdOffsets[page], ifds[page], ifdOffsets[page + 1] ?? 0) });
  }
  return { chunks, strips, size: at };
}

export function encodeTiff(spec: TiffSpec): Buffer {
  const { chunks, strips, size } = tiffLayout(spec);
  const out = Buffer.alloc(size);
  const stripBytes = stripBytesOf(spec);
  if (spec.fill !== undefined) for (const strip of strips) out.fill(spec.fill, strip, strip + stripBytes);
  for (const chunk of chunks) out.set(chunk.bytes, chunk.offset);
  return out;
}

/** Writes the TIFF as a sparse file: pixel strips are holes. Returns the file size. */
export async function writeSparseTiff(path: string, spec: TiffSpec): Promise<number> {
  const { chunks, size } = tiffLayout(spec);
  const handle = await open(path, 'w');
  try {
    await handle.truncate(size);
    for (const chunk of chunks) await handle.write(chunk.bytes, 0, chunk.bytes.length, chunk.offset);
  } finally {
    await handle.close();
  }
  return size;
}

/**
 * Grows a TIFF page by page. While open, the header's first-IFD offset is 0 (readers see an
 * unfinished file) and the description slot holds a placeholder; `close()` patches the header
 * and rewrites the description with the final page count, as ImageJ-style writers do.
 */
export class SlowTiffWriter {
  readonly path: string;
  private readonly spec: TiffSpec;
  private readonly format: Format;
  private handle: FileHandle | undefined;
  private end = 0;
  private pagesWritten = 0;
  private firstIfd = 0;
  private lastIfd = -1;
  private lastIfdNextAt = -1;
  private descriptionAt = 0;
  private readonly descriptionCapacity = 256;

  constructor(path: string, spec: Omit<TiffSpec, 'pages'>) {
    this.path = path;
    this.spec = { ...spec, pages: 0 };
    this.format = { little: spec.littleEndian ?? true, big: spec.bigTiff ?? false };
  }

  get pages(): number {
    return this.pagesWritten;
  }

  get size(): number {
    return this.end;
  }

  async open(): Promise<void> {
    this.handle = await open(this.path, 'w');
    const header = headerBytes(this.format, 0);
    await this.handle.write(header, 0, header.length, 0);
    this.descriptionAt = header.length;
    const slot = asciiField(270, this.descriptionText('placeholder'), this.descriptionCapacity).bytes;
    await this.handle.write(slot, 0, slot.length, this.descriptionAt);
    this.end = this.descriptionAt + slot.length;
  }

  /** Appends one page (pixel strip + IFD) and links it into the chain. */
  async writePage(fill = this.pagesWritten & 0xff): Promise<void> {
    const handle = this.requireOpen();
    const stripBytes = stripBytesOf(this.spec);
    const stripAt = this.end;
    await handle.write(Buffer.alloc(stripBytes, fill), 0, stripBytes, stripAt);
    let ifdAt = stripAt + stripBytes;
    ifdAt += ifdAt % 2;
    const first = this.pagesWritten === 0;
    const fields = pageFields(
      { ...this.spec, description: first ? this.descriptionText('placeholder') : undefined },
      this.format,
      stripAt,
      stripBytes,
      first,
      this.descriptionCapacity,
    );
    const ifd = encodeIfd(this.format, ifdAt, fields, 0, first ? new Map([[270, this.descriptionAt]]) : new Map());
    await handle.write(ifd, 0, ifd.length, ifdAt);
    if (this.lastIfd >= 0) await handle.write(this.offsetBytes(ifdAt), 0, this.format.big ? 8 : 4, this.lastIfdNextAt);
    else this.firstIfd = ifdAt;
    const entries = fields.length;
    this.lastIfd = ifdAt;
    this.lastIfdNextAt = ifdAt + (this.format.big ? 8 + entries * 20 : 2 + entries * 12);
    this.end = ifdAt + ifd.length;
    this.pagesWritten++;
  }

  /** Finalises: rewrites the description with the page count and points the header at IFD 0. */
  async close(): Promise<void> {
    const handle = this.requireOpen();
    const slot = asciiField(270, this.descriptionText(String(this.pagesWritten)), this.descriptionCapacity).bytes;
    await handle.write(slot, 0, slot.length, this.descriptionAt);
    const header = headerBytes(this.format, this.firstIfd);
    await handle.write(header, 0, header.length, 0);
    await handle.close();
    this.handle = undefined;
  }

  /** Closes the descriptor without finalising (a crashed writer). */
  async abandon(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }

  private descriptionText(images: string): string {
    return `${this.spec.description ?? 'ImageJ=1.54f'}\nimages=${images}\n`;
  }

  private offsetBytes(value: number): Uint8Array {
    const bytes = new Uint8Array(this.format.big ? 8 : 4);
    writeOffset(new DataView(bytes.buffer), 0, value, this.format);
    return bytes;
  }

  private requireOpen(): FileHandle {
    if (!this.handle) throw new Error('SlowTiffWriter is not open');
    return this.handle;
  }
}
