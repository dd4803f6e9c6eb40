/** Formatting for the UI: pure functions, tested in Node. */
import type { AnalysisStage, Instance } from '../preload/api.ts';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  let i = 0;
  let v = n;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${UNITS[i]}`;
}

export function formatRate(bytesPerSec: number): string {
  return `${formatBytes(bytesPerSec)}/s`;
}

/** 3725 s → "1 h 02 min"; 75 s → "1 min 15 s". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(sec).padStart(2, '0')} s`;
  return `${sec} s`;
}

export function formatMoney(amount: number, currency = 'USD', digits = 2): string {
  const sym = currency === 'USD' ? '$' : currency === 'EUR' ? '€' : `${currency} `;
  const sign = amount < 0 ? '−' : '';
  return `${sign}${sym}${Math.abs(amount).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

/** Cost accrued by `now`: the server's figure plus price × time since it was computed, while running. */
export function liveCost(i: Pick<Instance, 'state' | 'hourlyPrice' | 'accruedCost' | 'costAsOf'>, now: number): number {
  if (i.state !== 'running' || i.hourlyPrice === null) return i.accruedCost;
  return i.accruedCost + (i.hourlyPrice * Math.max(0, now - i.costAsOf)) / 3_600_000;
}

export function uptimeSeconds(i: Pick<Instance, 'state' | 'launchTime'>, now: number): number | null {
  if (i.launchTime === null || (i.state !== 'running' && i.state !== 'pending')) return null;
  return Math.max(0, (now - i.launchTime) / 1000);
}

export function percent(part: number, whole: number): number {
  return whole > 0 ? Math.max(0, Math.min(100, (part / whole) * 100)) : 0;
}

/** A count with its noun: "1 file", "3 files", "1,200 ROIs". */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? noun : plural}`;
}

/** A frame rate as people write it: "30 Hz", "7.5 Hz", "8.14 Hz" (ScanImage's 8.138020833 Hz). */
export function formatHz(hz: number): string {
  return `${hz.toLocaleString('en-US', { maximumFractionDigits: 2 })} Hz`;
}

/** Local date and time to the minute: "2025-03-14 09:05". */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** Parses "20", "20 MB/s", "2.5MB" as megabytes per second; '' or "0" means no limit (null). */
export function parseBandwidthMBps(text: string): number | null | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:MB(?:\/s)?)?\s*$/i.exec(text);
  if (text.trim() === '') return null;
  if (!m) return undefined;
  const v = Number(m[1]);
  return v === 0 ? null : v * 1_000_000;
}

/**
 * What an unfinished analysis is doing, in words for someone who has never used EC2; null when
 * the step bars say it all (analysing) or it has ended.
 */
export function analysisStageText(stage: AnalysisStage | null, where: 'local' | 'ec2'): string | null {
  switch (stage) {
    case 'restoring':
      return 'Restoring the recording from cold storage; the EC2 instance starts by itself once it is back (nothing is launched or billed for EC2 until then).';
    case 'queued':
      return where === 'ec2' ? 'Waiting to start an EC2 instance.' : 'Waiting to start.';
    case 'provisioning':
      return 'Starting an EC2 instance (billed from now; it ends itself when the analysis is done).';
    case 'booting':
      return 'The instance is booting; this usually takes one to two minutes.';
    case 'downloading':
      return 'Copying the recording from S3 to the instance.';
    case 'uploading':
      return where === 'ec2' ? 'Uploading the results to S3; the instance then shuts down.' : 'Storing the results.';
    case 'merging':
      return "Merging the planes' results.";
    default:
      return null;
  }
}

/** "Prices as of 2025-06-01, 554 days old". */
export function pricesAsOf(p: { retrieved: string; ageDays: number }): string {
  return `Prices as of ${p.retrieved}, ${p.ageDays} day${p.ageDays === 1 ? '' : 's'} old`;
}
