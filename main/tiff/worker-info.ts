/**
 * TIFF facts for session manifests, read by the analysis worker (`scopecloud-worker info
 * --each`): the one TIFF parser in ScopeCloud is the worker's, so what a manifest says about a
 * recording (shape, sample type, planes, channels, frames, frame rate, which metadata) is what
 * an analysis of it will read. Files go to the worker in batches, one process per batch.
 */
import { spawn } from 'node:child_process';

/** One TIFF as the worker reads it (its `info` document, minus the file list). */
export interface TiffFacts {
  schema: number;
  width: number;
  height: number;
  /** e.g. uint16, float32. */
  dtype: string;
  samples_per_pixel: number;
  pages: number;
  planes: number;
  channels: number;
  frames: number;
  frame_rate_hz: number | null;
  /** plain, imagej, scanimage, ome. */
  metadata: string;
  metadata_version: string | null;
  bigtiff: boolean;
  byte_order: 'little' | 'big';
  compression: string;
  tiled: boolean;
  warnings: string[];
}

/** Why a TIFF could not be read: the worker's kind (not-tiff, truncated, corrupt, unsupported, io, ...) and its words. */
export interface TiffProblem {
  code: string;
  message: string;
}

export type TiffReading = { facts: TiffFacts } | { problem: TiffProblem };

/** Reads many TIFFs; every path gets an answer. */
export type ReadTiffs = (paths: readonly string[]) => Promise<Map<string, TiffReading>>;

const BATCH = 256;

/** A reader over the worker at `workerPath()` (null: not built, and each file says so). */
export function workerTiffReader(workerPath: () => string | null): ReadTiffs {
  return async (paths) => {
    const out = new Map<string, TiffReading>();
    const worker = workerPath();
    if (!worker) {
      for (const p of paths)
        out.set(p, { problem: { code: 'no-reader', message: 'the analysis worker that reads TIFF files is not built (npm run worker:build)' } });
      return out;
    }
    for (let i = 0; i < paths.length; i += BATCH) {
      const batch = paths.slice(i, i + BATCH);
      const lines = await runInfo(worker, batch).catch((e: Error) => {
        for (const p of batch) out.set(p, { problem: { code: 'reader-failed', message: e.message } });
        return [] as string[];
      });
      for (const line of lines) {
        const doc = JSON.parse(line) as { path: string; info?: TiffFacts & { files?: unknown }; error?: { kind: string; message: string } };
        if (doc.info) {
          const { files: _files, ...facts } = doc.info;
          out.set(doc.path, { facts });
        } else {
          out.set(doc.path, { problem: { code: doc.error?.kind ?? 'unreadable', message: withoutPath(doc.error?.message ?? 'unreadable', doc.path) } });
        }
      }
      for (const p of batch) if (!out.has(p)) out.set(p, { problem: { code: 'reader-failed', message: 'the worker gave no answer for this file' } });
    }
    return out;
  };
}

/** The worker names the file in its message; the manifest entry already does. */
function withoutPath(message: string, path: string): string {
  return message.replace(`: ${path}`, '').replace(` ${path}:`, '').replace(path, 'the file');
}

function runInfo(worker: string, paths: readonly string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(worker, ['info', '--each', '--quiet', ...paths], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(stdout.split('\n').filter((l) => l.trim().startsWith('{')));
      else reject(new Error(`scopecloud-worker info exited ${code}: ${stderr.trim().split('\n').pop() ?? ''}`));
    });
  });
}
