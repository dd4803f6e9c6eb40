import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool, sizeClass } from '../../../main/upload/buffer-pool.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

test('size classes: powers of two to 1 MiB, whole MiB above', () => {
  assert.equal(sizeClass(1), 64 * KiB);
  assert.equal(sizeClass(100 * KiB), 128 * KiB);
  assert.equal(sizeClass(MiB), MiB);
  assert.equal(sizeClass(MiB + 1), 2 * MiB);
  assert.equal(sizeClass(8 * MiB), 8 * MiB);
  assert.equal(sizeClass(9 * MiB - 5), 9 * MiB);
});

test('lends exactly the requested size and reuses released blocks of the same class', async () => {
  const pool = new BufferPool(32 * MiB);
  const a = await pool.acquire(8 * MiB);
  assert.equal(a.buf.length, 8 * MiB);
  a.buf[0] = 42;
  const blockA = a.buf.buffer;
  a.release();
  const b = await pool.acquire(8 * MiB - 100);
  assert.equal(b.buf.length, 8 * MiB - 100);
  assert.equal(b.buf.buffer, blockA, 'the same memory is lent again');
  assert.equal(pool.stats().allocations, 1);
  b.release();
  assert.deepEqual(pool.stats(), { inUse: 0, free: 8 * MiB, allocations: 1 });
});

test('a block released with reuse=false is never lent again', async () => {
  const pool = new BufferPool(32 * MiB);
  const a = await pool.acquire(8 * MiB);
  const blockA = a.buf.buffer;
  a.release(false);
  const b = await pool.acquire(8 * MiB);
  assert.notEqual(b.buf.buffer, blockA);
  assert.equal(pool.stats().allocations, 2);
  b.release();
});

test('waits while the budget is lent out and never holds more than the budget', async () => {
  const pool = new BufferPool(16 * MiB);
  const a = await pool.acquire(8 * MiB);
  const b = await pool.acquire(8 * MiB);
  let third = false;
  const c = pool.acquire(8 * MiB).then((x) => {
    third = true;
    return x;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(third, false, 'a third part waits for memory');
  a.release();
  const cc = await c;
  assert.equal(pool.stats().inUse, 16 * MiB);
  b.release();
  cc.release();
  assert.ok(pool.stats().inUse + pool.stats().free <= 16 * MiB);
  // other size classes push out free blocks instead of adding to them
  const small = await Promise.all(Array.from({ length: 8 }, () => pool.acquire(2 * MiB)));
  const { inUse, free } = pool.stats();
  assert.equal(inUse, 16 * MiB);
  assert.ok(inUse + free <= 16 * MiB, `in use ${inUse} + free ${free} within the budget`);
  for (const s of small) s.release();
  assert.ok(pool.stats().free <= 16 * MiB);
  pool.trim();
  assert.deepEqual(pool.stats().free, 0);
});

test('an abort while waiting rejects and leaves the budget intact', async () => {
  const pool = new BufferPool(8 * MiB);
  const a = await pool.acquire(8 * MiB);
  const ctl = new AbortController();
  const waiting = pool.acquire(MiB, ctl.signal);
  ctl.abort();
  await assert.rejects(waiting, { code: 'INTERRUPTED' });
  a.release();
  const b = await pool.acquire(8 * MiB);
  assert.equal(pool.stats().inUse, 8 * MiB);
  b.release();
});
