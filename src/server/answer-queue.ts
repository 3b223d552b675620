/**
 * Ordered answer slots of one session. Every inbound request takes a slot; answers leave in the
 * order the requests arrived: an answer that is ready (a delay ran out) waits for earlier slots.
 * A slot filled with no frames (a drop) releases the ones behind it, so an unanswered request
 * never holds back later ones. Backpressure: while `maxPending` slots are unfilled, the queue
 * asks its output to pause reading, and to resume once fewer are.
 */
import type { Frame } from '../protocol/frame.js';
import type { Fault } from './faults.js';
import type { RequestContext } from './ports.js';
import type { PartTicket } from './reassembler.js';

export interface AnswerSlot {
  readonly pn: number;
  readonly op: number;
  done: boolean;
  frames: Frame[];
  after: (() => void) | undefined;
  /** A request held for an answer through the component API (manual mode). */
  held?: RequestContext;
  /** The submit's place in its multipart set. */
  ticket?: PartTicket;
  /** A `fault` step: the frames leave distorted (set before the slot is filled). */
  fault?: Fault;
}

/** Where answers go and how reading is paused. */
export interface AnswerOutput {
  write(frame: Frame): void;
  /** Writes a slot's frames with its fault (without it, they are written plainly). */
  fault?(slot: AnswerSlot, fault: Fault): void;
  pause(): void;
  resume(): void;
  /** False once the session is closing: reading is not resumed then. */
  readonly open: boolean;
}

export class AnswerQueue {
  private readonly slots: AnswerSlot[] = [];
  private head = 0;
  private unfilled = 0;
  private paused = false;
  private readonly maxPending: number;
  private readonly output: AnswerOutput;

  constructor(maxPending: number, output: AnswerOutput) {
    this.maxPending = maxPending;
    this.output = output;
  }

  /** Slots whose frames have not been written yet. */
  get pending(): number {
    return this.slots.length - this.head;
  }

  /** Slots held in memory, written ones not yet let go included. */
  get slotsKept(): number {
    return this.slots.length;
  }

  /** Slots not answered yet (filled ones waiting for earlier slots do not count). */
  get unanswered(): number {
    return this.unfilled;
  }

  /** Takes the next slot for a request with `pn` and `op`. */
  open(pn: number, op: number): AnswerSlot {
    const slot: AnswerSlot = { pn, op, done: false, frames: [], after: undefined };
    this.slots.push(slot);
    this.unfilled++;
    if (this.unfilled >= this.maxPending && !this.paused) {
      this.paused = true;
      this.output.pause();
    }
    return slot;
  }

  /** Takes a slot and fills it at once (answers to malformed or unexpected frames). */
  answerNow(pn: number, op: number, frames: Frame[]): void {
    this.fill(this.open(pn, op), frames);
  }

  /**
   * Fills `slot` (once; later calls are ignored) and writes every answer that is now first in
   * line. `after` runs right after the slot's frames are written.
   */
  fill(slot: AnswerSlot, frames: Frame[], after?: () => void): void {
    if (slot.done) return;
    slot.done = true;
    slot.frames = frames;
    slot.after = after;
    this.unfilled--;
    this.flush();
  }

  /** The first unanswered slot of a request `pn`/`op`, or undefined. */
  find(pn: number, op: number): AnswerSlot | undefined {
    for (let i = this.head; i < this.slots.length; i++) {
      const slot = this.slots[i];
      if (slot !== undefined && !slot.done && slot.pn === pn && slot.op === op) return slot;
    }
    return undefined;
  }

  private flush(): void {
    while (this.head < this.slots.length) {
      const slot = this.slots[this.head];
      if (!slot?.done) break;
      this.head++;
      if (slot.fault === undefined || this.output.fault === undefined)
        for (const f of slot.frames) this.output.write(f);
      else this.output.fault(slot, slot.fault);
      slot.after?.();
    }
    // Written slots are let go at once when the queue is empty (the usual case: a stop-and-wait
    // client, or every answer of a read written): a slot holds its frames and its multipart
    // ticket (the message's text and addresses), which an idle session kept alive for minutes
    // among up to 64 written slots, promoted into the old generation at 5,000 sessions.
    if (this.head === this.slots.length) {
      this.slots.length = 0;
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.slots.length) {
      this.slots.splice(0, this.head);
      this.head = 0;
    }
    if (this.paused && this.unfilled < this.maxPending && this.output.open) {
      this.paused = false;
      this.output.resume();
    }
  }
}
