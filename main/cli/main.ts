/**
 * `scopecloud` dispatcher: finds the subcommand, handles --help/--version, turns thrown errors
 * into one stderr line and an exit code.
 */
import { CliError, ExitCode, type CliCommand, type CliIo } from './command.ts';
import { createServiceContainer, type ServiceContainer } from '../services.ts';
import { SettingsError } from '../config/validate.ts';
import { commands } from './registry.ts';

const VERSION = '0.1.0';

function usage(list: CliCommand[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  return [
    'Usage: scopecloud <command> [options]',
    '',
    'Watch acquisition folders, upload every file (S3 or a local archive), run analyses,',
    'keep instances and spend in sight.',
    '',
    'Commands:',
    ...list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `scopecloud <command> --help` for its options. State lives in $SCOPECLOUD_HOME',
    '(default ~/.local/state/scopecloud).',
  ].join('\n');
}

export async function main(argv: string[], ioOverride?: Partial<CliIo>): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const io: CliIo = {
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
    stopSignal: controller.signal,
    ...ioOverride,
  };
  const list = commands();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage(list));
    return name ? ExitCode.ok : ExitCode.usage;
  }
  if (name === '--version' || name === '-v') {
    io.out(VERSION);
    return ExitCode.ok;
  }
  const cmd = list.find((c) => c.name === name);
  if (!cmd) {
    io.err(`scopecloud: unknown command "${name}" (try: ${list.map((c) => c.name).join(', ')})`);
    return ExitCode.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(cmd.help);
    return ExitCode.ok;
  }
  let container: Promise<ServiceContainer> | null = null;
  const services = () => (container ??= createServiceContainer());
  try {
    return await cmd.run(rest, io, services);
  } catch (e) {
    io.err(`scopecloud ${name}: ${oneLine(e)}`);
    return exitCodeOf(e);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const opened = container as Promise<ServiceContainer> | null;
    if (opened) await (await opened).dispose();
  }
}

export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].trim() || (e instanceof Error ? e.name : 'failed');
}

function exitCodeOf(e: unknown): number {
  if (e instanceof CliError) return e.exitCode;
  if (e instanceof SettingsError) return ExitCode.config;
  if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) return ExitCode.usage;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) return ExitCode.usage;
  return ExitCode.failure;
}
