/**
 * The output of one session once faults are involved: faulted answers and server requests
 * (plans from faults.ts) and, while the server's connection faults shape traffic, every frame
 * (latency, bandwidth). Frames leave in the order they were given: a frame written in pieces
 * (split, trickle, bandwidth) holds back the ones after it, so bytes never interleave.
 *
 * A session gets its wire on its first faulted frame or when connection faults are set; without
 * either, frames never come here (the session writes them itself).
 *
 * Recording: the `frame-out` of a frame is emitted when its first byte is written, with every
 * byte it sends as `raw` and its fault kind; a reset or half-close is a `fault` event instead.
 * Bounds: bytes waiting here count against `maxWriteBufferBytes` like the socket's; every timer
 * is the session's (cleared on close), so nothing outlives the session.
 */
import type { Duplex } from 'node:stream';
import type { Frame } from '../protocol/frame.js';
import type { Clock } from '../util/clock.js';
import type { ConnectionFaults } from './connection-faults.js';
import type { CloseReason, FaultEvent } from './events.js';
import {
  planFault,
  tricklePieces,
  type Fault,
  type FaultEnding,
  type FaultPiece,
  type OutboundFault,
} from './faults.js';
import type { TimerSet } from './timer-set.js';

/** The session a wire writes for. */
export interface WireOwner {
  readonly id: string;
  readonly isOpen: boolean;
  readonly stream: Duplex;
  /** Emits `frame-out` (and the trace) for `raw` about to be written. */
  recordOut(frame: Frame, raw: Buffer, fault?: string): void;
  /** Writes a whole frame now, recorded (the session's plain write). */
  put(frame: Frame, raw: Buffer): void;
  /** Encodes a frame as the session does (its checksum option). */
  encode(frame: Frame): Buffer;
  close(reason: CloseReason, options?: { abort?: boolean }): void;
  /** Aborts the session: output waits beyond `maxWriteBufferBytes`. */
  overflow(): void;
  readonly maxWriteBufferBytes: number;
}

export interface WireParts {
  readonly clock: Clock;
  readonly timers: TimerSet;
  readonly faults: ConnectionFaults;
  emitFault(event: FaultEvent): void;
}

interface Job {
  readonly frame: Frame;
  readonly raw: Buffer;
  readonly fault: Fault['kind'] | undefined;
  /** Own pacing (split, trickle); undefined: whole, or paced by the bandwidth. */
  readonly pieces: readonly FaultPiece[] | undefined;
  readonly ending: FaultEnding | undefined;
  readonly readyAt: number;
  /** The request a reset or half-close leaves unanswered. */
  readonly request?: { readonly pn: number; readonly op: number };
}

export class FaultWire {
  private readonly owner: WireOwner;
  private readonly parts: WireParts;
  private readonly queue: Job[] = [];
  private queuedBytes = 0;
  private busy = false;
  /** After a half-close: nothing more is written. */
  private ended = false;
  /** Clock time before which the next frame may not start (latency order, bandwidth budget). */
  private nextAt = 0;
  /** The frame being written in pieces: its pieces and the next one's index. */
  private current: { readonly pieces: readonly FaultPiece[]; next: number } | undefined;

  constructor(owner: WireOwner, parts: WireParts) {
    this.owner = owner;
    this.parts = parts;
  }

  /** Frames waiting to be written. */
  get pending(): number {
    return this.queue.length;
  }

  /** A frame without a fault of its own (shaped by latency and bandwidth, if set). */
  send(frame: Frame, raw: Buffer): void {
    if (this.ended) return;
    if (!this.busy && this.queue.length === 0 && !this.parts.faults.shaping) {
      this.owner.put(frame, raw);
      return;
    }
    this.enqueue({
      frame,
      raw,
      fault: undefined,
      pieces: undefined,
      ending: undefined,
      readyAt: this.readyAt(),
    });
  }

  /** A faulted answer: `frames` as the rule would answer the request `pn`/`op`. */
  answer(request: { pn: number; op: number }, frames: readonly Frame[], fault: Fault): void {
    if (this.ended) return;
    const encode = (f: Frame): Buffer => this.owner.encode(f);
    for (const plan of planFault(frames, fault, request, encode)) {
      const own = fault.kind === 'split' || fault.kind === 'trickle';
      this.enqueue({
        frame: plan.frame,
        raw: plan.raw,
        fault: fault.kind,
        pieces: own ? plan.pieces : undefined,
        ending: plan.ending,
        readyAt: this.readyAt(),
        request,
      });
    }
  }

