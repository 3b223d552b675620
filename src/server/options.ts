/**
 * Options of the SMSC server (`new SmscServer(options)`, and the facade's server options), and
 * their validation into the values the parts use.
 */
import { DEFAULT_MAX_FRAME_LENGTH } from '../protocol/constants.js';
import { ConfigError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import type { Responder } from './ports.js';

export interface SmscServerOptions {
  /** Time source; default real time. */
  readonly clock?: Clock;
  /**
   * Decides every answer. Default: the built-in accept-all responder. `'manual'`: logins and
   * submits wait for `sendLoginResponse` / `sendSubmitMessageResponse` (component style).
   */
  readonly responder?: Responder | 'manual';
  /** KeepAliveInterval in seconds; 0 = off (default). */
  readonly keepAliveInterval?: number;
  /** How long to wait for the 90 to a keep-alive 40 before closing (ms, default 10 000). */
  readonly aliveTimeoutMs?: number;
  /** ThrottleRate: server-sent messages per second; 0 = unlimited (default). */
  readonly throttleRate?: number;
  /** Outbound window: server requests awaiting an answer at once (default 1). */
  readonly window?: number;
  /** Wait for a 70/73 before resending (ms, default 10 000). */
  readonly ackTimeoutMs?: number;
  /** Resends with the same packet number before giving up (default 2). */
  readonly maxResends?: number;
  /** Frame size limit in bytes (default 4096): longer closes the session. */
  readonly maxFrameLength?: number;
  /** Append a checksum to sent frames (default true). */
  readonly checksum?: boolean;
  /** Time zone of 060/063 values: IANA name, default UTC. */
  readonly timeZone?: string;
  /** Logged-in sessions per user; 0 = unlimited (default). Extra logins get 102. */
  readonly maxSessionsPerUser?: number;
  /** With maxSessionsPerUser: a new login replaces the user's oldest session instead of 102. */
  readonly replaceOldestSession?: boolean;
  /** Incomplete multipart sets expire after this (ms, default 10 minutes). */
  readonly multipartTtlMs?: number;
  /** Stop reading a session while this many requests await their answer (default 256). */
  readonly maxPendingRequests?: number;
  /** Close a session whose unread output exceeds this (default 4 MiB). */
  readonly maxWriteBufferBytes?: number;
  /** Delay of the default status report (ms, default 100). */
  readonly statusReportDelayMs?: number;
  /**
   * Open connections at once (sessions plus connections awaiting acceptance), default 1000;
   * 0 = unlimited. A connection over the limit is closed at once (`session-opened` then
   * `session-closed` with code −1), before `tcp-connected`.
   */
  readonly maxSessions?: number;
  /**
   * Open connections at once from one remote address (IPv4-mapped IPv6 counts as IPv4), so one
   * host cannot take every `maxSessions` slot; 0 = no per-address limit. Default: 100 for every
   * address except loopback (127.0.0.0/8, ::1, in-memory streams), which only `maxSessions`
   * bounds (a local load test opens thousands of sessions from 127.0.0.1). An explicit value
   * applies to every address, loopback included. Refused like `maxSessions`.
   */
  readonly maxSessionsPerAddress?: number;
  /** Close a session that has not logged in successfully this long after connecting (ms, default 30 000; 0 = off). */
  readonly loginTimeoutMs?: number;
  /**
   * Close a session from which no frame arrived for this long (ms; 0 = off). Default: 10 minutes,
   * or twice the keep-alive interval when that is longer (read when the timer is armed). Unlike
   * keep-alive, nothing is sent first.
   */
  readonly idleTimeoutMs?: number;
  /** Server requests (20, 23) queued or in flight per session (default 1000); more reject with LimitError. */
  readonly maxOutstanding?: number;
  /** Scheduled items (afterwards, schedule) pending in the whole server (default 100 000); more are cancelled at once. */
  readonly maxScheduledItems?: number;
  /** Incomplete multipart sets held (default 10 000); a new one over the limit expires the oldest. */
  readonly maxMultipartSets?: number;
  /**
   * A closing session whose output does not flush within this is destroyed (ms, default 5000).
   * After a client's FIN (half-close) the session also waits at most this long for the answers
   * still due, then closes.
   */
  readonly lingerMs?: number;
}

/** The idle timeout when none is given (ms); twice the keep-alive interval wins when longer. */
export const DEFAULT_IDLE_TIMEOUT_MS = 600_000;

/** Sessions per non-loopback remote address when `maxSessionsPerAddress` is not given. */
export const DEFAULT_MAX_SESSIONS_PER_ADDRESS = 100;

/** What each session uses of the options (checked, defaults applied). */
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
  /** undefined: the default (DEFAULT_IDLE_TIMEOUT_MS, or twice the keep-alive interval if longer). */
  readonly idleTimeoutMs: number | undefined;
  readonly maxOutstanding: number;
  readonly lingerMs: number;
}

