/**
 * Turns server events into transcript records (see record.ts) and writes them to a sink.
 *
 * Ordering: records get `seq` 1, 2, 3 … in the order the events are emitted, synchronously, so
 * there is no gap and the records of one session are in wire order. A server holds the events
 * of one socket read until its answers are written, then emits them in order in the same job
 * (server/signals.ts: answer first), so an out frame is recorded before anything else is read.
 *
 * Over 500 lines on purpose: one handler per server event, each writing its record kind in place (the per-frame path:
 * no intermediate objects); the byte writers live in lines.ts and json-bytes.ts.
 */
import type { EventEmitter } from 'node:events';
import { checksumTrailer } from '../protocol/checksum.js';
import type { DecodeResult } from '../protocol/decoder.js';
import { FrameDecode } from '../protocol/fields.js';
import { unencodedFrames, type Frame } from '../protocol/frame.js';
import { opName } from '../protocol/operations.js';
import { Param } from '../protocol/parameters.js';
import { systemClock, type Clock } from '../util/clock.js';
import { TrafficTally } from './traffic-tally.js';
import type {
  BadFrameAnswer,
  CloseReason,
  FaultEvent,
  FrameInDetail,
  MultipartExpiredEvent,
  ScheduledItemEvent,
  ServerEvents,
  SubmitCompletedEvent,
} from '../server/events.js';
import type { Decision, RequestContext, SessionInfo } from '../server/ports.js';
import { redactRaw } from './frame-fields.js';
import { redactExplanation } from './redact-explanation.js';
import { JsonBytes } from './json-bytes.js';
import { CHECKSUM_FROM_BYTES, checksumCode } from './packed-records.js';
import {
  afterwardJson,
  frameRecord,
  writeAssembled,
  writeDecision,
  writeFrame,
  type LineHead,
} from './lines.js';
import type {
  ChecksumState,
  FrameErrorAnswer,
  FrameFields,
  RecordKind,
  RecordOf,
  TranscriptCounts,
  TranscriptRecord,
} from './record.js';
import type { TranscriptSink } from './sinks.js';

/** Options of {@link TranscriptRecorder}. */
export interface TranscriptRecorderOptions {
  /** Source of `ts` (default: real time). Use the server's clock so both agree. */
  readonly clock?: Clock;
  /** Replace 011 password values by `***` in `params`, `fields` and `raw`. Default false. */
  readonly redactPasswords?: boolean;
  /**
   * `seq` of the record before the first one written (default 0): a run appended to an
   * existing transcript continues its numbering, so `seq` stays a key of the file.
   */
  readonly seqBase?: number;
}

/** The members of a record of kind `K` that the caller supplies (no seq, ts, kind, session). */
export type RecordBody<K extends RecordKind> =
  RecordOf<K> extends infer R
    ? R extends TranscriptRecord
      ? Omit<R, 'seq' | 'ts' | 'kind' | 'session'>
      : never
    : never;

/** What {@link TranscriptRecorder.attach} needs: a server's typed `on`/`off`. */
export type RecordableServer = Pick<EventEmitter<ServerEvents>, 'on' | 'off'>;

/** Extra `server-start` details only the caller knows. */
export interface AttachOptions {
  /** Scenario file or label written in `server-start` (default null). */
  readonly scenario?: string | null;
  /** Version written in `server-start` (default "unknown"). */
  readonly version?: string;
  /** Id of the run written in `server-start` as `runId` (absent when not given). */
  readonly runId?: string;
}

/** Checksum state of encoded bytes STX…ETX (docs/protocol.md#checksum). */
export const checksumOf: (raw: Uint8Array) => ChecksumState = checksumTrailer;

/** The record's form of the answer the server gave to a bad frame. */
function answerJson(answer: BadFrameAnswer): FrameErrorAnswer {
  if ('close' in answer) return { close: true };
  return answer.op === 99
    ? { op: 99, opName: 'nack', pn: answer.pn }
    : { op: 98, opName: 'general-error', pn: answer.pn, errorCode: answer.errorCode };
}

