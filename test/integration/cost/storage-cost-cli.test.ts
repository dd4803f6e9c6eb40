/**
 * `scopecloud cost` with the storage bill: moto for EC2 (compute), versitygw for the listing under
 * the lab's prefix, the projection at a given acquisition rate; text and --json.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ExitCode, type CliIo } from '../../../main/cli/command.ts';
import { runCost } from '../../../main/cli/commands/cost.ts';
import { createStorageCost } from '../../../main/app/storage-cost.ts';
import { defaultSettings, type Settings } from '../../../main/config/schema.ts';
import { createMemoryStore } from '../../../main/cost/cache-store.ts';
import { loadPriceTable } from '../../../main/cost/price-table.ts';
import { GB } from '../../../main/cost/storage-bill.ts';
import { motoMissing, useMoto, type MotoServer } from '../../support/moto.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { requires } from '../../support/requirements.ts';
import { computeOn, fakeClock } from '../instances/fixture.ts';

const MiB = 1024 * 1024;
// 7 December 2026, 10:00 UTC: 24 days 14 hours of December left
const NOW = Date.UTC(2026, 11, 7, 10);

describe('scopecloud cost: the storage bill beside compute', { skip: requires(motoMissing(), versitygwMissing()), timeout: 180_000 }, () => {
  let moto: MotoServer;
  let gw: Versitygw;
  let bucket: string;
  useMoto((m) => {
    moto = m;
  });
  before(async () => {
    gw = await startVersitygw();
    bucket = await gw.createBucket();
    const s3 = gw.client();
    for (const [Key, size] of [
      ['lab/rig1/a.tif', 3 * MiB],
      ['lab/rig1/b.tif', 1 * MiB],
      ['elsewhere/c.tif', 5 * MiB],
    ] as const)
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Buffer.alloc(size, 1) }));
  });
  after(async () => {
    await gw?.stop();
  });

  function setup(s3: S3Client, bytesPerDay: number, o: { prefix?: string; cloudwatch?: CloudWatchClient } = {}) {
    const clock = fakeClock(NOW);
    const { services } = computeOn(moto, { clock });
    const settings: Settings = {
      ...defaultSettings('/nonexistent'),
      target: { kind: 's3', bucket, prefix: o.prefix ?? 'lab', region: 'us-east-1', profile: '', endpoint: gw.endpoint },
    };
    let listings = 0;
    s3.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'ListObjectsV2Command') listings++;
        return next(args);
      },
      { step: 'initialize', name: 'countListings' },
    );
    const storage = createStorageCost({
      settings: () => settings,
      aws: () => ({ s3, prices: services.prices, region: 'us-east-1', ...(o.cloudwatch ? { cloudwatch: o.cloudwatch } : {}) }),
      localPrices: () => loadPriceTable(),
      rate: async () => ({ bytesPerDay, verifiedBytes: bytesPerDay * 7, windowDays: 7 }),
      store: createMemoryStore(),
      clock,
    });
    const run = async (argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), stopSignal: new AbortController().signal };
      const code = await runCost(
        argv,
        io,
        async () => services,
        async () => storage,
        clock.now,
      );
      return { code, out, err };
    };
    return { run, clock, listings: () => listings };
  }

  it('prints the bytes per class under the prefix, $/month, the projection and its formula; lists once, then from the cache', async () => {
    const { run, listings, clock } = setup(gw.client(), 10 * GB);
    const first = await run(['--live-only']);
    assert.equal(first.code, ExitCode.ok);
    assert.deepEqual(
      first.err.filter((l) => l.startsWith('Storage')),
      [],
    );
    const text = first.out.join('\n');
    assert.match(
      text,
      new RegExp(
        `^Storage \\(s3://${bucket}/lab/, just listed by ListObjectsV2; prices: shipped table of 2025-06-01, us-east-1\\): \\$0\\.0001/month\\.$`,
        'm',
      ),
    );
    assert.match(text, /^ {2}CLASS +OBJECTS +SIZE +\$\/GB-MONTH +\$\/MONTH$/m);
    assert.match(text, /^ {2}STANDARD +2 +0\.004 GB +\$0\.023 +\$0\.0001$/m, '4 MiB under lab/, not the 5 MiB elsewhere');
    // 10 GB/day × 24.58 days = 245.8 GB added, at $0.023 × f 0.793 ÷ 2 = $2.24
    assert.match(text, /^Storage for the rest of the month: \$2\.24 \(\$5\.65\/month by month end\)\.$/m);
    assert.match(
      text,
      /^ {2}rest of month = stored × price × f \+ added × STANDARD price × f ÷ 2, with f = 24\.6 days left of 31 = 0\.793; .*added: 10\.0 GB\/day/m,
    );
    assert.equal(listings(), 1);

    clock.advance(3_600_000);
    const second = await run(['--live-only', '--json']);
    const json = JSON.parse(second.out.join('\n')) as {
      storage: {
        location: string;
        fromCache: boolean;
        listedAt: number;
        method: string;
        error: null;
        bill: {
          totalBytes: number;
          classes: { storageClass: string; bytes: number; perGbMonth: number }[];
          projection: { restOfMonth: number; formula: string };
        };
      };
    };
    assert.equal(listings(), 1, 'an hour later: the cached listing');
    assert.deepEqual(
      [json.storage.location, json.storage.method, json.storage.fromCache, json.storage.listedAt, json.storage.bill.totalBytes],
      [`s3://${bucket}/lab/`, 'list-objects-v2', true, NOW, 4 * MiB],
    );
    assert.deepEqual(
      json.storage.bill.classes.map((c) => [c.storageClass, c.bytes, c.perGbMonth]),
      [['STANDARD', 4 * MiB, 0.023]],
    );
    // an hour later: 24 d 13 h left; stored 4 MiB and added 10 GB/day × days left, at $0.023
    const left = 24 + 13 / 24;
    const f = left / 31;
    const expected = (4 * MiB * 0.023 * f) / GB + (10 * left * 0.023 * f) / 2;
    assert.equal(json.storage.bill.projection.restOfMonth, Math.round(expected * 1e4) / 1e4);

    const refreshed = await run(['--live-only', '--refresh-storage']);
    assert.equal(listings(), 2, '--refresh-storage lists now');
    assert.match(refreshed.out.join('\n'), /just listed/);
  });

  it('a listing S3 refuses is said on stderr, with no storage figures (not $0)', async () => {
    const denied = gw.client({ credentials: { accessKeyId: 'nobody', secretAccessKey: 'wrong-secret' } });
    const { run } = setup(denied, 0);
    const r = await run(['--live-only']);
    assert.equal(r.code, ExitCode.ok, 'compute cost is still shown');
    const said = r.err.filter((l) => l.startsWith('Storage'));
    assert.equal(said.length, 1);
    assert.match(said[0]!, new RegExp(`^Storage: Could not list s3://${bucket}/lab/: .*The storage bill is unknown \\(not zero\\)\\.$`));
    assert.doesNotMatch(r.out.join('\n'), /^Storage/m);
    const json = JSON.parse((await run(['--live-only', '--json'])).out.join('\n')) as { storage: { error: string; bill: null } };
    assert.equal(json.storage.bill, null);
    assert.match(json.storage.error, /Could not list/);
  });

  it("a whole-bucket prefix: the listing is cross-checked against S3's daily BucketSizeBytes in CloudWatch (put into moto)", async () => {
    const cloudwatch = new CloudWatchClient({ region: moto.region, endpoint: moto.endpoint, credentials: moto.credentials });
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'AWS/S3',
        MetricData: [
          {
            MetricName: 'BucketSizeBytes',
            Dimensions: [
              { Name: 'BucketName', Value: bucket },
              { Name: 'StorageType', Value: 'StandardStorage' },
            ],
            Timestamp: new Date(NOW - 86_400_000),
            Value: 9 * MiB,
            Unit: 'Bytes',
          },
        ],
      }),
    );
    const { run } = setup(gw.client(), 0, { prefix: '', cloudwatch });
    const text = (await run(['--live-only'])).out.join('\n');
    assert.match(text, new RegExp(`^Storage \\(s3://${bucket}/, just listed`, 'm'));
    assert.match(text, /^ {2}STANDARD +3 +0\.009 GB/m, 'the listing counts the whole bucket: 4 + 5 MiB');
    assert.match(text, /^Cross-check \(whole bucket, CloudWatch BucketSizeBytes of 2026-12-06\): 0\.009 GB\.$/m);
    const lab = (await setup(gw.client(), 0, { cloudwatch }).run(['--live-only'])).out.join('\n');
    assert.doesNotMatch(lab, /Cross-check/, 'a prefix is never compared with the whole bucket');
  });
});
