/**
 * A restore end-to-end test's set-up: the cold lab (cold-lab.ts: versitygw behind the glacier
 * proxy, moto) with `scopecloud serve` and Chromium on it (served-ui.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startColdLab, type ColdLab } from './cold-lab.ts';
import { labEnv, startConfiguredUi, type ServedUi } from './served-ui.ts';
import { runCli } from './cli.ts';

/** A cold lab with `scopecloud serve` and Chromium on it (served-ui.ts), in a temporary folder. */
export interface ColdUi {
  dir: string;
  lab: ColdLab;
  /** The served UI's environment (its state dir under `dir`), for CLI runs against the same state. */
  env: Record<string, string>;
  ui: ServedUi;
  page: Page;
  /** Stops the UI, then the lab, and removes `dir`. */
  stop(): Promise<void>;
}

/**
 * `startColdLab` (prefix `lab`) in a new temporary folder `scopecloud-<name>-`, then the S3 target,
 * a $1,000 monthly limit (EC2 analyses need one) and each `config` command (`scopecloud <args>`, each must exit 0) in the UI's environment, then
 * `prepare` (files to write, CLI runs through `cli`), then the UI. Whatever started is stopped if a
 * step fails.
 */
export async function startColdUi(o: {
  name: string;
  bucket: string;
  owner: string;
  config: ReadonlyArray<readonly string[]>;
  prepare?: (c: { lab: ColdLab; dir: string; cli: (args: string[], timeoutMs?: number) => Promise<string> }) => Promise<void>;
}): Promise<ColdUi> {
  const dir = mkdtempSync(join(tmpdir(), `scopecloud-${o.name}-`));
  let lab: ColdLab | undefined;
  try {
    lab = await startColdLab({ prefix: 'lab', dir, bucket: o.bucket, seedImage: true });
    const env = labEnv({ dir, owner: o.owner, aws: { s3Endpoint: lab.proxy.endpoint, awsEndpoint: lab.moto.endpoint, credentials: lab.gw.credentials } });
    const cliEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    delete cliEnv.AWS_PROFILE;
    const cli = async (args: string[], timeoutMs?: number) => {
      const r = await runCli(args, cliEnv, timeoutMs);
      if (r.code !== 0) throw new Error(`scopecloud ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r.stdout.trim();
    };
    const target = ['config', 'target', 's3', '--bucket', lab.bucket, '--prefix', 'lab', '--region', lab.moto.region];
    for (const args of [target, ['config', 'set', 'budget.monthlyLimitUsd', '1000'], ...o.config]) await cli([...args]);
    await o.prepare?.({ lab, dir, cli });
    const ui = await startConfiguredUi({ dir, env, config: [] });
    const started = lab;
    return {
      dir,
      lab,
      env,
      ui,
      page: ui.page,
      async stop() {
        await ui.stop();
        await started.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await lab?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
