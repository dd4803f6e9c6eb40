/**
 * The shared budget-override log (issue #16, point 7): two rigs, each with its own local store,
 * share one destination bucket (versitygw) and ask STS (moto) who they are. An override on one rig
 * is seen by the other, with the first rig's AWS identity; an override whose shared record cannot
 * be written is refused; `scopecloud budget overrides` lists the shared log.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { startMoto, motoMissing, type MotoServer } from '../../support/moto.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { awsQueryOperation, faults, startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts';
import { computeOn, fakeClock } from '../instances/fixture.ts';
import { requires } from '../../support/requirements.ts';
import { BudgetError } from '../../../main/budget/errors.ts';
import { OVERRIDES_KEY, type OverrideRecord } from '../../../main/budget/budget-guard.ts';
import { runBudget } from '../../../main/cli/commands/budget.ts';
import { CliError, ExitCode, type CliIo } from '../../../main/cli/command.ts';
import { toCliError } from '../../../main/cli/errors.ts';
import { createS3OverrideLog } from '../../../main/budget/override-log.ts';
import type { ComputeServices } from '../../../main/instances/compute-services.ts';

const SAMPLE: OverrideRecord = {
  checked: true,
  overridden: true,
  limitName: 'lab',
  source: 'aws-budget',
  limit: 100,
  spent: 90,
  committed: 5,
  planned: 10,
  projected: 105,
  at: '',
  action: 'launch',
  subject: 'gpu',
  reason: '',
  by: 'maria',
};

const skip = requires(motoMissing(), versitygwMissing());

function capture(): CliIo & { text(): string } {
  const lines: string[] = [];
  return { out: (l) => lines.push(l), err: (l) => lines.push(`ERR ${l}`), stopSignal: new AbortController().signal, text: () => lines.join('\n') };
}

describe('shared budget-override log: versitygw bucket + moto STS', { skip }, () => {
  let dir: string;
  let moto: MotoServer;
  let gw: Versitygw;
  let proxy: FaultProxy;
  /** In front of moto, for STS faults. */
  let stsProxy: FaultProxy;
  let bucket: string;
  let s3: S3Client;
  /** Rig A's STS identity: an IAM user of its own, so its ARN differs from rig B's. */
  let alice: { accessKeyId: string; secretAccessKey: string };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scopecloud-override-log-'));
    [moto, gw] = await Promise.all([startMoto(), startVersitygw({ root: join(dir, 'gw') })]);
    proxy = await startFaultProxy({ target: gw.endpoint });
    stsProxy = await startFaultProxy({ target: moto.endpoint, operationOf: awsQueryOperation, bufferBody: true });
    s3 = gw.client();
  });
  after(async () => {
    await Promise.all([proxy?.stop(), stsProxy?.stop()]);
    await Promise.all([moto?.stop(), gw?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await moto.reset();
    proxy.clearRules();
    stsProxy.clearRules();
    bucket = await gw.createBucket();
    const iam = new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: moto.credentials });
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }))).AccessKey!;
    alice = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
  });

  /** A rig: its own local store and owner, the lab's bucket, a $1 local limit (any launch passes it). */
  function rig(owner: string, options: { host: string; sts?: STSClient; s3?: S3Client; prefix?: string }) {
    return computeOn(moto, {
      clock: fakeClock(),
      owner,
      localMonthlyLimitUsd: 1,
      ...(options.sts ? { sts: options.sts } : {}),
      overrideLog: { s3: options.s3 ?? s3, bucket, prefix: options.prefix ?? 'lab/', host: options.host },
    });
  }
  const stsAs = (credentials: { accessKeyId: string; secretAccessKey: string }) => new STSClient({ region: moto.region, endpoint: moto.endpoint, credentials });

  it("an override on rig A is listed by rig B, with A's STS identity and host name, newest first", async () => {
    const a = rig('maria', { host: 'rig-a', sts: stsAs(alice) });
    const b = rig('jon', { host: 'rig-b' });

    await assert.rejects(a.services.instances.launch({ preset: 'small-analysis' }), (e: BudgetError) => e.code === 'BUDGET_EXCEEDED');
    await a.services.instances.launch({ preset: 'small-analysis', override: { reason: 'grant deadline', by: 'maria' } });
    await b.services.instances.launch({ preset: 'small-analysis', override: { reason: 'rerun of figure 3', by: 'jon' } });

    const listed = await b.services.guard.listOverrides();
    assert.equal(listed.shared, true);
    assert.equal(listed.location, `s3://${bucket}/lab/budget/overrides/`);
    assert.equal(listed.overrides.length, 2, 'both rigs write to the same log');
    const mine = listed.overrides.find((o) => o.by === 'maria')!;
    assert.equal(mine.identity?.arn, 'arn:aws:iam::123456789012:user/alice');
    assert.equal(mine.identity?.account, '123456789012');
    assert.equal(mine.host, 'rig-a');
    assert.equal(mine.reason, 'grant deadline');
    assert.equal(mine.subject, 'small-analysis');
    assert.ok(mine.projected > mine.limit!, 'the numbers the guard refused on');
    const jons = listed.overrides.find((o) => o.by === 'jon')!;
    assert.notEqual(jons.identity?.arn, mine.identity?.arn);
    assert.ok(listed.overrides[0].at >= listed.overrides[1].at, 'newest first');

    // one object per override, under the destination prefix; rig B's local store holds only its own
    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'lab/budget/overrides/' }))).Contents ?? []).map((o) => o.Key!);
    assert.equal(keys.length, 2);
    for (const k of keys) assert.match(k, /^lab\/budget\/overrides\/\d{4}-\d\d-\d\dT[\d:.]+Z-[0-9a-f]+\.json$/);
    assert.deepEqual(
      (b.store.get(OVERRIDES_KEY) as OverrideRecord[]).map((r) => r.by),
      ['jon'],
    );

    // the CLI on rig B lists A's override with A's identity
    const io = capture();
    assert.equal(await runBudget(['overrides'], io, async () => b.services), ExitCode.ok);
    assert.match(io.text(), new RegExp(`recorded in s3://${bucket}/lab/budget/overrides/`));
    assert.match(
      io.text(),
      /launch small-analysis by arn:aws:iam::123456789012:user\/alice \(maria on rig-a\): projected \$[\d.]+ > limit \$1\.00 — grant deadline/,
    );
    const json = capture();
    await runBudget(['overrides', '--json'], json, async () => b.services);
    const parsed = JSON.parse(json.text()) as { shared: boolean; overrides: { by: string; identity: { arn: string } }[] };
    assert.equal(parsed.shared, true);
    assert.equal(parsed.overrides.find((o) => o.by === 'maria')?.identity.arn, 'arn:aws:iam::123456789012:user/alice');
  });

  it('an override whose shared record cannot be written is refused, and nothing is launched or recorded', async () => {
    const a = rig('maria', { host: 'rig-a', s3: gw.client({ endpoint: proxy.endpoint }) });
    proxy.setRules([{ match: 'PutObject', fault: { kind: 'status', status: 403, code: 'AccessDenied', message: 'Access Denied' } }]);
    await assert.rejects(a.services.instances.launch({ preset: 'small-analysis', override: { reason: 'grant deadline', by: 'maria' } }), (e: BudgetError) => {
      assert.equal(e.code, 'OVERRIDE_NOT_RECORDED');
      assert.match(e.message, new RegExp(`launch small-analysis refused: the override could not be recorded in s3://${bucket}/lab/budget/overrides/`));
      return true;
    });
    assert.equal((await a.services.instances.list()).length, 0, 'the refused override launched nothing');
    assert.equal(a.store.get(OVERRIDES_KEY), undefined, 'no local record of an override that did not happen');
    assert.deepEqual((await a.services.guard.listOverrides()).overrides, []);

    // once the bucket takes it again, the same override goes through and is listed
    proxy.clearRules();
    await a.services.instances.launch({ preset: 'small-analysis', override: { reason: 'grant deadline', by: 'maria' } });
    assert.equal((await a.services.guard.listOverrides()).overrides.length, 1);
  });

  it('an override is refused when STS cannot say who the caller is', async () => {
    const down = rig('jon', {
      host: 'rig-b',
      sts: new STSClient({ region: moto.region, endpoint: stsProxy.endpoint, credentials: moto.credentials, maxAttempts: 1 }),
    });
    // the budget reader's account id (asked once) goes through; the override's identity does not
    stsProxy.setRules([
      { match: 'GetCallerIdentity', after: 1, fault: faults.ec2Error('ExpiredToken', 'The security token included in the request is expired') },
    ]);
    await assert.rejects(
      down.services.instances.launch({ preset: 'small-analysis', override: { reason: 'x', by: 'jon' } }),
      (e: BudgetError) => e.code === 'OVERRIDE_NOT_RECORDED' && /STS GetCallerIdentity/.test(e.message),
    );
    assert.deepEqual((await rig('maria', { host: 'rig-a' }).services.guard.listOverrides()).overrides, []);
  });

  it('with no S3 destination the local record is the only one, and the CLI says so', async () => {
    const local: ComputeServices = computeOn(moto, { clock: fakeClock(), localMonthlyLimitUsd: 1 }).services;
    await local.instances.launch({ preset: 'small-analysis', override: { reason: 'local only', by: 'maria' } });
    const io = capture();
    assert.equal(await runBudget(['overrides'], io, async () => local), ExitCode.ok);
    assert.match(io.text(), /No S3 destination: these are the overrides recorded on this machine only/);
    assert.match(io.text(), /launch small-analysis by maria: .* — local only/);
    const shared = await rig('jon', { host: 'rig-b' }).services.guard.listOverrides();
    assert.deepEqual(shared.overrides, [], 'nothing went to the bucket');
  });

  it('list pages through the log and returns the newest N, newest first', async () => {
    const log = createS3OverrideLog({ s3, sts: stsAs(alice), bucket, prefix: '', host: 'rig-a', pageSize: 2 });
    const base = Date.parse('2026-03-01T10:00:00Z');
    // written out of time order: the listing orders by the time in the key, not by write order
    for (const minute of [3, 0, 4, 1, 2]) {
      const at = new Date(base + minute * 60_000).toISOString();
      await log.record({ ...SAMPLE, at, reason: `minute ${minute}` });
    }
    const newest = await log.list(3);
    assert.deepEqual(
      newest.map((o) => o.reason),
      ['minute 4', 'minute 3', 'minute 2'],
    );
    assert.equal((await log.list()).length, 5);
    assert.equal(log.location, `s3://${bucket}/budget/overrides/`);
  });

  it('the CLI fails with an AWS exit code when the override cannot be recorded', async () => {
    const a = rig('maria', { host: 'rig-a', s3: gw.client({ endpoint: proxy.endpoint }) });
    proxy.setRules([{ match: 'PutObject', fault: { kind: 'status', status: 503, code: 'ServiceUnavailable' } }]);
    const e = toCliError(
      await a.services.instances.launch({ preset: 'small-analysis', override: { reason: 'r', by: 'maria' } }).then(
        () => null,
        (err: unknown) => err,
      ),
    );
    assert.ok(e instanceof CliError);
    assert.equal(e.exitCode, ExitCode.aws);
  });
});
