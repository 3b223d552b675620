/** Every timer one session owns, so that closing the session clears them all at once. */
import type { Clock, TimerHandle } from '../util/clock.js';

/** Timers owned by one session; `clear()` cancels every one still pending. */
export class TimerSet {
  private readonly clock: Clock;
  private readonly handles = new Set<TimerHandle>();

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Runs `fn` after `ms` unless cancelled or cleared first. */
  after(ms: number, fn: () => void): TimerHandle {
    const handle = this.clock.setTimeout(() => {
      this.handles.delete(handle);
      fn();
    }, ms);
    this.handles.add(handle);
    return handle;
  }

  cancel(handle: TimerHandle): void {
    this.handles.delete(handle);
    this.clock.clearTimeout(handle);
  }

  clear(): void {
    for (const t of this.handles) this.clock.clearTimeout(t);
    this.handles.clear();
  }

  /** Timers pending. */
  get size(): number {
    return this.handles.size;
  }
}
