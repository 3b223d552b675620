/**
 * Every kind of `fault` step over real TCP: the exact bytes on the wire (expected bytes written
 * in wire notation, independent of the encoder), their timing under a ManualClock, how the
 * connection ends (FIN, RST, half-close), and the transcript record of each.
 */
import { expect } from 'chai';
import { createMockSmsc, type MockSmsc } from '../../src/mock-smsc.js';
import { Op } from '../../src/protocol/operations.js';
import { mulberry32 } from '../../src/scenario/random.js';
import { randomHex } from '../../src/scenario/fault-steps.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import type { FrameRecord, RecordOf } from '../../src/transcript/record.js';
import { showTranscript } from '../../src/transcript/show.js';
import { RawPeer, until } from '../helpers/raw-peer.js';
import { assertValidRecord } from '../unit/transcript/helpers.js';
import { wire, withChecksum } from '../helpers/wire.js';

const TS = '260101120000';
const ANSWER = withChecksum(`<STX>53:003<TAB>021:123<TAB>060:${TS}<TAB><ETX>`);
const SUBMIT = {
  op: Op.Submit,
  pn: 3,
  params: [
    { code: 21, value: '123' },
    { code: 33, value: 'hi' },
  ],
};

function scenario(fault: string): string {
  return `version: 1
rules:
  - id: faulty
    when: { op: submit }
    then:
      - fault: ${fault}
`;
}

const latin1 = (b: Buffer): string => b.toString('latin1');

