/**
 * The in-memory transcript: a bounded ring of serialised JSONL chunks, parsed only when queried.
 *
 * While nobody subscribes, frame records arrive packed (their bytes plus seq, time, session,
 * direction: packed-records.ts), `assembled` records too (their members), and a chunk holding
 * them keeps entries instead of lines; its JSONL is written when it is read (the same bytes as
 * written at once), so the per-frame path pays a copy of the frame, not its JSON. Reads of
 * packed chunks get fresh buffers (never lent).
 *
 * Records arrive as the UTF-8 bytes of their JSONL lines (the recorder's per-kind writers, or
 * `JSON.stringify` of a record) and are copied into the open chunk, a Buffer off the JavaScript
 * heap (a million records cost the garbage collector nothing); a full chunk is sealed as is. Queries (`records`,
 * `recordsAfter`, `transcript`, `waitFor`) parse the chunks they need; subscribers get each
 * record parsed as it is written, and only while someone subscribes.
 *
 * Bounds: at most `maxBytes` bytes kept (JSONL, packed frames) (default 64 MiB) and, when `limit` is set, at least
 * the newest `limit` records; the oldest chunks are evicted first, whole (batches of about
 * 1/8 of the budget or less), and the sink remembers what it evicted (`truncated`,
 * `evictedThroughSeq`) so that a view that lost records can say so.
 *
 * Over 500 lines on purpose: the writes, the reads (parsed, line by line, whole-line slices for
 * followers) and the chunk bookkeeping they share are one ring; split, each part would reach
 * into the others' private state.
 */
import type { JsonBytes } from './json-bytes.js';
import type { SubmitCompletedEvent } from '../server/events.js';
import {
  ENTRY_HEAD,
  TAG_LINE,
  assembledEntryBytes,
  frameEntryBytes,
  renderEntries,
  writeEntryHead,
  writeAssembledEntry,
  writeFrameEntry,
} from './packed-records.js';
import { Transcript, type RecordFilter } from './query.js';
import type { TranscriptRecord } from './record.js';

/** Default byte budget of the in-memory transcript (64 MiB). */
export const DEFAULT_MEMORY_TRANSCRIPT_BYTES = 64 * 1024 * 1024;

/** Largest chunk (bytes of JSONL) sealed at once. */
const CHUNK_BYTES = 256 * 1024;
/** Evicted chunk buffers kept for reuse. */
const SPARE_CHUNKS = 4;
/** Parsed records kept for repeated queries; a bigger ring is parsed afresh each time. */
const CACHE_MAX = 50_000;

/** Options of {@link MemorySink.waitFor}. */
export interface WaitForOptions {
  /** Reject after this many ms of real time (default 5000). */
  readonly timeoutMs?: number;
  /** Only records with a greater `seq` count. */
  readonly afterSeq?: number;
  readonly signal?: AbortSignal;
}

/** Options of {@link MemorySink}. */
export interface MemorySinkOptions {
  /** Byte budget of what is kept (JSONL lines with their newlines, packed frames). Default 64 MiB. */
  readonly maxBytes?: number;
  /**
   * Keep at least the newest `limit` records; older ones are dropped in batches (so between
   * `limit` and `limit` + 1/8 are kept). Default: no record limit (the byte budget applies).
   */
  readonly limit?: number;
}

