/**
 * The local-folder archive target (the embedded default with no AWS): copies into a folder or a
 * mounted NAS path with the same guarantees as S3.
 *
 * An "upload" is a partial file `<root>/.scopecloud-partial/<uploadId>`, the id being the queue's
 * id (16 hex digits, when given) followed by 24 random ones, so listUploads tells whose it is; parts are written at their
 * offsets and fdatasync'ed before the engine journals them. On resume, journaled parts are re-read
 * from the partial file and kept only when their CRC32C still matches. Completion hard-links the
 * partial file to `<root>/<key>` — link() fails when the name exists, so a file already there is
 * never replaced — then removes the partial name and fsyncs the directory. Verification re-reads the
 * archived file and compares its composite CRC32C with the expected one.
 *
 * Failures on the archive side are reported as UploadErrors: an unreachable root (unmounted share)
 * is `network` (the circuit pauses the queue until it is back), a full or read-only archive is
 * `permanent`.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { compositeChecksum, fileRangeChecksum } from './checksum.ts';
import { UploadError } from './errors.ts';
import { clippedRange, partCount } from './part-layout.ts';
import type { ExpectedObject, ListedUpload, RemotePart, TransferIo, UploadTarget, VerifyResult } from './target.ts';
import type { PartBody } from './body-stream.ts';
import { fsyncDir } from '../common/fsync-dir.ts';

export interface FolderTargetOptions {
  kind: 'folder';
  /** Archive root: a local folder or a mounted NAS path. It must exist. */
  root: string;
}

const PARTIAL_DIR = '.scopecloud-partial';
const OWNER = /^[0-9a-f]{16}$/;

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException)?.code;
}

export class FolderTarget implements UploadTarget {
  readonly kind = 'folder';
  readonly supportsSingle = false;
  readonly root: string;
  readonly #partials: string;

  constructor(options: FolderTargetOptions) {
    this.root = resolve(options.root);
    this.#partials = join(this.root, PARTIAL_DIR);
  }

  describe(key: string): string {
    return join(this.root, key);
  }

