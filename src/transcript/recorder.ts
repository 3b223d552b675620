/**
 * Turns server events into transcript records (see record.ts) and writes them to a sink.
 *
 * Ordering: records get `seq` 1, 2, 3 … in the order the events are emitted, synchronously, so
 * there is no gap and the records of one session are in wire order. The server emits
 * `frame-out` before it writes to the socket, so an out frame is recorded no later than it is
 * written.
 */
import type { EventEmitter } from 'node:events';
import { checksumTrailer } from '../protocol/checksum.js';
import type { DecodeResult } from '../protocol/decoder.js';
import type { Frame, Parameter } from '../protocol/frame.js';
import { paramKey } from '../protocol/frame.js';
import { opName } from '../protocol/operations.js';
import { Param } from '../protocol/parameters.js';
import { systemClock, type Clock } from '../util/clock.js';
import type {
  CloseReason,
  MultipartExpiredEvent,
  ScheduledItemEvent,
  ServerEvents,
  SubmitCompletedEvent,
} from '../server/events.js';
import type { Afterward, Decision, RequestContext, SessionInfo, Step } from '../server/ports.js';
import { frameFields, paramPairs, redactRaw } from './frame-fields.js';
import { redactExplanation } from './redact-explanation.js';
import type {
  ChecksumState,
  DecisionAction,
  FrameErrorAnswer,
  FrameFields,
  JsonValue,
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

/** Checksum state of encoded bytes STX…ETX (PROTOCOL.md §1.2). */
export const checksumOf: (raw: Uint8Array) => ChecksumState = checksumTrailer;

function paramsJson(params: readonly Parameter[]): JsonValue[] {
  return params.map((p) => [paramKey(p.code), p.value]);
}

function stepJson(step: Step): DecisionAction {
  switch (step.kind) {
    case 'respond': {
      const out: Record<string, JsonValue> = { kind: 'respond' };
      if (step.params !== undefined) out['params'] = paramsJson(step.params);
      if (step.timestamp !== undefined) out['timestamp'] = step.timestamp;
      return out as DecisionAction;
    }
    case 'delay':
    case 'error':
    case 'nack':
    case 'generalError':
    case 'drop':
    case 'disconnect':
      return { ...step };
  }
}

function afterwardJson(a: Afterward): DecisionAction {
  return { ...a };
}

function answerFor(result: Extract<DecodeResult, { ok: false }>): FrameErrorAnswer {
  const pn = result.pn ?? 0;
  switch (result.error.code) {
    case 'ERR_CIMD_FRAME_TOO_LONG':
      return { close: true };
    case 'ERR_CIMD_CHECKSUM':
      return { op: 99, opName: 'nack', pn };
    default:
      return { op: 98, opName: 'general-error', pn, errorCode: result.error.cimdErrorCode };
  }
}

/**
 * Records what a server does. Attach it to one or more servers, or feed it with `record()` for
 * events from elsewhere (scenario loads, server start/stop).
 *
 * Guarantees: `seq` runs 1, 2, 3 … without a gap across everything recorded; `ts` is the
 * clock's time as ISO-8601 UTC with milliseconds; the records of one session keep wire order;
 * each frame costs one decode of its fields and one latin1 conversion of its bytes, and the
 * record is handed to the sink synchronously (the sink batches the I/O).
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
  private readonly detachers = new Set<() => void>();

  constructor(sink: TranscriptSink, options: TranscriptRecorderOptions = {}) {
    this.sink = sink;
    this.clock = options.clock ?? systemClock;
    this.redact = options.redactPasswords ?? false;
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
    this.sink.write(record);
  }

  private count(r: TranscriptRecord): void {
    if (r.kind === 'frame') {
      const by = r.dir === 'in' ? this.framesIn : this.framesOut;
      by[r.opName] = (by[r.opName] ?? 0) + 1;
    } else if (r.kind === 'session-open') this.sessions++;
    else if (r.kind === 'frame-error') this.frameErrors++;
    else if (r.kind === 'decision') this.decisions++;
    else if (r.kind === 'unmatched') this.unmatched++;
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
    const hasPassword = this.redact && frame.params.some((p) => p.code === Param.Password);
    const fields: FrameFields = frameFields(frame);
    const rawText = raw.toString('latin1');
    // A literal in record key order: frames are most of the records.
    const record: RecordOf<'frame'> = {
      seq: ++this.seq,
      ts: this.timestamp(),
      kind: 'frame',
      session,
      dir,
      op: frame.op,
      opName: opName(frame.op),
      pn: frame.pn,
      params: paramPairs(frame, hasPassword),
      fields,
      checksum: checksumState,
      raw: hasPassword ? redactRaw(rawText) : rawText,
    };
    this.commit(record);
    return record;
  }

  /** Records an inbound decode result: a `frame`, or a `frame-error` with the answer it gets. */
  recordDecodeResult(session: string, result: DecodeResult): TranscriptRecord {
    if (result.ok)
      return this.recordFrame(session, 'in', result.frame, result.raw, result.checksum);
    const rawText = result.raw.toString('latin1');
    const body: RecordBody<'frame-error'> = {
      dir: 'in',
      error: result.error.code,
      message: result.error.message,
      cimdErrorCode: result.error.cimdErrorCode,
      ...(result.op !== undefined ? { op: result.op, opName: opName(result.op) } : {}),
      ...(result.pn !== undefined ? { pn: result.pn } : {}),
      raw: this.redact ? redactRaw(rawText) : rawText,
      answer: answerFor(result),
    };
    return this.record('frame-error', body, session);
  }

  /** Records a decision, then an `unmatched` record when no rule matched. */
  recordDecision(session: string, request: RequestContext, decision: Decision): void {
    const { frame } = request;
    const name = opName(frame.op);
    const record: RecordOf<'decision'> = {
      seq: ++this.seq,
      ts: this.timestamp(),
      kind: 'decision',
      session,
      pn: frame.pn,
      op: frame.op,
      opName: name,
      rule: decision.ruleId,
      explanation: this.redact
        ? redactExplanation(decision.explanation, request.fields.password)
        : decision.explanation,
      actions: decision.steps.map(stepJson),
      afterwards: decision.afterwards.map(afterwardJson),
    };
    this.commit(record);
    if (decision.unmatched !== undefined) {
      this.record(
        'unmatched',
        {
          pn: frame.pn,
          op: frame.op,
          opName: name,
          explanation: this.redact
            ? redactExplanation(decision.unmatched, request.fields.password)
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
    // Built member by member in record key order (one per submit: conditional spreads cost).
    const r: Record<string, unknown> = {
      seq: ++this.seq,
      ts: this.timestamp(),
      kind: 'assembled',
      session: e.clientId,
    };
    if (e.user !== undefined) r['user'] = e.user;
    r['destination'] = e.destination;
    if (e.originator !== undefined) r['originator'] = e.originator;
    if (e.text !== undefined) r['text'] = e.text;
    else if (e.bytes !== undefined) r['binary'] = e.bytes.toString('hex').toUpperCase();
    r['encoding'] = e.encoding;
    r['parts'] = e.parts;
    if (e.reference !== undefined) r['reference'] = e.reference;
    r['packetNumbers'] = [...e.packetNumbers];
    r['timestamps'] = e.timestamps.map((t) => t ?? null);
    this.commit(r as unknown as RecordOf<'assembled'>);
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
      'frame-in': (s, result) => {
        this.recordDecodeResult(s.id, result);
      },
      'frame-out': (s, frame, raw) => {
        this.recordFrame(s.id, 'out', frame, raw);
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
