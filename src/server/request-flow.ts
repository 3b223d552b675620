/**
 * What a session does with each inbound frame, after the decoder: the frame's one decode of its
 * fields (protocol/fields.ts) goes out on `frame-in` with it, then the state check (which
 * frames are answered how before any decision), the request's events, the Responder's decision
 * and its execution (delays through the clock, the terminal step, the afterwards). A frame that
 * did not decode gets its fixed answer, reported on `frame-in` as well. Answers leave through
 * the session's ordered AnswerQueue.
 */
import { type DecodeResult } from '../protocol/decoder.js';
import { FrameDecode, type DecodedRequest } from '../protocol/fields.js';
import type { Frame } from '../protocol/frame.js';
import { Op, isRequestOp, opName, operationInfo } from '../protocol/operations.js';
import { CimdError } from '../protocol/status-codes.js';
import { validateParameters } from '../protocol/validate.js';
import { ChecksumError, FrameTooLongError } from '../errors.js';
import type { AnswerQueue, AnswerSlot } from './answer-queue.js';
import { answerFor, errorFrames, errorParams, type Answer } from './answers.js';
import type { BadFrameAnswer } from './events.js';
import type { OutboundWindow } from './outbound-window.js';
import type { Decision, RequestContext, TerminalStep } from './ports.js';
import type { RegisteredSession } from './registry.js';
import type { ServerParts } from './session-parts.js';
import type { Session } from './session-types.js';
import { submittedPart, submitEvent } from './submit-event.js';
import type { TimerSet } from './timer-set.js';

/** The session's own pieces the flow works with. */
export interface FlowHooks {
  readonly answers: AnswerQueue;
  readonly timers: TimerSet;
  /** A frame arrived (the idle timer starts over). */
  touch(): void;
  /** A login succeeded: the session is authenticated as `user`. */
  loggedIn(user: string): void;
  /** An answer slot was filled (after a half-close the session closes once all are). */
  answerGiven(): void;
}

/** The terminal step of a decision without one. */
const DROP: TerminalStep = { kind: 'drop' };

export class RequestFlow<
  S extends Session & RegisteredSession & { readonly outbound: OutboundWindow },
