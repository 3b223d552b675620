import { expect } from 'chai';
import {
  MAX_TIMER_MS,
  longTimeout,
  offsetClock,
  systemClock,
  type TimerPrimitives,
} from '../../../src/util/clock.js';

/** Timer primitives driven by hand: `run()` fires the armed timer. */
function fakeTimers(): TimerPrimitives<number> & {
  armed: number[];
  pending: Map<number, () => void>;
  run(): void;
} {
  const pending = new Map<number, () => void>();
  const armed: number[] = [];
  let next = 0;
  return {
    armed,
    pending,
    set(fn, ms) {
      armed.push(ms);
      pending.set(++next, fn);
      return next;
    },
    clear(t) {
      pending.delete(t);
    },
    run() {
      const first = [...pending][0];
      if (first === undefined) throw new Error('no timer armed');
      pending.delete(first[0]);
      first[1]();
    },
  };
}

describe('clock: delays beyond one Node timer', () => {
  it('splits a delay above 2^31-1 ms into timers of at most that length and fires once at the end', () => {
    const timers = fakeTimers();
    let fired = 0;
    const total = 3 * MAX_TIMER_MS + 5;
    longTimeout(timers, () => fired++, total);
    for (let i = 0; i < 3; i++) {
      expect(fired).to.equal(0);
      timers.run();
    }
    expect(fired).to.equal(0);
    timers.run();
    expect(fired).to.equal(1);
    expect(timers.armed).to.deep.equal([MAX_TIMER_MS, MAX_TIMER_MS, MAX_TIMER_MS, 5]);
    expect(timers.armed.reduce((a, b) => a + b)).to.equal(total);
  });

  it('cancels a chain between two of its timers', () => {
    const timers = fakeTimers();
    let fired = 0;
    const t = longTimeout(timers, () => fired++, 2 * MAX_TIMER_MS);
    timers.run();
    t.cancel();
    expect(timers.pending.size).to.equal(0);
    expect(fired).to.equal(0);
  });

  it('treats a negative or NaN delay as 0 and never fires an infinite one', () => {
    const timers = fakeTimers();
    longTimeout(timers, () => undefined, -5);
    longTimeout(timers, () => undefined, Number.NaN);
    expect(timers.armed).to.deep.equal([0, 0]);
    const inf = fakeTimers();
    let fired = 0;
    longTimeout(inf, () => fired++, Infinity);
    for (let i = 0; i < 10; i++) inf.run();
    expect(fired).to.equal(0);
    expect(inf.armed.every((ms) => ms === MAX_TIMER_MS)).to.equal(true);
  });

  it('systemClock does not fire a 2^31 ms timer early (Node alone fires it after 1 ms)', async () => {
    let fired = false;
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.name);
    };
    process.on('warning', onWarning);
    const clocks = [systemClock, offsetClock(0)];
    const handles = clocks.map((c) =>
      c.setTimeout(() => {
        fired = true;
      }, 2 ** 31),
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(fired).to.equal(false);
      expect(warnings).to.not.include('TimeoutOverflowWarning');
    } finally {
      handles.forEach((h, i) => {
        clocks[i]!.clearTimeout(h);
      });
      process.off('warning', onWarning);
    }
  });

  it('systemClock still fires short timers and clears them', async () => {
    let fired = 0;
    const cleared = systemClock.setTimeout(() => fired++, 1);
    systemClock.clearTimeout(cleared);
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 5));
    expect(fired).to.equal(0);
  });
});