  /** A faulted server request (deliver, status report). */
  request(frame: Frame, fault: OutboundFault): void {
    this.answer({ pn: frame.pn, op: frame.op - 50 }, [frame], fault);
  }

  /**
   * The session closes in order (a logout, a scenario disconnect): what waits — the rest of a
   * frame being written in pieces, frames held by latency or bandwidth — is written now, so the
   * last answers are not lost (reset and half-close endings are left out).
   */
  flushNow(): void {
    const { stream } = this.owner;
    if (this.ended || !this.owner.isOpen || stream.destroyed || stream.writableEnded) return;
    const current = this.current;
    this.current = undefined;
    if (current !== undefined)
      for (const p of current.pieces.slice(current.next)) this.owner.stream.write(p.bytes);
    for (const job of this.queue.splice(0)) {
      if (job.raw.length === 0) continue;
      this.owner.recordOut(job.frame, job.raw, job.fault);
      this.owner.stream.write(job.raw);
    }
    this.queuedBytes = 0;
  }

  /** The session closed: what waits is dropped (its timers are the session's, cleared). */
  closed(): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.current = undefined;
    this.busy = false;
  }

  private readyAt(): number {
    const latency = this.parts.faults.latencyMs();
    return latency > 0 ? this.parts.clock.now() + latency : 0;
  }

  private enqueue(job: Job): void {
    this.queue.push(job);
    this.queuedBytes += job.raw.length;
    if (this.queuedBytes > this.owner.maxWriteBufferBytes) {
      this.owner.overflow();
      return;
    }
    this.pump();
  }

  private pump(): void {
    if (this.busy || !this.owner.isOpen) return;
    const job = this.queue[0];
    if (job === undefined) return;
    const now = this.parts.clock.now();
    const at = Math.max(job.readyAt, this.nextAt);
    this.busy = true;
    if (at > now)
      this.parts.timers.after(at - now, () => {
        this.start(job);
      });
    else this.start(job);
  }

  private start(job: Job): void {
    this.queue.shift();
    this.queuedBytes -= job.raw.length;
    if (!this.owner.isOpen || this.ended) {
      this.busy = false;
      return;
    }
    const bandwidth = this.parts.faults.bytesPerSecond;
    const pieces =
      job.pieces ??
      (bandwidth !== undefined && job.raw.length > 0
        ? tricklePieces(job.raw, bandwidth)
        : [{ atMs: 0, bytes: job.raw }]);
    const startedAt = this.parts.clock.now();
    this.nextAt =
      bandwidth !== undefined && job.pieces === undefined
        ? startedAt + Math.ceil((job.raw.length * 1000) / bandwidth)
        : 0;
    if (job.raw.length > 0) this.owner.recordOut(job.frame, job.raw, job.fault);
    this.piece(job, pieces, 0, startedAt);
  }

  private piece(job: Job, pieces: readonly FaultPiece[], i: number, startedAt: number): void {
    if (!this.owner.isOpen) return;
    const p = pieces[i];
    if (p === undefined) {
      this.current = undefined;
      this.finish(job);
      return;
    }
    this.current = { pieces, next: i };
    const wait = startedAt + p.atMs - this.parts.clock.now();
    if (wait > 0) {
      this.parts.timers.after(wait, () => {
        this.piece(job, pieces, i, startedAt);
      });
      return;
    }
    if (p.bytes.length > 0) this.owner.stream.write(p.bytes);
    this.piece(job, pieces, i + 1, startedAt);
  }

  private finish(job: Job): void {
    this.busy = false;
    const { owner } = this;
    switch (job.ending) {
      case 'close':
        // Frames behind it are not sent: the connection ends here.
        this.queue.length = 0;
        this.queuedBytes = 0;
        owner.close({ code: 0, text: `fault ${job.fault ?? ''}: connection closed after it` });
        return;
      case 'reset': {
        this.emit(job, 'reset');
        const socket = owner.stream as Duplex & { resetAndDestroy?: () => void };
        if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
        else socket.destroy();
        owner.close({ code: 0, text: 'fault reset: connection reset (TCP RST)' }, { abort: true });
        return;
      }
      case 'half-close':
        this.emit(job, 'half-close');
        this.ended = true;
        this.queue.length = 0;
        this.queuedBytes = 0;
        owner.stream.end();
        return;
      case undefined:
        this.pump();
    }
  }

  private emit(job: Job, fault: 'reset' | 'half-close'): void {
    this.parts.emitFault({
      session: this.owner.id,
      fault,
      ...(job.request !== undefined ? { pn: job.request.pn, op: job.request.op } : {}),
    });
  }
}
