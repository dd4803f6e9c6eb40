/** `scopecloud upload`: upload files or folders now and wait until each is verified. */
import { parseArgs } from 'node:util';
import { basename, join, relative, resolve } from 'node:path';
import { keyFor } from '../../acquisition/object-keys.ts';
import { readdir, stat } from 'node:fs/promises';
import { CliError, ExitCode, type CliCommand } from '../command.ts';
import { describeTarget } from '../../acquisition/acquisition-service.ts';
import { count, formatBytes, formatRate } from '../format.ts';
import type { ItemSnapshot } from '../../upload/engine.ts';

const HELP = `Usage: scopecloud upload <file or folder> ... [--json] [--unreachable-timeout S]

Uploads the given files (folders recursively, hidden and temporary files skipped) to the
configured target and waits until each object's checksum has been verified. A folder's files go
under <folder name>/<path inside it>; a single file under its name. Interrupted uploads resume
on the next run of upload or watch.

Options:
  --json                      print one JSON result (items with state, key, checksum, error)
  --unreachable-timeout S     give up after S seconds of an unreachable target (default 120)

Exit codes: 0 all verified, 1 some files failed (each listed with its cause), 2 usage,
3 bad settings, 4 target unreachable (files stay queued and resume next run).`;

const SKIP = /(^|[/\\])(\.[^/\\]*|[^/\\]*\.(part|tmp|partial|crdownload))$/i;

async function collect(arg: string): Promise<Array<{ path: string; key: string }>> {
  const abs = resolve(arg);
  let st;
  try {
    st = await stat(abs);
  } catch (e) {
    throw new CliError(`${arg}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (e as Error).message}`, ExitCode.usage);
  }
  if (st.isFile()) return [{ path: abs, key: basename(abs) }];
  if (!st.isDirectory()) throw new CliError(`${arg}: not a regular file or folder`, ExitCode.usage);
  const out: Array<{ path: string; key: string }> = [];
  const entries = await readdir(abs, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath, e.name);
    if (SKIP.test(relative(abs, full))) continue;
    out.push({ path: full, key: keyFor(basename(abs) || 'root', abs, full) });
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

export const uploadCommand: CliCommand = {
  name: 'upload',
  summary: 'upload files or folders now and wait until verified',
  help: HELP,
  async run(argv, io, services) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        'unreachable-timeout': { type: 'string', default: '120' },
      },
    });
    if (positionals.length === 0) throw new CliError('give at least one file or folder to upload', ExitCode.usage);
    const unreachableS = Number(values['unreachable-timeout']);
    if (!Number.isFinite(unreachableS) || unreachableS <= 0)
      throw new CliError(`--unreachable-timeout must be a positive number of seconds (got "${values['unreachable-timeout']}")`, ExitCode.usage);
    const files = (await Promise.all(positionals.map(collect))).flat();
    if (files.length === 0) throw new CliError('nothing to upload: the folders hold no files', ExitCode.usage);

    const c = await services();
    const settings = c.settings.get();
    const acq = await c.startAcquisition({
      settings,
      watch: false,
      log: (l) => io.err(l),
    });
    let unreachableSince: number | null = null;
    let circuitMessage = '';
    const unsubscribe = acq.engine.subscribe((ev) => {
      if (ev.type === 'circuit') {
        unreachableSince = ev.state === 'open' ? Date.now() : null;
        circuitMessage = ev.message ?? '';
        if (ev.state === 'open' && !values.json) io.err(`target unreachable (${circuitMessage}); retrying...`);
      }
    });
    try {
      if (!values.json) io.out(`uploading ${count(files.length, 'file')} to ${describeTarget(settings)}`);
      const ids: string[] = [];
      for (const f of files) ids.push((await acq.engine.add(f.path, { key: f.key })).id);
      const started = Date.now();
      for (;;) {
        if (io.stopSignal.aborted) throw new CliError('interrupted; queued files resume on the next upload or watch', ExitCode.interrupted);
        const items = ids.map((id) => acq.engine.get(id)).filter((i): i is ItemSnapshot => Boolean(i));
        if (items.every((i) => i.state === 'verified' || i.state === 'failed')) break;
        if (unreachableSince !== null && Date.now() - unreachableSince > unreachableS * 1000) {
          throw new CliError(
            `target unreachable for ${unreachableS} s: ${circuitMessage || 'no answer'}; files stay queued and resume on the next run`,
            ExitCode.aws,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      const items = ids.map((id) => acq.engine.get(id)!);
      const failed = items.filter((i) => i.state === 'failed');
      const bytes = items.reduce((n, i) => n + (i.state === 'verified' ? i.size : 0), 0);
      const seconds = (Date.now() - started) / 1000;
      if (values.json) {
        io.out(
          JSON.stringify({ target: describeTarget(settings), verified: items.length - failed.length, failed: failed.length, bytes, seconds, items }, null, 2),
        );
      } else {
        for (const f of failed) io.out(`FAILED  ${f.path}: ${f.error?.message ?? 'unknown error'}`);
        io.out(
          `${items.length - failed.length} verified, ${failed.length} failed; ${formatBytes(bytes)} in ${seconds.toFixed(1)} s (${formatRate(bytes / Math.max(seconds, 0.001))})`,
        );
      }
      return failed.length ? ExitCode.failure : ExitCode.ok;
    } finally {
      unsubscribe();
      await acq.stop();
    }
  },
};
