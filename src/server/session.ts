/**
 * One CIMD2 connection: read loop, dispatch, the single write path, server-initiated requests,
 * keep-alive and teardown.
 *
 * Ordering and backpressure rules:
 * - Every inbound request takes a slot in an ordered response queue. Answers leave in the order
 *   the requests arrived: an answer that is ready (a delay ran out) waits for earlier slots. A
 *   slot whose decision is `drop` resolves with no output, so an unanswered request never holds
 *   back later ones. Malformed frames answered with 98/99 take a slot too.
 * - Inbound: while `maxPendingRequests` slots are open the session stops reading the stream.
 * - Outbound server requests (20/23/40) go through a window (default 1, Kannel is stop-and-wait);
 *   each waits for its 70/73/90 up to `ackTimeoutMs`, then is resent with the SAME packet number
 *   (Kannel acks a duplicate without processing it twice), up to `maxResends` times.
 * - Every out frame is emitted as `frame-out` before it is written to the stream.
 * - Every timer is owned here and cleared in teardown().
 *
 * Bounds (README "Limits"): the decoder holds less than `maxFrameLength` bytes; at most
 * `maxPendingRequests` answers wait before reading stops (plus the frames of the chunk being
 * decoded); unread output above `maxWriteBufferBytes` aborts the connection; at most
 * `maxOutstanding` server requests are queued or in flight; a session without a successful
 * login after `loginTimeoutMs`, or silent for `idleTimeoutMs`, is closed; a closing session that
 * cannot flush its output within `lingerMs` is destroyed.
 */
import type { Duplex } from 'node:stream';
import { FrameDecoder, type DecodeResult } from '../protocol/decoder.js';
import { encodeFrame } from '../protocol/encoder.js';
import type { Frame, Parameter } from '../protocol/frame.js';
import { getParam } from '../protocol/frame.js';
import { Op, isRequestOp, opName, operationInfo } from '../protocol/operations.js';
import { Param } from '../protocol/parameters.js';
import { CimdError, errorText } from '../protocol/status-codes.js';
import { validateParameters } from '../protocol/validate.js';
import { ChecksumError, FrameTooLongError, LimitError, SessionClosedError } from '../errors.js';
import type { TimerHandle } from '../util/clock.js';
import { deferred, type Deferred } from '../util/deferred.js';
import type { CloseReason } from './events.js';
import type { Decision, RequestContext, SessionInfo, Step, TerminalStep } from './ports.js';
import { decodeRequest, submitDetails } from './request.js';
import type { PartTicket } from './reassembler.js';
import type { SessionHost, PnCounter } from './host.js';

/** Result of a server-initiated request. */
export interface OutboundResult {
  readonly pn: number;
  /** True once the client's response (70/73/90) arrived. */
  readonly acknowledged: boolean;
  /** 900 of the client's response, 0 when absent. */
  readonly errorCode: number;
  /** Transmissions made (1 + resends). */
  readonly attempts: number;
}

interface Slot {
  readonly pn: number;
  readonly op: number;
  done: boolean;
  frames: Frame[];
  after: (() => void) | undefined;
  /** Set for manual-mode login/submit waiting for the user's answer. */
  pending?: RequestContext;
  ticket?: PartTicket;
}

interface OutboundItem {
  readonly op: number;
  readonly params: readonly Parameter[];
  readonly fixedPn: number | undefined;
  readonly ackTimeoutMs: number;
  readonly maxResends: number;
  readonly throttled: boolean;
  pn: number;
  attempts: number;
  timer: TimerHandle | undefined;
  readonly done: Deferred<OutboundResult>;
}

type SessionState = 'connected' | 'authenticated' | 'closing' | 'closed';

export class Session {
  readonly id: string;
  readonly remote: string;
  readonly remoteHost: string;
  readonly remotePort: number;
  /** Clock time the session opened. */
  readonly openedAt: number;
  private readonly host: SessionHost;
  private readonly stream: Duplex;
  private readonly decoder: FrameDecoder;
  private stateValue: SessionState = 'connected';
  private userValue: string | undefined;
  private infoValue: SessionInfo;
  private readonly slots: Slot[] = [];
  private slotHead = 0;
  private openSlots = 0;
  private paused = false;
  private readonly timers = new Set<TimerHandle>();
  private readonly outQueue: OutboundItem[] = [];
  private readonly inFlight = new Map<number, OutboundItem>();
  private ownPn: PnCounter = { next: 0 };
  private lastActivity: number;
  private keepAliveTimer: TimerHandle | undefined;
  private loginTimer: TimerHandle | undefined;
  private idleTimer: TimerHandle | undefined;
  private aliveOutstanding = false;
  private closeReason: CloseReason | undefined;
  private readonly closedDeferred = deferred<CloseReason>();