interface Chunk {
  /** The lines, each followed by "\n"; or, when `packed`, entries (packed-records.ts). */
  readonly buf: Buffer;
  /** `buf` holds packed entries: its JSONL is written when read. */
  readonly packed: boolean;
  /** Views of `buf` were handed out (`linesAfter`): its memory is never written again. */
  lent: boolean;
  readonly count: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

/** Raw JSONL of kept records (see {@link MemorySink.linesAfter}). */
export interface TranscriptLines {
  readonly chunks: Buffer[];
  count: number;
  lastSeq: number;
  more: boolean;
}

/** Bytes of `{"seq":`, the start of every record line the recorder writes. */
const SEQ_PREFIX_LENGTH = 7;

/** True when `buf` holds `{"seq":` at `pos` (byte compares: no native call per line). */
function seqPrefixAt(buf: Buffer, pos: number): boolean {
  return (
    buf[pos] === 0x7b && // {
    buf[pos + 1] === 0x22 && // "
    buf[pos + 2] === 0x73 && // s
    buf[pos + 3] === 0x65 && // e
    buf[pos + 4] === 0x71 && // q
    buf[pos + 5] === 0x22 && // "
    buf[pos + 6] === 0x3a // :
  );
}

/** The `seq` of the line starting at `pos` (every record line begins with `{"seq":N`). */
function lineSeq(buf: Buffer, pos: number): number {
  if (!seqPrefixAt(buf, pos)) {
    const nl = buf.indexOf(0x0a, pos);
    return (JSON.parse(buf.toString('utf8', pos, nl < 0 ? buf.length : nl)) as { seq: number }).seq;
  }
  let n = 0;
  for (let i = pos + SEQ_PREFIX_LENGTH; i < buf.length; i++) {
    const d = (buf[i] ?? 0) - 0x30;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  return n;
}

/** Where a read of {@link MemorySink.linesAfter} ended: the chunk (by first seq) and byte offset. */
interface ReadPosition {
  readonly chunkFirstSeq: number;
  readonly offset: number;
}

/** Read positions remembered (one per follower, typically); forgotten all at once beyond this. */
const READ_POSITIONS = 64;

function parseChunk(text: string): TranscriptRecord[] {
  const out: TranscriptRecord[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) break;
    out.push(JSON.parse(text.slice(start, nl)) as TranscriptRecord);
    start = nl + 1;
  }
  return out;
}

/**
 * Keeps the JSONL of the records in memory, in order, within a byte budget. `waitFor` resolves
 * with the first record (already kept or still to come) that matches; `subscribe` sees every
 * record as it is written.
 */
export class MemorySink {
  /** The byte budget. */
  readonly maxBytes: number;
  private readonly limit: number;
  private readonly slack: number;
  private readonly chunkBytes: number;
  private sealed: Chunk[] = [];
  private sealedBytes = 0;
  private sealedCount = 0;
  /** The open chunk: `cur` filled up to `used` with `count` lines, seq range. */
  private cur: Buffer;
  private used = 0;
  /** True between `target()` and the next line (its bytes may lie past `used`). */
  private targeted = false;
  /** Views of the open chunk were handed out (it must not be written over once sealed). */
  private curLent = false;
  /** The open chunk holds packed entries (records kept packed until read, lines as entries). */
  private curPacked = false;
  /** Packed records in the open chunk (after a chunk without any, the next one is plain JSONL). */
  private curPacks = 0;
  /** Bumped whenever the open chunk is sealed (a rendering of the open chunk belongs to one). */
  private generation = 0;
  /** The JSONL of the packed open chunk's first `end` bytes (extended as it is read again). */
  private openRender: { generation: number; end: number; out: Buffer; outEnd: number } | undefined;
  /** The JSONL of the packed sealed chunk read last. */
  private rendered: { chunk: Chunk; buf: Buffer } | undefined;
  /** The session id packed last, and its UTF-8 bytes. */
  private packSession = '';
  private packSessionBytes = Buffer.alloc(0);
  /**
   * Buffers of evicted chunks nobody holds a view of, for the next chunks: a busy mock then
   * allocates no new memory for its transcript (fresh buffers made V8 collect the old
   * generation every few hundred ms, pausing ~8 ms each time).
   */
  private readonly spare: Buffer[] = [];
  private count = 0;
  private openFirstSeq = 0;
  private openLastSeq = 0;
  private evictedCount = 0;
  private evictedThrough = 0;
  /** Set once a record was written with a seq not above the previous one (read hints off). */
  private disordered = false;
  /**
   * Where the reads of {@link linesAfter} ended, by the seq of the last line they gave: the next
   * read after that seq (a follower polling) starts there instead of re-walking the chunk.
   */
  private readonly readPositions = new Map<number, ReadPosition>();
  private readonly subscribers = new Set<(record: TranscriptRecord) => void>();
  /** Parsed records from global line index `cacheStart` on (valid while `cacheOk`). */
  private cache: TranscriptRecord[] = [];
  private cacheStart = 0;

