/**
 * Where records go. `FileSink` appends JSONL to a file, batching the lines of up to
 * {@link FILE_SINK_BATCH_MS} ms into one write; `MemorySink` keeps the JSONL lines in a bounded
 * ring (memory-ring.ts) and wakes `waitFor` callers; `TeeSink` writes to several.
 *
 * Over 500 lines on purpose: the FileSink is one state machine (batches, flushSync for signal
 * handlers, rotation and truncation detection, append mode's last seq, write errors); the sink
 * interface and the tee are a few lines beside it.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { TranscriptError } from './errors.js';
import type { SubmitCompletedEvent } from '../server/events.js';
import type { JsonBytes } from './json-bytes.js';
import type { TranscriptRecord } from './record.js';

/**
 * What the recorder writes to. `write` is synchronous and never throws for I/O problems;
 * `flush()` resolves once everything written so far is out of the process; `flushSync()`
 * does the same before returning (for signal and exit handlers); `close()` flushes and
 * releases the sink, after which writes are ignored.
 */
export interface TranscriptSink {
  write(record: TranscriptRecord): void;
  /**
   * Optional fast path: the record as the UTF-8 bytes of its JSONL line (no newline), exactly
   * `JSON.stringify(record)`, and its `seq`. The bytes are a view valid only during the call
   * (copy what you keep). The recorder uses it when present (no record object is built).
   */
  writeBytes?(line: Uint8Array, seq: number): void;
  /**
   * Optional faster form of {@link writeBytes}: the line is `buf[start, end)` (no view to build).
   * The recorder prefers it when present.
   */
  writeSlice?(buf: Buffer, start: number, end: number, seq: number): void;
  /**
   * Optional: points `w` at the place in the sink's own buffer where the next line would go, so
   * that the `writeSlice` of that line finds it in place (no copy). The sink must cope with
   * other lines arriving before it (a record written from inside a sink's callback).
   */
  target?(w: JsonBytes): void;
  /**
   * Optional: keeps a frame record in a packed form instead of its line (the in-memory
   * transcript, which writes the line when read: packed-records.ts). False when the sink wants
   * the line now; the recorder then writes it.
   */
  packFrame?(
    seq: number,
    tsMs: number,
    session: string,
    dir: number,
    checksum: number,
    raw: Buffer,
  ): boolean;
  /** Optional: keeps an `assembled` record packed, as {@link packFrame} does a frame. */
  packAssembled?(seq: number, tsMs: number, e: SubmitCompletedEvent): boolean;
  flush(): Promise<void>;
  flushSync(): void;
  close(): Promise<void>;
}

/**
 * What a {@link FileSink} does with a file already at its path: `replace` empties it (a new
 * run, as a junit.xml is overwritten); `append` keeps its lines and writes after them.
 */
export type TranscriptFileMode = 'replace' | 'append';

/** Options of {@link FileSink.open}. */
export interface FileSinkOptions {
  /** Default `append` (the sink itself knows nothing of runs; the mock defaults to `replace`). */
  readonly mode?: TranscriptFileMode;
}

/**
 * Why a {@link FileSink} reopened its path: `truncated` — the file shrank under it (logrotate
 * `copytruncate`; writes go on at the new end); `moved` — another file is at the path now
 * (logrotate's rename and `create`); `removed` — nothing is at the path (the file is created
 * again); `requested` — `reopen()` was called (SIGUSR1 in the CLI).
 */
export type ReopenReason = 'truncated' | 'moved' | 'removed' | 'requested';

/** Events of a {@link FileSink}. */
export interface FileSinkEvents {
  /** A write failed after the file was opened; the sink stops writing. */
  error: [error: TranscriptError];
  /** The sink noticed a rotation (or was asked) and writes to the file now at its path. */
  reopened: [reason: ReopenReason];
}

/**
 * Longest time (ms) a record written to a {@link FileSink} waits before its batch is written. A
 * process killed without a chance to flush (SIGKILL, a crash) loses at most the records of this
 * last interval; the CLI's SIGINT/SIGTERM/SIGHUP handlers call `flushSync()` and lose nothing.
 */
