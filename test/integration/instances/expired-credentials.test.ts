import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CliError, ExitCode, type CliIo } from '../../../main/cli/command.ts';
import { runInstances } from '../../../main/cli/commands/instances.ts';
import { awsQueryOperation, faults, startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts';
import { motoMissing, startMoto, type MotoServer } from '../../support/moto.ts';
import { awsClients, computeOn, fakeClock } from './fixture.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(motoMissing());

describe('expired credentials (ExpiredToken injected by the fault proxy in front of moto)', { skip }, () => {
  let moto: MotoServer;
  let proxy: FaultProxy;
  before(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy({ target: moto.endpoint, operationOf: awsQueryOperation, bufferBody: true });
  });
  after(async () => {
    await proxy?.stop();
    await moto?.stop();
  });

  it('`instances list` fails with one clear line and the AWS exit code', async () => {
    const { services } = computeOn(moto, { clock: fakeClock(), ...awsClients(moto, { endpoint: proxy.endpoint }) });
    const lines: string[] = [];
    const io: CliIo = { out: (l) => lines.push(l), err: (l) => lines.push(l), stopSignal: new AbortController().signal };
    assert.equal(await runInstances(['list'], io, async () => services), ExitCode.ok, 'works before the token expires');

    proxy.setRules([{ match: 'DescribeInstances', fault: faults.ec2Error('ExpiredToken', 'The security token included in the request is expired') }]);
    const before = proxy.stats().injected.DescribeInstances ?? 0;
    await assert.rejects(
      runInstances(['list'], io, async () => services),
      (e: CliError) => {
        assert.ok(e instanceof CliError, `expected CliError, got ${(e as Error).name}: ${(e as Error).message}`);
        assert.equal(e.exitCode, ExitCode.aws);
        assert.match(e.message, /list instances: AWS credentials are missing, invalid or expired \(ExpiredToken\); sign in again/);
        assert.ok(!e.message.includes('\n'), 'one line');
        return true;
      },
    );
    assert.equal((proxy.stats().injected.DescribeInstances ?? 0) - before, 1, 'not retried: an expired token does not heal');
  });
});
