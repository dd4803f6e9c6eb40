/** The files `npm run bench:upload` uploads: written once with a seeded pattern, or at a fixed rate like an acquisition. */
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';

const MiB = 1024 * 1024;

/** Writes `size` bytes of a pattern that differs per `seed` and per 8 MiB block (no two parts alike). */
export async function writeData(path: string, size: number, seed: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const fh = await open(path, 'w');
  const chunk = Buffer.alloc(Math.min(size, 8 * MiB) || 1);
  for (let i = 0; i + 4 <= chunk.length; i += 4) chunk.writeUInt32LE(((i + seed) * 2654435761) >>> 0, i);
  for (let pos = 0; pos < size; pos += chunk.length) {
    chunk.writeUInt32LE(pos / 4 + seed, 0);
    await fh.write(chunk, 0, Math.min(chunk.length, size - pos), pos);
  }
  await fh.close();
}

/** Writes a file at `rate` bytes/s in 8 MiB writes, keeping it open until the last byte; resolves with the close time (performance clock and epoch ms). */
export async function writeAtRate(path: string, size: number, rate: number): Promise<{ closedAt: number; closedAtEpochMs: number; startedAt: number }> {
  await mkdir(dirname(path), { recursive: true });
  const fh = await open(path, 'w');
  const chunk = Buffer.alloc(8 * MiB);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  const startedAt = performance.now();
  for (let pos = 0; pos < size; pos += chunk.length) {
    chunk.writeUInt32LE(pos / 4, 0);
    await fh.write(chunk, 0, Math.min(chunk.length, size - pos), pos);
    const wait = startedAt + ((pos + chunk.length) / rate) * 1000 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await fh.close();
  return { closedAt: performance.now(), closedAtEpochMs: Date.now(), startedAt };
}