export const FILE_SINK_BATCH_MS = 10;

/** Bytes waiting at which a batch goes to the file without waiting for the timer. */
const BATCH_BYTES = 64 * 1024;
/** Lines are encoded into chunks of this size as they are written (a longer line gets its own). */
const CHUNK_BYTES = 64 * 1024;
/** Written chunk buffers kept for reuse. */
const SPARE_CHUNKS = 8;
/** How far back from the end `append` mode looks for the last record's `seq`. */
const LAST_SEQ_SCAN_BYTES = 4 * 1024 * 1024;

const OPEN_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND;

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function errnoCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'unknown';
}

function openError(path: string, error: unknown): TranscriptError {
  return new TranscriptError(
    `cannot open transcript file "${path}" for writing: ${errnoCode(error)} (${reason(error)})`,
    'ERR_TRANSCRIPT_OPEN',
    path,
    { cause: error },
  );
}

/** What {@link FileSink.open} found at the path. */
interface Opened {
  readonly fd: number;
  readonly size: number;
  readonly previousBytes: number;
  readonly lastSeq: number | undefined;
  readonly endsWithNewline: boolean;
}

/**
 * Appends records to a JSONL file, one line each, in the order written.
 *
 * Guarantees: lines are never interleaved or reordered; lines are batched, never one write per
 * record: a batch is written {@link FILE_SINK_BATCH_MS} ms after its first line, or at once when
 * 64 KiB are waiting or on `flush()`; `flush()`, `flushSync()` and `close()` put every line
 * written so far into the file. A batch is one synchronous append (the page cache: micro-
 * seconds), so nothing is ever in flight when a signal handler flushes.
 *
 * Rotation: the file is opened with O_APPEND, so after a truncation under the sink (logrotate
 * `copytruncate`) the next batch lands at the new end, never at the old offset behind NUL bytes.
 * Before each batch the sink compares the file at its path with the one it holds: a file that
 * shrank, was moved away or removed is noticed, the path is (re)opened and `'reopened'` is
 * emitted; `reopen()` does the same on demand. A write error after opening is kept in `errors`,
 * emitted as `'error'` when someone listens (it never crashes the process), and stops further
 * writes.
 */
