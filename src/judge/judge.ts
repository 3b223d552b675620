/**
 * The client judge (docs/judge.md): watches the client's side of every conversation of a server
 * and reports each protocol violation as a finding `{ check, severity, message, frameSeq }`.
 *
 * It is an observer of the server's events, attached AFTER the transcript recorder: while it
 * handles a frame's event, the recorder has just written that frame's record, so `lastSeq()`
 * is the frame's `seq` (the finding's `frameSeq`). It reads the fields the server decoded once
 * per frame (the `frame-in` detail) and never decodes a frame again. Time-based checks run on
 * the injected clock.
 */
import type { EventEmitter } from 'node:events';
import type { DecodeResult } from '../protocol/decoder.js';
import { FrameDecode } from '../protocol/fields.js';
import type { Frame } from '../protocol/frame.js';
import type { CloseReason, FrameInDetail, ServerEvents } from '../server/events.js';
import type { SessionInfo } from '../server/ports.js';
import type { Clock } from '../util/clock.js';
import {
  CHECKS,
  DEFAULT_LEVELS,
  checkIndex,
  severityOf,
  type CheckId,
  type CheckLevels,
  type Severity,
} from './checks.js';
import { SessionJudge, type SessionJudgeContext } from './session-judge.js';

/** One finding as reported (the recorder adds seq, ts, kind and session). */
export interface FindingBody {
  readonly check: CheckId;
  readonly severity: Severity;
  readonly message: string;
  /** `seq` of the record of the frame the finding is about. */
  readonly frameSeq: number;
}

/** Options of {@link ClientJudge}. */
export interface ClientJudgeOptions {
  readonly clock: Clock;
  /** `seq` of the last transcript record written (the frame being handled). */
  readonly lastSeq: () => number;
  /** Called for each finding of a check that is on, with the severity it has now. */
  readonly report: (session: string, finding: FindingBody) => void;
  /** The levels in force (the scenario's `checks:`), read at each finding. Default: all on. */
  readonly levels?: () => CheckLevels;
  /** KeepAliveInterval in ms (0 = off: no silence check). Default 0. */
  readonly keepAliveMs?: () => number;
  /** How long a 20 or 23 waits for its answer (default 10 000 ms, the server's `ackTimeoutMs`). */
  readonly ackTimeoutMs?: number;
  /** How long a 40 waits for its 90 (default 10 000 ms, the server's `aliveTimeoutMs`). */
  readonly aliveTimeoutMs?: number;
  /** How long an incomplete concatenated message may stay open (default 10 minutes). */
  readonly multipartTtlMs?: number;
}

/** What {@link ClientJudge.attach} needs: a server's typed `on`/`off`. */
export type JudgedServer = Pick<EventEmitter<ServerEvents>, 'on' | 'off'>;

/** Highest parameter code the repeated-parameter scratch covers (901 error text). */
const MAX_CODE = 1000;

export class ClientJudge {
  private readonly options: ClientJudgeOptions;
  private readonly sessions = new Map<string, SessionJudge>();
  private readonly ctx: SessionJudgeContext;
  private readonly levels: () => CheckLevels;
  private frameStamp = 0;
  /** The session of the last frame (consecutive frames are mostly one connection's). */
  private lastId: string | undefined;
  private last: SessionJudge | undefined;

  constructor(options: ClientJudgeOptions) {
    this.options = options;
    this.levels = options.levels ?? (() => DEFAULT_LEVELS);
    const keepAliveMs = options.keepAliveMs ?? (() => 0);
    const seen = new Int32Array(MAX_CODE);
    this.ctx = {
      clock: options.clock,
      found: (session, check, message, frameSeq) => {
        this.found(session, check, message, frameSeq);
      },
      keepAliveMs,
      ackTimeoutMs: options.ackTimeoutMs ?? 10_000,
      aliveTimeoutMs: options.aliveTimeoutMs ?? 10_000,
      multipartTtlMs: options.multipartTtlMs ?? 600_000,
      seen,
      stamp: () => ++this.frameStamp,
    };
  }

  private found(session: string, check: CheckId, message: string, frameSeq: number): void {
    const severity = severityOf(this.levels()[checkIndex(check)] ?? 0);
    if (severity === undefined) return;
    this.options.report(session, { check, severity, message, frameSeq });
  }

  /** Sessions being judged. */
  get size(): number {
    return this.sessions.size;
  }

  private session(id: string): SessionJudge {
    if (id === this.lastId && this.last !== undefined) return this.last;
    let s = this.sessions.get(id);
    if (s === undefined) {
      s = new SessionJudge(id, this.ctx);
      this.sessions.set(id, s);
    }
    this.lastId = id;
    this.last = s;
    return s;
  }

  /** A connection opened. */
  sessionOpened(session: SessionInfo): void {
    this.session(session.id);
  }

  /** An inbound frame (the `frame-in` event), after its record was written. */
  frameIn(session: SessionInfo, result: DecodeResult, detail?: FrameInDetail): void {
    const seq = this.options.lastSeq();
    const s = this.session(session.id);
    if (!result.ok) {
      const checksum = result.error.code === 'ERR_CIMD_CHECKSUM';
      s.badFrame(seq, checksum, result.error.message, result.op, result.pn);
      return;
    }
    s.frameIn(result.frame, seq, detail instanceof FrameDecode ? detail : undefined);
  }

  /** An outbound frame (the `frame-out` event), after its record was written. */
  frameOut(session: SessionInfo, frame: Frame): void {
    const id = session.id;
    const s = id === this.lastId ? this.last : this.sessions.get(id);
    s?.frameOut(frame, this.options.lastSeq());
  }

  /** A connection closed (after its `session-close` record). */
  sessionClosed(session: SessionInfo, reason: CloseReason): void {
    const s = this.sessions.get(session.id);
    if (s === undefined) return;
    this.sessions.delete(session.id);
    if (this.last === s) {
      this.lastId = undefined;
      this.last = undefined;
    }
    s.close(reason);
  }

  /**
   * Subscribes to a server's events (attach the transcript recorder first); returns a function
   * that unsubscribes.
   */
  attach(server: JudgedServer): () => void {
    const onOpen = (s: SessionInfo): void => {
      this.sessionOpened(s);
    };
    const onIn = (s: SessionInfo, r: DecodeResult, d?: FrameInDetail): void => {
      this.frameIn(s, r, d);
    };
    const onOut = (s: SessionInfo, f: Frame): void => {
      this.frameOut(s, f);
    };
    const onClose = (s: SessionInfo, r: CloseReason): void => {
      this.sessionClosed(s, r);
    };
    server.on('session-opened', onOpen);
    server.on('frame-in', onIn);
    server.on('frame-out', onOut);
    server.on('session-closed', onClose);
    return () => {
      server.off('session-opened', onOpen);
      server.off('frame-in', onIn);
      server.off('frame-out', onOut);
      server.off('session-closed', onClose);
    };
  }
}

export { CHECKS };
