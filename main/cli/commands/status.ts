/** `scopecloud status`: the upload queue at a glance, live if a watch/serve process runs. */
import { parseArgs } from 'node:util';
import { ExitCode, type CliCommand } from '../command.ts';
import type { QueueStatus } from '../../acquisition/queue-status.ts';
import { formatBytes, formatEta, formatRate } from '../format.ts';

const HELP = `Usage: scopecloud status [--json] [--failed]

Shows the upload queue: counts per state, bytes left, throughput and ETA, failed files with
their cause, and each watched folder's state: watching, missing (drive unmounted, folder renamed
or deleted) or not readable, with the reason and since when. Live when a \`scopecloud watch\` or
\`serve\` process is running; otherwise read from the queue journal, and the folders are checked
now (stopped: present, but nothing watches them).

Options:
  --json      one JSON document
  --failed    list every failed file (default: the first 20)

Exit codes: 0 ok (also when files failed: see the output), 2 usage.`;

type Summary = QueueStatus;

/** "2025-06-01 14:02:31", local time. */
function localTime(t: number): string {
  const d = new Date(t);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

function folderLine(f: Summary['folders'][number]): string {
  const since = f.since !== null ? ` since ${localTime(f.since)}` : '';
  const state = f.state === 'unreadable' ? 'NOT READABLE' : f.state === 'missing' ? 'MISSING' : f.state;
  return `${f.path}  ${state}${since}${f.reason ? ` — ${f.reason}` : f.state === 'stopped' ? ' (not watched: no watch or serve running)' : ''}`;
}

export const statusCommand: CliCommand = {
  name: 'status',
  summary: 'upload queue, progress and failed files',
  help: HELP,
  async run(argv, io, services) {
    const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false }, failed: { type: 'boolean', default: false } } });
    const c = await services();
    const summary = await c.queueStatus();
    if (values.json) {
      io.out(JSON.stringify(summary, null, 2));
      return ExitCode.ok;
    }
    const n = summary.counts;
    io.out(`target:    ${summary.target}`);
    io.out(
      summary.live
        ? `running:   pid ${summary.pid}${summary.paused ? ' (paused)' : ''}${summary.circuit?.state === 'open' ? ` — target unreachable: ${summary.circuit.message ?? ''}` : ''}`
        : 'running:   no (queued files resume with `scopecloud watch` or `upload`)',
    );
    summary.folders.forEach((f, i) => io.out(`${i === 0 ? 'folders:' : ''.padEnd(8)}   ${folderLine(f)}`));
    io.out(`files:     ${n.verified} verified, ${n.uploading} uploading, ${n.growing} growing, ${n.queued} queued, ${n.failed} failed`);
    io.out(
      `remaining: ${formatBytes(summary.bytesRemaining)}${summary.throughput !== undefined ? ` at ${formatRate(summary.throughput)}, ETA ${formatEta(summary.etaSeconds)}` : ''}`,
    );
    const list = values.failed ? summary.failed : summary.failed.slice(0, 20);
    for (const f of list) io.out(`FAILED     ${f.path}: ${f.error ?? 'unknown error'}`);
    if (list.length < summary.failed.length) io.out(`... and ${summary.failed.length - list.length} more (--failed lists all)`);
    return ExitCode.ok;
  },
};
