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
 * What one batch costs: the kept bytes are copied once into a pooled Buffer and framed there in
 * place (per record, a few bytes written and the line moved with `copyWithin`; in a batch, each
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
import type { EventsHello, EventsReconnect } from './inbox-types.js';

/** Batch period of the event streams. */
export const BATCH_MS = 50;
/**
 * Bytes written to one stream per turn, about (a turn stops at the first record past them): a
 * stream that keeps up under load gets a few writes this big per {@link BATCH_MS}.
 */
export const BATCH_BYTES = 512 * 1024;
/** Buffers kept for the next batches, the smallest and largest size kept. */
const POOL_BUFFERS = 4;
const POOL_MIN_BYTES = 64 * 1024;
const POOL_MAX_BYTES = 4 * 1024 * 1024;
/** A stream that does not drain for this long is closed with `event: reconnect`. */
export const STALL_MS = 10_000;
/** Comment line sent on an idle stream this often. */
export const KEEPALIVE_MS = 15_000;
/** Most event streams at once. */
export const MAX_STREAMS = 32;
/** `retry:` sent to EventSource clients (ms). */
export const RETRY_MS = 1000;

/** `id: ` and `\nevent: record\ndata: `: around the seq, before each record line. */
const ID_OPEN = Buffer.from('id: ', 'latin1');
const EVENT_DATA = Buffer.from('\nevent: record\ndata: ', 'latin1');
/** Longest seq copied from the line as it is (safe integers; longer ones are formatted). */
const MAX_SEQ_DIGITS = 15;
/** Longest `id:` value written (a seq formatted by `String`). */
const MAX_ID_LENGTH = 24;
/**
 * Most bytes a per-record event adds to its line: `id: `, the id, `\nevent: record\ndata: ` and
 * the blank line's newline (the line's own newline ends the `data:` line).
 */
const MAX_EVENT_OVERHEAD = ID_OPEN.length + MAX_ID_LENGTH + EVENT_DATA.length + 1;
/** The head of a record line is read within this many bytes; past them it is parsed. */
const HEAD_SPAN = 200;

const TS_KEY = Buffer.from(',"ts":"', 'latin1');
const KIND_KEY = Buffer.from('","kind":"', 'latin1');
const SESSION_KEY = Buffer.from(',"session":"', 'latin1');

/** True when `buf` holds `bytes` at `pos`, before `limit` (compared byte by byte: no native call). */
function bytesAt(buf: Buffer, pos: number, bytes: Buffer, limit: number): boolean {
  if (pos + bytes.length > limit) return false;
  for (let i = 0; i < bytes.length; i++) if (buf[pos + i] !== bytes[i]) return false;
  return true;
}

/** True when `buf[start, end)` equals one of `list` (byte by byte). */
function equalsAny(buf: Buffer, start: number, end: number, list: readonly Buffer[]): boolean {
  const n = end - start;
  next: for (const b of list) {
    if (b.length !== n) continue;
    for (let i = 0; i < n; i++) if (buf[start + i] !== b[i]) continue next;
    return true;
  }
  return false;
}

/**
 * Digits of the seq at the start of a record line (`{"seq":N,…`): the offset after the last
 * digit, or -1 when the line does not start so.
 */
function seqEnd(line: Buffer, start: number, end: number): number {
  if (
    end - start <= 7 ||
    line[start] !== 0x7b || // {
    line[start + 1] !== 0x22 || // "
    line[start + 2] !== 0x73 || // s
    line[start + 3] !== 0x65 || // e
    line[start + 4] !== 0x71 || // q
    line[start + 5] !== 0x22 || // "
    line[start + 6] !== 0x3a // :
  ) {
    return -1;
  }
  let i = start + 7;
  while (i < end) {
    const d = (line[i] ?? 0) - 0x30;
    if (d < 0 || d > 9) break;
    i++;
  }
  return i === start + 7 ? -1 : i;
}

function digitsValue(line: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + ((line[i] ?? 0) - 0x30);
  return n;
}

/** Where the kind and the session of a record line are (offsets in its buffer). */
interface LineHead {
  kindStart: number;
  kindEnd: number;
  /** -1: the record has no session. */
  sessionStart: number;
  sessionEnd: number;
}

/**
 * Reads the head `{"seq":N,"ts":"…","kind":"…"(,"session":"…")?` of the line `buf[start, end)`
 * off its bytes (the recorder writes these keys first, in this order; `afterSeq` is the offset
 * after the seq digits): false when only a parse can tell (another key order, an escaped
 * session, a head longer than {@link HEAD_SPAN}).
 */
function headOf(buf: Buffer, start: number, end: number, afterSeq: number, out: LineHead): boolean {
  const limit = Math.min(end, start + HEAD_SPAN);
  if (!bytesAt(buf, afterSeq, TS_KEY, limit)) return false;
  let i = afterSeq + TS_KEY.length;
  while (i < limit && buf[i] !== 0x22) i++;
  if (!bytesAt(buf, i, KIND_KEY, limit)) return false;
  const kindStart = i + KIND_KEY.length;
  i = kindStart;
  while (i < limit) {
    const c = buf[i] ?? 0;
    if (!((c >= 0x61 && c <= 0x7a) || c === 0x2d)) break;
    i++;
  }
  if (i === kindStart || i >= limit || buf[i] !== 0x22) return false;
  out.kindStart = kindStart;
  out.kindEnd = i;
  out.sessionStart = -1;
  out.sessionEnd = -1;
  i++;
  if (bytesAt(buf, i, SESSION_KEY, limit)) {
    const sessionStart = i + SESSION_KEY.length;
    i = sessionStart;
    while (i < limit && buf[i] !== 0x22) {
      if (buf[i] === 0x5c) return false; // an escape: the parse decodes it
      i++;
    }
    if (i >= limit) return false;
    out.sessionStart = sessionStart;
    out.sessionEnd = i;
  }
  return true;
}

/** The filters of a stream, as strings (for parsed records) and as UTF-8 bytes (for lines). */
interface Filters {
  readonly kinds: ReadonlySet<string> | undefined;
  readonly sessions: ReadonlySet<string> | undefined;
  readonly kindBytes: readonly Buffer[] | undefined;
  readonly sessionBytes: readonly Buffer[] | undefined;
}

/**
 * True when the record line `buf[start, end)` passes the filters (`afterSeq`: the offset after
 * its seq digits, -1 when it has none). `head` is scratch.
 */
function passes(
  f: Filters,
  buf: Buffer,
  start: number,
  end: number,
  afterSeq: number,
  head: LineHead,
): boolean {
  if (afterSeq >= 0 && headOf(buf, start, end, afterSeq, head)) {
    if (f.kindBytes !== undefined && !equalsAny(buf, head.kindStart, head.kindEnd, f.kindBytes)) {
      return false;
    }
    return (
      f.sessionBytes === undefined ||
      head.sessionStart < 0 ||
      equalsAny(buf, head.sessionStart, head.sessionEnd, f.sessionBytes)
    );
  }
  const rec = JSON.parse(buf.toString('utf8', start, end)) as { kind: string; session?: unknown };
  if (f.kinds !== undefined && !f.kinds.has(rec.kind)) return false;
  return f.sessions === undefined || typeof rec.session !== 'string' || f.sessions.has(rec.session);
}

/** Lines (newlines) in `buf`. */
function linesIn(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) n++;
  return n;
}

