/**
 * The client judge over real TCP: for every check, the test client (raw frames) commits exactly
 * that violation and the transcript gets exactly one finding with that check's id whose
 * `frameSeq` is the offending frame's record; a clean conversation gets none.
 */
import { expect } from 'chai';
import { createMockSmsc, type MockSmsc, type MockSmscOptions } from '../../src/mock-smsc.js';
import type { Frame, Parameter } from '../../src/protocol/frame.js';
import { CHECK_IDS } from '../../src/judge/index.js';
import { CimdClient } from '../../src/testing/cimd-client.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import type { FindingRecord, TranscriptRecord } from '../../src/transcript/index.js';
import { wire } from '../helpers/wire.js';

const SCENARIO = `version: 1
name: judged
rules:
  - id: slow-submit
    priority: 1
    when: { op: submit, destination: "999" }
    then: [ { delay: 150ms }, { respond: {} } ]
  - id: any
    when: {}
    then: [ { respond: {} } ]
`;

const p = (code: number, value: string): Parameter => ({ code, value });
const LOGIN = [p(10, 'shop'), p(11, 'secret')];

/** A test client in raw-frame mode: frames go out as given; answers are awaited by pn. */
class Raw {
  readonly client: CimdClient;
  readonly received: Frame[] = [];
  private readonly waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];

  private constructor(client: CimdClient) {
    this.client = client;
    client.on('frame', (f) => {
      // A frame a waiter takes is consumed: a later `next` must not get it again.
      const i = this.waiters.findIndex((w) => w.match(f));
      if (i >= 0) this.waiters.splice(i, 1)[0]?.resolve(f);
      else this.received.push(f);
    });
  }

  static async connect(mock: MockSmsc, autoAck = false): Promise<Raw> {
    return new Raw(await CimdClient.connect({ port: mock.port, autoAck }));
  }

  /** The next server frame matching `match` (already received ones first). */
  next(match: (f: Frame) => boolean): Promise<Frame> {
    const i = this.received.findIndex(match);
    if (i >= 0) return Promise.resolve(this.received.splice(i, 1)[0]!);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  send(op: number, pn: number, params: readonly Parameter[] = []): void {
    this.client.send({ op, pn, params });
  }

  /** Sends a request and waits for the server's answer with its packet number. */
  async ask(op: number, pn: number, params: readonly Parameter[] = []): Promise<Frame> {
    const answer = this.next((f) => f.op >= 50 && f.pn === pn);
    this.send(op, pn, params);
    return answer;
  }

  async login(pn = 1): Promise<void> {
    const r = await this.ask(1, pn, LOGIN);
    expect(r.op).to.equal(51);
  }

  /** Logout and the close that follows. */
  async logout(pn: number): Promise<void> {
    await this.ask(2, pn);
    await this.client.whenClosed();
  }
}

function findings(mock: MockSmsc): FindingRecord[] {
  return mock.transcript.records.filter((r): r is FindingRecord => r.kind === 'finding');
}

/** The seq of the n-th record matching `match`. */
function seqOf(mock: MockSmsc, match: (r: TranscriptRecord) => boolean, nth = 0): number {
  const found = mock.transcript.records.filter(match)[nth];
  if (found === undefined) throw new Error('no such record');
  return found.seq;
}

const inFrame =
  (op: number, pn: number) =>
  (r: TranscriptRecord): boolean =>
    r.kind === 'frame' && r.dir === 'in' && r.op === op && r.pn === pn;

/** Exactly one finding, of `check`, about the record `frameSeq`. */
function expectOne(mock: MockSmsc, check: string, frameSeq: number): FindingRecord {
  const all = findings(mock);
  // The findings in the message itself (chai abbreviates arrays in a failure).
  expect(
    all.length,
    `findings: ${all.map((f) => `${f.check}: ${f.message}`).join(' | ')}`,
  ).to.equal(1);
  const f = all[0]!;
  expect(f.check).to.equal(check);
  expect(f.frameSeq).to.equal(frameSeq);
  expect(f.seq).to.be.greaterThan(f.frameSeq);
  return f;
}

