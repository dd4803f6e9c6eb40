/** Types of test-counts.mjs (plain JS so that it runs on whatever Node runs npm). */
export interface Skip {
  name: string;
  reason: string;
}
export interface RunnerResults {
  /** false when the output held no results (the runner did not run or did not finish). */
  ran: boolean;
  passed: number;
  failed: number;
  skips: Skip[];
}
export interface ExpectedSkip {
  runner: string;
  name: string;
  reason: string;
}
export const RUNNERS: readonly string[];
export function parseNodeTap(tap: string): RunnerResults;
export function parseCargo(log: string): RunnerResults;
export function parseExpected(text: string): ExpectedSkip[];
export function report(results: Record<string, RunnerResults | undefined>, expected: readonly ExpectedSkip[]): { ok: boolean; lines: string[] };
