/**
 * `scopecloud serve --json` as a child process: the real services behind the HTTP host.
 *
 * Contract: resolves once serve printed its JSON line (its URL with the token); rejects with
 * serve's stderr if it exits first or is silent for 30 s. `stop()` SIGINTs serve (SIGKILL after
 * 5 s) and is safe to call twice. `as` runs serve under another user and group (only root may
 * ask; its state dir and renderer dir must be that user's).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from './cli.ts';

export interface ServeProcess {
  url: string;
  /** serve's stderr so far. */
  stderr(): string;
  stop(): Promise<void>;
}

export async function startServe(o: { env: NodeJS.ProcessEnv; rendererDir: string; as?: { uid: number; gid: number } }): Promise<ServeProcess> {
  const serve = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'scopecloud.js'), 'serve', '--json', '--renderer-dir', o.rendererDir], {
    env: o.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(o.as ? { uid: o.as.uid, gid: o.as.gid } : {}),
  });
  let err = '';
  serve.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const stop = async () => {
    if (serve.exitCode !== null || serve.signalCode !== null) return;
    const exited = new Promise((r) => serve.once('exit', r));
    serve.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`serve did not start; stderr: ${err}`)), 30_000);
      serve.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { url: string }).url);
        }
      });
      serve.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`serve exited (${code}): ${err}`));
      });
    });
    return { url, stderr: () => err, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
