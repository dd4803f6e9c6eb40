/**
 * A writer process for tests of the watcher's close rule: `startWriter(path)` spawns Node on this
 * file, which holds `path` open for writing only between the `open` and `close` commands it is
 * sent. Commands (one per line on stdin): `open` (append, creating the file), `write <bytes>`
 * (appends that many bytes of a fixed pattern), `close`, `exit`; each is answered on stdout with
 * `ok <command> <file size>` once done, or `error <message>`. `do(command)` resolves with the size.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { open, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface Writer {
  pid: number;
  do(command: 'open' | 'close' | 'exit' | `write ${number}`): Promise<number>;
  kill(): void;
}

/** The byte at `offset` of every file a writer writes. */
export function patternByte(offset: number): number {
  return (offset * 31 + 7) & 0xff;
}

export function startWriter(path: string): Writer {
  const child: ChildProcess = spawn(process.execPath, [fileURLToPath(import.meta.url), path], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting: Array<{ resolve: (size: number) => void; reject: (error: Error) => void }> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const next = waiting.shift();
    if (!next) return;
    const ok = /^ok \S+ (\d+)$/.exec(line);
    if (ok) next.resolve(Number(ok[1]));
    else next.reject(new Error(`writer: ${line}`));
  });
  child.once('exit', (code) => {
    for (const next of waiting.splice(0)) next.reject(new Error(`writer exited (${code})`));
  });
  return {
    pid: child.pid!,
    do(command) {
      return new Promise<number>((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin!.write(`${command}\n`);
      });
    },
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

async function serve(path: string): Promise<void> {
  let handle: FileHandle | undefined;
  let size = 0;
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [command, arg] = line.trim().split(' ');
    try {
      if (command === 'open') {
        if (handle) throw new Error('already open');
        handle = await open(path, 'a');
        size = (await handle.stat()).size;
      } else if (command === 'write') {
        if (!handle) throw new Error('not open');
        const bytes = Buffer.alloc(Number(arg));
        for (let i = 0; i < bytes.length; i++) bytes[i] = patternByte(size + i);
        await handle.write(bytes, 0, bytes.length, null);
        size += bytes.length;
      } else if (command === 'close') {
        await handle?.close();
        handle = undefined;
      } else if (command === 'exit') {
        await handle?.close();
        process.stdout.write(`ok exit ${size}\n`);
        process.exit(0);
      } else {
        throw new Error(`unknown command ${command}`);
      }
      process.stdout.write(`ok ${command} ${size}\n`);
    } catch (error) {
      process.stdout.write(`error ${(error as Error).message}\n`);
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await serve(process.argv[2]);