describe('fault steps on the wire (real TCP, manual clock)', function () {
  this.timeout(20_000);
  let mock: MockSmsc | undefined;
  let peer: RawPeer | undefined;
  let clock: ManualClock;

  afterEach(async () => {
    // Every record (faulted frames, fault records) keeps to the transcript schema.
    for (const r of mock?.transcriptAll.records ?? []) assertValidRecord(r);
    peer?.destroy();
    peer = undefined;
    await mock?.stop();
    mock = undefined;
  });

  /** A mock with one faulty submit rule and a logged-in peer; returns the bytes before the submit. */
  async function start(fault: string, options: { seed?: number } = {}): Promise<number> {
    clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    const yaml = scenario(fault);
    mock = await createMockSmsc({ scenario: { yaml }, port: 0, clock, ...options });
    peer = await RawPeer.connect(mock.port, clock);
    await peer.client.login('u', 'p');
    await peer.waitBytes(1);
    return peer.bytes.length;
  }

  function outFrames(): FrameRecord[] {
    return mock!.transcript.frames({ dir: 'out' }).filter((f) => f.op !== Op.LoginResponse);
  }

  function faultRecords(): RecordOf<'fault'>[] {
    return mock!.transcript.ofKind('fault');
  }

  it('bad-checksum: the answer with its checksum + 1, recorded as sent (checksum invalid)', async () => {
    const base = await start(`{ kind: bad-checksum, answer: { respond: { timestamp: "${TS}" } } }`);
    peer!.send(SUBMIT);
    const got = (await peer!.waitBytes(base + ANSWER.length)).subarray(base);
    const good = parseInt(latin1(ANSWER.subarray(-3, -1)), 16);
    const bad = ((good + 1) & 0xff).toString(16).toUpperCase().padStart(2, '0');
    expect(latin1(got)).to.equal(
      latin1(wire(`<STX>53:003<TAB>021:123<TAB>060:${TS}<TAB>${bad}<ETX>`)),
    );
    const [rec] = outFrames();
    expect(rec).to.include({ op: 53, pn: 3, fault: 'bad-checksum', checksum: 'invalid' });
    expect(rec?.raw).to.equal(latin1(got));
    // The ladder of `cimd2-mock show` marks the frame.
    expect(showTranscript(mock!.transcript).join('\n')).to.match(
      /← {2}submit-response 003 .*\[fault bad-checksum\]/,
    );
  });

  it('wrong-packet-number: pn + 2 by default; offset -4 wraps below 000', async () => {
    let base = await start(
      `{ kind: wrong-packet-number, answer: { respond: { timestamp: "${TS}" } } }`,
    );
    peer!.send(SUBMIT);
    let got = (await peer!.waitBytes(base + ANSWER.length)).subarray(base);
    expect(latin1(got)).to.equal(
      latin1(withChecksum(`<STX>53:005<TAB>021:123<TAB>060:${TS}<TAB><ETX>`)),
    );
    expect(outFrames()[0]).to.include({ pn: 5, fault: 'wrong-packet-number', checksum: 'valid' });
    await mock!.stop();
    peer!.destroy();
    base = await start(
      `{ kind: wrong-packet-number, offset: -4, answer: { respond: { timestamp: "${TS}" } } }`,
    );
    peer!.send(SUBMIT);
    got = (await peer!.waitBytes(base + ANSWER.length)).subarray(base);
    expect(latin1(got)).to.equal(
      latin1(withChecksum(`<STX>53:255<TAB>021:123<TAB>060:${TS}<TAB><ETX>`)),
    );
  });

  it('wrong-operation: a 98 carrying 900:1 by default; op 73 keeps the answer parameters', async () => {
    let base = await start('{ kind: wrong-operation }');
    peer!.send(SUBMIT);
    const expected98 = withChecksum('<STX>98:003<TAB>900:1<TAB>901:Unexpected operation<TAB><ETX>');
    let got = (await peer!.waitBytes(base + expected98.length)).subarray(base);
    expect(latin1(got)).to.equal(latin1(expected98));
    expect(outFrames()[0]).to.include({
      op: 98,
      opName: 'general-error',
      fault: 'wrong-operation',
    });
    await mock!.stop();
    peer!.destroy();
    base = await start(
      `{ kind: wrong-operation, op: 73, answer: { respond: { timestamp: "${TS}" } } }`,
    );
    peer!.send(SUBMIT);
    got = (await peer!.waitBytes(base + ANSWER.length)).subarray(base);
    expect(latin1(got)).to.equal(
      latin1(withChecksum(`<STX>73:003<TAB>021:123<TAB>060:${TS}<TAB><ETX>`)),
    );
  });

  it('duplicate: the answer `count` times, each copy recorded', async () => {
    const base = await start(
      `{ kind: duplicate, count: 3, answer: { respond: { timestamp: "${TS}" } } }`,
    );
    peer!.send(SUBMIT);
    const got = (await peer!.waitBytes(base + 3 * ANSWER.length)).subarray(base);
    await peer!.quiet();
    expect(peer!.bytes.length - base).to.equal(3 * ANSWER.length);
    expect(latin1(got)).to.equal(latin1(Buffer.concat([ANSWER, ANSWER, ANSWER])));
    const recs = outFrames();
    expect(recs.map((r) => [r.pn, r.fault, r.raw])).to.deep.equal(
      Array(3).fill([3, 'duplicate', latin1(ANSWER)]),
    );
  });

  it("duplicate of the rule's error answer (answer: error)", async () => {
    const base = await start('{ kind: duplicate, answer: { error: { code: 300 } } }');
    peer!.send(SUBMIT);
    const one = withChecksum(
      '<STX>53:003<TAB>021:123<TAB>900:300<TAB>901:Incorrect destination address<TAB><ETX>',
    );
    const got = (await peer!.waitBytes(base + 2 * one.length)).subarray(base);
    expect(latin1(got)).to.equal(latin1(Buffer.concat([one, one])));
  });

  it('truncate: the first half of the answer, then the server closes (FIN)', async () => {
    const base = await start(`{ kind: truncate, answer: { respond: { timestamp: "${TS}" } } }`);
    peer!.send(SUBMIT);
    await peer!.waitEnded();
    const got = peer!.bytesFrom(base);
    expect(latin1(got)).to.equal(latin1(ANSWER.subarray(0, Math.floor(ANSWER.length / 2))));
    expect(peer!.errorCode).to.equal(undefined);
    expect(outFrames()[0]).to.include({ fault: 'truncate', pn: 3, raw: latin1(got) });
    const close = mock!.transcript.ofKind('session-close')[0];
    expect(close?.reason).to.equal('fault truncate: connection closed after it');
  });

  it('truncate with bytes: exactly that many bytes', async () => {
    const base = await start(
      `{ kind: truncate, bytes: 5, answer: { respond: { timestamp: "${TS}" } } }`,
    );
    peer!.send(SUBMIT);
    await peer!.waitEnded();
    expect(latin1(peer!.bytesFrom(base))).to.equal(latin1(wire('<STX>53:0')));
  });

  it('garbage: seeded random bytes instead of the answer (same seed, same bytes), thenClose', async () => {
    const base = await start('{ kind: garbage, bytes: 8, thenClose: true }', { seed: 7 });
    peer!.send(SUBMIT);
    await peer!.waitEnded();
    const got = peer!.bytesFrom(base);
    // The first draw of the engine's generator seeded with 7.
    const expected = randomHex(8, mulberry32(7));
    expect(got.toString('hex').toUpperCase()).to.equal(expected);
    const rec = outFrames()[0];
    expect(rec).to.include({ fault: 'garbage', op: 53, pn: 3, raw: latin1(got) });
    const decision = mock!.transcript.ofKind('decision').find((d) => d.op === Op.Submit);
    expect(decision?.actions[0]).to.deep.include({ kind: 'fault' });
    expect((decision?.actions[0] as unknown as { fault: { hex: string } }).fault.hex).to.equal(
      expected,
    );
  });

  it('garbage without thenClose: the session stays and answers the next request', async () => {
    const base = await start('{ kind: garbage, bytes: 4 }', { seed: 1 });
    peer!.send(SUBMIT);
    await peer!.waitBytes(base + 4);
    peer!.send({ op: Op.Alive, pn: 5, params: [] });
    const alive = withChecksum('<STX>90:005<TAB><ETX>');
    const got = await peer!.waitBytes(base + 4 + alive.length);
    expect(latin1(got.subarray(base + 4))).to.equal(latin1(alive));
    expect(peer!.ended).to.equal(false);
  });

  it('split: pieces of `size` bytes, `gap` apart on the clock', async () => {
    const base = await start(
      `{ kind: split, size: 10, gap: 20ms, answer: { respond: { timestamp: "${TS}" } } }`,
    );
    const t0 = clock.now();
    peer!.send(SUBMIT);
    await peer!.waitBytes(base + 10);
    await peer!.quiet();
    expect(peer!.bytes.length - base).to.equal(10);
    await clock.advance(19);
    await peer!.quiet();
    expect(peer!.bytes.length - base).to.equal(10, 'nothing before the gap');
    await clock.advance(1);
    await peer!.waitBytes(base + 20);
    for (let i = 2; i * 10 < ANSWER.length; i++) {
      await clock.advance(20);
      await peer!.waitBytes(base + Math.min(ANSWER.length, (i + 1) * 10));
    }
    expect(latin1(peer!.bytesFrom(base))).to.equal(latin1(ANSWER));
    const times = peer!.arrivals.slice(-Math.ceil(ANSWER.length / 10)).map((a) => a.at - t0);
    expect(times).to.deep.equal(
      Array.from({ length: Math.ceil(ANSWER.length / 10) }, (_, i) => i * 20),
    );
    const rec = outFrames()[0];
    expect(rec).to.include({ fault: 'split', raw: latin1(ANSWER), checksum: 'valid' });
  });

  it('split defaults: one byte every 5 ms', async () => {
    const base = await start(`{ kind: split, answer: { respond: { timestamp: "${TS}" } } }`);
    peer!.send(SUBMIT);
    await peer!.waitBytes(base + 1);
    await clock.advance(4);
    await peer!.quiet();
    expect(peer!.bytes.length - base).to.equal(1);
    await clock.advance(1);
    await peer!.waitBytes(base + 2);
    await clock.advance(5 * ANSWER.length);
    await peer!.waitBytes(base + ANSWER.length);
    expect(latin1(peer!.bytesFrom(base))).to.equal(latin1(ANSWER));
  });

  it('trickle: byte i leaves ceil(i × 1000 / bytesPerSecond) ms after the first', async () => {
    const base = await start(
      `{ kind: trickle, bytesPerSecond: 100, answer: { respond: { timestamp: "${TS}" } } }`,
    );
    peer!.send(SUBMIT);
    await peer!.waitBytes(base + 1);
    await clock.advance(9);
    await peer!.quiet();
    expect(peer!.bytes.length - base).to.equal(1);
    await clock.advance(1);
    await peer!.waitBytes(base + 2);
    await clock.advance(10);
    await peer!.waitBytes(base + 3);
    await clock.advance(10 * (ANSWER.length - 4));
    await peer!.quiet();
    expect(peer!.bytes.length - base).to.equal(ANSWER.length - 1, 'the last byte is not due yet');
    await clock.advance(10);
    await peer!.waitBytes(base + ANSWER.length);
    expect(latin1(peer!.bytesFrom(base))).to.equal(latin1(ANSWER));
    expect(outFrames()[0]).to.include({ fault: 'trickle', raw: latin1(ANSWER) });
  });

  it('an answer behind a split one waits for its last byte (no interleaving)', async () => {
    const base = await start(
      `{ kind: split, size: 20, gap: 50ms, answer: { respond: { timestamp: "${TS}" } } }`,
    );
    // The submit's split answer, then an alive whose answer must not cut into it.
    peer!.send(SUBMIT);
    await peer!.waitBytes(base + 20);
    peer!.send({ op: Op.Alive, pn: 5, params: [] });
    await peer!.quiet();
    expect(peer!.bytes.length - base).to.equal(20);
    await clock.advance(50 * Math.ceil(ANSWER.length / 20));
    const alive = withChecksum('<STX>90:005<TAB><ETX>');
    await peer!.waitBytes(base + ANSWER.length + alive.length);
    expect(latin1(peer!.bytesFrom(base))).to.equal(latin1(Buffer.concat([ANSWER, alive])));
  });

  it('reset: no answer, a TCP RST (no FIN), recorded as a fault record', async () => {
    const base = await start('{ kind: reset }');
    peer!.send(SUBMIT);
    await peer!.waitClosed();
    expect(peer!.errorCode).to.equal('ECONNRESET');
    expect(peer!.ended).to.equal(false, 'no FIN before the reset');
    expect(peer!.bytes.length).to.equal(base);
    const [f] = faultRecords();
    expect(f).to.include({ fault: 'reset', session: 'c1', pn: 3, op: 3, opName: 'submit' });
    expect(outFrames()).to.have.length(0);
    const close = mock!.transcript.ofKind('session-close')[0];
    expect(close?.reason).to.equal('fault reset: connection reset (TCP RST)');
    expect(showTranscript(mock!.transcript).join('\n')).to.include(
      'fault reset instead of answering submit 003',
    );
  });

  it('half-close: no answer, the server FIN, and it keeps reading', async () => {
    const base = await start('{ kind: half-close }');
    peer!.send(SUBMIT);
    await peer!.waitEnded();
    expect(peer!.bytes.length).to.equal(base);
    expect(faultRecords()[0]).to.include({ fault: 'half-close', pn: 3, op: 3 });
    expect(mock!.sessions()).to.have.length(1, 'the session stays open for reading');
    // The server still reads (and records) what the client sends; it can answer nothing.
    peer!.send({ op: Op.Alive, pn: 5, params: [] });
    await until(
      () => mock!.transcript.frames({ dir: 'in' }).some((f) => f.op === Op.Alive),
      3000,
      () => 'the alive to be read',
    );
    await peer!.quiet();
    expect(peer!.bytes.length).to.equal(base);
    peer!.socket.end();
    await until(
      () => mock!.sessions().length === 0,
      3000,
      () => 'the session to close',
    );
    expect(mock!.transcript.ofKind('session-close')[0]?.reason).to.equal(
      'remote closed the connection',
    );
  });

  it('no timer outlives a session closed in the middle of a split answer', async () => {
    await start(`{ kind: split, size: 1, gap: 1s, answer: { respond: { timestamp: "${TS}" } } }`);
    peer!.send(SUBMIT);
    await peer!.waitBytes(1);
    const during = clock.pending;
    peer!.destroy();
    await until(
      () => mock!.sessions().length === 0,
      3000,
      () => 'the session to close',
    );
    expect(during).to.be.greaterThan(clock.pending);
    expect(clock.pending).to.equal(0);
  });
});
