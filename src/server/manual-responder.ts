/**
 * Who answers a request: a Responder decides at once; the component's manual mode
 * (`responder: 'manual'`) holds logins and submits until the application answers them with
 * `sendLoginResponse` / `sendSubmitMessageResponse`, and lets the built-in default answer the
 * rest. The session asks `holds()` before it emits the request's events (an application may
 * answer from inside its handler) and `decide()` only for requests not held.
 */
import { Op } from '../protocol/operations.js';
import type { Decision, RequestContext, Responder } from './ports.js';

export interface RequestDecider {
  /** True when the request waits for an answer through the component API. */
  holds(op: number): boolean;
  decide(request: RequestContext): Decision;
}

/** Manual mode: logins and submits wait for the application; `fallback` decides the rest. */
export class ManualResponder implements RequestDecider {
  private readonly fallback: Responder;

  constructor(fallback: Responder) {
    this.fallback = fallback;
  }

  holds(op: number): boolean {
    return op === Op.Login || op === Op.Submit;
  }

  decide(request: RequestContext): Decision {
    return this.fallback.decide(request);
  }
}

/** A Responder as a RequestDecider (it holds nothing). */
export function immediate(responder: Responder): RequestDecider {
  return {
    holds: () => false,
    decide: (request) => responder.decide(request),
  };
}
