/**
 * The `/stats` traffic figures the recorder counts: submits per second by the record's time,
 * error answers as the records' `errorCode` field reads them, ack timeouts.
 */
import { expect } from 'chai';
import { encodeFrame } from '../../../src/protocol/encoder.js';
import type { Frame } from '../../../src/protocol/frame.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { TranscriptRecorder } from '../../../src/transcript/recorder.js';
import { MemorySink } from '../../../src/transcript/sinks.js';
import { TrafficTally } from '../../../src/transcript/traffic-tally.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const submit: Frame = { op: 3, pn: 1, params: [{ code: 21, value: '123' }] };
const answer = (op: number, ...errorCodes: string[]): Frame => ({
  op,
  pn: 1,
  params: errorCodes.map((value) => ({ code: 900, value })),
});
const total = (t: TrafficTally, now: number): number =>
  t.figures(now).submitsPerSecond.reduce((a, b) => a + b, 0);

describe('TrafficTally', () => {
  it('counts inbound submits in the second of their time, the last 60 seconds oldest first', () => {
    const t = new TrafficTally();
    t.frame('in', submit, T0 + 10);
    t.frame('in', submit, T0 + 999);
    t.frame('in', submit, T0 + 1000);
    t.frame('in', submit, T0 + 5_500);
    t.frame('out', submit, T0 + 5_500); // an outbound 03 is no submit
    t.frame('in', answer(1), T0 + 5_500); // nor another operation
    const per = t.figures(T0 + 5_999).submitsPerSecond;
    expect(per).to.have.length(60);
    expect(per.slice(-6)).to.deep.equal([2, 1, 0, 0, 0, 1]);
    // A minute later the first seconds have left the window.
    expect(total(t, T0 + 60_500)).to.equal(2);
    expect(total(t, T0 + 66_000)).to.equal(0);
  });

  it('keeps counting a second it returns to (a clock set back)', () => {
    const t = new TrafficTally();
    t.frame('in', submit, T0 + 2_000);
    t.frame('in', submit, T0 + 100);
    t.frame('in', submit, T0 + 2_100);
    t.frame('in', submit, T0 + 200);
    const per = t.figures(T0 + 2_500).submitsPerSecond;
    expect(per.slice(-3)).to.deep.equal([2, 0, 2]);
  });

  it('keeps 300 seconds of counts at most', () => {
    const t = new TrafficTally();
    for (let s = 0; s < 400; s++) t.frame('in', submit, T0 + s * 1000);
    expect(total(t, T0 + 399_000)).to.equal(60);
    // The seconds before the last 300 are gone even when asked for.
    expect(total(t, T0 + 59_000)).to.equal(0);
    expect(total(t, T0 + 159_000)).to.equal(60);
  });

  it('counts error answers as the records read them', () => {
    const t = new TrafficTally();
    t.frame('out', answer(98), T0);
    t.frame('out', answer(99, '0'), T0);
    t.frame('out', answer(53, '300'), T0);
    t.frame('out', answer(51, '-1'), T0);
    expect(t.figures(T0).errorAnswers).to.equal(4);
    // Not errors: code 0, no code, a value that is no integer (the record has no errorCode then),
    // a request the server sends (op 20), or an error code coming in.
    t.frame('out', answer(53, '0'), T0);
    t.frame('out', answer(53), T0);
    t.frame('out', answer(53, 'x12'), T0);
    t.frame('out', answer(20, '300'), T0);
    t.frame('in', answer(70, '300'), T0);
    t.frame('in', answer(98), T0);
    expect(t.figures(T0).errorAnswers).to.equal(4);
    // The first value in integer notation is the one (as the record's fields take it).
    t.frame('out', answer(53, 'x', '0', '300'), T0);
    t.frame('out', answer(53, 'x', '301', '0'), T0);
    expect(t.figures(T0).errorAnswers).to.equal(5);
  });

  it('counts ack timeouts', () => {
    const t = new TrafficTally();
    t.ackTimeout();
    t.ackTimeout();
    expect(t.figures(T0)).to.deep.include({ ackTimeouts: 2, errorAnswers: 0 });
  });
});

describe('TrafficTally in the recorder', () => {
  it('counts the frame records the recorder writes, whichever way they come', async () => {
    const clock = new ManualClock(T0 + 500);
    const recorder = new TranscriptRecorder(new MemorySink(), { clock });
    const raw = (f: Frame): Buffer => encodeFrame(f);
    recorder.recordFrame('c1', 'in', submit, raw(submit));
    await clock.advance(1000);
    recorder.recordFrame('c1', 'in', submit, raw(submit));
    const refused = answer(53, '300');
    recorder.recordFrame('c1', 'out', refused, raw(refused));
    // A frame record given whole (recorded from code), with the fields of its decode.
    recorder.record(
      'frame',
      {
        dir: 'in',
        op: 3,
        opName: 'submit',
        pn: 3,
        checksum: 'valid',
        params: [],
        fields: {},
        raw: '',
      },
      'c1',
    );
    recorder.record(
      'frame',
      {
        dir: 'out',
        op: 51,
        opName: 'login-response',
        pn: 1,
        checksum: 'valid',
        params: [],
        fields: { errorCode: 100 },
        raw: '',
      },
      'c1',
    );
    recorder.record('ack-timeout', { op: 20, opName: 'deliver', pn: 2, attempts: 1 }, 'c1');
    const f = recorder.traffic.figures(clock.now());
    expect(f.submitsPerSecond.slice(-2)).to.deep.equal([1, 2]);
    expect(f.errorAnswers).to.equal(2);
    expect(f.ackTimeouts).to.equal(1);
  });
});
