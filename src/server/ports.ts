/**
 * What the server core needs from outside. The scenario engine implements `Responder`; the
 * server never learns about YAML. `decide()` is synchronous and pure apart from rule counters and
 * state; the session executes the decision (delays through the Clock, then the terminal step,
 * then the `afterwards` items timed from the terminal step).
 */
import type { Frame, Parameter } from '../protocol/frame.js';
import type { TextEncoding } from '../protocol/encodings.js';
import type { RequestFields } from '../protocol/fields.js';
import type { ConnectionFaultSpec } from './connection-faults.js';
import type { Fault, OutboundFault } from './faults.js';

export type { Fault, FaultKind, OutboundFault } from './faults.js';
export type {
  ActiveFaults,
  ConnectionFaultSpec,
  LatencyFault,
  OutageFault,
  OutageMode,
} from './connection-faults.js';

export type { Clock, TimerHandle } from '../util/clock.js';

/** What the server knows about a session when it asks for a decision. */
export interface SessionInfo {
  /** Stable id of the connection ("c1", "c2", …): the component's ClientID. */
  readonly id: string;
  /** Logged-in user identity (010), once login succeeded. */
  readonly user: string | undefined;
  /** Remote address as `ip:port`. */
  readonly remote: string;
}

/** Text encodings of user data (the component's seven; the list is TEXT_ENCODINGS). */
export type { TextEncoding };

export type { RequestFields } from '../protocol/fields.js';

/** Everything the Responder sees about one inbound request. */
export interface RequestContext {
  readonly session: SessionInfo;
  readonly frame: Frame;
  /** Operation name from the protocol tables (login, submit, alive, …). */
  readonly opName: string;
  readonly fields: RequestFields;
  /** Clock time when the request was decoded. */
  readonly now: number;
  /**
   * For a login: how many other sessions are logged in with the user identity it names (for
   * other requests: with the session's user). Lets a Responder enforce maxSessions (102).
   */
  readonly userSessions: number;
}

/**
 * One step of the answer. Zero or more `delay` steps, then exactly one terminal step.
 * - respond: positive response (op + 50); for submits the server adds 021 and a unique 060
 *   unless `timestamp` fixes it; `params` are appended.
 * - error: the response op + 50 carrying 900 (and 901, default text from the error table).
 * - nack: 99 with the request's packet number.
 * - generalError: 98 carrying 900/901.
 * - drop: never answer.
 * - disconnect: close the TCP connection without answering.
 * - fault: the answer `answer` would give (default the positive one), distorted on the wire by
 *   `fault` (faults.ts).
 */
export type Step =
  | { readonly kind: 'delay'; readonly ms: number }
  | {
      readonly kind: 'respond';
      readonly params?: readonly Parameter[];
      readonly timestamp?: string;
    }
  | { readonly kind: 'error'; readonly code: number; readonly text?: string }
  | { readonly kind: 'nack' }
  | { readonly kind: 'generalError'; readonly code: number; readonly text?: string }
  | { readonly kind: 'drop' }
  | { readonly kind: 'disconnect' }
  | { readonly kind: 'fault'; readonly fault: Fault; readonly answer?: FaultedAnswerStep };

/** The answers a `fault` step may distort. */
export type FaultedAnswerStep = Extract<
  Step,
  { kind: 'respond' | 'error' | 'generalError' | 'nack' }
>;

export type TerminalStep = Exclude<Step, { kind: 'delay' }>;

/**
 * Server-initiated work that follows a decision, timed from the terminal step. String fields
 * may hold templates (`{{destination}}`, `{{originator}}`, `{{text}}`, `{{user}}`,
 * `{{timestamp}}`, `{{session}}`), rendered by the session when the item fires with the values
 * of the request and its answer.
 * `target: 'user'` lets the item go to another session of the same user when the original
 * session closed; `'session'` (default) cancels it with the session.
 */
export type Afterward =
  | {
      readonly kind: 'statusReport';
      readonly afterMs: number;
      /** 061 status code 0–9. */
      readonly status: number;
      /** 062 status error code. */
      readonly errorCode?: number;
      /** 063 as yymmddhhmmss; default: the clock when the report fires, never before the 060. */
      readonly dischargeTime?: string;
      readonly target?: 'session' | 'user';
      /** Sent right before the submit's answer instead of after it (`afterMs` is 0). */
      readonly beforeAnswer?: boolean;
      /** Sent a second time: same content, a new packet number. */
      readonly duplicate?: boolean;
      /** Its first transmission goes out distorted. */
      readonly fault?: OutboundFault;
    }
  | {
      readonly kind: 'deliver';
      readonly afterMs: number;
      readonly from: string;
      readonly to: string;
      readonly text?: string;
      /** Hex bytes for binary content. */
      readonly hex?: string;
      readonly encoding?: TextEncoding;
      /** UDH hex including UDHL. */
      readonly udh?: string;
      readonly target?: 'session' | 'user';
      /** Sent a second time: same content, new packet numbers. */
      readonly duplicate?: boolean;
      /** The first transmission of each part goes out distorted. */
      readonly fault?: OutboundFault;
    }
  | { readonly kind: 'disconnect'; readonly afterMs: number }
  /** Changes the server's connection faults (a `schedule` item). */
  | { readonly kind: 'faults'; readonly afterMs: number; readonly faults: ConnectionFaultSpec };

/** The Responder's answer to one request. */
export interface Decision {
  readonly steps: readonly Step[];
  readonly afterwards: readonly Afterward[];
  /** Id of the rule that decided; null for the built-in default. */
  readonly ruleId: string | null;
  /** Human-readable reason (rule explanation, or why nothing matched). */
  readonly explanation: string;
  /** Set when no rule matched: the near-miss explanation of the closest rules. */
  readonly unmatched?: string;
}

/** Decides every answer. Must not throw for peer behaviour (a throw is a bug: 98 code 6). */
export interface Responder {
  decide(request: RequestContext): Decision;
}
