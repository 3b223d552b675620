/**
 * Server-initiated misbehaviour over real TCP with a ManualClock: a status report before the
 * submit's answer (`beforeAnswer`), reports and delivers sent twice (`duplicate`: same content,
 * a new packet number), and faults on their first transmission (bad-checksum, split, trickle)
 * with the clean resend after the ack timeout.
 */
import { expect } from 'chai';
import { createMockSmsc, type MockSmsc } from '../../src/mock-smsc.js';
import { Op } from '../../src/protocol/operations.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import type { FrameRecord } from '../../src/transcript/record.js';
import { RawPeer, until } from '../helpers/raw-peer.js';
import { wire, withChecksum } from '../helpers/wire.js';
import { assertValidRecord } from '../unit/transcript/helpers.js';

const TS = '260101120000';
const SUBMIT = {
  op: Op.Submit,
  pn: 3,
  params: [
    { code: 21, value: '123' },
    { code: 33, value: 'hi' },
  ],
};
const ANSWER = withChecksum(`<STX>53:003<TAB>021:123<TAB>060:${TS}<TAB><ETX>`);
const report = (pn: string, discharged = TS): Buffer =>
  withChecksum(`<STX>23:${pn}<TAB>021:123<TAB>060:${TS}<TAB>061:4<TAB>063:${discharged}<TAB><ETX>`);
const latin1 = (b: Buffer): string => b.toString('latin1');

function rule(afterwards: string): string {
  return `version: 1
rules:
  - when: { op: submit }
    then: [ { respond: { timestamp: "${TS}" } } ]
    afterwards:
      - ${afterwards}
`;
}

