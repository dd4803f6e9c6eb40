import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profilesFrom } from '../../../main/app/aws-profiles.ts';
import { checkAws, type CheckClients } from '../../../main/app/aws-check.ts';
import { checkLocalArchive } from '../../../main/app/local-archive-check.ts';

test('profiles come from both shared files; sso-session sections are not profiles', () => {
  const config =
    '[default]\nregion = eu-central-1\n\n[profile lab-admin]\nsso_session = lab\n[sso-session lab]\nsso_region = eu-west-1\n# [profile commented]\n';
  const credentials = '[default]\naws_access_key_id = X\n[maria]\naws_access_key_id = Y\n';
  assert.deepEqual(profilesFrom(config, credentials), { profiles: ['default', 'lab-admin', 'maria'], defaultRegion: 'eu-central-1' });
  assert.deepEqual(profilesFrom('', ''), { profiles: [], defaultRegion: null });
});

/** Fake SDK clients (unit test only): each send answers from a table by command name. */
function fakeClients(answers: Record<string, () => unknown>): CheckClients & { destroyed: boolean; sent: string[] } {
  const c = {
    destroyed: false,
    sent: [] as string[],
    send: async (cmd: { constructor: { name: string } }) => {
      const name = cmd.constructor.name;
      c.sent.push(name);
      return answers[name]();
    },
    destroy() {
      c.destroyed = true;
    },
  };
  return {
    s3: c as never,
    sts: c as never,
    destroy: () => c.destroy(),
    get destroyed() {
      return c.destroyed;
    },
    sent: c.sent,
  };
}
const awsError = (name: string, status?: number) => Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });
const req = { profile: 'lab', region: 'eu-west-1', bucket: 'lab-data', endpoint: '' };

test('the AWS check reports formats first, without calling AWS', async () => {
  let built = false;
  const r = await checkAws({ profile: '', region: 'mars', bucket: 'Bad_Bucket', endpoint: 'ftp://x' }, () => {
    built = true;
    return fakeClients({});
  });
  assert.equal(r.ok, false);
  assert.deepEqual(r.problems.map((p) => p.field).sort(), ['bucket', 'endpoint', 'region']);
  assert.equal(built, false);
});

test('the AWS check names who signed in and which field is wrong', async () => {
  const okClients = fakeClients({ GetCallerIdentityCommand: () => ({ Arn: 'arn:aws:iam::1:user/maria' }), HeadBucketCommand: () => ({}) });
  assert.deepEqual(await checkAws(req, () => okClients), { ok: true, identity: 'arn:aws:iam::1:user/maria', problems: [] });
  assert.equal(okClients.destroyed, true);

  const missing = await checkAws(req, () =>
    fakeClients({
      GetCallerIdentityCommand: () => ({ Arn: 'arn:x' }),
      HeadBucketCommand: () => {
        throw awsError('NotFound', 404);
      },
    }),
  );
  assert.deepEqual([missing.ok, missing.identity, missing.problems[0].field], [false, 'arn:x', 'bucket']);
  assert.match(missing.problems[0].message, /does not exist/);
  const denied = await checkAws(req, () =>
    fakeClients({
      GetCallerIdentityCommand: () => ({}),
      HeadBucketCommand: () => {
        throw awsError('Forbidden', 403);
      },
    }),
  );
  assert.match(denied.problems[0].message, /profile "lab" may not use bucket "lab-data"/);
  const wrongRegion = await checkAws(req, () =>
    fakeClients({
      GetCallerIdentityCommand: () => ({}),
      HeadBucketCommand: () => {
        throw awsError('PermanentRedirect', 301);
      },
    }),
  );
  assert.equal(wrongRegion.problems[0].field, 'region');
  const creds = fakeClients({
    GetCallerIdentityCommand: () => {
      throw awsError('ExpiredToken', 403);
    },
    HeadBucketCommand: () => ({}),
  });
  const expired = await checkAws(req, () => creds);
  assert.deepEqual([expired.problems[0].field, creds.sent], ['profile', ['GetCallerIdentityCommand']]);
  assert.match(expired.problems[0].message, /aws sso login/);
});

test('with an endpoint (S3-compatible store) a missing STS is not a problem', async () => {
  const r = await checkAws({ ...req, endpoint: 'http://127.0.0.1:7070' }, () =>
    fakeClients({
      GetCallerIdentityCommand: () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
      HeadBucketCommand: () => ({}),
    }),
  );
  assert.deepEqual(r, { ok: true, identity: null, problems: [] });
  const down = await checkAws({ ...req, endpoint: 'http://127.0.0.1:7070' }, () =>
    fakeClients({
      GetCallerIdentityCommand: () => ({}),
      HeadBucketCommand: () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
    }),
  );
  assert.equal(down.problems[0].field, 'endpoint');
});

test('a local archive must be an absolute, writable folder (created when missing)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-archive-check-'));
  try {
    assert.deepEqual(await checkLocalArchive(join(dir, 'new', 'archive')), { ok: true, problems: [] });
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const cases: Array<[string, RegExp]> = [
      ['', /give the folder/],
      ['rel/path', /absolute path/],
      [file, /is a file/],
      [join(file, 'below'), /cannot write/],
    ];
    for (const [path, re] of cases) {
      const r = await checkLocalArchive(path);
      assert.equal(r.ok, false, path);
      assert.equal(r.problems[0].field, 'archiveDir');
      assert.match(r.problems[0].message, re);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