  #path(key: string): string {
    const p = resolve(this.root, key);
    if (!p.startsWith(this.root + sep)) throw new UploadError('InvalidKey', 'permanent', `key escapes the archive folder: ${key}`);
    return p;
  }

  #partial(uploadId: string): string {
    if (!/^[0-9a-f]+$/.test(uploadId)) throw new UploadError('InvalidUploadId', 'permanent', `invalid partial-file id ${uploadId}`);
    return join(this.#partials, uploadId);
  }

  /** Maps archive-side errno failures to UploadErrors; other errors pass through. */
  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof UploadError) throw err;
      const code = errno(err);
      if (code === 'ENOSPC' || code === 'EDQUOT')
        throw new UploadError('ArchiveFull', 'permanent', `archive folder ${this.root} is full (${code}) during ${what}`, { cause: err });
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
        throw new UploadError('AccessDenied', 'permanent', `archive folder ${this.root} is not writable (${code}) during ${what}`, { cause: err });
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EIO' || code === 'ESTALE' || code === 'ENOTCONN' || code === 'EHOSTDOWN') {
        const rootOk = await stat(this.root).then(
          (s) => s.isDirectory(),
          () => false,
        );
        if (!rootOk) throw new UploadError('TargetUnavailable', 'network', `archive folder ${this.root} is not reachable (${code})`, { cause: err });
      }
      throw err;
    }
  }

  async probe(): Promise<void> {
    await this.#guard('probe', async () => {
      const s = await stat(this.root);
      if (!s.isDirectory()) throw new UploadError('TargetUnavailable', 'permanent', `archive folder ${this.root} is not a directory`);
    });
  }

  async exists(key: string): Promise<boolean> {
    return this.#guard('exists', async () => {
      try {
        await stat(this.#path(key));
        return true;
      } catch (err) {
        if (errno(err) === 'ENOENT') {
          await this.probe();
          return false;
        }
        throw err;
      }
    });
  }

  async verify(key: string, expected: ExpectedObject): Promise<VerifyResult> {
    return this.#guard('verify', async () => {
      let fh;
      try {
        fh = await open(this.#path(key), 'r');
      } catch (err) {
        if (errno(err) === 'ENOENT') {
          await this.probe();
          return { state: 'absent' } as VerifyResult;
        }
        throw err;
      }
      try {
        const size = (await fh.stat()).size;
        if (size !== expected.size) return { state: 'mismatch' } as VerifyResult;
        const scratch = Buffer.allocUnsafe(4 * 1024 * 1024);
        let checksum: string;
        if (expected.checksum.includes('-') && expected.layout) {
          const n = partCount(expected.layout, size);
          const crcs: string[] = [];
          for (let i = 1; i <= n; i++) {
            const r = clippedRange(expected.layout, i, size);
            crcs.push((await fileRangeChecksum(fh, r.start, r.end, scratch)).crc);
          }
          checksum = compositeChecksum(crcs);
        } else {
          checksum = (await fileRangeChecksum(fh, 0, size, scratch)).crc;
        }
        return checksum === expected.checksum ? { state: 'match', checksum } : { state: 'mismatch', checksum };
      } finally {
        await fh.close();
      }
    });
  }

  putSingle(): Promise<'ok' | 'exists'> {
    return Promise.reject(new Error('the folder target writes every file through parts'));
  }

  async createUpload(_key: string, _signal?: AbortSignal, owner?: string): Promise<string> {
    return this.#guard('create', async () => {
      await this.probe();
      await mkdir(this.#partials, { recursive: true });
      const id = `${owner && OWNER.test(owner) ? owner : ''}${randomBytes(12).toString('hex')}`;
      const fh = await open(this.#partial(id), 'wx');
      await fh.close();
      fsyncDir(this.#partials);
      return id;
    });
  }

  async listParts(
    _key: string,
    uploadId: string,
    known: readonly { n: number; start: number; end: number; crc: string }[],
  ): Promise<Map<number, RemotePart> | undefined> {
    return this.#guard('resume', async () => {
      let fh;
      try {
        fh = await open(this.#partial(uploadId), 'r');
      } catch (err) {
        if (errno(err) === 'ENOENT') {
          await this.probe();
          return undefined;
        }
        throw err;
      }
      try {
        const out = new Map<number, RemotePart>();
        const scratch = Buffer.allocUnsafe(4 * 1024 * 1024);
        for (const p of known) {
          const { crc, short } = await fileRangeChecksum(fh, p.start, p.end, scratch);
          if (!short && crc === p.crc) out.set(p.n, { crc, size: p.end - p.start });
        }
        return out;
      } finally {
        await fh.close();
      }
    });
  }

  async uploadPart(
    _key: string,
    uploadId: string,
    part: { n: number; start: number },
    body: PartBody,
    crc: string,
    io: TransferIo,
  ): Promise<{ etag?: string }> {
    if (body.crc !== crc) throw new Error(`part ${part.n} body does not carry its checksum`);
    return this.#guard('write', async () => {
      const fh = await open(this.#partial(uploadId), 'r+');
      const stream = body.open(io);
      try {
        // the stream fails instead of yielding its last chunk when the bytes do not have `crc`
        let pos = part.start;
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          if (io.signal.aborted) throw io.signal.reason ?? new Error('aborted');
          await fh.write(chunk, 0, chunk.length, pos);
          pos += chunk.length;
        }
        await fh.datasync();
      } finally {
        stream.destroy();
        await fh.close();
      }
      return {};
    });
  }

  async complete(key: string, uploadId: string, parts: readonly { n: number; crc: string }[]): Promise<'ok' | 'exists' | 'gone'> {
    return this.#guard('complete', async () => {
      const partial = this.#partial(uploadId);
      const target = this.#path(key);
      void parts;
      try {
        const fh = await open(partial, 'r+');
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
      } catch (err) {
        if (errno(err) === 'ENOENT') return 'gone';
        throw err;
      }
      await mkdir(dirname(target), { recursive: true });
      try {
        await link(partial, target);
      } catch (err) {
        if (errno(err) === 'EEXIST') return 'exists';
        throw err;
      }
      fsyncDir(dirname(target));
      await unlink(partial);
      fsyncDir(this.#partials);
      return 'ok';
    });
  }

  async abort(_key: string, uploadId: string): Promise<void> {
    await this.#guard('abort', () => rm(this.#partial(uploadId), { force: true }));
  }

  async listUploads(): Promise<ListedUpload[]> {
    return this.#guard('list', async () => {
      await this.probe();
      try {
        return (await readdir(this.#partials))
          .filter((n) => /^[0-9a-f]+$/.test(n))
          .map((uploadId) => ({ key: '', uploadId, owner: uploadId.length === 40 ? uploadId.slice(0, 16) : undefined }));
      } catch (err) {
        if (errno(err) === 'ENOENT') return [];
        throw err;
      }
    });
  }
}
