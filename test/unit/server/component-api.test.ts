import { expect } from 'chai';
import { SmscServer } from '../../../src/server/smsc-server.js';
import type {
  DeliverResponseEvent,
  LoginEvent,
  MultipartExpiredEvent,
  SubmitCompletedEvent,
  SubmitEvent,
  TraceEvent,
} from '../../../src/server/events.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { connect, loggedIn, tick } from '../../helpers/duplex.js';
import { withChecksum } from '../../helpers/wire.js';

/** UTF-16BE hex of a string, computed independently of the codec. */
function utf16beHex(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++)
    out += s.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0');
  return out;
}

describe('SmscServer component API', () => {
  let clock: ManualClock;
  let server: SmscServer;

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2026, 10, 25, 20, 59, 50));
    server = new SmscServer({ clock });
  });

  afterEach(async () => {
    await server.close({ graceMs: 0 });
  });

  describe('cimd2SendRAW → sendRaw', () => {
    it('frames a hex payload with header, checksum and ETX', async () => {
      const { peer, session } = await loggedIn(server);
      server.sendRaw(session.id, 42, 20, Buffer.from('021:1\t033:x\t', 'latin1').toString('hex'));
      const r = await peer.next();
      expect(r.raw).to.deep.equal(withChecksum('<STX>20:042<TAB>021:1<TAB>033:x<TAB><ETX>'));
    });

    it('sends parameters given as a list', async () => {
      const { peer, session } = await loggedIn(server);
      server.sendRaw(session.id, 8, 40, []);
      expect((await peer.next()).raw).to.deep.equal(withChecksum('<STX>40:008<TAB><ETX>'));
    });
  });

  describe('manual mode: OnCimd2LoginReceived + cimd2SendLoginResponse', () => {
    it('holds a login until the user answers, then applies the answer', async () => {
      await server.close({ graceMs: 0 });
      server = new SmscServer({ clock, responder: 'manual' });
      const logins: LoginEvent[] = [];
      server.on('login', (e) => logins.push(e));
      const { peer, session } = connect(server);
      peer.send('<STX>01:001<TAB>010:kannel<TAB>011:wrong<TAB><ETX>');
      await tick();
      expect(logins.map((l) => [l.clientId, l.pn, l.user, l.password])).to.deep.equal([
        [session.id, 1, 'kannel', 'wrong'],
      ]);
      expect(peer.unread).to.equal(0);
      server.sendLoginResponse(session.id, 1, 100, 'Invalid login');
      const refused = await peer.next();
      expect(refused.raw).to.deep.equal(
        withChecksum('<STX>51:001<TAB>900:100<TAB>901:Invalid login<TAB><ETX>'),
      );
      expect(session.state).to.equal('connected');
      peer.send('<STX>01:001<TAB>010:kannel<TAB>011:kannel<TAB><ETX>');
      await tick();
      server.sendLoginResponse(session.id, 1);
      expect((await peer.next()).raw).to.deep.equal(withChecksum('<STX>51:001<TAB><ETX>'));
      expect(session.user).to.equal('kannel');
    });

    it('answers a submit with cimd2SendSubmitMessageResponse (positive and negative)', async () => {
      await server.close({ graceMs: 0 });
      server = new SmscServer({ clock, responder: 'manual' });
      server.on('login', (e) => {
        server.sendLoginResponse(e.clientId, e.pn);
      });
      server.on('submit', (e) => {
        if (e.destination === '300')
          server.sendSubmitMessageResponse(e.clientId, e.pn, {
            destination: e.destination,
            errorCode: 300,
          });
        else
          server.sendSubmitMessageResponse(e.clientId, e.pn, {
            destination: e.destination,
            timestamp: '261125205950',
          });
      });
      const { peer } = await loggedIn(server);
      peer.send('<STX>03:003<TAB>021:300<TAB>033:x<TAB><ETX>');
      peer.send('<STX>03:005<TAB>021:12<TAB>033:x<TAB><ETX>');
      expect((await peer.next()).raw).to.deep.equal(
        withChecksum(
          '<STX>53:003<TAB>021:300<TAB>900:300<TAB>901:Incorrect destination address<TAB><ETX>',
        ),
      );
      expect((await peer.next()).raw).to.deep.equal(
        withChecksum('<STX>53:005<TAB>021:12<TAB>060:261125205950<TAB><ETX>'),
      );
    });
  });

  describe('cimd2SendDeliverMessage → sendDeliverMessage', () => {
    it('sends GSM text in 033 with CIMD escapes, as Kannel reads it', async () => {
      const { peer, session } = await loggedIn(server);
      const done = server.sendDeliverMessage(session.id, {
        destination: '12345',
        originator: '358401112222',
        text: 'MO test äöü € {ok} @ £',
        timestamp: '261125205952',
        pn: 12,
      });
      const r = await peer.next();
      expect(r.raw).to.deep.equal(
        withChecksum(
          '<STX>20:012<TAB>021:12345<TAB>023:358401112222<TAB>060:261125205952<TAB>033:MO test _a"_o"_u" _XXe _XX(ok_XX) _Oa _L-<TAB><ETX>',
        ),
      );
      // The golden frame Kannel answered (test server's checksum E8).
      expect(r.raw.toString('latin1').slice(-3)).to.equal('E8\x03');
      peer.send('<STX>70:012<TAB><ETX>');
      expect(await done).to.deep.include({ packetNumbers: [12], acknowledged: true });
    });

    it('sends non-GSM text as UCS2 in 034 with 030:8', async () => {
      const { peer, session } = await loggedIn(server);
      void server
        .sendDeliverMessage(session.id, {
          destination: '12345',
          originator: '358401112223',
          text: 'Привет MO',
          timestamp: '261125205953',
        })
        .catch(() => undefined);
      const r = await peer.next();
      expect(r.raw).to.deep.equal(
        withChecksum(
          `<STX>20:000<TAB>021:12345<TAB>023:358401112223<TAB>060:261125205953<TAB>030:8<TAB>034:${utf16beHex('Привет MO')}<TAB><ETX>`,
        ),
      );
    });

    it('splits long content into concatenated parts and returns the packet numbers used', async () => {
      await server.close({ graceMs: 0 });
      server = new SmscServer({ clock, window: 4 });
      const { peer, session } = await loggedIn(server);
      const text = 'Ж'.repeat(150);
      const done = server.sendDeliverMessage(session.id, {
        destination: '1',
        originator: '2',
        text,
        reference: 7,
      });
      const parts = [await peer.next(), await peer.next(), await peer.next()];
      expect(parts.map((p) => p.pn)).to.deep.equal([0, 2, 4]);
      expect(parts.map((p) => p.params.find((x) => x.code === 32)?.value)).to.deep.equal([
        '050003070301',
        '050003070302',
        '050003070303',
      ]);
      expect(parts.map((p) => p.params.find((x) => x.code === 34)?.value.length)).to.deep.equal([
        67 * 4,
        67 * 4,
        16 * 4,
      ]);
      for (const p of parts) peer.send(`<STX>70:00${p.pn}<TAB><ETX>`);
      expect(await done).to.deep.include({ packetNumbers: [0, 2, 4], acknowledged: true });
    });

    it('applies options: flash (class 0), zero SMS, status report request', async () => {
      const { peer, session } = await loggedIn(server);
      void server
        .sendDeliverMessage(session.id, {
          destination: '1',
          originator: '2',
          text: 'hi',
          timestamp: '261125205953',
          options: { flash: true, zeroSms: true, statusReportRequest: 8 },
        })
        .catch(() => undefined);
      const r = await peer.next();
      expect(r.raw).to.deep.equal(
        withChecksum(
          '<STX>20:000<TAB>021:1<TAB>023:2<TAB>060:261125205953<TAB>030:16<TAB>033:hi<TAB>052:64<TAB>056:8<TAB><ETX>',
        ),
      );
    });

    const encodings: [string, { text?: string; bytes?: Uint8Array }, string, string][] = [
      // encoding, content, 030 expected (absent = ''), user data parameter expected
      ['gsm7', { text: 'Hi @' }, '', '033:Hi _Oa'],
      ['ucs2', { text: 'Hé' }, '8', '034:004800E9'],
      ['binary', { bytes: Uint8Array.from([0, 1, 0xff]) }, '4', '034:0001FF'],
      ['iso-8859-1', { text: 'café' }, '4', '034:636166E9'],
      ['iso-8859-5', { text: 'Привет' }, '4', '034:BFE0D8D2D5E2'],
      ['iso-8859-8', { text: 'שלום' }, '4', '034:F9ECE5ED'],
      ['wap-push', { bytes: Uint8Array.from([0x01, 0x06]) }, '245', '034:0106'],
    ];
    for (const [encoding, content, dcs, ud] of encodings) {
      it(`sends ${encoding} content with the right 030 and user data`, async () => {
        const { peer, session } = await loggedIn(server);
        void server
          .sendDeliverMessage(session.id, {
            destination: '1',
            originator: '2',
            timestamp: '261125205953',
            encoding: encoding as 'gsm7',
            ...content,
          })
          .catch(() => undefined);
        const r = await peer.next();
        const dcsPart = dcs === '' ? '' : `030:${dcs}<TAB>`;
        expect(r.raw).to.deep.equal(
          withChecksum(
            `<STX>20:000<TAB>021:1<TAB>023:2<TAB>060:261125205953<TAB>${dcsPart}${ud}<TAB><ETX>`,
          ),
        );
      });
    }

    it('fires OnCimd2DeliverResponseReceived with the error code of the 70', async () => {
      const { peer, session } = await loggedIn(server);
      const events: DeliverResponseEvent[] = [];
      server.on('deliver-response', (e) => events.push(e));
      const done = server.sendDeliverMessage(session.id, {
        destination: '1',
        originator: '2',
        text: 'x',
      });
      await peer.next();
      peer.send('<STX>70:000<TAB>900:9<TAB><ETX>');
      await done;
      expect(events).to.deep.equal([{ clientId: session.id, pn: 0, op: 70, errorCode: 9 }]);
    });
  });

  describe('cimd2SendDeliverStatusReport → sendDeliverStatusReport', () => {
    it('sends 23 with 021, 060, 061 and 063 as Kannel expects', async () => {
      const { peer, session } = await loggedIn(server);
      const events: DeliverResponseEvent[] = [];
      server.on('deliver-response', (e) => events.push(e));
      const done = server.sendDeliverStatusReport(session.id, {
        messageTimestamp: '261125205950',
        destination: '358400000001',
        status: 4,
        dischargeTime: '261125205951',
      });
      const r = await peer.next();
      // Golden: deliver-status-report-response/a-gsm-plain's server_request.
      expect(r.raw.toString('latin1')).to.equal(
        '\x0223:000\t021:358400000001\t060:261125205950\t061:4\t063:261125205951\tF5\x03',
      );
      peer.send('<STX>73:000<TAB>3F<ETX>');
      expect(await done).to.deep.include({ acknowledged: true });
      expect(events).to.deep.equal([{ clientId: session.id, pn: 0, op: 73, errorCode: 0 }]);
    });

    it('carries 062 and defaults 063 to the clock', async () => {
      const { peer, session } = await loggedIn(server);
      void server
        .sendDeliverStatusReport(session.id, {
          messageTimestamp: '261125205950',
          destination: '1',
          status: 2,
          statusErrorCode: 29,
        })
        .catch(() => undefined);
      const r = await peer.next();
      expect(r.raw).to.deep.equal(
        withChecksum(
          '<STX>23:000<TAB>021:1<TAB>060:261125205950<TAB>061:2<TAB>062:29<TAB>063:261125205950<TAB><ETX>',
        ),
      );
    });
  });

  describe('OnCimd2SubmitMessageReceived → submit event', () => {
    it('decodes a Kannel submit: destination, originator, text, options', async () => {
      const { peer } = await loggedIn(server);
      const events: SubmitEvent[] = [];
      server.on('submit', (e) => events.push(e));
      peer.send(
        '<STX>03:005<TAB>021:358400000002<TAB>023:12345<TAB>056:14<TAB>055:0<TAB>044:0<TAB>033:H_a"llo _Oa _L-5 _XX(x_XX) _XXe<TAB>DC<ETX>',
      );
      await peer.next();
      const e = events[0]!;
      expect(e).to.deep.include({
        pn: 5,
        destination: '358400000002',
        originator: '12345',
        text: 'Hällo @ £5 {x} €',
        encoding: 'gsm7',
        dcs: 0,
      });
      expect(e.options).to.deep.equal({
        statusReportRequest: 14,
        replyPath: false,
        moreMessagesToSend: false,
      });
    });

    it('reports the alphanumeric originator and relative validity, capped at 31 days', async () => {
      const { peer } = await loggedIn(server);
      const events: SubmitEvent[] = [];
      server.on('submit', (e) => events.push(e));
      peer.send('<STX>03:015<TAB>021:358400000006<TAB>027:Interop<TAB>050:11<TAB>033:a<TAB><ETX>');
      peer.send('<STX>03:017<TAB>021:358400000006<TAB>050:255<TAB>033:a<TAB><ETX>');
      await peer.next();
      await peer.next();
      expect(events[0]).to.deep.include({ originator: 'Interop' });
      expect(events[0]!.validityPeriod).to.deep.equal({ relative: 11, ms: 3_600_000 });
      expect(events[1]!.validityPeriod).to.deep.equal({ relative: 255, ms: 31 * 24 * 3_600_000 });
    });

    it('decodes UCS2 and binary with UDH', async () => {
      const { peer } = await loggedIn(server);
      const events: SubmitEvent[] = [];
      server.on('submit', (e) => events.push(e));
      peer.send(
        '<STX>03:007<TAB>021:358400000003<TAB>034:041F04400438043204350442002C0020043C04380440002100204F60597D<TAB>030:8<TAB><ETX>',
      );
      peer.send(
        '<STX>03:013<TAB>021:358400000005<TAB>032:0605040B8423F0<TAB>034:000102030405FEFF48656C6C6F<TAB>030:4<TAB><ETX>',
      );
      await peer.next();
      await peer.next();
      expect(events[0]).to.deep.include({ text: 'Привет, мир! 你好', encoding: 'ucs2', dcs: 8 });
      expect(events[1]!.encoding).to.equal('binary');
      expect(events[1]!.bytes?.toString('hex')).to.equal('000102030405feff48656c6c6f');
      expect(events[1]!.udh?.toString('hex')).to.equal('0605040b8423f0');
    });
  });

  describe('OnCimd2SubmitMessageCompleted → submit-completed', () => {
    it('fires at once for a single part, with its 060', async () => {
      const { peer, session } = await loggedIn(server);
      const done: SubmitCompletedEvent[] = [];
      server.on('submit-completed', (e) => done.push(e));
      peer.send('<STX>03:003<TAB>021:1<TAB>033:single<TAB><ETX>');
      const r = await peer.next();
      expect(done).to.have.length(1);
      expect(done[0]).to.deep.include({ clientId: session.id, text: 'single', parts: 1 });
      expect(done[0]!.timestamps).to.deep.equal([r.params.find((p) => p.code === 60)!.value]);
    });

    it('fires once when the last part of a 3-part message arrives, parts in any order', async () => {
      const { peer } = await loggedIn(server);
      const done: SubmitCompletedEvent[] = [];
      server.on('submit-completed', (e) => done.push(e));
      peer.send('<STX>03:003<TAB>021:9<TAB>032:050003110303<TAB>033:three<TAB><ETX>');
      peer.send('<STX>03:005<TAB>021:9<TAB>032:050003110301<TAB>033:one <TAB><ETX>');
      await peer.next();
      await peer.next();
      expect(done).to.have.length(0);
      peer.send('<STX>03:007<TAB>021:9<TAB>032:050003110302<TAB>033:two <TAB><ETX>');
      await peer.next();
      expect(done).to.have.length(1);
      expect(done[0]).to.deep.include({ text: 'one two three', parts: 3, reference: 0x11 });
      expect(done[0]!.packetNumbers).to.deep.equal([5, 7, 3]);
      // 060s were allocated in arrival order (pn 3, 5, 7) and are reported in part order.
      expect(done[0]!.timestamps).to.deep.equal(['261125205951', '261125205952', '261125205950']);
    });

    it('expires an incomplete set after multipartTtlMs', async () => {
      await server.close({ graceMs: 0 });
      server = new SmscServer({ clock, multipartTtlMs: 60_000 });
      const { peer } = await loggedIn(server);
      const expired: MultipartExpiredEvent[] = [];
      server.on('multipart-expired', (e) => expired.push(e));
      peer.send('<STX>03:003<TAB>021:9<TAB>032:050003120201<TAB>033:half<TAB><ETX>');
      await peer.next();
      await clock.advance(59_999);
      expect(expired).to.have.length(0);
      await clock.advance(1);
      expect(expired).to.deep.equal([
        {
          clientId: 'c1',
          destination: '9',
          originator: undefined,
          reference: 0x12,
          total: 2,
          received: [1],
        },
      ]);
    });
  });

  describe('OnCimd2RAWReceived and OnCimd2TraceProtocol', () => {
    it('passes frames the core does not interpret to the raw event', async () => {
      const { peer, session } = await loggedIn(server);
      const raws: [string, number][] = [];
      server.on('raw', (id, frame) => raws.push([id, frame.op]));
      peer.send('<STX>09:003<TAB>500:501<TAB><ETX>');
      peer.send('<STX>06:005<TAB>059:0<TAB>021:1<TAB><ETX>');
      peer.send('<STX>77:007<TAB><ETX>');
      const get = await peer.next();
      expect(get.raw).to.deep.equal(withChecksum('<STX>59:003<TAB>501:261125205950<TAB><ETX>'));
      await peer.next();
      await peer.next();
      expect(raws).to.deep.equal([
        [session.id, 9],
        [session.id, 6],
        [session.id, 77],
      ]);
    });

    it('traces every frame both ways with addresses and hex PDU', async () => {
      const traces: TraceEvent[] = [];
      server.on('trace', (t) => traces.push(t));
      await loggedIn(server, 'kannel', 'kannel');
      expect(traces.map((t) => [t.opName, t.operationType, t.from, t.to])).to.deep.equal([
        ['login', 'request', '10.0.0.1:40000', 'local'],
        ['login-response', 'response', 'local', '10.0.0.1:40000'],
      ]);
      expect(traces[1]!.pdu).to.equal('0235313A30303109334303');
    });
  });

  describe('OnTcpDisconnected → tcp-disconnected', () => {
    it('gives reason 0 when the client closes', async () => {
      const { peer, session } = await loggedIn(server);
      const reasons: [string, number][] = [];
      server.on('tcp-disconnected', (id, r) => reasons.push([id, r.code]));
      peer.stream.end();
      await session.closed;
      expect(reasons).to.deep.equal([[session.id, 0]]);
    });

    it('closeConnection ends one session and closeAllConnections the rest', async () => {
      const a = await loggedIn(server, 'a');
      const b = await loggedIn(server, 'b');
      await server.closeConnection(a.session.id);
      expect(a.session.isOpen).to.equal(false);
      expect(b.session.isOpen).to.equal(true);
      await server.closeAllConnections();
      expect(b.session.isOpen).to.equal(false);
      expect(server.sessions()).to.deep.equal([]);
    });
  });

  describe('properties', () => {
    it('validates KeepAliveInterval and ThrottleRate', () => {
      expect(() => (server.keepAliveInterval = -1)).to.throw(/keepAliveInterval/);
      expect(() => (server.throttleRate = Number.NaN)).to.throw(/throttleRate/);
      server.keepAliveInterval = 30;
      server.throttleRate = 5;
      expect([server.keepAliveInterval, server.throttleRate]).to.deep.equal([30, 5]);
    });
  });
});