> {
  private readonly session: S;
  private readonly parts: ServerParts<S>;
  private readonly hooks: FlowHooks;

  constructor(session: S, parts: ServerParts<S>, hooks: FlowHooks) {
    this.session = session;
    this.parts = parts;
    this.hooks = hooks;
  }

  /** The state check: which frames are answered how before any decision. */
  onResult(result: DecodeResult): void {
    const { signals } = this.parts;
    if (!result.ok) {
      this.onBadFrame(result);
      return;
    }
    const frame = result.frame;
    // The frame's one decode: the recorder's fields and the Responder's request fields.
    const decode = new FrameDecode(frame);
    signals.emit('frame-in', this.session.info, result, decode);
    if (signals.tracing)
      signals.trace(this.session.id, this.session.remote, 'in', frame.op, result.raw);
    this.hooks.touch();
    const info = operationInfo(frame.op);
    if (info?.isResponse === true || frame.op === Op.GeneralError || frame.op === Op.Nack) {
      this.session.outbound.onResponse(frame);
      return;
    }
    if (!isRequestOp(frame.op) || info?.sender === 'server') {
      signals.emit('raw', this.session.id, frame, result.raw);
      const params = errorParams(CimdError.UnexpectedOperation);
      this.hooks.answers.answerNow(frame.pn, frame.op, [
        { op: Op.GeneralError, pn: frame.pn, params },
      ]);
      return;
    }
    const invalid = validateParameters(frame);
    if (invalid !== undefined) {
      const params = errorParams(invalid.cimdErrorCode, invalid.message);
      this.hooks.answers.answerNow(frame.pn, frame.op, [
        { op: Op.GeneralError, pn: frame.pn, params },
      ]);
      return;
    }
    if ((this.session.state === 'authenticated') === (frame.op === Op.Login)) {
      // A request before login, or a second login: the operation is unexpected here.
      const params = errorParams(CimdError.UnexpectedOperation);
      this.hooks.answers.answerNow(frame.pn, frame.op, [
        { op: frame.op + 50, pn: frame.pn, params },
      ]);
      return;
    }
    this.onRequest(frame, result.raw, decode.request);
  }

  /** A frame that did not decode: a 99 for a bad checksum, a 98 else; an overlong one closes. */
  private onBadFrame(result: Extract<DecodeResult, { ok: false }>): void {
    const { signals } = this.parts;
    const { error } = result;
    const pn = result.pn ?? 0;
    const answer: BadFrameAnswer =
      error instanceof FrameTooLongError
        ? { close: true }
        : error instanceof ChecksumError
          ? { op: Op.Nack, pn }
          : { op: Op.GeneralError, pn, errorCode: error.cimdErrorCode };
    signals.emit('frame-in', this.session.info, result, answer);
    if (signals.tracing)
      signals.trace(this.session.id, this.session.remote, 'in', result.op ?? -1, result.raw);
    this.hooks.touch();
    if ('close' in answer) {
      const max = this.parts.options.maxFrameLength;
      signals.limitReached(
        'maxFrameLength',
        max,
        `session closed: ${error.message}`,
        this.session.id,
      );
      this.session.close({ code: -1, text: error.message });
      return;
    }
    const params = answer.op === Op.Nack ? [] : errorParams(answer.errorCode);
    this.hooks.answers.answerNow(pn, -1, [{ op: answer.op, pn, params }]);
  }

  private onRequest(frame: Frame, raw: Buffer, decoded: DecodedRequest): void {
    const { signals, registry } = this.parts;
    const forUser = frame.op === Op.Login ? decoded.fields.user : this.session.user;
    const ctx: RequestContext = {
      session: this.session.info,
      frame,
      opName: opName(frame.op),
      fields: decoded.fields,
      now: this.parts.clock.now(),
      userSessions: forUser === undefined ? 0 : registry.userSessionCount(forUser, this.session),
    };
    const slot = this.hooks.answers.open(frame.pn, frame.op);
    const decider = this.parts.decider();
    // A held request may be answered from inside the event handler: the slot must be ready.
    const held = decider.holds(frame.op);
    if (held) slot.held = ctx;
    switch (frame.op) {
      case Op.Login:
        if (signals.listens('login'))
          signals.emit('login', {
            clientId: this.session.id,
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
          this.hooks.answers.fill(slot, errorFrames(ctx, err.code, err.message));
          return;
        }
        break;
      case Op.Logout:
      case Op.Alive:
        break;
      default:
        if (signals.listens('raw')) signals.emit('raw', this.session.id, frame, raw);
    }
    if (held || slot.done || !this.session.isOpen) return;
    const decision = decider.decide(ctx);
    signals.emit('decision', this.session.info, ctx, decision);
    this.execute(ctx, slot, decision);
  }

  private emitSubmit(frame: Frame, decoded: DecodedRequest, slot: AnswerSlot): void {
    if (decoded.userDataError === undefined)
      slot.ticket = this.parts.reassembler.add(
        submittedPart(this.session.id, this.session.user, frame, decoded),
      );
    const { signals } = this.parts;
    // Built only for a listener: the event costs more than the rest of the submit's bookkeeping.
    if (signals.listens('submit'))
      signals.emit('submit', submitEvent(this.session.id, this.session.user, frame, decoded));
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
    const step: TerminalStep = terminal ?? DROP;
    // (No closure for the usual, undelayed answer.)
    if (delayMs > 0)
      this.hooks.timers.after(delayMs, () => {
        this.run(ctx, slot, decision, step);
      });
    else this.run(ctx, slot, decision, step);
  }

  /** The terminal step, then the afterwards timed from it. */
  private run(ctx: RequestContext, slot: AnswerSlot, decision: Decision, step: TerminalStep): void {
    if (!this.session.isOpen) return;
    const answer = this.answerOf(ctx, step);
    // A status report with beforeAnswer goes out before the answer is written.
    if (decision.afterwards.length > 0)
      this.parts.scheduler.beforeAnswer(this.session, ctx, decision, answer.timestamp);
    const timestamp = this.give(ctx, slot, answer);
    if (decision.afterwards.length > 0)
      this.parts.scheduler.afterwards(this.session, ctx, decision, timestamp);
  }

  private answerOf(ctx: RequestContext, step: TerminalStep): Answer {
    if (step.kind === 'fault')
      return { ...this.answerOf(ctx, step.answer ?? { kind: 'respond' }), fault: step.fault };
    if (step.kind === 'respond' && ctx.frame.op === Op.Login) {
      const refusal = this.parts.registry.admitLogin(this.session, ctx.fields.user ?? '');
      if (refusal !== undefined) return { frames: errorFrames(ctx, refusal) };
    }
    return answerFor(ctx, step, this.parts.store);
  }

  /** Puts the answer in its slot (it leaves in order). */
  private fill(slot: AnswerSlot, answer: Answer): void {
    if (answer.fault !== undefined) slot.fault = answer.fault;
    this.hooks.answers.fill(
      slot,
      answer.frames,
      answer.closeAfter === true
        ? () => {
            this.session.close({ code: 0, text: 'logout' });
          }
        : undefined,
    );
    slot.ticket?.answered(answer.timestamp);
    this.hooks.answerGiven();
  }

  /** Carries out an answer; returns the 060 of a positive submit answer. */
  private give(ctx: RequestContext, slot: AnswerSlot, answer: Answer): string | undefined {
    if (answer.login !== undefined) this.hooks.loggedIn(answer.login);
    const wait = answer.throttled === true ? this.parts.throttle.reserve() : 0;
    if (wait > 0)
      this.hooks.timers.after(wait, () => {
        this.fill(slot, answer);
      });
    else this.fill(slot, answer);
    if (answer.disconnect === true)
      this.session.close({ code: 0, text: 'disconnected by the scenario' });
    return answer.timestamp;
  }
}
