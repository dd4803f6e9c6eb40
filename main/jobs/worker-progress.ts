/**
 * The worker's progress protocol: one JSON object per stdout line,
 * `{"step":"register","done":1200,"total":6000}`. Other lines (or malformed ones) are ignored.
 */
import type { WorkerProgress } from './job-types.ts';
// the worker's pipeline steps in order turn a step's fraction into an overall percent
import { PIPELINE_STEPS } from '../results/worker-contract.ts';

export function parseProgressLine(line: string): WorkerProgress | null {
  const t = line.trim();
  if (!t.startsWith('{')) return null;
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  const { step, done, total } = v as Record<string, unknown>;
  if (typeof step !== 'string' || !step || step.length > 64) return null;
  if (typeof done !== 'number' || typeof total !== 'number' || !Number.isFinite(done) || !Number.isFinite(total)) return null;
  if (done < 0 || total < 0) return null;
  return { step, done, total };
}

/** Overall percent (0-100) from the current step: known steps weigh equally; unknown ones report their own fraction. */
export function progressPercent(p: WorkerProgress): number {
  const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  const i = (PIPELINE_STEPS as readonly string[]).indexOf(p.step);
  const overall = i < 0 ? fraction : (i + fraction) / PIPELINE_STEPS.length;
  return Math.round(overall * 1000) / 10;
}

/** Splits a byte stream into lines; feed chunks, get complete lines. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer | string): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      rest += chunk.toString();
      let i: number;
      while ((i = rest.indexOf('\n')) >= 0) {
        onLine(rest.slice(0, i));
        rest = rest.slice(i + 1);
      }
      if (rest.length > 1_000_000) rest = rest.slice(-1_000_000);
    },
    end() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}
