/**
 * The queue owner publishes a status snapshot for other processes (`scopecloud status` while
 * `scopecloud watch` runs). Written atomically (temp + rename); readers treat a snapshot whose
 * writer is gone as stale.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineStatus, ItemSnapshot } from '../upload/engine.ts';
import type { WatchStatus } from '../watch/watch-types.ts';
import type { AcquisitionRate } from './acquisition-rate.ts';
import { isAlive } from './queue-lock.ts';

export interface AcquisitionSnapshot {
  pid: number;
  writtenAt: number;
  target: string;
  engine: EngineStatus;
  watch?: WatchStatus;
  active: ItemSnapshot[];
  failed: ItemSnapshot[];
  recent: ItemSnapshot[];
  /** Verified bytes per day lately, over every item the queue holds. */
  rate?: AcquisitionRate;
}

export function statusFile(queueDir: string): string {
  return join(queueDir, 'status.json');
}

export async function writeSnapshot(queueDir: string, snap: AcquisitionSnapshot): Promise<void> {
  const file = statusFile(queueDir);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(snap));
  await rename(tmp, file);
}

/** The live snapshot, or null when no running process publishes one. */
export async function readLiveSnapshot(queueDir: string): Promise<AcquisitionSnapshot | null> {
  try {
    const snap = JSON.parse(await readFile(statusFile(queueDir), 'utf8')) as AcquisitionSnapshot;
    return isAlive(snap.pid) ? snap : null;
  } catch {
    return null;
  }
}
