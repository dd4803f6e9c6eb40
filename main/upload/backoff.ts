/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * the delay before retry `attempt` (0-based) is uniform in [0, min(cap, base × 2^attempt)).
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  /** Attempts per operation including the first (network failures while the circuit is open do not count). */
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 200, capMs: 20_000, maxAttempts: 8 };

export function backoffDelay(attempt: number, policy: Pick<BackoffPolicy, 'baseMs' | 'capMs'>, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}
