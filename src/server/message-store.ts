/**
 * The messages the server has accepted: the 060 allocator (unique per destination, see
 * timestamps.ts) and the status of each (060, destination) for enquiries (op 4) and reports.
 * Bounded: at most 100 000 messages (+ 10 000 slack, evicted in batches, oldest first).
 */
import { parseTimestamp } from '../protocol/values.js';
import type { Clock } from '../util/clock.js';
import { TimestampAllocator } from './timestamps.js';

const DEFAULT_LIMIT = 100_000;
const DEFAULT_SLACK = 10_000;

/** Status 061 "in process" (the status of a message just accepted). */
const IN_PROCESS = 1;

export class MessageStore {
  readonly timestamps: TimestampAllocator;
  private readonly timeZone: string;
  private readonly statuses = new Map<string, number>();
  private readonly limit: number;
  private readonly slack: number;

  constructor(clock: Clock, options: { timeZone?: string; limit?: number; slack?: number } = {}) {
    this.timeZone = options.timeZone ?? 'UTC';
    this.timestamps = new TimestampAllocator(clock, { timeZone: this.timeZone });
    this.limit = options.limit ?? DEFAULT_LIMIT;
    this.slack = options.slack ?? DEFAULT_SLACK;
  }

  /** A fresh 060 for a message to `destination` (never handed out twice for it). */
  allocate(destination: string): string {
    return this.timestamps.allocate(destination);
  }

  /** The server clock now as a 060/063 value. */
  now(): string {
    return this.timestamps.now();
  }

  /**
   * The default 063 of a report about the message with 060 `messageTimestamp`: the clock, never
   * before that 060 and never before an earlier default 063 (see TimestampAllocator).
   */
  dischargeTime(messageTimestamp: string): string {
    return this.timestamps.dischargeTime(messageTimestamp);
  }

  /** A 060 fixed by a scenario: allocation never repeats it for that destination. */
  reserve(destination: string, timestamp: string): void {
    try {
      this.timestamps.reserve(
        destination,
        Math.floor(parseTimestamp(timestamp, this.timeZone).getTime() / 1000),
      );
    } catch {
      /* a fixed 060 that is not a time is used as given */
    }
  }

  /** Records an accepted message (status 1, in process). */
  accepted(timestamp: string, destination: string): void {
    this.setStatus(timestamp, destination, IN_PROCESS);
  }

  /** Records the status a report announced for a message. */
  setStatus(timestamp: string, destination: string, status: number): void {
    const key = `${timestamp}\u0000${destination}`;
    if (this.statuses.has(key)) this.statuses.delete(key);
    this.statuses.set(key, status);
    // Evict in batches: deleting one oldest entry per insert walks an ever longer run of
    // deleted slots at the front of the Map (throughput halved after ~100k submits).
    if (this.statuses.size > this.limit + this.slack) {
      let excess = this.statuses.size - this.limit;
      for (const k of this.statuses.keys()) {
        if (excess-- <= 0) break;
        this.statuses.delete(k);
      }
    }
  }

  /** The last status of the message, or undefined when unknown (or evicted). */
  status(timestamp: string, destination: string): number | undefined {
    return this.statuses.get(`${timestamp}\u0000${destination}`);
  }

  /** Messages remembered. */
  get size(): number {
    return this.statuses.size;
  }
}
