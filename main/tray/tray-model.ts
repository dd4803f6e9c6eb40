/**
 * The tray as pure data: state in, icon + tooltip + menu out. The Electron adapter only draws
 * this (and routes menu actions back), so every rule here is testable without Electron.
 *
 * Icon precedence: over-budget (spend at or past 100 %) > warning (an idle or long-running
 * instance, an instance without a price, an instance stopped for days whose disks still bill,
 * or spend at/over 80 %) > running > idle.
 */
import { duration, usd } from '../cost/money.ts';
import { gbText } from '../cost/storage-bill.ts';
import type { InstanceInfo } from '../aws/ec2-instance.ts';
import { REMIND_AFTER_DAYS, stoppedDisks, stoppedDisksLine } from '../instances/stopped-disks.ts';
import { trayPeople, type TrayPeople } from './tray-people.ts';

export type TrayIcon = 'idle' | 'running' | 'warning' | 'over-budget';

export type TrayAction = { kind: 'stop-instance'; instanceId: string } | { kind: 'open-window'; view: 'instances' | 'cost' | 'uploads' } | { kind: 'quit' };

export type TrayMenuItem = { type: 'item'; id: string; label: string; enabled: boolean; action: TrayAction | null } | { type: 'separator' };

export interface TrayState {
  instances: ReadonlyArray<InstanceInfo>;
  /** Percent of the monthly budget spent, null when there is no budget. */
  budgetPercent: number | null;
  /** Instance ids currently flagged idle. */
  idleIds: ReadonlyArray<string>;
  /** Uptime after which an instance counts as long-running. */
  longRunningMs: number;
  /** Now (epoch ms): how long stopped instances have been stopped. */
  nowMs: number;
  /** The storage bill's last answer (never listed for the tray); absent or null: no line. */
  storage?: TrayStorage | null;
  /** Spend per person from the cached figures (tray-people.ts); absent or null: no lines. */
  people?: TrayPeople | null;
}

/** The storage bill as the tray's tooltip says it. */
export interface TrayStorage {
  /** False: a local archive, no S3 bill. */
  billed: boolean;
  totalBytes: number;
  /** USD per month at the current size. */
  monthly: number;
  /** USD for the rest of the month including the watched folders' growth. */
  restOfMonth: number;
  /** The listing failed and there is no earlier one: the bill is unknown. */
  unknown: boolean;
}

/** "Storage: 1.20 TB in S3, $28.26/month ($22.10 for the rest of the month)"; sizes as S3 bills them (GB = 2^30 bytes). */
export function storageLine(s: TrayStorage): string {
  if (s.unknown) return 'Storage: unknown (the listing failed; see Budget)';
  const size = gbText(s.totalBytes);
  if (!s.billed) return `Storage: ${size} on local disk, no S3 bill`;
  return `Storage: ${size} in S3, ${usd(s.monthly)}/month (${usd(s.restOfMonth)} for the rest of the month)`;
}

export interface TrayModel {
  icon: TrayIcon;
  /** Count shown as a badge/title next to the icon; 0 hides it. */
  runningCount: number;
  tooltip: string;
  menu: TrayMenuItem[];
}

export function trayModel(state: TrayState): TrayModel {
  const running = state.instances.filter((i) => i.state === 'running' || i.state === 'pending');
  const idle = new Set(state.idleIds);
  const hourly = running.reduce((s, i) => s + (i.hourlyPrice ?? 0), 0);
  const accrued = running.reduce((s, i) => s + (i.accruedCost ?? 0), 0);
  const flagged = running.filter((i) => idle.has(i.id) || i.uptimeMs >= state.longRunningMs || i.hourlyPrice === null);
  const pct = state.budgetPercent;

  const disks = stoppedDisks(state.instances, state.nowMs);
  const remind = disks.filter((d) => d.remind);

  let icon: TrayIcon = running.length > 0 ? 'running' : 'idle';
  if (flagged.length > 0 || remind.length > 0 || (pct !== null && pct >= 80)) icon = 'warning';
  if (pct !== null && pct >= 100) icon = 'over-budget';

  const lines = [running.length === 0 ? 'ScopeCloud: no instances running' : `ScopeCloud: ${running.length} running, ${usd(hourly)}/h, ${usd(accrued)} so far`];
  if (pct !== null) lines.push(`Budget: ${Math.round(pct)}% used${pct >= 100 ? ' (over budget)' : ''}`);
  if (flagged.length) lines.push(`Needs attention: ${flagged.map((i) => i.name).join(', ')}`);
  const disksLine = stoppedDisksLine(disks);
  if (disksLine) lines.push(disksLine);
  if (state.storage) lines.push(storageLine(state.storage));
  const people = state.people ? trayPeople(state.people) : null;
  if (people) lines.push(people.line);

  const menu: TrayMenuItem[] = [];
  for (const i of running) {
    const notes = [idle.has(i.id) ? 'idle' : null, i.uptimeMs >= state.longRunningMs ? 'long-running' : null].filter(Boolean);
    const cost = i.accruedCost === null ? 'price unknown' : usd(i.accruedCost);
    menu.push({
      type: 'item',
      id: `instance:${i.id}`,
      label: `${i.name} (${i.type}) - ${duration(i.uptimeMs)}, ${cost}${notes.length ? ` [${notes.join(', ')}]` : ''}`,
      enabled: false,
      action: null,
    });
    menu.push({
      type: 'item',
      id: `stop:${i.id}`,
      label: `    Stop ${i.name}`,
      enabled: i.state === 'running',
      action: { kind: 'stop-instance', instanceId: i.id },
    });
  }
  if (running.length === 0) menu.push({ type: 'item', id: 'none', label: 'No instances running', enabled: false, action: null });
  for (const d of remind) {
    menu.push({
      type: 'item',
      id: `stopped:${d.id}`,
      label: `${d.name} stopped ${d.days} days: its ${d.sizeGb} GB disk bills ${usd(d.monthly)}/month (terminate it if done)`,
      enabled: true,
      action: { kind: 'open-window', view: 'instances' },
    });
  }
  if (remind.length === 0 && disks.length > 0) {
    menu.push({ type: 'item', id: 'stopped', label: `${stoppedDisksLine(disks)} (reminder after ${REMIND_AFTER_DAYS} days)`, enabled: false, action: null });
  }
  if (people) {
    menu.push({ type: 'separator' });
    menu.push({ type: 'item', id: 'people', label: 'Top spenders this month', enabled: false, action: null });
    for (const p of people.items)
      menu.push({ type: 'item', id: `person:${p.owner}`, label: `    ${p.label}`, enabled: true, action: { kind: 'open-window', view: 'cost' } });
  }
  menu.push({ type: 'separator' });
  menu.push({ type: 'item', id: 'open-instances', label: 'Instances...', enabled: true, action: { kind: 'open-window', view: 'instances' } });
  menu.push({ type: 'item', id: 'open-cost', label: 'Cost and budget...', enabled: true, action: { kind: 'open-window', view: 'cost' } });
  menu.push({ type: 'item', id: 'open-uploads', label: 'Uploads...', enabled: true, action: { kind: 'open-window', view: 'uploads' } });
  menu.push({ type: 'separator' });
  menu.push({ type: 'item', id: 'quit', label: 'Quit ScopeCloud', enabled: true, action: { kind: 'quit' } });

  return { icon, runningCount: running.length, tooltip: lines.join('\n'), menu };
}
