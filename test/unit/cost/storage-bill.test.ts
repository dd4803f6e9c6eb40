import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadPriceTable } from '../../../main/cost/price-table.ts';
import { GB, storageBill } from '../../../main/cost/storage-bill.ts';

const prices = loadPriceTable();
// 7 December 2026, 10:00 UTC: 24 days 14 hours of December's 31 days are left
const NOW = Date.UTC(2026, 11, 7, 10);
const LEFT_DAYS = 24 + 14 / 24;

describe('storageBill: the month of S3 storage, priced per class and projected', () => {
  it('prices each class from the table, names the unpriced ones, and projects the rest of the month with the growth', () => {
    const bill = storageBill({
      usage: {
        kind: 's3',
        totalBytes: 1101 * GB,
        byClass: [
          { storageClass: 'DEEP_ARCHIVE', bytes: 1000 * GB, objects: 10 },
          { storageClass: 'STANDARD', bytes: 100 * GB, objects: 3 },
          { storageClass: 'EXPRESS_ONEZONE', bytes: 1 * GB, objects: 1 },
        ],
      },
      prices,
      region: 'us-east-1',
      bytesPerDay: 2 * GB,
      rateWindowDays: 7,
      now: NOW,
    });
    assert.equal(bill.billed, true);
    assert.deepEqual(
      bill.lines.map((l) => [l.storageClass, l.perGbMonth, l.monthly === null ? null : Number(l.monthly.toFixed(6))]),
      [
        ['DEEP_ARCHIVE', 0.00099, 0.99],
        ['STANDARD', 0.023, 2.3],
        ['EXPRESS_ONEZONE', null, null],
      ],
    );
    assert.deepEqual(bill.unpriced, ['EXPRESS_ONEZONE']);
    assert.equal(Number(bill.monthly.toFixed(6)), 3.29);
    const p = bill.projection;
    const f = LEFT_DAYS / 31;
    assert.equal(Number(p.remainingFraction.toFixed(9)), Number(f.toFixed(9)));
    assert.equal(Number(p.addedBytes.toFixed(0)), Number((2 * GB * LEFT_DAYS).toFixed(0)));
    assert.equal(Number(p.restOfMonthStored.toFixed(9)), Number((3.29 * f).toFixed(9)));
    assert.equal(Number(p.restOfMonthAdded.toFixed(9)), Number(((2 * LEFT_DAYS * 0.023 * f) / 2).toFixed(9)), 'added bytes arrive evenly: half the time left');
    assert.equal(Number(p.restOfMonth.toFixed(9)), Number((p.restOfMonthStored + p.restOfMonthAdded).toFixed(9)));
    assert.equal(Number(p.monthlyAtMonthEnd.toFixed(9)), Number((3.29 + 2 * LEFT_DAYS * 0.023).toFixed(9)));
    assert.match(p.formula, /^rest of month = stored × price × f \+ added × STANDARD price × f ÷ 2, with f = 24\.6 days left of 31 = 0\.793; /);
    assert.match(p.formula, /added: 2\.0 GB\/day \(verified uploads, last 7 days\) × 24\.6 days = 49\.2 GB at \$0\.023\/GB-month/);
  });

  it('a region whose table has other S3 prices uses them; no growth adds nothing', () => {
    const bill = storageBill({
      usage: { kind: 's3', totalBytes: 10 * GB, byClass: [{ storageClass: 'STANDARD', bytes: 10 * GB, objects: 1 }] },
      prices,
      region: 'eu-central-1',
      bytesPerDay: 0,
      rateWindowDays: 7,
      now: NOW,
    });
    assert.equal(Number(bill.monthly.toFixed(6)), 0.245);
    assert.equal(bill.projection.restOfMonthAdded, 0);
    assert.equal(bill.projection.monthlyAtMonthEnd, bill.monthly);
  });

  it('a local archive has no S3 bill: nothing priced, the growth still said', () => {
    const bill = storageBill({
      usage: { kind: 'local', totalBytes: 5 * GB, byClass: [{ storageClass: 'STANDARD', bytes: 5 * GB, objects: 9 }] },
      prices,
      region: '',
      bytesPerDay: GB,
      rateWindowDays: 7,
      now: NOW,
    });
    assert.deepEqual([bill.billed, bill.monthly, bill.unpriced, bill.lines[0]!.perGbMonth, bill.projection.restOfMonth], [false, 0, [], null, 0]);
    assert.match(bill.projection.formula, /^local disk, no S3 bill: 5\.0 GB stored, growing 1\.0 GB\/day .* about 29\.6 GB by month end$/);
  });
});
