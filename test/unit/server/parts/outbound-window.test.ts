/** OutboundWindow: pn allocation, window, resends and ack timeouts, with a ManualClock. */
import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import type { Frame } from '../../../../src/protocol/frame.js';
import type { ServerEvents } from '../../../../src/server/events.js';
import { OutboundWindow } from '../../../../src/server/outbound-window.js';
import { TimerSet } from '../../../../src/server/timer-set.js';
import { ServerSignals } from '../../../../src/server/signals.js';
import { Throttle } from '../../../../src/server/throttle.js';
import { ManualClock } from '../../../../src/testing/manual-clock.js';

function harness(
  options: Partial<{ window: number; maxResends: number; maxOutstanding: number }> = {},
) {
  const clock = new ManualClock(0);
  const emitter = new EventEmitter<ServerEvents>();
  const signals = new ServerSignals(emitter, () => 'local');
  const sent: Frame[] = [];
  const owner = {
    id: 'c1',
    info: { id: 'c1', user: 'u', remote: 'r' },
    isOpen: true,
    writeFrame: (f: Frame) => sent.push(f),
  };
  const window = new OutboundWindow(
    owner,
    {
      window: options.window ?? 1,
      ackTimeoutMs: 1000,
      maxResends: options.maxResends ?? 1,
      maxOutstanding: options.maxOutstanding ?? 10,
    },
    { timers: new TimerSet(clock), throttle: new Throttle(clock, 0), signals },
  );
  return { clock, emitter, sent, window, owner };
}

describe('OutboundWindow', () => {
  it('sends one request at a time with even packet numbers from the counter', async () => {
    const { sent, window } = harness();
    const counter = { next: 252 };
    window.useCounter(counter);
    const first = window.request(20, []);
    const second = window.request(20, []);
    const third = window.request(20, []);
    expect(sent.map((f) => f.pn)).to.deep.equal([252]);
    window.onResponse({ op: 70, pn: 252, params: [] });
    expect(sent.map((f) => f.pn)).to.deep.equal([252, 254]);
    window.onResponse({ op: 70, pn: 254, params: [] });
    window.onResponse({ op: 70, pn: 0, params: [] });
    const results = await Promise.all([first, second, third]);
    expect(results.map((r) => [r.pn, r.acknowledged, r.attempts])).to.deep.equal([
      [252, true, 1],
      [254, true, 1],
      [0, true, 1],
    ]);
    expect(counter.next).to.equal(2);
  });

  it('resends with the same pn after ackTimeoutMs, then gives up with ack-timeout', async () => {
    const { clock, emitter, sent, window } = harness({ maxResends: 1 });
    const timeouts: number[] = [];
    emitter.on('ack-timeout', (_s, _f, attempts) => timeouts.push(attempts));
    const result = window.request(23, [{ code: 21, value: '1' }]);
    await clock.advance(1000);
    expect(sent.map((f) => f.pn)).to.deep.equal([0, 0]);
    await clock.advance(1000);
    expect(await result).to.deep.equal({ pn: 0, acknowledged: false, errorCode: 0, attempts: 2 });
    expect(timeouts).to.deep.equal([2]);
    expect(window.outstanding).to.equal(0);
  });

  it('a 99 is answered by a resend; a 98 resolves unacknowledged with its 900', async () => {
    const { sent, window } = harness({ maxResends: 2 });
    const r = window.request(20, []);
    window.onResponse({ op: 99, pn: 0, params: [] });
    expect(sent).to.have.length(2);
    window.onResponse({ op: 98, pn: 0, params: [{ code: 900, value: '4' }] });
    expect(await r).to.deep.include({ acknowledged: false, errorCode: 4, attempts: 2 });
  });

  it('reports responses that answer nothing in flight as unexpected', () => {
    const { emitter, window } = harness();
    const unexpected: number[] = [];
    emitter.on('unexpected-response', (_s, f) => unexpected.push(f.pn));
    window.onResponse({ op: 70, pn: 8, params: [] });
    expect(unexpected).to.deep.equal([8]);
  });

  it('refuses over maxOutstanding with LimitError and limit-reached, all parts or none', async () => {
    const { emitter, window } = harness({ maxOutstanding: 2 });
    const limits: string[] = [];
    emitter.on('limit-reached', (e) => limits.push(e.limit));
    void window.request(20, []).catch(() => undefined);
    expect(window.capacityError(2)?.message).to.match(/maxOutstanding \(2\)/);
    expect(window.capacityError(1)).to.equal(undefined);
    void window.request(20, []).catch(() => undefined);
    const err = await window.request(20, []).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error).name).to.equal('LimitError');
    expect(limits).to.deep.equal(['maxOutstanding', 'maxOutstanding']);
    expect(window.outstanding).to.equal(2);
  });

  it('rejectAll() rejects queued and in-flight requests', async () => {
    const { window } = harness();
    const a = window.request(20, []);
    const b = window.request(20, []);
    window.rejectAll(new Error('gone'));
    const out = await Promise.allSettled([a, b]);
    expect(out.map((o) => o.status)).to.deep.equal(['rejected', 'rejected']);
    expect(window.outstanding).to.equal(0);
  });
});
