/**
 * The contract every `scopecloud <subcommand>` implements.
 *
 * A command parses its own flags (via `parseFlags`), writes human output to `io.out`
 * (or one JSON document when `--json` is given) and returns an exit code.
 * Failures throw a `CliError` (or any error with a one-line message); the dispatcher
 * prints `scopecloud <cmd>: <message>` on stderr and exits with the error's code.
 */
import type { ServiceContainer } from '../services.ts';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM). Long-running commands await it. */
  stopSignal: AbortSignal;
}

export interface CliCommand {
  name: string;
  summary: string;
  /** Full --help text: usage line, flags, exit codes. */
  help: string;
  run(argv: string[], io: CliIo, services: () => Promise<ServiceContainer>): Promise<number>;
}

/** Exit codes shared by all subcommands. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  config: 3,
  aws: 4,
  interrupted: 130,
} as const;

export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = ExitCode.failure) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
