import { formatTimestamp, parseTimestamp } from '../protocol/values.js';
import type { Clock } from '../util/clock.js';

/**
 * Allocates 060 service centre time stamps so that (060, destination) is never handed out twice
 * (docs/protocol.md#absolute-times, #kannel-deliver-and-status-report): the 060 has 1-second resolution and is the DLR key
 * together with the destination, so a second submit to the same destination in the same second
 * gets the next free second.
 */
export class TimestampAllocator {
  private readonly clock: Clock;
  private readonly timeZone: string;
  /** destination → last second (epoch seconds) handed out. */
  private readonly last = new Map<string, number>();
  private readonly pruneAbove: number;
  private pruneAt: number;
  /** Latest second handed out by `allocate` (how far 060 may run ahead of the clock). */
  private highest = -Infinity;
  /** Floor of the next default 063 (epoch seconds), so 063s never go backwards. */
  private lastDischarge = -Infinity;

  constructor(clock: Clock, options: { timeZone?: string; pruneAbove?: number } = {}) {
    this.clock = clock;
    this.timeZone = options.timeZone ?? 'UTC';
    this.pruneAbove = options.pruneAbove ?? 10_000;
    this.pruneAt = this.pruneAbove;
  }

  /** A fresh 060 for `destination`; unique for that destination over the allocator's life. */
  allocate(destination: string): string {
    const nowSec = Math.floor(this.clock.now() / 1000);
    const prev = this.last.get(destination);
    const sec = prev === undefined || prev < nowSec ? nowSec : prev + 1;
    this.last.set(destination, sec);
    if (sec > this.highest) this.highest = sec;
    if (this.last.size > this.pruneAt) {
      this.prune(nowSec);
      // Entries of the current second cannot go: grow the threshold so pruning stays amortised.
      this.pruneAt = Math.max(this.pruneAbove, this.last.size * 2);
    }
    return formatTimestamp(sec * 1000, this.timeZone);
  }

  /** Records a 060 fixed by a scenario so allocation never repeats it for that destination. */
  reserve(destination: string, epochSeconds: number): void {
    const prev = this.last.get(destination);
    if (prev === undefined || prev < epochSeconds) this.last.set(destination, epochSeconds);
  }

  /** Destinations remembered (those whose last 060 may still collide). */
  get size(): number {
    return this.last.size;
  }

  /** The current time as yymmddhhmmss in the allocator's time zone. */
  now(): string {
    return formatTimestamp(this.clock.now(), this.timeZone);
  }

  /**
   * The default 063 (discharge time) of a status report about the message whose 060 is
   * `messageTimestamp`: the clock, but never before that 060 (which `allocate` may have moved
   * ahead of the clock) and never before an earlier default 063, so reports read in the order
   * they were sent have non-decreasing 063s. A 060 beyond every second this allocator handed
   * out (fixed by a scenario or given to the control API) lifts only its own report's 063.
   * A 060 that is not a time is ignored.
   */
  dischargeTime(messageTimestamp: string): string {
    const nowSec = Math.floor(this.clock.now() / 1000);
    let messageSec = -Infinity;
    try {
      messageSec = Math.floor(parseTimestamp(messageTimestamp, this.timeZone).getTime() / 1000);
    } catch {
      /* not a yymmddhhmmss time: only the clock counts */
    }
    const sec = Math.max(nowSec, messageSec, this.lastDischarge);
    this.lastDischarge = Math.max(
      this.lastDischarge,
      Math.min(sec, Math.max(nowSec, this.highest)),
    );
    return formatTimestamp(sec * 1000, this.timeZone);
  }

  /** Entries in the past can go: the current second is unique for them anyway. */
  private prune(nowSec: number): void {
    for (const [dest, sec] of this.last) if (sec < nowSec) this.last.delete(dest);
  }
}