  constructor(options: MemorySinkOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MEMORY_TRANSCRIPT_BYTES;
    if (!(this.maxBytes > 0))
      throw new RangeError(`maxBytes must be positive, got ${this.maxBytes}`);
    this.limit = options.limit ?? Infinity;
    this.slack = Number.isFinite(this.limit) ? Math.max(1, Math.ceil(this.limit / 8)) : Infinity;
    this.chunkBytes = Math.max(64, Math.min(CHUNK_BYTES, Math.floor(this.maxBytes / 8)));
    this.cur = Buffer.allocUnsafe(this.chunkBytes);
  }

  /** Records kept now. */
  get size(): number {
    return this.sealedCount + this.count;
  }

  /** Bytes kept now: JSONL, and packed frames in their compact form (about 1/3 of their JSONL). */
  get bytes(): number {
    return this.sealedBytes + this.used;
  }

  /** True once older records were evicted to stay within the budget. */
  get truncated(): boolean {
    return this.evictedCount > 0;
  }

  /** Records evicted so far. */
  get evicted(): number {
    return this.evictedCount;
  }

  /** `seq` of the newest evicted record (0: none evicted). A view after it lost nothing. */
  get evictedThroughSeq(): number {
    return this.evictedThrough;
  }

  /** The records kept, oldest first (parsed now). */
  get records(): readonly TranscriptRecord[] {
    return this.parsed(0);
  }

  /** The records kept with `seq` > `after`, oldest first. */
  recordsAfter(after: number): TranscriptRecord[] {
    return this.parsed(after);
  }

  /**
   * The JSONL of at most `limit` kept records with `seq` > `after`, oldest first, as slices of the
   * kept bytes (nothing parsed or copied): what `GET /transcript` streams. `more` is true when
   * further records follow; `lastSeq` is the seq of the last line given (`after` when none).
   */
  linesAfter(after: number, limit: number): TranscriptLines {
    const out: TranscriptLines = { chunks: [], count: 0, lastSeq: after, more: false };
    // Records are kept in seq order (one recorder): a read that continues where an earlier one
    // ended skips straight to its byte offset (lines before it all have seq <= after).
    let hint = this.disordered ? undefined : this.readPositions.get(after);
    let endFirstSeq = 0;
    let endOffset = 0;
    const n = this.sealed.length;
    for (let i = 0; i <= n; i++) {
      let buf: Buffer;
      let firstSeq: number;
      let lastSeq: number;
      const c = i < n ? this.sealed[i] : undefined;
      if (c !== undefined) {
        ({ firstSeq, lastSeq } = c);
        if (lastSeq <= after) continue;
        buf = this.jsonl(c);
        if (!c.packed) c.lent = true;
      } else {
        if (!this.curPacked) this.curLent = true;
        if (this.count === 0) break;
        firstSeq = this.openFirstSeq;
        lastSeq = this.openLastSeq;
        if (lastSeq <= after) continue;
        buf = this.openJsonl();
      }
      let start = 0;
      let pos = 0;
      if (hint !== undefined) {
        if (hint.chunkFirstSeq === firstSeq && hint.offset <= buf.length) {
          start = hint.offset;
          pos = hint.offset;
        }
        hint = undefined;
      }
      while (pos < buf.length) {
        const nl = buf.indexOf(0x0a, pos);
        const end = nl < 0 ? buf.length : nl + 1;
        const seq = lineSeq(buf, pos);
        if (seq <= after) {
          start = end;
        } else if (out.count === limit) {
          out.more = true;
          break;
        } else {
          out.count++;
          out.lastSeq = seq;
          endFirstSeq = firstSeq;
          endOffset = end;
        }
        pos = end;
      }
      if (pos > start) out.chunks.push(buf.subarray(start, pos));
      if (out.more) break;
    }
    if (out.count > 0 && !this.disordered) {
      if (this.readPositions.size >= READ_POSITIONS) this.readPositions.clear();
      this.readPositions.set(out.lastSeq, { chunkFirstSeq: endFirstSeq, offset: endOffset });
    }
    return out;
  }

  write(record: TranscriptRecord): void {
    this.writeBytes(Buffer.from(JSON.stringify(record), 'utf8'), record.seq);
  }

  /** Keeps one record as the UTF-8 bytes of its line (no newline; copied now) with its `seq`. */
  writeBytes(line: Uint8Array, seq: number): void {
    const buf = Buffer.isBuffer(line)
      ? line
      : Buffer.from(line.buffer, line.byteOffset, line.length);
    this.writeSlice(buf, 0, buf.length, seq);
  }

