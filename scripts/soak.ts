/**
 * `npm run soak`: 10 000 connect/disconnect cycles over real TCP on 127.0.0.1 against an
 * in-process mock, checking that sessions, sockets, timers and the heap return to their
 * baseline (no leak). Not part of `npm test` (a 300-cycle version is, in
 * test/integration/faults-load.test.ts).
 *
 *   npm run soak                        # 10 000 cycles, 20 at a time
 *   npm run soak -- --cycles 50000 --concurrency 50
 *
 * Each cycle logs in and submits, then ends one of five ways: logout, plain close, TCP reset
 * mid-frame, garbage then close, or a connection that never logs in. Prints a line every 1000
 * cycles and a summary; exits 1 when something did not return to the baseline.
 */
import { once } from 'node:events';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createMockSmsc } from '../src/mock-smsc.js';
import { CimdClient } from '../src/testing/cimd-client.js';
import { systemClock, type Clock, type TimerHandle } from '../src/util/clock.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '20' },
  },
});
const cycles = Number(values.cycles);
const concurrency = Number(values.concurrency);

/** The system clock, counting the mock's live timers (they are unref'd: Node does not list them). */
const liveTimers = new Set<TimerHandle>();
const clock: Clock = {
  now: () => systemClock.now(),
  setTimeout(fn, ms) {
    const handle = systemClock.setTimeout(() => {
      liveTimers.delete(handle);
      fn();
    }, ms);
    liveTimers.add(handle);
    return handle;
  },
  clearTimeout(handle) {
    liveTimers.delete(handle);
    systemClock.clearTimeout(handle);
  },
};

const mock = await createMockSmsc({ port: 0, memoryRecords: 10_000, clock });
const port = mock.port;

function resources(): { sockets: number; timers: number } {
  let sockets = 0;
  for (const r of process.getActiveResourcesInfo()) if (r === 'TCPSocketWrap') sockets++;
  return { sockets, timers: liveTimers.size };
}

async function quiet(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (mock.sessions().length > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  gc();
}

function snapshot(): {
  sessions: number;
  sockets: number;
  timers: number;
  heapMiB: number;
  rssMiB: number;
} {
  const m = process.memoryUsage();
  return {
    sessions: mock.sessions().length,
    ...resources(),
    heapMiB: Math.round((m.heapUsed / 1048576) * 10) / 10,
    rssMiB: Math.round((m.rss / 1048576) * 10) / 10,
  };
}

async function raw(bytes: string, reset: boolean): Promise<void> {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  s.resume();
  await once(s, 'connect');
  s.write(Buffer.from(bytes, 'latin1'));
  await new Promise((r) => setTimeout(r, 1));
  if (reset) s.resetAndDestroy();
  else {
    s.end();
    await once(s, 'close');
  }
}

async function cycle(i: number): Promise<void> {
  switch (i % 5) {
    case 0:
    case 1: {
      const c = await CimdClient.connect({ port });
      await c.login('soak', 'pw');
      const r = await c.submit({ destination: '+3584000', text: `cycle ${i}` });
      if (!r.ok) throw new Error(`submit ${i} failed`);
      if (i % 5 === 0) await c.logout();
      await c.close();
      return;
    }
    case 2:
      return raw('\x0201:001\t010:soak\t011:pw\t\x03\x0203:003\t021:1\t033:half', true);
    case 3:
      return raw('GET / HTTP/1.1\r\n\r\n\x0299:zzz\x03', false);
    default:
      return raw('', false);
  }
}

// Warm-up: JIT, lazily created handles and caches belong to the baseline.
for (let i = 0; i < 200; i++) await cycle(i);
await quiet();
const baseline = snapshot();
console.log(`baseline after 200 warm-up cycles: ${JSON.stringify(baseline)}`);
const started = Date.now();
let done = 0;
let failures = 0;
let mid = baseline;
while (done < cycles) {
  const batch = Math.min(concurrency, cycles - done);
  const results = await Promise.allSettled(
    Array.from({ length: batch }, (_, k) => cycle(done + k)),
  );
  for (const r of results) {
    if (r.status === 'rejected') {
      failures++;
      if (failures <= 5) console.log(`cycle failed: ${String(r.reason)}`);
    }
  }
  done += batch;
  if (done === Math.floor(cycles / 2)) {
    await quiet();
    mid = snapshot();
    console.log(`${done} cycles, after GC: ${JSON.stringify(mid)}`);
  }
  if (done % 1000 === 0) {
    const s = snapshot();
    console.log(
      `${done} cycles, ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(s)}`,
    );
  }
}
await quiet();
const end = snapshot();
const seconds = (Date.now() - started) / 1000;
const heapGrowth = end.heapMiB - baseline.heapMiB;
console.log(`after ${cycles} cycles and GC: ${JSON.stringify(end)}`);
const problems: string[] = [];
if (end.sessions !== 0) problems.push(`${end.sessions} sessions still open`);
if (end.sockets > baseline.sockets)
  problems.push(`${end.sockets - baseline.sockets} sockets leaked`);
if (end.timers > baseline.timers) problems.push(`${end.timers - baseline.timers} timers leaked`);
if (heapGrowth > 16) problems.push(`heap grew ${heapGrowth.toFixed(1)} MiB`);
// The in-memory transcript is full by half-time: from there the heap must stay flat.
if (end.heapMiB - mid.heapMiB > 4)
  problems.push(`heap grew ${(end.heapMiB - mid.heapMiB).toFixed(1)} MiB in the second half`);
if (failures > 0) problems.push(`${failures} cycles failed`);
if (mock.server.pendingItems !== 0)
  problems.push(`${mock.server.pendingItems} scheduled items left`);
console.log(
  `soak: ${cycles} cycles in ${seconds.toFixed(1)} s (${Math.round(cycles / seconds)}/s), ` +
    `sessions ${end.sessions}, sockets ${end.sockets} (baseline ${baseline.sockets}), ` +
    `timers ${end.timers} (baseline ${baseline.timers}), heap ${heapGrowth >= 0 ? '+' : ''}${heapGrowth.toFixed(1)} MiB ` +
    `(second half ${(end.heapMiB - mid.heapMiB).toFixed(1)} MiB), ` +
    (problems.length === 0 ? 'no leak' : `PROBLEMS: ${problems.join('; ')}`),
);
await mock.stop();
process.exit(problems.length === 0 ? 0 : 1);
