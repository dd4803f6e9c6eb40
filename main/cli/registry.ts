/** Every subcommand, in the order `scopecloud --help` lists them. */
import type { CliCommand } from './command.ts';
import { configCommand } from './commands/config.ts';
import { watchCommand } from './commands/watch.ts';
import { uploadCommand } from './commands/upload.ts';
import { statusCommand } from './commands/status.ts';

export function commands(): CliCommand[] {
  return [watchCommand, uploadCommand, statusCommand, configCommand];
}
