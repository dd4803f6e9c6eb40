/**
 * What one upload costs the workstation, for `npm run bench:upload`: `measured()` runs a command
 * under GNU time (`/usr/bin/time`), which reports the CPU time (user + system) of the process and
 * every descendant it waited for, and the peak resident set size (ru_maxrss) of the largest of
 * them. A command still running after `timeoutS` is killed with its process group and reported as
 * timed out. `processCpuSeconds(pid)` reads the CPU time a running process (the S3 server) has
 * used so far, so its share of each run can be taken as a difference.
 */
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface Measured {
  code: number | null;
  /** Last lines of stdout + stderr. */
  out: string;
  seconds: number;
  cpuSeconds: number;
  peakRssMB: number;
  timedOut: boolean;
}

const TICKS_PER_SECOND = 100;

export async function processCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // fields after the parenthesised command name: state is field 3, utime 14, stime 15
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

export function measured(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutS: number; scratch: string }): Promise<Measured> {
  const timeFile = join(options.scratch, `time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  return new Promise((resolve) => {
    const t0 = performance.now();
    const p = spawn('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile, cmd, ...args], {
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    const keep = (d: Buffer) => {
      out = (out + d.toString()).slice(-4000);
    };
    p.stdout.on('data', keep);
    p.stderr.on('data', keep);
    let timedOut = false;
    const limit = setTimeout(() => {
      timedOut = true;
      out += `\ntimed out after ${options.timeoutS} s`;
      if (p.pid !== undefined) process.kill(-p.pid, 'SIGKILL');
    }, options.timeoutS * 1000);
    p.once('close', async (code) => {
      clearTimeout(limit);
      const seconds = (performance.now() - t0) / 1000;
      let cpuSeconds = NaN;
      let peakRssMB = NaN;
      try {
        const line = (await readFile(timeFile, 'utf8')).trim().split('\n').pop() ?? '';
        const [user, sys, rssKB] = line.split(' ').map(Number);
        cpuSeconds = user + sys;
        peakRssMB = Math.round(rssKB / 1024);
      } catch {
        /* killed before GNU time wrote its line */
      }
      await rm(timeFile, { force: true });
      resolve({ code, out, seconds, cpuSeconds, peakRssMB, timedOut });
    });
  });
}
