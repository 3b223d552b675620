/**
 * Where records go. `FileSink` appends JSONL to a file, batching the lines of up to
 * {@link FILE_SINK_BATCH_MS} ms into one write; `MemorySink` keeps the JSONL lines in a bounded
 * ring (memory-ring.ts) and wakes `waitFor` callers; `TeeSink` writes to several.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { TranscriptError } from './errors.js';
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
  flush(): Promise<void>;
  flushSync(): void;
  close(): Promise<void>;
}

/** Events of a {@link FileSink}. */
export interface FileSinkEvents {
  /** A write failed after the file was opened; the sink stops writing. */
  error: [error: TranscriptError];
}

/**
 * Longest time (ms) a record written to a {@link FileSink} waits before the write of its batch
 * starts (longer only while the previous write is still in progress, i.e. a disk slower than
 * the traffic). A process killed without a chance to flush (SIGKILL, a crash) loses at most
 * the records of this last interval and of a write in progress; SIGINT/SIGTERM handlers call
 * `flushSync()` and lose nothing.
 */
export const FILE_SINK_BATCH_MS = 10;

/** Bytes waiting at which a batch goes to the file without waiting for the timer. */
const BATCH_BYTES = 256 * 1024;
/** Lines are encoded into chunks of this size as they are written (a longer line gets its own). */
const CHUNK_BYTES = 64 * 1024;

interface InFlight {
  readonly buf: Buffer;
  readonly position: number;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function errnoCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'unknown';
}

/**
 * Appends records to a JSONL file, one line each, in the order written.
 *
 * Guarantees: lines are never interleaved or reordered; lines are batched, never one write per
 * record: a batch goes out {@link FILE_SINK_BATCH_MS} ms after its first line, or at once when
 * 256 KiB are waiting, or when the previous write completes with more waiting for `flush()`;
 * `flush()`, `flushSync()` and `close()` put every line written so far into the file. Writes
 * are positioned at the offset this sink tracks (starting at the end of an existing file), so
 * `flushSync()` can rewrite a batch that is still in flight: the same bytes at the same offset,
 * never a duplicate line. A write error after opening is kept in `errors`, emitted as `'error'`
 * when someone listens (it never crashes the process), and stops further writes.
 */
