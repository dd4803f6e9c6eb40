/**
 * The bundled `scopecloud-worker` binary: where it is, its version and its sha256 (the content
 * address it is uploaded under, and what an instance checks before running it).
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { findWorkerPath, workerCandidates } from '../worker/worker-path.ts';
import { sha256File, type ObjectStore } from './object-store.ts';
import { workerKey } from './job-layout.ts';
import { JobError } from './job-errors.ts';

export interface WorkerBinary {
  path: string;
  version: string;
  sha256: string;
  size: number;
}

const cache = new Map<string, Promise<WorkerBinary>>();

export function describeWorker(path: string): Promise<WorkerBinary> {
  let p = cache.get(path);
  if (!p) {
    p = (async () => {
      const [st, sha256] = await Promise.all([stat(path), sha256File(path)]);
      let version = 'unknown';
      try {
        const { stdout } = await promisify(execFile)(path, ['--version'], { timeout: 10_000 });
        version = stdout.trim().split(/\s+/).pop() || 'unknown';
      } catch {
        // a worker without --version still runs; the sha256 identifies it
      }
      return { path, version, sha256, size: st.size };
    })();
    p.catch(() => cache.delete(path));
    cache.set(path, p);
  }
  return p;
}

export async function findWorker(env: NodeJS.ProcessEnv = process.env): Promise<WorkerBinary> {
  const found = findWorkerPath(env);
  if (!found) {
    throw new JobError('WORKER_NOT_FOUND', `scopecloud-worker not found (looked in ${workerCandidates(env).join(', ')}); build it with npm run worker:build`);
  }
  return describeWorker(found);
}

/**
 * Uploads the binary under its content address unless an object is already there; returns the key.
 * An existing object is trusted by key because the key is its hash: the instance re-verifies anyway.
 */
export async function ensureWorkerUploaded(store: ObjectStore, w: WorkerBinary): Promise<string> {
  const key = workerKey(w.sha256);
  const existing = await store.list(key);
  if (!existing.includes(key)) await store.putFile(key, w.path);
  return key;
}
