/** The CIMD2 test client against the server over real TCP on 127.0.0.1:0. */
import { expect } from 'chai';
import net from 'node:net';
import { SmscServer } from '../../src/server/smsc-server.js';
import type { SubmitCompletedEvent } from '../../src/server/events.js';
import { CimdClient, CimdRequestError } from '../../src/testing/cimd-client.js';

describe('CimdClient ↔ SmscServer over TCP', () => {
  let server: SmscServer;
  let port: number;
  const clients: CimdClient[] = [];

  async function client(): Promise<CimdClient> {
    const c = await CimdClient.connect({ host: '127.0.0.1', port, responseTimeoutMs: 3000 });
    clients.push(c);
    return c;
  }

  beforeEach(async () => {
    server = new SmscServer({ statusReportDelayMs: 5, ackTimeoutMs: 2000 });
    ({ port } = await server.listen({ host: '127.0.0.1', port: 0 }));
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close({ graceMs: 0 });
  });

  it('listens on an ephemeral port and reports it', () => {
    expect(port).to.be.greaterThan(0);
    expect(server.address).to.deep.equal({ host: '127.0.0.1', port });
  });

  it('logs in and answers 100 submits with unique 060s', async () => {
    const c = await client();
    await c.login('shop', 'secret');
    const results = [];
    for (let i = 0; i < 100; i++)
      results.push(
        await c.submit({ destination: '+358401234567', originator: '12345', text: `message ${i}` }),
      );
    expect(results.every((r) => r.ok)).to.equal(true);
    expect(new Set(results.map((r) => r.timestamp)).size).to.equal(100);
    expect(results[0]!.pn).to.equal(3);
    expect(results[99]!.pn).to.equal(201);
  });

  it('pipelines submits within the login window', async () => {
    const c = await client();
    await c.login('shop', 'secret', { window: 8 });
    const all = await Promise.all(
      Array.from({ length: 40 }, (_, i) => c.submit({ destination: '1', text: `p${i}` })),
    );
    expect(all.map((r) => r.ok)).to.not.include(false);
    expect(new Set(all.map((r) => r.pn)).size).to.equal(40);
  });

  it('reassembles a 3-part message sent out of order into one submit-completed', async () => {
    const c = await client();
    await c.login('shop', 'secret');
    const completed: SubmitCompletedEvent[] = [];
    server.on('submit-completed', (e) => completed.push(e));
    const text = 'abcdefghij'.repeat(40); // 400 GSM characters: 153 + 153 + 94
    const frames = c.buildSubmits({
      destination: '+4470001',
      originator: '999',
      text,
      reference: 42,
    });
    expect(frames).to.have.length(3);
    for (const i of [2, 0, 1]) await c.request(3, frames[i]);
    expect(completed).to.have.length(1);
    expect(completed[0]).to.deep.include({
      text,
      parts: 3,
      reference: 42,
      destination: '+4470001',
    });
  });

  it('delivers an MO of 400 UCS2 characters in parts the client reassembles', async () => {
    const c = await client();
    await c.login('shop', 'secret');
    const text = 'Привет мир! '.repeat(33) + 'ЖЖЖЖ'; // 400 UTF-16 code units
    expect(text.length).to.equal(400);
    const [result, message] = await Promise.all([
      server.sendDeliverMessage(server.sessions()[0]!.id, {
        destination: '12345',
        originator: '358401112222',
        text,
      }),
      c.nextMessage({ timeoutMs: 3000 }),
    ]);
    expect(result.packetNumbers).to.have.length(6); // 67 chars per part
    expect(result.acknowledged).to.equal(true);
    expect(message).to.deep.include({
      text,
      encoding: 'ucs2',
      originator: '358401112222',
      destination: '12345',
    });
    expect(message.parts).to.have.length(6);
  });

  it('sends a status report the client matches by (060, 021)', async () => {
    const c = await client();
    await c.login('shop', 'secret');
    const sent = await c.submit({
      destination: '+358409',
      text: 'report me',
      statusReportRequest: 14,
    });
    const report = await c.nextStatusReport({ timeoutMs: 3000 });
    expect(report).to.deep.include({
      timestamp: sent.timestamp,
      destination: '+358409',
      status: 4,
      statusName: 'delivered',
    });
  });

  it('refuses a login through the responder with a typed client error', async () => {
    server.setResponder({
      decide: (ctx) => ({
        steps:
          ctx.fields.password === 'secret' ? [{ kind: 'respond' }] : [{ kind: 'error', code: 100 }],
        afterwards: [],
        ruleId: null,
        explanation: 'test',
      }),
    });
    const c = await client();
    const err = await c.login('shop', 'nope').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(CimdRequestError);
    expect((err as CimdRequestError).errorCode).to.equal(100);
  });

  it('closes a silent client with keepalive (real time, short interval)', async () => {
    await server.close({ graceMs: 0 });
    server = new SmscServer({ keepAliveInterval: 0.2, aliveTimeoutMs: 300 });
    ({ port } = await server.listen({ host: '127.0.0.1', port: 0 }));
    const silent = new CimdClient(net.connect({ host: '127.0.0.1', port }), { autoAck: false });
    clients.push(silent);
    await silent.login('quiet', 'x');
    const reasons: number[] = [];
    server.on('tcp-disconnected', (_id, r) => reasons.push(r.code));
    const closedAt = Date.now();
    await silent.whenClosed();
    expect(reasons).to.deep.equal([-1]);
    expect(Date.now() - closedAt).to.be.lessThan(2500);
  });

  it('answers a keepalive for a client that acknowledges', async () => {
    server.keepAliveInterval = 0.1;
    const c = await client();
    await c.login('alive', 'x');
    const alives: number[] = [];
    c.on('frame', (f) => {
      if (f.op === 40) alives.push(f.pn);
    });
    while (alives.length < 2) await new Promise((r) => setTimeout(r, 20));
    expect(c.closed).to.equal(false);
    expect(alives).to.deep.equal([0, 2]);
  });

  describe('tcp-connected (tcpAcceptConnection / tcpCloseConnection)', () => {
    it('closes a connection the handler refuses, with its remote address', async () => {
      const seen: string[] = [];
      server.on('tcp-connected', (req) => {
        seen.push(req.remoteHost);
        req.close();
      });
      const c = await client();
      await c.whenClosed();
      expect(seen).to.deep.equal(['127.0.0.1']);
      expect(server.sessions()).to.deep.equal([]);
    });

    it('holds a deferred connection until acceptConnection', async () => {
      let pending = '';
      server.on('tcp-connected', (req) => {
        req.defer();
        pending = req.clientId;
      });
      const c = await client();
      const login = c.login('late', 'x');
      await new Promise((r) => setTimeout(r, 50));
      expect(server.sessions()).to.deep.equal([]);
      expect(server.sessionCount).to.equal(0, 'a deferred connection is no session yet');
      server.acceptConnection(pending);
      await login;
      expect(server.sessions().map((s) => s.user)).to.deep.equal(['late']);
      expect(server.sessionCount).to.equal(1);
    });
  });
});
