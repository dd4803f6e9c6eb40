/**
 * The job store: a flat key space holding job objects (see job-types.ts for the layout).
 * Two implementations share one contract, so the local runner and the EC2 runner write the same
 * layout: S3 (`s3ObjectStore`, keys under the configured prefix) and a folder (`fsObjectStore`,
 * the local archive when there is no S3).
 *
 * Contract: keys use '/' separators and never start with '/'; `get` of a missing key resolves
 * null; `put` replaces atomically (a reader never sees half an object); `list` returns every key
 * below a prefix, recursively, sorted.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile, copyFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export class StoreError extends Error {
  readonly code = 'STORE_ERROR';
  readonly key: string;
  constructor(key: string, message: string) {
    super(message);
    this.name = 'StoreError';
    this.key = key;
  }
}

export interface ObjectStore {
  /** Human description of where objects go: `s3://bucket/prefix/` or a folder path. */
  readonly location: string;
  /** Set for S3 stores: what an instance needs to reach the same keys. */
  readonly s3?: { bucket: string; prefix: string };
  get(key: string): Promise<Buffer | null>;
  put(key: string, body: Buffer | string, contentType?: string): Promise<void>;
  putFile(key: string, path: string): Promise<void>;
  /** Downloads to `path` (parents created); false when the key does not exist. */
  getToFile(key: string, path: string): Promise<boolean>;
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
  /** The object and an opaque version of it (S3: its ETag), or null when absent. */
  getVersioned(key: string): Promise<{ body: Buffer; version: string } | null>;
  /** The object's version as `getVersioned` gives it, without its body (S3: a HEAD), or null when absent. */
  version(key: string): Promise<string | null>;
  /**
   * Writes only if the object is still at `version` (null: only if absent); false when it is not.
   * S3 uses If-Match / If-None-Match; the folder store compares then renames under a lock file
   * (`<key>.lock.tmp`, one machine), false while another process holds it.
   */
  putIfVersion(key: string, body: Buffer | string, version: string | null): Promise<boolean>;
}

export async function getJson<T>(store: ObjectStore, key: string): Promise<T | null> {
  const body = await store.get(key);
  if (!body) return null;
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    return null; // a torn or foreign object counts as absent; writers always replace whole objects
  }
}

export function putJson(store: ObjectStore, key: string, value: unknown): Promise<void> {
  return store.put(key, JSON.stringify(value, null, 2) + '\n', 'application/json');
}

function checkKey(key: string): void {
  if (!key || key.startsWith('/') || key.split('/').some((p) => p === '..')) throw new StoreError(key, `invalid store key "${key}"`);
}

