/**
 * bench/shaped-link.ts: what goes through the lab-link emulator arrives unchanged and in order on
 * every connection, in both directions, while the loss model is delaying segments (a lost segment
 * holds back everything after it, as TCP's in-order delivery does). Rates are not asserted: they
 * are the benchmark's business.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { startShapedLink } from '../../../bench/shaped-link.ts';
import { seededRandom } from '../../support/seeded-random.ts';

test('bytes cross the shaped link intact and in order on parallel connections, with segments lost', async (t) => {
  // echoes the MD5 of everything a connection sent, once the client half-closes
  const sink = createServer({ allowHalfOpen: true }, (s) => {
    const hash = createHash('md5');
    s.on('data', (d: Buffer) => hash.update(d));
    s.once('end', () => s.end(hash.digest('hex')));
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  t.after(() => sink.close());
  const link = await startShapedLink({ target: { host: '127.0.0.1', port: (sink.address() as AddressInfo).port }, mbps: 400, rttMs: 4, loss: 0.05, seed: 7 });
  t.after(() => link.stop());
  const port = Number(new URL(link.endpoint).port);
  const random = seededRandom(3);

  const send = (size: number) =>
    new Promise<{ sent: string; echoed: string }>((resolve, reject) => {
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i++) data[i] = Math.floor(random() * 256);
      const c = connect(port, '127.0.0.1');
      let echoed = '';
      c.on('data', (d: Buffer) => (echoed += d.toString()));
      c.once('end', () => resolve({ sent: createHash('md5').update(data).digest('hex'), echoed }));
      c.once('error', reject);
      // uneven writes, so units and segments straddle the writes' boundaries
      for (let pos = 0; pos < size;) {
        const n = 1 + Math.floor(random() * 100_000);
        c.write(data.subarray(pos, pos + n));
        pos += n;
      }
      c.end();
    });

  const results = await Promise.all([3_000_000, 1_000_000, 517, 2_500_001].map(send));
  for (const r of results) assert.equal(r.echoed, r.sent);
  const stats = link.stats();
  assert.equal(stats.upBytes, 3_000_000 + 1_000_000 + 517 + 2_500_001);
  assert.ok(stats.upLost > 0, `a 5% segment loss over ${stats.upSegments} segments lost none`);
});
