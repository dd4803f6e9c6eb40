/**
 * CRC32C helpers: base64 encodings as S3 sends them, composite (checksum-of-checksums) values and
 * streaming checksums of file ranges.
 *
 * S3 reports a multipart object's CRC32C as COMPOSITE: base64(crc32c(concat(part crc bytes))) with a
 * `-N` suffix (N = part count). A single PutObject reports a FULL_OBJECT value without suffix.
 */
import { crc32c } from './crc32c.ts';
import type { FileHandle } from 'node:fs/promises';

export function crc32cToBase64(value: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b.toString('base64');
}

export function crc32cBase64(data: Uint8Array, initial?: number): string {
  return crc32cToBase64(crc32c(data, initial));
}

/** Composite checksum of parts, in part order, as S3 reports it: `<base64>-<N>`. */
export function compositeChecksum(partChecksums: readonly string[]): string {
  const raw = Buffer.concat(partChecksums.map((c) => Buffer.from(c, 'base64')));
  return `${crc32cBase64(raw)}-${partChecksums.length}`;
}

/** True when a checksum reported by the store equals the expected value (composite `-N` or full-object). */
export function checksumMatches(reported: string | undefined, expected: string): boolean {
  if (!reported) return false;
  const [rValue, rCount] = reported.split('-');
  const [eValue, eCount] = expected.split('-');
  if (rValue !== eValue) return false;
  return rCount === undefined || eCount === undefined || rCount === eCount;
}

/** CRC32C (base64) of bytes [start, end) of an open file; `short` when the file ended early. */
export async function fileRangeChecksum(fh: FileHandle, start: number, end: number, scratch: Buffer): Promise<{ crc: string; short: boolean }> {
  let crc = 0;
  let pos = start;
  while (pos < end) {
    const want = Math.min(scratch.length, end - pos);
    const { bytesRead } = await fh.read(scratch, 0, want, pos);
    if (bytesRead === 0) return { crc: crc32cToBase64(crc), short: true };
    crc = crc32c(scratch.subarray(0, bytesRead), crc);
    pos += bytesRead;
  }
  return { crc: crc32cToBase64(crc), short: false };
}
