/**
 * A curation refused for a conflict (two writers, retries exhausted) reaches the renderer as its
 * own code and is worded for the user; other refusals keep the services' message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, fromWireError, toWireError } from '../../../preload/errors.ts';
import { AppError } from '../../../main/app/app-errors.ts';
import { CONFLICT_REASON, curationRefusal } from '../../../renderer/views/curation-refusal.ts';

test('a conflict is said as such; other refusals keep their message, code and field', () => {
  const wire = fromWireError(
    toWireError(new AppError('CURATION_CONFLICT', 'could not record the curation in /a/curation.json: other writers kept changing it')),
  );
  const conflict = curationRefusal('Not saved', wire);
  assert.equal(conflict.code, 'CURATION_CONFLICT');
  assert.equal(conflict.message, `Not saved: ${CONFLICT_REASON}`);
  assert.match(conflict.message, /someone else curated these results at the same time; try again/);

  const other = curationRefusal('Nothing undone', new ApiError('INVALID_INPUT', 'ana has no curation left to undo', 'roi'));
  assert.deepEqual([other.code, other.message, other.field], ['INVALID_INPUT', 'Nothing undone: ana has no curation left to undo', 'roi']);
});
