/**
 * A TCP proxy that makes loopback behave like a lab's WAN link, for `npm run bench:upload`.
 *
 * `startShapedLink({ target, mbps, rttMs, loss })` listens on 127.0.0.1 and forwards every
 * connection's bytes, unchanged and in order, to `target` (host:port), so any S3 tool can use it
 * as its endpoint (signatures stay valid: the Host header is not touched).
 *
 * Model, per direction (each direction is its own link):
 * - bottleneck: all connections share one FIFO of `mbps` (serialisation time = bytes × 8 / rate);
 * - delay: `rttMs / 2` one way; a segment is acknowledged one RTT after it left;
 * - loss: each MSS-sized (1448 B) segment is lost with probability `loss` (seeded PRNG). Loopback
 *   TCP never loses anything, so the proxy plays the sender's congestion control as Reno would:
 *   every connection may have at most `cwnd` bytes unacknowledged; cwnd starts at 10 segments,
 *   doubles per RTT in slow start, then grows one segment per RTT; a loss halves it (at most once
 *   per RTT, as one fast-recovery episode) and delays that segment — and, since TCP delivers in
 *   order, everything after it on the connection — by one more RTT (fast retransmit). RTO
 *   timeouts are not modelled, so the figures are, if anything, kind to the tools.
 * With 0.5% loss and 40 ms RTT a single connection settles near the Mathis bound
 * (MSS/RTT × 1.22/√p ≈ 5 Mb/s): filling a 100 Mb/s link takes many connections in parallel.
 * When a connection's queue holds more than QUEUE_LIMIT bytes the proxy stops reading it, so the
 * sender feels back-pressure through the loopback socket.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '../test/support/seeded-random.ts';

export interface ShapedLinkOptions {
  /** host:port of the server behind the link. */
  target: { host: string; port: number };
  mbps: number;
  rttMs: number;
  /** Probability that one segment is lost (0.005 = 0.5%). */
  loss: number;
  seed?: number;
}

export interface ShapedLink {
  endpoint: string;
  /** Connections accepted, bytes carried client → server and segments lost on the way, since start. */
  stats(): { connections: number; upBytes: number; upLost: number; upSegments: number };
  stop(): Promise<void>;
}

const MSS = 1448;
const UNIT = 16 * MSS; // bytes scheduled per timer step; loss is still drawn per segment
const QUEUE_LIMIT = 1024 * 1024;

interface Link {
  /** Time (ms, performance clock) at which the bottleneck is free again. */
  freeAt: number;
  bytesPerMs: number;
  bytes: number;
  lost: number;
  segments: number;
}

function shapedPipe(src: Socket, dst: Socket, link: Link, rttMs: number, loss: number, random: () => number): void {
  const queue: Buffer[] = [];
  let queued = 0;
  let cwnd = 10 * MSS;
  let ssthresh = Infinity;
  let inflight = 0;
  let lastHalving = -Infinity;
  let lastDelivery = 0;
  let ended = false;
  // in departure order, which is also arrival order (arrivals never move earlier than the last)
  const deliveries: { at: number; unit: Buffer; lost: boolean }[] = [];
  const acks: { at: number; bytes: number; lost: boolean }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const finishIfDone = () => {
    if (ended && queued === 0 && deliveries.length === 0) dst.end();
  };
  const onAck = (bytes: number, lost: boolean) => {
    inflight -= bytes;
    if (lost) {
      if (performance.now() - lastHalving > rttMs) {
        ssthresh = Math.max(2 * MSS, cwnd / 2);
        cwnd = ssthresh;
        lastHalving = performance.now();
      }
    } else if (cwnd < ssthresh) cwnd += bytes;
    else cwnd += (MSS * bytes) / cwnd;
  };
  /** One timer per direction and connection, due at the earliest pending delivery or acknowledgement. */
  let timerAt = Infinity;
  const schedule = () => {
    const next = Math.min(deliveries[0]?.at ?? Infinity, acks[0]?.at ?? Infinity);
    if (next >= timerAt) return;
    if (timer) clearTimeout(timer);
    timerAt = next;
    timer = setTimeout(tick, Math.max(0, next - performance.now()));
  };
  const tick = () => {
    timer = undefined;
    timerAt = Infinity;
    const now = performance.now();
    while (deliveries.length > 0 && deliveries[0].at <= now) {
      const d = deliveries.shift()!;
      if (!dst.destroyed) dst.write(d.unit);
      acks.push({ at: d.at + rttMs / 2, bytes: d.unit.length, lost: d.lost });
    }
    while (acks.length > 0 && acks[0].at <= now) {
      const a = acks.shift()!;
      onAck(a.bytes, a.lost);
    }
    finishIfDone();
    pump();
    schedule();
  };
  const pump = () => {
    while (queue.length > 0 && inflight < cwnd) {
      const head = queue[0];
      const n = Math.min(head.length, UNIT, Math.max(MSS, Math.floor(cwnd - inflight)));
      const unit = head.subarray(0, n);
      if (n === head.length) queue.shift();
      else queue[0] = head.subarray(n);
      queued -= n;
      inflight += n;
      const now = performance.now();
      const departs = Math.max(now, link.freeAt) + n / link.bytesPerMs;
      link.freeAt = departs;
      link.bytes += n;
      const segments = Math.ceil(n / MSS);
      link.segments += segments;
      let lostHere = 0;
      for (let i = 0; i < segments; i++) if (random() < loss) lostHere++;
      link.lost += lostHere;
      const arrives = Math.max(departs + rttMs / 2 + (lostHere > 0 ? rttMs : 0), lastDelivery);
      lastDelivery = arrives;
      deliveries.push({ at: arrives, unit, lost: lostHere > 0 });
      schedule();
    }
    if (queued < QUEUE_LIMIT && src.isPaused()) src.resume();
  };
  src.on('data', (chunk: Buffer) => {
    queue.push(chunk);
    queued += chunk.length;
    if (queued >= QUEUE_LIMIT) src.pause();
    pump();
  });
  src.once('end', () => {
    ended = true;
    finishIfDone();
  });
  src.once('error', () => dst.destroy());
  src.once('close', () => {
    if (!ended) dst.destroy();
  });
}

export async function startShapedLink(options: ShapedLinkOptions): Promise<ShapedLink> {
  const random = seededRandom(options.seed ?? 1);
  const bytesPerMs = (options.mbps * 1e6) / 8 / 1000;
  const up: Link = { freeAt: 0, bytesPerMs, bytes: 0, lost: 0, segments: 0 };
  const down: Link = { freeAt: 0, bytesPerMs, bytes: 0, lost: 0, segments: 0 };
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    connections++;
    const upstream = connect({ port: options.target.port, host: options.target.host, allowHalfOpen: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.setNoDelay(true);
    }
    shapedPipe(client, upstream, up, options.rttMs, options.loss, random);
    shapedPipe(upstream, client, down, options.rttMs, options.loss, random);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats: () => ({ connections, upBytes: up.bytes, upLost: up.lost, upSegments: up.segments }),
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
