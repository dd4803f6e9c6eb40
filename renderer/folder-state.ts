/** How the Acquisition view words a watched folder's state: pure, tested in Node. */
import type { WatchedFolder } from '../preload/api.ts';

export interface FolderStateView {
  label: string;
  tone: 'ok' | 'bad' | 'idle';
  /** Since when and why it is not watched, and what happens next; null while watching. */
  detail: string | null;
}

const LABEL = { watching: 'watching', missing: 'missing', unreadable: 'not readable', stopped: 'stopped' } as const;

const two = (n: number) => String(n).padStart(2, '0');

/** "14:02:31" today, "2025-06-01 14:02" on another day (local time). */
export function formatClockTime(t: number, now: number): string {
  const d = new Date(t);
  const today = new Date(now);
  const time = `${two(d.getHours())}:${two(d.getMinutes())}`;
  if (d.toDateString() === today.toDateString()) return `${time}:${two(d.getSeconds())}`;
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${time}`;
}

export function folderStateView(f: Pick<WatchedFolder, 'state' | 'reason' | 'since'>, now: number): FolderStateView {
  const label = LABEL[f.state];
  if (f.state === 'watching') return { label, tone: 'ok', detail: null };
  if (f.state === 'stopped') return { label, tone: 'idle', detail: null };
  const since = f.since !== null ? ` since ${formatClockTime(f.since, now)}` : '';
  const what = label[0].toUpperCase() + label.slice(1);
  return {
    label,
    tone: 'bad',
    detail: `${what}${since}: ${f.reason ?? 'it cannot be read'}. Watching resumes by itself when it is back, and files written meanwhile are uploaded then.`,
  };
}