  constructor(
    host: SessionHost,
    stream: Duplex,
    id: string,
    remoteHost: string,
    remotePort: number,
  ) {
    this.host = host;
    this.stream = stream;
    this.id = id;
    this.remoteHost = remoteHost;
    this.remotePort = remotePort;
    this.remote = remoteHost.includes(':')
      ? `[${remoteHost}]:${remotePort}`
      : `${remoteHost}:${remotePort}`;
    this.openedAt = host.clock.now();
    this.lastActivity = this.openedAt;
    this.decoder = new FrameDecoder({ maxFrameLength: host.options.maxFrameLength });
    this.infoValue = { id, user: undefined, remote: this.remote };
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

  /** Resolves when the session has closed. */
  get closed(): Promise<CloseReason> {
    return this.closedDeferred.promise;
  }

  /** Server-initiated requests queued or waiting for their answer (at most `maxOutstanding`). */
  get outstanding(): number {
    return this.outQueue.length + this.inFlight.size;
  }

  /** Bytes of an unfinished inbound frame held by the decoder (always below `maxFrameLength`). */
  get bufferedBytes(): number {
    return this.decoder.bufferedBytes;
  }

  /** Inbound requests whose answer has not been written yet (ordered answer slots). */
  get pendingAnswers(): number {
    return this.slots.length - this.slotHead;
  }

  /** Starts reading the stream. */
  start(): void {
    this.stream.on('data', (chunk: Buffer) => {
      this.onData(chunk);
    });
    this.stream.on('end', () => {
      this.close({ code: 0, text: 'remote closed the connection' });
    });
    this.stream.on('error', (err: NodeJS.ErrnoException) => {
      const errno = typeof err.errno === 'number' ? Math.abs(err.errno) : 1;
      this.close({ code: errno === 0 ? 1 : errno, text: err.message });
    });
    this.stream.on('close', () => {
      this.close({ code: 0, text: 'connection closed' });
    });
    this.armKeepAlive();
    this.armLoginTimeout();
    this.armIdleTimeout();
  }

  // ---------------------------------------------------------------- inbound

  private onData(chunk: Buffer): void {
    if (!this.isOpen) return;
    let results: DecodeResult[];
    try {
      results = this.decoder.push(chunk);
    } catch (error) {
      this.host.emitError(error);
      this.close({ code: -1, text: 'decoder failure' });
      return;
    }
    // Several frames in one chunk (pipelining): their answers leave in one socket write.
    const cork = results.length > 1;
    if (cork) this.stream.cork();
    try {
      this.dispatch(results);
    } finally {
      if (cork) this.stream.uncork();
    }
  }

  private dispatch(results: readonly DecodeResult[]): void {
    for (const result of results) {
      // A result may close the session (logout, frame overflow): stop at once.
      if (!this.isOpen) return;
      try {
        this.onResult(result);
      } catch (error) {
        // A bug, not peer behaviour: answer 98/6 and close this session only.
        this.host.emitError(error);
        const pn = result.ok ? result.frame.pn : (result.pn ?? 0);
        this.writeNow({
          op: Op.GeneralError,
          pn,
          params: errorParams(CimdError.GeneralSystemError),
        });
        this.close({
          code: -1,
          text: `internal error: ${error instanceof Error ? error.message : String(error)}`,
        });
        return;
      }
    }
  }

  private onResult(result: DecodeResult): void {
    this.host.emit('frame-in', this.infoValue, result);
    if (this.host.tracing)
      this.host.trace(this, 'in', result.ok ? result.frame.op : (result.op ?? -1), result.raw);
    this.lastActivity = this.host.clock.now();
    if (!result.ok) {
      const { error } = result;
      if (error instanceof FrameTooLongError) {
        const max = this.host.options.maxFrameLength;
        this.host.limitReached('maxFrameLength', max, `session closed: ${error.message}`, this.id);
        this.close({ code: -1, text: error.message });
        return;
      }
      const pn = result.pn ?? 0;
      if (error instanceof ChecksumError) this.answerNow(pn, -1, [{ op: Op.Nack, pn, params: [] }]);
      else
        this.answerNow(pn, -1, [
          { op: Op.GeneralError, pn, params: errorParams(error.cimdErrorCode) },
        ]);
      return;
    }
    const frame = result.frame;
    const info = operationInfo(frame.op);
    if (info?.isResponse === true || frame.op === Op.GeneralError || frame.op === Op.Nack) {
      this.onResponse(frame);
      return;
    }
    if (!isRequestOp(frame.op) || info?.sender === 'server') {
      this.host.emit('raw', this.id, frame, result.raw);
      this.answerNow(frame.pn, frame.op, [
        { op: Op.GeneralError, pn: frame.pn, params: errorParams(CimdError.UnexpectedOperation) },
      ]);
      return;
    }
    const invalid = validateParameters(frame);
    if (invalid !== undefined) {
      this.answerNow(frame.pn, frame.op, [
        {
          op: Op.GeneralError,
          pn: frame.pn,
          params: errorParams(invalid.cimdErrorCode, invalid.message),
        },
      ]);
      return;
    }
    const loggedIn = this.stateValue === 'authenticated';
    if (loggedIn === (frame.op === Op.Login)) {
      // A request before login, or a second login: the operation is unexpected here.
      this.answerNow(frame.pn, frame.op, [
        { op: frame.op + 50, pn: frame.pn, params: errorParams(CimdError.UnexpectedOperation) },
      ]);
      return;
    }
    this.onRequest(frame, result.raw);
  }

  private onRequest(frame: Frame, raw: Buffer): void {
    const decoded = decodeRequest(frame);
    const name = opName(frame.op);
    const forUser = frame.op === Op.Login ? decoded.fields.user : this.userValue;
    const ctx: RequestContext = {
      session: this.infoValue,
      frame,
      opName: name,
      fields: decoded.fields,
      now: this.host.clock.now(),
      userSessions: forUser === undefined ? 0 : this.host.userSessionCount(forUser, this),
    };
    const slot = this.openSlot(frame.pn, frame.op);
    const responder = this.host.responder;
    const manual = responder === 'manual' && (frame.op === Op.Login || frame.op === Op.Submit);
    // In manual mode the user may answer from inside the event handler: the slot must be ready.
    if (manual) slot.pending = ctx;
    if (frame.op === Op.Submit && decoded.userDataError !== undefined) {
      const err = decoded.userDataError;
      this.emitSubmit(frame, decoded, slot);
      this.fill(slot, this.errorFrames(ctx, err.code, err.message));
      return;
    }
    switch (frame.op) {
      case Op.Login:
        this.host.emit('login', {
          clientId: this.id,
          pn: frame.pn,
          user: decoded.fields.user ?? '',
          password: decoded.fields.password ?? '',
          frame,
        });
        break;
      case Op.Submit:
        this.emitSubmit(frame, decoded, slot);
        break;
      case Op.Logout:
      case Op.Alive:
        break;
      default:
        this.host.emit('raw', this.id, frame, raw);
    }
    if (manual || slot.done || !this.isOpen) return;
    const decision = (responder === 'manual' ? this.host.defaultResponder : responder).decide(ctx);
    this.host.emit('decision', this.infoValue, ctx, decision);
    this.execute(ctx, slot, decision);
  }

  private emitSubmit(frame: Frame, decoded: ReturnType<typeof decodeRequest>, slot: Slot): void {
    const f = decoded.fields;
    const ud = decoded.userData;
    const details = submitDetails(frame, ud);
    const destination = f.destination ?? '';
    const base = {
      clientId: this.id,
      user: this.userValue,
      pn: frame.pn,
      destination,
      destinations: f.destinations ?? [],
      originator: f.originator,
      encoding: ud?.encoding ?? 'gsm7',
      dcs: ud?.dcs ?? 0,
      options: details.options,
      extraParameters: details.extraParameters,
      frame,
    } as const;
    const concat = ud?.udhInfo?.concat;
    if (decoded.userDataError === undefined) {
      slot.ticket = this.host.reassembler.add({
        clientId: this.id,
        user: this.userValue,
        destination,
        originator: f.originator,
        pn: frame.pn,
        encoding: ud?.encoding ?? 'gsm7',
        ...(ud?.text !== undefined ? { text: ud.text } : {}),
        ...(ud?.bytes !== undefined ? { bytes: ud.bytes } : {}),
        ...(concat !== undefined
          ? { concat: { ref: concat.ref, total: concat.total, seq: concat.seq } }
          : {}),
      });
    }
    this.host.emit('submit', {
      ...base,
      ...(ud?.text !== undefined ? { text: ud.text } : {}),
      ...(ud?.bytes !== undefined ? { bytes: ud.bytes } : {}),
      ...(ud?.udh !== undefined ? { udh: ud.udh } : {}),
      ...(details.validityPeriod !== undefined ? { validityPeriod: details.validityPeriod } : {}),
      ...(details.deliveryTime !== undefined ? { deliveryTime: details.deliveryTime } : {}),
    });
  }

  // ------------------------------------------------------------- decisions

  private execute(ctx: RequestContext, slot: Slot, decision: Decision): void {
    let delayMs = 0;
    let terminal: TerminalStep | undefined;
    for (const step of decision.steps) {
      if (step.kind === 'delay') delayMs += step.ms;
      else {
        terminal = step;
        break;
      }
    }
    const term: TerminalStep = terminal ?? { kind: 'drop' };
    const run = (): void => {
      if (!this.isOpen) return;
      const timestamp = this.runTerminal(ctx, slot, term);
      if (decision.afterwards.length > 0)
        this.host.scheduleAfterwards(this, ctx, decision, timestamp);
    };
    if (delayMs > 0) this.after(delayMs, run);
    else run();
  }

  /** Executes a terminal step; returns the 060 of a positive submit answer. */
  private runTerminal(ctx: RequestContext, slot: Slot, step: TerminalStep): string | undefined {
    const { frame } = ctx;
    switch (step.kind) {
      case 'respond':
        return this.respond(ctx, slot, step);
      case 'error':
        this.fill(slot, this.errorFrames(ctx, step.code, step.text));
        slot.ticket?.answered(undefined);
        return undefined;
      case 'nack':
        this.fill(slot, [{ op: Op.Nack, pn: frame.pn, params: [] }]);
        slot.ticket?.answered(undefined);
        return undefined;
      case 'generalError':
        this.fill(slot, [
          { op: Op.GeneralError, pn: frame.pn, params: errorParams(step.code, step.text) },
        ]);
        slot.ticket?.answered(undefined);
        return undefined;
      case 'drop':
        this.fill(slot, []);
        slot.ticket?.answered(undefined);
        return undefined;
      case 'disconnect':
        this.fill(slot, []);
        slot.ticket?.answered(undefined);
        this.close({ code: 0, text: 'disconnected by the scenario' });
        return undefined;
    }
  }

  private respond(
    ctx: RequestContext,
    slot: Slot,
    step: Extract<Step, { kind: 'respond' }>,
  ): string | undefined {
    const { frame, fields } = ctx;
    const extra = step.params ?? [];
    const pn = frame.pn;
    switch (frame.op) {
      case Op.Login: {
        const user = fields.user ?? '';
        const refusal = this.host.admitLogin(this, user);
        if (refusal !== undefined) {
          this.fill(slot, this.errorFrames(ctx, refusal));
          return undefined;
        }
        this.markLoggedIn(user);
        this.fill(slot, [{ op: Op.LoginResponse, pn, params: extra }]);
        return undefined;
      }
      case Op.Logout:
        this.fill(slot, [{ op: Op.LogoutResponse, pn, params: extra }], () => {
          this.close({ code: 0, text: 'logout' });
        });
        return undefined;
      case Op.Submit: {
        const destination = fields.destination ?? '';
        const timestamp = step.timestamp ?? this.host.timestamps.allocate(destination);
        if (step.timestamp !== undefined) this.host.reserveTimestamp(destination, step.timestamp);
        this.host.rememberMessage(timestamp, destination);
        const params = merge(
          [
            { code: Param.DestinationAddress, value: destination },
            { code: Param.ServiceCentreTimeStamp, value: timestamp },
          ],
          extra,
        );
        const wait = this.host.throttle.reserve();
        const frames = [{ op: Op.SubmitResponse, pn, params }];
        if (wait > 0) {
          this.after(wait, () => {
            this.fill(slot, frames);
            slot.ticket?.answered(timestamp);
          });
        } else {
          this.fill(slot, frames);
          slot.ticket?.answered(timestamp);
        }
        return timestamp;
      }
      case Op.Enquire: {
        const destination = fields.destination ?? '';
        const ts = fields.timestamp ?? '';
        const status = this.host.messageStatus(ts, destination);
        const fixed = extra.some((p) => p.code === Param.StatusCode);
        const params =
          status === undefined && !fixed
            ? errorParams(CimdError.CannotFindInformation, `no message ${ts} to ${destination}`)
            : merge(
                [
                  { code: Param.DestinationAddress, value: destination },
                  { code: Param.ServiceCentreTimeStamp, value: ts },
                  { code: Param.StatusCode, value: String(status ?? 0) },
                ],
                extra,
              );
        this.fill(slot, [{ op: Op.EnquireResponse, pn, params }]);
        return undefined;
      }
      case Op.DeliveryRequest: {
        const mode = getParam(frame, Param.DeliveryRequestMode) ?? '1';
        const params = mode === '0' ? [{ code: Param.MessageCount, value: '0' }] : [];
        this.fill(slot, [{ op: Op.DeliveryRequestResponse, pn, params: merge(params, extra) }]);
        return undefined;
      }
      case Op.Get: {
        const item = getParam(frame, Param.GetParameter);
        const params =
          item === String(Param.McTime)
            ? [{ code: Param.McTime, value: this.host.timestamps.now() }]
            : errorParams(CimdError.UnsupportedItemRequested);
        this.fill(slot, [{ op: Op.GetResponse, pn, params: merge(params, extra) }]);
        return undefined;
      }
      default:
        this.fill(slot, [{ op: frame.op + 50, pn, params: extra }]);
        return undefined;
    }
  }

  private errorFrames(ctx: RequestContext, code: number, text?: string): Frame[] {
    const { frame, fields } = ctx;
    const params: Parameter[] = [];
    if (frame.op === Op.Submit && fields.destination !== undefined) {
      params.push({ code: Param.DestinationAddress, value: fields.destination });
    }
    params.push(...errorParams(code, text));
    return [{ op: frame.op + 50, pn: frame.pn, params }];
  }

  private markLoggedIn(user: string): void {
    this.userValue = user;
    this.stateValue = 'authenticated';
    this.infoValue = { id: this.id, user, remote: this.remote };
    this.ownPn = this.host.pnCounterFor(user);
    if (this.loginTimer !== undefined) {
      this.cancelTimer(this.loginTimer);
      this.loginTimer = undefined;
    }
    this.host.onLoggedIn(this);
  }

  // ---------------------------------------------------- ordered responses

  private openSlot(pn: number, op: number): Slot {
    const slot: Slot = { pn, op, done: false, frames: [], after: undefined };
    this.slots.push(slot);
    this.openSlots++;
    if (this.openSlots >= this.host.options.maxPendingRequests && !this.paused) {
      this.paused = true;
      this.stream.pause();
    }
    return slot;
  }

  private answerNow(pn: number, op: number, frames: Frame[]): void {
    this.fill(this.openSlot(pn, op), frames);
  }

  private fill(slot: Slot, frames: Frame[], after?: () => void): void {
    if (slot.done) return;
    slot.done = true;
    slot.frames = frames;
    slot.after = after;
    this.openSlots--;
    this.flush();
  }

  private flush(): void {
    while (this.slotHead < this.slots.length) {
      const slot = this.slots[this.slotHead];
      if (!slot?.done) break;
      this.slotHead++;
      for (const f of slot.frames) this.writeNow(f);
      slot.after?.();
    }
    if (this.slotHead > 64 && this.slotHead * 2 > this.slots.length) {
      this.slots.splice(0, this.slotHead);
      this.slotHead = 0;
    }
    if (this.paused && this.openSlots < this.host.options.maxPendingRequests && this.isOpen) {
      this.paused = false;
      this.stream.resume();
    }
  }

  /**
   * Answers a request that waits for the user (manual mode), or writes `frame` at once when no
   * such request is pending. Used by the component API's send…Response methods.
   */
  answer(frame: Frame): void {
    if (!this.isOpen) throw new SessionClosedError(`session ${this.id} is closed`);
    for (let i = this.slotHead; i < this.slots.length; i++) {
      const slot = this.slots[i];
      if (slot !== undefined && !slot.done && slot.pn === frame.pn && slot.op + 50 === frame.op) {
        const ctx = slot.pending;
        if (ctx !== undefined) {
          const code = Number(getParam(frame, Param.ErrorCode) ?? '0');
          if (frame.op === Op.LoginResponse && code === 0) this.markLoggedIn(ctx.fields.user ?? '');
          if (frame.op === Op.SubmitResponse) {
            const ts = code === 0 ? getParam(frame, Param.ServiceCentreTimeStamp) : undefined;
            if (ts !== undefined) this.host.rememberMessage(ts, ctx.fields.destination ?? '');
            slot.ticket?.answered(ts);
          }
        }
        this.fill(slot, [frame]);
        return;
      }
    }
    this.writeNow(frame);
  }

  // -------------------------------------------------------------- writing

  /** Encodes and writes one frame now (no ordering, no window). */
  writeNow(frame: Frame): void {
    if (this.stateValue === 'closed') return;
    const raw = encodeFrame(frame, { checksum: this.host.options.checksum });
    this.writeRaw(frame, raw);
  }

  /** Writes pre-encoded bytes for `frame` (sendRaw). */
  writeRaw(frame: Frame, raw: Buffer): void {
    if (this.stateValue === 'closed') return;
    this.host.emit('frame-out', this.infoValue, frame, raw);
    if (this.host.tracing) this.host.trace(this, 'out', frame.op, raw);
    this.stream.write(raw);
    const max = this.host.options.maxWriteBufferBytes;
    if (this.stream.writableLength > max) {
      const text = `client does not read: over ${max} bytes waiting`;
      this.host.limitReached('maxWriteBufferBytes', max, `session aborted: ${text}`, this.id);
      // The peer does not read, so the queued bytes would never flush: abort.
      this.close({ code: -1, text }, { abort: true });
    }
  }

  // ------------------------------------------------ server-initiated requests

  /**
   * The LimitError for queuing `count` more server requests, or undefined when they fit under
   * `maxOutstanding`. Emits `limit-reached` when they do not.
   */
  capacityError(count = 1): LimitError | undefined {
    const max = this.host.options.maxOutstanding;
    if (this.outstanding + count <= max) return undefined;
    const message = `session ${this.id} has ${this.outstanding} server requests outstanding; ${count} more would exceed maxOutstanding (${max})`;
    this.host.limitReached('maxOutstanding', max, `not sent: ${message}`, this.id);
    return new LimitError(message, 'maxOutstanding', max);
  }

  /**
   * Queues a server request (20, 23 or 40). Resolves when the client answered or the resends
   * ran out; rejects with SessionClosedError if the session closes first, and with LimitError
   * (nothing sent) when `maxOutstanding` requests are already queued or in flight (the
   * keep-alive's own 40 is exempt: `unlimited`).
   */
  request(
    op: number,
    params: readonly Parameter[],
    options: {
      pn?: number;
      ackTimeoutMs?: number;
      maxResends?: number;
      throttled?: boolean;
      unlimited?: boolean;
    } = {},
  ): Promise<OutboundResult> {
    if (!this.isOpen) return Promise.reject(new SessionClosedError(`session ${this.id} is closed`));
    if (options.unlimited !== true) {
      const full = this.capacityError(1);
      if (full !== undefined) return Promise.reject(full);
    }
    const item: OutboundItem = {
      op,
      params,
      fixedPn: options.pn,
      ackTimeoutMs: options.ackTimeoutMs ?? this.host.options.ackTimeoutMs,
      maxResends: options.maxResends ?? this.host.options.maxResends,
      throttled: options.throttled ?? true,
      pn: -1,
      attempts: 0,
      timer: undefined,
      done: deferred<OutboundResult>(),
    };
    this.outQueue.push(item);
    this.pump();
    return item.done.promise;
  }

  private pump(): void {
    while (
      this.isOpen &&
      this.outQueue.length > 0 &&
      this.inFlight.size < this.host.options.window
    ) {
      const item = this.outQueue.shift();
      if (item === undefined) break;
      item.pn = item.fixedPn ?? this.takePn();
      if (this.inFlight.has(item.pn)) {
        // A pn still in flight cannot be reused; take the next one.
        item.pn = this.takePn();
      }
      this.inFlight.set(item.pn, item);
      const wait = item.throttled ? this.host.throttle.reserve() : 0;
      if (wait > 0)
        this.after(wait, () => {
          this.transmit(item);
        });
      else this.transmit(item);
    }
  }

  private takePn(): number {
    const pn = this.ownPn.next;
    this.ownPn.next = pn >= 254 ? 0 : pn + 2;
    return pn;
  }

  private transmit(item: OutboundItem): void {
    if (!this.isOpen || this.inFlight.get(item.pn) !== item) return;
    item.attempts++;
    this.writeNow({ op: item.op, pn: item.pn, params: item.params });
    item.timer = this.after(item.ackTimeoutMs, () => {
      item.timer = undefined;
      if (this.inFlight.get(item.pn) !== item) return;
      if (item.attempts <= item.maxResends) {
        this.transmit(item);
        return;
      }
      this.inFlight.delete(item.pn);
      this.host.emit(
        'ack-timeout',
        this.infoValue,
        { op: item.op, pn: item.pn, params: item.params },
        item.attempts,
      );
      item.done.resolve({
        pn: item.pn,
        acknowledged: false,
        errorCode: 0,
        attempts: item.attempts,
      });
      this.pump();
    });
  }

  private onResponse(frame: Frame): void {
    const item = this.inFlight.get(frame.pn);
    const matches =
      item !== undefined &&
      (frame.op === item.op + 50 || frame.op === Op.GeneralError || frame.op === Op.Nack);
    if (item === undefined || !matches) {
      this.host.emit('unexpected-response', this.infoValue, frame);
      return;
    }
    if (frame.op === Op.Nack && item.attempts <= item.maxResends) {
      if (item.timer !== undefined) this.cancelTimer(item.timer);
      this.transmit(item);
      return;
    }
    this.inFlight.delete(frame.pn);
    if (item.timer !== undefined) this.cancelTimer(item.timer);
    const errorCode =
      frame.op === Op.Nack
        ? CimdError.SyntaxError
        : Number(getParam(frame, Param.ErrorCode) ?? '0') || 0;
    if (frame.op === Op.DeliverMessageResponse || frame.op === Op.DeliverStatusReportResponse) {
      this.host.emit('deliver-response', {
        clientId: this.id,
        pn: frame.pn,
        op: frame.op,
        errorCode,
      });
    }
    item.done.resolve({
      pn: item.pn,
      acknowledged: frame.op === item.op + 50,
      errorCode,
      attempts: item.attempts,
    });
    this.pump();
  }

  // -------------------------------------------------------------- keepalive

  /** (Re)arms the idle timer from the current KeepAliveInterval. */
  armKeepAlive(): void {
    if (this.keepAliveTimer !== undefined) {
      this.cancelTimer(this.keepAliveTimer);
      this.keepAliveTimer = undefined;
    }
    const intervalMs = this.host.keepAliveMs;
    if (intervalMs <= 0 || !this.isOpen) return;
    const due = this.lastActivity + intervalMs - this.host.clock.now();
    this.keepAliveTimer = this.after(Math.max(due, 0), () => {
      this.keepAliveTimer = undefined;
      this.onKeepAliveTimer();
    });
  }

  private onKeepAliveTimer(): void {
    if (!this.isOpen) return;
    const intervalMs = this.host.keepAliveMs;
    if (intervalMs <= 0) return;
    const idle = this.host.clock.now() - this.lastActivity;
    if (idle < intervalMs || this.aliveOutstanding) {
      this.armKeepAlive();
      return;
    }
    this.aliveOutstanding = true;
    this.request(Op.Alive, [], {
      ackTimeoutMs: this.host.options.aliveTimeoutMs,
      maxResends: 0,
      throttled: false,
      unlimited: true,
    }).then(
      (result) => {
        this.aliveOutstanding = false;
        if (!result.acknowledged)
          this.close({ code: -1, text: 'no answer to alive (keepalive timeout)' });
        else this.armKeepAlive();
      },
      () => {
        this.aliveOutstanding = false;
      },
    );
  }

  // ------------------------------------------------------ login and idle limits

  private armLoginTimeout(): void {
    const ms = this.host.options.loginTimeoutMs;
    if (ms <= 0) return;
    this.loginTimer = this.after(ms, () => {
      this.loginTimer = undefined;
      if (this.stateValue !== 'connected') return;
      const text = `no successful login within ${ms} ms (loginTimeoutMs)`;
      this.host.limitReached('loginTimeoutMs', ms, `session closed: ${text}`, this.id);
      this.close({ code: -1, text });
    });
  }

  /** Idle = no inbound frame (well-formed or not); bytes outside frames do not count. */
  private armIdleTimeout(): void {
    const ms = this.host.options.idleTimeoutMs;
    if (ms <= 0 || !this.isOpen) return;
    const due = this.lastActivity + ms - this.host.clock.now();
    this.idleTimer = this.after(Math.max(due, 0), () => {
      this.idleTimer = undefined;
      if (!this.isOpen) return;
      if (this.host.clock.now() - this.lastActivity < ms) {
        this.armIdleTimeout();
        return;
      }
      const text = `no frame from the client for ${ms} ms (idleTimeoutMs)`;
      this.host.limitReached('idleTimeoutMs', ms, `session closed: ${text}`, this.id);
      this.close({ code: -1, text });
    });
  }

  // ---------------------------------------------------------------- timers

  /** A session-owned timer, cleared at teardown. */
  after(ms: number, fn: () => void): TimerHandle {
    const handle = this.host.clock.setTimeout(() => {
      this.timers.delete(handle);
      fn();
    }, ms);
    this.timers.add(handle);
    return handle;
  }

  cancelTimer(handle: TimerHandle): void {
    this.timers.delete(handle);
    this.host.clock.clearTimeout(handle);
  }

  // ---------------------------------------------------------------- closing

  /** True when no answer is pending and no server request is outstanding. */
  get idle(): boolean {
    return this.openSlots === 0 && this.outstanding === 0;
  }

  /**
   * Closes the session now (idempotent). Output already written is flushed first unless
   * `abort` is set (a peer that does not read would never let it flush).
   */
  close(reason: CloseReason, options: { abort?: boolean } = {}): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.closeReason = reason;
    for (const t of this.timers) this.host.clock.clearTimeout(t);
    this.timers.clear();
    this.keepAliveTimer = undefined;
    this.loginTimer = undefined;
    this.idleTimer = undefined;
    const gone = new SessionClosedError(`session ${this.id} closed: ${reason.text}`);
    for (const item of this.inFlight.values()) item.done.reject(gone);
    for (const item of this.outQueue) item.done.reject(gone);
    this.inFlight.clear();
    this.outQueue.length = 0;
    if (!this.stream.destroyed) {
      if (options.abort === true) {
        this.stream.destroy();
      } else {
        // Let queued bytes (a 52, a 98) reach the peer, then release the stream; a peer that
        // stops reading gets `lingerMs`, then the stream is destroyed anyway.
        const stream = this.stream;
        const clock = this.host.clock;
        const linger = clock.setTimeout(() => stream.destroy(), this.host.options.lingerMs);
        const release = (): void => {
          clock.clearTimeout(linger);
          stream.destroy();
        };
        stream.once('finish', release);
        stream.once('close', release);
        stream.end();
      }
    }
    this.host.onClosed(this, reason);
    this.closedDeferred.resolve(reason);
  }

