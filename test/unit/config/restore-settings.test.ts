import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSettingsStore, type KeyValueBackend } from '../../../main/config/store.ts';
import { defaultSettings } from '../../../main/config/schema.ts';
import { SettingsError } from '../../../main/config/validate.ts';
import { restorePlan } from '../../../main/jobs/restore-plan.ts';
import { acquisitionChanged, applySettingsPatch, toUiSettings } from '../../../main/app/settings-mapping.ts';
import type { AppError } from '../../../main/app/app-errors.ts';

function memoryBackend(): KeyValueBackend {
  let data: Record<string, unknown> = {};
  return {
    get store() {
      return structuredClone(data);
    },
    set store(o: Record<string, unknown>) {
      data = structuredClone(o);
    },
    clear() {
      data = {};
    },
  };
}

test('restore.days defaults to 3 and takes whole days from 1 to 30, naming the field otherwise', () => {
  const store = createSettingsStore(memoryBackend(), '/arch');
  assert.equal(store.get().restore.days, 3);
  store.setField('restore.days', '30');
  assert.equal(store.get().restore.days, 30);
  store.setField('restore.days', '1');
  assert.equal(store.get().restore.days, 1);
  for (const bad of ['0', '31', '2.5', '-3', 'seven']) {
    assert.throws(
      () => store.setField('restore.days', bad),
      (e: unknown) => e instanceof SettingsError && e.errors[0].field === 'restore.days' && /must be an integer from 1 to 30/.test(e.errors[0].message),
      bad,
    );
  }
  assert.equal(store.get().restore.days, 1, 'a refused value leaves the saved one');
});

test('a settings file written before restore.days existed loads with the default', () => {
  const backend = memoryBackend();
  const { restore: _restore, ...old } = defaultSettings('/a');
  backend.store = old as unknown as Record<string, unknown>;
  assert.deepEqual(createSettingsStore(backend, '/a').get().restore, { days: 3 });
});

test('the restored copies are priced for the days asked', () => {
  const objects = [{ key: 'a', size: 30 * 2 ** 30, storageClass: 'GLACIER' }];
  const now = Date.parse('2026-12-07T12:00:00Z');
  const three = restorePlan(objects, 0.023, now, 3).restoredCopyUsd;
  const ten = restorePlan(objects, 0.023, now, 10).restoredCopyUsd;
  assert.ok(Math.abs(three - 30 * 0.023 * (3 / 30)) < 1e-9);
  assert.ok(Math.abs(ten - 30 * 0.023 * (10 / 30)) < 1e-9);
});

test("the Settings view's restoreDays is restore.days: shown, patched, and a bad value named by the UI field", () => {
  const s = defaultSettings('/a');
  assert.equal(toUiSettings(s, '/a').restoreDays, 3);
  const after = applySettingsPatch(s, { restoreDays: 12 }, '/a');
  assert.equal(after.restore.days, 12);
  assert.equal(acquisitionChanged(s, after), false, 'restore days do not restart acquisition');
  assert.throws(
    () => applySettingsPatch(s, { restoreDays: 45 }, '/a'),
    (e: AppError) => e.code === 'INVALID_SETTINGS' && e.field === 'restoreDays' && /from 1 to 30/.test(e.message),
  );
  assert.equal(s.restore.days, 3, 'the input is not modified');
});
