/**
 * Faults under load over real TCP on 127.0.0.1: hot reloads during traffic, connect/disconnect
 * cycles returning to the baseline of handles, resets mid-frame, connections over maxSessions and
 * a client that never acknowledges status reports.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createMockSmsc, type MockSmsc } from '../../src/mock-smsc.js';
import { CimdClient } from '../../src/testing/cimd-client.js';
import type { FrameRecord, TranscriptRecord } from '../../src/transcript/index.js';
import { systemClock, type Clock, type TimerHandle } from '../../src/util/clock.js';
import { wire } from '../helpers/wire.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const variant = (i: number): string => {
  const answers = [
    '[ { respond: {} } ]',
    '[ { delay: 3ms }, { respond: {} } ]',
    '[ { error: { code: 10 } } ]',
    '[ { delay: 1ms }, { error: { code: 300 } } ]',
    '[ { generalError: { code: 6 } } ]',
  ];
  return [
    'version: 1',
    `name: v${i}`,
    'rules:',
    '  - when: { op: submit }',
    `    then: ${answers[i % answers.length] ?? ''}`,
    '',
  ].join('\n');
};

/** Counts of TCP handles and timers (what a leak would leave behind). */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

/** The system clock, counting live timers (they are unref'd, so Node does not list them). */
function countingClock(): { clock: Clock; live: Set<TimerHandle> } {
  const live = new Set<TimerHandle>();
  const clock: Clock = {
    now: () => systemClock.now(),
    setTimeout(fn, ms) {
      const handle = systemClock.setTimeout(() => {
        live.delete(handle);
        fn();
      }, ms);
      live.add(handle);
      return handle;
    },
    clearTimeout(handle) {
      live.delete(handle);
      systemClock.clearTimeout(handle);
    },
  };
  return { clock, live };
}

function frames(records: readonly TranscriptRecord[]): FrameRecord[] {
  return records.filter((r): r is FrameRecord => r.kind === 'frame');
}

