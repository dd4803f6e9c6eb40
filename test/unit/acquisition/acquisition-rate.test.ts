import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acquisitionRate } from '../../../main/acquisition/acquisition-rate.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 7, 12);

describe('acquisitionRate: verified bytes per day over the last week', () => {
  it('counts only files verified within the window', () => {
    const rate = acquisitionRate(
      [
        { state: 'verified', size: 700, verifiedAt: NOW - 1 * DAY },
        { state: 'verified', size: 1400, verifiedAt: NOW - 6.9 * DAY },
        { state: 'verified', size: 5000, verifiedAt: NOW - 7.1 * DAY },
        { state: 'uploading', size: 9000 },
        { state: 'failed', size: 9000 },
        { state: 'verified', size: 3 },
      ],
      NOW,
    );
    assert.deepEqual(rate, { bytesPerDay: 300, verifiedBytes: 2100, windowDays: 7 });
  });

  it('nothing verified: zero', () => {
    assert.deepEqual(acquisitionRate([], NOW, 3), { bytesPerDay: 0, verifiedBytes: 0, windowDays: 3 });
  });
});
