/**
 * The framing of `GET /events` batches (see events-sse.ts): the kept JSONL bytes of a batch,
 * copied once into a pooled Buffer, become per-record events (`id:`, `event: record`, `data:`)
 * or one `records` event (the lines as a JSON array) in place, the filters read off the bytes
 * of each line's head: no string, view or allocation per record.
 */

/** Buffers kept for the next batches, the smallest and largest size kept. */
const POOL_BUFFERS = 4;
const POOL_MIN_BYTES = 64 * 1024;
const POOL_MAX_BYTES = 4 * 1024 * 1024;

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
export interface LineHead {
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
export interface Filters {
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
export function linesIn(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) n++;
  return n;
}

/** The seq of a record line without the `{"seq":N` head (parsed). */
function parsedSeq(buf: Buffer, start: number, end: number): number {
  return (JSON.parse(buf.toString('utf8', start, end)) as { seq: number }).seq;
}

/** Buffers the batches are framed in, used again once written (no fresh memory per batch). */
export class BufferPool {
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
export function recordEvents(
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
export function batchEvent(
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
