/** The bench load generator against a scripted node:net peer and against the mock, over TCP. */
import { expect } from 'chai';
import net from 'node:net';
import { LoadError, runLoad } from '../../src/bench/index.js';
import { createMockSmsc, type MockSmsc } from '../../src/mock-smsc.js';
import { withChecksum } from '../helpers/wire.js';

interface Request {
  readonly op: string;
  readonly pn: string;
  readonly body: string;
}

interface PeerConnection {
  readonly requests: Request[];
  /** Most requests held unanswered at once. */
  maxHeld: number;
}

/**
 * A CIMD2 peer written without the project's codec: it splits the bytes at STX/ETX, holds the
 * requests of each chunk and answers them all on the next turn of the event loop (so pipelining
 * shows as several held at once), through `answer` (undefined = no answer).
 */
async function peer(
  answer: (r: Request, index: number, socket: net.Socket) => Buffer | undefined,
): Promise<{ port: number; connections: PeerConnection[]; close(): Promise<void> }> {
  const connections: PeerConnection[] = [];
  const sockets = new Set<net.Socket>();
  let submits = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const conn: PeerConnection = { requests: [], maxHeld: 0 };
    connections.push(conn);
    let text = '';
    let held: Request[] = [];
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      let m: RegExpExecArray | null;
      while ((m = /\x02(\d\d):(\d\d\d)\t([^\x03]*)\x03/.exec(text)) !== null) {
        text = text.slice(m.index + m[0].length);
        const r = { op: m[1]!, pn: m[2]!, body: m[3]! };
        conn.requests.push(r);
        held.push(r);
      }
      conn.maxHeld = Math.max(conn.maxHeld, held.length);
      setImmediate(() => {
        const batch = held;
        held = [];
        for (const r of batch) {
          const out = answer(r, r.op === '03' ? submits++ : -1, socket);
          if (out !== undefined && !socket.destroyed) socket.write(out);
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

const ok = (r: Request): Buffer =>
  r.op === '01'
    ? withChecksum(`<STX>51:${r.pn}<TAB><ETX>`)
    : withChecksum(`<STX>53:${r.pn}<TAB>021:1<TAB>060:260101120000<TAB><ETX>`);

describe('runLoad (bench load generator)', function () {
  this.timeout(15_000);
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
  });

  async function startPeer(...args: Parameters<typeof peer>): ReturnType<typeof peer> {
    const p = await peer(...args);
    closers.push(() => p.close());
    return p;
  }

  it('sends exactly count submits over the connections, never more than the window in flight', async () => {
    const p = await startPeer(ok);
    const r = await runLoad({
      port: p.port,
      user: 'shop',
      password: 'secret',
      connections: 2,
      window: 4,
      count: 500,
    });
    expect(r).to.include({ sent: 500, answered: 500, ok: 500, errors: 0, connections: 2 });
    expect(r.latency.count).to.equal(500);
    expect(r.throughput).to.be.greaterThan(0);
    expect(p.connections).to.have.length(2);
    let submits = 0;
    for (const c of p.connections) {
      const [login, ...rest] = c.requests;
      expect(login).to.deep.include({ op: '01', pn: '001' });
      expect(login!.body).to.equal('010:shop\t011:secret\t019:4\t' + login!.body.slice(-2));
      expect(rest.every((q) => q.op === '03' && Number(q.pn) % 2 === 1)).to.equal(true);
      expect(c.maxHeld).to.be.at.most(4);
      submits += rest.length;
    }
    expect(submits).to.equal(500);
    expect(Math.max(...p.connections.map((c) => c.maxHeld))).to.equal(4);
  });

  it('counts negative answers by op and code, and an unanswered submit as a timeout', async () => {
    const p = await startPeer((r, i) => {
      if (r.op !== '03' || i < 0) return ok(r);
      if (i === 7) return undefined;
      if (i % 10 === 0) return withChecksum(`<STX>53:${r.pn}<TAB>900:300<TAB><ETX>`);
      if (i === 5) return withChecksum(`<STX>99:${r.pn}<TAB><ETX>`);
      return ok(r);
    });
    const r = await runLoad({
      port: p.port,
      user: 'u',
      password: 'p',
      window: 2,
      count: 40,
      timeoutMs: 300,
    });
    expect(r.sent).to.equal(40);
    expect(r.answered).to.equal(39);
    expect(r.errorCounts).to.deep.equal({ '53:300': 4, nack: 1, timeout: 1 });
    expect(r.errors).to.equal(6);
    expect(r.ok).to.equal(34);
  });

  it('sends for the given duration, then waits for the answers due', async () => {
    const p = await startPeer(ok);
    const r = await runLoad({ port: p.port, user: 'u', password: 'p', durationMs: 300 });
    expect(r.sent).to.be.greaterThan(10);
    expect(r.answered).to.equal(r.sent);
    expect(r.elapsedMs).to.be.within(280, 2000);
  });

  it('paces submits to the requested rate over all connections', async () => {
    const p = await startPeer(ok);
    const r = await runLoad({
      port: p.port,
      user: 'u',
      password: 'p',
      connections: 5,
      rate: 200,
      durationMs: 500,
    });
    expect(r.sent).to.be.within(80, 120);
    expect(r.errors).to.equal(0);
  });

  it('sends the first paced submit of every connection within one interval', async () => {
    const p = await startPeer(ok);
    // 40 connections at 80/s: each sends every 500 ms, at a random phase within the first 500 ms.
    const r = await runLoad({
      port: p.port,
      user: 'u',
      password: 'p',
      connections: 40,
      rate: 80,
      count: 40,
    });
    expect(r.sent).to.equal(40);
    expect(r.elapsedMs).to.be.below(750);
    expect(p.connections.map((c) => c.requests.length - 1)).to.deep.equal(Array(40).fill(1));
  });

  it('counts the requests in flight as disconnected when the peer closes, and finishes', async () => {
    const p = await startPeer((r, i, socket) => {
      if (r.op === '03' && i === 20) {
        socket.destroy();
        return undefined;
      }
      return ok(r);
    });
    const r = await runLoad({ port: p.port, user: 'u', password: 'p', window: 1, count: 100 });
    expect(r.sent).to.equal(21);
    expect(r.answered).to.equal(20);
    expect(r.errorCounts).to.deep.equal({ disconnected: 1 });
  });

  it('rejects with LoadError when the login is refused', async () => {
    const p = await startPeer((r) =>
      r.op === '01' ? withChecksum(`<STX>51:${r.pn}<TAB>900:100<TAB><ETX>`) : ok(r),
    );
    const err = await runLoad({ port: p.port, user: 'u', password: 'bad', connections: 3 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(LoadError);
    expect((err as LoadError).message).to.equal('login refused (51:100)');
  });

  it('rejects with LoadError when nothing listens', async () => {
    const p = await startPeer(ok);
    await p.close();
    const err = await runLoad({ port: p.port, user: 'u', password: 'p' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(LoadError);
    expect((err as LoadError).code).to.equal('ERR_BENCH_LOAD');
    expect((err as LoadError).message).to.match(
      /^cannot connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/,
    );
  });

  it('refuses options out of range', async () => {
    for (const bad of [{ window: 129 }, { window: 0 }, { connections: 0 }, { count: 0 }]) {
      const err = await runLoad({ port: 1, user: 'u', password: 'p', ...bad }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(bad)).to.be.instanceOf(LoadError);
    }
    const both = await runLoad({ port: 1, user: 'u', password: 'p', count: 1, durationMs: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((both as Error).message).to.equal('give count or durationMs, not both');
  });

  describe('against the mock', () => {
    let mock: MockSmsc;
    beforeEach(async () => {
      mock = await createMockSmsc({ port: 0 });
    });
    afterEach(async () => {
      await mock.stop();
    });

    it('gets every submit accepted by the default scenario, pipelined', async () => {
      const r = await runLoad({
        port: mock.port,
        user: 'shop',
        password: 'secret',
        connections: 2,
        window: 8,
        count: 300,
        text: 'Hello @ bench',
      });
      expect(r).to.include({ sent: 300, answered: 300, ok: 300, errors: 0 });
      const stats = mock.stats();
      expect(stats.framesIn['submit']).to.equal(300);
      expect(stats.framesOut['submit-response']).to.equal(300);
      expect(stats.frameErrors).to.equal(0);
    });
  });
});
