import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PricingClient } from '@aws-sdk/client-pricing';
import { ExitCode, type CliIo } from '../../../main/cli/command.ts';
import { runCost } from '../../../main/cli/commands/cost.ts';
import { createMemoryStore } from '../../../main/cost/cache-store.ts';
import { createPriceRefresher, REFRESHED_PRICES_KEY } from '../../../main/cost/price-refresh.ts';
import { hourlyPrice, loadPriceTable, PriceMissingError, type PriceTable } from '../../../main/cost/price-table.ts';
import { computeDocument, gp3Document, s3StorageDocument, snapshotDocument } from '../../support/price-list-documents.ts';
import { startPricingServer, type PricingServer } from '../../support/pricing-server.ts';
import { motoMissing, useMoto, type MotoServer } from '../../support/moto.ts';
import { computeOn, fakeClock } from '../instances/fixture.ts';
import { requires } from '../../support/requirements.ts';

const shipped = loadPriceTable();
const NOV28 = Date.UTC(2026, 10, 28, 9);
// every shipped type but g5.2xlarge, 10% above the shipped price; decoys the filters must keep out
const refreshedTypes = Object.keys(shipped.instanceTypes).filter((t) => t !== 'g5.2xlarge');
const newPrice = (t: string) => Math.round(shipped.regions['us-east-1']!.hourly[t]! * 1.1 * 1e4) / 1e4;
const documents = [
  ...refreshedTypes.map((t) =>
    computeDocument({
      instanceType: t,
      regionCode: 'us-east-1',
      usdPerHour: newPrice(t).toFixed(10),
      vcpu: String(shipped.instanceTypes[t]!.vcpu),
      memory: `${shipped.instanceTypes[t]!.memoryGiB} GiB`,
    }),
  ),
  computeDocument({
    instanceType: 't3.medium',
    regionCode: 'us-east-1',
    usdPerHour: '0.0780000000',
    operatingSystem: 'Windows',
    licenseModel: 'License Included',
  }),
  computeDocument({ instanceType: 't3.medium', regionCode: 'us-east-1', usdPerHour: '0.0510000000', tenancy: 'Dedicated' }),
  computeDocument({ instanceType: 't3.medium', regionCode: 'us-east-1', usdPerHour: '0.0000000000', capacitystatus: 'UnusedCapacityReservation' }),
  computeDocument({ instanceType: 't3.medium', regionCode: 'eu-west-1', usdPerHour: '0.0456000000' }),
  gp3Document('us-east-1', '0.0850000000'),
  snapshotDocument('us-east-1', 'EBS:SnapshotUsage', '0.0550000000'),
  snapshotDocument('us-east-1', 'EBS:SnapshotArchiveStorage', '0.0125000000'),
  // S3 storage: Standard's tiers listed out of order (the first 50 TB is the price kept)
  s3StorageDocument({
    regionCode: 'us-east-1',
    usagetype: 'TimedStorage-ByteHrs',
    volumeType: 'Standard',
    storageClass: 'General Purpose',
    tiers: [
      [512000, '0.0220000000'],
      [0, '0.0240000000'],
      [51200, '0.0230000000'],
    ],
  }),
  s3StorageDocument({
    regionCode: 'us-east-1',
    usagetype: 'TimedStorage-SIA-ByteHrs',
    volumeType: 'Standard - Infrequent Access',
    storageClass: 'Infrequent Access',
    tiers: [[0, '0.0130000000']],
  }),
  s3StorageDocument({
    regionCode: 'us-east-1',
    usagetype: 'TimedStorage-GDA-ByteHrs',
    volumeType: 'Glacier Deep Archive',
    storageClass: 'Archive',
    tiers: [[0, '0.0010000000']],
  }),
  // decoys: Intelligent-Tiering's infrequent tier, Reduced Redundancy, another region's Standard
  s3StorageDocument({
    regionCode: 'us-east-1',
    usagetype: 'TimedStorage-INT-IA-ByteHrs',
    volumeType: 'Intelligent-Tiering Infrequent Access',
    storageClass: 'Intelligent-Tiering',
    tiers: [[0, '0.0125000000']],
  }),
  s3StorageDocument({
    regionCode: 'us-east-1',
    usagetype: 'TimedStorage-RRS-ByteHrs',
    volumeType: 'Reduced Redundancy',
    storageClass: 'Non-Critical Data',
    tiers: [[0, '0.0240000000']],
  }),
  s3StorageDocument({
    regionCode: 'eu-west-1',
    usagetype: 'TimedStorage-ByteHrs',
    volumeType: 'Standard',
    storageClass: 'General Purpose',
    tiers: [[0, '0.0250000000']],
  }),
];

const creds = { accessKeyId: 'AKIDPRICING', secretAccessKey: 'secret' };
const client = (server: PricingServer) => new PricingClient({ region: 'us-east-1', endpoint: server.endpoint, credentials: creds, maxAttempts: 1 });