/** The record body of a fault event (the fields it has, in the schema's order). */
function faultBody(e: FaultEvent): RecordBody<'fault'> {
  return {
    fault: e.fault,
    ...(e.phase !== undefined ? { phase: e.phase } : {}),
    ...(e.pn !== undefined ? { pn: e.pn } : {}),
    ...(e.op !== undefined ? { op: e.op, opName: opName(e.op) } : {}),
    ...(e.baseMs !== undefined ? { baseMs: e.baseMs } : {}),
    ...(e.jitterMs !== undefined ? { jitterMs: e.jitterMs } : {}),
    ...(e.bytesPerSecond !== undefined ? { bytesPerSecond: e.bytesPerSecond } : {}),
    ...(e.mode !== undefined ? { mode: e.mode } : {}),
    ...(e.forMs !== undefined ? { forMs: e.forMs } : {}),
    ...(e.closeSessions !== undefined ? { closeSessions: e.closeSessions } : {}),
    ...(e.remote !== undefined ? { remote: e.remote } : {}),
  };
}

/** The answer the server's fixed rules give to a bad frame (for callers without the session's). */
function ruledAnswer(result: Extract<DecodeResult, { ok: false }>): BadFrameAnswer {
  const pn = result.pn ?? 0;
  switch (result.error.code) {
    case 'ERR_CIMD_FRAME_TOO_LONG':
      return { close: true };
    case 'ERR_CIMD_CHECKSUM':
      return { op: 99, pn };
    default:
      return { op: 98, pn, errorCode: result.error.cimdErrorCode };
  }
}

/**
 * Records what a server does. Attach it to one or more servers, or feed it with `record()` for
 * events from elsewhere (scenario loads, server start/stop).
 *
 * Guarantees: `seq` runs 1, 2, 3 … without a gap across everything recorded; `ts` is the
 * clock's time as ISO-8601 UTC with milliseconds; the records of one session keep wire order;
 * an inbound frame's fields come from the server's one decode (the `frame-in` detail), and a
 * record is handed to the sink synchronously as its JSONL line, written by the writer of its
 * kind (lines.ts) without building the record object (the sink batches the I/O).
 */
export class TranscriptRecorder {
  readonly sink: TranscriptSink;
  private readonly clock: Clock;
  private readonly redact: boolean;
  private seq: number;
  private readonly seqBase: number;
  private sessions = 0;
  private readonly framesIn: Record<string, number> = {};
  private readonly framesOut: Record<string, number> = {};
  private frameErrors = 0;
  private decisions = 0;
  private tsMs = NaN;
  private tsText = '';
  private unmatched = 0;
  /** The `/stats` traffic figures (submits per second, error answers, ack timeouts), counted here. */
  readonly traffic = new TrafficTally();
  private readonly detachers = new Set<() => void>();
  private readonly out: (buf: Buffer, start: number, end: number, seq: number) => void;
  private readonly target: ((w: JsonBytes) => void) | undefined;
  private readonly packFrame: TranscriptSink['packFrame'];
  private readonly packAssembled: TranscriptSink['packAssembled'];
  /** Where each line is written (in the sink's buffer when it offers one, else copied by it). */
  private readonly lineBuffer = new JsonBytes();
  /** True while a sink takes a line (a subscriber recording from inside gets its own buffer). */
  private busy = false;

  constructor(sink: TranscriptSink, options: TranscriptRecorderOptions = {}) {
    this.sink = sink;
    this.clock = options.clock ?? systemClock;
    this.redact = options.redactPasswords ?? false;
    this.out =
      sink.writeSlice !== undefined
        ? sink.writeSlice.bind(sink)
        : sink.writeBytes !== undefined
          ? (buf, start, end, seq) => {
              sink.writeBytes?.(buf.subarray(start, end), seq);
            }
          : (buf, start, end) => {
              sink.write(JSON.parse(buf.toString('utf8', start, end)) as TranscriptRecord);
            };
    this.target =
      sink.writeSlice !== undefined && sink.target !== undefined
        ? sink.target.bind(sink)
        : undefined;
    this.packFrame = sink.packFrame !== undefined ? sink.packFrame.bind(sink) : undefined;
    this.packAssembled =
      sink.packAssembled !== undefined ? sink.packAssembled.bind(sink) : undefined;
    this.seqBase = options.seqBase ?? 0;
    this.seq = this.seqBase;
  }

