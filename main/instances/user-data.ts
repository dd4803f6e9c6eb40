/**
 * User data for instances launched from a preset: the per-boot deadline (deadline.ts: power off
 * after the maximum runtime, counted from every boot, even when the app and the workstation are
 * off; the instance-initiated shutdown behaviour then decides stop or terminate), then an optional
 * caller script (bash), which cloud-init runs at the first boot only.
 *
 * EC2 limits user data to 16 KB (16,384 bytes) in raw form, before base64 encoding; the base64 form
 * sent on the wire is about 4/3 of that. `buildUserData` rejects anything larger.
 */
import { ComputeError } from '../aws/errors.ts';
import { USER_DATA_LIMIT_BYTES, withDeadline, type LaunchUserData } from './deadline.ts';

export { USER_DATA_LIMIT_BYTES };

export interface UserData {
  script: string;
  base64: string;
  rawBytes: number;
}

export function buildUserData(maxRuntimeMinutes: number, extraScript = ''): LaunchUserData {
  const body = extraScript.replace(/^#!.*\n/, '');
  return withDeadline(maxRuntimeMinutes, '#!/bin/bash', body.trim() ? `\n${body}\n` : '');
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
