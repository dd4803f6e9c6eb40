// The Results viewer's plane-spacing note, for each source of the spacing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planeSpacingNote } from '../../../renderer/views/plane-spacing-note.ts';

test('plane spacing note: from metadata, assumed without a z step, assumed without a pixel size, none for one plane', () => {
  assert.equal(planeSpacingNote({ planes: 2, planeSpacingSource: 'metadata', zStep: { value: 10, unit: 'µm' } }), 'plane spacing 10 µm (from metadata)');
  assert.equal(
    planeSpacingNote({ planes: 3, planeSpacingSource: 'metadata', zStep: { value: 2.123456, unit: 'µm' } }),
    'plane spacing 2.123 µm (from metadata)',
  );
  assert.equal(planeSpacingNote({ planes: 2, planeSpacingSource: 'assumed', zStep: null }), 'plane spacing assumed (the recording carries no z step)');
  assert.equal(
    planeSpacingNote({ planes: 2, planeSpacingSource: 'assumed', zStep: { value: 5, unit: 'µm' } }),
    'plane spacing assumed (the recording carries a 5 µm z step but no pixel size)',
  );
  assert.equal(planeSpacingNote({ planes: 1, planeSpacingSource: 'assumed', zStep: null }), null);
});

test('plane spacing note: assumed, naming what each input file states, when the files disagree', () => {
  const voxelDisagreement = 'a.tif: z 4 µm; b.tif: z 5 µm';
  assert.equal(
    planeSpacingNote({ planes: 2, planeSpacingSource: 'assumed', zStep: null, voxelDisagreement }),
    'plane spacing assumed (the input files state different voxel sizes: a.tif: z 4 µm; b.tif: z 5 µm)',
  );
  assert.equal(
    planeSpacingNote({ planes: 2, planeSpacingSource: 'assumed', zStep: null, voxelDisagreement: null }),
    'plane spacing assumed (the recording carries no z step)',
  );
  assert.equal(planeSpacingNote({ planes: 1, planeSpacingSource: 'assumed', zStep: null, voxelDisagreement }), null);
});
