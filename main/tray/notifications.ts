/**
 * Notification texts for guardrail, budget, upload and analysis events, each with the limiter
 * `key` (what may not repeat within the interval) and `eventId` (what may never repeat).
 */
import { duration, usd } from '../cost/money.ts';
import type { GuardrailEvent } from '../instances/guardrails.ts';

export interface AppNotification {
  key: string;
  eventId: string;
  title: string;
  body: string;
  urgency: 'normal' | 'critical';
}

export function guardrailNotification(e: GuardrailEvent, nowMs: number): AppNotification | null {
  const day = new Date(nowMs).toISOString().slice(0, 10);
  switch (e.kind) {
    case 'max-runtime':
      return {
        key: `max-runtime:${e.instanceId}`,
        eventId: `max-runtime:${e.instanceId}:${e.error ? 'failed' : 'done'}`,
        title: e.error ? `Could not ${e.action} ${e.name}` : `${e.name} ${e.action === 'stop' ? 'stopped' : 'terminated'}`,
        body: e.error ?? `It reached its maximum runtime of ${duration(e.maxRuntimeMinutes * 60_000)}.`,
        urgency: e.error ? 'critical' : 'normal',
      };
    case 'idle-warning':
      return {
        key: `idle:${e.instanceId}`,
        eventId: `idle:${e.instanceId}:${day}`,
        title: `${e.name} looks idle`,
        body: `CPU averaged ${e.averageCpu?.toFixed(1) ?? '?'}% over ${e.windowMinutes} min while billing. Stop it if the work is done.`,
        urgency: 'normal',
      };
    case 'idle-stopped':
      return {
        key: `idle-stopped:${e.instanceId}`,
        eventId: `idle-stopped:${e.instanceId}:${nowMs}`,
        title: e.error ? `Could not stop idle ${e.name}` : `Stopped idle ${e.name}`,
        body: e.error ?? 'It stayed idle after the warning.',
        urgency: e.error ? 'critical' : 'normal',
      };
    case 'long-running':
      return {
        key: `long-running:${e.instanceId}`,
        eventId: `long-running:${e.instanceId}`,
        title: `${e.name} has run for ${duration(e.uptimeMs)}`,
        body: 'It is still billing. Stop it from the tray menu when done.',
        urgency: 'normal',
      };
    case 'budget-threshold':
      return budgetNotification(e.budget, e.level, e.spent, e.limit, nowMs);
    case 'check-failed':
      return { key: 'check-failed', eventId: `check-failed:${nowMs}`, title: 'Instance check failed', body: e.message, urgency: 'normal' };
  }
}

export function budgetNotification(budget: string, level: number, spent: number, limit: number, nowMs: number): AppNotification | null {
  if (level <= 0) return null;
  const month = new Date(nowMs).toISOString().slice(0, 7);
  return {
    key: `budget:${budget}`,
    eventId: `budget:${budget}:${month}:${level}`,
    title: level >= 100 ? `Budget "${budget}" exceeded` : `Budget "${budget}" at ${level}%`,
    body: `${usd(spent)} of ${usd(limit)} spent this month.`,
    urgency: level >= 100 ? 'critical' : 'normal',
  };
}

export function jobNotification(kind: 'upload' | 'analysis', id: string, label: string, ok: boolean, detail: string): AppNotification {
  return {
    key: `${kind}:${id}`,
    eventId: `${kind}:${id}:${ok ? 'done' : 'failed'}`,
    title: `${kind === 'upload' ? 'Upload' : 'Analysis'} ${ok ? 'finished' : 'failed'}: ${label}`,
    body: detail,
    urgency: ok ? 'normal' : 'critical',
  };
}

/** A restore from cold storage the user asked for ended: readable now (for `days`), or failed. */
export function restoreNotification(r: { id: string; label: string; askedAt: number; days: number }, ok: boolean, detail: string): AppNotification {
  return {
    key: `restore:${r.id}`,
    eventId: `restore:${r.id}:${r.askedAt}:${ok ? 'done' : 'failed'}`,
    title: ok ? `Restored from cold storage: ${r.label}` : `Restore failed: ${r.label}`,
    body: detail,
    urgency: ok ? 'normal' : 'critical',
  };
}
