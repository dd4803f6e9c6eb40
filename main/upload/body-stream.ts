/**
 * A request body that streams a buffer in chunks, waiting for bandwidth tokens before each chunk and
 * reporting bytes as the HTTP stack pulls them (byte-level progress, not per part).
 */
import { Readable } from 'node:stream';
import type { TransferIo } from './target.ts';

export const BODY_CHUNK = 256 * 1024;

export function throttledBody(buf: Buffer, io: TransferIo, chunkSize = BODY_CHUNK): Readable {
  let pos = 0;
  const stream = new Readable({
    highWaterMark: chunkSize,
    read() {
      if (pos >= buf.length) {
        this.push(null);
        return;
      }
      const chunk = buf.subarray(pos, Math.min(buf.length, pos + chunkSize));
      pos += chunk.length;
      io.throttle(chunk.length).then(
        () => {
          io.onBytes(chunk.length);
          this.push(chunk);
        },
        (err: Error) => this.destroy(err),
      );
    },
  });
  // The request's own abort signal reports the failure; an error after the HTTP stack let go of
  // the stream must not become an uncaught exception.
  stream.on('error', () => {});
  return stream;
}
