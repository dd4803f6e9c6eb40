/** `scopecloud watch`: watch the configured folders and upload until stopped. */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { ExitCode, type CliCommand } from '../command.ts';
import { startAcquisition, describeTarget } from '../../acquisition/acquisition-service.ts';
import { formatBytes, formatRate, formatEta } from '../format.ts';
import type { Settings } from '../../config/schema.ts';

const HELP = `Usage: scopecloud watch [folder ...] [--polling] [--json] [--once]

Watches acquisition folders (default: watch.folders from settings) recursively and uploads
every included file to the configured target (a local archive by default, or S3). Files are
sent part by part while they grow and completed when the writer closes them; a folder closes
with a marker file (default acquisition.done) or after being idle, and its manifest.json is
uploaded beside it. Runs until Ctrl-C; an interrupted run resumes where it stopped.

Options:
  --polling     stat-based polling instead of file-system events (network shares)
  --once        process what is there now, wait until it is verified, then exit
  --json        progress as JSON lines (one status object per second)

Exit codes: 0 stopped cleanly, 1 failed files remain (--once), 2 usage, 3 bad settings,
4 target unreachable.`;

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
    const acq = await startAcquisition({
      settings,
      queueDir: c.paths.queue,
      stagingDir: join(c.paths.root, 'manifests'),
      ...(settings.target.kind === 's3' ? { s3: c.aws().s3 } : {}),
      watch: true,
      ...(values.once ? { sessionIdleMs: Math.max(1000, settings.watch.stableMs) } : {}),
      log: (line) => io.err(line),
    });
    if (!values.json) io.out(`watching ${settings.watch.folders.join(', ')} -> ${describeTarget(settings)} (Ctrl-C to stop)`);
    const unsubscribe = acq.engine.subscribe((ev) => {
      if (ev.type === 'item' && !values.json) {
        const i = ev.item;
        if (i.state === 'verified') io.out(`verified  ${i.key}  ${formatBytes(i.size)}`);
        if (i.state === 'failed') io.out(`FAILED    ${i.key}  ${i.error?.message ?? ''}`);
      }
      if (ev.type === 'circuit' && !values.json) io.out(ev.state === 'open' ? `paused: ${ev.message ?? 'target unreachable'}; retrying by itself` : 'target reachable again; resuming');
    });
    const ticker = setInterval(() => {
      const s = acq.engine.status();
      if (values.json) io.out(JSON.stringify({ type: 'status', ...acq.snapshot() }));
      else if (s.counts.uploading + s.counts.queued + s.counts.growing > 0) {
        io.err(`  ${s.counts.uploading} uploading, ${s.counts.queued} queued, ${s.counts.growing} growing; ${formatBytes(s.bytesRemaining)} left at ${formatRate(s.throughput)}, ETA ${formatEta(s.etaSeconds)}`);
      }
    }, values.json ? 1000 : 5000);
    try {
      if (values.once) {
        await new Promise((r) => setTimeout(r, settings.watch.stableMs + 500));
        while (!io.stopSignal.aborted) {
          const s = acq.engine.status();
          const watch = acq.watcher?.status();
          const pending = (watch?.roots ?? []).reduce((n, r) => n + r.pending, 0);
          const open = (acq.sessions?.list() ?? []).some((x) => !x.closed);
          if (pending === 0 && !open && s.counts.queued + s.counts.uploading + s.counts.growing === 0) break;
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
    if (!values.json) io.out(`stopped: ${s.counts.verified} verified, ${s.counts.failed} failed, ${s.counts.queued + s.counts.uploading + s.counts.growing} to resume next time`);
    return values.once && s.counts.failed > 0 ? ExitCode.failure : ExitCode.ok;
  },
};
