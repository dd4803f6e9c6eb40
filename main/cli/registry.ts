/** Every subcommand, in the order `scopecloud --help` lists them. */
import type { CliCommand } from './command.ts';
import { configCommand } from './commands/config.ts';

export function commands(): CliCommand[] {
  return [configCommand];
}
