/**
 * The maximum runtime every instance ScopeCloud launches enforces on itself, counted from each boot.
 *
 * `deadlineLines(n)` open every user data (manual launches and analysis shards alike). They:
 *   1. arm `shutdown -h +n` for this boot;
 *   2. install the same command as a cloud-init per-boot script (`/var/lib/cloud/scripts/per-boot/`),
 *      which cloud-init runs at every later boot: a start after a stop, a reboot.
 * A scheduled shutdown lives in /run and never outlives the boot that armed it, so each boot gets n
 * minutes from that boot. The instance-initiated shutdown behaviour then stops or terminates it;
 * a stopped instance stays stopped until someone starts it (and gets n more minutes), so a
 * stop-at-deadline instance never loops. `SCOPECLOUD_PER_BOOT_DIR` replaces the folder (the
 * instance simulator runs the script unprivileged).
 */
import { ComputeError } from '../aws/errors.ts';

export const USER_DATA_LIMIT_BYTES = 16 * 1024;
export const PER_BOOT_DIR = '/var/lib/cloud/scripts/per-boot';
export const PER_BOOT_SCRIPT = 'scopecloud-deadline.sh';

/** A launch's user data; only `withDeadline` makes one, so every launch carries the per-boot deadline. */
export interface LaunchUserData {
  script: string;
  base64: string;
  /** Raw size, before base64 (EC2's 16 KB limit applies to it). */
  bytes: number;
  deadlineMinutes: number;
  readonly _deadline: true;
}

export function deadlineLines(minutes: number): string[] {
  if (!Number.isInteger(minutes) || minutes < 1) {
    throw new ComputeError('INVALID_INPUT', `max runtime must be a whole number of minutes >= 1 (got ${minutes})`);
  }
  const shutdown = `shutdown -h +${minutes} 'ScopeCloud maximum runtime (${minutes} min from boot) reached'`;
  return [
    `# ScopeCloud deadline: power off ${minutes} min after this and every later boot, even if the app is gone.`,
    `${shutdown} >/dev/null 2>&1`,
    `SCOPECLOUD_PB="\${SCOPECLOUD_PER_BOOT_DIR:-${PER_BOOT_DIR}}"`,
    `mkdir -p "$SCOPECLOUD_PB" && printf '%s\\n' '#!/bin/sh' 'PATH="$PATH:/usr/sbin:/sbin"' "${shutdown}" > "$SCOPECLOUD_PB/${PER_BOOT_SCRIPT}" && chmod 755 "$SCOPECLOUD_PB/${PER_BOOT_SCRIPT}"`,
  ];
}

/**
 * `shebang`, the deadline lines, then `body`. Throws USER_DATA_TOO_LARGE past EC2's 16 KB
 * (16,384 bytes raw, before base64).
 */
export function withDeadline(minutes: number, shebang: string, body: string): LaunchUserData {
  const script = [shebang, ...deadlineLines(minutes), body].join('\n');
  const bytes = Buffer.byteLength(script);
  if (bytes > USER_DATA_LIMIT_BYTES) {
    throw new ComputeError(
      'USER_DATA_TOO_LARGE',
      `user data is ${bytes} bytes; EC2 accepts at most ${USER_DATA_LIMIT_BYTES} bytes (16 KB) before base64 — put large scripts in S3 and download them at boot`,
    );
  }
  return { script, base64: Buffer.from(script).toString('base64'), bytes, deadlineMinutes: minutes, _deadline: true };
}
