/**
 * Connection-level faults over real TCP with a ManualClock: latency and bandwidth on what the
 * server sends, outages (refuse, accept-then-close, blackhole, closeSessions), set by the
 * scenario's `server:` block, a `schedule` item, the facade and the control API `/faults`; each
 * start and end is a `fault` record.
 */
import { expect } from 'chai';
import net from 'node:net';
import { startControlApi, type ControlApi } from '../../src/control-api.js';
import { createMockSmsc, type MockSmsc } from '../../src/mock-smsc.js';
import { Op } from '../../src/protocol/operations.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { RawPeer, until } from '../helpers/raw-peer.js';
import { withChecksum } from '../helpers/wire.js';
import { assertValidRecord } from '../unit/transcript/helpers.js';

const LOGIN_OK = withChecksum('<STX>51:001<TAB><ETX>');
const LOGIN = {
  op: Op.Login,
  pn: 1,
  params: [
    { code: 10, value: 'u' },
    { code: 11, value: 'p' },
  ],
};
const alive = (pn: number): { op: number; pn: number; params: [] } => ({
  op: Op.Alive,
  pn,
  params: [],
});
const ALIVE_OK = (pn: string): Buffer => withChecksum(`<STX>90:${pn}<TAB><ETX>`);
const latin1 = (b: Buffer): string => b.toString('latin1');

/** Connects and reports how: `refused`, `closed` (accepted, then FIN with no byte), or `open`. */
async function probe(
  port: number,
): Promise<{ how: 'refused' | 'closed' | 'open'; socket?: net.Socket }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  return new Promise((resolve) => {
    socket.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED') resolve({ how: 'refused' });
    });
    socket.once('connect', () => {
      let data = 0;
      socket.on('data', (d: Buffer) => {
        data += d.length;
      });
      socket.once('end', () => {
        if (data === 0) resolve({ how: 'closed', socket });
      });
      setTimeout(() => {
        resolve({ how: 'open', socket });
      }, 150);
    });
  });
}

