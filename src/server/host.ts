/** The server services a Session uses (implemented by SmscServer; kept narrow for tests). */
import type { Clock } from '../util/clock.js';
import type { ServerEvents, CloseReason } from './events.js';
import type { Decision, RequestContext, Responder } from './ports.js';
import type { Reassembler } from './reassembler.js';
import type { Session } from './session.js';
import type { Throttle } from './throttle.js';
import type { TimestampAllocator } from './timestamps.js';

/** Server packet-number counter shared by the sessions of one user (never restarts at 000). */
export interface PnCounter {
  next: number;
}

export interface ResolvedSessionOptions {
  readonly maxFrameLength: number;
  readonly checksum: boolean;
  readonly window: number;
  readonly ackTimeoutMs: number;
  readonly maxResends: number;
  readonly aliveTimeoutMs: number;
  readonly maxPendingRequests: number;
  readonly maxWriteBufferBytes: number;
  readonly loginTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxOutstanding: number;
  readonly lingerMs: number;
}

export interface SessionHost {
  readonly clock: Clock;
  readonly options: ResolvedSessionOptions;
  readonly timestamps: TimestampAllocator;
  readonly throttle: Throttle;
  readonly reassembler: Reassembler;
  readonly responder: Responder | 'manual';
  readonly defaultResponder: Responder;
  readonly keepAliveMs: number;
  readonly tracing: boolean;
  emit<K extends keyof ServerEvents>(event: K, ...args: ServerEvents[K]): boolean;
  emitError(error: unknown): void;
  /** Emits `limit-reached` (the caller has already given the limit's defined answer). */
  limitReached(limit: string, value: number, detail: string, clientId?: string): void;
  trace(session: Session, dir: 'in' | 'out', op: number, raw: Buffer): void;
  userSessionCount(user: string, except: Session): number;
  /** undefined to admit the login, else the CIMD2 error code for the 51 (e.g. 102). */
  admitLogin(session: Session, user: string): number | undefined;
  onLoggedIn(session: Session): void;
  onClosed(session: Session, reason: CloseReason): void;
  pnCounterFor(user: string): PnCounter;
  reserveTimestamp(destination: string, timestamp: string): void;
  rememberMessage(timestamp: string, destination: string): void;
  messageStatus(timestamp: string, destination: string): number | undefined;
  scheduleAfterwards(
    session: Session,
    request: RequestContext,
    decision: Decision,
    timestamp: string | undefined,
  ): void;
}
