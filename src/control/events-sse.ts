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
const SEQ_PREFIX = Buffer.from('{"seq":');
const EVENT_END = Buffer.from('\n\n');

/** The seq at the start of a record line (`{"seq":N,…`), or -1 when it does not start so. */
function lineSeq(line: Buffer): number {
  if (
    line.length <= SEQ_PREFIX.length ||
    line.compare(SEQ_PREFIX, 0, SEQ_PREFIX.length, 0, SEQ_PREFIX.length) !== 0
  ) {
    return -1;
  }
  let n = 0;
  let digits = 0;
  for (let i = SEQ_PREFIX.length; i < line.length; i++) {
    const d = (line[i] ?? 0) - 0x30;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
    digits++;
  }
  return digits === 0 ? -1 : n;
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
    // Buffers all the way: the kept JSONL bytes are written as they are, never decoded.
    const out: Buffer[] = [];
    let size = 0;
    if (s.checkTruncated) {
      s.checkTruncated = false;
      if (this.mock.truncatedSince(s.after)) {
        const first = this.mock.transcriptLines(s.after, { all: true, limit: 1 });
        const seq = first.count > 0 ? first.lastSeq : this.mock.lastSeq + 1;
        out.push(Buffer.from(`event: truncated\ndata: ${JSON.stringify({ from: seq })}\n\n`));
      }
    }
    const filtered = s.kinds !== undefined || s.sessions !== undefined;
    while (this.mock.lastSeq > s.after && size < this.batchBytes) {
      const page = this.mock.transcriptLines(s.after, { all: true, limit: SLICE_RECORDS });
      if (page.count === 0) {
        s.after = this.mock.lastSeq;
        break;
      }
      for (const chunk of page.chunks) {
        let start = 0;
        while (start < chunk.length) {
          const nl = chunk.indexOf(0x0a, start);
          const end = nl < 0 ? chunk.length : nl;
          const line = chunk.subarray(start, end);
          start = end + 1;
          if (line.length === 0) continue;
          let seq = lineSeq(line);
          if (filtered || seq < 0) {
            const head = HEAD.exec(line.toString('utf8', 0, Math.min(line.length, 200)));
            let kind: string;
            let session: string | undefined;
            if (head !== null) {
              seq = Number(head[1]);
              kind = head[2] ?? '';
              session = head[3];
            } else {
              const rec = JSON.parse(line.toString('utf8')) as {
                seq: number;
                kind: string;
                session?: string;
              };
              seq = rec.seq;
              kind = rec.kind;
              session = rec.session;
            }
            if (s.kinds !== undefined && !s.kinds.has(kind)) continue;
            if (s.sessions !== undefined && session !== undefined && !s.sessions.has(session)) {
              continue;
            }
          }
          const prefix = Buffer.from(`id: ${seq}\nevent: record\ndata: `, 'latin1');
          out.push(prefix, line, EVENT_END);
          size += prefix.length + line.length + 2;
        }
      }
      s.after = page.lastSeq;
      if (!page.more) break;
    }
    if (out.length === 0) return false;
    this.write(s, Buffer.concat(out));
    return true;
  }

  private write(s: Stream, text: string | Buffer): void {
    s.lastWrite = Date.now();
    if (s.res.write(text)) return;
    s.stalledSince = Date.now();
    s.res.once('drain', () => {
      s.stalledSince = undefined;
      // Catch up at once rather than at the next tick.
      this.pump(s);
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
