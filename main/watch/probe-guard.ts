/**
 * The watcher's calls to the open-writer probe (open-writer-probe.ts), bounded in time and with
 * their failures turned into "unknown".
 *
 * Contract:
 * - `openForWriting` and `writersVisible` answer what the probe answered, or `undefined` when it
 *   threw, rejected or did not answer within `timeoutMs` (on the injected clock): the caller then
 *   knows nothing about those files' writers and must not read the failure as "no writer". A late
 *   answer of a call that timed out is dropped.
 * - A probe without `writersVisible` sees no file's writers (an empty set, not a failure).
 * - The first failure is reported through `report`, once per guard (the watcher's lifetime), in
 *   words for the person running the app; later ones are only counted in `failure()`, so a probe
 *   that keeps failing does not flood the log.
 */
import type { WatchClock } from './watch-types.ts';
import type { OpenWriterProbe } from './open-writer-probe.ts';

/** The probe's failures so far: how many calls failed, the last reason, and when. */
export interface ProbeFailure {
  failures: number;
  reason: string;
  firstAt: number;
  lastAt: number;
}

export class ProbeGuard {
  private readonly probe: OpenWriterProbe;
  private readonly clock: WatchClock;
  private readonly timeoutMs: number;
  private readonly report: (error: Error) => void;
  private failed: ProbeFailure | undefined;

  constructor(probe: OpenWriterProbe, clock: WatchClock, timeoutMs: number, report: (error: Error) => void) {
    this.probe = probe;
    this.clock = clock;
    this.timeoutMs = timeoutMs;
    this.report = report;
  }

  /** The subset of `paths` held open for writing; undefined when the probe failed. */
  openForWriting(paths: readonly string[]): Promise<Set<string> | undefined> {
    return this.bounded('open-writer check', () => this.probe.openForWriting(paths));
  }

  /** The subset of `paths` whose writers the probe sees; undefined when the probe failed. */
  writersVisible(paths: readonly string[]): Promise<Set<string> | undefined> {
    const visible = this.probe.writersVisible;
    if (visible === undefined) return Promise.resolve(new Set());
    return this.bounded('file system check', () => visible.call(this.probe, paths));
  }

  /** Undefined while every call answered. */
  failure(): ProbeFailure | undefined {
    return this.failed && { ...this.failed };
  }

  private async bounded(what: string, call: () => Promise<Set<string>>): Promise<Set<string> | undefined> {
    let timer: unknown;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = this.clock.setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    try {
      const answer = await Promise.race([call(), timedOut]);
      if (answer !== 'timeout') return answer;
      this.failedWith(`its ${what} did not answer within ${Math.round(this.timeoutMs / 1000)} s`);
    } catch (error) {
      this.failedWith(error instanceof Error ? error.message : String(error));
    } finally {
      this.clock.clearTimeout(timer);
    }
    return undefined;
  }

  private failedWith(reason: string): void {
    const now = this.clock.now();
    if (this.failed !== undefined) {
      this.failed = { ...this.failed, failures: this.failed.failures + 1, reason, lastAt: now };
      return;
    }
    this.failed = { failures: 1, reason, firstAt: now, lastAt: now };
    this.report(
      new Error(
        `cannot tell whether files are still open for writing (${reason}); the files it could not check complete only after the stability window (watch.stableMs). Reported once; the watcher's status counts further failures`,
      ),
    );
  }
}