export class FileSink extends EventEmitter<FileSinkEvents> implements TranscriptSink {
  readonly path: string;
  /** Write errors so far (at most one: the sink stops at the first). */
  readonly errors: TranscriptError[] = [];
  /** Bytes the file held before this sink opened it (0 when it was new or empty). */
  readonly previousBytes: number;
  /**
   * `seq` of the last record in the file as opened in `append` mode (undefined in `replace`
   * mode, and when no line near the end is a record with a `seq`).
   */
  readonly lastSeq: number | undefined;
  private fd: number;
  /** The size the file should have after our writes (a smaller one means a truncation). */
  private size: number;
  /** A newline to write first: the kept file ended in a partial line. */
  private lead: boolean;
  /** Filled chunks waiting, then `chunk` filled up to `used`. */
  private full: Buffer[] = [];
  private fullBytes = 0;
  /** Buffers of written chunks, for the next chunks. */
  private readonly spare: Buffer[] = [];
  private chunk: Buffer | undefined;
  private used = 0;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.drain();
  };

  private constructor(path: string, opened: Opened) {
    super();
    this.path = path;
    this.fd = opened.fd;
    this.size = opened.size;
    this.previousBytes = opened.previousBytes;
    this.lastSeq = opened.lastSeq;
    this.lead = !opened.endsWithNewline;
  }

  /**
   * Opens (creating if needed) `path` for appending; `mode: 'replace'` empties an existing file
   * first. Throws `TranscriptError` (`ERR_TRANSCRIPT_OPEN`) naming the path and the OS reason
   * when it cannot be written: a missing directory, no permission, a directory in the way.
   */
  static async open(path: string, options: FileSinkOptions = {}): Promise<FileSink> {
    const mode = options.mode ?? 'append';
    let fd: number | undefined;
    try {
      const before = await fs.promises.stat(path).catch(() => undefined);
      fd = await new Promise<number>((resolve, reject) => {
        const flags = OPEN_FLAGS | (mode === 'replace' ? fs.constants.O_TRUNC : 0);
        fs.open(path, flags, 0o666, (err, opened) => {
          if (err) reject(err);
          else resolve(opened);
        });
      });
      const st = fs.fstatSync(fd);
      const tail = mode === 'append' ? readTail(path, st.size) : undefined;
      return new FileSink(path, {
        fd,
        size: st.size,
        previousBytes: before?.isFile() === true ? before.size : 0,
        lastSeq: tail?.lastSeq,
        endsWithNewline: tail?.endsWithNewline ?? true,
      });
    } catch (error) {
      if (fd !== undefined) fs.closeSync(fd);
      throw openError(path, error);
    }
  }

  /** True once a write failed (see `errors`). */
  get failed(): boolean {
    return this.errors.length > 0;
  }

  write(record: TranscriptRecord): void {
    this.writeLine(JSON.stringify(record));
  }

  /** Appends one serialised record (`JSON.stringify` of it, no newline). */
  writeLine(line: string): void {
    if (this.ended || this.failed) return;
    this.append(line);
    this.queued();
  }

  /** Appends one record as the UTF-8 bytes of its line (no newline; copied now). */
  writeBytes(line: Uint8Array): void {
    const buf = Buffer.isBuffer(line)
      ? line
      : Buffer.from(line.buffer, line.byteOffset, line.length);
    this.writeSlice(buf, 0, buf.length);
  }

  /** Appends one record given as `buf[start, end)` (no newline; copied now). */
  writeSlice(buf: Buffer, start: number, end: number): void {
    if (this.ended || this.failed) return;
    const length = end - start;
    const need = length + 1;
    let chunk = this.chunk;
    if (chunk === undefined || chunk.length - this.used < need) {
      if (chunk !== undefined && this.used > 0) {
        this.full.push(chunk.subarray(0, this.used));
        this.fullBytes += this.used;
      }
      chunk = this.newChunk(need);
      this.chunk = chunk;
      this.used = 0;
    }
    buf.copy(chunk, this.used, start, end);
    this.used += length;
    chunk[this.used++] = 0x0a;
    this.queued();
  }

  /** A line is waiting: write the batch now when it is big enough, else make sure the timer will. */
  private queued(): void {
    if (this.pendingBytes >= BATCH_BYTES) this.drain();
    else this.timer ??= setTimeout(this.onTimer, FILE_SINK_BATCH_MS);
  }

  /** Encodes `line` and a newline into the current chunk (the string is garbage at once). */
  private append(line: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit.
    const worst = line.length * 3 + 1;
    let chunk = this.chunk;
    if (chunk === undefined || chunk.length - this.used < worst) {
      if (chunk !== undefined && this.used > 0) {
        this.full.push(chunk.subarray(0, this.used));
        this.fullBytes += this.used;
      }
      chunk = this.newChunk(worst);
      this.chunk = chunk;
      this.used = 0;
    }
    this.used += chunk.write(line, this.used);
    chunk[this.used++] = 0x0a;
  }

  private get pendingBytes(): number {
    return this.fullBytes + this.used;
  }

  /** Writes the waiting lines now (one append), after checking for a rotation. */
  private drain(): void {
    this.cancelTimer();
    if (this.failed || this.ended || this.pendingBytes === 0) return;
    const bufs = this.takePending();
    try {
      this.followRotation();
      if (this.lead) bufs.unshift(NEWLINE);
      this.size += writeAllSync(this.fd, bufs);
      this.lead = false;
    } catch (error) {
      this.fail(error);
    }
    // Written (synchronously): whole chunks serve again.
    for (const b of bufs) this.spareChunk(b);
  }

  /** A chunk for at least `need` bytes: a spare one when it is big enough. */
  private newChunk(need: number): Buffer {
    if (need <= CHUNK_BYTES) {
      const spare = this.spare.pop();
      if (spare !== undefined) return spare;
    }
    return Buffer.allocUnsafe(Math.max(CHUNK_BYTES, need));
  }

  /**
   * Keeps the memory under a written chunk for the next chunks once nothing of it is waiting or
   * being filled (a busy mock then allocates no new memory for its file batches, which made V8
   * collect the old generation often).
   */
  private spareChunk(b: Buffer): void {
    const memory = b.buffer;
    if (this.spare.length >= SPARE_CHUNKS || memory.byteLength !== CHUNK_BYTES) return;
    if (this.chunk?.buffer === memory || this.spare.some((s) => s.buffer === memory)) return;
    this.spare.push(Buffer.from(memory, 0, CHUNK_BYTES));
  }

  /** Reopens the path when the file there is not the one held, or notes a truncation. */
  private followRotation(): void {
    const held = fs.fstatSync(this.fd);
    const atPath = fs.statSync(this.path, { throwIfNoEntry: false });
    if (atPath === undefined) this.reopenPath('removed');
    else if (atPath.ino !== held.ino || atPath.dev !== held.dev) this.reopenPath('moved');
    else if (held.isFile() && held.size < this.size) {
      // O_APPEND already sends the next write to the new end; only the bookkeeping follows.
      this.size = held.size;
      this.lead = false;
      this.emitReopened('truncated');
    }
  }

  private reopenPath(why: ReopenReason): void {
    const fd = fs.openSync(this.path, OPEN_FLAGS, 0o666);
    const old = this.fd;
    const st = fs.fstatSync(fd);
    this.fd = fd;
    this.size = st.size;
    this.lead = false;
    try {
      fs.closeSync(old);
    } catch {
      /* the old descriptor is gone either way */
    }
    this.emitReopened(why);
  }

  private emitReopened(why: ReopenReason): void {
    if (this.listenerCount('reopened') > 0) this.emit('reopened', why);
  }

  /**
   * Writes the waiting lines to the file held, then opens the path again (creating it when it
   * is gone) and writes to that from now on: what a logrotate `postrotate` script asks for with
   * SIGUSR1. A failure to open is a write error (see `errors`).
   */
  reopen(): void {
    if (this.failed || this.ended) return;
    this.cancelTimer();
    try {
      if (this.pendingBytes > 0) {
        const bufs = this.takePending();
        if (this.lead) bufs.unshift(NEWLINE);
        writeAllSync(this.fd, bufs);
        this.lead = false;
      }
      this.reopenPath('requested');
    } catch (error) {
      this.fail(error);
    }
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** The waiting bytes, in order (no copy); later lines go to the unused rest of the chunk. */
  private takePending(): Buffer[] {
    const chunk = this.chunk;
    const bufs = this.full;
    if (chunk !== undefined && this.used > 0) bufs.push(chunk.subarray(0, this.used));
    this.full = [];
    this.fullBytes = 0;
    this.chunk = chunk?.subarray(this.used);
    this.used = 0;
    return bufs;
  }

  private fail(error: unknown): void {
    const e = new TranscriptError(
      `cannot write transcript file "${this.path}": ${errnoCode(error)} (${reason(error)})`,
      'ERR_TRANSCRIPT_WRITE',
      this.path,
      { cause: error },
    );
    this.errors.push(e);
    this.takePending();
    this.cancelTimer();
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }

  flush(): Promise<void> {
    this.drain();
    return Promise.resolve();
  }

  flushSync(): void {
    this.drain();
  }

  close(): Promise<void> {
    if (!this.ended) {
      this.drain();
      this.ended = true;
      try {
        fs.closeSync(this.fd);
      } catch {
        /* closed either way */
      }
    }
    return Promise.resolve();
  }
}

