/**
 * `GET /events`: every transcript record as a Server-Sent Event, live.
 *
 * No subscription, no parsing: while at least one stream is open, a timer every
 * {@link BATCH_MS} ms asks the in-memory ring for the JSONL after each stream's position
 * (`transcriptBytes`, whole-line slices of the kept bytes) and writes it as events: one per
 * record (`id:` = seq, `event: record`), or with `?batch=true` one per batch (`event: records`,
 * the lines as one JSON array, `id:` = the seq it ends at). A mock with no stream open pays
 * nothing.
 *
 * What one batch costs (events-frame.ts): the kept bytes are copied once into a pooled Buffer
 * and framed there in place (per record, a few bytes written and the line moved with `copyWithin`; in a batch, each
 * line's newline becomes a comma), filters read off the bytes of each line's head: no string,
 * view or allocation per record. Then one write. The ring finds the slices without reading each
 * line, and lends nothing (they are copied before the next record is written).
 *
 * Never buffered without bound: about {@link BATCH_BYTES} at most are written per turn, and
 * nothing more while the socket has not drained; the ring itself is what a lagging stream
 * catches up from. A stream that does not drain for {@link STALL_MS} ms gets `event: reconnect`
 * and is closed: the client comes back with `Last-Event-ID` and loses nothing still kept.
 */
import type http from 'node:http';
import type { MockSmsc } from '../mock-smsc.js';
import { RECORD_KINDS, isRecordKind } from '../transcript/index.js';
import {
  HttpError,
  checkQueryKeys,
  invalidQuery,
  queryOne,
  type RouteRequest,
} from './http-util.js';
import {
  BufferPool,
  batchEvent,
  linesIn,
  recordEvents,
  type Filters,
  type LineHead,
} from './events-frame.js';
import type { EventsHello, EventsReconnect } from './inbox-types.js';

/** Batch period of the event streams. */
export const BATCH_MS = 50;
/**
 * Bytes of records read for one stream per turn, at most (whole records; one bigger record goes
 * alone), framed into one write: a stream that keeps up under load gets a few such writes per
 * {@link BATCH_MS}.
 */
export const BATCH_BYTES = 512 * 1024;
/** A stream that does not drain for this long is closed with `event: reconnect`. */
export const STALL_MS = 10_000;
/** Comment line sent on an idle stream this often. */
export const KEEPALIVE_MS = 15_000;
/** Most event streams at once. */
export const MAX_STREAMS = 32;
/** `retry:` sent to EventSource clients (ms). */
export const RETRY_MS = 1000;

interface Stream extends Filters {
  readonly res: http.ServerResponse;
  /** Seq of the last record sent (or skipped by the filters). */
  after: number;
  /** One `records` event per batch (`?batch=true`) instead of one `record` event per record. */
  readonly batch: boolean;
  /** Set when a filter is. */
  readonly filtered: boolean;
  /** Set while waiting for `drain`: when it started. */
  stalledSince: number | undefined;
  lastWrite: number;
  /** The next write must first say that records were lost. */
  checkTruncated: boolean;
  /** The last pump stopped at the batch size with records left: catch up on `drain`. */
  behind: boolean;
  closed: boolean;
}

/** Options of {@link EventHub}. */
export interface EventHubOptions {
  readonly batchMs?: number;
  readonly stallMs?: number;
  readonly batchBytes?: number;
  readonly maxStreams?: number;
}

/** The event streams of one control API. */
export class EventHub {
  private readonly mock: MockSmsc;
  private readonly streams = new Set<Stream>();
  private timer: NodeJS.Timeout | undefined;
  private readonly batchMs: number;
  private readonly stallMs: number;
  private readonly batchBytes: number;
  private readonly maxStreams: number;
  /** Scratch of the filters (one record head at a time). */
  private readonly pool = new BufferPool();
  private readonly head: LineHead = { kindStart: 0, kindEnd: 0, sessionStart: -1, sessionEnd: -1 };

  constructor(mock: MockSmsc, options: EventHubOptions = {}) {
    this.mock = mock;
    this.batchMs = options.batchMs ?? BATCH_MS;
    this.stallMs = options.stallMs ?? STALL_MS;
    this.batchBytes = options.batchBytes ?? BATCH_BYTES;
    this.maxStreams = options.maxStreams ?? MAX_STREAMS;
  }

  /** Streams open now. */
  get size(): number {
    return this.streams.size;
  }

