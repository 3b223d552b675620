/**
 * The server's parts a session works with (one object shared by every session), generic in the
 * session type so that the parts of a session's work living in their own files (request-flow.ts)
 * need no import of the session class.
 */
import type { Clock } from '../util/clock.js';
import type { ConnectionFaults } from './connection-faults.js';
import type { RequestDecider } from './manual-responder.js';
import type { MessageStore } from './message-store.js';
import type { ResolvedSessionOptions } from './options.js';
import type { Decision, RequestContext } from './ports.js';
import type { Reassembler } from './reassembler.js';
import type { RegisteredSession, SessionRegistry } from './registry.js';
import type { ServerSignals } from './signals.js';
import type { Throttle } from './throttle.js';

export interface ServerParts<S extends RegisteredSession> {
  readonly clock: Clock;
  readonly options: ResolvedSessionOptions;
  readonly signals: ServerSignals;
  readonly registry: SessionRegistry<S>;
  readonly store: MessageStore;
  readonly throttle: Throttle;
  readonly reassembler: Reassembler;
  /** Connection-level faults (latency, bandwidth, outage). */
  readonly faults: ConnectionFaults;
  /** Who answers requests now (the responder may be swapped at run time). */
  readonly decider: () => RequestDecider;
  /** KeepAliveInterval in ms (it may change at run time). */
  readonly keepAliveMs: () => number;
  /** Server-initiated work after decisions, and its end with the session. */
  readonly scheduler: {
    afterwards(
      session: S,
      request: RequestContext,
      decision: Decision,
      timestamp: string | undefined,
    ): void;
    /** The decision's `beforeAnswer` status reports, sent now (before the answer). */
    beforeAnswer(
      session: S,
      request: RequestContext,
      decision: Decision,
      timestamp: string | undefined,
    ): void;
    loggedIn(session: S): void;
    sessionClosed(session: S): void;
  };
}
