import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storageLine, trayModel } from '../../../main/tray/tray-model.ts';

const base = { instances: [], budgetPercent: null, idleIds: [], longRunningMs: 7_200_000, nowMs: Date.UTC(2026, 11, 7) };

describe('the tray tooltip names the storage bill', () => {
  it('S3: size, $/month and the rest of the month', () => {
    const m = trayModel({ ...base, storage: { billed: true, totalBytes: 10.2e12, monthly: 231.4, restOfMonth: 190.25, unknown: false } });
    assert.equal(m.tooltip, 'ScopeCloud: no instances running\nStorage: 9.28 TB in S3, $231.40/month ($190.25 for the rest of the month)');
  });

  it('a local archive has no S3 bill; a failed listing is unknown, not $0; no answer yet, no line', () => {
    assert.equal(storageLine({ billed: false, totalBytes: 512e9, monthly: 0, restOfMonth: 0, unknown: false }), 'Storage: 477 GB on local disk, no S3 bill');
    assert.equal(storageLine({ billed: true, totalBytes: 0, monthly: 0, restOfMonth: 0, unknown: true }), 'Storage: unknown (the listing failed; see Budget)');
    assert.equal(trayModel({ ...base, storage: null }).tooltip, 'ScopeCloud: no instances running');
  });
});
