/**
 * Bad input on the wire: one test per row of the README's bad-input table (section Reliability).
 * Each test sends the input over an in-memory session and asserts the exact answer bytes (or the
 * close and its reason), that nothing else is answered, that the same session still works when
 * it stays open, and that the server still accepts and serves a new session.
 */
import { expect } from 'chai';
import { duplexPair, type Duplex } from 'node:stream';
import { SmscServer, type SmscServerOptions } from '../../../src/server/smsc-server.js';
import type { LimitReachedEvent } from '../../../src/server/events.js';
import type { Frame } from '../../../src/protocol/frame.js';
import { RuleEngine, loadScenarioText } from '../../../src/scenario/index.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { Peer, connect, loggedIn, tick } from '../../helpers/duplex.js';
import { bytewise, wire, withChecksum } from '../../helpers/wire.js';

/** A row: input, the answer frames in wire notation (checksum added), or a close. */
interface Row {
  readonly input: string;
  /** Log in before sending (default true). */
  readonly login?: boolean;
  readonly send: string | Buffer;
  /** Expected frames, wire notation without checksum; [] = no answer at all. */
  readonly answer: readonly string[];
  /** The session closes with this reason instead of staying open. */
  readonly closes?: { readonly code: number; readonly text: RegExp };
  /** Responses the server records as unexpected (op:pn). */
  readonly unexpected?: readonly string[];
  /** The limit reported by `limit-reached`. */
  readonly limit?: string;
}

const SYNTAX = '900:2<TAB>901:Syntax error<TAB>';
const UNEXPECTED = '900:1<TAB>901:Unexpected operation<TAB>';

