/**
 * `scopecloud serve`: the app's UI and API over HTTP + WebSocket on 127.0.0.1, behind a random
 * token printed in the URL (as Jupyter does). Runs until interrupted.
 */
import { parseArgs } from 'node:util';
import { CliError, ExitCode, type CliCommand } from '../command.ts';
import type { ServiceContainer } from '../../services.ts';
import type { AppServices } from '../../app/contract.ts';
import { assertRendererBuilt, defaultRendererDir, projectRootOf } from '../../ui/renderer-files.ts';
import { ensureRendererBundle } from '../../ui/renderer-bundle.ts';
import { startHost } from '../../host/server.ts';
import { checkRunning, formatHourly, type RunningCheck } from '../../app/running-check.ts';

const HELP = `Usage:
  scopecloud serve [--port N] [--json]

Serves the ScopeCloud UI to a browser on this computer only (127.0.0.1). Open the printed
URL: it carries a one-time random token; without it every request is refused (401).
Requests from other host names or origins are refused (403).

Options:
  --port N     listen on port N (default: a free port)
  --json       print {"url", "port"} as one JSON line instead of text

Exit codes: 0 stopped by Ctrl-C, 1 cannot serve (port in use, UI not built), 2 usage.`;

/** What serve says as it stops: instances keep billing after it, or EC2 could not be asked. */
export function stopWords(check: RunningCheck): string[] {
  if (check.kind === 'unknown') {
    return [`scopecloud serve: stopped; could not ask EC2 whether instances are still running (${check.reason}). Check with: scopecloud instances`];
  }
  const n = check.summary.running;
  if (n === 0) return [];
  return [
    `scopecloud serve: stopped. ${n} instance${n === 1 ? ' is' : 's are'} still running, costing ${formatHourly(check.summary)}: they keep billing until stopped.`,
    '  See them with: scopecloud instances    stop one with: scopecloud instances stop <id> --yes',
  ];
}

export function createServeCommand(appServices: (container: ServiceContainer) => Promise<AppServices>): CliCommand {
  return {
    name: 'serve',
    summary: 'serve the UI to a local browser (127.0.0.1, token-protected)',
    help: HELP,
    async run(argv, io, services) {
      let values: { port?: string; json?: boolean; 'renderer-dir'?: string };
      try {
        ({ values } = parseArgs({
          args: argv,
          options: { port: { type: 'string' }, json: { type: 'boolean', default: false }, 'renderer-dir': { type: 'string' } },
        }));
      } catch (err) {
        throw new CliError((err as Error).message, ExitCode.usage);
      }
      const port = values.port === undefined ? 0 : Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port: expected 0-65535, got ${values.port}`, ExitCode.usage);
      const rendererDir = values['renderer-dir'] ?? defaultRendererDir();
      try {
        // An explicit --renderer-dir is served as it is; the default one is kept current.
        if (values['renderer-dir'] !== undefined) assertRendererBuilt(rendererDir);
        else await ensureRendererBundle({ root: projectRootOf(rendererDir), dir: rendererDir }, (l) => io.err(l));
      } catch (err) {
        throw new CliError((err as Error).message, ExitCode.failure);
      }
      const app = await appServices(await services());
      let host;
      try {
        host = await startHost({ services: app, rendererDir, port });
      } catch (err) {
        await (app as { dispose?: () => Promise<void> }).dispose?.();
        throw new CliError((err as Error).message, ExitCode.failure);
      }
      if (values.json) io.out(JSON.stringify({ url: host.url, port: host.port }));
      else {
        io.out('ScopeCloud is serving on this computer only. Open:');
        io.out(`  ${host.url}`);
        io.out('Press Ctrl-C to stop.');
      }
      await new Promise<void>((resolve) => {
        if (io.stopSignal.aborted) resolve();
        else io.stopSignal.addEventListener('abort', () => resolve(), { once: true });
      });
      await host.close();
      for (const line of stopWords(await checkRunning(app))) io.err(line);
      await (app as { dispose?: () => Promise<void> }).dispose?.();
      return ExitCode.ok;
    },
  };
}