  /** Opens a stream for `GET /events`. */
  open(r: RouteRequest<unknown>): void {
    checkQueryKeys(r.query, ['kind', 'session', 'since', 'batch']);
    const batch = queryOne(r.query, 'batch') ?? 'false';
    if (batch !== 'true' && batch !== 'false') {
      throw invalidQuery(`"batch" must be true or false (got ${JSON.stringify(batch)})`);
    }
    const kinds = list(queryOne(r.query, 'kind'));
    for (const k of kinds ?? []) {
      if (!isRecordKind(k)) {
        throw invalidQuery(
          `"kind": unknown record kind ${JSON.stringify(k)} (known: ${RECORD_KINDS.join(', ')})`,
        );
      }
    }
    const sessions = list(queryOne(r.query, 'session'));
    const header = r.req.headers['last-event-id'];
    const since = queryOne(r.query, 'since');
    const raw = typeof header === 'string' && header.trim() !== '' ? header.trim() : since;
    if (raw !== undefined && !/^\d{1,15}$/.test(raw)) {
      throw invalidQuery(
        `${raw === since ? '"since"' : 'Last-Event-ID'} must be a record seq (got ${JSON.stringify(raw)})`,
      );
    }
    if (this.streams.size >= this.maxStreams) {
      throw new HttpError(
        503,
        'ERR_CONTROL_BUSY',
        `too many event streams at once (at most ${this.maxStreams})`,
        {
          headers: { 'Retry-After': '5' },
        },
      );
    }
    const lastSeq = this.mock.lastSeq;
    const from = raw === undefined ? lastSeq : Math.min(Number(raw), lastSeq);
    const { res } = r;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    const hello: EventsHello = { lastSeq, epoch: this.mock.epoch, from };
    res.write(`retry: ${RETRY_MS}\n\nevent: hello\ndata: ${JSON.stringify(hello)}\n\n`);
    const stream: Stream = {
      res,
      after: from,
      batch: batch === 'true',
      filtered: kinds !== undefined || sessions !== undefined,
      kinds: kinds === undefined ? undefined : new Set(kinds),
      sessions: sessions === undefined ? undefined : new Set(sessions),
      kindBytes: kinds?.map((k) => Buffer.from(k, 'utf8')),
      sessionBytes: sessions?.map((k) => Buffer.from(k, 'utf8')),
      stalledSince: undefined,
      lastWrite: Date.now(),
      checkTruncated: true,
      behind: false,
      closed: false,
    };
    this.streams.add(stream);
    res.on('close', () => {
      stream.closed = true;
      this.streams.delete(stream);
      if (this.streams.size === 0) this.stop();
    });
    this.pump(stream);
    this.start();
  }

  private start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.tick();
    }, this.batchMs);
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.pool.clear();
  }

  private tick(): void {
    const now = Date.now();
    for (const s of [...this.streams]) {
      if (s.stalledSince !== undefined) {
        if (now - s.stalledSince >= this.stallMs) this.drop(s, 'slow-client');
        continue;
      }
      if (!this.pump(s) && now - s.lastWrite >= KEEPALIVE_MS) this.write(s, ': keep-alive\n\n');
    }
  }

  /** Writes what is new for `s` (one batch); true when something was written. */
  private pump(s: Stream): boolean {
    if (s.closed || s.stalledSince !== undefined) return false;
    s.behind = false;
    let notice: Buffer | undefined;
    if (s.checkTruncated) {
      s.checkTruncated = false;
      if (this.mock.truncatedSince(s.after)) {
        const first = this.mock.transcriptBytes(s.after, 1);
        const seq = first.bytes > 0 ? first.lastSeq : this.mock.lastSeq + 1;
        notice = Buffer.from(`event: truncated\ndata: ${JSON.stringify({ from: seq })}\n\n`);
      }
    }
    // Whole-line slices of the kept JSONL, about a batch (nothing parsed, the lines not even
    // read by the ring), valid until the next record is written: framed into one Buffer at once.
    let chunks: readonly Buffer[] = [];
    let bytes = 0;
    let count = 0;
    let last = s.after;
    if (this.mock.lastSeq > last) {
      const range = this.mock.transcriptBytes(last, this.batchBytes);
      chunks = range.chunks;
      bytes = range.bytes;
      last = bytes > 0 ? range.lastSeq : this.mock.lastSeq;
      s.behind = range.more;
      // A batch needs no count; events per record size their Buffer by it.
      if (s.batch) count = bytes > 0 ? 1 : 0;
      else for (const c of chunks) count += linesIn(c);
    }
    s.after = last;
    const filters = s.filtered ? s : undefined;
    let body: Buffer | undefined;
    if (count > 0) {
      body = s.batch
        ? batchEvent(this.pool, filters, chunks, bytes, last, this.head)
        : recordEvents(this.pool, filters, chunks, bytes, count, this.head);
    }
    if (notice !== undefined) {
      const framed = body;
      body = framed === undefined ? notice : Buffer.concat([notice, framed]);
      if (framed !== undefined) this.pool.give(framed);
    }
    if (body === undefined) return false;
    this.write(s, body, notice === undefined);
    return true;
  }

  /** Writes to `s`; a framed batch (`pooled`) goes back to the pool once the socket has it. */
  private write(s: Stream, text: string | Buffer, pooled = false): void {
    s.lastWrite = Date.now();
    const done =
      pooled && typeof text !== 'string'
        ? (error?: Error | null): void => {
            // Nothing is kept once the last stream closed.
            if ((error === undefined || error === null) && this.streams.size > 0) {
              this.pool.give(text);
            }
          }
        : undefined;
    if (s.res.write(text, done)) return;
    s.stalledSince = Date.now();
    s.res.once('drain', () => {
      s.stalledSince = undefined;
      // A stream left behind catches up at once; one that got everything waits for the next
      // tick (bigger batches, fewer writes).
      if (s.behind) this.pump(s);
    });
  }

  /** Closes a stream telling the client to come back with Last-Event-ID. */
  private drop(s: Stream, reason: EventsReconnect['reason']): void {
    if (s.closed) return;
    s.closed = true;
    this.streams.delete(s);
    const body: EventsReconnect = { reason, lastSeq: s.after };
    // The connection ends with the stream (no keep-alive): the client reconnects afresh.
    const socket = s.res.socket;
    s.res.end(`event: reconnect\ndata: ${JSON.stringify(body)}\n\n`, () => socket?.end());
    // A client that does not read at all would hold the socket: cut it soon.
    const cut = setTimeout(() => socket?.destroy(), 1000);
    cut.unref();
    socket?.once('close', () => {
      clearTimeout(cut);
    });
    if (this.streams.size === 0) this.stop();
  }

  /** Ends every stream (the API closes). */
  close(): void {
    for (const s of [...this.streams]) this.drop(s, 'shutdown');
    this.stop();
  }
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** `GET /events`. */
export function getEvents(r: RouteRequest<{ readonly events: EventHub }>): Promise<void> {
  r.ctx.events.open(r);
  return Promise.resolve();
}
