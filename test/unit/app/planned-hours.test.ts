import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPlannedHours } from '../../../main/app/compute-api.ts';
import { defaultSettings } from '../../../main/config/schema.ts';
import type { AppError } from '../../../main/app/app-errors.ts';

test("a launch planned longer than the lab's limit per instance is refused, naming the field and the limit", () => {
  const s = defaultSettings('/state/archive');
  s.budget.maxRuntimeHours = 6;
  checkPlannedHours(6, s);
  checkPlannedHours(0.5, s);
  assert.throws(
    () => checkPlannedHours(6.5, s),
    (e: AppError) => e.code === 'INVALID_INPUT' && e.field === 'plannedHours' && /limit of 6 h per instance/.test(e.message),
  );
});
