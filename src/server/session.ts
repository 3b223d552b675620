/**
 * One CIMD2 connection: the read loop, the state check of each frame, executing the decision
 * for a request, and close. The rest has its own part: answers leave through the ordered
 * `AnswerQueue` (answer-queue.ts, with backpressure), server requests through the
 * `OutboundWindow` (outbound-window.ts, with resends), answers are built by the table in
 * answers.ts, and the keep-alive, login and idle limits live in session-timers.ts.
 *
 * Guarantees: every out frame is emitted as `frame-out` before it is written to the stream;
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
import { getParam } from '../protocol/frame.js';
import { Op, isRequestOp, opName, operationInfo } from '../protocol/operations.js';
import { Param } from '../protocol/parameters.js';
import { CimdError } from '../protocol/status-codes.js';
import { validateParameters } from '../protocol/validate.js';
import { ChecksumError, FrameTooLongError, SessionClosedError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { deferred } from '../util/deferred.js';
import { AnswerQueue, type AnswerSlot } from './answer-queue.js';
import { answerFor, errorFrames, errorParams, type Answer } from './answers.js';
import type { CloseReason } from './events.js';
import type { RequestDecider } from './manual-responder.js';
import type { MessageStore } from './message-store.js';
import { DEFAULT_IDLE_TIMEOUT_MS, type ResolvedSessionOptions } from './options.js';
import { OutboundWindow } from './outbound-window.js';
import type { Decision, RequestContext, SessionInfo, TerminalStep } from './ports.js';
import type { Reassembler } from './reassembler.js';
import type { SessionRegistry } from './registry.js';
import { decodeRequest, submittedPart, submitEvent, type DecodedRequest } from './request.js';
import type { Session, SessionState } from './session-types.js';
import { SessionTimers } from './session-timers.js';
import { TimerSet } from './timer-set.js';
import type { ServerSignals } from './signals.js';
import type { Throttle } from './throttle.js';

export type { Session, SessionState, OutboundResult } from './session-types.js';
export { clip901, errorParams } from './answers.js';
export type { ResolvedSessionOptions } from './options.js';

/** The server's parts a session works with (one object shared by every session). */
export interface SessionParts {
  readonly clock: Clock;
  readonly options: ResolvedSessionOptions;
  readonly signals: ServerSignals;
  readonly registry: SessionRegistry<ServerSession>;
  readonly store: MessageStore;
  readonly throttle: Throttle;
  readonly reassembler: Reassembler;
  /** Who answers requests now (the responder may be swapped at run time). */
  readonly decider: () => RequestDecider;
  /** KeepAliveInterval in ms (it may change at run time). */
  readonly keepAliveMs: () => number;
  /** Server-initiated work after decisions, and its end with the session. */
  readonly scheduler: {
    afterwards(
      session: ServerSession,
      request: RequestContext,
      decision: Decision,
      timestamp: string | undefined,
    ): void;
    loggedIn(session: ServerSession): void;
    sessionClosed(session: ServerSession): void;
  };
}

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
  private stateValue: SessionState = 'connected';
  private userValue: string | undefined;
  private infoValue: SessionInfo;
  private closeReason: CloseReason | undefined;
  /** The client half-closed (FIN) while answers were due: they are still sent, then the session closes. */
  private inputEnded = false;
  private readonly closedDeferred = deferred<CloseReason>();

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
    // Several frames in one chunk (pipelining): their answers leave in one socket write.
    const cork = results.length > 1;
    if (cork) this.stream.cork();
    try {
      for (const result of results) if (!this.guarded(result)) return;
    } finally {
      if (cork) this.stream.uncork();
    }
  }

  /** Handles one result (false: stop reading the chunk); a throw is a bug, not peer behaviour: 98/6 and close this session. */
  private guarded(result: DecodeResult): boolean {
    // A result may close the session (logout, frame overflow): stop at once.
    if (!this.isOpen) return false;
    try {
      this.onResult(result);
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

  /** The state check: which frames are answered how before any decision. */
  private onResult(result: DecodeResult): void {
    const { signals } = this.parts;
    signals.emit('frame-in', this.infoValue, result);
    if (signals.tracing)
      signals.trace(
        this.id,
        this.remote,
        'in',
        result.ok ? result.frame.op : (result.op ?? -1),
        result.raw,
      );
    this.life.touch();
    if (!result.ok) {
      const { error } = result;
      if (error instanceof FrameTooLongError) {
        const max = this.parts.options.maxFrameLength;
        signals.limitReached('maxFrameLength', max, `session closed: ${error.message}`, this.id);
        this.close({ code: -1, text: error.message });
        return;
      }
      const pn = result.pn ?? 0;
      const answer =
        error instanceof ChecksumError
          ? { op: Op.Nack, pn, params: [] }
          : { op: Op.GeneralError, pn, params: errorParams(error.cimdErrorCode) };
      this.answers.answerNow(pn, -1, [answer]);
      return;
    }
    const frame = result.frame;
    const info = operationInfo(frame.op);
    if (info?.isResponse === true || frame.op === Op.GeneralError || frame.op === Op.Nack) {
      this.outbound.onResponse(frame);
      return;
    }
    if (!isRequestOp(frame.op) || info?.sender === 'server') {
      signals.emit('raw', this.id, frame, result.raw);
      const params = errorParams(CimdError.UnexpectedOperation);
      this.answers.answerNow(frame.pn, frame.op, [{ op: Op.GeneralError, pn: frame.pn, params }]);
      return;
    }
    const invalid = validateParameters(frame);
    if (invalid !== undefined) {
      const params = errorParams(invalid.cimdErrorCode, invalid.message);
      this.answers.answerNow(frame.pn, frame.op, [{ op: Op.GeneralError, pn: frame.pn, params }]);
      return;
    }
    if ((this.stateValue === 'authenticated') === (frame.op === Op.Login)) {
      // A request before login, or a second login: the operation is unexpected here.
      const params = errorParams(CimdError.UnexpectedOperation);
      this.answers.answerNow(frame.pn, frame.op, [{ op: frame.op + 50, pn: frame.pn, params }]);
      return;
    }
    this.onRequest(frame, result.raw);
  }

  private onRequest(frame: Frame, raw: Buffer): void {
    const { signals, registry } = this.parts;
    const decoded = decodeRequest(frame);
    const forUser = frame.op === Op.Login ? decoded.fields.user : this.userValue;
    const ctx: RequestContext = {
      session: this.infoValue,
      frame,
      opName: opName(frame.op),
      fields: decoded.fields,
      now: this.parts.clock.now(),
      userSessions: forUser === undefined ? 0 : registry.userSessionCount(forUser, this),
    };
    const slot = this.answers.open(frame.pn, frame.op);
    const decider = this.parts.decider();
    // A held request may be answered from inside the event handler: the slot must be ready.
    const held = decider.holds(frame.op);
    if (held) slot.held = ctx;
    switch (frame.op) {
      case Op.Login:
        signals.emit('login', {
          clientId: this.id,
          pn: frame.pn,
          user: decoded.fields.user ?? '',
          password: decoded.fields.password ?? '',
          frame,
        });
        break;
      case Op.Submit:
        this.emitSubmit(frame, decoded, slot);
        if (decoded.userDataError !== undefined) {
          const err = decoded.userDataError;
          this.answers.fill(slot, errorFrames(ctx, err.code, err.message));
          return;
        }
        break;
      case Op.Logout:
      case Op.Alive:
        break;
      default:
        signals.emit('raw', this.id, frame, raw);
    }
    if (held || slot.done || !this.isOpen) return;
    const decision = decider.decide(ctx);
    signals.emit('decision', this.infoValue, ctx, decision);
    this.execute(ctx, slot, decision);
  }

  private emitSubmit(frame: Frame, decoded: DecodedRequest, slot: AnswerSlot): void {
    if (decoded.userDataError === undefined)
      slot.ticket = this.parts.reassembler.add(
        submittedPart(this.id, this.userValue, frame, decoded),
      );
    this.parts.signals.emit('submit', submitEvent(this.id, this.userValue, frame, decoded));
  }

  // ------------------------------------------------------------- decisions

  /** Delays through the clock, then the terminal step, then the afterwards timed from it. */
  private execute(ctx: RequestContext, slot: AnswerSlot, decision: Decision): void {
    let delayMs = 0;
    let terminal: TerminalStep | undefined;
    for (const step of decision.steps) {
      if (step.kind === 'delay') delayMs += step.ms;
      else {
        terminal = step;
        break;
      }
    }
    const step: TerminalStep = terminal ?? { kind: 'drop' };
    const run = (): void => {
      if (!this.isOpen) return;
      const timestamp = this.give(ctx, slot, this.answerOf(ctx, step));
      if (decision.afterwards.length > 0)
        this.parts.scheduler.afterwards(this, ctx, decision, timestamp);
    };
    if (delayMs > 0) this.timers.after(delayMs, run);
    else run();
  }

  private answerOf(ctx: RequestContext, step: TerminalStep): Answer {
    if (step.kind === 'respond' && ctx.frame.op === Op.Login) {
      const refusal = this.parts.registry.admitLogin(this, ctx.fields.user ?? '');
      if (refusal !== undefined) return { frames: errorFrames(ctx, refusal) };
    }
    return answerFor(ctx, step, this.parts.store);
  }

  /** Carries out an answer; returns the 060 of a positive submit answer. */
  private give(ctx: RequestContext, slot: AnswerSlot, answer: Answer): string | undefined {
    if (answer.login !== undefined) this.markLoggedIn(answer.login);
    const done = (): void => {
      this.answers.fill(
        slot,
        answer.frames,
        answer.closeAfter === true
          ? () => {
              this.close({ code: 0, text: 'logout' });
            }
          : undefined,
      );
      slot.ticket?.answered(answer.timestamp);
      this.answerGiven();
    };
    const wait = answer.throttled === true ? this.parts.throttle.reserve() : 0;
    if (wait > 0) this.timers.after(wait, done);
    else done();
    if (answer.disconnect === true) this.close({ code: 0, text: 'disconnected by the scenario' });
    return answer.timestamp;
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
    const slot = this.answers.find(frame.pn, frame.op - 50);
    if (slot === undefined) {
      this.writeFrame(frame);
      return;
    }
    const ctx = slot.held;
    if (ctx !== undefined) {
      const code = Number(getParam(frame, Param.ErrorCode) ?? '0');
      if (frame.op === Op.LoginResponse && code === 0) this.markLoggedIn(ctx.fields.user ?? '');
      if (frame.op === Op.SubmitResponse) {
        const ts = code === 0 ? getParam(frame, Param.ServiceCentreTimeStamp) : undefined;
        if (ts !== undefined) this.parts.store.accepted(ts, ctx.fields.destination ?? '');
        slot.ticket?.answered(ts);
      }
    }
    this.answers.fill(slot, [frame]);
    this.answerGiven();
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
    const { signals, options } = this.parts;
    signals.emit('frame-out', this.infoValue, frame, raw);
    if (signals.tracing) signals.trace(this.id, this.remote, 'out', frame.op, raw);
    this.stream.write(raw);
    const max = options.maxWriteBufferBytes;
    if (this.stream.writableLength > max) {
      const text = `client does not read: over ${max} bytes waiting`;
      signals.limitReached('maxWriteBufferBytes', max, `session aborted: ${text}`, this.id);
      // The peer does not read, so the queued bytes would never flush: abort.
      this.close({ code: -1, text }, { abort: true });
    }
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

  close(reason: CloseReason, options: { abort?: boolean } = {}): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.closeReason = reason;
    this.timers.clear();
    this.life.stopped();
    this.outbound.rejectAll(new SessionClosedError(`session ${this.id} closed: ${reason.text}`));
    if (!this.stream.destroyed) {
      if (options.abort === true) {
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