export class FileSink extends EventEmitter<FileSinkEvents> implements TranscriptSink {
  readonly path: string;
  /** Write errors so far (at most one: the sink stops at the first). */
  readonly errors: TranscriptError[] = [];
  private readonly fd: number;
  private position: number;
  /** Filled chunks waiting, then `chunk` filled up to `used`. */
  private full: Buffer[] = [];
  private fullBytes = 0;
  private chunk: Buffer | undefined;
  private used = 0;
  private inFlight: InFlight | undefined;
  private timer: NodeJS.Timeout | undefined;
  private waiters: (() => void)[] = [];
  private closing: Promise<void> | undefined;
  private ended = false;
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.drain();
  };

  private constructor(path: string, fd: number, position: number) {
    super();
    this.path = path;
    this.fd = fd;
    this.position = position;
  }

  /**
   * Opens (creating if needed) `path` for appending. Throws `TranscriptError`
   * (`ERR_TRANSCRIPT_OPEN`) naming the path and the OS reason when it cannot be written: a
   * missing directory, no permission, a directory in the way.
   */
  static async open(path: string): Promise<FileSink> {
    try {
      const fd = await new Promise<number>((resolve, reject) => {
        fs.open(path, fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o666, (err, fd) => {
          if (err) reject(err);
          else resolve(fd);
        });
      });
      const size = await new Promise<number>((resolve, reject) => {
        fs.fstat(fd, (err, st) => {
          if (err) {
            fs.close(fd, () => {
              reject(err);
            });
          } else resolve(st.size);
        });
      });
      return new FileSink(path, fd, size);
    } catch (error) {
      throw new TranscriptError(
        `cannot open transcript file "${path}" for writing: ${errnoCode(error)} (${reason(error)})`,
        'ERR_TRANSCRIPT_OPEN',
        path,
        { cause: error },
      );
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
    if (this.inFlight === undefined) this.schedule();
  }

  /** Appends one record as the UTF-8 bytes of its line (no newline; copied now). */
  writeBytes(line: Uint8Array): void {
    if (this.ended || this.failed) return;
    const need = line.length + 1;
    let chunk = this.chunk;
    if (chunk === undefined || chunk.length - this.used < need) {
      if (chunk !== undefined && this.used > 0) {
        this.full.push(chunk.subarray(0, this.used));
        this.fullBytes += this.used;
      }
      chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, need));
      this.chunk = chunk;
      this.used = 0;
    }
    chunk.set(line, this.used);
    this.used += line.length;
    chunk[this.used++] = 0x0a;
    if (this.inFlight === undefined) this.schedule();
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
      chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, worst));
      this.chunk = chunk;
      this.used = 0;
    }
    this.used += chunk.write(line, this.used);
    chunk[this.used++] = 0x0a;
  }

  private get pendingBytes(): number {
    return this.fullBytes + this.used;
  }

  /** Starts the next batch now when it is due, else makes sure the timer will. */
  private schedule(): void {
    if (this.pendingBytes >= BATCH_BYTES || this.waiters.length > 0) this.drain();
    else this.timer ??= setTimeout(this.onTimer, FILE_SINK_BATCH_MS);
  }

  private drain(): void {
    this.cancelTimer();
    if (this.inFlight !== undefined || this.failed) return;
    if (this.pendingBytes === 0) {
      this.wake();
      return;
    }
    const buf = this.takePending();
    const item: InFlight = { buf, position: this.position };
    this.position += buf.length;
    this.inFlight = item;
    this.writeFrom(item, 0);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** The waiting bytes as one buffer; later lines go to the unused rest of the chunk. */
  private takePending(): Buffer {
    const chunk = this.chunk;
    const last = chunk?.subarray(0, this.used);
    const buf =
      this.full.length === 0 && last !== undefined
        ? last
        : Buffer.concat(last === undefined ? this.full : [...this.full, last]);
    this.full = [];
    this.fullBytes = 0;
    this.chunk = chunk?.subarray(this.used);
    this.used = 0;
    return buf;
  }

  private writeFrom(item: InFlight, offset: number): void {
    fs.write(
      this.fd,
      item.buf,
      offset,
      item.buf.length - offset,
      item.position + offset,
      (err, written) => {
        if (this.inFlight !== item) return; // flushSync already wrote these bytes
        if (err) {
          this.inFlight = undefined;
          this.fail(err);
          return;
        }
        if (offset + written < item.buf.length) {
          this.writeFrom(item, offset + written);
          return;
        }
        this.inFlight = undefined;
        if (this.pendingBytes > 0) this.schedule();
        else this.wake();
      },
    );
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
    this.wake();
  }

  private wake(): void {
    if (this.pendingBytes > 0 || this.inFlight !== undefined) return;
    for (const w of this.waiters.splice(0)) w();
  }

  flush(): Promise<void> {
    if (this.failed || (this.pendingBytes === 0 && this.inFlight === undefined)) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.drain();
    });
  }

  flushSync(): void {
    if (this.failed || this.ended) return;
    try {
      const item = this.inFlight;
      if (item !== undefined) {
        this.inFlight = undefined;
        writeAllSync(this.fd, item.buf, item.position);
      }
      this.cancelTimer();
      if (this.pendingBytes > 0) {
        const buf = this.takePending();
        writeAllSync(this.fd, buf, this.position);
        this.position += buf.length;
      }
    } catch (error) {
      this.fail(error);
      return;
    }
    this.wake();
  }

  close(): Promise<void> {
    this.closing ??= this.flush().then(
      () =>
        new Promise<void>((resolve) => {
          this.ended = true;
          fs.close(this.fd, () => {
            resolve();
          });
        }),
    );
    return this.closing;
  }
}

function writeAllSync(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) {
    done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
  }
}

export { MemorySink, type MemorySinkOptions, type WaitForOptions } from './memory-ring.js';

/** Writes every record to each of its sinks, in the order given. */
export class TeeSink implements TranscriptSink {
  readonly sinks: readonly TranscriptSink[];
  constructor(sinks: readonly TranscriptSink[]) {
    this.sinks = [...sinks];
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
