/**
 * `GET /events`: every transcript record as a Server-Sent Event, live.
 *
 * No subscription, no parsing: while at least one stream is open, a timer every
 * {@link BATCH_MS} ms asks the in-memory ring for the JSONL lines after each stream's position
 * (`transcriptLines`, slices of the kept bytes) and writes them as events (`id:` = seq). A mock
 * with no stream open pays nothing.
 *
 * Never buffered without bound: at most {@link BATCH_BYTES} are written per turn, and nothing
 * more while the socket has not drained; the ring itself is what a lagging stream catches up
 * from. A stream that does not drain for {@link STALL_MS} ms gets `event: reconnect` and is
 * closed: the client comes back with `Last-Event-ID` and loses nothing still kept.
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
/** Most bytes written to one stream per turn. */
export const BATCH_BYTES = 256 * 1024;
/** Records read per slice. */
const SLICE_RECORDS = 2000;
/** A stream that does not drain for this long is closed with `event: reconnect`. */
export const STALL_MS = 10_000;
/** Comment line sent on an idle stream this often. */
export const KEEPALIVE_MS = 15_000;
/** Most event streams at once. */
export const MAX_STREAMS = 32;
/** `retry:` sent to EventSource clients (ms). */
export const RETRY_MS = 1000;

const HEAD = /^\{"seq":(\d+),"ts":"[^"]*","kind":"([a-z-]+)"(?:,"session":"([^"]*)")?/;
/** `id: ` and `\nevent: record\ndata: `: around the seq, before each record line. */
const ID_OPEN = Buffer.from('id: ', 'latin1');
const EVENT_DATA = Buffer.from('\nevent: record\ndata: ', 'latin1');
/** Bytes an event adds to its line besides the seq digits (prefix and the blank line). */
const EVENT_OVERHEAD = ID_OPEN.length + EVENT_DATA.length + 2;
/** Longest seq copied from the line as it is (safe integers; longer ones are formatted). */
const MAX_SEQ_DIGITS = 15;
/** `HEAD` looks at this many characters; the byte scan falls back to it past as many bytes. */
const HEAD_SPAN = 200;

const TS_KEY = Buffer.from(',"ts":"', 'latin1');
const KIND_KEY = Buffer.from('","kind":"', 'latin1');
const SESSION_KEY = Buffer.from(',"session":"', 'latin1');

/** True when `line` holds `bytes` at `pos` (compared byte by byte: no native call). */
function bytesAt(line: Buffer, pos: number, bytes: Buffer): boolean {
  if (pos + bytes.length > line.length) return false;
  for (let i = 0; i < bytes.length; i++) if (line[pos + i] !== bytes[i]) return false;
  return true;
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

/** What the filters need of a record line, read from its head. */
interface LineHead {
  seq: number;
  kind: string;
  session: string | undefined;
}

/**
 * The head of a record line `{"seq":N,"ts":"…","kind":"…"(,"session":"…")?` read off the bytes
 * (the recorder writes these keys first, in this order): what {@link HEAD} would match, or
 * undefined when only it (or a parse) can tell.
 */
function headOf(line: Buffer, afterSeq: number, seq: number, out: LineHead): boolean {
  const limit = Math.min(line.length, HEAD_SPAN);
  if (afterSeq - 7 > MAX_SEQ_DIGITS) return false;
  if (!bytesAt(line, afterSeq, TS_KEY)) return false;
  let i = line.indexOf(0x22, afterSeq + TS_KEY.length);
  if (i < 0 || i >= limit || !bytesAt(line, i, KIND_KEY)) return false;
  const kindStart = i + KIND_KEY.length;
  i = kindStart;
  while (i < limit) {
    const c = line[i] ?? 0;
    if (!((c >= 0x61 && c <= 0x7a) || c === 0x2d)) break;
    i++;
  }
  if (i === kindStart || i >= limit || line[i] !== 0x22) return false;
  out.seq = seq;
  out.kind = line.toString('latin1', kindStart, i);
  out.session = undefined;
  i++;
  if (bytesAt(line, i, SESSION_KEY)) {
    const sessionStart = i + SESSION_KEY.length;
    const close = line.indexOf(0x22, sessionStart);
    // Past the span the regex could not have matched the session: let it decide.
    if (close < 0 || close >= limit) return false;
    out.session = line.toString('utf8', sessionStart, close);
  }
  return true;
}

interface Stream {
  readonly res: http.ServerResponse;
  /** Seq of the last record sent (or skipped by the filters). */
  after: number;
  readonly kinds: ReadonlySet<string> | undefined;
  readonly sessions: ReadonlySet<string> | undefined;
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
  private readonly head: LineHead = { seq: 0, kind: '', session: undefined };

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
    checkQueryKeys(r.query, ['kind', 'session', 'since']);
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
      kinds: kinds === undefined ? undefined : new Set(kinds),
      sessions: sessions === undefined ? undefined : new Set(sessions),
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
    // Buffers all the way: the kept JSONL bytes are copied as they are into one Buffer per page,
    // never decoded, the seq of `id:` copied from the line's own digits.
    const out: Buffer[] = [];
    let size = 0;
    s.behind = false;
    if (s.checkTruncated) {
      s.checkTruncated = false;
      if (this.mock.truncatedSince(s.after)) {
        const first = this.mock.transcriptLines(s.after, { all: true, limit: 1 });
        const seq = first.count > 0 ? first.lastSeq : this.mock.lastSeq + 1;
        const text = `event: truncated\ndata: ${JSON.stringify({ from: seq })}\n\n`;
        out.push(Buffer.from(text));
        size += out[0]?.length ?? 0;
      }
    }
    while (this.mock.lastSeq > s.after) {
      if (size >= this.batchBytes) {
        s.behind = true;
        break;
      }
      const page = this.mock.transcriptLines(s.after, { all: true, limit: SLICE_RECORDS });
      if (page.count === 0) {
        s.after = this.mock.lastSeq;
        break;
      }
      const events = this.events(s, page.chunks, page.count);
      if (events.length > 0) out.push(events);
      size += events.length;
      s.after = page.lastSeq;
      if (!page.more) break;
    }
    const first = out[0];
    if (first === undefined) return false;
    this.write(s, out.length === 1 ? first : Buffer.concat(out, size));
    return true;
  }

  /** The events of the `count` record lines in `chunks` that pass the filters of `s`. */
  private events(s: Stream, chunks: readonly Buffer[], count: number): Buffer {
    let capacity = count * (EVENT_OVERHEAD + MAX_SEQ_DIGITS + 1);
    for (const chunk of chunks) capacity += chunk.length;
    let buf = Buffer.allocUnsafe(capacity);
    let at = 0;
    const filtered = s.kinds !== undefined || s.sessions !== undefined;
    const head = this.head;
    for (const chunk of chunks) {
      let start = 0;
      while (start < chunk.length) {
        const nl = chunk.indexOf(0x0a, start);
        const end = nl < 0 ? chunk.length : nl;
        const lineStart = start;
        start = end + 1;
        if (end === lineStart) continue;
        const digitsEnd = seqEnd(chunk, lineStart, end);
        // Digits as JSON writes them (no leading zero, a safe integer) are the `id:` as is.
        const digits = digitsEnd - lineStart - 7;
        let copyDigits = digits > 0 && digits <= MAX_SEQ_DIGITS;
        if (copyDigits && digits > 1 && chunk[lineStart + 7] === 0x30) copyDigits = false;
        let seq = -1;
        if (filtered || digitsEnd < 0) {
          const line = chunk.subarray(lineStart, end);
          if (
            digitsEnd < 0 ||
            !headOf(line, digitsEnd - lineStart, digitsValue(chunk, lineStart + 7, digitsEnd), head)
          ) {
            copyDigits = false;
            const m = HEAD.exec(line.toString('utf8', 0, Math.min(line.length, HEAD_SPAN)));
            if (m !== null) {
              head.seq = Number(m[1]);
              head.kind = m[2] ?? '';
              head.session = m[3];
            } else {
              const rec = JSON.parse(line.toString('utf8')) as {
                seq: number;
                kind: string;
                session?: string;
              };
              head.seq = rec.seq;
              head.kind = rec.kind;
              head.session = rec.session;
            }
          }
          seq = head.seq;
          if (s.kinds !== undefined && !s.kinds.has(head.kind)) continue;
          if (
            s.sessions !== undefined &&
            head.session !== undefined &&
            !s.sessions.has(head.session)
          ) {
            continue;
          }
        } else if (!copyDigits) {
          seq = digitsValue(chunk, lineStart + 7, digitsEnd);
        }
        const id = copyDigits ? undefined : Buffer.from(String(seq), 'latin1');
        const need = EVENT_OVERHEAD + (id?.length ?? digits) + (end - lineStart);
        if (at + need > buf.length) {
          const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, at + need));
          buf.copy(bigger, 0, 0, at);
          buf = bigger;
        }
        // The short pieces byte by byte (a Buffer copy costs a view per call), the line at once.
        for (const b of ID_OPEN) buf[at++] = b;
        if (id === undefined)
          for (let i = lineStart + 7; i < digitsEnd; i++) buf[at++] = chunk[i] ?? 0;
        else at += id.copy(buf, at);
        for (const b of EVENT_DATA) buf[at++] = b;
        at += chunk.copy(buf, at, lineStart, end);
        buf[at++] = 0x0a;
        buf[at++] = 0x0a;
      }
    }
    return buf.subarray(0, at);
  }

  private write(s: Stream, text: string | Buffer): void {
    s.lastWrite = Date.now();
    if (s.res.write(text)) return;
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
