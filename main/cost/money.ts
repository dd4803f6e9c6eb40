/** Money formatting and arithmetic helpers shared by cost, budget and tray output. */

/** `$1.23`, or `$0.0042` below a cent so small accruals are still visible. */
export function usd(amount: number): string {
  if (!Number.isFinite(amount)) return '$?';
  const abs = Math.abs(amount);
  const digits = abs > 0 && abs < 0.01 ? 4 : 2;
  return `${amount < 0 ? '-' : ''}$${abs.toFixed(digits)}`;
}

/** Rounds to 1/10000 of a dollar for JSON output (no float noise like 0.30000000000000004). */
export function round4(amount: number): number {
  return Math.round(amount * 10_000) / 10_000;
}

/** `3 h 05 min`, `12 min`, `2 d 4 h`. */
export function duration(ms: number): string {
  const totalMin = Math.max(0, Math.floor(ms / 60_000));
  const days = Math.floor(totalMin / 1440);
  const hours = Math.floor((totalMin % 1440) / 60);
  const minutes = totalMin % 60;
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${String(minutes).padStart(2, '0')} min`;
  return `${minutes} min`;
}
