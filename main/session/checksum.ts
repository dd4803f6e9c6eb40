/**
 * Streaming CRC32C in the form S3 reports it (`x-amz-checksum-crc32c`): the 4-byte
 * big-endian CRC, base64-encoded. Memory use is one read buffer regardless of file size.
 */
import { crc32c } from '../upload/crc32c.ts';
import { open } from 'node:fs/promises';
import { crc32cToBase64 } from '../upload/checksum.ts';

/** Incremental CRC32C; feed chunks in order, then `digest()`. */
export class Crc32c {
  private state = 0;
  private bytes = 0;

  update(chunk: Uint8Array): this {
    if (chunk.length > 0) {
      this.state = crc32c(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength), this.state);
      this.bytes += chunk.length;
    }
    return this;
  }

  get length(): number {
    return this.bytes;
  }

  /** Raw unsigned CRC value. */
  value(): number {
    return this.state >>> 0;
  }

  /** Base64 of the big-endian CRC, as S3 returns it. */
  digest(): string {
    return crc32cToBase64(this.value());
  }
}

export async function crc32cOfStream(stream: AsyncIterable<Uint8Array>): Promise<{ crc32c: string; bytes: number }> {
  const hash = new Crc32c();
  for await (const chunk of stream) hash.update(chunk);
  return { crc32c: hash.digest(), bytes: hash.length };
}

export interface ChecksumRange {
  /** First byte (default 0). */
  start?: number;
  /** One past the last byte (default: end of file). */
  end?: number;
  /** Read buffer size (default 1 MiB). */
  bufferBytes?: number;
  signal?: AbortSignal;
}

/** CRC32C of a file, or of the byte range [start, end), read with positional reads. */
export async function crc32cOfFile(path: string, range: ChecksumRange = {}): Promise<{ crc32c: string; bytes: number }> {
  const handle = await open(path, 'r');
  try {
    const start = range.start ?? 0;
    const end = range.end ?? (await handle.stat()).size;
    const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(range.bufferBytes ?? 1 << 20, Math.max(end - start, 1))));
    const hash = new Crc32c();
    let position = start;
    while (position < end) {
      range.signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, end - position), position);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
    return { crc32c: hash.digest(), bytes: hash.length };
  } finally {
    await handle.close();
  }
}