describe('server messages that misbehave (real TCP, manual clock)', function () {
  this.timeout(20_000);
  let mock: MockSmsc | undefined;
  let peer: RawPeer | undefined;
  let clock: ManualClock;

  afterEach(async () => {
    for (const r of mock?.transcriptAll.records ?? []) assertValidRecord(r);
    peer?.destroy();
    peer = undefined;
    await mock?.stop();
    mock = undefined;
  });

  async function start(yaml: string, autoAck = true): Promise<number> {
    clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
    mock = await createMockSmsc({ scenario: { yaml }, port: 0, clock });
    peer = await RawPeer.connect(mock.port, clock, autoAck);
    await peer.client.login('u', 'p');
    await peer.waitBytes(1);
    return peer.bytes.length;
  }

  const serverRequests = (): FrameRecord[] =>
    mock!.transcript.frames({ dir: 'out' }).filter((f) => f.op < 50);

  it('beforeAnswer: the status report goes out before the submit response', async () => {
    const base = await start(rule('statusReport: { beforeAnswer: true }'));
    peer!.send(SUBMIT);
    const both = Buffer.concat([report('000'), ANSWER]);
    await peer!.waitBytes(base + both.length);
    expect(latin1(peer!.bytesFrom(base))).to.equal(latin1(both));
    // The client's 73 answers it like any report.
    await until(
      () => mock!.transcript.frames({ dir: 'in' }).some((f) => f.op === 73),
      3000,
      () => 'the 73',
    );
    const fired = mock!.transcript.ofKind('fired');
    expect(fired[0]?.action).to.deep.include({ kind: 'statusReport', beforeAnswer: true });
    const outs = mock!.transcript.frames({ dir: 'out' }).map((f) => f.op);
    expect(outs).to.deep.equal([51, 23, 53]);
  });

  it('duplicate statusReport: the same report twice, the second with a new packet number', async () => {
    const base = await start(rule('statusReport: { after: 1s, duplicate: true }'));
    peer!.send(SUBMIT);
    await peer!.waitBytes(base + ANSWER.length);
    await clock.advance(1000);
    const two = Buffer.concat([report('000', '260101120001'), report('002', '260101120001')]);
    await peer!.waitBytes(base + ANSWER.length + two.length);
    expect(latin1(peer!.bytesFrom(base + ANSWER.length))).to.equal(latin1(two));
    const reqs = serverRequests();
    expect(reqs.map((r) => r.pn)).to.deep.equal([0, 2]);
    expect(reqs[0]?.params).to.deep.equal(reqs[1]?.params);
  });

  it('duplicate deliver from a schedule item: same content, new packet number', async () => {
    const base = await start(
      'version: 1\nschedule:\n  - after: 1s\n    deliver: { from: "555", to: "123", text: "hello", duplicate: true }\n',
    );
    await clock.advance(1000);
    await until(
      () => serverRequests().length === 2,
      3000,
      () => 'two delivers',
    );
    const [a, b] = serverRequests();
    expect([a?.op, a?.pn, b?.op, b?.pn]).to.deep.equal([20, 0, 20, 2]);
    expect(a?.params).to.deep.equal(b?.params);
    expect(a!.raw.slice(8, -3)).to.equal(b!.raw.slice(8, -3), 'the same parameter bytes');
    expect(peer!.bytes.length).to.be.greaterThan(base);
  });

  it('a bad-checksum status report, then the clean resend with the same pn after the ack timeout', async () => {
    // The test client ignores a frame with a bad checksum, as a strict client would.
    const base = await start(rule('statusReport: { after: 0ms, fault: { kind: bad-checksum } }'));
    peer!.send(SUBMIT);
    await peer!.waitBytes(base + ANSWER.length);
    await clock.advance(0);
    const good = report('000');
    const cs = parseInt(latin1(good.subarray(-3, -1)), 16);
    const badCs = ((cs + 1) & 0xff).toString(16).toUpperCase().padStart(2, '0');
    const bad = wire(
      `<STX>23:000<TAB>021:123<TAB>060:${TS}<TAB>061:4<TAB>063:${TS}<TAB>${badCs}<ETX>`,
    );
    await peer!.waitBytes(base + ANSWER.length + bad.length);
    expect(latin1(peer!.bytesFrom(base + ANSWER.length))).to.equal(latin1(bad));
    await clock.advance(10_000);
    await peer!.waitBytes(base + ANSWER.length + bad.length + good.length);
    expect(latin1(peer!.bytesFrom(base + ANSWER.length + bad.length))).to.equal(latin1(good));
    const reqs = serverRequests();
    expect(reqs.map((r) => [r.pn, r.fault, r.checksum])).to.deep.equal([
      [0, 'bad-checksum', 'invalid'],
      [0, undefined, 'valid'],
    ]);
  });

  it('a split deliver: pieces `gap` apart; a trickled status report at bytesPerSecond', async () => {
    const base = await start(
      rule(
        'deliver: { from: "555", to: "123", text: "hi", fault: { kind: split, size: 16, gap: 30ms } }',
      ) + '      - statusReport: { after: 0ms, fault: { kind: trickle, bytesPerSecond: 1000 } }\n',
    );
    peer!.send(SUBMIT);
    await peer!.waitBytes(base + ANSWER.length);
    await clock.advance(0);
    await peer!.waitBytes(base + ANSWER.length + 16);
    await peer!.quiet();
    expect(peer!.bytes.length - base - ANSWER.length).to.equal(16);
    const deliver = serverRequests()[0]!;
    expect(deliver).to.include({ op: 20, fault: 'split' });
    const size = deliver.raw.length;
    await clock.advance(30);
    await peer!.waitBytes(base + ANSWER.length + 32);
    // To the last piece exactly: the clock stands still while the client answers.
    await clock.advance(30 * (Math.ceil(size / 16) - 2));
    await peer!.waitBytes(base + ANSWER.length + size);
    expect(latin1(peer!.bytesFrom(base + ANSWER.length).subarray(0, size))).to.equal(deliver.raw);
    // The report waits for the deliver's answer (window 1), then trickles a byte per ms.
    await until(
      () => serverRequests().length === 2,
      3000,
      () => 'the report',
    );
    const r = report('002');
    const at = base + ANSWER.length + size;
    await peer!.waitBytes(at + 1);
    await clock.advance(r.length - 2);
    await peer!.quiet();
    expect(peer!.bytes.length - at).to.equal(r.length - 1);
    await clock.advance(1);
    await peer!.waitBytes(at + r.length);
    expect(latin1(peer!.bytesFrom(at))).to.equal(latin1(r));
    expect(serverRequests()[1]).to.include({ fault: 'trickle', raw: latin1(r) });
  });
});
