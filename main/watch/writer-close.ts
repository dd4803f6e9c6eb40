/**
 * Completion by the writer's close, free of I/O so it can be tested with a fake clock.
 *
 * The open-writer probe can only tell a closed file from one it cannot see into when it saw the
 * writer first. So a file completes by its close (`closed`) only when:
 * - the probe can see every writer of it (`visible`: a local file system, open-writer-probe.ts),
 * - the probe found it open for writing since it last became pending (`writerSeen`),
 * - a probe found no writer at `goneAt`, and a final probe at least `graceMs` later finds none
 *   either (none is asked in between: a writer that reopens in the grace either writes, which
 *   the next point sees, or still holds the file at the final probe),
 * - its size and mtime have not changed for `graceMs`, confirmed by a fresh stat.
 * Anything else (a writer never seen: network shares, other platforms, a writer too quick to be
 * seen) completes by the stability window as before. So does a file for which a probe failed
 * (`probeFailed`, probe-guard.ts) since it last became pending: its writers are unknown, it is not
 * probed again until it completes, and it completes by the stability window alone.
 *
 * The grace covers acquisition software that appends in rounds, closing and reopening the file:
 * a reopen within it keeps the file pending; a reopen after the completion makes it change again,
 * which is a new version, as for any completed file that changes.
 */
import type { TrackedFile } from './file-state.ts';

export interface WriterWatch {
  /** Whether the probe sees every writer of the file; undefined until asked. */
  visible: boolean | undefined;
  /** The probe found a writer since the file last became pending. */
  writerSeen: boolean;
  /** Clock time of the first probe that found no writer after one that found it; undefined while held. */
  goneAt: number | undefined;
  /** Clock time of the last probe; undefined when not probed since it last became pending. */
  probedAt: number | undefined;
  /** A probe of the file failed since it last became pending: its writers are unknown. */
  probeFailed: boolean;
}

export function newWriterWatch(): WriterWatch {
  return { visible: undefined, writerSeen: false, goneAt: undefined, probedAt: undefined, probeFailed: false };
}

/** Records a probe's answer for the file at clock time `now`. */
export function recordProbe(watch: WriterWatch, open: boolean, now: number): void {
  watch.probedAt = now;
  if (open) {
    watch.writerSeen = true;
    watch.goneAt = undefined;
  } else if (watch.writerSeen && watch.goneAt === undefined) {
    watch.goneAt = now;
  }
}

/** After a completion (by any rule) the writer has to be seen again before its close counts, and the probe is asked again. */
export function forgetWriter(watch: WriterWatch): void {
  watch.writerSeen = false;
  watch.goneAt = undefined;
  watch.probedAt = undefined;
  watch.probeFailed = false;
}

/**
 * Whether a pending, visible file is to be probed at `now`: while its writer was seen (each close
 * check, except within the grace after it was found gone), and otherwise once when it becomes
 * pending and then every `discoveryMs`.
 */
export function wantsProbe(watch: WriterWatch, file: TrackedFile, now: number, discoveryMs: number, graceMs: number): boolean {
  if (file.state !== 'pending' || watch.visible !== true || watch.probeFailed) return false;
  if (watch.goneAt !== undefined) return now - watch.goneAt >= graceMs;
  return watch.writerSeen || watch.probedAt === undefined || now - watch.probedAt >= discoveryMs;
}

/** Whether the close checks should run at their short interval for this file. */
export function wantsCloseChecks(watch: WriterWatch, file: TrackedFile): boolean {
  return file.state === 'pending' && watch.visible !== false && !watch.probeFailed && (watch.writerSeen || watch.probedAt === undefined);
}

/** Whether the file may complete as `closed` at `now`, before the final stat and probe confirm it. */
export function closedFor(watch: WriterWatch, file: TrackedFile, now: number, graceMs: number): boolean {
  return (
    file.state === 'pending' &&
    watch.visible === true &&
    !watch.probeFailed &&
    watch.writerSeen &&
    watch.goneAt !== undefined &&
    now - watch.goneAt >= graceMs &&
    now - file.changedAt >= graceMs
  );
}
