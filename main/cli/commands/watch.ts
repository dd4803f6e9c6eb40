/** `scopecloud watch`: watch the configured folders and upload until stopped. */
import { parseArgs } from 'node:util';
import { join, sep } from 'node:path';
import { CliError, ExitCode, type CliCommand } from '../command.ts';
import { describeTarget } from '../../acquisition/acquisition-service.ts';
import { formatBytes, formatRate, formatEta } from '../format.ts';
import type { Settings } from '../../config/schema.ts';
import { describeFolderProblem } from '../../watch/folder-health.ts';
import type { RootStatus } from '../../watch/watch-types.ts';

const HELP = `Usage: scopecloud watch [folder ...] [--polling] [--json] [--once]

Watches acquisition folders (default: watch.folders from settings) recursively and uploads
every included file to the configured target (a local archive by default, or S3). Files are
sent part by part while they grow and completed when the writer closes them; a folder closes
with a marker file (default acquisition.done) or after being idle, and its manifest.json is
uploaded beside it. Runs until Ctrl-C; an interrupted run resumes where it stopped.

A folder that is missing (drive unmounted, folder renamed or deleted) or that this user may not
read is named on stderr with the reason, checked every 2 s and watched again as soon as it is
back; the files written meanwhile are uploaded then, and files already verified are not sent again.

Options:
  --polling     stat-based polling instead of file-system events (network shares)
  --once        process what is there now, wait until it is verified, then exit (non-zero
                if a folder could not be watched)
  --json        progress as JSON lines (one status object per second)

Exit codes: 0 stopped cleanly, 1 failed files remain or a folder was missing or unreadable
(--once), 2 usage, 3 bad settings, 4 target unreachable.`;

const notWatched = (roots: readonly RootStatus[]) => roots.filter((r) => r.state === 'missing' || r.state === 'unreadable');

export const watchCommand: CliCommand = {
  name: 'watch',
  summary: 'watch acquisition folders and upload every new file',
  help: HELP,
  async run(argv, io, services) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        polling: { type: 'boolean', default: false },
        once: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    });
    const c = await services();
    const base = c.settings.get();
    const settings: Settings = {
      ...base,
      watch: {
        ...base.watch,
        folders: positionals.length ? positionals.map((p) => (p.startsWith('/') ? p : join(process.cwd(), p))) : base.watch.folders,
        polling: values.polling || base.watch.polling,
      },
    };
    const acq = await c.startAcquisition({
      settings,
      watch: true,
      ...(values.once ? { sessionIdleMs: Math.max(1000, settings.watch.stableMs) } : {}),
      log: (line) => io.err(line),
    });
    // Folders found missing or unreadable were named on stderr while the watcher started.
    const atStart = acq.watcher?.status().roots ?? [];
    const watched = atStart.filter((r) => r.state === 'watching').map((r) => r.root);
    if (!values.json) {
      io.out(
        `${watched.length ? `watching ${watched.join(', ')}` : 'no folder can be watched now'} -> ${describeTarget(settings)}${values.once ? '' : ' (Ctrl-C to stop)'}`,
      );
    }
    // --once: every folder that could not be watched at some point, with its latest reason.
    const away = new Map(notWatched(atStart).map((r) => [r.root, describeFolderProblem(r)]));
    acq.watcher?.on('folder', (f) => {
      if (f.state !== 'watching') away.set(f.root, describeFolderProblem(f));
    });
    const unsubscribe = acq.engine.subscribe((ev) => {
      if (ev.type === 'item' && !values.json) {
        const i = ev.item;
        if (i.state === 'verified') io.out(`verified  ${i.key}  ${formatBytes(i.size)}`);
        if (i.state === 'failed') io.out(`FAILED    ${i.key}  ${i.error?.message ?? ''}`);
      }
      if (ev.type === 'circuit' && !values.json)
        io.out(ev.state === 'open' ? `paused: ${ev.message ?? 'target unreachable'}; retrying by itself` : 'target reachable again; resuming');
    });
    const ticker = setInterval(
      () => {
        const s = acq.engine.status();
        if (values.json) io.out(JSON.stringify({ type: 'status', ...acq.snapshot() }));
        else if (s.counts.uploading + s.counts.queued + s.counts.growing > 0) {
          io.err(
            `  ${s.counts.uploading} uploading, ${s.counts.queued} queued, ${s.counts.growing} growing; ${formatBytes(s.bytesRemaining)} left at ${formatRate(s.throughput)}, ETA ${formatEta(s.etaSeconds)}`,
          );
        }
      },
      values.json ? 1000 : 5000,
    );
    try {
      if (values.once) {
        await new Promise((r) => setTimeout(r, settings.watch.stableMs + 500));
        while (!io.stopSignal.aborted) {
          const watch = acq.watcher?.status();
          const roots = watch?.roots ?? [];
          // archived folders not yet confirmed unchanged may still wake up with changed files
          const confirming = (watch?.archived?.unconfirmed ?? 0) > 0;
          // files of a folder that is away cannot complete: they are not waited for
          const gone = notWatched(roots).map((r) => r.root + sep);
          const pending = roots.filter((r) => r.state === 'watching').reduce((n, r) => n + r.pending, 0);
          const open = (acq.sessions?.list() ?? []).some((x) => !x.closed && acq.watcher?.available(x.root) === true);
          const busy = acq.engine
            .list()
            .some((i) => (i.state === 'queued' || i.state === 'uploading' || i.state === 'growing') && !gone.some((g) => i.path.startsWith(g)));
          if (pending === 0 && !open && !busy && !confirming) break;
          await new Promise((r) => setTimeout(r, 250));
        }
      } else {
        await new Promise<void>((resolve) => io.stopSignal.addEventListener('abort', () => resolve(), { once: true }));
      }
    } finally {
      clearInterval(ticker);
      unsubscribe();
      await acq.stop();
    }
    const s = acq.engine.status();
    if (!values.json)
      io.out(
        `stopped: ${s.counts.verified} verified, ${s.counts.failed} failed, ${s.counts.queued + s.counts.uploading + s.counts.growing} to resume next time`,
      );
    if (values.once && away.size > 0) {
      throw new CliError(`not watched: ${[...away].map(([root, problem]) => `${root} is ${problem}`).join('; ')}`, ExitCode.failure);
    }
    return values.once && s.counts.failed > 0 ? ExitCode.failure : ExitCode.ok;
  },
};
