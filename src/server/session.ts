/**
 * One CIMD2 connection: the read loop, writing, the manual-mode answer and close. The rest has
 * its own part: what each inbound frame gets (its one decode, the state check, the decision
 * and its execution) is request-flow.ts, the application's answer to a held request is
 * manual-answer.ts; answers leave through the ordered `AnswerQueue` (answer-queue.ts, with
 * backpressure), server requests through the `OutboundWindow` (outbound-window.ts, with
 * resends), answers are built by the table in answers.ts, and the keep-alive, login and idle
 * limits live in session-timers.ts.
 *
 * Guarantees: every out frame is emitted as `frame-out`, in wire order; while the frames of one
 * socket read are handled, the recorded events wait until their answers are written (answer
 * first, signals.ts) and go out in the same job;
 * every timer is owned by the session's TimerSet and cleared on close.
 *
 * Bounds (README "Limits"): the decoder holds less than `maxFrameLength` bytes; at most
 * `maxPendingRequests` answers wait before reading stops (plus the frames of the chunk being
 * decoded); unread output above `maxWriteBufferBytes` aborts the connection; at most
 * `maxOutstanding` server requests are queued or in flight; a session without a successful
 * login after `loginTimeoutMs`, or silent for `idleTimeoutMs`, is closed; a closing session that
 * cannot flush its output within `lingerMs` is destroyed; after the client's FIN (half-close) the
 * answers still due are sent within `lingerMs`, then the session closes.
 */
import type { Duplex } from 'node:stream';
import { FrameDecoder, type DecodeResult } from '../protocol/decoder.js';
import { encodeFrame } from '../protocol/encoder.js';
import type { Frame } from '../protocol/frame.js';
import { Op } from '../protocol/operations.js';
import { CimdError } from '../protocol/status-codes.js';
import { SessionClosedError } from '../errors.js';
import { deferred } from '../util/deferred.js';
import { AnswerQueue } from './answer-queue.js';
import { errorParams } from './answers.js';
import type { CloseReason } from './events.js';
import { answerHeld } from './manual-answer.js';
import { FaultWire } from './fault-wire.js';
import type { OutboundFault } from './faults.js';
import { DEFAULT_IDLE_TIMEOUT_MS } from './options.js';
import { OutboundWindow } from './outbound-window.js';
import type { SessionInfo } from './ports.js';
import { RequestFlow } from './request-flow.js';
import type { ServerParts } from './session-parts.js';
import type { Session, SessionState } from './session-types.js';
import { SessionTimers } from './session-timers.js';
import { TimerSet } from './timer-set.js';

export type { Session, SessionState, OutboundResult } from './session-types.js';
export { clip901, errorParams } from './answers.js';
export type { ResolvedSessionOptions } from './options.js';

/** The server's parts a session works with (one object shared by every session). */
export type SessionParts = ServerParts<ServerSession>;

export class ServerSession implements Session {
  readonly id: string;
  readonly remote: string;
  readonly remoteHost: string;
  readonly remotePort: number;
  readonly openedAt: number;
  /** Server requests (20, 23, 40) of this session. */
  readonly outbound: OutboundWindow;
  private readonly parts: SessionParts;
  private readonly stream: Duplex;
  private readonly decoder: FrameDecoder;
  private readonly timers: TimerSet;
  private readonly life: SessionTimers;
  private readonly answers: AnswerQueue;
  private readonly flow: RequestFlow<ServerSession>;
  private stateValue: SessionState = 'connected';
  private userValue: string | undefined;
  private infoValue: SessionInfo;
  private closeReason: CloseReason | undefined;
  /** The client half-closed (FIN) while answers were due: they are still sent, then the session closes. */
  private inputEnded = false;
  private readonly closedDeferred = deferred<CloseReason>();
  /** The output of faulted frames and shaped traffic (fault-wire.ts), made on first need. */
  private wire: FaultWire | undefined;