  /** The `seq` of the last record written (0 before the first). */
  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Writes one record of `kind` now, with the next `seq` and the clock's `ts`, and returns it.
   * `session` is required for the per-session kinds (see record.ts).
   */
  record<K extends RecordKind>(kind: K, body: RecordBody<K>, session?: string): RecordOf<K> {
    const head: Record<string, unknown> = { seq: ++this.seq, ts: this.timestamp(), kind };
    if (session !== undefined) head['session'] = session;
    const record = Object.assign(head, body) as unknown as RecordOf<K>;
    this.commit(record);
    return record;
  }

  /** The clock's time as ISO-8601; records of the same millisecond share one string. */
  private timestamp(): string {
    const now = this.clock.now();
    if (now !== this.tsMs) {
      this.tsText = new Date(now).toISOString();
      this.tsMs = now;
    }
    return this.tsText;
  }

  private commit(record: TranscriptRecord): void {
    this.count(record);
    this.writeText(JSON.stringify(record), record.seq);
  }

  /** Hands a line given as text to the sink. */
  private writeText(line: string, seq: number): void {
    const w = this.begin();
    w.json(line);
    this.emitLine(w, seq);
  }

  /**
   * An empty line buffer: the shared one, pointed into the sink's own buffer when it offers one
   * (the line is then written where the sink keeps it), unless a sink is taking a line right now.
   */
  private begin(): JsonBytes {
    if (this.busy) {
      const w = new JsonBytes(1024);
      w.begin();
      return w;
    }
    const w = this.lineBuffer;
    w.begin();
    if (this.target !== undefined) this.target(w);
    return w;
  }

  private emitLine(w: JsonBytes, seq: number): void {
    const outer = this.busy;
    this.busy = true;
    try {
      this.out(w.buffer, w.lineStart, w.lineEnd, seq);
    } finally {
      this.busy = outer;
    }
  }

  private head(session: string): LineHead {
    return { seq: ++this.seq, ts: this.timestamp(), session };
  }

  /** Counts a frame record; `ms` is its time. */
  private countFrame(dir: 'in' | 'out', frame: Frame, ms: number): void {
    const by = dir === 'in' ? this.framesIn : this.framesOut;
    const name = opName(frame.op);
    by[name] = (by[name] ?? 0) + 1;
    this.traffic.frame(dir, frame, ms);
  }

  private count(r: TranscriptRecord): void {
    if (r.kind === 'frame') {
      const by = r.dir === 'in' ? this.framesIn : this.framesOut;
      by[r.opName] = (by[r.opName] ?? 0) + 1;
      this.traffic.frameRecord(r);
    } else if (r.kind === 'session-open') this.sessions++;
    else if (r.kind === 'frame-error') this.frameErrors++;
    else if (r.kind === 'decision') this.decisions++;
    else if (r.kind === 'unmatched') this.unmatched++;
    else if (r.kind === 'ack-timeout') this.traffic.ackTimeout();
  }

  /** Totals so far, as written in `server-stop`. */
  counts(): TranscriptCounts {
    return {
      records: this.seq - this.seqBase,
      sessions: this.sessions,
      framesIn: { ...this.framesIn },
      framesOut: { ...this.framesOut },
      frameErrors: this.frameErrors,
      decisions: this.decisions,
      unmatched: this.unmatched,
    };
  }

  /** Records a frame going `dir` with its exact bytes (`checksum` defaults to what `raw` carries). */
  recordFrame(
    session: string,
    dir: 'in' | 'out',
    frame: Frame,
    raw: Buffer,
    checksumState: ChecksumState = checksumOf(raw),
  ): RecordOf<'frame'> {
    const redact = this.redacts(frame);
    const h = this.head(session);
    const record = frameRecord(
      h,
      dir,
      frame,
      new FrameDecode(frame).fields,
      checksumState,
      this.rawText(raw, redact),
      redact,
    );
    this.countFrame(dir, frame, this.tsMs);
    this.writeText(JSON.stringify(record), h.seq);
    return record;
  }

