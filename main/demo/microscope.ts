/**
 * A stand-in microscope for the demo: replays a finished recording into an acquisition folder the
 * way acquisition software writes it — appended in chunks at a set rate while the file stays open,
 * then closed, then a marker file ends the session.
 */
import { open, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

export interface ReplayOptions {
  source: string;
  sessionDir: string;
  /** Bytes per second the "microscope" writes. */
  rate: number;
  chunk?: number;
  markerName: string;
  /** Small sidecar written at the start, as acquisition software does. */
  metadata?: Record<string, unknown>;
  onProgress?: (written: number, total: number) => void;
}

export async function replayAcquisition(o: ReplayOptions): Promise<string> {
  await mkdir(o.sessionDir, { recursive: true });
  if (o.metadata) await writeFile(join(o.sessionDir, 'acquisition.json'), JSON.stringify(o.metadata, null, 2));
  const chunk = o.chunk ?? 4 * 1024 * 1024;
  const dest = join(o.sessionDir, basename(o.source));
  const src = await open(o.source, 'r');
  const out = await open(dest, 'w');
  try {
    const { size } = await src.stat();
    const buf = Buffer.alloc(chunk);
    let pos = 0;
    const started = Date.now();
    while (pos < size) {
      const { bytesRead } = await src.read(buf, 0, Math.min(chunk, size - pos), pos);
      if (bytesRead === 0) break;
      await out.write(buf, 0, bytesRead, pos);
      pos += bytesRead;
      o.onProgress?.(pos, size);
      const due = started + (pos / o.rate) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  } finally {
    await out.close();
    await src.close();
  }
  await writeFile(join(o.sessionDir, o.markerName), '');
  return dest;
}