describe('price refresh from the AWS Pricing API (a JSON 1.1 test server)', () => {
  let server: PricingServer;
  before(async () => {
    server = await startPricingServer(documents, { pageSize: 1 });
  });
  after(async () => {
    await server?.stop();
  });

  it('fetches every shipped type with the filters, follows NextToken, merges and persists a dated table', async () => {
    server.setMode('ok');
    const store = createMemoryStore();
    const refresher = createPriceRefresher({ pricing: client(server), store, clock: fakeClock(NOV28), region: 'us-east-1', shipped });
    const before = server.requests.length;
    const outcome = await refresher.refresh();
    assert.equal(outcome.ok, true);
    if (!outcome.ok) return;
    const reqs = server.requests.slice(before);
    assert.ok(reqs.every((r) => r.target === 'AWSPriceListService.GetProducts'));
    const s3Reqs = reqs.filter((r) => r.body.ServiceCode === 'AmazonS3');
    assert.deepEqual(
      s3Reqs.map((r) => Object.fromEntries(r.body.Filters!.map((f) => [f.Field, f.Value]))),
      [1, 2, 3, 4, 5].map(() => ({ productFamily: 'Storage', regionCode: 'us-east-1' })),
      'one S3 query, paged one product at a time through the five us-east-1 storage products',
    );
    const t3 = reqs.filter((r) => r.body.Filters?.some((f) => f.Field === 'instanceType' && f.Value === 't3.medium'));
    assert.deepEqual(Object.fromEntries(t3[0]!.body.Filters!.map((f) => [f.Field, f.Value])), {
      instanceType: 't3.medium',
      regionCode: 'us-east-1',
      operatingSystem: 'Linux',
      tenancy: 'Shared',
      preInstalledSw: 'NA',
      capacitystatus: 'Used',
    });
    const snaps = reqs.filter((r) => r.body.Filters?.some((f) => f.Value === 'Storage Snapshot'));
    assert.equal(snaps.length, 2, 'two snapshot products, one per page');
    assert.equal(snaps[0]!.body.NextToken, undefined);
    assert.ok(snaps[1]!.body.NextToken, 'the second page was asked with the token');

    assert.deepEqual(outcome.refreshed.sort(), [...refreshedTypes].sort());
    assert.deepEqual(outcome.missing, ['g5.2xlarge']);
    assert.match(outcome.message, /No price in us-east-1 for g5\.2xlarge \(kept the earlier price\)/);
    const table = outcome.table;
    assert.equal(table.source, 'AWS Pricing API, fetched 2026-11-28');
    assert.equal(table.retrieved, '2026-11-28');
    for (const t of refreshedTypes) assert.equal(table.regions['us-east-1']!.hourly[t], newPrice(t), t);
    assert.equal(table.regions['us-east-1']!.hourly['g5.2xlarge'], shipped.regions['us-east-1']!.hourly['g5.2xlarge']);
    assert.equal(table.regions['us-east-1']!.ebsGp3PerGbMonth, 0.085);
    assert.equal(table.regions['us-east-1']!.snapshotPerGbMonth, 0.055, 'standard snapshots, not the archive tier');
    assert.deepEqual(table.regions['us-east-1']!.s3PerGbMonth, {
      ...shipped.regions['us-east-1']!.s3PerGbMonth,
      STANDARD: 0.024,
      STANDARD_IA: 0.013,
      DEEP_ARCHIVE: 0.001,
    });
    assert.match(outcome.message, /, S3 storage \(3 classes\)\./);
    assert.deepEqual(table.regions['eu-west-1'], shipped.regions['eu-west-1'], 'other regions keep the shipped prices');
    assert.deepEqual(store.get(REFRESHED_PRICES_KEY), table);
    const reopened = createPriceRefresher({ pricing: null, store, clock: fakeClock(NOV28), region: 'us-east-1', shipped });
    assert.equal(reopened.current().source, 'AWS Pricing API, fetched 2026-11-28', 'the refreshed table survives a restart');
  });

  it('AccessDenied keeps the current table and says why in one line', async () => {
    server.setMode('access-denied');
    const store = createMemoryStore();
    const refresher = createPriceRefresher({ pricing: client(server), store, clock: fakeClock(NOV28), region: 'us-east-1', shipped });
    const outcome = await refresher.refresh();
    server.setMode('ok');
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.equal(outcome.code, 'ACCESS_DENIED');
    assert.equal(
      outcome.message,
      `Prices not refreshed: your AWS identity may not read the Pricing API (AccessDeniedException; it needs pricing:GetProducts); keeping the shipped table of ${shipped.retrieved}.`,
    );
    assert.equal(outcome.table.source, shipped.source);
    assert.equal(store.get(REFRESHED_PRICES_KEY), undefined);
  });

  it('no credentials, or an endpoint that does not answer, keep the table too', async () => {
    const none = await createPriceRefresher({ pricing: null, store: createMemoryStore(), clock: fakeClock(NOV28), region: 'us-east-1', shipped }).refresh();
    assert.deepEqual([none.ok, !none.ok && none.code], [false, 'CREDENTIALS']);
    const noCreds = new PricingClient({
      region: 'us-east-1',
      endpoint: server.endpoint,
      maxAttempts: 1,
      credentials: async () => {
        throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
      },
    });
    const r = await createPriceRefresher({ pricing: noCreds, store: createMemoryStore(), clock: fakeClock(NOV28), region: 'us-east-1', shipped }).refresh();
    assert.deepEqual([r.ok, !r.ok && r.code], [false, 'CREDENTIALS']);
    assert.match(r.message, /no valid AWS credentials for the Pricing API \(CredentialsProviderError\); keeping the shipped table/);
    const dead = new PricingClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:1', credentials: creds, maxAttempts: 1 });
    const d = await createPriceRefresher({ pricing: dead, store: createMemoryStore(), clock: fakeClock(NOV28), region: 'us-east-1', shipped }).refresh();
    assert.deepEqual([d.ok, !d.ok && d.code], [false, 'UNAVAILABLE']);
    assert.doesNotMatch(d.message, /\n/);
  });

  it('a region the API and the table have no prices for says so, and a lookup names region and type', async () => {
    const outcome = await createPriceRefresher({
      pricing: client(server),
      store: createMemoryStore(),
      clock: fakeClock(NOV28),
      region: 'ap-northeast-3',
      shipped,
    }).refresh();
    assert.equal(outcome.ok, true);
    assert.equal(outcome.message, `The Pricing API has no EC2 prices for region ap-northeast-3; keeping the shipped table of ${shipped.retrieved}.`);
    assert.throws(
      () => hourlyPrice(outcome.table, 'ap-northeast-3', 't3.medium'),
      (e: unknown) =>
        e instanceof PriceMissingError && /no prices for region ap-northeast-3 in the price table of 2025-06-01 \(known: us-east-1/.test(e.message),
    );
    const partial: PriceTable = structuredClone(shipped);
    delete partial.regions['us-east-1']!.hourly['g5.2xlarge'];
    assert.throws(() => hourlyPrice(partial, 'us-east-1', 'g5.2xlarge'), /no price for g5\.2xlarge in us-east-1 in the price table of 2025-06-01/);
  });
});

describe('refreshed prices in live cost and the CLI (moto for EC2)', { skip: requires(motoMissing()) }, () => {
  let moto: MotoServer;
  let server: PricingServer;
  useMoto((m) => {
    moto = m;
  });
  before(async () => {
    server = await startPricingServer(documents, { pageSize: 5 });
  });
  after(async () => {
    await server?.stop();
  });

  it('scopecloud cost --refresh-prices: live cost uses the refreshed price and names the table', async () => {
    const clock = fakeClock(Date.now());
    const { services, store } = computeOn(moto, { clock, pricing: client(server) });
    await services.instances.launch({ preset: 'small-analysis' });
    clock.advance(3_600_000);
    const lines: string[] = [];
    const io: CliIo = { out: (l) => lines.push(l), err: (l) => lines.push(l), stopSignal: new AbortController().signal };
    assert.equal(await runCost(['--refresh-prices', '--live-only'], io, async () => services), ExitCode.ok);
    assert.match(
      lines[0]!,
      /^Prices refreshed from the AWS Pricing API for us-east-1 on \d{4}-\d{2}-\d{2}: 13 instance types, EBS gp3, snapshots, S3 storage \(3 classes\)\. No price in us-east-1 for g5\.2xlarge/,
    );
    assert.match(
      lines[1]!,
      /^Live \(estimate, prices: AWS Pricing API, fetched \d{4}-\d{2}-\d{2}\): 1 running at \$0\.39\/h, .*disks \$8\.50\/month/,
      'c7i.2xlarge at 0.3927 and 100 GB gp3 at 0.085',
    );
    const json: string[] = [];
    assert.equal(await runCost(['--json', '--live-only'], { ...io, out: (l) => json.push(l) }, async () => services), ExitCode.ok);
    const parsed = JSON.parse(json.join('\n')) as { prices: { label: string }; running: { hourlyPrice: number }[] };
    assert.match(parsed.prices.label, /^AWS Pricing API, fetched/);
    assert.equal(parsed.running[0]!.hourlyPrice, newPrice('c7i.2xlarge'), 'the instance list uses the refreshed price too');

    // a later process starts from the persisted table; a refused refresh keeps it
    server.setMode('access-denied');
    const persisted = createMemoryStore({ [REFRESHED_PRICES_KEY]: store.get(REFRESHED_PRICES_KEY) });
    const { services: restarted } = computeOn(moto, { clock, pricing: client(server), store: persisted });
    const denied: string[] = [];
    assert.equal(await runCost(['--json', '--refresh-prices', '--live-only'], { ...io, out: (l) => denied.push(l) }, async () => restarted), ExitCode.ok);
    server.setMode('ok');
    const d = JSON.parse(denied.join('\n')) as {
      priceRefresh: { ok: boolean; code: string; message: string };
      prices: { label: string };
      live: { hourlyRate: number };
    };
    assert.deepEqual([d.priceRefresh.ok, d.priceRefresh.code], [false, 'ACCESS_DENIED']);
    assert.match(d.priceRefresh.message, /keeping the AWS Pricing API, fetched/);
    assert.match(d.prices.label, /^AWS Pricing API, fetched/);
    assert.equal(d.live.hourlyRate, newPrice('c7i.2xlarge'));
  });
});