  /**
   * Points `w` at the free end of the open chunk: a line written there and then given to
   * {@link writeSlice} is kept where it is (no copy).
   */
  target(w: JsonBytes): void {
    const at = this.used + (this.curPacked ? ENTRY_HEAD : 0);
    // No room even for a packed entry's head: the line is written elsewhere and copied.
    if (at > this.cur.length) return;
    this.targeted = true;
    w.target(this.cur, at);
  }

  /** Keeps one record given as `buf[start, end)` (no newline; copied unless in place) with its `seq`. */
  writeSlice(buf: Buffer, start: number, end: number, seq: number): void {
    const length = end - start;
    // A packed chunk keeps the line as an entry (head first, no newline).
    const inPlace =
      buf === this.cur &&
      start === this.used + (this.curPacked ? ENTRY_HEAD : 0) &&
      end + (this.curPacked ? 0 : 1) <= this.cur.length;
    if (!inPlace && this.targeted) {
      // Another line came first (written from inside a callback) or the targeted one moved:
      // the open chunk's free end may hold a line still being written, so seal the chunk and
      // never reuse its buffer (that line is copied from it when it comes).
      this.seal(false);
    }
    this.targeted = false;
    if (!inPlace) {
      const need = length + (this.curPacked ? ENTRY_HEAD : 1);
      if (this.cur.length - this.used < need) {
        this.seal();
        const again = length + (this.curPacked ? ENTRY_HEAD : 1);
        if (this.cur.length < again) this.cur = Buffer.allocUnsafe(again);
      }
    }
    if (this.count === 0) this.openFirstSeq = seq;
    if (this.curPacked) {
      const body = writeEntryHead(this.cur, this.used, TAG_LINE, length, seq);
      if (!inPlace) buf.copy(this.cur, body, start, end);
      this.used = body + length;
    } else {
      if (!inPlace) buf.copy(this.cur, this.used, start, end);
      this.used += length;
      this.cur[this.used++] = 0x0a;
    }
    this.wrote(seq);
    if (this.subscribers.size > 0) {
      const record = JSON.parse(buf.toString('utf8', start, end)) as TranscriptRecord;
      for (const s of this.subscribers) s(record);
    }
  }

  /**
   * Keeps a frame record in its packed form (packed-records.ts: seq, time, session, direction,
   * checksum code and the frame's bytes, copied now); its line is written when the transcript
   * is read. False when it must be written as a line now instead (someone subscribes, or the
   * session id is too long): the caller then writes the line.
   */
  packFrame(
    seq: number,
    tsMs: number,
    session: string,
    dir: number,
    checksum: number,
    raw: Buffer,
  ): boolean {
    if (this.subscribers.size > 0) return false;
    if (session !== this.packSession) {
      this.packSession = session;
      this.packSessionBytes = Buffer.from(session, 'utf8');
    }
    const sessionBytes = this.packSessionBytes;
    const need = frameEntryBytes(sessionBytes.length, raw.length);
    if (need < 0) return false;
    this.reserve(need, seq);
    this.used = writeFrameEntry(this.cur, this.used, seq, tsMs, sessionBytes, dir, checksum, raw);
    this.curPacks++;
    this.wrote(seq);
    return true;
  }

  /** Keeps an `assembled` record packed (its members; the line is written when read). */
  packAssembled(seq: number, tsMs: number, e: SubmitCompletedEvent): boolean {
    if (this.subscribers.size > 0) return false;
    this.reserve(assembledEntryBytes(e), seq);
    this.used = writeAssembledEntry(this.cur, this.used, seq, tsMs, e);
    this.curPacks++;
    this.wrote(seq);
    return true;
  }

  /** Makes the open chunk a packed one with room for `need` bytes. */
  private reserve(need: number, seq: number): void {
    if (this.targeted) {
      this.seal(false);
      this.targeted = false;
    }
    if (!this.curPacked && this.count > 0) this.seal();
    if (this.cur.length - this.used < need) {
      this.seal();
      if (this.cur.length < need) this.cur = Buffer.allocUnsafe(need);
    }
    if (this.count === 0) {
      this.curPacked = true;
      this.openFirstSeq = seq;
    }
  }