let tmpCounter = 0;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export function fsObjectStore(root: string): ObjectStore {
  const pathOf = (key: string) => {
    checkKey(key);
    return join(root, ...key.split('/'));
  };
  const atomicWrite = async (target: string, write: (tmp: string) => Promise<void>) => {
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.${++tmpCounter}.tmp`;
    try {
      await write(tmp);
      await rename(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  };
  const readVersioned = async (key: string) => {
    const body = await readFile(pathOf(key)).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    });
    return body && { body, version: sha256(body) };
  };
  return {
    location: root.endsWith('/') ? root : root + '/',
    async get(key) {
      try {
        return await readFile(pathOf(key));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EISDIR') return null;
        throw e;
      }
    },
    put: (key, body) => atomicWrite(pathOf(key), (tmp) => writeFile(tmp, body)),
    putFile: (key, path) => atomicWrite(pathOf(key), (tmp) => copyFile(path, tmp)),
    async getToFile(key, path) {
      const src = pathOf(key);
      try {
        if (!(await stat(src)).isFile()) return false;
      } catch {
        return false;
      }
      await mkdir(dirname(path), { recursive: true });
      await copyFile(src, path);
      return true;
    },
    async list(prefix) {
      const dir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
      const base = dir ? pathOf(dir) : root;
      const out: string[] = [];
      const walk = async (dir: string): Promise<void> => {
        let entries;
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch {
          return;
        }
        for (const e of entries) {
          const p = join(dir, e.name);
          if (e.isDirectory()) await walk(p);
          else if (e.isFile() && !e.name.endsWith('.tmp')) out.push(relative(root, p).split(sep).join('/'));
        }
      };
      await walk(base);
      return out.filter((k) => k.startsWith(prefix)).sort();
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    getVersioned: readVersioned,
    version: async (key) => (await readVersioned(key))?.version ?? null,
    async putIfVersion(key, body, version) {
      const target = pathOf(key);
      await mkdir(dirname(target), { recursive: true });
      // Compare and rename under a lock file, so two processes cannot both pass the compare.
      const lock = `${target}.lock.tmp`;
      if (!(await takeLock(lock))) return false;
      let stale = false;
      try {
        await atomicWrite(target, async (tmp) => {
          await writeFile(tmp, body);
          const now = await readFile(target).catch(() => null);
          stale = version === null ? now !== null : now === null || sha256(now) !== version;
          if (stale) throw new StoreError(key, `${key} changed since it was read`);
        });
      } catch (e) {
        if (!stale) throw e;
      } finally {
        await rm(lock, { force: true });
      }
      return !stale;
    },
  };
}

/**
 * Creates `lock` holding this process's id; false while another live process holds it. A lock
 * left by a process that is gone (the folder store serves one machine) is removed and taken.
 */
async function takeLock(lock: string): Promise<boolean> {
  for (let tries = 0; tries < 2; tries++) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number(await readFile(lock, 'utf8').catch(() => ''));
    if (!Number.isInteger(holder) || holder <= 0 || processAlive(holder)) return false;
    await rm(lock, { force: true });
  }
  return false;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function joinPrefix(prefix: string, key: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return p ? `${p}/${key}` : key;
}

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404;
}

/** S3 store; `prefix` is the settings prefix ('' for the bucket root). */
export function s3ObjectStore(s3: S3Client, bucket: string, prefix: string): ObjectStore {
  const full = (key: string) => {
    checkKey(key);
    return joinPrefix(prefix, key);
  };
  const strip = prefix.replace(/^\/+|\/+$/g, '');
  return {
    location: `s3://${bucket}/${strip ? strip + '/' : ''}`,
    s3: { bucket, prefix: strip },
    async get(key) {
      try {
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: full(key) }));
        return Buffer.from(await res.Body!.transformToByteArray());
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
    },
    async put(key, body, contentType) {
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: full(key), Body: typeof body === 'string' ? Buffer.from(body) : body, ContentType: contentType }),
      );
    },
    async putFile(key, path) {
      const size = (await stat(path)).size;
      // Result files are small (MBs); one PUT with a known length keeps this free of lib-storage.
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: full(key), Body: createReadStream(path), ContentLength: size }));
    },
    async getToFile(key, path) {
      let res;
      try {
        res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: full(key) }));
      } catch (e) {
        if (isNotFound(e)) return false;
        throw e;
      }
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.${++tmpCounter}.tmp`;
      await pipeline(res.Body as Readable, createWriteStream(tmp));
      await rename(tmp, path);
      return true;
    },
    async list(keyPrefix) {
      const out: string[] = [];
      let token: string | undefined;
      const base = full(keyPrefix || 'x').slice(0, -(keyPrefix || 'x').length);
      do {
        const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: base + keyPrefix, ContinuationToken: token }));
        for (const o of res.Contents ?? []) if (o.Key) out.push(o.Key.slice(base.length));
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
      return out.sort();
    },
    async delete(key) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: full(key) }));
    },
    async getVersioned(key) {
      try {
        const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: full(key) }));
        return { body: Buffer.from(await res.Body!.transformToByteArray()), version: res.ETag ?? '' };
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
    },
    async version(key) {
      try {
        return (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: full(key) }))).ETag ?? '';
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
    },
    async putIfVersion(key, body, version) {
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: full(key),
            Body: typeof body === 'string' ? Buffer.from(body) : body,
            ContentType: 'application/json',
            ...(version === null ? { IfNoneMatch: '*' } : { IfMatch: version }),
          }),
        );
        return true;
      } catch (e) {
        const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
        // 412: someone wrote first; 409: a concurrent conditional write is in flight.
        if (err.$metadata?.httpStatusCode === 412 || err.$metadata?.httpStatusCode === 409 || err.name === 'PreconditionFailed') return false;
        // A gateway without conditional writes: the caller reads back to see whether it won.
        if (err.name === 'NotImplemented' || err.$metadata?.httpStatusCode === 501) {
          await s3.send(new PutObjectCommand({ Bucket: bucket, Key: full(key), Body: typeof body === 'string' ? Buffer.from(body) : body }));
          return true;
        }
        throw e;
      }
    },
  };
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}
