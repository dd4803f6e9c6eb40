import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSettingsStore, type KeyValueBackend } from '../../../main/config/store.ts';
import { defaultSettings } from '../../../main/config/schema.ts';
import { settingsErrors, SettingsError } from '../../../main/config/validate.ts';
import { endpointFor } from '../../../main/aws/clients.ts';
import { statePaths } from '../../../main/config/paths.ts';
import Conf from 'conf';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function memoryBackend(): KeyValueBackend & { data: Record<string, unknown> } {
  const b = {
    data: {} as Record<string, unknown>,
    get store() {
      return structuredClone(b.data);
    },
    set store(o: Record<string, unknown>) {
      b.data = structuredClone(o);
    },
    clear() {
      b.data = {};
    },
  };
  return b;
}

test('defaults are valid and use the local archive (no AWS needed)', () => {
  const s = defaultSettings('/var/archive');
  assert.deepEqual(settingsErrors(s), []);
  assert.equal(s.target.kind, 'local');
  assert.equal(s.upload.freeSpaceAfterDays, null, 'local files are never deleted by default');
});

test('bad values are rejected with the field named, and nothing is saved', () => {
  const backend = memoryBackend();
  const store = createSettingsStore(backend, '/arch');
  store.setField('upload.concurrency', '12');
  assert.equal(store.get().upload.concurrency, 12);
  const cases: Array<[string, string, RegExp]> = [
    ['upload.concurrency', 'abc', /^upload\.concurrency: must be an integer from 1 to 64 \(got "abc"\)$/],
    ['upload.concurrency', '0', /upload\.concurrency/],
    ['upload.bandwidthLimit', '-5', /upload\.bandwidthLimit/],
    ['watch.folders', 'relative/dir', /watch\.folders\[0\]: must be an absolute path/],
    ['watch.markerFile', 'a/b', /watch\.markerFile/],
    ['watch.polling', 'maybe', /watch\.polling: must be true or false/],
    ['budget.maxRuntimeHours', '0', /budget\.maxRuntimeHours/],
    ['no.such', '1', /no\.such: is not a settings field/],
  ];
  for (const [field, value, re] of cases) {
    assert.throws(
      () => store.setField(field, value),
      (e: unknown) => e instanceof SettingsError && re.test(e.message),
      `${field}=${value}`,
    );
  }
  assert.equal(store.get().upload.concurrency, 12, 'rejected writes leave the saved value');
});

test('an S3 target validates bucket, region, prefix and endpoint', () => {
  const store = createSettingsStore(memoryBackend(), '/arch');
  const base = store.get();
  const bad = { ...base, target: { kind: 's3' as const, bucket: 'Bad_Bucket', region: 'mars', prefix: '/x', profile: '', endpoint: 'ftp://x' } };
  try {
    store.replace(bad);
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof SettingsError);
    assert.deepEqual(e.errors.map((x) => x.field).sort(), ['target.bucket', 'target.endpoint', 'target.prefix', 'target.region']);
  }
  const good = store.replace({
    ...base,
    target: { kind: 's3', bucket: 'lab-imaging', region: 'eu-west-1', prefix: 'rig1', profile: '', endpoint: 'http://127.0.0.1:7070' },
  });
  assert.equal(good.target.kind, 's3');
  assert.equal(store.get().target.kind, 's3');
});

test('a hand-edited settings file with a bad value is reported, not silently used', () => {
  const backend = memoryBackend();
  backend.store = { ...defaultSettings('/a'), upload: { concurrency: 'lots' } } as unknown as Record<string, unknown>;
  const store = createSettingsStore(backend, '/a');
  assert.throws(() => store.get(), /upload\.concurrency/);
});

test('endpoint resolution follows the AWS_ENDPOINT_URL family', () => {
  assert.equal(endpointFor('s3', {}), undefined);
  assert.equal(endpointFor('s3', { AWS_ENDPOINT_URL: 'http://a' }), 'http://a');
  assert.equal(endpointFor('s3', { AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_S3: 'http://s3' }), 'http://s3');
  assert.equal(endpointFor('cost_explorer', { AWS_ENDPOINT_URL_COST_EXPLORER: 'http://ce' }), 'http://ce');
  assert.equal(endpointFor('s3', { AWS_ENDPOINT_URL_S3: 'http://s3' }, 'http://explicit'), 'http://explicit');
});

test('state lives under SCOPECLOUD_HOME when set', () => {
  const p = statePaths({ SCOPECLOUD_HOME: '/srv/sc' }, 'linux');
  assert.equal(p.queue, '/srv/sc/queue');
  assert.equal(statePaths({ XDG_STATE_HOME: '/x' }, 'linux').root, '/x/scopecloud');
});

test('the ui section defaults to the first-run screen and validates its fields by name', () => {
  const backend = memoryBackend();
  const store = createSettingsStore(backend, '/arch');
  assert.deepEqual(store.get().ui, { firstRunComplete: false, theme: 'system' });
  store.setField('ui.theme', 'dark');
  store.setField('ui.firstRunComplete', 'true');
  assert.deepEqual(store.get().ui, { firstRunComplete: true, theme: 'dark' });
  assert.throws(() => store.setField('ui.theme', 'neon'), /^SettingsError|ui\.theme: must be one of system, light, dark \(got "neon"\)/);
  assert.throws(
    () => store.setField('ui.firstRunComplete', 'yes'),
    (e: unknown) => e instanceof SettingsError && e.errors[0].field === 'ui.firstRunComplete',
  );
  assert.equal(store.get().ui.theme, 'dark', 'rejected writes leave the saved value');
});

test('a settings file written before the ui section existed still loads, with ui defaults', () => {
  const backend = memoryBackend();
  const { ui: _ui, ...old } = defaultSettings('/a');
  backend.store = { ...old, upload: { ...old.upload, concurrency: 2 } } as unknown as Record<string, unknown>;
  const s = createSettingsStore(backend, '/a').get();
  assert.equal(s.upload.concurrency, 2);
  assert.deepEqual(s.ui, { firstRunComplete: false, theme: 'system' });
});

test('a save is one write of the whole settings file: a reader never sees it empty or half done', () => {
  const conf = new Conf<Record<string, unknown>>({ cwd: mkdtempSync(join(tmpdir(), 'sc-settings-')), configName: 'settings', projectName: 'scopecloud' });
  const onDisk: Array<Record<string, unknown>> = [];
  const backend: KeyValueBackend = {
    get store() {
      return conf.store;
    },
    set store(o: Record<string, unknown>) {
      conf.store = o;
      onDisk.push(JSON.parse(readFileSync(conf.path, 'utf8')));
    },
    clear() {
      conf.clear();
      onDisk.push(JSON.parse(readFileSync(conf.path, 'utf8')));
    },
  };
  const store = createSettingsStore(backend, '/arch');
  store.setField('budget.monthlyLimitUsd', '250');
  store.setField('watch.stableMs', '500');
  assert.equal(onDisk.length, 2, 'one write a save');
  for (const state of onDisk) assert.deepEqual(settingsErrors(state as never), [], 'every state on disk is a whole, valid settings object');
  assert.deepEqual([(onDisk[1].budget as { monthlyLimitUsd: number }).monthlyLimitUsd, (onDisk[1].watch as { stableMs: number }).stableMs], [250, 500]);
});
