import { expect } from 'chai';
import { Op } from '../../../src/protocol/operations.js';
import type { SubmitCompletedEvent } from '../../../src/server/events.js';
import type { Responder, TerminalStep } from '../../../src/server/ports.js';
import { SmscServer } from '../../../src/server/smsc-server.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { TranscriptRecorder } from '../../../src/transcript/recorder.js';
import { MemorySink } from '../../../src/transcript/sinks.js';
import type { TranscriptRecord } from '../../../src/transcript/record.js';
import { loggedIn, tick, type Peer } from '../../helpers/duplex.js';

const PART1 = '<STX>03:003<TAB>021:123<TAB>023:9<TAB>032:050003070201<TAB>033:Hello <TAB><ETX>';
const PART2 = (pn: string): string =>
  `<STX>03:${pn}<TAB>021:123<TAB>023:9<TAB>032:050003070202<TAB>033:world<TAB><ETX>`;

/**
 * Multipart submits whose last part is not answered positively: no `assembled` record and no
 * `submit-completed` event claims the message was accepted.
 */
describe('assembled only for messages answered positively', () => {
  let clock: ManualClock;
  let server: SmscServer;
  let sink: MemorySink;
  let completed: SubmitCompletedEvent[];
  /** Answers for the next submits, in order; a positive answer when empty. */
  let submitAnswers: TerminalStep[];

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    submitAnswers = [];
    const responder: Responder = {
      decide: (ctx) => {
        const step =
          ctx.frame.op === Op.Submit
            ? (submitAnswers.shift() ?? { kind: 'respond' })
            : { kind: 'respond' as const };
        return { steps: [step], afterwards: [], ruleId: 'r', explanation: step.kind };
      },
    };
    server = new SmscServer({ clock, responder, multipartTtlMs: 60_000 });
    sink = new MemorySink();
    new TranscriptRecorder(sink, { clock }).attach(server);
    completed = [];
    server.on('submit-completed', (e) => completed.push(e));
  });

  afterEach(async () => {
    await server.close({ graceMs: 0 });
  });

  const kinds = (): string[] => sink.records.map((r) => r.kind);
  const assembled = (): Extract<TranscriptRecord, { kind: 'assembled' }>[] =>
    sink.records.filter(
      (r): r is Extract<TranscriptRecord, { kind: 'assembled' }> => r.kind === 'assembled',
    );
  const ts = (frame: { params: readonly { code: number; value: string }[] }): string =>
    frame.params.find((p) => p.code === 60)!.value;

  async function firstPartAccepted(): Promise<{ peer: Peer; t1: string }> {
    const { peer } = await loggedIn(server);
    peer.send(PART1);
    const a1 = await peer.next();
    expect(a1.op).to.equal(53);
    return { peer, t1: ts(a1) };
  }

  it('records exactly one assembled message when both parts are answered positively', async () => {
    const { peer, t1 } = await firstPartAccepted();
    peer.send(PART2('005'));
    const a2 = await peer.next();
    expect(assembled()).to.have.length(1);
    expect(assembled()[0]).to.deep.include({
      text: 'Hello world',
      parts: 2,
      packetNumbers: [3, 5],
      timestamps: [t1, ts(a2)],
    });
    expect(completed).to.have.length(1);
    expect(completed[0]!.timestamps).to.deep.equal([t1, ts(a2)]);
  });

  for (const [name, op, step] of [
    ['an error', 53, { kind: 'error', code: 8, text: 'Teleservice not provisioned' }],
    ['a nack', 99, { kind: 'nack' }],
    ['a general error', 98, { kind: 'generalError', code: 2 }],
  ] as const) {
    it(`records no assembled message when the last part gets ${name}`, async () => {
      const { peer } = await firstPartAccepted();
      submitAnswers.push(step);
      peer.send(PART2('005'));
      const a2 = await peer.next();
      expect(a2.op).to.equal(op);
      expect(a2.params.some((p) => p.code === 60)).to.equal(false);
      await tick();
      expect(assembled()).to.have.length(0);
      expect(completed).to.have.length(0);
      expect(kinds().at(-1)).to.equal('frame');
    });
  }

  it('records no assembled message when the last part is dropped, and the set expires', async () => {
    const { peer } = await firstPartAccepted();
    submitAnswers.push({ kind: 'drop' });
    peer.send(PART2('005'));
    await tick();
    expect(peer.unread).to.equal(0);
    expect(assembled()).to.have.length(0);
    await clock.advance(60_000);
    expect(assembled()).to.have.length(0);
    expect(completed).to.have.length(0);
    const expired = sink.records.filter((r) => r.kind === 'multipart-expired');
    expect(expired).to.have.length(1);
    expect(expired[0]).to.deep.include({ total: 2, received: [1, 2] });
  });

  it('records no assembled message when the last part is answered by a disconnect', async () => {
    const { peer } = await firstPartAccepted();
    submitAnswers.push({ kind: 'disconnect' });
    peer.send(PART2('005'));
    await peer.whenEnded();
    await tick();
    expect(kinds()).to.include('session-close');
    expect(assembled()).to.have.length(0);
    expect(completed).to.have.length(0);
  });

  it('records no assembled message for a refused single-part message', async () => {
    const { peer } = await loggedIn(server);
    submitAnswers.push({ kind: 'error', code: 8 });
    peer.send('<STX>03:003<TAB>021:123<TAB>033:x<TAB><ETX>');
    expect((await peer.next()).params.find((p) => p.code === 900)?.value).to.equal('8');
    await tick();
    expect(assembled()).to.have.length(0);
    expect(completed).to.have.length(0);
  });

  it('assembles once when the client resends a refused last part and it is accepted', async () => {
    const { peer, t1 } = await firstPartAccepted();
    submitAnswers.push({ kind: 'error', code: 8 });
    peer.send(PART2('005'));
    expect((await peer.next()).params.some((p) => p.code === 900)).to.equal(true);
    peer.send(PART2('007'));
    const a2 = await peer.next();
    expect(a2.op).to.equal(53);
    expect(assembled()).to.have.length(1);
    expect(assembled()[0]).to.deep.include({ packetNumbers: [3, 7], timestamps: [t1, ts(a2)] });
    expect(completed).to.have.length(1);
  });

  it('does not complete a message whose first part was refused, though the last was accepted', async () => {
    const { peer } = await loggedIn(server);
    submitAnswers.push({ kind: 'error', code: 8 });
    peer.send(PART1);
    await peer.next();
    peer.send(PART2('005'));
    expect((await peer.next()).op).to.equal(53);
    expect(assembled()).to.have.length(0);
    expect(completed).to.have.length(0);
  });
});
