/**
 * What the package shows of a session (`server.session(id)`, `server.handle(…)`): its identity,
 * state and counters, and `close()`. The machinery behind it (answer queue, outbound window,
 * timers) stays inside src/server.
 */
import type { CloseReason } from './events.js';
import type { SessionInfo } from './ports.js';

export type SessionState = 'connected' | 'authenticated' | 'closing' | 'closed';

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

/** One CIMD2 connection of the server. */
export interface Session {
  /** Stable id of the connection ("c1", "c2", …): the component's ClientID. */
  readonly id: string;
  /** Remote address as `ip:port` (`[ip]:port` for IPv6). */
  readonly remote: string;
  readonly remoteHost: string;
  readonly remotePort: number;
  /** Clock time the session opened. */
  readonly openedAt: number;
  readonly info: SessionInfo;
  /** Logged-in user identity, once a login succeeded. */
  readonly user: string | undefined;
  readonly state: SessionState;
  readonly isOpen: boolean;
  /** Resolves when the session has closed. */
  readonly closed: Promise<CloseReason>;
  /** The reason the session closed, once closed. */
  readonly reason: CloseReason | undefined;
  /** Server-initiated requests queued or waiting for their answer (at most `maxOutstanding`). */
  readonly outstanding: number;
  /** Bytes of an unfinished inbound frame held by the decoder (always below `maxFrameLength`). */
  readonly bufferedBytes: number;
  /** Inbound requests whose answer has not been written yet. */
  readonly pendingAnswers: number;
  /** True when no answer is pending and no server request is outstanding. */
  readonly idle: boolean;
  /**
   * Closes the session now (idempotent). Output already written is flushed first unless
   * `abort` is set; `reset` aborts with a TCP RST (a socket; other streams are destroyed).
   */
  close(reason: CloseReason, options?: { abort?: boolean; reset?: boolean }): void;
}