/** Every option checked, defaults applied. */
export interface ResolvedServerOptions {
  readonly session: ResolvedSessionOptions;
  readonly keepAliveInterval: number;
  readonly throttleRate: number;
  readonly timeZone: string;
  readonly maxSessionsPerUser: number;
  readonly replaceOldestSession: boolean;
  readonly maxSessions: number;
  /** undefined: the default (100 per non-loopback address; loopback unlimited). */
  readonly maxSessionsPerAddress: number | undefined;
  readonly maxScheduledItems: number;
  readonly multipartTtlMs: number;
  readonly maxMultipartSets: number;
}

/** Checks the options; throws ConfigError naming the first bad one. */
export function resolveServerOptions(options: SmscServerOptions): ResolvedServerOptions {
  return {
    session: {
      maxFrameLength: positive(
        options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH,
        'maxFrameLength',
      ),
      checksum: options.checksum ?? true,
      window: positive(options.window ?? 1, 'window'),
      ackTimeoutMs: positive(options.ackTimeoutMs ?? 10_000, 'ackTimeoutMs'),
      maxResends: nonNegative(options.maxResends ?? 2, 'maxResends'),
      aliveTimeoutMs: positive(options.aliveTimeoutMs ?? 10_000, 'aliveTimeoutMs'),
      maxPendingRequests: positive(options.maxPendingRequests ?? 256, 'maxPendingRequests'),
      maxWriteBufferBytes: positive(
        options.maxWriteBufferBytes ?? 4 * 1024 * 1024,
        'maxWriteBufferBytes',
      ),
      loginTimeoutMs: nonNegative(options.loginTimeoutMs ?? 30_000, 'loginTimeoutMs'),
      idleTimeoutMs:
        options.idleTimeoutMs === undefined
          ? undefined
          : nonNegative(options.idleTimeoutMs, 'idleTimeoutMs'),
      maxOutstanding: positive(options.maxOutstanding ?? 1000, 'maxOutstanding'),
      lingerMs: nonNegative(options.lingerMs ?? 5000, 'lingerMs'),
    },
    maxSessions: nonNegative(options.maxSessions ?? 1000, 'maxSessions'),
    maxSessionsPerAddress:
      options.maxSessionsPerAddress === undefined
        ? undefined
        : nonNegative(options.maxSessionsPerAddress, 'maxSessionsPerAddress'),
    maxScheduledItems: positive(options.maxScheduledItems ?? 100_000, 'maxScheduledItems'),
    timeZone: options.timeZone ?? 'UTC',
    throttleRate: nonNegative(options.throttleRate ?? 0, 'throttleRate'),
    keepAliveInterval: nonNegative(options.keepAliveInterval ?? 0, 'keepAliveInterval'),
    maxSessionsPerUser: nonNegative(options.maxSessionsPerUser ?? 0, 'maxSessionsPerUser'),
    replaceOldestSession: options.replaceOldestSession ?? false,
    multipartTtlMs: positive(options.multipartTtlMs ?? 600_000, 'multipartTtlMs'),
    maxMultipartSets: positive(options.maxMultipartSets ?? 10_000, 'maxMultipartSets'),
  };
}

export function positive(n: number, name: string): number {
  if (!Number.isFinite(n) || n <= 0)
    throw new ConfigError(`${name} must be a positive number, got ${n}`);
  return n;
}

export function nonNegative(n: number, name: string): number {
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${name} must be ≥ 0, got ${n}`);
  return n;
}
