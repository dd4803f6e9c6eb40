import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { USER_DATA_LIMIT_BYTES, buildUserData, validateUserData } from '../../../main/instances/user-data.ts';
import { PER_BOOT_SCRIPT } from '../../../main/instances/deadline.ts';
import { DEADLINE_EVERY_BOOT, TAG } from '../../../main/aws/ec2-instance.ts';
import { explainAction, explainLaunch } from '../../../main/instances/explain.ts';
import { ComputeError, fromAwsError } from '../../../main/aws/errors.ts';
import { presetByName } from '../../../main/instances/presets.ts';
import { nextPollDelay, POLL_FAST_MS, POLL_SLOW_MAX_MS, POLL_SLOW_MIN_MS } from '../../../main/instances/poll.ts';
import { runningInstancesSummary } from '../../../main/instances/quit-summary.ts';
import { makeInstance } from './make-instance.ts';

describe('user data', () => {
  it('arms the deadline for this boot and installs it as a per-boot script for every later boot', () => {
    const u = buildUserData(90);
    assert.equal(u.deadlineMinutes, 90);
    const dir = mkdtempSync(join(tmpdir(), 'sc-ud-'));
    try {
      writeFileSync(join(dir, 'shutdown'), '#!/bin/sh\necho "$*" >> "$LOG"\n');
      chmodSync(join(dir, 'shutdown'), 0o755);
      const env = { ...process.env, PATH: `${dir}:${process.env.PATH}`, LOG: join(dir, 'log'), SCOPECLOUD_PER_BOOT_DIR: join(dir, 'per-boot') };
      assert.equal(spawnSync('bash', ['-c', u.script], { env }).status, 0);
      const perBoot = join(dir, 'per-boot', PER_BOOT_SCRIPT);
      assert.ok(statSync(perBoot).mode & 0o100, 'the per-boot script is executable');
      assert.equal(spawnSync(perBoot, [], { env }).status, 0, 'a later boot runs it');
      const calls = readFileSync(join(dir, 'log'), 'utf8').trim().split('\n');
      assert.equal(calls.length, 2);
      for (const c of calls) assert.match(c, /^-h \+90 ScopeCloud maximum runtime \(90 min from boot\) reached/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts with the shutdown timer and keeps the caller script after it', () => {
    const u = buildUserData(90, '#!/bin/bash\npython run.py\n');
    const lines = u.script.split('\n');
    assert.equal(lines[0], '#!/bin/bash');
    assert.match(u.script, /^shutdown -h \+90 /m);
    assert.ok(u.script.indexOf('shutdown') < u.script.indexOf('python run.py'));
    assert.equal(u.script.match(/^#!/gm)?.length, 1, 'the caller shebang is dropped');
    assert.equal(Buffer.from(u.base64, 'base64').toString('utf8'), u.script);
  });

  it('accepts exactly 16 KB, rejects one byte more (multi-byte characters counted as bytes)', () => {
    assert.equal(validateUserData('a'.repeat(USER_DATA_LIMIT_BYTES)).rawBytes, USER_DATA_LIMIT_BYTES);
    assert.throws(
      () => validateUserData('a'.repeat(USER_DATA_LIMIT_BYTES + 1)),
      (e: ComputeError) => e.code === 'USER_DATA_TOO_LARGE',
    );
    assert.throws(
      () => validateUserData('é'.repeat(USER_DATA_LIMIT_BYTES / 2 + 1)),
      (e: ComputeError) => e.code === 'USER_DATA_TOO_LARGE',
    );
    assert.throws(
      () => buildUserData(60, 'x'.repeat(USER_DATA_LIMIT_BYTES)),
      (e: ComputeError) => /put large scripts in S3/.test(e.message),
    );
  });

  it('rejects a max runtime that is not a positive whole number of minutes', () => {
    assert.throws(
      () => buildUserData(0),
      (e: ComputeError) => e.code === 'INVALID_INPUT',
    );
    assert.throws(
      () => buildUserData(1.5),
      (e: ComputeError) => e.code === 'INVALID_INPUT',
    );
  });
});

describe('explanations', () => {
  const box = makeInstance({
    id: 'i-0abc',
    name: 'box',
    hourlyPrice: 0.357,
    maxRuntimeMinutes: 240,
    storageMonthly: 8,
    volumes: [
      { id: 'vol-1', sizeGb: 100, type: 'gp3', deleteOnTermination: true },
      { id: 'vol-2', sizeGb: 50, type: 'gp3', deleteOnTermination: false },
    ],
  });
  it('stop: compute stops, disks still billed, memory lost', () => {
    const e = explainAction('stop', box);
    assert.match(e.cost, /\$0\.36\/h\) stops/);
    assert.match(e.cost, /150 GB of disks \(\$8\.00\/month\) are kept and still billed/);
    assert.match(e.lost.join(' '), /memory/);
  });
  it('terminate: names deleted disks and the ones that survive, needs the name', () => {
    const e = explainAction('terminate', box);
    assert.equal(e.confirmation, 'name');
    assert.match(e.lost[0], /vol-1 \(100 GB\)/);
    assert.match(e.cost, /vol-2.*stay billed/);
  });
  it('start: states the bounded cost', () => {
    const everyBoot = { ...box, tags: { [TAG.deadline]: DEADLINE_EVERY_BOOT } };
    assert.match(
      explainAction('start', everyBoot).cost,
      /stops itself after 4 h 00 min, counted from this start \(the limit is re-armed at every boot\), so this start costs at most \$1\.43/,
    );
    assert.match(explainAction('reboot', everyBoot).cost, /maximum runtime starts again: it stops itself 4 h 00 min after it is back up/);
    assert.match(explainAction('start', { ...box, maxRuntimeMinutes: null }).cost, /no maximum runtime/);
    // launched before the deadline was re-armed at every boot: the explanation must not promise it
    const firstBootOnly = explainAction('start', box).cost;
    assert.match(
      firstBootOnly,
      /armed on the instance only at its first boot, so nothing on the instance ends this start; ScopeCloud stops it after 4 h 00 min only while the app is running/,
    );
    assert.doesNotMatch(firstBootOnly, /stops itself/);
    assert.match(explainAction('reboot', box).cost, /does not survive the reboot/);
  });
  it('launch: spec, price, max cost, disk', () => {
    const e = explainLaunch({ preset: presetByName('gpu'), hourlyPrice: 1.006, diskMonthly: 16, vcpu: 4, memoryGiB: 16, gpu: '1 x NVIDIA A10G (24 GB)' });
    assert.match(e.what, /g5\.xlarge \(4 vCPU, 16 GiB memory, 1 x NVIDIA A10G/);
    assert.match(e.what, /no SSH/);
    assert.match(e.cost, /terminates itself after 4 h 00 min, counted from each boot \(a start or reboot re-arms it\), so at most \$4\.02 of compute per boot/);
  });
});

describe('AWS error mapping', () => {
  const err = (name: string, message = 'm') => Object.assign(new Error(message), { name });
  it('maps credentials, state, ids and throttling to codes', () => {
    assert.equal(fromAwsError(err('ExpiredToken'), 'stop i-1').code, 'CREDENTIALS');
    assert.match(fromAwsError(err('ExpiredTokenException'), 'list budgets').message, /^list budgets: AWS credentials are missing, invalid or expired/);
    assert.equal(fromAwsError(err('IncorrectInstanceState'), 'x').code, 'WRONG_STATE');
    assert.equal(fromAwsError(err('InvalidInstanceID.Malformed'), 'x').code, 'UNKNOWN_INSTANCE');
    assert.equal(fromAwsError(err('UnauthorizedOperation'), 'x').code, 'ACCESS_DENIED');
    assert.equal(fromAwsError(err('RequestLimitExceeded'), 'x').code, 'THROTTLED');
    assert.equal(
      fromAwsError(err('Unsupported', 'Your requested instance type (g5.xlarge) is not supported in your requested Availability Zone'), 'x').code,
      'UNSUPPORTED_INSTANCE_TYPE',
    );
    assert.equal(fromAwsError(err('Weird', 'first\nsecond'), 'x').message, 'x: Weird: first');
  });
});

describe('polling and quit summary', () => {
  it('polls fast during transitions, backs off while nothing changes', () => {
    assert.equal(nextPollDelay([makeInstance({ id: 'i', state: 'stopping' })], 60_000, false), POLL_FAST_MS);
    assert.equal(nextPollDelay([makeInstance({ id: 'i' })], POLL_FAST_MS, false), POLL_SLOW_MIN_MS);
    assert.equal(nextPollDelay([makeInstance({ id: 'i' })], POLL_SLOW_MIN_MS, false), 2 * POLL_SLOW_MIN_MS);
    assert.equal(nextPollDelay([], POLL_SLOW_MAX_MS, false), POLL_SLOW_MAX_MS);
    assert.equal(nextPollDelay([], POLL_SLOW_MAX_MS, true), POLL_SLOW_MIN_MS);
  });
  it('quit summary: nothing to ask when nothing runs; warns about unbounded instances', () => {
    assert.equal(runningInstancesSummary([makeInstance({ id: 'i', state: 'stopped' })]).message, null);
    const s = runningInstancesSummary([
      makeInstance({ id: 'i-1', hourlyPrice: 2, accruedCost: 1 }),
      makeInstance({ id: 'i-2', hourlyPrice: 1, accruedCost: 0.5, maxRuntimeMinutes: 60, uptimeMs: 1_800_000 }),
    ]);
    assert.equal(s.count, 2);
    assert.match(s.message!, /2 instances are still running and billing \$3\.00\/h \(\$1\.50 so far\)/);
    assert.match(s.message!, /1 has no maximum runtime/);
    assert.equal(s.instances[1].stopsItselfIn, '30 min');
  });
});
