/**
 * Server-initiated requests of one session (20, 23, 40): a window of `window` requests awaiting
 * their answer (default 1; Kannel is stop-and-wait), packet numbers from the user's counter
 * (even, 000–254, shared by the user's sessions, never restarting at 000), spacing by
 * ThrottleRate, and resends: each request waits `ackTimeoutMs` for its 70/73/90, then is sent
 * again with the SAME packet number (Kannel acks a duplicate without processing it twice), up to
 * `maxResends` times; a 99 (NACK) is answered by a resend at once. At most `maxOutstanding`
 * requests are queued or in flight.
 */
import type { Frame, Parameter } from '../protocol/frame.js';
import { getParam } from '../protocol/frame.js';
import { Op } from '../protocol/operations.js';
import { Param } from '../protocol/parameters.js';
import { CimdError } from '../protocol/status-codes.js';
import { LimitError, SessionClosedError } from '../errors.js';
import type { TimerHandle } from '../util/clock.js';
import { deferred, type Deferred } from '../util/deferred.js';
import type { OutboundFault } from './faults.js';
import type { OutboundResult } from './session-types.js';
import type { TimerSet } from './timer-set.js';
import type { SessionInfo } from './ports.js';
import type { ServerSignals } from './signals.js';
import type { Throttle } from './throttle.js';

/** Server packet-number counter shared by the sessions of one user (never restarts at 000). */
export interface PnCounter {
  next: number;
}

export interface OutboundOptions {
  readonly window: number;
  readonly ackTimeoutMs: number;
  readonly maxResends: number;
  readonly maxOutstanding: number;
}

/** The session a window belongs to (ServerSession). */
export interface WindowOwner {
  readonly id: string;
  readonly info: SessionInfo;
  readonly isOpen: boolean;
  /** Writes one frame now. */
  writeFrame(frame: Frame): void;
  /** Writes one frame with a fault (without it, the frame is written plainly). */
  writeFaulted?(frame: Frame, fault: OutboundFault): void;
}

/** Per-request overrides (the keep-alive's 40 uses them). */
export interface RequestOptions {
  /** Fixed packet number (taken from the counter when it is in flight already). */
  readonly pn?: number;
  readonly ackTimeoutMs?: number;
  readonly maxResends?: number;
  /** Spaced by ThrottleRate (default true). */
  readonly throttled?: boolean;
  /** Exempt from maxOutstanding. */
  readonly unlimited?: boolean;
  /** The first transmission goes out with this fault (resends go out clean). */
  readonly fault?: OutboundFault;
}

interface Item {
  readonly op: number;
  readonly params: readonly Parameter[];
  readonly fixedPn: number | undefined;
  readonly ackTimeoutMs: number;
  readonly maxResends: number;
  readonly throttled: boolean;
  readonly fault: OutboundFault | undefined;
  pn: number;
  attempts: number;
  timer: TimerHandle | undefined;
  readonly done: Deferred<OutboundResult>;
}

export class OutboundWindow {
  private readonly queue: Item[] = [];
  private readonly inFlight = new Map<number, Item>();
  private counter: PnCounter = { next: 0 };
  private readonly link: WindowOwner;
  private readonly options: OutboundOptions;
  private readonly timers: TimerSet;
  private readonly throttle: Throttle;
  private readonly signals: ServerSignals;

  constructor(
    owner: WindowOwner,
    options: OutboundOptions,
    parts: {
      readonly timers: TimerSet;
      readonly throttle: Throttle;
      readonly signals: ServerSignals;
    },
  ) {
    this.link = owner;
    this.options = options;
    this.timers = parts.timers;
    this.throttle = parts.throttle;
    this.signals = parts.signals;
  }

  /** Takes packet numbers from `counter` from now on (the user's, after login). */
  useCounter(counter: PnCounter): void {
    this.counter = counter;
  }

  /** Requests queued or waiting for their answer. */
  get outstanding(): number {
    return this.queue.length + this.inFlight.size;
  }

  /**
   * The LimitError for queuing `count` more requests, or undefined when they fit under
   * `maxOutstanding`. Emits `limit-reached` when they do not.
   */
  capacityError(count = 1): LimitError | undefined {
    const max = this.options.maxOutstanding;
    if (this.outstanding + count <= max) return undefined;
    const message = `session ${this.link.id} has ${this.outstanding} server requests outstanding; ${count} more would exceed maxOutstanding (${max})`;
    this.signals.limitReached('maxOutstanding', max, `not sent: ${message}`, this.link.id);
    return new LimitError(message, 'maxOutstanding', max);
  }