  /** Writes a frame record as its line (no record object); `fields` from the frame's decode. */
  private frame(
    session: string,
    dir: 'in' | 'out',
    frame: Frame,
    fields: FrameFields,
    raw: Buffer,
    checksumState: ChecksumState,
    fault?: string,
  ): void {
    const h = this.head(session);
    this.countFrame(dir, frame, this.tsMs);
    const w = this.begin();
    if (this.redacts(frame))
      writeFrame(w, h, dir, frame, fields, checksumState, raw, this.rawText(raw, true), fault);
    else writeFrame(w, h, dir, frame, fields, checksumState, raw, undefined, fault);
    this.emitLine(w, h.seq);
  }

  /**
   * Hands a frame record to a sink that keeps it packed (its line written when read: the
   * in-memory transcript); false when the line must be written now (no such sink, a password
   * to redact, or outbound bytes the caller gave that were not encoded from the frame).
   */
  private packed(
    session: string,
    dir: number,
    frame: Frame,
    checksum: number,
    raw: Buffer,
  ): boolean {
    if (this.packFrame === undefined || this.busy || this.redacts(frame)) return false;
    if (dir === 1 && unencodedFrames.has(frame)) return false;
    const seq = this.seq + 1;
    const ms = this.clock.now();
    if (!this.packFrame(seq, ms, session, dir, checksum, raw)) return false;
    this.seq = seq;
    this.countFrame(dir === 0 ? 'in' : 'out', frame, ms);
    return true;
  }

  private redacts(frame: Frame): boolean {
    if (!this.redact) return false;
    for (const p of frame.params) if (p.code === Param.Password) return true;
    return false;
  }

  private rawText(raw: Buffer, redact: boolean): string {
    const text = raw.toString('latin1');
    return redact ? redactRaw(text) : text;
  }

  /**
   * Records an inbound decode result: a `frame`, or a `frame-error` with the answer it got
   * (`detail`: the session's decode of the frame, or its answer to the bad frame; without it,
   * the fields are decoded here and the answer is the server's fixed rule).
   */
  recordDecodeResult(session: string, result: DecodeResult, detail?: FrameInDetail): void {
    if (result.ok) {
      if (this.packed(session, 0, result.frame, checksumCode(result.checksum), result.raw)) return;
      const fields =
        detail instanceof FrameDecode ? detail.fields : new FrameDecode(result.frame).fields;
      this.frame(session, 'in', result.frame, fields, result.raw, result.checksum);
      return;
    }
    const answer =
      detail !== undefined && !(detail instanceof FrameDecode) ? detail : ruledAnswer(result);
    const rawText = result.raw.toString('latin1');
    const body: RecordBody<'frame-error'> = {
      dir: 'in',
      error: result.error.code,
      message: result.error.message,
      cimdErrorCode: result.error.cimdErrorCode,
      ...(result.op !== undefined ? { op: result.op, opName: opName(result.op) } : {}),
      ...(result.pn !== undefined ? { pn: result.pn } : {}),
      raw: this.redact ? redactRaw(rawText) : rawText,
      answer: answerJson(answer),
    };
    this.record('frame-error', body, session);
  }

  /** Records a decision, then an `unmatched` record when no rule matched. */
  recordDecision(session: string, request: RequestContext, decision: Decision): void {
    const { frame } = request;
    const h = this.head(session);
    this.decisions++;
    const password = this.redact ? request.fields.password : undefined;
    const w = this.begin();
    writeDecision(
      w,
      h,
      frame,
      decision,
      this.redact ? redactExplanation(decision.explanation, password) : decision.explanation,
    );
    this.emitLine(w, h.seq);
    if (decision.unmatched !== undefined) {
      this.record(
        'unmatched',
        {
          pn: frame.pn,
          op: frame.op,
          opName: opName(frame.op),
          explanation: this.redact
            ? redactExplanation(decision.unmatched, password)
            : decision.unmatched,
        },
        session,
      );
    }
  }

  private item(kind: 'scheduled' | 'fired', session: string, item: ScheduledItemEvent): void {
    const at = new Date(item.at).toISOString();
    if (kind === 'scheduled') {
      this.record('scheduled', { id: item.id, action: afterwardJson(item.action), at }, session);
      return;
    }
    this.record(
      'fired',
      {
        id: item.id,
        action: afterwardJson(item.action),
        at,
        ...(item.packetNumbers !== undefined ? { packetNumbers: [...item.packetNumbers] } : {}),
        ...(item.cancelled !== undefined ? { cancelled: item.cancelled } : {}),
      },
      session,
    );
  }