/** The seq of a record line without the `{"seq":N` head (parsed). */
function parsedSeq(buf: Buffer, start: number, end: number): number {
  return (JSON.parse(buf.toString('utf8', start, end)) as { seq: number }).seq;
}

/** Buffers the batches are framed in, used again once written (no fresh memory per batch). */
class BufferPool {
  private readonly free: Buffer[] = [];

  /** A Buffer of `size` bytes (its contents are garbage). */
  take(size: number): Buffer {
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (b !== undefined && b.length >= size) {
        this.free.splice(i, 1);
        return b.subarray(0, size);
      }
    }
    return Buffer.allocUnsafe(Math.max(size, POOL_MIN_BYTES)).subarray(0, size);
  }

  /**
   * Takes back the Buffer from {@link take} that `view` (a batch framed in it) starts, once
   * nothing refers to it any more.
   */
  give(view: Buffer): void {
    // take() never hands out a slice of Node's shared pool (it asks for 64 KiB at least).
    if (view.byteOffset !== 0 || view.buffer.byteLength > POOL_MAX_BYTES) return;
    const buf = Buffer.from(view.buffer, 0, view.buffer.byteLength);
    if (this.free.length >= POOL_BUFFERS) this.free.shift();
    this.free.push(buf);
  }

  clear(): void {
    this.free.length = 0;
  }
}

