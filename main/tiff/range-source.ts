/**
 * Positional byte access to a file, the only way the TIFF reader touches data.
 * Every read names an offset and a length; nothing ever reads a whole file.
 */
import { open } from 'node:fs/promises';

import { TiffError } from './tiff-error.ts';

export interface RangeSource {
  /** File size in bytes at the time the source was opened. */
  readonly size: number;
  /** Up to `length` bytes starting at `position`; fewer only at end of file. */
  read(position: number, length: number): Promise<Uint8Array>;
}

/** The part of `fs.promises.FileHandle` the reader uses; tests wrap it to count bytes. */
export interface FileHandleLike {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

export type OpenFile = (path: string) => Promise<FileHandleLike>;

export const openReadOnly: OpenFile = async (path) => open(path, 'r');

/**
 * A source over a file handle with a one-window read cache: reads smaller than
 * `windowBytes` fetch a whole aligned window, so an IFD's entry count, entries and
 * next-offset usually cost one system call.
 */
export class FileRangeSource implements RangeSource {
  readonly size: number;
  private readonly handle: FileHandleLike;
  private readonly windowBytes: number;
  private windowStart = -1;
  private window: Uint8Array = new Uint8Array(0);

  constructor(handle: FileHandleLike, size: number, windowBytes = 4096) {
    this.handle = handle;
    this.size = size;
    this.windowBytes = windowBytes;
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(position) || position < 0 || length < 0) {
      throw new TiffError('corrupt', `invalid read at offset ${position}`);
    }
    const end = Math.min(position + length, this.size);
    if (end <= position) return new Uint8Array(0);
    if (this.windowStart >= 0 && position >= this.windowStart && end <= this.windowStart + this.window.length) {
      return this.window.subarray(position - this.windowStart, end - this.windowStart);
    }
    if (end - position >= this.windowBytes) return this.readExact(position, end - position);
    const start = position - (position % this.windowBytes);
    const windowEnd = Math.min(start + 2 * this.windowBytes, this.size);
    this.window = await this.readExact(start, windowEnd - start);
    this.windowStart = start;
    return this.window.subarray(position - start, Math.min(end, start + this.window.length) - start);
  }

  private async readExact(position: number, length: number): Promise<Uint8Array> {
    const buffer = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.handle.read(buffer, filled, length - filled, position + filled));
      } catch (error) {
        throw new TiffError('io', `read failed at offset ${position + filled}: ${(error as Error).message}`, undefined, { cause: error });
      }
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === length ? buffer : buffer.subarray(0, filled);
  }
}

/** Opens `path`, runs `use` over a range source, and always closes the handle. */
export async function withFileSource<T>(
  path: string,
  use: (source: RangeSource) => Promise<T>,
  openFile: OpenFile = openReadOnly,
): Promise<T> {
  let handle: FileHandleLike;
  try {
    handle = await openFile(path);
  } catch (error) {
    throw new TiffError('io', `cannot open: ${(error as Error).message}`, path, { cause: error });
  }
  try {
    const { size } = await handle.stat();
    return await use(new FileRangeSource(handle, size));
  } catch (error) {
    if (error instanceof TiffError) throw error.withPath(path);
    throw new TiffError('io', (error as Error).message, path, { cause: error });
  } finally {
    await handle.close().catch(() => undefined);
  }
}
