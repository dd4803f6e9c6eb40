/**
 * The maximum runtime survives every boot: an instance launched from a stop-at-deadline preset is
 * run by the instance simulator (its real user data, a second and third boot), and every boot ends
 * by the instance's own deadline, counted from that boot, with nothing starting it again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { motoMissing, startMoto, type MotoServer } from '../../support/moto.ts';
import { startInstanceSimulator } from '../../support/instance-simulator.ts';
import { requires } from '../../support/requirements.ts';
import { computeOn, fakeClock } from './fixture.ts';

const skip = requires(motoMissing());
/** One simulated minute of `shutdown -h +N`. */
const MINUTE_MS = 2500;

let moto: MotoServer;
let ec2: EC2Client;
let root: string;

before(async () => {
  if (skip) return;
  moto = await startMoto();
  ec2 = new EC2Client({ region: moto.region, endpoint: moto.endpoint, credentials: moto.credentials });
  root = await mkdtemp(join(tmpdir(), 'sc-deadline-'));
});

after(async () => {
  if (skip) return;
  ec2?.destroy();
  await moto?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

async function stateOf(id: string): Promise<string | undefined> {
  return (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

async function untilState(id: string, want: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let got: string | undefined;
  while (Date.now() < end) {
    if ((got = await stateOf(id)) === want) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${id} is ${got}, expected ${want} within ${timeoutMs} ms`);
}

test('after a reboot and after a start, a stop preset stops itself again, its deadline counted from that boot', { skip }, async () => {
  // no S3 here: the user data of a manual launch needs none
  const sim = await startInstanceSimulator({
    ec2,
    s3Endpoint: 'http://127.0.0.1:9',
    s3Credentials: moto.credentials,
    region: moto.region,
    root,
    minuteMs: MINUTE_MS,
    pollMs: 100,
  });
  try {
    const { services } = computeOn(moto, { clock: fakeClock() });
    const launched = await services.instances.launch({ preset: 'small-analysis', maxRuntimeMinutes: 1 });
    const id = launched.instance.id;
    assert.equal(launched.instance.expiryAction, 'stop');

    // boot 1 is rebooted before its deadline; boot 2's deadline counts from the reboot
    const end = Date.now() + 10_000;
    const firstBootDone = () => sim.instances().find((i) => i.id === id)?.boots[0]?.exitCode === 0;
    while (!firstBootDone() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.ok(firstBootDone(), 'the user data ran at the first boot');
    await sim.reboot(id);
    let inst = await sim.waitBootEnded(id, 2, 20_000);
    assert.equal(inst.boots[0].ended, 'rebooted');
    assert.equal(inst.boots[1].ended, 'timer', 'the rebooted instance ended by its own deadline');
    assert.ok(inst.boots[1].endedAt! - inst.boots[1].startedAt >= MINUTE_MS, 'a full maximum runtime after the reboot');
    await untilState(id, 'stopped');

    // a start after the stop at the deadline: the start explanation says what happens, and it does
    const started = await services.instances.start(id);
    assert.match(started.explanation.cost, /stops itself after 1 min, counted from this start \(the limit is re-armed at every boot\)/);
    inst = await sim.waitBootEnded(id, 3, 20_000);
    assert.equal(inst.boots[2].ended, 'timer', 'the started instance ended by its own deadline');
    assert.ok(inst.boots[2].endedAt! - inst.boots[2].startedAt >= MINUTE_MS, 'a full maximum runtime after the start');
    assert.deepEqual(
      (await inst.boots[2].shutdownRequests()).map((r) => r.split(' ').slice(0, 2).join(' ')),
      ['-h +1'],
      'one deadline, armed once, at that boot',
    );
    await untilState(id, 'stopped');
    // stopped, not looping: it booted exactly three times and nothing started it again
    assert.equal(sim.instances().find((i) => i.id === id)!.boots.length, 3);
  } finally {
    await sim.stop();
  }
});