  /** The reason the session closed, once closed. */
  get reason(): CloseReason | undefined {
    return this.closeReason;
  }
}

/** 900 (and 901 with the table text unless given) for an error answer. */
export function errorParams(code: number, text?: string): Parameter[] {
  const t = clip901((text ?? errorText(code)).replace(/[\x00-\x1f\x7f-\uffff]/g, ' '));
  return [
    { code: Param.ErrorCode, value: String(code) },
    { code: Param.ErrorText, value: t },
  ];
}

/** At most 64 characters (the 901 limit), cut at a word boundary when a space allows it. */
export function clip901(text: string): string {
  if (text.length <= 64) return text;
  const space = text.lastIndexOf(' ', 64);
  return (space > 0 ? text.slice(0, space) : text.slice(0, 64)).trimEnd();
}

/** Defaults overridden by same-code extras; new extras appended in their order. */
function merge(base: readonly Parameter[], extra: readonly Parameter[]): Parameter[] {
  if (extra.length === 0) return base as Parameter[];
  const out = base.map((p) => extra.find((e) => e.code === p.code) ?? p);
  for (const e of extra) if (!base.some((p) => p.code === e.code)) out.push(e);
  return out;
}

/** What `Session` needs to hand to the transcript and events: nothing else leaks out. */
export type { SessionState };
