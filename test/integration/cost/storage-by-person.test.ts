/**
 * Issue #21 point 4: `scopecloud cost`'s table per person, against versitygw (the lab's objects,
 * with session manifests written by the real manifest builder and a job record) and moto (EC2, and
 * Cost Explorer's answer grouped by the owner tag). Also: storage is printed before a compute
 * failure (no EC2 credentials), and a store account that may not list the bucket (versitygw IAM
 * user) is said as such, never as zero.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { EC2Client } from '@aws-sdk/client-ec2';
import { CliError, ExitCode, type CliIo } from '../../../main/cli/command.ts';
import { runCost } from '../../../main/cli/commands/cost.ts';
import { createStorageCost } from '../../../main/app/storage-cost.ts';
import { defaultSettings, type Settings } from '../../../main/config/schema.ts';
import { createMemoryStore } from '../../../main/cost/cache-store.ts';
import { loadPriceTable } from '../../../main/cost/price-table.ts';
import { buildManifest } from '../../../main/session/manifest.ts';
import { jobKeys } from '../../../main/jobs/job-layout.ts';
import { motoMissing, useMoto, type MotoServer } from '../../support/moto.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { requires } from '../../support/requirements.ts';
import { computeOn, fakeClock } from '../instances/fixture.ts';

const MiB = 1024 * 1024;
const NOW = Date.UTC(2026, 11, 7, 10);
const JOB = 'j-20261203-101500-abcd';

const ceByService = {
  ResultsByTime: [
    {
      TimePeriod: { Start: '2026-12-01', End: '2026-12-02' },
      Total: {},
      Groups: [{ Keys: ['Amazon Elastic Compute Cloud - Compute'], Metrics: { UnblendedCost: { Amount: '19.5', Unit: 'USD' } } }],
      Estimated: true,
    },
  ],
};
const ceByOwner = {
  ResultsByTime: [
    {
      TimePeriod: { Start: '2026-12-01', End: '2026-12-08' },
      Total: {},
      Groups: [
        { Keys: ['scopecloud:owner$maria'], Metrics: { UnblendedCost: { Amount: '12.5', Unit: 'USD' } } },
        { Keys: ['scopecloud:owner$ana'], Metrics: { UnblendedCost: { Amount: '4', Unit: 'USD' } } },
        { Keys: ['scopecloud:owner$'], Metrics: { UnblendedCost: { Amount: '3', Unit: 'USD' } } },
      ],
      Estimated: true,
    },
  ],
};

describe('scopecloud cost: compute and storage per person', { skip: requires(motoMissing(), versitygwMissing()), timeout: 180_000 }, () => {
  let moto: MotoServer;
  let gw: Versitygw;
  let bucket: string;
  let dir: string;
  const sizes = new Map<string, number>();
  useMoto(
    (m) => {
      moto = m;
    },
    async (m) => {
      await m.post('/moto-api/static/ce/cost-and-usage-results', { results: [ceByService, ceByOwner] });
    },
  );
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scopecloud-by-person-'));
    gw = await startVersitygw({ root: join(dir, 'gw'), iam: true });
    bucket = await gw.createBucket();
    const s3 = gw.client();
    const put = async (Key: string, Body: Buffer | string) => {
      sizes.set(Key, Buffer.byteLength(Body));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
    };
    const manifest = async (session: string, recordedBy?: { owner: string; host: string }) =>
      JSON.stringify(
        await buildManifest(
          { root: '/data/rig1', dir: `/data/rig1/${session}`, files: [], closedBy: 'idle', ...(recordedBy ? { recordedBy } : {}) },
          { readTiffs: async () => new Map(), now: () => NOW },
        ),
      );
    // maria's session (its manifest names her), an older session whose manifest names no one, a session still open
    await put('lab/rig1/mouse1/2026-12-01/a.tif', Buffer.alloc(6 * MiB, 1));
    await put('lab/rig1/mouse1/2026-12-01/plane1/b.tif', Buffer.alloc(2 * MiB, 1));
    await put('lab/rig1/mouse1/2026-12-01/manifest.json', await manifest('mouse1/2026-12-01', { owner: 'maria', host: 'rig-2' }));
    await put('lab/rig1/mouse2/2026-11-02/c.tif', Buffer.alloc(3 * MiB, 1));
    await put('lab/rig1/mouse2/2026-11-02/manifest.json', await manifest('mouse2/2026-11-02'));
    await put('lab/rig1/mouse3/open/d.tif', Buffer.alloc(1 * MiB, 1));
    // lee's analysis
    await put(`lab/${jobKeys(JOB).manifest}`, JSON.stringify({ schema: 1, id: JOB, owner: 'lee', name: 'x' }));
    await put(`lab/${jobKeys(JOB).results}traces.npy`, Buffer.alloc(4 * MiB, 1));
    // not the lab's
    await put('elsewhere/rig1/e.tif', Buffer.alloc(5 * MiB, 1));
  });
  after(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function setup(s3: S3Client, o: { ec2?: EC2Client } = {}) {
    const clock = fakeClock(NOW);
    const { services } = computeOn(moto, { clock, ...(o.ec2 ? { ec2: o.ec2 } : {}) });
    const settings: Settings = {
      ...defaultSettings('/nonexistent'),
      target: { kind: 's3', bucket, prefix: 'lab', region: 'us-east-1', profile: '', endpoint: gw.endpoint },
    };
    const requests: string[] = [];
    s3.middlewareStack.add(
      (next, context) => (args) => {
        requests.push(context.commandName ?? '');
        return next(args);
      },
      { step: 'initialize', name: 'countRequests' },
    );
    const storage = createStorageCost({
      settings: () => settings,
      aws: () => ({ s3, prices: services.prices, region: 'us-east-1' }),
      localPrices: () => loadPriceTable(),
      rate: async () => ({ bytesPerDay: 0, verifiedBytes: 0, windowDays: 7 }),
      store: createMemoryStore(),
      clock,
    });
    const run = async (argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), stopSignal: new AbortController().signal };
      let code: number;
      try {
        code = await runCost(
          argv,
          io,
          async () => services,
          async () => storage,
          clock.now,
        );
      } catch (e) {
        if (!(e instanceof CliError)) throw e;
        err.push(e.message);
        code = e.exitCode;
      }
      return { code, out, err };
    };
    return { run, requests, clock };
  }

  it('prints compute (Cost Explorer by owner tag) and storage (attributed by manifests and job records) per person, one listing, each record read once', async () => {
    const { run, requests, clock } = setup(gw.client());
    const r = await run([]);
    assert.equal(r.code, ExitCode.ok, r.err.join('\n'));
    const text = r.out.join('\n');
    const bytes = (prefix: string) => [...sizes].filter(([k]) => k.startsWith(prefix)).reduce((n, [, s]) => n + s, 0);
    const maria = bytes('lab/rig1/mouse1/');
    const lee = bytes(`lab/jobs/${JOB}/`);
    const rest = bytes('lab/rig1/mouse2/') + bytes('lab/rig1/mouse3/');
    const gb = (b: number) => (b / 2 ** 30).toFixed(3);
    const usd4 = (b: number) => `$${((b / 2 ** 30) * 0.023).toFixed(4)}`;
    assert.match(text, /^By person \(compute: Cost Explorer by the owner tag, month to date; storage: per month at the current size\):$/m);
    assert.match(text, /^ {2}OWNER +COMPUTE +STORAGE +STORAGE \$\/MONTH +TOTAL$/m);
    const rows = text.split('\n').filter((l) => /^ {2}(maria|ana|lee|unattributed) /.test(l));
    assert.equal(rows.length, 4, text);
    assert.match(rows[0]!, new RegExp(`^ {2}maria +\\$12\\.50 +${gb(maria)} GB +\\${usd4(maria)} +\\$12\\.50$`));
    assert.match(rows[1]!, /^ {2}ana +\$4\.00 +0\.000 GB +\$0\.00 +\$4\.00$/);
    assert.match(rows[2]!, new RegExp(`^ {2}lee +\\$0\\.00 +${gb(lee)} GB +\\${usd4(lee)} +\\${usd4(lee)}$`));
    assert.match(rows[3]!, new RegExp(`^ {2}unattributed +\\$3\\.00 +${gb(rest)} GB +\\${usd4(rest)} +\\$3\\.00$`));
    assert.match(text, /storage is attributed by the records beside the data: each session manifest's recordedBy/);
    // the session whose manifest names no one is listed to assign; the open session (no manifest) is not a session yet
    assert.match(
      text,
      /^Sessions without an owner \(1; assign them with --assign SESSION or --assign-under FOLDER --to PERSON\):\n {2}SESSION +STORAGE\n {2}rig1\/mouse2\/2026-11-02 +0\.003 GB$/m,
    );
    assert.deepEqual(
      requests.sort(),
      ['GetObjectCommand', 'GetObjectCommand', 'GetObjectCommand', 'ListObjectsV2Command'],
      'one listing, then the three records (two manifests, one job) once each',
    );

    requests.length = 0;
    clock.advance(3_600_000);
    const json = JSON.parse((await run(['--json'])).out.join('\n')) as {
      byPerson: { computeKnown: boolean; people: { owner: string; compute: number | null; storageBytes: number | null }[] };
    };
    assert.deepEqual(requests, [], 'an hour later: the cached listing and the cached owners, no request to the store');
    assert.equal(json.byPerson.computeKnown, true);
    assert.deepEqual(
      json.byPerson.people.map((p) => [p.owner, p.compute, p.storageBytes]),
      [
        ['maria', 12.5, maria],
        ['ana', 4, null],
        ['lee', null, lee],
        ['unattributed', 3, rest],
      ],
    );
    const manifestText = await (
      await gw.client().send(new GetObjectCommand({ Bucket: bucket, Key: 'lab/rig1/mouse1/2026-12-01/manifest.json' }))
    ).Body!.transformToString();
    assert.deepEqual((JSON.parse(manifestText) as { recordedBy: unknown }).recordedBy, { owner: 'maria', host: 'rig-2' });
  });

  it('without EC2 credentials, the storage bill and its split are printed first, then the credential error (exit 4)', async () => {
    const ec2 = new EC2Client({
      region: moto.region,
      endpoint: moto.endpoint,
      maxAttempts: 1,
      credentials: async () => {
        throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
      },
    });
    const r = await setup(gw.client(), { ec2 }).run(['--live-only']);
    assert.equal(r.code, ExitCode.aws);
    const text = r.out.join('\n');
    assert.match(text, new RegExp(`^Storage \\(s3://${bucket}/lab/, just listed by ListObjectsV2`, 'm'));
    assert.match(text, /^By person \(compute: Cost Explorer by the owner tag, month to date, not known here;/m);
    assert.match(text, /^ {2}maria +\? +0\.008 GB/m);
    assert.equal(r.err.at(-2), 'Compute cost could not be read:');
    assert.match(r.err.at(-1)!, /credentials/i);
  });

  it('a store account that may not list the bucket (versitygw IAM user): the listing is refused by name, nothing reads as zero', async () => {
    const user = await gw.createUser('user');
    const r = await setup(gw.client({ credentials: user })).run(['--live-only']);
    assert.equal(r.code, ExitCode.ok, 'compute is still shown');
    const said = r.err.filter((l) => l.startsWith('Storage'));
    assert.deepEqual(said.length, 1, r.err.join('\n'));
    assert.match(
      said[0]!,
      new RegExp(
        `^Storage: Could not list s3://${bucket}/lab/: your AWS identity may not list it \\(AccessDenied; it needs s3:ListBucket on the bucket\\)\\. The storage bill is unknown \\(not zero\\)\\.$`,
      ),
    );
    assert.doesNotMatch(r.out.join('\n'), /^(Storage|By person)/m);
  });
});
