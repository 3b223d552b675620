/**
 * The application's answer to a request held in manual mode (component API send…Response):
 * it fills the held request's slot, in order, and has the effects the built-in answer would
 * have had (a positive 51 logs the session in; a positive 53 records the message and completes
 * its part). Without a held request for it, the frame is written at once.
 */
import { getParam, type Frame } from '../protocol/frame.js';
import { Op } from '../protocol/operations.js';
import { Param } from '../protocol/parameters.js';
import type { AnswerQueue } from './answer-queue.js';
import type { MessageStore } from './message-store.js';

/** What of its session a held answer works with. */
export interface HeldAnswerPorts {
  readonly answers: AnswerQueue;
  readonly store: MessageStore;
  /** Writes a frame now (no held request matched). */
  write(frame: Frame): void;
  /** Marks the session logged in as `user`. */
  loggedIn(user: string): void;
}

/**
 * Answers the held request `frame` responds to, or writes `frame` at once. True when it filled
 * a request's answer slot.
 */
export function answerHeld(frame: Frame, ports: HeldAnswerPorts): boolean {
  const slot = ports.answers.find(frame.pn, frame.op - 50);
  if (slot === undefined) {
    ports.write(frame);
    return false;
  }
  const ctx = slot.held;
  if (ctx !== undefined) {
    const code = Number(getParam(frame, Param.ErrorCode) ?? '0');
    if (frame.op === Op.LoginResponse && code === 0) ports.loggedIn(ctx.fields.user ?? '');
    if (frame.op === Op.SubmitResponse) {
      const ts = code === 0 ? getParam(frame, Param.ServiceCentreTimeStamp) : undefined;
      if (ts !== undefined) ports.store.accepted(ts, ctx.fields.destination ?? '');
      slot.ticket?.answered(ts);
    }
  }
  ports.answers.fill(slot, [frame]);
  return true;
}
