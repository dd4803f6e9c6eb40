import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultSettings } from '../../../main/config/schema.ts';
import { acquisitionChanged, applySettingsPatch, normalisePrefix, toUiSettings, uiField } from '../../../main/app/settings-mapping.ts';
import { AppError } from '../../../main/app/app-errors.ts';

const DEF = '/state/archive';

test("stored settings show in the UI's terms, local and S3", () => {
  const s = defaultSettings(DEF);
  s.watch.folders = ['/data/rig-A'];
  assert.deepEqual(toUiSettings(s, DEF), {
    mode: 'local',
    archiveDir: DEF,
    aws: null,
    watchedFolders: ['/data/rig-A'],
    bandwidthLimitBytesPerSec: null,
    firstRunComplete: false,
    theme: 'system',
    budget: { monthlyLimitUsd: null, maxRuntimeHours: 8 },
    watch: { markerFile: 'acquisition.done', stableMs: 3000, polling: false, pollIntervalMs: 2000 },
    restoreDays: 3,
  });
  const s3 = {
    ...s,
    target: { kind: 's3' as const, bucket: 'lab', prefix: 'rig', region: 'eu-west-1', profile: 'lab', endpoint: '' },
    upload: { ...s.upload, bandwidthLimit: 5_000_000 },
  };
  const ui = toUiSettings(s3, DEF);
  assert.equal(ui.mode, 'aws');
  assert.deepEqual(ui.aws, { profile: 'lab', region: 'eu-west-1', bucket: 'lab', prefix: 'rig', endpoint: '' });
  assert.equal(ui.archiveDir, DEF, 'in S3 mode the archive field offers the default folder');
  assert.equal(ui.bandwidthLimitBytesPerSec, 5_000_000);
});

test('a first-run patch sets the target and completes the first run; other fields keep their value', () => {
  const before = defaultSettings(DEF);
  before.watch.stableMs = 300;
  const after = applySettingsPatch(before, { mode: 'local', archiveDir: '/srv/archive', firstRunComplete: true }, DEF);
  assert.deepEqual(after.target, { kind: 'local', path: '/srv/archive' });
  assert.equal(after.ui.firstRunComplete, true);
  assert.equal(after.watch.stableMs, 300);
  assert.equal(before.ui.firstRunComplete, false, 'the input is not modified');
  const aws = applySettingsPatch(
    after,
    { mode: 'aws', aws: { profile: ' lab ', region: 'eu-west-1', bucket: 'lab-data', prefix: '/scopecloud/', endpoint: '' } },
    DEF,
  );
  assert.deepEqual(aws.target, { kind: 's3', bucket: 'lab-data', prefix: 'scopecloud', region: 'eu-west-1', profile: 'lab', endpoint: '' });
  const themed = applySettingsPatch(aws, { theme: 'dark' }, DEF);
  assert.equal(themed.target.kind, 's3', 'a patch without mode keeps the target');
  assert.equal(themed.ui.theme, 'dark');
  const back = applySettingsPatch(aws, { mode: 'local' }, DEF);
  assert.deepEqual(back.target, { kind: 'local', path: DEF });
});

test('invalid patches fail naming the UI field, not the stored one', () => {
  const s = defaultSettings(DEF);
  const cases: Array<[Parameters<typeof applySettingsPatch>[1], string, RegExp]> = [
    [{ archiveDir: 'relative' }, 'archiveDir', /absolute path/],
    [{ mode: 'aws' }, 'aws', /profile, region and bucket/],
    [{ mode: 'aws', aws: { profile: '', region: 'eu-west-1', bucket: 'Bad_Bucket', prefix: '', endpoint: '' } }, 'aws.bucket', /valid S3 bucket name/],
    [{ watchedFolders: ['data/rig'] }, 'watchedFolders', /absolute path/],
  ];
  for (const [patch, field, re] of cases) {
    assert.throws(
      () => applySettingsPatch(s, patch, DEF),
      (e: unknown) => e instanceof AppError && e.code === 'INVALID_SETTINGS' && e.field === field && re.test(e.message),
      JSON.stringify(patch),
    );
  }
});