  constructor(parts: SessionParts, stream: Duplex, id: string, host: string, port: number) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- for the getters of the parts' links
    const self = this;
    this.parts = parts;
    this.stream = stream;
    this.id = id;
    this.remoteHost = host;
    this.remotePort = port;
    this.remote = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    this.openedAt = parts.clock.now();
    this.infoValue = { id, user: undefined, remote: this.remote };
    const { options, signals } = parts;
    this.decoder = new FrameDecoder({ maxFrameLength: options.maxFrameLength });
    this.timers = new TimerSet(parts.clock);
    this.answers = new AnswerQueue(options.maxPendingRequests, {
      write: (frame) => {
        this.writeFrame(frame);
      },
      fault: (slot, fault) => {
        this.faultWire().answer(slot, slot.frames, fault);
      },
      pause: () => stream.pause(),
      resume: () => stream.resume(),
      get open() {
        return self.isOpen;
      },
    });
    this.outbound = new OutboundWindow(this, options, {
      timers: this.timers,
      throttle: parts.throttle,
      signals,
    });
    this.life = new SessionTimers(
      this,
      {
        keepAliveMs: parts.keepAliveMs,
        aliveTimeoutMs: options.aliveTimeoutMs,
        loginTimeoutMs: options.loginTimeoutMs,
        idleTimeoutMs: () =>
          options.idleTimeoutMs ?? Math.max(DEFAULT_IDLE_TIMEOUT_MS, 2 * parts.keepAliveMs()),
      },
      { clock: parts.clock, timers: this.timers, outbound: this.outbound, signals },
    );
    const life = this.life;
    this.flow = new RequestFlow<ServerSession>(this, parts, {
      answers: this.answers,
      timers: this.timers,
      touch: () => {
        life.touch();
      },
      loggedIn: (user) => {
        this.markLoggedIn(user);
      },
      answerGiven: () => {
        this.answerGiven();
      },
    });
  }

  get info(): SessionInfo {
    return this.infoValue;
  }

  get user(): string | undefined {
    return this.userValue;
  }

  get state(): SessionState {
    return this.stateValue;
  }

  get isOpen(): boolean {
    return this.stateValue === 'connected' || this.stateValue === 'authenticated';
  }

  get closed(): Promise<CloseReason> {
    return this.closedDeferred.promise;
  }

  get reason(): CloseReason | undefined {
    return this.closeReason;
  }

  get outstanding(): number {
    return this.outbound.outstanding;
  }

  get bufferedBytes(): number {
    return this.decoder.bufferedBytes;
  }

  get pendingAnswers(): number {
    return this.answers.pending;
  }

  get idle(): boolean {
    return this.answers.unanswered === 0 && this.outbound.outstanding === 0;
  }

  /** Starts reading the stream and arms the timers. */
  start(): void {
    this.stream.on('data', (chunk: Buffer) => {
      this.onData(chunk);
    });
    this.stream.on('end', () => {
      this.onInputEnd();
    });
    this.stream.on('error', (err: NodeJS.ErrnoException) => {
      const errno = typeof err.errno === 'number' ? Math.abs(err.errno) : 1;
      this.close({ code: errno === 0 ? 1 : errno, text: err.message });
    });
    this.stream.on('close', () => {
      this.close({ code: 0, text: 'connection closed' });
    });
    this.life.start();
  }

  /** Re-arms the keep-alive timer (KeepAliveInterval changed). */
  armKeepAlive(): void {
    this.life.armKeepAlive();
  }

  // ---------------------------------------------------------------- read loop

  private onData(chunk: Buffer): void {
    if (!this.isOpen) return;
    let results: DecodeResult[];
    try {
      results = this.decoder.push(chunk);
    } catch (error) {
      this.parts.signals.error(error);
      this.close({ code: -1, text: 'decoder failure' });
      return;
    }
    // Several frames in one chunk (pipelining): their answers leave in one socket write. The
    // records of the chunk are written after the answers (signals.ts: answer first).
    const cork = results.length > 1;
    const { signals } = this.parts;
    signals.hold();
    if (cork) this.stream.cork();
    try {
      for (const result of results) if (!this.guarded(result)) return;
    } finally {
      if (cork) this.stream.uncork();
      signals.release();
    }
  }

  /** Handles one result (false: stop reading the chunk); a throw is a bug, not peer behaviour: 98/6 and close this session. */
  private guarded(result: DecodeResult): boolean {
    // A result may close the session (logout, frame overflow): stop at once.
    if (!this.isOpen) return false;
    try {
      this.flow.onResult(result);
      return true;
    } catch (error) {
      this.parts.signals.error(error);
      const pn = result.ok ? result.frame.pn : (result.pn ?? 0);
      const params = errorParams(CimdError.GeneralSystemError);
      this.writeFrame({ op: Op.GeneralError, pn, params });
      const text = `internal error: ${error instanceof Error ? error.message : String(error)}`;
      this.close({ code: -1, text });
      return false;
    }
  }

  private markLoggedIn(user: string): void {
    this.userValue = user;
    this.stateValue = 'authenticated';
    this.infoValue = { id: this.id, user, remote: this.remote };
    this.outbound.useCounter(this.parts.registry.loggedIn(this, user));
    this.life.loggedIn();
    this.parts.signals.emit('logged-in', this.infoValue);
    this.parts.scheduler.loggedIn(this);
  }

  /**
   * Answers a request held for the application (manual mode), or writes `frame` at once when no
   * such request is pending. Used by the component API's send…Response methods.
   */
  answer(frame: Frame): void {
    if (!this.isOpen) throw new SessionClosedError(`session ${this.id} is closed`);
    const filled = answerHeld(frame, {
      answers: this.answers,
      store: this.parts.store,
      write: (f) => {
        this.writeFrame(f);
      },
      loggedIn: (user) => {
        this.markLoggedIn(user);
      },
    });
    if (filled) this.answerGiven();
  }

  // -------------------------------------------------------------- writing

  /** Encodes and writes one frame now (no ordering, no window). */
  writeFrame(frame: Frame): void {
    if (this.stateValue === 'closed') return;
    this.writeRaw(frame, encodeFrame(frame, { checksum: this.parts.options.checksum }));
  }

  /** Writes pre-encoded bytes for `frame` (cimd2SendRAW). */
  writeRaw(frame: Frame, raw: Buffer): void {
    if (this.stateValue === 'closed') return;
    if (this.wire !== undefined || this.parts.faults.shaping) {
      this.faultWire().send(frame, raw);
      return;
    }
    this.put(frame, raw);
  }

  /** Writes a server request (deliver, status report) with a fault (its first transmission). */
  writeFaulted(frame: Frame, fault: OutboundFault): void {
    if (this.stateValue === 'closed') return;
    this.faultWire().request(frame, fault);
  }

  private faultWire(): FaultWire {
    if (this.wire !== undefined) return this.wire;
    const { parts } = this;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the wire reads the session's live state
    const self = this;
    this.wire = new FaultWire(
      {
        id: this.id,
        get isOpen() {
          return self.isOpen;
        },
        stream: this.stream,
        recordOut: (frame, raw, fault) => {
          parts.signals.emit('frame-out', this.infoValue, frame, raw, fault);
          if (parts.signals.tracing)
            parts.signals.trace(this.id, this.remote, 'out', frame.op, raw);
        },
        put: (frame, raw) => {
          this.put(frame, raw);
        },
        encode: (frame) => encodeFrame(frame, { checksum: parts.options.checksum }),
        close: (reason, options) => {
          this.close(reason, options);
        },
        overflow: () => {
          this.overflow();
        },
        maxWriteBufferBytes: parts.options.maxWriteBufferBytes,
      },
      {
        clock: parts.clock,
        timers: this.timers,
        faults: parts.faults,
        emitFault: (event) => {
          parts.signals.emit('fault', event);
        },
      },
    );
    return this.wire;
  }

  /** Records and writes `raw` now. */
  private put(frame: Frame, raw: Buffer): void {
    const { signals, options } = this.parts;
    signals.emit('frame-out', this.infoValue, frame, raw);
    if (signals.tracing) signals.trace(this.id, this.remote, 'out', frame.op, raw);
    this.stream.write(raw);
    const max = options.maxWriteBufferBytes;
    if (this.stream.writableLength > max) this.overflow();
  }

  /** The peer does not read, so the queued bytes would never flush: abort. */
  private overflow(): void {
    const max = this.parts.options.maxWriteBufferBytes;
    const text = `client does not read: over ${max} bytes waiting`;
    this.parts.signals.limitReached(
      'maxWriteBufferBytes',
      max,
      `session aborted: ${text}`,
      this.id,
    );
    this.close({ code: -1, text }, { abort: true });
  }

  // ---------------------------------------------------------------- closing

  /**
   * The client's FIN. A client may half-close right after its requests and still read: the
   * answers still due (delayed, throttled or held ones) are sent, then the session closes with
   * `client half-closed; answers sent`; after `lingerMs` it closes anyway. Only answers wait:
   * server requests (status reports, MOs) are not waited for. A stream that cannot stay
   * half-open (its writable side ends with the readable one) closes at once.
   */
  private onInputEnd(): void {
    if (!this.isOpen) return;
    if (this.answers.pending === 0 || !this.stream.allowHalfOpen || this.stream.writableEnded) {
      this.close({ code: 0, text: 'remote closed the connection' });
      return;
    }
    this.inputEnded = true;
    this.life.inputEnded();
    const ms = this.parts.options.lingerMs;
    this.timers.after(ms, () => {
      const left = this.answers.pending;
      const text = `client half-closed; ${left} answer${left === 1 ? '' : 's'} not sent within lingerMs (${ms} ms)`;
      this.parts.signals.limitReached('lingerMs', ms, `session closed: ${text}`, this.id);
      this.close({ code: -1, text });
    });
  }

  /** An answer slot was filled: after a half-close, close once every answer is written. */
  private answerGiven(): void {
    if (!this.inputEnded || this.answers.pending > 0 || !this.isOpen) return;
    this.close({ code: 0, text: 'client half-closed; answers sent' });
  }

  close(reason: CloseReason, options: { abort?: boolean; reset?: boolean } = {}): void {
    if (this.stateValue === 'closed') return;
    if (options.abort !== true) this.wire?.flushNow();
    this.stateValue = 'closed';
    this.closeReason = reason;
    this.timers.clear();
    this.wire?.closed();
    this.life.stopped();
    this.outbound.rejectAll(new SessionClosedError(`session ${this.id} closed: ${reason.text}`));
    if (!this.stream.destroyed) {
      if (options.reset === true && 'resetAndDestroy' in this.stream) {
        // A TCP RST at once (a net.Socket; other streams are destroyed).
        (this.stream as { resetAndDestroy(): void }).resetAndDestroy();
      } else if (
        // (A stream whose output already finished, after a half-close fault, has nothing to flush.)
        options.abort === true ||
        options.reset === true ||
        this.stream.writableFinished
      ) {
        this.stream.destroy();
      } else {
        // Let queued bytes (a 52, a 98) reach the peer, then release the stream; a peer that
        // stops reading gets `lingerMs`, then the stream is destroyed anyway.
        const stream = this.stream;
        const clock = this.parts.clock;
        const linger = clock.setTimeout(() => stream.destroy(), this.parts.options.lingerMs);
        const release = (): void => {
          clock.clearTimeout(linger);
          stream.destroy();
        };
        stream.once('finish', release);
        stream.once('close', release);
        stream.end();
      }
    }
    const { registry, scheduler, signals } = this.parts;
    registry.remove(this);
    scheduler.sessionClosed(this);
    signals.emit('session-closed', this.infoValue, reason);
    signals.emit('tcp-disconnected', this.id, reason);
    this.closedDeferred.resolve(reason);
  }
}
