/**
 * Availability of the server core (README "Limits" and "Bad input on the wire"): a client that
 * half-closes still gets its delayed answers (bounded by lingerMs), idle logged-in sessions are
 * closed by default, and one remote address cannot take every session slot.
 */
import { expect } from 'chai';
import { duplexPair } from 'node:stream';
import { ConfigError } from '../../../src/errors.js';
import type { LimitReachedEvent } from '../../../src/server/events.js';
import type { Decision, Responder } from '../../../src/server/ports.js';
import { SmscServer, type SmscServerOptions } from '../../../src/server/smsc-server.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { Peer, connect, loggedIn, tick } from '../../helpers/duplex.js';

/** Answers submits after `ms` (of the server's clock), everything else at once. */
const delayedSubmits = (ms: number): Responder => ({
  decide: (ctx): Decision => ({
    steps:
      ctx.frame.op === 3 ? [{ kind: 'delay', ms }, { kind: 'respond' }] : [{ kind: 'respond' }],
    afterwards: [],
    ruleId: 'slow',
    explanation: 'slow',
  }),
});

const submit = (pn: number): string =>
  `<STX>03:${String(pn).padStart(3, '0')}<TAB>021:358401<TAB>033:hi<TAB><ETX>`;

describe('SmscServer availability', () => {
  let clock: ManualClock;
  let server: SmscServer;
  let limits: LimitReachedEvent[];

  function start(options: SmscServerOptions = {}): SmscServer {
    server = new SmscServer({ clock, ...options });
    server.on('limit-reached', (e) => limits.push(e));
    return server;
  }

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    limits = [];
  });

  afterEach(async () => {
    await server.close({ graceMs: 0 });
  });

  describe('client half-close (FIN after requests)', () => {
    it('sends every delayed answer after the FIN, then closes with the reason', async () => {
      start({ responder: delayedSubmits(200) });
      const { peer, session } = await loggedIn(server);
      const out: number[] = [];
      server.on('frame-out', (_s, f) => out.push(f.pn));
      peer.send(submit(3) + submit(5) + submit(7));
      await tick();
      peer.stream.end();
      await tick();
      expect(session.isOpen).to.equal(true);
      expect(peer.unread).to.equal(0);
      await clock.advance(200);
      const answers = [await peer.next(), await peer.next(), await peer.next()];
      expect(answers.map((a) => [a.op, a.pn])).to.deep.equal([
        [53, 3],
        [53, 5],
        [53, 7],
      ]);
      await peer.whenEnded();
      expect(session.reason).to.deep.equal({ code: 0, text: 'client half-closed; answers sent' });
      expect(out).to.deep.equal([3, 5, 7]);
      expect(limits).to.deep.equal([]);
      // The server still accepts and serves a new session.
      await loggedIn(server, 'fresh');
    });

    it('waits at most lingerMs for answers after the FIN, then closes with a clear reason', async () => {
      start({ responder: delayedSubmits(60_000), lingerMs: 1000 });
      const { peer, session } = await loggedIn(server);
      peer.send(submit(3));
      await tick();
      peer.stream.end();
      await tick();
      await clock.advance(999);
      expect(session.isOpen).to.equal(true);
      await clock.advance(1);
      await peer.whenEnded();
      expect(session.reason).to.deep.equal({
        code: -1,
        text: 'client half-closed; 1 answer not sent within lingerMs (1000 ms)',
      });
      expect(peer.unread).to.equal(0);
      expect(limits.map((l) => [l.limit, l.value, l.clientId])).to.deep.equal([
        ['lingerMs', 1000, session.id],
      ]);
      await clock.advance(60_000);
      expect(peer.unread).to.equal(0);
      await loggedIn(server, 'fresh');
    });

    it('closes at once when nothing is pending at the FIN', async () => {
      start();
      const { peer, session } = await loggedIn(server);
      peer.stream.end();
      await peer.whenEnded();
      expect(session.reason).to.deep.equal({ code: 0, text: 'remote closed the connection' });
    });

    it('sends no keep-alive to a half-closed client while its answers wait', async () => {
      start({ responder: delayedSubmits(3000), keepAliveInterval: 1, lingerMs: 5000 });
      const { peer, session } = await loggedIn(server);
      peer.send(submit(3));
      await tick();
      peer.stream.end();
      await tick();
      await clock.advance(3000);
      expect((await peer.next()).op).to.equal(53);
      await peer.whenEnded();
      expect(peer.received.map((f) => f.op)).to.deep.equal([51, 53]);
      expect(session.reason?.text).to.equal('client half-closed; answers sent');
    });

    it('a logout answered after the FIN closes as a logout', async () => {
      start({ responder: delayedSubmits(100) });
      const { peer, session } = await loggedIn(server);
      peer.send(submit(3) + '<STX>02:005<TAB><ETX>');
      await tick();
      peer.stream.end();
      await clock.advance(100);
      await peer.whenEnded();
      expect(peer.received.map((f) => f.op)).to.deep.equal([51, 53, 52]);
      expect(session.reason).to.deep.equal({ code: 0, text: 'logout' });
    });

    it('a stream that cannot stay half-open closes at the FIN as before', async () => {
      start({ responder: delayedSubmits(200) });
      const [serverSide, clientSide] = duplexPair({ allowHalfOpen: false });
      const session = server.handle(serverSide, { host: '10.0.0.1', port: 1 });
      const peer = new Peer(clientSide);
      peer.send('<STX>01:001<TAB>010:shop<TAB>011:secret<TAB><ETX>');
      expect((await peer.next()).op).to.equal(51);
      peer.send(submit(3));
      await tick();
      clientSide.end();
      await tick();
      expect(session.reason).to.deep.equal({ code: 0, text: 'remote closed the connection' });
    });
  });

  describe('idleTimeoutMs default', () => {
    it('closes a silent logged-in session after 10 minutes by default', async () => {
      start();
      const { peer, session } = await loggedIn(server);
      await clock.advance(599_999);
      expect(session.isOpen).to.equal(true);
      await clock.advance(1);
      await peer.whenEnded();
      expect(session.reason).to.deep.equal({
        code: -1,
        text: 'no frame from the client for 600000 ms (idleTimeoutMs)',
      });
      expect(limits.map((l) => [l.limit, l.value])).to.deep.equal([['idleTimeoutMs', 600_000]]);
    });

    it('defaults to twice the keep-alive interval when that is longer', async () => {
      // The client never answers the 40, and the alive timeout is longer still: only the idle
      // timeout closes the session.
      start({ keepAliveInterval: 400, aliveTimeoutMs: 3_600_000 });
      const { peer, session } = await loggedIn(server);
      await clock.advance(400_000);
      expect((await peer.next()).op).to.equal(40);
      await clock.advance(399_999);
      expect(session.isOpen).to.equal(true);
      await clock.advance(1);
      await peer.whenEnded();
      expect(session.reason?.text).to.equal(
        'no frame from the client for 800000 ms (idleTimeoutMs)',
      );
    });

    it('a client answering keep-alives is never idle', async () => {
      start({ keepAliveInterval: 300 });
      const { peer, session } = await loggedIn(server);
      for (let i = 0; i < 6; i++) {
        await clock.advance(300_000);
        const alive = await peer.next();
        expect(alive.op).to.equal(40);
        peer.send(`<STX>90:${String(alive.pn).padStart(3, '0')}<TAB><ETX>`);
        await tick();
      }
      expect(session.isOpen).to.equal(true);
    });
  });

  describe('maxSessionsPerAddress', () => {
    it('refuses the 101st session from one address by default while another address gets in', async () => {
      start();
      const closed: string[] = [];
      server.on('session-closed', (s, r) => closed.push(`${s.id} ${r.code} ${r.text}`));
      const first = Array.from({ length: 100 }, () => connect(server, { host: '10.0.0.1' }));
      expect(first.every((c) => c.session.isOpen)).to.equal(true);
      const extra = connect(server, { host: '10.0.0.1' });
      await extra.peer.whenEnded();
      const text = 'too many connections from 10.0.0.1: maxSessionsPerAddress (100) reached';
      expect(extra.session.reason).to.deep.equal({ code: -1, text });
      expect(extra.peer.received).to.deep.equal([]);
      expect(closed).to.deep.equal([`${extra.session.id} -1 ${text}`]);
      expect(limits.map((l) => [l.limit, l.value, l.detail, l.clientId])).to.deep.equal([
        ['maxSessionsPerAddress', 100, `connection refused: ${text}`, extra.session.id],
      ]);
      const other = connect(server, { host: '10.0.0.2' });
      expect(other.session.isOpen).to.equal(true);
      // One leaves: the address gets a slot again.
      first[0]?.peer.stream.end();
      await first[0]?.session.closed;
      expect(connect(server, { host: '10.0.0.1' }).session.isOpen).to.equal(true);
      expect(connect(server, { host: '10.0.0.1' }).session.isOpen).to.equal(false);
    });

    it('counts an IPv4-mapped IPv6 address as the IPv4 address', () => {
      start({ maxSessionsPerAddress: 2 });
      connect(server, { host: '10.0.0.1' });
      connect(server, { host: '::ffff:10.0.0.1' });
      const extra = connect(server, { host: '10.0.0.1' });
      expect(extra.session.reason?.text).to.equal(
        'too many connections from 10.0.0.1: maxSessionsPerAddress (2) reached',
      );
    });

    it('leaves loopback addresses to maxSessions by default (local load tests share 127.0.0.1)', () => {
      start();
      const local = Array.from({ length: 300 }, () => connect(server, { host: '127.0.0.1' }));
      const v6 = Array.from({ length: 150 }, () => connect(server, { host: '::1' }));
      expect([...local, ...v6].every((c) => c.session.isOpen)).to.equal(true);
      expect(limits).to.deep.equal([]);
    });

    it('an explicit value applies to loopback addresses too', () => {
      start({ maxSessionsPerAddress: 3 });
      for (let i = 0; i < 3; i++) connect(server, { host: '127.0.0.2' });
      expect(connect(server, { host: '127.0.0.2' }).session.isOpen).to.equal(false);
      expect(connect(server, { host: '127.0.0.3' }).session.isOpen).to.equal(true);
    });

    it('0 means no per-address limit (maxSessions still applies)', () => {
      start({ maxSessionsPerAddress: 0, maxSessions: 150 });
      const all = Array.from({ length: 150 }, () => connect(server, { host: '10.0.0.1' }));
      expect(all.every((c) => c.session.isOpen)).to.equal(true);
      expect(connect(server, { host: '10.0.0.1' }).session.reason?.text).to.equal(
        'too many connections: maxSessions (150) reached',
      );
    });

    it('refuses maxSessionsPerAddress = -1 with ConfigError', () => {
      expect(() => new SmscServer({ maxSessionsPerAddress: -1 })).to.throw(
        ConfigError,
        'maxSessionsPerAddress',
      );
    });
  });
});
