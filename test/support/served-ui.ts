/**
 * `scopecloud serve` as a child process with a Chromium page opened on it: the set-up shared by
 * the end-to-end tests that drive the real services.
 *
 * Contract: resolves once serve printed its JSON line (its URL with the token) and the page
 * exists; rejects with serve's stderr if it exits or is silent for 30 s. `pageErrors` collects
 * uncaught page errors and console errors, except the 422s the tests provoke on purpose (invalid
 * input, AWS views in local mode). `stop()` closes the browser, then SIGINTs serve (SIGKILL after
 * 5 s), and is safe to call twice. `as` runs serve under another user and group (only root may
 * ask; its state dir and renderer dir must be that user's), the browser stays this process's.
 */
import type { Page } from 'playwright-core';
import { launchChromium, type Browser } from './chromium.ts';
import { startServe } from './serve-process.ts';
import { join } from 'node:path';
import { bundleRenderer } from '../../scripts/bundle-renderer.ts';
import { runCli, WORKER_BINARY } from './cli.ts';

export interface ServedUi {
  url: string;
  page: Page;
  pageErrors: string[];
  /** serve's stderr so far. */
  stderr(): string;
  stop(): Promise<void>;
}

export async function startServedUi(o: {
  env: NodeJS.ProcessEnv;
  rendererDir: string;
  viewport?: { width: number; height: number };
  as?: { uid: number; gid: number };
}): Promise<ServedUi> {
  const serve = await startServe(o);
  let browser: Browser | undefined;
  const stop = async () => {
    await browser?.close();
    browser = undefined;
    await serve.stop();
  };
  try {
    browser = await launchChromium(o.viewport ?? { width: 1280, height: 860 });
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 422/.test(m.text())) pageErrors.push(m.text());
    });
    return { url: serve.url, page, pageErrors, stderr: serve.stderr, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Where a served UI's AWS calls go in a test: S3 (versitygw, or a proxy in front of it) and the rest (moto). */
export interface LocalAws {
  s3Endpoint: string;
  awsEndpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/**
 * The environment of a `scopecloud serve` (or CLI) that talks only to the test's servers: its own
 * state dir, the worker, an owner name, no AWS config or credentials file of the machine's.
 */
export function localAwsEnv(o: { home: string; dir: string; worker: string; owner: string; aws: LocalAws }): Record<string, string> {
  return {
    SCOPECLOUD_HOME: o.home,
    SCOPECLOUD_WORKER: o.worker,
    SCOPECLOUD_OWNER: o.owner,
    AWS_ENDPOINT_URL_S3: o.aws.s3Endpoint,
    AWS_ENDPOINT_URL: o.aws.awsEndpoint,
    AWS_ACCESS_KEY_ID: o.aws.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: o.aws.credentials.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: `${o.dir}/no-aws-config`,
    AWS_SHARED_CREDENTIALS_FILE: `${o.dir}/no-aws-credentials`,
  };
}

/** `localAwsEnv` for a workstation whose state dir is `<dir>/<home>` (default `home`), with the built worker. */
export function labEnv(o: { dir: string; owner: string; aws: LocalAws; home?: string }): Record<string, string> {
  return localAwsEnv({ home: join(o.dir, o.home ?? 'home'), dir: o.dir, worker: WORKER_BINARY, owner: o.owner, aws: o.aws });
}

/**
 * The rest of an end-to-end set-up once its servers run: each `config` command (`scopecloud
 * <args>`) run in `env` and in every workstation of `also` (each must exit 0), the renderer bundled
 * into `<dir>/renderer`, serve started in `env` (without the machine's AWS_PROFILE) and the page
 * opened on it.
 */
export async function startConfiguredUi(o: {
  dir: string;
  env: Record<string, string>;
  also?: ReadonlyArray<Record<string, string>>;
  config: ReadonlyArray<readonly string[]>;
  viewport?: { width: number; height: number };
}): Promise<ServedUi> {
  for (const env of [...(o.also ?? []), o.env]) {
    for (const args of o.config) {
      const r = await runCli([...args], env);
      if (r.code !== 0) throw new Error(`scopecloud ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    }
  }
  const rendererDir = join(o.dir, 'renderer');
  await bundleRenderer({ outDir: rendererDir });
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...o.env };
  delete childEnv.AWS_PROFILE;
  const ui = await startServedUi({ env: childEnv, rendererDir, ...(o.viewport ? { viewport: o.viewport } : {}) });
  try {
    await ui.page.goto(ui.url);
  } catch (e) {
    await ui.stop();
    throw e;
  }
  return ui;
}
