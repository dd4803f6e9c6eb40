/**
 * Who is acting: SCOPECLOUD_OWNER when set (a shared lab account names its user), else the
 * operating-system user. Instance and job tags, budget overrides and job records all use it, so
 * there is one answer per process.
 */
import { userInfo } from 'node:os';

export function ownerName(env: NodeJS.ProcessEnv): string {
  if (env.SCOPECLOUD_OWNER) return env.SCOPECLOUD_OWNER;
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
