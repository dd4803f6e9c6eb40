/** `scopecloud jobs`: list, show, follow, cancel analysis jobs and read their logs. */
import { parseArgs } from 'node:util';
import { CliError, ExitCode, type CliCommand } from '../command.ts';
import { isTerminal } from '../../jobs/job-types.ts';
import { jobDetail, jobLine, progressPrinter } from './job-output.ts';

const HELP = `Usage:
  scopecloud jobs [list] [--json]         every job in the target, newest first
  scopecloud jobs show <id> [--json]      state, progress and each shard
  scopecloud jobs follow <id> [--json]    pick the job up (after a restart, or from another
                                          workstation) and follow it until it ends
  scopecloud jobs cancel <id>             cancel; instances of the job are terminated
  scopecloud jobs logs <id> [--shard n]   the bootstrap and worker log
  scopecloud jobs recover [--json]        one pass over every unfinished job (relaunch lost shards,
                                          mark interrupted local runs)

Exit codes: 0 ok (follow: the job is done), 1 the job failed or was cancelled / not found,
2 usage, 3 configuration, 4 AWS.`;

export const jobsCommand: CliCommand = {
  name: 'jobs',
  summary: 'list, follow, cancel analysis jobs; read their logs',
  help: HELP,
  async run(argv, io, services) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: 'boolean', default: false }, shard: { type: 'string' } },
    });
    const [action = 'list', id, ...extra] = positionals;
    if (extra.length) throw new CliError(`unexpected argument "${extra[0]}"`, ExitCode.usage);
    const needId = () => {
      if (!id) throw new CliError(`jobs ${action} needs a job id`, ExitCode.usage);
      return id;
    };
    const c = await services();
    const service = c.destinationJobs().jobs;
    switch (action) {
      case 'list': {
        const list = await service.list();
        if (values.json) io.out(JSON.stringify(list, null, 2));
        else if (list.length === 0) io.out('no jobs');
        else for (const v of list) io.out(jobLine(v));
        return ExitCode.ok;
      }
      case 'show': {
        const v = await service.show(needId());
        if (values.json) io.out(JSON.stringify(v, null, 2));
        else for (const line of jobDetail(v)) io.out(line);
        return ExitCode.ok;
      }
      case 'follow': {
        const v = await service.follow(needId(), { signal: io.stopSignal, onUpdate: progressPrinter(io, values.json) });
        if (values.json) io.out(JSON.stringify(v, null, 2));
        else for (const line of jobDetail(v)) io.out(line);
        if (!isTerminal(v.state)) return ExitCode.interrupted;
        return v.state === 'done' ? ExitCode.ok : ExitCode.failure;
      }
      case 'cancel': {
        const v = await service.cancel(needId());
        if (values.json) io.out(JSON.stringify(v, null, 2));
        else io.out(`${v.id}: ${v.state}`);
        return ExitCode.ok;
      }
      case 'logs': {
        const shard = values.shard === undefined ? undefined : Number(values.shard);
        if (shard !== undefined && !Number.isInteger(shard)) throw new CliError('--shard needs a shard number', ExitCode.usage);
        const text = await service.logs(needId(), shard);
        io.out(text.replace(/\n$/, '') || '(no log yet)');
        return ExitCode.ok;
      }
      case 'recover': {
        const list = await service.recover();
        if (values.json) io.out(JSON.stringify(list, null, 2));
        else if (list.length === 0) io.out('no unfinished jobs');
        else for (const v of list) io.out(jobLine(v));
        return ExitCode.ok;
      }
      default:
        throw new CliError(`unknown jobs action "${action}" (list, show, follow, cancel, logs, recover)`, ExitCode.usage);
    }
  },
};