const NEWLINE = Buffer.from('\n');
/** Buffers one `writevSync` takes at most (IOV_MAX is 1024 on Linux). */
const IOV_MAX = 1024;

/** Writes `bufs` in order, all of them (partial writes continue); returns the bytes written. */
function writeAllSync(fd: number, bufs: Buffer[]): number {
  let total = 0;
  let i = 0;
  let at = 0; // bytes of bufs[i] already written
  while (i < bufs.length) {
    const head = bufs[i] ?? NEWLINE;
    const batch = [at > 0 ? head.subarray(at) : head, ...bufs.slice(i + 1, i + IOV_MAX)];
    let n = fs.writevSync(fd, batch);
    total += n;
    // Skip what was written: whole buffers, then into the next one.
    n += at;
    at = 0;
    while (i < bufs.length && n >= (bufs[i]?.length ?? 0)) n -= bufs[i++]?.length ?? 0;
    at = n;
  }
  return total;
}

/**
 * The `seq` of the last record in the file (scanning back at most {@link LAST_SEQ_SCAN_BYTES})
 * and whether the file ends with a newline (an empty file counts as one).
 */
function readTail(
  path: string,
  size: number,
): { lastSeq: number | undefined; endsWithNewline: boolean } {
  if (size === 0) return { lastSeq: undefined, endsWithNewline: true };
  const length = Math.min(size, LAST_SEQ_SCAN_BYTES);
  const buf = Buffer.alloc(length);
  let read = 0;
  const fd = fs.openSync(path, 'r');
  try {
    while (read < length) {
      const n = fs.readSync(fd, buf, read, length - read, size - length + read);
      if (n === 0) break;
      read += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  const text = buf.subarray(0, read).toString('utf8');
  const lines = text.split('\n');
  // The first line may be cut by the scan window; it is only used when the window is the file.
  const first = length === size ? 0 : 1;
  for (let i = lines.length - 1; i >= first; i--) {
    const seq = seqOf(lines[i] ?? '');
    if (seq !== undefined) return { lastSeq: seq, endsWithNewline: text.endsWith('\n') };
  }
  return { lastSeq: undefined, endsWithNewline: text.endsWith('\n') };
}

function seqOf(line: string): number | undefined {
  if (line.trim() === '') return undefined;
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== 'object' || value === null) return undefined;
    const seq = (value as { seq?: unknown }).seq;
    return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? seq : undefined;
  } catch {
    return undefined;
  }
}