describe('connection faults (real TCP, manual clock)', function () {
  this.timeout(20_000);
  let mock: MockSmsc | undefined;
  let clock: ManualClock;
  const peers: RawPeer[] = [];
  const sockets: net.Socket[] = [];
  let api: ControlApi | undefined;

  afterEach(async () => {
    for (const r of mock?.transcriptAll.records ?? []) assertValidRecord(r);
    for (const p of peers.splice(0)) p.destroy();
    for (const s of sockets.splice(0)) s.destroy();
    await api?.close();
    api = undefined;
    await mock?.stop();
    mock = undefined;
  });

  async function start(yaml = 'version: 1\n'): Promise<MockSmsc> {
    clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    mock = await createMockSmsc({ scenario: { yaml }, port: 0, clock, seed: 3 });
    return mock;
  }

  async function peer(): Promise<RawPeer> {
    const p = await RawPeer.connect(mock!.port, clock);
    peers.push(p);
    return p;
  }

  async function probed(): Promise<'refused' | 'closed' | 'open'> {
    const r = await probe(mock!.port);
    if (r.socket !== undefined) sockets.push(r.socket);
    return r.how;
  }

  it('latency from the server block: every answer leaves `base` later', async () => {
    await start('version: 1\nserver:\n  latency: { base: 100ms }\n');
    const p = await peer();
    p.send(LOGIN);
    await clock.advance(99);
    await p.quiet();
    expect(p.bytes.length).to.equal(0);
    await clock.advance(1);
    expect(latin1(await p.waitBytes(LOGIN_OK.length))).to.equal(latin1(LOGIN_OK));
    const [start0] = mock!.transcript.ofKind('fault');
    expect(start0).to.include({ fault: 'latency', phase: 'start', baseMs: 100, jitterMs: 0 });
    // The frame record is written when the bytes leave, 100 ms after the request.
    const out = mock!.transcript.frames({ dir: 'out' })[0];
    const inn = mock!.transcript.frames({ dir: 'in' })[0];
    expect(Date.parse(out!.ts) - Date.parse(inn!.ts)).to.equal(100);
  });

  it('a logout under latency: the 52 is not lost, it goes out at once as the session closes', async () => {
    await start('version: 1\nserver:\n  latency: { base: 1s }\n');
    const p = await peer();
    p.send(LOGIN);
    await clock.advance(1000);
    await p.waitBytes(LOGIN_OK.length);
    p.send({ op: Op.Logout, pn: 3, params: [] });
    await p.waitEnded();
    expect(latin1(p.bytesFrom(LOGIN_OK.length))).to.equal(
      latin1(withChecksum('<STX>52:003<TAB><ETX>')),
    );
  });

  it('latency with jitter keeps the order of the answers and stays within base ± jitter', async () => {
    await start();
    mock!.setFaults({ latency: { baseMs: 100, jitterMs: 50 } });
    const p = await peer();
    p.send(LOGIN);
    await clock.advance(150);
    await p.waitBytes(LOGIN_OK.length);
    const sentAt = clock.now();
    for (const pn of [3, 5, 7, 9]) p.send(alive(pn));
    await until(
      () => mock!.transcript.frames({ dir: 'in' }).length === 5,
      3000,
      () => 'alives',
    );
    await p.quiet();
    expect(p.bytes.length).to.equal(LOGIN_OK.length, 'nothing before base - jitter');
    await clock.advance(50);
    await clock.advance(100);
    const all = Buffer.concat(['003', '005', '007', '009'].map(ALIVE_OK));
    await p.waitBytes(LOGIN_OK.length + all.length);
    expect(latin1(p.bytesFrom(LOGIN_OK.length))).to.equal(latin1(all));
    const outs = mock!.transcript.frames({ dir: 'out' }).slice(1);
    for (const o of outs) {
      const delay = Date.parse(o.ts) - sentAt;
      expect(delay).to.be.within(50, 150);
    }
  });

  it('bandwidth: each session output paced at bytesPerSecond, frames one after the other', async () => {
    await start();
    const p = await peer();
    p.send(LOGIN);
    await p.waitBytes(LOGIN_OK.length);
    mock!.setFaults({ bandwidth: 100 });
    const t0 = clock.now();
    p.send(alive(3));
    p.send(alive(5));
    const one = ALIVE_OK('003').length;
    await p.waitBytes(LOGIN_OK.length + 1);
    // 100 B/s: a byte every 10 ms; the second answer starts when the first one's budget ran out.
    await clock.advance(10 * one - 1);
    await p.quiet();
    expect(p.bytes.length - LOGIN_OK.length).to.equal(one);
    await clock.advance(1);
    await p.waitBytes(LOGIN_OK.length + one + 1);
    await clock.advance(10 * one);
    await p.waitBytes(LOGIN_OK.length + 2 * one);
    expect(latin1(p.bytesFrom(LOGIN_OK.length))).to.equal(
      latin1(Buffer.concat([ALIVE_OK('003'), ALIVE_OK('005')])),
    );
    const outs = mock!.transcript.frames({ dir: 'out' }).slice(1);
    expect(outs.map((o) => Date.parse(o.ts) - t0)).to.deep.equal([0, 10 * one]);
    expect(mock!.transcript.ofKind('fault')[0]).to.include({
      fault: 'bandwidth',
      phase: 'start',
      bytesPerSecond: 100,
    });
  });

  it('outage refuse: connects are refused for `for`, the open session stays, then the same port accepts', async () => {
    await start();
    const p = await peer();
    p.send(LOGIN);
    await p.waitBytes(LOGIN_OK.length);
    mock!.setFaults({ outage: { mode: 'refuse', forMs: 10_000 } });
    expect(await probed()).to.equal('refused');
    p.send(alive(3));
    await p.waitBytes(LOGIN_OK.length + ALIVE_OK('003').length);
    expect(mock!.activeFaults.outage).to.deep.include({ mode: 'refuse', forMs: 10_000 });
    await clock.advance(9_999);
    expect(await probed()).to.equal('refused');
    await clock.advance(1);
    await until(
      () => mock!.activeFaults.outage === undefined,
      1000,
      () => 'the outage end',
    );
    expect(await probed()).to.equal('open');
    const faults = mock!.transcript.ofKind('fault');
    expect(faults.map((f) => [f.fault, f.phase, f.mode])).to.deep.equal([
      ['outage', 'start', 'refuse'],
      ['outage', 'end', 'refuse'],
    ]);
    expect(Date.parse(faults[1]!.ts) - Date.parse(faults[0]!.ts)).to.equal(10_000);
  });

  it('stop() during a refuse outage: the mock stops cleanly and leaves no timer behind', async () => {
    await start();
    mock!.setFaults({
      outage: { mode: 'refuse', forMs: 60_000 },
      latency: { baseMs: 10, jitterMs: 0 },
    });
    expect(await probed()).to.equal('refused');
    await mock!.stop();
    mock = undefined;
    expect(clock.pending).to.equal(0);
  });

  it('outage closeSessions: the open sessions are closed when it starts', async () => {
    await start();
    const p = await peer();
    p.send(LOGIN);
    await p.waitBytes(LOGIN_OK.length);
    mock!.setFaults({ outage: { mode: 'refuse', forMs: 1000, closeSessions: true } });
    await p.waitEnded();
    expect(mock!.transcript.ofKind('session-close')[0]?.reason).to.equal('outage (refuse)');
  });

  it('outage accept-then-close: accepted and closed at once, recorded per connection', async () => {
    await start();
    mock!.setFaults({ outage: { mode: 'accept-then-close' } });
    expect(await probed()).to.equal('closed');
    const conn = mock!.transcript.ofKind('fault').find((f) => f.phase === 'connection');
    expect(conn).to.include({ fault: 'outage', mode: 'accept-then-close' });
    expect(conn?.remote).to.match(/^127\.0\.0\.1:\d+$/);
    expect(mock!.transcript.ofKind('session-open')).to.have.length(0);
    mock!.clearFaults();
    const p = await peer();
    p.send(LOGIN);
    expect(latin1(await p.waitBytes(LOGIN_OK.length))).to.equal(latin1(LOGIN_OK));
  });

  it('outage blackhole: accepted and never answered; the connection is dropped at stop', async () => {
    await start();
    mock!.setFaults({ outage: { mode: 'blackhole', forMs: 5000 } });
    const p = await peer();
    p.send(LOGIN);
    await clock.advance(1000);
    await p.quiet();
    expect(p.bytes.length).to.equal(0);
    expect(mock!.sessions()).to.have.length(0);
    // The outage ends; the blackholed connection stays dead, a new one is served.
    await clock.advance(4000);
    await p.quiet();
    expect(p.bytes.length).to.equal(0);
    const q = await peer();
    q.send(LOGIN);
    await q.waitBytes(LOGIN_OK.length);
    await mock!.stop();
    mock = undefined;
    await p.waitEnded();
    expect(p.bytes.length).to.equal(0);
  });

  it('a schedule item starts an outage after the first login and ends it', async () => {
    await start(
      'version: 1\nschedule:\n  - after: 1s\n    outage: { for: 2s, mode: refuse }\n  - after: 1s\n    latency: { base: 50ms }\n  - after: 2s\n    latency: null\n',
    );
    const p = await peer();
    p.send(LOGIN);
    await p.waitBytes(LOGIN_OK.length);
    expect(await probed()).to.equal('open');
    await clock.advance(1000);
    expect(await probed()).to.equal('refused');
    p.send(alive(3));
    await p.quiet();
    expect(p.bytes.length).to.equal(LOGIN_OK.length, 'the answer waits for the latency');
    await clock.advance(50);
    await p.waitBytes(LOGIN_OK.length + ALIVE_OK('003').length);
    await clock.advance(950);
    expect(mock!.activeFaults.latency).to.equal(undefined);
    await clock.advance(1000);
    expect(await probed()).to.equal('open');
    expect(
      mock!.transcript.ofKind('fault').map((f) => `${f.fault} ${f.phase ?? ''}`),
    ).to.deep.equal(['outage start', 'latency start', 'latency end', 'outage end']);
  });

  it('control API: POST /faults sets, GET /faults reads, DELETE /faults clears', async () => {
    await start();
    api = await startControlApi(mock!, { port: 0 });
    const call = async (method: string, body?: unknown): Promise<[number, unknown]> => {
      const res = await fetch(`${api!.url}/faults`, {
        method,
        ...(body !== undefined
          ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
          : {}),
      });
      return [res.status, await res.json()];
    };
    expect(await call('GET')).to.deep.equal([
      200,
      { latency: null, bandwidth: null, outage: null },
    ]);
    const [status, set] = await call('POST', {
      latency: { base: '200ms', jitter: 20 },
      bandwidth: 5000,
      outage: { for: '10s', mode: 'accept-then-close' },
    });
    expect(status).to.equal(200);
    expect(set).to.deep.equal({
      latency: { base: 200, jitter: 20 },
      bandwidth: 5000,
      outage: {
        mode: 'accept-then-close',
        closeSessions: false,
        since: '2026-01-01T12:00:00.000Z',
        until: '2026-01-01T12:00:10.000Z',
      },
    });
    expect((await call('GET'))[1]).to.deep.equal(set);
    expect(await probed()).to.equal('closed');
    expect((await call('POST', { bandwidth: null }))[1]).to.deep.include({ bandwidth: null });
    expect(await call('DELETE')).to.deep.equal([
      200,
      { latency: null, bandwidth: null, outage: null },
    ]);
    expect(await probed()).to.equal('open');
    const [bad, error] = await call('POST', { outage: { mode: 'sometimes' } });
    expect(bad).to.equal(400);
    expect(error).to.deep.equal({
      error: '"outage.mode" must be one of refuse, accept-then-close, blackhole (got "sometimes")',
      code: 'ERR_CONTROL_INVALID_BODY',
    });
    const [bad2, error2] = await call('POST', { latency: { base: 'soon' } });
    expect(bad2).to.equal(400);
    expect((error2 as { error: string }).error).to.match(/^"latency.base" must be a duration/);
  });
});
