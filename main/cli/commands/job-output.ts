/** Shared rendering of jobs for `analyze`, `jobs` and `results`. */
import { isTerminal, type JobView, type ShardView } from '../../jobs/job-types.ts';
import { describeState } from '../../jobs/job-state.ts';
import type { CliIo } from '../command.ts';

export function jobLine(v: JobView): string {
  const when = new Date(v.createdAt).toISOString().replace('T', ' ').slice(0, 16);
  return `${v.id}  ${v.where.padEnd(5)}  ${describeState(v).padEnd(28)}  ${when}  ${v.name}${v.dismissed ? '  (dismissed in the app)' : ''}`;
}

export function jobDetail(v: JobView): string[] {
  const lines = [
    `job:      ${v.id}  (${v.name})`,
    `where:    ${v.where}`,
    `state:    ${describeState(v)}`,
    `sources:  ${v.sources.join(', ')}`,
    `created:  ${new Date(v.createdAt).toISOString()}`,
    `updated:  ${new Date(v.updatedAt).toISOString()}`,
  ];
  for (const s of v.shards) {
    const parts = [`shard ${s.index}: ${s.state}`];
    if (s.progress && s.state === 'running') parts.push(`${s.progress.step} ${s.progress.done}/${s.progress.total}`);
    if (s.percent !== null) parts.push(`${s.percent}%`);
    if (s.attempt > 1) parts.push(`attempt ${s.attempt}`);
    if (s.instanceId) parts.push(s.instanceId);
    if (s.heartbeatAgeSeconds !== null && !isTerminal(s.state)) parts.push(`heartbeat ${s.heartbeatAgeSeconds}s ago`);
    if (s.failure && !saysFailure(v, s)) parts.push(`${s.failure.code}: ${s.failure.message}`);
    lines.push(`  ${parts.join('  ')}  [${s.label}]`);
  }
  return lines;
}

/** The job's own failure already is this shard's (a single shard's, or `shard <n>: ` and its message). */
function saysFailure(v: JobView, s: ShardView): boolean {
  const f = v.failure;
  return !!f && !!s.failure && f.code === s.failure.code && (f.message === s.failure.message || f.message === `shard ${s.index}: ${s.failure.message}`);
}

/**
 * Prints a progress line whenever the job's state, step or whole percent changes. The last line
 * names only the end state: the job's detail printed after it says why.
 */
export function progressPrinter(io: CliIo, json: boolean): (v: JobView) => void {
  let last = '';
  return (v) => {
    const line = `${v.id} ${isTerminal(v.state) ? v.state : describeState({ ...v, percent: v.percent === null ? null : Math.floor(v.percent) })}`;
    if (line === last) return;
    last = line;
    if (json) io.err(JSON.stringify({ id: v.id, state: v.state, step: v.step, percent: v.percent }));
    else io.err(line);
  };
}