const ROWS: readonly Row[] = [
  {
    input: 'garbage before a frame',
    send: 'hello\r\n<x01><xFF>SMSC<STX>40:003<TAB><ETX>',
    answer: ['<STX>90:003<TAB><ETX>'],
  },
  {
    input: 'garbage between frames',
    send: '<STX>40:003<TAB><ETX> junk <x00><x7F>\r\n<STX>40:005<TAB><ETX>',
    answer: ['<STX>90:003<TAB><ETX>', '<STX>90:005<TAB><ETX>'],
  },
  {
    input: 'STX with no ETX, then the next frame',
    send: '<STX>40:003<TAB>021:1<STX>40:005<TAB><ETX>',
    answer: [`<STX>98:003<TAB>${SYNTAX}<ETX>`, '<STX>90:005<TAB><ETX>'],
  },
  {
    input: 'ETX with no STX',
    send: '40:003<TAB><ETX><STX>40:005<TAB><ETX>',
    answer: ['<STX>90:005<TAB><ETX>'],
  },
  {
    input: 'non-digit operation code',
    send: '<STX>4x:003<TAB><ETX>',
    answer: [`<STX>98:000<TAB>${SYNTAX}<ETX>`],
  },
  {
    input: 'non-digit packet number',
    send: '<STX>40:0x3<TAB><ETX>',
    answer: [`<STX>98:000<TAB>${SYNTAX}<ETX>`],
  },
  {
    input: 'missing colon in the header',
    send: '<STX>40;003<TAB><ETX>',
    answer: [`<STX>98:000<TAB>${SYNTAX}<ETX>`],
  },
  {
    input: 'packet number 256',
    send: '<STX>40:256<TAB><ETX>',
    answer: [`<STX>98:000<TAB>${SYNTAX}<ETX>`],
  },
  {
    input: 'packet number 999',
    send: '<STX>40:999<TAB><ETX>',
    answer: [`<STX>98:000<TAB>${SYNTAX}<ETX>`],
  },
  {
    input: 'even packet number from the client',
    send: '<STX>40:004<TAB><ETX>',
    answer: ['<STX>90:004<TAB><ETX>'],
  },
  {
    input: 'unknown operation (33)',
    send: '<STX>33:003<TAB><ETX>',
    answer: [`<STX>98:003<TAB>${UNEXPECTED}<ETX>`],
  },
  {
    input: 'server-only operation from the client (20)',
    send: '<STX>20:003<TAB>021:1<TAB>033:x<TAB><ETX>',
    answer: [`<STX>98:003<TAB>${UNEXPECTED}<ETX>`],
  },
  {
    input: 'unknown parameter (999)',
    send: '<STX>03:003<TAB>021:1<TAB>999:x<TAB>033:hi<TAB><ETX>',
    answer: ['<STX>98:003<TAB>900:3<TAB>901:parameter 999 is not supported<TAB><ETX>'],
  },
  {
    input: 'duplicate parameter (033 twice)',
    send: '<STX>03:003<TAB>021:1<TAB>033:a<TAB>033:b<TAB><ETX>',
    answer: ['<STX>98:003<TAB>900:8<TAB>901:parameter 033 (user data): repeated<TAB><ETX>'],
  },
  {
    input: 'repeated 021 (multi-destination submit)',
    send: '<STX>03:003<TAB>021:111<TAB>021:222<TAB>033:b<TAB><ETX>',
    answer: ['<STX>53:003<TAB>021:111<TAB>060:261125120000<TAB><ETX>'],
  },
  {
    input: 'value over its maximum length (021 of 21 digits)',
    send: '<STX>03:003<TAB>021:123456789012345678901<TAB>033:b<TAB><ETX>',
    answer: [
      '<STX>98:003<TAB>900:8<TAB>901:parameter 021 (destination address): value longer than 20<TAB><ETX>',
    ],
  },
  {
    input: 'reserved byte NUL in a value',
    send: '<STX>03:003<TAB>021:1<TAB>033:a<NUL>b<TAB><ETX>',
    answer: ['<STX>98:003<TAB>900:8<TAB>901:Parameter formatting error<TAB><ETX>'],
  },
  {
    input: 'reserved byte STX in a value',
    send: '<STX>03:003<TAB>021:1<TAB>033:a<STX>b<TAB><ETX>',
    answer: [`<STX>98:003<TAB>${SYNTAX}<ETX>`, `<STX>98:000<TAB>${SYNTAX}<ETX>`],
  },
  {
    input: 'reserved byte ETX in a value',
    send: '<STX>03:003<TAB>021:1<TAB>033:a<ETX>b<TAB><ETX>',
    answer: [`<STX>98:003<TAB>${SYNTAX}<ETX>`],
  },
  {
    input: 'reserved byte TAB in a value',
    send: '<STX>03:003<TAB>021:1<TAB>033:a<TAB>b<TAB><ETX>',
    answer: [`<STX>98:003<TAB>${SYNTAX}<ETX>`],
  },
  {
    input: 'bad checksum, uppercase',
    send: '<STX>40:003<TAB>FF<ETX>',
    answer: ['<STX>99:003<TAB><ETX>'],
  },
  {
    input: 'bad checksum, lowercase',
    send: '<STX>40:003<TAB>ff<ETX>',
    answer: ['<STX>99:003<TAB><ETX>'],
  },
  {
    input: 'good checksum, lowercase',
    send: '<STX>40:003<TAB><cs><ETX>',
    answer: ['<STX>90:003<TAB><ETX>'],
  },
  {
    input: 'one-digit checksum',
    send: '<STX>40:003<TAB>F<ETX>',
    answer: [`<STX>98:003<TAB>${SYNTAX}<ETX>`],
  },
  {
    input: 'missing TAB before ETX (after the last parameter)',
    send: '<STX>03:003<TAB>021:1<TAB>033:hi<ETX>',
    answer: [`<STX>98:003<TAB>${SYNTAX}<ETX>`],
  },
  {
    input: 'missing TAB after the header',
    send: '<STX>40:003<ETX>',
    answer: [`<STX>98:003<TAB>${SYNTAX}<ETX>`],
  },
  {
    input: 'empty frame (STX ETX)',
    send: '<STX><ETX>',
    answer: [`<STX>98:000<TAB>${SYNTAX}<ETX>`],
  },
  {
    input: 'submit before login',
    login: false,
    send: '<STX>03:003<TAB>021:1<TAB>033:hi<TAB><ETX>',
    answer: [`<STX>53:003<TAB>${UNEXPECTED}<ETX>`],
  },
  {
    input: 'alive before login',
    login: false,
    send: '<STX>40:003<TAB><ETX>',
    answer: [`<STX>90:003<TAB>${UNEXPECTED}<ETX>`],
  },
  {
    input: 'login twice',
    send: '<STX>01:003<TAB>010:shop<TAB>011:secret<TAB><ETX>',
    answer: [`<STX>51:003<TAB>${UNEXPECTED}<ETX>`],
  },
  {
    input: '033 and 034 together',
    send: '<STX>03:003<TAB>021:1<TAB>033:hi<TAB>034:4142<TAB><ETX>',
    answer: [
      '<STX>53:003<TAB>021:1<TAB>900:303<TAB>901:user data (033) and user data binary (034) are both present<TAB><ETX>',
    ],
  },
  {
    input: 'odd-length hex (034)',
    send: '<STX>03:003<TAB>021:1<TAB>030:4<TAB>034:414<TAB><ETX>',
    answer: [
      '<STX>98:003<TAB>900:8<TAB>901:parameter 034 (user data binary): hex value has odd length 3<TAB><ETX>',
    ],
  },
  {
    input: 'bad UDH length (UDHL 5, 6 bytes follow)',
    send: '<STX>03:003<TAB>021:1<TAB>032:0500030A0201FF<TAB>033:hi<TAB><ETX>',
    answer: [
      '<STX>53:003<TAB>021:1<TAB>900:302<TAB>901:user data header (032) is malformed: UDHL 5 does not match the 6<TAB><ETX>',
    ],
  },
  {
    input: 'bad UDH length (UDHL 10, 2 bytes follow)',
    send: '<STX>03:003<TAB>021:1<TAB>032:0A0003<TAB>033:hi<TAB><ETX>',
    answer: [
      '<STX>53:003<TAB>021:1<TAB>900:302<TAB>901:user data header (032) is malformed: UDHL 10 announces more than<TAB><ETX>',
    ],
  },
  {
    input: 'bad DCS (999)',
    send: '<STX>03:003<TAB>021:1<TAB>030:999<TAB>033:hi<TAB><ETX>',
    answer: [
      '<STX>98:003<TAB>900:8<TAB>901:parameter 030 (data coding scheme): 999 is outside 0 255<TAB><ETX>',
    ],
  },
  {
    input: 'bad DCS (not a number)',
    send: '<STX>03:003<TAB>021:1<TAB>030:x<TAB>033:hi<TAB><ETX>',
    answer: [
      '<STX>98:003<TAB>900:8<TAB>901:parameter 030 (data coding scheme): "x" is not a decimal integer<TAB><ETX>',
    ],
  },
  {
    input: 'response to a frame never sent (70)',
    send: '<STX>70:002<TAB><ETX>',
    answer: [],
    unexpected: ['70:2'],
  },
  {
    input: 'general error (98) and NACK (99) from the client for nothing',
    send: '<STX>98:002<TAB>900:1<TAB><ETX><STX>99:004<TAB><ETX>',
    answer: [],
    unexpected: ['98:2', '99:4'],
  },
  {
    input: 'a 1 MiB line with no STX or ETX',
    send: Buffer.alloc(1024 * 1024, 0x41),
    answer: [],
  },
  {
    input: 'a 1 MiB line after an STX (no ETX)',
    send: Buffer.concat([wire('<STX>03:003<TAB>033:'), Buffer.alloc(1024 * 1024, 0x41)]),
    answer: [],
    closes: { code: -1, text: /^frame longer than 4096 bytes without ETX$/ },
    limit: 'maxFrameLength',
  },
  {
    input: 'logout, then more frames in the same write',
    send: '<STX>02:003<TAB><ETX><STX>40:005<TAB><ETX>',
    answer: ['<STX>52:003<TAB><ETX>'],
    closes: { code: 0, text: /^logout$/ },
  },
];

