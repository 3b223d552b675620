/**
 * The figures of `GET /stats` that come from the traffic: submit frames received in each second,
 * error answers sent, ack timeouts. The recorder counts them as it writes the records they come
 * from (a few operations per frame), so a poll of `/stats` costs the same at 10 sessions and at
 * 5,000, and never reads the transcript back (reading a quarter second of traffic at 5,000
 * sessions had stalled the event loop for milliseconds per poll).
 *
 * Their meaning is the records': a submit is a `frame` record `in` with op 03 (each part of a
 * multipart message, and a submit the scenario refused), counted in the second of its `ts`; an
 * error answer is a `frame` record `out` with op 98 or 99, or a response (op above 50) whose
 * `errorCode` field is not 0; an ack timeout is an `ack-timeout` record. The inbox index derives
 * the same figures from the records (`MessageIndex.counters`); a test compares both.
 */
import type { Frame } from '../protocol/frame.js';
import { Param } from '../protocol/parameters.js';
import type { FrameRecord } from './record.js';

/** Seconds of submit counts kept. */
const MAX_SECONDS = 300;
/** An `errorCode` value as the record's fields read it (strict integer notation). */
const INT = /^-?\d{1,9}$/;

export interface TrafficFigures {
  /** Submit frames in each of the 60 seconds up to `now` (oldest first; the last is in progress). */
  readonly submitsPerSecond: number[];
  readonly errorAnswers: number;
  readonly ackTimeouts: number;
}

export class TrafficTally {
  private errorAnswers = 0;
  private ackTimeouts = 0;
  /** Submit counts of earlier seconds (at most MAX_SECONDS, oldest dropped first). */
  private readonly perSecond = new Map<number, number>();
  /** The second submits are counted in now, and its count so far. */
  private second = NaN;
  private count = 0;

  /** A frame record: `ms` is its time (the clock's milliseconds since the epoch). */
  frame(dir: 'in' | 'out', frame: Frame, ms: number): void {
    const op = frame.op;
    if (dir === 'in') {
      if (op === 3) this.submit(ms);
      return;
    }
    if (op === 98 || op === 99) this.errorAnswers++;
    else if (op > 50 && errorCodeOf(frame) !== 0) this.errorAnswers++;
  }

  /** A frame record given whole (`TranscriptRecorder.record('frame', …)`: recorded from code). */
  frameRecord(r: FrameRecord): void {
    if (r.dir === 'in') {
      if (r.op === 3) this.submit(Date.parse(r.ts));
      return;
    }
    if (r.op === 98 || r.op === 99 || (r.op > 50 && (r.fields.errorCode ?? 0) !== 0))
      this.errorAnswers++;
  }

  /** An `ack-timeout` record. */
  ackTimeout(): void {
    this.ackTimeouts++;
  }

  /** The figures at `now` (ms since the epoch). */
  figures(now: number): TrafficFigures {
    const last = Math.floor(now / 1000);
    const submitsPerSecond: number[] = [];
    for (let t = last - 59; t <= last; t++)
      submitsPerSecond.push(t === this.second ? this.count : (this.perSecond.get(t) ?? 0));
    return { submitsPerSecond, errorAnswers: this.errorAnswers, ackTimeouts: this.ackTimeouts };
  }

  private submit(ms: number): void {
    if (!Number.isFinite(ms)) return;
    const second = Math.floor(ms / 1000);
    if (second === this.second) {
      this.count++;
      return;
    }
    // Another second (records come in time order; a clock set back starts a new count too).
    if (!Number.isNaN(this.second)) this.keep(this.second, this.count);
    this.second = second;
    this.count = (this.perSecond.get(second) ?? 0) + 1;
    this.perSecond.delete(second);
  }

  private keep(second: number, count: number): void {
    this.perSecond.set(second, count);
    if (this.perSecond.size > MAX_SECONDS) {
      const oldest = this.perSecond.keys().next();
      if (oldest.done !== true) this.perSecond.delete(oldest.value);
    }
  }
}

/** The frame's error code as its record's `errorCode` field has it (0 when it has none). */
function errorCodeOf(frame: Frame): number {
  for (const p of frame.params)
    if (p.code === Param.ErrorCode && INT.test(p.value)) return Number(p.value);
  return 0;
}
