import { expect } from 'chai';
import { SmscServer } from '../../../src/server/smsc-server.js';
import type { Decision, RequestContext, Responder } from '../../../src/server/ports.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { connect, loggedIn, tick } from '../../helpers/duplex.js';
import { withChecksum, wire } from '../../helpers/wire.js';

const accept: Decision = {
  steps: [{ kind: 'respond' }],
  afterwards: [],
  ruleId: null,
  explanation: 'test',
};

function scripted(fn: (ctx: RequestContext) => Decision): Responder {
  return { decide: fn };
}

function text(raw: Buffer): string {
  return raw.toString('latin1');
}

describe('SmscServer protocol rules (in memory, manual clock)', () => {
  let clock: ManualClock;
  let server: SmscServer;

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    server = new SmscServer({ clock });
  });

  afterEach(async () => {
    await server.close({ graceMs: 0 });
  });

  describe('login', () => {
    it('answers a login with 51:001 and no parameters, checksum appended', async () => {
      const { peer } = connect(server);
      peer.send('<STX>01:001<TAB>010:kannel<TAB>011:kannel<TAB>D2<ETX>');
      const r = await peer.next();
      expect(r.raw).to.deep.equal(withChecksum('<STX>51:001<TAB><ETX>'));
      expect(text(r.raw)).to.equal('\x0251:001\t3C\x03');
    });

    it('answers a request before login with its own response carrying 900:1', async () => {
      const { peer } = connect(server);
      peer.send('<STX>03:003<TAB>021:123<TAB>033:hi<TAB><ETX>');
      const r = await peer.next();
      expect(r.op).to.equal(53);
      expect(r.pn).to.equal(3);
      expect(r.params.find((p) => p.code === 900)?.value).to.equal('1');
    });

    it('answers a second login on a logged-in session with 51 carrying 900:1', async () => {
      const { peer } = await loggedIn(server);
      peer.send('<STX>01:001<TAB>010:shop<TAB>011:secret<TAB><ETX>');
      const r = await peer.next();
      expect([r.op, r.pn]).to.deep.equal([51, 1]);
      expect(r.params.find((p) => p.code === 900)?.value).to.equal('1');
    });

    it('answers 102 to a login over maxSessionsPerUser', async () => {
      await server.close({ graceMs: 0 });
      server = new SmscServer({ clock, maxSessionsPerUser: 1 });
      await loggedIn(server, 'u');
      const { peer } = connect(server);
      peer.send('<STX>01:001<TAB>010:u<TAB>011:p<TAB><ETX>');
      const r = await peer.next();
      expect(r.params.find((p) => p.code === 900)?.value).to.equal('102');
      expect(server.sessionsOf('u')).to.have.length(1);
    });

    it('replaces the oldest session of the user when replaceOldestSession is set', async () => {
      await server.close({ graceMs: 0 });
      server = new SmscServer({ clock, maxSessionsPerUser: 1, replaceOldestSession: true });
      const first = await loggedIn(server, 'u');
      const second = await loggedIn(server, 'u');
      await first.peer.whenEnded();
      expect(first.session.reason?.text).to.match(/replaced/);
      expect(server.sessionsOf('u').map((s) => s.id)).to.deep.equal([second.session.id]);
    });
  });

  describe('requests after login', () => {
    it('answers alive with 90 and the same packet number', async () => {
      const { peer } = await loggedIn(server);
      peer.send('<STX>40:017<TAB>41<ETX>');
      const r = await peer.next();
      expect(r.raw).to.deep.equal(withChecksum('<STX>90:017<TAB><ETX>'));
    });

    it('answers a submit with 021 echoed and a 060 from the clock', async () => {
      const { peer } = await loggedIn(server);
      peer.send('<STX>03:003<TAB>021:358400000001<TAB>033:Hello<TAB><ETX>');
      const r = await peer.next();
      expect(r.raw).to.deep.equal(
        withChecksum('<STX>53:003<TAB>021:358400000001<TAB>060:261125120000<TAB><ETX>'),
      );
    });

    it('never hands out the same (060, destination) twice within one second', async () => {
      const { peer } = await loggedIn(server);
      for (const pn of ['003', '005', '007'])
        peer.send(`<STX>03:${pn}<TAB>021:111<TAB>033:x<TAB><ETX>`);
      peer.send('<STX>03:009<TAB>021:222<TAB>033:x<TAB><ETX>');
      const ts: string[] = [];
      for (let i = 0; i < 4; i++)
        ts.push((await peer.next()).params.find((p) => p.code === 60)!.value);
      expect(ts).to.deep.equal(['261125120000', '261125120001', '261125120002', '261125120000']);
    });

    it('answers logout with 52 and then closes the connection', async () => {
      const { peer, session } = await loggedIn(server);
      peer.send('<STX>02:019<TAB>41<ETX>');
      const r = await peer.next();
      expect(r.raw).to.deep.equal(withChecksum('<STX>52:019<TAB><ETX>'));
      await peer.whenEnded();
      expect(session.reason).to.deep.equal({ code: 0, text: 'logout' });
    });

    it('answers an unknown operation with 98 900:1 echoing the packet number', async () => {
      const { peer } = await loggedIn(server);
      peer.send('<STX>77:011<TAB><ETX>');
      const r = await peer.next();
      expect([r.op, r.pn]).to.deep.equal([98, 11]);
      expect(r.params.find((p) => p.code === 900)?.value).to.equal('1');
    });

    it("NACKs a checksum mismatch with 99 and the frame's packet number", async () => {
      const { peer } = await loggedIn(server);
      peer.send('<STX>03:005<TAB>021:123<TAB>033:hi<TAB>00<ETX>');
      const r = await peer.next();
      expect(r.raw).to.deep.equal(withChecksum('<STX>99:005<TAB><ETX>'));
    });

    it('answers a syntax error with 98 900:2 and the packet number it could read', async () => {
      const { peer } = await loggedIn(server);
      peer.send('<STX>03:007<TAB>21:123<TAB><ETX>');
      const r = await peer.next();
      expect([r.op, r.pn]).to.deep.equal([98, 7]);
      expect(r.params.find((p) => p.code === 900)?.value).to.equal('2');
    });

    it('answers an unsupported parameter with 98 900:3', async () => {
      const { peer } = await loggedIn(server);
      peer.send('<STX>03:009<TAB>021:123<TAB>777:x<TAB><ETX>');
      const r = await peer.next();
      expect([r.op, r.pn]).to.deep.equal([98, 9]);
      expect(r.params.find((p) => p.code === 900)?.value).to.equal('3');
    });

    it('answers a badly formatted parameter with 98 900:8', async () => {
      const { peer } = await loggedIn(server);
      peer.send('<STX>03:011<TAB>021:123<TAB>056:abc<TAB><ETX>');
      const r = await peer.next();
      expect([r.op, r.pn]).to.deep.equal([98, 11]);
      expect(r.params.find((p) => p.code === 900)?.value).to.equal('8');
    });

    it('answers 033 and 034 together with 53 900:303', async () => {
      const { peer } = await loggedIn(server);
      peer.send('<STX>03:013<TAB>021:123<TAB>033:hi<TAB>034:4142<TAB><ETX>');
      const r = await peer.next();
      expect([r.op, r.pn]).to.deep.equal([53, 13]);
      expect(r.params.find((p) => p.code === 900)?.value).to.equal('303');
    });

    it('discards bytes outside frames, however many', async () => {
      const { peer } = await loggedIn(server);
      peer.send(Buffer.alloc(100_000, 0x41));
      peer.send('garbage\r\n<STX>40:003<TAB><ETX>more');
      const r = await peer.next();
      expect([r.op, r.pn]).to.deep.equal([90, 3]);
    });

    it('closes the session with reason -1 when an STX runs past the frame limit without ETX', async () => {
      const { peer, session } = await loggedIn(server);
      const closed: number[] = [];
      server.on('tcp-disconnected', (_id, reason) => closed.push(reason.code));
      peer.send(Buffer.concat([wire('<STX>03:003<TAB>033:'), Buffer.alloc(5000, 0x41)]));
      await peer.whenEnded();
      expect(session.reason?.code).to.equal(-1);
      expect(closed).to.deep.equal([-1]);
    });
  });

  describe('enquire', () => {
    it('answers with the status last reported for (060, 021), and 900:7 for an unknown message', async () => {
      const { peer, session } = await loggedIn(server);
      peer.send('<STX>03:003<TAB>021:555<TAB>033:x<TAB><ETX>');
      const ts = (await peer.next()).params.find((p) => p.code === 60)!.value;
      peer.send(`<STX>04:005<TAB>021:555<TAB>060:${ts}<TAB><ETX>`);
      expect((await peer.next()).raw).to.deep.equal(
        withChecksum(`<STX>54:005<TAB>021:555<TAB>060:${ts}<TAB>061:1<TAB><ETX>`),
      );
      const report = server.sendDeliverStatusReport(session.id, {
        messageTimestamp: ts,
        destination: '555',
        status: 3,
      });
      const sr = await peer.next();
      peer.send(`<STX>73:${String(sr.pn).padStart(3, '0')}<TAB><ETX>`);
      await report;
      peer.send(`<STX>04:007<TAB>021:555<TAB>060:${ts}<TAB><ETX>`);
      expect((await peer.next()).params.find((p) => p.code === 61)?.value).to.equal('3');
      peer.send('<STX>04:009<TAB>021:555<TAB>060:991231235959<TAB><ETX>');
      const unknown = await peer.next();
      expect([unknown.op, unknown.params.find((p) => p.code === 900)?.value]).to.deep.equal([
        54,
        '7',
      ]);
    });
  });

  describe('ordering and pipelining', () => {
    it('answers pipelined requests in the order received, even when an earlier answer is delayed', async () => {
      await server.close({ graceMs: 0 });
      server = new SmscServer({
        clock,
        responder: scripted((ctx) =>
          ctx.fields.destination === '111'
            ? { ...accept, steps: [{ kind: 'delay', ms: 150 }, { kind: 'respond' }] }
            : accept,
        ),
      });
      const { peer } = await loggedIn(server);
      peer.send(
        '<STX>03:003<TAB>021:111<TAB>033:a<TAB><ETX><STX>03:005<TAB>021:222<TAB>033:b<TAB><ETX>',
      );
      await tick();
      expect(peer.unread).to.equal(0);
      await clock.advance(149);
      expect(peer.unread).to.equal(0);
      await clock.advance(1);
      expect((await peer.next()).pn).to.equal(3);
      expect((await peer.next()).pn).to.equal(5);
    });

    it('does not let an unanswered (dropped) request hold back later ones', async () => {
      await server.close({ graceMs: 0 });
      server = new SmscServer({
        clock,
        responder: scripted((ctx) =>
          ctx.fields.destination === '000' ? { ...accept, steps: [{ kind: 'drop' }] } : accept,
        ),
      });
      const { peer } = await loggedIn(server);
      peer.send(
        '<STX>03:003<TAB>021:000<TAB>033:a<TAB><ETX><STX>03:005<TAB>021:222<TAB>033:b<TAB><ETX>',
      );
      const r = await peer.next();
      expect([r.op, r.pn]).to.deep.equal([53, 5]);
    });
  });

  describe('server-initiated requests', () => {
    it('uses even packet numbers stepping by 2 and waits for the 70 before the next (window 1)', async () => {
      const { peer, session } = await loggedIn(server);
      const a = server.sendDeliverMessage(session.id, {
        destination: '12345',
        originator: '358401112222',
        text: 'one',
      });
      const b = server.sendDeliverMessage(session.id, {
        destination: '12345',
        originator: '358401112222',
        text: 'two',
      });
      const f1 = await peer.next();
      expect([f1.op, f1.pn]).to.deep.equal([20, 0]);
      await tick();
      expect(peer.unread).to.equal(0);
      peer.send('<STX>70:000<TAB><ETX>');
      const f2 = await peer.next();
      expect([f2.op, f2.pn]).to.deep.equal([20, 2]);
      peer.send('<STX>70:002<TAB><ETX>');
      expect((await a).packetNumbers).to.deep.equal([0]);
      expect(await b).to.include({ acknowledged: true });
    });

    it('resends with the same packet number after the ack timeout, twice, then gives up', async () => {
      const { peer, session } = await loggedIn(server);
      const timeouts: number[] = [];
      server.on('ack-timeout', (_s, frame, attempts) => timeouts.push(frame.pn, attempts));
      const done = server.sendDeliverStatusReport(session.id, {
        messageTimestamp: '261125120000',
        destination: '111',
        status: 4,
      });
      const first = await peer.next();
      await clock.advance(10_000);
      const second = await peer.next();
      await clock.advance(10_000);
      const third = await peer.next();
      expect([first.pn, second.pn, third.pn]).to.deep.equal([0, 0, 0]);
      expect(second.raw).to.deep.equal(first.raw);
      await clock.advance(10_000);
      const result = await done;
      expect(result.acknowledged).to.equal(false);
      expect(timeouts).to.deep.equal([0, 3]);
      expect(peer.unread).to.equal(0);
    });

    it('keeps server packet numbers running across the sessions of one user', async () => {
      const one = await loggedIn(server, 'k');
      const p = server.sendDeliverMessage(one.session.id, {
        destination: '1',
        originator: '2',
        text: 'a',
      });
      expect((await one.peer.next()).pn).to.equal(0);
      one.peer.send('<STX>70:000<TAB><ETX>');
      await p;
      one.peer.stream.end();
      await one.session.closed;
      const two = await loggedIn(server, 'k');
      const pending = server.sendDeliverMessage(two.session.id, {
        destination: '1',
        originator: '2',
        text: 'b',
      });
      pending.catch(() => undefined);
      expect((await two.peer.next()).pn).to.equal(2);
    });

    it('wraps server packet numbers from 254 to 000', async () => {
      const { peer, session } = await loggedIn(server, 'wrap');
      const seen: number[] = [];
      for (let i = 0; i < 129; i++) {
        const p = server.sendDeliverStatusReport(session.id, {
          messageTimestamp: '261125120000',
          destination: '1',
          status: 4,
        });
        const f = await peer.next();
        seen.push(f.pn);
        peer.send(`<STX>73:${String(f.pn).padStart(3, '0')}<TAB><ETX>`);
        await p;
      }
      expect(seen.slice(0, 3)).to.deep.equal([0, 2, 4]);
      expect(seen.slice(-2)).to.deep.equal([254, 0]);
      expect(seen.every((n) => n % 2 === 0)).to.equal(true);
    });
  });

  describe('keepalive', () => {
    it('sends alive after KeepAliveInterval of silence and keeps a client that answers', async () => {
      server.keepAliveInterval = 60;
      const { peer, session } = await loggedIn(server);
      await clock.advance(59_999);
      expect(peer.unread).to.equal(0);
      await clock.advance(1);
      const alive = await peer.next();
      expect(alive.raw).to.deep.equal(withChecksum('<STX>40:000<TAB><ETX>'));
      peer.send('<STX>90:000<TAB><ETX>');
      await tick();
      await clock.advance(10_000);
      expect(session.isOpen).to.equal(true);
    });

    it('closes a client that does not answer the alive', async () => {
      server.keepAliveInterval = 5;
      const { peer, session } = await loggedIn(server);
      await clock.advance(5_000);
      expect((await peer.next()).op).to.equal(40);
      await clock.advance(10_000);
      await peer.whenEnded();
      expect(session.reason?.code).to.equal(-1);
      expect(session.reason?.text).to.match(/keepalive/);
    });

    it('does not ping an active client', async () => {
      server.keepAliveInterval = 10;
      const { peer } = await loggedIn(server);
      for (let i = 0; i < 5; i++) {
        await clock.advance(6_000);
        peer.send('<STX>40:003<TAB><ETX>');
        expect((await peer.next()).op).to.equal(90);
      }
      expect(peer.unread).to.equal(0);
    });
  });

  describe('throttle', () => {
    it('spaces submit responses at ThrottleRate per second', async () => {
      server.throttleRate = 2;
      const { peer } = await loggedIn(server);
      for (const pn of ['003', '005', '007'])
        peer.send(`<STX>03:${pn}<TAB>021:1<TAB>033:x<TAB><ETX>`);
      await tick();
      expect(peer.unread).to.equal(1);
      await clock.advance(499);
      expect(peer.unread).to.equal(1);
      await clock.advance(1);
      expect(peer.unread).to.equal(2);
      await clock.advance(500);
      expect(peer.received.map((r) => r.pn).slice(1)).to.deep.equal([3, 5, 7]);
    });
  });
});
