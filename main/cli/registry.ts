/** Every subcommand, in the order `scopecloud --help` lists them. */
import type { CliCommand } from './command.ts';
import { configCommand } from './commands/config.ts';
import { watchCommand } from './commands/watch.ts';
import { uploadCommand } from './commands/upload.ts';
import { statusCommand } from './commands/status.ts';
import { instancesCommand } from './commands/instances.ts';
import { budgetCommand } from './commands/budget.ts';
import { costCommand } from './commands/cost.ts';
import { analyzeCommand } from './commands/analyze.ts';
import { jobsCommand } from './commands/jobs.ts';
import { resultsCommand } from './commands/results.ts';
import { demoCommand } from './commands/demo.ts';
import { createServeCommand } from './commands/serve.ts';
import { createAppServices } from '../app/app-services.ts';

export function commands(): CliCommand[] {
  return [
    demoCommand,
    watchCommand,
    uploadCommand,
    statusCommand,
    analyzeCommand,
    jobsCommand,
    resultsCommand,
    instancesCommand,
    costCommand,
    budgetCommand,
    configCommand,
    createServeCommand((c) => createAppServices(c)),
  ];
}
