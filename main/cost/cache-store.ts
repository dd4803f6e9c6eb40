/**
 * A small synchronous key-value store for cached answers (Cost Explorer results, override
 * records, notification history). conf and electron-store satisfy it structurally; tests use
 * `createMemoryStore()`, the CLI `createJsonFileStore()`.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface KeyValueStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

export function createMemoryStore(initial: Record<string, unknown> = {}): KeyValueStore & { dump(): Record<string, unknown> } {
  const data = new Map<string, unknown>(Object.entries(structuredClone(initial)));
  return {
    get: (key) => structuredClone(data.get(key)),
    set: (key, value) => {
      data.set(key, structuredClone(value));
    },
    dump: () => Object.fromEntries(data),
  };
}

/** One JSON file, rewritten atomically (write + rename) on every set. Unreadable file = empty. */
export function createJsonFileStore(path: string): KeyValueStore {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) data = {};
  } catch {
    data = {};
  }
  return {
    get: (key) => structuredClone(data[key]),
    set: (key, value) => {
      data[key] = structuredClone(value);
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(data, null, 2));
      renameSync(tmp, path);
    },
  };
}