/**
 * Copies the record lines of `chunks` (each ending with a newline) into a new Buffer of
 * `capacity` bytes at `offset`: the events are then framed in place, front to back, each line
 * moved at most once (`copyWithin`: no view, no allocation per line) to just after its framing.
 * Lines only move towards the front, and the room left before them is at least all the framing
 * written before them, so what is still to read is never overwritten.
 */
function copyLines(
  pool: BufferPool,
  chunks: readonly Buffer[],
  capacity: number,
  offset: number,
): Buffer {
  const out = pool.take(capacity);
  let at = offset;
  for (const c of chunks) at += c.copy(out, at);
  return out;
}

/**
 * Per-record events (`id: SEQ`, `event: record`, `data: LINE`) of the `count` lines in `chunks`
 * that pass the filters; undefined when none does.
 */
function recordEvents(
  pool: BufferPool,
  f: Filters | undefined,
  chunks: readonly Buffer[],
  bytes: number,
  count: number,
  head: LineHead,
): Buffer | undefined {
  const capacity = bytes + count * MAX_EVENT_OVERHEAD;
  const buf = copyLines(pool, chunks, capacity, capacity - bytes);
  let at = 0;
  let read = capacity - bytes;
  while (read < capacity) {
    const nl = buf.indexOf(0x0a, read);
    const lineStart = read;
    const end = nl < 0 ? capacity : nl;
    read = end + 1;
    if (end === lineStart) continue;
    const digitsEnd = seqEnd(buf, lineStart, end);
    if (f !== undefined && !passes(f, buf, lineStart, end, digitsEnd, head)) continue;
    // Digits as JSON writes them (no leading zero, a safe integer) are the `id:` as they are.
    const digits = digitsEnd - lineStart - 7;
    const copyDigits =
      digitsEnd >= 0 && digits <= MAX_SEQ_DIGITS && (digits === 1 || buf[lineStart + 7] !== 0x30);
    // The short pieces byte by byte (a Buffer copy costs a view per call).
    for (const b of ID_OPEN) buf[at++] = b;
    if (copyDigits) {
      for (let i = lineStart + 7; i < digitsEnd; i++) buf[at++] = buf[i] ?? 0;
    } else {
      const seq =
        digitsEnd >= 0 && digits <= MAX_SEQ_DIGITS
          ? digitsValue(buf, lineStart + 7, digitsEnd)
          : parsedSeq(buf, lineStart, end);
      const id = String(seq).slice(0, MAX_ID_LENGTH);
      at += buf.write(id, at, 'latin1');
    }
    for (const b of EVENT_DATA) buf[at++] = b;
    buf.copyWithin(at, lineStart, end);
    at += end - lineStart;
    buf[at++] = 0x0a;
    buf[at++] = 0x0a;
  }
  return at === 0 ? undefined : buf.subarray(0, at);
}

/**
 * One `records` event (`id: LAST`, `event: records`, `data: [LINE,LINE,…]`): the lines in
 * `chunks` that pass the filters as one JSON array, on one `data:` line (a record line holds no
 * newline, so each line's newline becomes the comma). `last` is the seq the batch ends at.
 * Undefined when no line passes.
 */
function batchEvent(
  pool: BufferPool,
  f: Filters | undefined,
  chunks: readonly Buffer[],
  bytes: number,
  last: number,
  head: LineHead,
): Buffer | undefined {
  const open = `id: ${last}\nevent: records\ndata: [`;
  // The header, the lines where they stay (unfiltered) or move to (filtered), `]` over the
  // last newline, then the blank line.
  const capacity = open.length + bytes + 2;
  const buf = copyLines(pool, chunks, capacity, open.length);
  buf.write(open, 0, 'latin1');
  let at = open.length;
  let read = at;
  const stop = capacity - 2;
  while (read < stop) {
    const nl = buf.indexOf(0x0a, read);
    const lineStart = read;
    const end = nl < 0 || nl >= stop ? stop : nl;
    read = end + 1;
    if (end === lineStart) continue;
    if (f !== undefined && !passes(f, buf, lineStart, end, seqEnd(buf, lineStart, end), head)) {
      continue;
    }
    if (at !== lineStart) buf.copyWithin(at, lineStart, end);
    at += end - lineStart;
    buf[at++] = 0x2c; // ,
  }
  if (at === open.length) return undefined;
  buf[at - 1] = 0x5d; // ]
  buf[at++] = 0x0a;
  buf[at++] = 0x0a;
  return buf.subarray(0, at);
}

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