/** Submit and answer on an open session, logging in first when needed. */
async function assertServes(peer: Peer, login: boolean, destination: string): Promise<void> {
  if (login) {
    peer.send('<STX>01:101<TAB>010:shop<TAB>011:secret<TAB><ETX>');
    expect((await peer.next()).raw).to.deep.equal(withChecksum('<STX>51:101<TAB><ETX>'));
  }
  peer.send(`<STX>03:103<TAB>021:${destination}<TAB>033:ok<TAB><ETX>`);
  expect((await peer.next()).raw).to.deep.equal(
    withChecksum(`<STX>53:103<TAB>021:${destination}<TAB>060:261125120000<TAB><ETX>`),
  );
}

/** A fresh connection logs in and submits. */
async function assertAcceptsNewSession(server: SmscServer): Promise<void> {
  const { peer } = await loggedIn(server, 'fresh', 'pw');
  await assertServes(peer, false, '358409999');
}

describe('SmscServer bad input on the wire (README bad-input table)', () => {
  let clock: ManualClock;
  let server: SmscServer;
  let errors: Error[];
  let unexpected: string[];
  let limits: LimitReachedEvent[];

  function start(options: SmscServerOptions = {}): SmscServer {
    server = new SmscServer({ clock, ...options });
    server.on('error', (e) => errors.push(e));
    server.on('unexpected-response', (_s, f: Frame) => unexpected.push(`${f.op}:${f.pn}`));
    server.on('limit-reached', (e) => limits.push(e));
    return server;
  }

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    errors = [];
    unexpected = [];
    limits = [];
    start();
  });

  afterEach(async () => {
    await server.close({ graceMs: 0 });
    expect(errors, 'server error events').to.deep.equal([]);
  });

  for (const row of ROWS) {
    const outcome =
      row.answer.length === 0 ? 'no answer' : row.answer.map((a) => a.slice(5, 11)).join(' + ');
    const title = `${row.input} → ${outcome}${row.closes ? ', then closes' : ''}`;
    it(title, async () => {
      const login = row.login ?? true;
      const { peer, session } = login ? await loggedIn(server) : connect(server);
      peer.send(row.send);
      for (const expected of row.answer)
        expect((await peer.next()).raw.toString('latin1')).to.equal(
          withChecksum(expected).toString('latin1'),
        );
      await tick(10);
      expect(peer.unread, 'frames beyond the defined answer').to.equal(0);
      expect(unexpected).to.deep.equal(row.unexpected ?? []);
      expect(limits.map((l) => l.limit)).to.deep.equal(row.limit === undefined ? [] : [row.limit]);
      expect(session.bufferedBytes).to.be.below(4096);
      if (row.closes) {
        await peer.whenEnded();
        expect(session.reason?.code).to.equal(row.closes.code);
        expect(session.reason?.text).to.match(row.closes.text);
        expect(server.sessions().map((s) => s.id)).to.not.include(session.id);
      } else {
        expect(session.isOpen).to.equal(true);
        await assertServes(peer, !login, '358401');
      }
      await assertAcceptsNewSession(server);
    });
  }

  it('wrong credentials → 51 with 900:100, and a correct login on the same connection then succeeds', async () => {
    const scenario = loadScenarioText(
      'version: 1\naccounts:\n  - { user: shop, password: secret }\n',
      'accounts.yaml',
    );
    await server.close({ graceMs: 0 });
    start({ responder: new RuleEngine(scenario) });
    const { peer, session } = connect(server);
    peer.send('<STX>01:001<TAB>010:shop<TAB>011:wrong<TAB><ETX>');
    expect((await peer.next()).raw).to.deep.equal(
      withChecksum('<STX>51:001<TAB>900:100<TAB>901:Invalid login<TAB><ETX>'),
    );
    expect(session.user).to.equal(undefined);
    peer.send('<STX>03:003<TAB>021:1<TAB>033:x<TAB><ETX>');
    expect((await peer.next()).raw).to.deep.equal(
      withChecksum(`<STX>53:003<TAB>${UNEXPECTED}<ETX>`),
    );
    await assertServes(peer, true, '358401');
    const other = connect(server);
    await assertServes(other.peer, true, '358402');
  });

  it('a 70 with an unknown packet number while a 20 is in flight → no answer, recorded as unexpected; the right 70 still completes the 20', async () => {
    const { peer, session } = await loggedIn(server);
    const done = server.sendDeliverMessage(session.id, {
      destination: '1',
      originator: '2',
      text: 'mo',
    });
    const deliver = await peer.next();
    expect([deliver.op, deliver.pn]).to.deep.equal([20, 0]);
    peer.send('<STX>70:010<TAB><ETX><STX>73:000<TAB><ETX>');
    await tick(10);
    expect(peer.unread).to.equal(0);
    expect(unexpected).to.deep.equal(['70:10', '73:0']);
    expect(session.outstanding).to.equal(1);
    peer.send('<STX>70:000<TAB><ETX>');
    const result = await done;
    expect(result.acknowledged).to.equal(true);
    expect(session.outstanding).to.equal(0);
    await assertServes(peer, false, '358401');
    await assertAcceptsNewSession(server);
  });

  it('frames trickled one byte at a time → the same answers as whole frames', async () => {
    const { peer } = connect(server);
    const bytes = wire(
      '<STX>01:001<TAB>010:shop<TAB>011:secret<TAB><ETX>' +
        '<STX>03:003<TAB>021:358401<TAB>033:trickle<TAB><CS><ETX>' +
        '<STX>40:005<TAB><ETX>',
    );
    for (const b of bytewise(bytes)) {
      peer.send(b);
      await tick(1);
    }
    const answers = [await peer.next(), await peer.next(), await peer.next()];
    expect(answers.map((a) => a.raw.toString('latin1'))).to.deep.equal(
      [
        '<STX>51:001<TAB><ETX>',
        '<STX>53:003<TAB>021:358401<TAB>060:261125120000<TAB><ETX>',
        '<STX>90:005<TAB><ETX>',
      ].map((w) => withChecksum(w).toString('latin1')),
    );
    await assertAcceptsNewSession(server);
  });

  it('100 frames in one write → 100 answers in order', async () => {
    const { peer } = await loggedIn(server);
    const pns = Array.from({ length: 100 }, (_, i) => 3 + 2 * i).map((n) => n % 256);
    peer.send(pns.map((pn) => `<STX>40:${String(pn).padStart(3, '0')}<TAB><ETX>`).join(''));
    const got: number[] = [];
    for (let i = 0; i < 100; i++) {
      const f = await peer.next();
      expect(f.op).to.equal(90);
      got.push(f.pn);
    }
    expect(got).to.deep.equal(pns);
    await assertServes(peer, false, '358401');
    await assertAcceptsNewSession(server);
  });

  it('a client that never reads → aborted once its unread output passes maxWriteBufferBytes', async () => {
    await server.close({ graceMs: 0 });
    start({ maxWriteBufferBytes: 4096 });
    const [serverSide, clientSide] = duplexPair();
    const session = server.handle(serverSide, { host: '10.0.0.9', port: 1 });
    clientSide.write(wire('<STX>01:001<TAB>010:shop<TAB>011:secret<TAB><ETX>'));
    // The client writes but never reads: each alive adds an 11-byte 90 to the unread output.
    for (let i = 0; i < 4000 && session.isOpen; i++) {
      clientSide.write(wire('<STX>40:003<TAB><ETX>'));
      if (i % 100 === 0) await tick(1);
    }
    await session.closed;
    expect(session.reason?.code).to.equal(-1);
    expect(session.reason?.text).to.equal('client does not read: over 4096 bytes waiting');
    expect(serverSide.destroyed).to.equal(true);
    expect(limits.map((l) => [l.limit, l.value, l.clientId])).to.deep.equal([
      ['maxWriteBufferBytes', 4096, session.id],
    ]);
    expect(server.sessions()).to.deep.equal([]);
    await assertAcceptsNewSession(server);
  });

  it('abrupt reset mid-frame → closed with the network reason (errno), no answer, no crash', async () => {
    const [serverSide, clientSide]: [Duplex, Duplex] = duplexPair();
    const session = server.handle(serverSide, { host: '10.0.0.9', port: 2 });
    const peer = new Peer(clientSide);
    peer.send('<STX>01:001<TAB>010:shop<TAB>011:secret<TAB><ETX>');
    await peer.next();
    peer.send('<STX>03:003<TAB>021:1<TAB>033:half');
    await tick();
    expect(session.bufferedBytes).to.be.greaterThan(0);
    // What a net.Socket does when the peer sends RST.
    serverSide.destroy(
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104 }),
    );
    const reason = await session.closed;
    expect(reason).to.deep.equal({ code: 104, text: 'read ECONNRESET' });
    expect(peer.unread).to.equal(0);
    expect(server.sessions()).to.deep.equal([]);
    await assertAcceptsNewSession(server);
  });

  it('STX with no ETX, then the client closes → closed (code 0), nothing answered', async () => {
    const { peer, session } = await loggedIn(server);
    peer.send('<STX>03:003<TAB>021:1<TAB>033:never');
    await tick();
    peer.stream.end();
    const reason = await session.closed;
    expect(reason.code).to.equal(0);
    expect(peer.unread).to.equal(0);
    await assertAcceptsNewSession(server);
  });
});
