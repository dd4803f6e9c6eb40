/**
 * User data for launched instances. The script always begins with a shutdown timer
 * (`shutdown -h +N`), so an instance powers itself off after its maximum runtime even when the
 * app and the workstation are off; the instance-initiated shutdown behaviour then decides stop
 * or terminate. An optional caller script (bash) follows.
 *
 * EC2 limits user data to 16 KB (16,384 bytes) in raw form, before base64 encoding; the base64 form
 * sent on the wire is about 4/3 of that. `buildUserData` rejects anything larger.
 */
import { ComputeError } from './errors.ts';

export const USER_DATA_LIMIT_BYTES = 16 * 1024;

export interface UserData {
  script: string;
  base64: string;
  rawBytes: number;
}

export function buildUserData(maxRuntimeMinutes: number, extraScript = ''): UserData {
  if (!Number.isInteger(maxRuntimeMinutes) || maxRuntimeMinutes < 1) {
    throw new ComputeError('INVALID_INPUT', `max runtime must be a whole number of minutes >= 1 (got ${maxRuntimeMinutes})`);
  }
  const body = extraScript.replace(/^#!.*\n/, '');
  const script = [
    '#!/bin/bash',
    '# ScopeCloud guard: power off after the maximum runtime, even if the app is gone.',
    `shutdown -h +${maxRuntimeMinutes} "ScopeCloud maximum runtime (${maxRuntimeMinutes} min) reached"`,
    ...(body.trim() ? ['', body] : []),
    '',
  ].join('\n');
  return validateUserData(script);
}

export function validateUserData(script: string): UserData {
  const raw = Buffer.from(script, 'utf8');
  if (raw.length > USER_DATA_LIMIT_BYTES) {
    throw new ComputeError(
      'USER_DATA_TOO_LARGE',
      `user data is ${raw.length} bytes; EC2 accepts at most ${USER_DATA_LIMIT_BYTES} bytes (16 KB) before base64 — put large scripts in S3 and download them at boot`,
    );
  }
  return { script, base64: raw.toString('base64'), rawBytes: raw.length };
}