  private assembled(e: SubmitCompletedEvent): void {
    if (!this.busy && this.packAssembled?.(this.seq + 1, this.clock.now(), e) === true) {
      this.seq++;
      return;
    }
    const seq = ++this.seq;
    const w = this.begin();
    writeAssembled(w, seq, this.timestamp(), e);
    this.emitLine(w, seq);
  }

  private expired(e: MultipartExpiredEvent): void {
    this.record(
      'multipart-expired',
      {
        destination: e.destination,
        ...(e.originator !== undefined ? { originator: e.originator } : {}),
        reference: e.reference,
        total: e.total,
        received: [...e.received],
      },
      e.clientId,
    );
  }

  /**
   * Subscribes to a server's events and records them; returns a function that unsubscribes.
   * `listening` becomes `server-start` (with `options.scenario` and `options.version`).
   */
  attach(server: RecordableServer, options: AttachOptions = {}): () => void {
    const on: { [K in keyof ServerEvents]?: (...args: ServerEvents[K]) => void } = {
      listening: (address) => {
        this.record('server-start', {
          host: address.host,
          port: address.port,
          scenario: options.scenario ?? null,
          version: options.version ?? 'unknown',
          ...(options.runId !== undefined ? { runId: options.runId } : {}),
        });
      },
      'session-opened': (s: SessionInfo) => {
        this.record('session-open', { remote: s.remote }, s.id);
      },
      'session-closed': (s: SessionInfo, reason: CloseReason) => {
        this.record('session-close', { code: reason.code, reason: reason.text }, s.id);
      },
      'frame-in': (s, result, detail) => {
        this.recordDecodeResult(s.id, result, detail);
      },
      'frame-out': (s, frame, raw, fault) => {
        if (fault === undefined && this.packed(s.id, 1, frame, CHECKSUM_FROM_BYTES, raw)) return;
        this.frame(s.id, 'out', frame, new FrameDecode(frame).fields, raw, checksumOf(raw), fault);
      },
      fault: (e) => {
        this.record('fault', faultBody(e), e.session);
      },
      decision: (s, request, decision) => {
        this.recordDecision(s.id, request, decision);
      },
      scheduled: (s, item) => {
        this.item('scheduled', s.id, item);
      },
      fired: (s, item) => {
        this.item('fired', s.id, item);
      },
      'submit-completed': (e) => {
        this.assembled(e);
      },
      'multipart-expired': (e) => {
        this.expired(e);
      },
      'ack-timeout': (s, frame, attempts) => {
        this.record(
          'ack-timeout',
          { op: frame.op, opName: opName(frame.op), pn: frame.pn, attempts },
          s.id,
        );
      },
      'unexpected-response': (s, frame) => {
        this.record(
          'unexpected-response',
          { op: frame.op, opName: opName(frame.op), pn: frame.pn },
          s.id,
        );
      },
    };
    const entries = Object.entries(on) as [keyof ServerEvents, (...args: unknown[]) => void][];
    const emitter = server as unknown as {
      on(event: string, fn: (...args: unknown[]) => void): unknown;
      off(event: string, fn: (...args: unknown[]) => void): unknown;
    };
    for (const [event, fn] of entries) emitter.on(event, fn);
    const detach = (): void => {
      for (const [event, fn] of entries) emitter.off(event, fn);
      this.detachers.delete(detach);
    };
    this.detachers.add(detach);
    return detach;
  }

  /** Writes `server-stop` with the counts so far (e.g. on SIGTERM or `stop()`). */
  serverStop(reason: string): RecordOf<'server-stop'> {
    return this.record('server-stop', { reason, counts: this.counts() });
  }

  /** Resolves when the sink has written everything recorded so far. */
  flush(): Promise<void> {
    return this.sink.flush();
  }

  /** Writes everything recorded so far before returning (signal and exit handlers). */
  flushSync(): void {
    this.sink.flushSync();
  }

  /** Detaches from every server and closes the sink. */
  async close(): Promise<void> {
    for (const d of [...this.detachers]) d();
    await this.sink.close();
  }
}
