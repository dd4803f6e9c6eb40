/** How a job's worker parameters become `scopecloud-worker analyze` arguments (local and on EC2 alike). */
import type { WorkerParams } from './job-types.ts';

/** The worker's exit code for input it cannot analyse (native-worker/README.md, "exit codes"). */
export const WORKER_INPUT_ERROR = 3;

/**
 * What the worker's one failure line (`scopecloud-worker: input error: not a TIFF file: /d/x.tif`)
 * says, without the program and kind, which the failure's code already names.
 */
export function workerFailureText(line: string): string {
  return line.replace(/^scopecloud-worker: [a-z]+ error: /, '');
}

/** Flags after `analyze --input ... --out ...`, in a fixed order so the same job gives the same command. */
export function workerFlags(p: WorkerParams, extra: readonly string[] = []): string[] {
  const out = ['--k', String(p.k)];
  if (p.planes !== undefined) out.push('--planes', String(p.planes));
  if (p.fs !== undefined) out.push('--fs', String(p.fs));
  if (p.seed !== undefined) out.push('--seed', String(p.seed));
  if (p.threads !== undefined) out.push('--threads', String(p.threads));
  return [...out, ...extra];
}

/** The full argv (without the program) for inputs and an output folder. */
export function analyzeArgs(inputs: readonly string[], outDir: string, p: WorkerParams, extra: readonly string[] = []): string[] {
  return ['analyze', '--input', ...inputs, '--out', outDir, ...workerFlags(p, extra)];
}

/** Rejects flag values a shell or the worker would misread; params come from the CLI or the UI. */
export function validateParams(p: WorkerParams): string | null {
  if (!Number.isInteger(p.k) || p.k < 1 || p.k > 1000) return `--k must be an integer 1..1000 (got ${p.k})`;
  if (p.planes !== undefined && (!Number.isInteger(p.planes) || p.planes < 1 || p.planes > 10_000))
    return `--planes must be a positive integer (got ${p.planes})`;
  if (p.fs !== undefined && (!Number.isFinite(p.fs) || p.fs <= 0 || p.fs > 100_000)) return `--fs must be a positive rate in Hz (got ${p.fs})`;
  if (p.seed !== undefined && (!Number.isInteger(p.seed) || p.seed < 0)) return `--seed must be a non-negative integer (got ${p.seed})`;
  if (p.threads !== undefined && (!Number.isInteger(p.threads) || p.threads < 1 || p.threads > 1024))
    return `--threads must be a positive integer (got ${p.threads})`;
  return null;
}