  /** Counts the record just written into the open chunk. */
  private wrote(seq: number): void {
    this.count++;
    if (seq <= this.openLastSeq) this.disordered = true;
    this.openLastSeq = seq;
    if (this.count >= this.slack) this.seal();
  }

  /** The JSONL of sealed chunk `c` (written now when it is packed; the last one is kept). */
  private jsonl(c: Chunk): Buffer {
    if (!c.packed) return c.buf;
    if (this.rendered?.chunk !== c)
      this.rendered = { chunk: c, buf: renderEntries(c.buf, 0, c.buf.length) };
    return this.rendered.buf;
  }

  /**
   * The JSONL of the open chunk. A packed one is written as far as it was not yet, into a
   * buffer that only grows: views of it handed out earlier never change.
   */
  private openJsonl(): Buffer {
    if (!this.curPacked) return this.cur.subarray(0, this.used);
    let o = this.openRender;
    if (o?.generation !== this.generation) {
      o = { generation: this.generation, end: 0, out: Buffer.alloc(0), outEnd: 0 };
      this.openRender = o;
    }
    if (o.end < this.used) {
      const more = renderEntries(this.cur, o.end, this.used);
      if (o.outEnd + more.length > o.out.length) {
        const next = Buffer.allocUnsafe(Math.max(2 * o.out.length, o.outEnd + more.length, 4096));
        o.out.copy(next, 0, 0, o.outEnd);
        o.out = next;
      }
      more.copy(o.out, o.outEnd);
      o.outEnd += more.length;
      o.end = this.used;
    }
    return o.out.subarray(0, o.outEnd);
  }

  /**
   * Closes the open chunk (keeping its bytes as they are) and opens a fresh one; `reuse` false:
   * never write into the closed chunk's buffer again.
   */
  private seal(reuse = true): void {
    // A chunk sealed early (the record limit) is copied out so the open Buffer is reused,
    // unless views of it were handed out.
    const early = reuse && !this.curLent && this.used < this.cur.length / 2;
    if (this.count > 0) {
      const chunk: Chunk = {
        buf: early ? Buffer.from(this.cur.subarray(0, this.used)) : this.cur.subarray(0, this.used),
        packed: this.curPacked,
        // (A chunk sealed with `reuse` false may be reused once evicted: by then the line
        // that was being written into it has long been copied out.)
        lent: !early && this.curLent,
        count: this.count,
        firstSeq: this.openFirstSeq,
        lastSeq: this.openLastSeq,
      };
      this.sealed.push(chunk);
      this.sealedBytes += this.used;
      this.sealedCount += this.count;
      // The open chunk's rendering, when it is whole, is the sealed chunk's.
      const o = this.openRender;
      if (this.curPacked && o?.generation === this.generation && o.end === this.used)
        this.rendered = { chunk, buf: o.out.subarray(0, o.outEnd) };
      this.curPacked = this.curPacks > 0;
    }
    this.generation++;
    this.openRender = undefined;
    this.curPacks = 0;
    if (!early || this.cur.length > this.chunkBytes)
      this.cur = this.spare.pop() ?? Buffer.allocUnsafe(this.chunkBytes);
    this.curLent = false;
    this.used = 0;
    this.count = 0;
    this.evict();
  }

  private evict(): void {
    let drop = 0;
    let bytes = this.sealedBytes + this.used;
    let count = this.size;
    const overCount = count > this.limit + this.slack;
    for (const c of this.sealed) {
      const overBytes = bytes > this.maxBytes;
      const countWants = overCount && count - c.count >= this.limit;
      if (!overBytes && !countWants) break;
      drop++;
      bytes -= c.buf.length;
      count -= c.count;
    }
    if (drop === 0) return;
    const gone = this.sealed.splice(0, drop);
    for (const c of gone) {
      this.sealedBytes -= c.buf.length;
      this.sealedCount -= c.count;
      this.evictedCount += c.count;
      this.evictedThrough = Math.max(this.evictedThrough, c.lastSeq);
      if (this.rendered?.chunk === c) this.rendered = undefined;
      const whole = c.buf.byteOffset === 0 && c.buf.buffer.byteLength === this.chunkBytes;
      if (!c.lent && whole && this.spare.length < SPARE_CHUNKS)
        this.spare.push(Buffer.from(c.buf.buffer, 0, this.chunkBytes));
    }
  }