export {
  MemorySink,
  type MemorySinkOptions,
  type TranscriptLines,
  type WaitForOptions,
} from './memory-ring.js';

/**
 * Writes every record to each of its sinks, in the order given. A line the recorder wrote in
 * place (`target`) goes to the other sinks first, then to the sink whose buffer holds it.
 */
export class TeeSink implements TranscriptSink {
  readonly sinks: readonly TranscriptSink[];
  /** The sink lines are written into (the first with `target`), and the others. */
  private readonly host: TranscriptSink | undefined;
  private readonly others: readonly TranscriptSink[];
  constructor(sinks: readonly TranscriptSink[]) {
    this.sinks = [...sinks];
    this.host = this.sinks.find((s) => s.target !== undefined && s.writeSlice !== undefined);
    this.others = this.sinks.filter((s) => s !== this.host);
  }
  target(w: JsonBytes): void {
    this.host?.target?.(w);
  }
  write(record: TranscriptRecord): void {
    for (const s of this.sinks) s.write(record);
  }
  writeBytes(line: Uint8Array, seq: number): void {
    let parsed: TranscriptRecord | undefined;
    for (const s of this.sinks) {
      if (s.writeBytes !== undefined) s.writeBytes(line, seq);
      else s.write((parsed ??= JSON.parse(Buffer.from(line).toString('utf8')) as TranscriptRecord));
    }
  }
  writeSlice(buf: Buffer, start: number, end: number, seq: number): void {
    let line: Buffer | undefined;
    // The others copy the line before its host keeps it (the host may reuse its buffer then).
    for (const s of this.others) {
      if (s.writeSlice !== undefined) s.writeSlice(buf, start, end, seq);
      else this.writeBytesTo(s, (line ??= buf.subarray(start, end)), seq);
    }
    this.host?.writeSlice?.(buf, start, end, seq);
  }
  private writeBytesTo(s: TranscriptSink, line: Buffer, seq: number): void {
    if (s.writeBytes !== undefined) s.writeBytes(line, seq);
    else s.write(JSON.parse(line.toString('utf8')) as TranscriptRecord);
  }
  async flush(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.flush()));
  }
  flushSync(): void {
    for (const s of this.sinks) s.flushSync();
  }
  async close(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.close()));
  }
}