async function until(what: string, test: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('faults under load (real TCP)', function () {
  this.timeout(30_000);
  let mock: MockSmsc;

  afterEach(async () => {
    await mock.stop();
  });

  it('20 concurrent sessions pushing submits while the scenario is reloaded 50 times: every request gets exactly one answer', async () => {
    mock = await createMockSmsc({ scenario: { yaml: variant(0) }, port: 0 });
    const clients = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const c = await CimdClient.connect({ port: mock.port });
        await c.login(`user${i}`, 'pw', { window: 4 });
        return c;
      }),
    );
    const answersByClient = clients.map(() => 0);
    const answerKinds = new Set<string>();
    clients.forEach((c, i) =>
      c.on('frame', (f) => {
        if (f.op < 50) return;
        answersByClient[i] = (answersByClient[i] ?? 0) + 1;
        answerKinds.add(`${f.op}:${f.params.find((p) => p.code === 900)?.value ?? 'ok'}`);
      }),
    );
    let stop = false;
    const perClient = clients.map(async (c, i) => {
      let sent = 0;
      const results: Promise<unknown>[] = [];
      while (!stop || sent < 20) {
        results.push(c.submit({ destination: `+35840${i}${sent}`, text: `m${sent}` }));
        sent++;
        if (sent % 4 === 0) await Promise.all(results.slice(-4));
      }
      const settled = await Promise.allSettled(results);
      return { sent, rejected: settled.filter((s) => s.status === 'rejected').length };
    });
    for (let i = 1; i <= 50; i++) {
      await mock.useScenario({ yaml: variant(i), file: `v${i}.yaml` });
      await new Promise((r) => setTimeout(r, 4));
    }
    stop = true;
    const totals = await Promise.all(perClient);
    expect(totals.map((t) => t.rejected)).to.deep.equal(clients.map(() => 0));
    expect(answersByClient).to.deep.equal(totals.map((t) => t.sent));
    // Traffic ran under every variant: the reloads took effect while submits were in flight.
    expect([...answerKinds].sort()).to.deep.equal(['53:10', '53:300', '53:ok', '98:6']);
    expect(totals.reduce((n, t) => n + t.sent, 0)).to.be.greaterThan(20 * 50);
    expect(mock.transcript.filter({ kind: 'scenario-loaded' })).to.have.length(51);
    await mock.stop();
    const recorded = frames(mock.transcript.records);
    for (let i = 0; i < clients.length; i++) {
      const user = `user${i}`;
      const session = recorded.find(
        (f) => f.dir === 'in' && f.op === 1 && f.params.some(([, v]) => v === user),
      )?.session;
      const submitsIn = recorded.filter(
        (f) => f.session === session && f.dir === 'in' && f.op === 3,
      );
      const answersOut = recorded.filter(
        (f) => f.session === session && f.dir === 'out' && (f.op === 53 || f.op === 98),
      );
      expect(
        answersOut.map((f) => f.pn),
        user,
      ).to.deep.equal(submitsIn.map((f) => f.pn));
      expect(submitsIn).to.have.length(totals[i]?.sent ?? -1);
    }
    await Promise.all(clients.map((c) => c.close()));
  });

  it('300 connect/disconnect cycles (logout, plain close, reset) leave no session, socket or timer behind', async () => {
    const { clock, live } = countingClock();
    mock = await createMockSmsc({ port: 0, memoryRecords: 1000, clock });
    const settle = async (): Promise<void> => {
      await until('sessions to close', () => mock.sessions().length === 0);
      await new Promise((r) => setImmediate(r));
    };
    // Warm-up, so lazily created handles and caches are part of the baseline.
    for (let i = 0; i < 5; i++) {
      const c = await CimdClient.connect({ port: mock.port });
      await c.login('soak', 'pw');
      await c.logout();
      await c.close();
    }
    await settle();
    gc();
    const baseline = resources();
    const timersBefore = live.size;
    const heapBefore = process.memoryUsage().heapUsed;
    const cycle = async (i: number): Promise<void> => {
      const c = await CimdClient.connect({ port: mock.port });
      await c.login('soak', 'pw');
      await c.submit({ destination: '+3584000', text: `cycle ${i}` });
      if (i % 3 === 0) {
        await c.logout();
        await c.close();
      } else if (i % 3 === 1) {
        await c.close();
      } else {
        const s = net.connect(mock.port, '127.0.0.1');
        await once(s, 'connect');
        s.write(wire('<STX>01:001<TAB>010:soak<TAB>011:pw<TAB><ETX><STX>03:003<TAB>021:1<TAB>'));
        await new Promise((r) => setTimeout(r, 1));
        s.resetAndDestroy();
        await c.close();
      }
    };
    for (let i = 0; i < 300; i += 10)
      await Promise.all(Array.from({ length: 10 }, (_, k) => cycle(i + k)));
    await settle();
    await until('handles back to the baseline', () => {
      const now = resources();
      return (now['TCPSocketWrap'] ?? 0) <= (baseline['TCPSocketWrap'] ?? 0);
    });
    gc();
    const after = resources();
    expect(after['TCPSocketWrap'] ?? 0).to.be.at.most(baseline['TCPSocketWrap'] ?? 0);
    expect(after['Timeout'] ?? 0).to.be.at.most(baseline['Timeout'] ?? 0);
    expect(live.size, "the mock's live timers").to.equal(timersBefore);
    expect(mock.sessions()).to.deep.equal([]);
    expect(mock.server.pendingItems).to.equal(0);
    expect(mock.server.reassembler.pendingSets).to.equal(0);
    const grownMiB = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
    expect(grownMiB, 'heap growth in MiB').to.be.below(16);
    expect(mock.stats().sessionsTotal).to.equal(5 + 300 + 100);
  });

  it('a reset mid-frame closes the session with the network reason; the mock keeps serving', async () => {
    mock = await createMockSmsc({ port: 0 });
    const s = net.connect(mock.port, '127.0.0.1');
    await once(s, 'connect');
    s.write(wire('<STX>01:001<TAB>010:u<TAB>011:p<TAB><ETX>'));
    await once(s, 'data');
    s.write(wire('<STX>03:003<TAB>021:1<TAB>033:half'));
    await until('the partial frame to arrive', () => mock.server.sessions().length === 1);
    await new Promise((r) => setTimeout(r, 20));
    const closed = mock.waitFor({ kind: 'session-close' });
    s.resetAndDestroy();
    const record = await closed;
    expect(record.kind).to.equal('session-close');
    if (record.kind !== 'session-close') return;
    expect(record.code).to.be.greaterThan(0);
    expect(record.reason).to.match(/ECONNRESET/);
    const c = await CimdClient.connect({ port: mock.port });
    await c.login('u', 'p');
    expect((await c.submit({ destination: '1', text: 'after' })).ok).to.equal(true);
    await c.close();
  });

  it('closes connections over maxSessions at accept, records them, and accepts again once one left', async () => {
    mock = await createMockSmsc({ port: 0, maxSessions: 2 });
    const a = await CimdClient.connect({ port: mock.port });
    const b = await CimdClient.connect({ port: mock.port });
    await a.login('a', 'p');
    await b.login('b', 'p');
    const extra = net.connect(mock.port, '127.0.0.1');
    const received: Buffer[] = [];
    extra.on('data', (d: Buffer) => received.push(d));
    extra.on('error', () => undefined);
    await once(extra, 'close');
    expect(Buffer.concat(received).length).to.equal(0);
    const close = mock.transcript.ofKind('session-close').map((r) => r.reason);
    expect(close).to.deep.equal(['too many connections: maxSessions (2) reached']);
    await a.close();
    await until('a to be gone', () => mock.sessions().length === 1);
    const c = await CimdClient.connect({ port: mock.port });
    await c.login('c', 'p');
    await b.close();
    await c.close();
  });

  it('a client that never acknowledges status reports holds at most maxOutstanding; the rest are cancelled fires', async () => {
    mock = await createMockSmsc({ port: 0, maxOutstanding: 5 });
    const c = await CimdClient.connect({ port: mock.port, autoAck: false });
    await c.login('noack', 'p', { window: 8 });
    const sent = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        c.submit({ destination: `+35840${i}`, text: 'x', statusReportRequest: 14 }),
      ),
    );
    expect(sent.every((r) => r.ok)).to.equal(true);
    await until(
      'every status report to fire or be cancelled',
      () => mock.transcript.ofKind('fired').length === 30,
    );
    const fired = mock.transcript.ofKind('fired');
    expect(fired.filter((f) => f.cancelled === undefined)).to.have.length(5);
    expect(fired.filter((f) => (f.cancelled ?? '').includes('maxOutstanding (5)'))).to.have.length(
      25,
    );
    const session = mock.sessions()[0];
    expect(mock.server.session(session?.id ?? '')?.outstanding).to.equal(5);
    await c.close();
  });
});
