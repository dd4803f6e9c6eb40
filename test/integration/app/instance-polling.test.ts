/**
 * The app's instance poller wired through the AWS context into the compute API: a change made in
 * EC2 behind the app's back reaches the instances topic and the status line on the poller's own
 * schedule (injected timers), without any view asking.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAwsContexts } from '../../../main/app/aws-context.ts';
import { createComputeApi } from '../../../main/app/compute-api.ts';
import { createEventHub } from '../../../main/app/events.ts';
import { defaultSettings, type Settings } from '../../../main/config/schema.ts';
import type { AppEvent } from '../../../preload/api.ts';
import { FakeTime } from '../../support/fake-timers.ts';
import { motoMissing, startMoto, type MotoServer } from '../../support/moto.ts';
import { computeOn, fakeClock } from '../instances/fixture.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(motoMissing());

describe('app instance polling (moto, injected poll timers)', { skip }, () => {
  let moto: MotoServer;
  let dir: string;
  before(async () => {
    moto = await startMoto();
    dir = mkdtempSync(join(tmpdir(), 'sc-poll-'));
  });
  after(async () => {
    await moto?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an instance launched outside the app shows up in the instances topic and the status line', async () => {
    await moto.reset();
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: moto.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: moto.credentials.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    const env = { ...process.env, AWS_ENDPOINT_URL: moto.endpoint, SCOPECLOUD_OWNER: 'maria' };
    const settings: Settings = {
      ...defaultSettings(dir),
      target: { kind: 's3', bucket: 'b', prefix: '', region: moto.region, profile: '', endpoint: '' } as Settings['target'],
    };
    const time = new FakeTime();
    const hub = createEventHub({ minGapMs: 0 });
    const events: AppEvent[] = [];
    hub.subscribe((e) => events.push(e));
    let compute: ReturnType<typeof createComputeApi> | null = null;
    const contexts = createAwsContexts({
      env,
      owner: 'maria',
      cacheFile: join(dir, 'compute.json'),
      background: { guardrails: false, pollInstances: true, pollTimers: time, onInstancesChanged: (list) => compute?.instancesPolled(list) },
    });
    compute = createComputeApi({ settings: () => settings, context: (s) => contexts.of(s), env, hub });
    const ctx = contexts.of(settings)!;
    try {
      await ctx.poller!.poke();
      const instanceEvents = () => events.filter((e) => e.type === 'changed' && e.topic === 'instances').length;
      const before = instanceEvents();
      // launched with the test's own services: the app does not know about it
      await computeOn(moto, { clock: fakeClock() }).services.instances.launch({ preset: 'small-analysis', name: 'outside' });
      assert.equal(ctx.poller!.lastDelayMs(), 60_000, 'nothing changing: slow polling');
      await time.advance(60_000); // the poller's timer fires and lists again
      await ctx.poller!.poke();
      assert.ok(instanceEvents() > before, 'the instances topic was refreshed by the poller');
      assert.equal(ctx.poller!.latest()!.length, 1);
      assert.equal(compute.status().running, 1, 'the status line reads the polled list');
    } finally {
      contexts.dispose();
      hub.dispose();
    }
    assert.equal(time.pending, 0, 'disposing the context stops the poller');
  });
});