  /** Records with seq > `after`, parsed (from the cache when it is small enough to keep). */
  private parsed(after: number): TranscriptRecord[] {
    const total = this.evictedCount + this.size;
    if (this.size > CACHE_MAX) {
      this.cache = [];
      this.cacheStart = total;
      return this.parseAfter(after);
    }
    // Drop what was evicted, then parse what is new since the last query.
    if (this.cacheStart < this.evictedCount) {
      this.cache.splice(0, this.evictedCount - this.cacheStart);
      this.cacheStart = this.evictedCount;
    }
    if (this.cacheStart > this.evictedCount || this.cacheStart + this.cache.length > total) {
      this.cache = [];
      this.cacheStart = this.evictedCount;
    }
    const have = this.cacheStart + this.cache.length;
    if (have < total) for (const r of this.linesFrom(have - this.evictedCount)) this.cache.push(r);
    const cache = this.cache;
    if (after <= 0) return cache.slice();
    // The ring is in seq order when fed by one recorder; fall back to a filter when it is not.
    let lo = 0;
    let hi = cache.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cache[mid]?.seq ?? 0) <= after) lo = mid + 1;
      else hi = mid;
    }
    const tail = cache.slice(lo);
    return tail.every((r) => r.seq > after) ? tail : cache.filter((r) => r.seq > after);
  }

  /** Parses the kept lines from index `from` (0 = oldest kept) on. */
  private linesFrom(from: number): TranscriptRecord[] {
    const out: TranscriptRecord[] = [];
    let index = 0;
    for (const c of this.sealed) {
      if (index + c.count <= from) {
        index += c.count;
        continue;
      }
      const records = parseChunk(this.jsonl(c).toString('utf8'));
      for (const r of records.slice(Math.max(0, from - index))) out.push(r);
      index += c.count;
    }
    const open = parseChunk(this.openJsonl().toString('utf8'));
    for (const r of open.slice(Math.max(0, from - index))) out.push(r);
    return out;
  }

  /** Parses only the chunks that can hold records with seq > `after`. */
  private parseAfter(after: number): TranscriptRecord[] {
    const out: TranscriptRecord[] = [];
    for (const c of this.sealed) {
      if (c.lastSeq <= after && c.firstSeq <= after) continue;
      for (const r of parseChunk(this.jsonl(c).toString('utf8'))) if (r.seq > after) out.push(r);
    }
    for (const r of parseChunk(this.openJsonl().toString('utf8'))) if (r.seq > after) out.push(r);
    return out;
  }

  /** Calls `fn` for every record written from now on; returns the unsubscribe function. */
  subscribe(fn: (record: TranscriptRecord) => void): () => void {
    this.subscribers.add(fn);
    return () => {
      this.subscribers.delete(fn);
    };
  }

  /**
   * A queryable view of the records kept so far (`truncated` when older records were evicted),
   * or of those with seq > `after`(`truncated` when records after it were evicted).
   */
  transcript(after = 0): Transcript {
    return new Transcript(this.parsed(after), { truncated: this.evictedThrough > after });
  }

  /**
   * Resolves with the first record matching `match` (a filter as in `Transcript.filter`, or a
   * predicate). Rejects with an Error listing the records seen after `timeoutMs`, or when
   * `signal` aborts.
   */
  waitFor(
    match: RecordFilter | ((record: TranscriptRecord) => boolean),
    options: WaitForOptions = {},
  ): Promise<TranscriptRecord> {
    const test = typeof match === 'function' ? match : Transcript.predicate(match);
    const after = options.afterSeq ?? 0;
    const hit = this.parsed(after).find((r) => r.seq > after && test(r));
    if (hit !== undefined) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? 5000;
      const finish = (): void => {
        unsubscribe();
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const unsubscribe = this.subscribe((r) => {
        if (r.seq > after && test(r)) {
          finish();
          resolve(r);
        }
      });
      const timer = setTimeout(() => {
        finish();
        reject(
          new Error(
            `no matching transcript record within ${timeoutMs} ms (${this.size} records kept)`,
          ),
        );
      }, timeoutMs);
      const onAbort = (): void => {
        finish();
        reject(
          options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'),
        );
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  flushSync(): void {
    /* nothing buffered */
  }

  close(): Promise<void> {
    this.subscribers.clear();
    return Promise.resolve();
  }

  // Read-only access for followers that copy the kept bytes out at once (GET /events).

  /** Records read per slice by {@link bytesAfter} when it must read every line. */
  private static readonly FOLLOW_SLICE_RECORDS = 256;

  /**
   * The JSONL of the kept records with seq > `after`, oldest first, as whole-line slices of the
   * kept bytes, about `maxBytes` in all (at least one line): unlike {@link linesAfter}, lines are
   * read only where the range starts (skipped to where the previous read ended, when it ended
   * there) and where it is cut, not one by one, and none is counted. `lastSeq` is the seq of the
   * last line given (`after` when none); `more` is true when further records follow.
   *
   * The slices are valid only until the next record is written (copy them first): they are not
   * lent, so a follower reading everything does not stop the ring from reusing its buffers.
   */
  bytesAfter(
    after: number,
    maxBytes: number,
  ): { chunks: Buffer[]; bytes: number; lastSeq: number; more: boolean } {
    const out = { chunks: [] as Buffer[], bytes: 0, lastSeq: after, more: false };
    if (this.disordered) {
      // Seqs out of order: only reading every line can tell which follow `after`.
      while (out.bytes < maxBytes) {
        const page = this.linesAfter(out.lastSeq, MemorySink.FOLLOW_SLICE_RECORDS);
        for (const c of page.chunks) {
          out.chunks.push(c);
          out.bytes += c.length;
        }
        out.lastSeq = page.lastSeq;
        out.more = page.more;
        if (!page.more) break;
      }
      return out;
    }
    let hint = this.readPositions.get(after);
    let endFirstSeq = 0;
    let endOffset = 0;
    const n = this.sealed.length;
    for (let i = 0; i <= n; i++) {
      let firstSeq: number;
      let lastSeq: number;
      const c = i < n ? this.sealed[i] : undefined;
      if (c !== undefined) {
        ({ firstSeq, lastSeq } = c);
      } else {
        if (this.count === 0) break;
        firstSeq = this.openFirstSeq;
        lastSeq = this.openLastSeq;
      }
      if (lastSeq <= after) continue;
      if (out.bytes >= maxBytes) {
        out.more = true;
        break;
      }
      const buf = c !== undefined ? this.jsonl(c) : this.openJsonl();
      let start = 0;
      if (firstSeq <= after) {
        if (hint?.chunkFirstSeq === firstSeq && hint.offset <= buf.length) {
          start = hint.offset;
        } else {
          while (start < buf.length && lineSeq(buf, start) <= after) {
            const nl = buf.indexOf(0x0a, start);
            start = nl < 0 ? buf.length : nl + 1;
          }
        }
      }
      hint = undefined;
      let end = buf.length;
      let endSeq = lastSeq;
      const room = maxBytes - out.bytes;
      if (end - start > room) {
        // Cut after the last whole line within the room (after the first line at least).
        let nl = buf.lastIndexOf(0x0a, start + room - 1);
        if (nl < start) {
          if (out.bytes > 0) {
            out.more = true;
            break;
          }
          nl = buf.indexOf(0x0a, start);
        }
        if (nl >= 0 && nl + 1 < buf.length) {
          end = nl + 1;
          const lastStart =
            end - 2 < start ? start : Math.max(start, buf.lastIndexOf(0x0a, end - 2) + 1);
          endSeq = lineSeq(buf, lastStart);
          out.more = true;
        }
      }
      if (end > start) {
        out.chunks.push(buf.subarray(start, end));
        out.bytes += end - start;
        out.lastSeq = endSeq;
        endFirstSeq = firstSeq;
        endOffset = end;
      }
      if (out.more) break;
    }
    if (out.bytes > 0) {
      if (this.readPositions.size >= READ_POSITIONS) this.readPositions.clear();
      this.readPositions.set(out.lastSeq, { chunkFirstSeq: endFirstSeq, offset: endOffset });
    }
    return out;
  }
}
