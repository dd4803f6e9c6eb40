/** Who curates besides the owner name: the STS ARN (asked once per client) for S3 results, the OS user for local ones. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { createCuratorIdentities, type StsSender } from '../../../main/results/curator-identity.ts';

test('the ARN is asked once per STS client; a failure is reported, not remembered, and does not block', async () => {
  let calls = 0;
  let fail = true;
  const sts = {
    send: async (cmd: unknown) => {
      assert.ok(cmd instanceof GetCallerIdentityCommand);
      calls++;
      if (fail) throw new Error('no route to STS');
      return { Arn: 'arn:aws:iam::123456789012:user/ana', Account: '123456789012' };
    },
  } as unknown as StsSender;
  const errors: string[] = [];
  const ids = createCuratorIdentities({ osUser: () => 'labuser', onStsError: (e) => errors.push(e.message) });
  assert.deepEqual(await ids.of(null), { osUser: 'labuser' });
  assert.deepEqual(await ids.of(sts), {});
  assert.deepEqual(errors, ['no route to STS']);
  fail = false;
  assert.deepEqual(await ids.of(sts), { awsArn: 'arn:aws:iam::123456789012:user/ana' });
  assert.deepEqual(await ids.of(sts), { awsArn: 'arn:aws:iam::123456789012:user/ana' });
  assert.equal(calls, 2, 'asked again after the failure, then once');
});
