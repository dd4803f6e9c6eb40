/**
 * Request bodies read from the source file while the HTTP stack (or the folder target) pulls them,
 * so a part in flight holds a chunk or two of memory instead of its whole size.
 *
 * Contract of a `PartBody` (bytes [start, end) of an open file whose CRC32C was computed just
 * before, `crc`):
 * - each `open(io)` is one attempt's stream: it reads the range chunk by chunk, waits for bandwidth
 *   tokens before each chunk and reports bytes as they are pulled (byte-level progress);
 * - it recomputes the CRC32C of what it read and, when that differs from `crc`, fails with
 *   `BodyChangedError` instead of delivering its last chunk: the receiver never holds a complete
 *   body other than the one `crc` describes (S3 checks the header as well; the folder target
 *   relies on this);
 * - a file that ends early fails with FileTruncated, a read error as classified by errors.ts.
 * `sendBody` runs one request with such a stream and aborts it as soon as the stream fails, throwing
 * the stream's own error (not the abort it caused, which would read as a network failure).
 */
import { Readable } from 'node:stream';
import { crc32c } from './crc32c.ts';
import { crc32cToBase64 } from './checksum.ts';
import { classifyError, UploadError } from './errors.ts';
import type { TransferIo } from './target.ts';

export const BODY_CHUNK = 256 * 1024;

/** Positional read, as `FileHandle.read`; resolves to the number of bytes read (0 at end of file). */
export type ReadAt = (buf: Buffer, offset: number, length: number, position: number) => Promise<number>;

export interface PartBody {
  readonly length: number;
  readonly crc: string;
  open(io: TransferIo): Readable;
}

/** The bytes of a part changed between its checksum and its sending (the part is checksummed again). */
export class BodyChangedError extends UploadError {
  constructor(where: string, start: number, end: number) {
    super('FileChanged', 'permanent', `file changed while being sent: ${where} bytes ${start}-${end}`);
  }
}

export function fileRangeBody(read: ReadAt, where: string, start: number, end: number, crc: string, chunkSize = BODY_CHUNK): PartBody {
  return {
    length: end - start,
    crc,
    open(io: TransferIo): Readable {
      let pos = start;
      let running = 0;
      const stream = new Readable({
        highWaterMark: chunkSize,
        read() {
          if (pos >= end) {
            this.push(null);
            return;
          }
          const chunk = Buffer.allocUnsafe(Math.min(chunkSize, end - pos));
          fill(chunk)
            .then(async () => {
              running = crc32c(chunk, running);
              pos += chunk.length;
              if (pos === end && crc32cToBase64(running) !== crc) throw new BodyChangedError(where, start, end);
              await io.throttle(chunk.length);
              io.onBytes(chunk.length);
              this.push(chunk);
            })
            .catch((err: unknown) => this.destroy(err as Error));
        },
      });
      const fill = async (chunk: Buffer): Promise<void> => {
        for (let got = 0; got < chunk.length;) {
          let n: number;
          try {
            n = await read(chunk, got, chunk.length - got, pos + got);
          } catch (err) {
            throw classifyError(err, { op: 'read', where });
          }
          if (n === 0)
            throw new UploadError('FileTruncated', 'permanent', `file truncated during upload: ${where} ended at byte ${pos + got}, expected ${end}`);
          got += n;
        }
      };
      // The request's own abort reports the failure; an error after the HTTP stack let go of the
      // stream must not become an uncaught exception.
      stream.on('error', () => {});
      return stream;
    },
  };
}

/** Runs one request whose body is `body`'s stream; a failing stream aborts it and is what is thrown. */
export async function sendBody<T>(body: PartBody, io: TransferIo, send: (stream: Readable, signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctl = new AbortController();
  const onOuter = () => ctl.abort(io.signal.reason);
  if (io.signal.aborted) onOuter();
  io.signal.addEventListener('abort', onOuter, { once: true });
  let failure: Error | undefined;
  const stream = body.open(io);
  stream.once('error', (err) => {
    // only the stream's own verdicts; a stream torn down by the HTTP stack reports the request's error
    if (err instanceof UploadError) failure = err;
    ctl.abort(err);
  });
  try {
    return await send(stream, ctl.signal);
  } catch (err) {
    throw failure ?? err;
  } finally {
    io.signal.removeEventListener('abort', onOuter);
    stream.destroy();
  }
}