  /**
   * Queues a request. Resolves when the client answered or the resends ran out; rejects with
   * SessionClosedError if the session closes first, and with LimitError (nothing sent) when
   * `maxOutstanding` requests are already queued or in flight (unless `unlimited`).
   */
  request(
    op: number,
    params: readonly Parameter[],
    options: RequestOptions = {},
  ): Promise<OutboundResult> {
    if (!this.link.isOpen)
      return Promise.reject(new SessionClosedError(`session ${this.link.id} is closed`));
    if (options.unlimited !== true) {
      const full = this.capacityError(1);
      if (full !== undefined) return Promise.reject(full);
    }
    const item: Item = {
      op,
      params,
      fixedPn: options.pn,
      ackTimeoutMs: options.ackTimeoutMs ?? this.options.ackTimeoutMs,
      maxResends: options.maxResends ?? this.options.maxResends,
      throttled: options.throttled ?? true,
      fault: options.fault,
      pn: -1,
      attempts: 0,
      timer: undefined,
      done: deferred<OutboundResult>(),
    };
    this.queue.push(item);
    this.pump();
    return item.done.promise;
  }

  /** Handles a response frame (op ≥ 50, 98, 99) from the client. */
  onResponse(frame: Frame): void {
    const item = this.inFlight.get(frame.pn);
    const matches =
      item !== undefined &&
      (frame.op === item.op + 50 || frame.op === Op.GeneralError || frame.op === Op.Nack);
    if (item === undefined || !matches) {
      this.signals.emit('unexpected-response', this.link.info, frame);
      return;
    }
    if (frame.op === Op.Nack && item.attempts <= item.maxResends) {
      if (item.timer !== undefined) this.timers.cancel(item.timer);
      this.transmit(item);
      return;
    }
    this.inFlight.delete(frame.pn);
    if (item.timer !== undefined) this.timers.cancel(item.timer);
    const errorCode =
      frame.op === Op.Nack
        ? CimdError.SyntaxError
        : Number(getParam(frame, Param.ErrorCode) ?? '0') || 0;
    if (frame.op === Op.DeliverMessageResponse || frame.op === Op.DeliverStatusReportResponse)
      this.signals.emit('deliver-response', {
        clientId: this.link.id,
        pn: frame.pn,
        op: frame.op,
        errorCode,
      });
    item.done.resolve({
      pn: item.pn,
      acknowledged: frame.op === item.op + 50,
      errorCode,
      attempts: item.attempts,
    });
    this.pump();
  }

  /** Rejects every queued and in-flight request (the session closed). */
  rejectAll(error: Error): void {
    for (const item of this.inFlight.values()) item.done.reject(error);
    for (const item of this.queue) item.done.reject(error);
    this.inFlight.clear();
    this.queue.length = 0;
  }

  private pump(): void {
    while (this.link.isOpen && this.queue.length > 0 && this.inFlight.size < this.options.window) {
      const item = this.queue.shift();
      if (item === undefined) break;
      item.pn = item.fixedPn ?? this.takePn();
      // A pn still in flight cannot be reused; take the next one.
      if (this.inFlight.has(item.pn)) item.pn = this.takePn();
      this.inFlight.set(item.pn, item);
      const wait = item.throttled ? this.throttle.reserve() : 0;
      if (wait > 0)
        this.timers.after(wait, () => {
          this.transmit(item);
        });
      else this.transmit(item);
    }
  }

  private takePn(): number {
    const pn = this.counter.next;
    this.counter.next = pn >= 254 ? 0 : pn + 2;
    return pn;
  }

  private transmit(item: Item): void {
    if (!this.link.isOpen || this.inFlight.get(item.pn) !== item) return;
    item.attempts++;
    const frame = { op: item.op, pn: item.pn, params: item.params };
    if (item.fault !== undefined && item.attempts === 1 && this.link.writeFaulted !== undefined)
      this.link.writeFaulted(frame, item.fault);
    else this.link.writeFrame(frame);
    item.timer = this.timers.after(item.ackTimeoutMs, () => {
      item.timer = undefined;
      if (this.inFlight.get(item.pn) !== item) return;
      if (item.attempts <= item.maxResends) {
        this.transmit(item);
        return;
      }
      this.inFlight.delete(item.pn);
      const frame = { op: item.op, pn: item.pn, params: item.params };
      this.signals.emit('ack-timeout', this.link.info, frame, item.attempts);
      item.done.resolve({
        pn: item.pn,
        acknowledged: false,
        errorCode: 0,
        attempts: item.attempts,
      });
      this.pump();
    });
  }
}