test('folders are trimmed and deduplicated; bandwidth is whole bytes; null means no limit', () => {
  const s = applySettingsPatch(defaultSettings(DEF), { watchedFolders: ['/a/', '/a', ' /b '], bandwidthLimitBytesPerSec: 1234.6 }, DEF);
  assert.deepEqual(s.watch.folders, ['/a', '/b']);
  assert.equal(s.upload.bandwidthLimit, 1235);
  assert.equal(applySettingsPatch(s, { bandwidthLimitBytesPerSec: null }, DEF).upload.bandwidthLimit, 0);
});

test('field names, prefixes and what restarts the acquisition', () => {
  assert.equal(uiField('target.path'), 'archiveDir');
  assert.equal(uiField('target.region'), 'aws.region');
  assert.equal(uiField('watch.folders[2]'), 'watchedFolders');
  assert.equal(uiField('ui.theme'), 'theme');
  assert.equal(uiField('upload.concurrency'), 'upload.concurrency');
  assert.equal(normalisePrefix(' /a/b/ '), 'a/b');
  const s = defaultSettings(DEF);
  assert.equal(acquisitionChanged(s, applySettingsPatch(s, { theme: 'dark' }, DEF)), false);
  assert.equal(acquisitionChanged(s, applySettingsPatch(s, { bandwidthLimitBytesPerSec: 10 }, DEF)), false);
  assert.equal(acquisitionChanged(s, applySettingsPatch(s, { watchedFolders: ['/x'] }, DEF)), true);
  assert.equal(acquisitionChanged(s, applySettingsPatch(s, { archiveDir: '/elsewhere' }, DEF)), true);
});

test('budget and watch rules are patched whole, checked like the stored settings, and named by their field', () => {
  const s = defaultSettings(DEF);
  s.watch.folders = ['/data/rig-A'];
  const b = applySettingsPatch(s, { budget: { monthlyLimitUsd: 250, maxRuntimeHours: 4 } }, DEF);
  assert.deepEqual(b.budget, { monthlyLimitUsd: 250, maxRuntimeHours: 4 });
  assert.equal(acquisitionChanged(s, b), false, 'spending rules do not restart acquisition');
  assert.deepEqual(toUiSettings(b, DEF).budget, { monthlyLimitUsd: 250, maxRuntimeHours: 4 });
  assert.equal(applySettingsPatch(b, { budget: { monthlyLimitUsd: null, maxRuntimeHours: 4 } }, DEF).budget.monthlyLimitUsd, null);

  const w = applySettingsPatch(s, { watch: { markerFile: ' session.done ', stableMs: 5000, polling: true, pollIntervalMs: 3000 } }, DEF);
  assert.deepEqual([w.watch.markerFile, w.watch.stableMs, w.watch.polling, w.watch.pollIntervalMs], ['session.done', 5000, true, 3000]);
  assert.deepEqual(w.watch.folders, ['/data/rig-A'], 'the folder list is not part of the watch rules');
  assert.deepEqual(w.watch.include, s.watch.include);
  assert.equal(acquisitionChanged(s, w), true, 'watch rules restart acquisition');

  assert.throws(
    () => applySettingsPatch(s, { watch: { markerFile: 'done/marker', stableMs: 5000, polling: false, pollIntervalMs: 2000 } }, DEF),
    (e: AppError) => e.code === 'INVALID_SETTINGS' && e.field === 'watch.markerFile' && /file name without a folder/.test(e.message),
  );
  assert.throws(
    () => applySettingsPatch(s, { budget: { monthlyLimitUsd: 250, maxRuntimeHours: 0.01 } }, DEF),
    (e: AppError) => e.code === 'INVALID_SETTINGS' && e.field === 'budget.maxRuntimeHours',
  );
  assert.equal(s.budget.monthlyLimitUsd, null, 'the input is not modified');
});
