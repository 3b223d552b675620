import type { Clock } from '../util/clock.js';

/**
 * ThrottleRate: at most `rate` server-sent messages per second, evenly spaced
 * (one every 1000/rate ms). 0 = unlimited. `reserve()` is synchronous: it books the next slot and
 * returns how long the caller must wait before sending (0 when it may send now), so the hot path
 * stays free of promises when no throttle is set.
 */
export class Throttle {
  private readonly clock: Clock;
  private intervalMs = 0;
  private next = 0;
  private currentRate = 0;

  constructor(clock: Clock, rate = 0) {
    this.clock = clock;
    this.rate = rate;
  }

  get rate(): number {
    return this.currentRate;
  }

  set rate(value: number) {
    if (!Number.isFinite(value) || value < 0)
      throw new RangeError(`throttle rate must be ≥ 0, got ${value}`);
    this.currentRate = value;
    this.intervalMs = value === 0 ? 0 : 1000 / value;
  }

  /** Books a send slot; returns the delay in ms before it (0 = now). */
  reserve(): number {
    if (this.intervalMs === 0) return 0;
    const now = this.clock.now();
    const at = Math.max(now, this.next);
    this.next = at + this.intervalMs;
    return at - now;
  }
}