describe('client judge over TCP', () => {
  let mock: MockSmsc;
  const tested = new Set<string>();

  async function start(options: Partial<MockSmscOptions> = {}): Promise<MockSmsc> {
    mock = await createMockSmsc({
      scenario: { yaml: SCENARIO, file: 'judged.yaml' },
      port: 0,
      ...options,
    });
    return mock;
  }

  afterEach(async () => {
    await mock.stop();
  });

  after(() => {
    // Every check of the table has its test here.
    expect([...tested].sort()).to.deep.equal([...CHECK_IDS].sort());
  });

  it('a clean conversation (login, submits, multipart, alive, MO, status report, logout) has no findings', async () => {
    await start();
    const client = await CimdClient.connect({ port: mock.port });
    await client.login('shop', 'secret');
    const one = await client.submit({ destination: '+358401234567', text: 'Hello _ world' });
    await client.submit({ destination: '+358401234567', text: 'x'.repeat(300) });
    await client.submit({ destination: '+358401234567', text: 'Ünïcödé ✓' });
    await client.alive();
    await mock.deliver({ from: '+358409999999', to: '12345', text: 'MO' });
    await mock.statusReport({
      destination: '+358401234567',
      timestamp: one.timestamp!,
      status: 'delivered',
    });
    await client.logout();
    await mock.waitFor({ kind: 'session-close' }, { since: 0 });
    expect(findings(mock)).to.deep.equal([]);
  });

  it('pn-not-odd: a login with packet number 002 is one finding', async () => {
    tested.add('pn-not-odd');
    await start();
    const c = await Raw.connect(mock);
    await c.login(2);
    await c.logout(3);
    expectOne(mock, 'pn-not-odd', seqOf(mock, inFrame(1, 2)));
  });

  it('pn-sequence: 005 after 001', async () => {
    tested.add('pn-sequence');
    await start();
    const c = await Raw.connect(mock);
    await c.login();
    await c.ask(40, 5);
    await c.logout(7);
    expectOne(mock, 'pn-sequence', seqOf(mock, inFrame(40, 5)));
  });

  it('pn-reused: a second submit 003 while the first waits for its answer', async () => {
    tested.add('pn-reused');
    await start();
    const c = await Raw.connect(mock);
    await c.login();
    const first = c.next((f) => f.op === 53 && f.pn === 3);
    c.send(3, 3, [p(21, '999'), p(33, 'one')]);
    await mock.waitFor({ kind: 'decision', pn: 3 }, { since: 0 });
    c.send(3, 3, [p(21, '999'), p(33, 'two')]);
    await first;
    await c.next((f) => f.op === 53 && f.pn === 3);
    await c.logout(5);
    expectOne(mock, 'pn-reused', seqOf(mock, inFrame(3, 3), 1));
  });

  it('window-exceeded: submit 005 while 003 waits, without 019', async () => {
    tested.add('window-exceeded');
    await start();
    const c = await Raw.connect(mock);
    await c.login();
    const a = c.next((f) => f.op === 53 && f.pn === 3);
    c.send(3, 3, [p(21, '999'), p(33, 'one')]);
    await mock.waitFor({ kind: 'decision', pn: 3 }, { since: 0 });
    await c.ask(3, 5, [p(21, '999'), p(33, 'two')]);
    await a;
    await c.logout(7);
    const f = expectOne(mock, 'window-exceeded', seqOf(mock, inFrame(3, 5)));
    expect(f.message).to.contain('the window is 1 (no 019 at login)');
  });

  it('window-exceeded is not reported within a window negotiated with 019', async () => {
    await start();
    const c = await Raw.connect(mock);
    await c.ask(1, 1, [...LOGIN, p(19, '2')]);
    const a = c.next((f) => f.op === 53 && f.pn === 3);
    c.send(3, 3, [p(21, '999'), p(33, 'one')]);
    await mock.waitFor({ kind: 'decision', pn: 3 }, { since: 0 });
    await c.ask(3, 5, [p(21, '999'), p(33, 'two')]);
    await a;
    await c.logout(7);
    expect(findings(mock)).to.deep.equal([]);
  });

  it('response-unknown-pn: a 70 nobody asked for', async () => {
    tested.add('response-unknown-pn');
    await start();
    const c = await Raw.connect(mock);
    await c.login();
    c.send(70, 10);
    await mock.waitFor({ kind: 'unexpected-response' }, { since: 0 });
    await c.logout(3);
    expectOne(mock, 'response-unknown-pn', seqOf(mock, inFrame(70, 10)));
  });

  it('response-wrong-op: a 73 answering a 20', async () => {
    tested.add('response-wrong-op');
    await start({ ackTimeoutMs: 60_000 });
    const c = await Raw.connect(mock);
    await c.login();
    const delivered = mock.deliver({ from: '+358409999999', to: '12345', text: 'MO' });
    delivered.catch(() => undefined);
    const mo = await c.next((f) => f.op === 20);
    c.send(73, mo.pn);
    await mock.waitFor({ kind: 'unexpected-response' }, { since: 0 });
    await c.logout(3);
    expectOne(mock, 'response-wrong-op', seqOf(mock, inFrame(73, mo.pn)));
  });

  it('no-response: a 20 not answered within ackTimeoutMs (manual clock)', async () => {
    tested.add('no-response');
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    await start({ clock, ackTimeoutMs: 5000, maxResends: 0 });
    const c = await Raw.connect(mock);
    await c.login();
    const delivered = mock.deliver({ from: '+358409999999', to: '12345', text: 'MO' });
    const mo = await c.next((f) => f.op === 20);
    await clock.advance(4999);
    expect(findings(mock)).to.deep.equal([]);
    await clock.advance(1);
    expect((await delivered).acknowledged).to.equal(false);
    await c.logout(3);
    const out20 = seqOf(mock, (r) => r.kind === 'frame' && r.dir === 'out' && r.op === 20);
    const f = expectOne(mock, 'no-response', out20);
    expect(f.message).to.equal(
      `no deliver-response (70) to deliver ${String(mo.pn).padStart(3, '0')} within 5000 ms`,
    );
  });

  it('bad-checksum: a submit whose checksum does not match', async () => {
    tested.add('bad-checksum');
    await start();
    const c = await Raw.connect(mock);
    await c.login();
    const nack = c.next((f) => f.op === 99);
    c.client.sendBytes(wire('<STX>03:003<TAB>021:12345<TAB>033:hi<TAB>00<ETX>'));
    expect((await nack).pn).to.equal(3);
    await c.logout(5);
    const bad = seqOf(mock, (r) => r.kind === 'frame-error');
    expectOne(mock, 'bad-checksum', bad);
  });

  it('malformed-frame: a parameter without its colon', async () => {
    tested.add('malformed-frame');
    await start();
    const c = await Raw.connect(mock);
    await c.login();
    const answer = c.next((f) => f.op === 98);
    c.client.sendBytes(wire('<STX>03:003<TAB>02112345<TAB><CS><ETX>'));
    await answer;
    await c.logout(5);
    expectOne(
      mock,
      'malformed-frame',
      seqOf(mock, (r) => r.kind === 'frame-error'),
    );
  });

  it('operation-not-allowed: the client sends a deliver message (20)', async () => {
    tested.add('operation-not-allowed');
    await start();
    const c = await Raw.connect(mock);
    await c.login();
    await c.ask(20, 3, [p(21, '1'), p(23, '2'), p(60, '260101000000')]);
    await c.logout(5);
    expectOne(mock, 'operation-not-allowed', seqOf(mock, inFrame(20, 3)));
  });

  it('request-before-login: a submit before any login', async () => {
    tested.add('request-before-login');
    await start();
    const c = await Raw.connect(mock);
    await c.ask(3, 1, [p(21, '12345'), p(33, 'hi')]);
    await c.login(3);
    await c.logout(5);
    expectOne(mock, 'request-before-login', seqOf(mock, inFrame(3, 1)));
  });

  it('second-login: a login after an accepted one', async () => {
    tested.add('second-login');
    await start();
    const c = await Raw.connect(mock);
    await c.login();
    await c.ask(1, 3, LOGIN);
    await c.logout(5);
    expectOne(mock, 'second-login', seqOf(mock, inFrame(1, 3)));
  });

  const submitCases: readonly {
    check: string;
    what: string;
    params: readonly Parameter[];
    message?: string;
  }[] = [
    {
      check: 'parameter-not-allowed',
      what: 'a user identity (010) in a submit',
      params: [p(21, '12345'), p(10, 'shop'), p(33, 'hi')],
      message: 'submit 003: parameter 010 (user identity) is not a parameter of submit',
    },
    {
      check: 'parameter-repeated',
      what: 'two originating addresses (023)',
      params: [p(21, '12345'), p(23, '1'), p(23, '2'), p(33, 'hi')],
    },
    {
      check: 'parameter-missing',
      what: 'a submit without a destination (021)',
      params: [p(33, 'hi')],
      message: 'submit 003: no parameter 021 (destination address)',
    },
    {
      check: 'parameter-invalid',
      what: 'a destination with letters',
      params: [p(21, '12ab'), p(33, 'hi')],
    },
    {
      check: 'text-alphabet',
      what: 'a 033 with an unknown _ combination',
      params: [p(21, '12345'), p(33, 'bad _zz here')],
      message:
        'submit 003: parameter 033 (user data): "_zz" at index 4 is not a special combination',
    },
    {
      check: 'hex-invalid',
      what: 'a 034 with an odd number of hex digits',
      params: [p(21, '12345'), p(30, '4'), p(34, 'ABC')],
    },
    {
      check: 'user-data-conflict',
      what: 'both 033 and 034',
      params: [p(21, '12345'), p(33, 'hi'), p(34, '4142')],
    },
    {
      check: 'user-data-conflict',
      what: '033 text with a UCS2 DCS',
      params: [p(21, '12345'), p(30, '8'), p(33, 'hi')],
      message:
        'submit 003: user data (033) is 7-bit text but the data coding scheme (030) 8 says UCS2',
    },
    {
      check: 'validity-out-of-range',
      what: 'a relative validity of 300',
      params: [p(21, '12345'), p(50, '300'), p(33, 'hi')],
    },
    {
      check: 'validity-out-of-range',
      what: 'an absolute validity on 31 February',
      params: [p(21, '12345'), p(51, '260231120000'), p(33, 'hi')],
    },
  ];
  for (const t of submitCases)
    it(`${t.check}: ${t.what}`, async () => {
      tested.add(t.check);
      await start();
      const c = await Raw.connect(mock);
      await c.login();
      await c.ask(3, 3, t.params);
      await c.logout(5);
      const f = expectOne(mock, t.check, seqOf(mock, inFrame(3, 3)));
      if (t.message !== undefined) expect(f.message).to.equal(t.message);
    });

  const udh = (ref: number, total: number, part: number): Parameter =>
    p(32, `050003${[ref, total, part].map((n) => n.toString(16).padStart(2, '0')).join('')}`);

  it('parts-disagree: part 2 says 3 parts, part 1 said 2', async () => {
    tested.add('parts-disagree');
    await start();
    const c = await Raw.connect(mock);
    await c.login();
    await c.ask(3, 3, [p(21, '12345'), udh(7, 2, 1), p(33, 'one')]);
    await c.ask(3, 5, [p(21, '12345'), udh(7, 3, 2), p(33, 'two')]);
    await c.ask(3, 7, [p(21, '12345'), udh(7, 2, 2), p(33, 'two')]);
    await c.logout(9);
    const f = expectOne(mock, 'parts-disagree', seqOf(mock, inFrame(3, 5)));
    expect(f.message).to.equal(
      'submit 005: part 2 of reference 7 says total 3, the earlier parts 2',
    );
  });

  it('parts-disagree: part 2 carries another reference', async () => {
    await start();
    const c = await Raw.connect(mock);
    await c.login();
    await c.ask(3, 3, [p(21, '12345'), udh(7, 2, 1), p(33, 'one')]);
    await c.ask(3, 5, [p(21, '12345'), udh(8, 2, 2), p(33, 'two')]);
    await c.ask(3, 7, [p(21, '12345'), udh(7, 2, 2), p(33, 'two')]);
    await c.logout(9);
    expectOne(mock, 'parts-disagree', seqOf(mock, inFrame(3, 5)));
  });

  it('parts-incomplete: part 1 of 2, then logout', async () => {
    tested.add('parts-incomplete');
    await start();
    const c = await Raw.connect(mock);
    await c.login();
    await c.ask(3, 3, [p(21, '12345'), udh(9, 2, 1), p(33, 'one')]);
    await c.logout(5);
    await mock.waitFor({ kind: 'finding' }, { since: 0 });
    const f = expectOne(mock, 'parts-incomplete', seqOf(mock, inFrame(3, 3)));
    expect(f.message).to.contain(
      '1 of 2 parts arrived before the connection closed; missing part 2',
    );
  });

  it('silence: nothing from the client for longer than the keep-alive interval (manual clock)', async () => {
    tested.add('silence');
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    await start({ clock, keepAlive: 30 });
    const c = await Raw.connect(mock, true);
    await c.login();
    const login = seqOf(mock, inFrame(1, 1));
    await clock.advance(29_999);
    expect(findings(mock)).to.deep.equal([]);
    await clock.advance(1);
    // The server's own alive goes out and is answered.
    await mock.waitFor({ kind: 'frame', dir: 'in', op: 90 }, { since: 0 });
    await c.logout(3);
    const f = expectOne(mock, 'silence', login);
    expect(f.severity).to.equal('warning');
  });

  it('close-without-logout: a logged-in client closes the connection', async () => {
    tested.add('close-without-logout');
    await start();
    const c = await Raw.connect(mock);
    await c.login();
    await c.client.close();
    await mock.waitFor({ kind: 'finding' }, { since: 0 });
    const f = expectOne(mock, 'close-without-logout', seqOf(mock, inFrame(1, 1)));
    expect(f.severity).to.equal('warning');
  });

  it('alive-flood: two alives in the same second', async () => {
    tested.add('alive-flood');
    await start();
    const c = await Raw.connect(mock);
    await c.login();
    await c.ask(40, 3);
    await c.ask(40, 5);
    await c.logout(7);
    const f = expectOne(mock, 'alive-flood', seqOf(mock, inFrame(40, 5)));
    expect(f.severity).to.equal('warning');
  });
});
