/**
 * `show --follow`: the ladder of a growing transcript, printed as records arrive (like
 * `tail -f`), until the `server-stop` record, the end of stdin, or SIGINT/SIGTERM.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import {
  Transcript,
  TranscriptParseError,
  parseTranscript,
  showTranscript,
  type TranscriptRecord,
} from '../transcript/index.js';

/** How often a followed file is checked for new bytes (ms). */
const POLL_MS = 100;
/** A request line waits this long for its decision (the rule tag) before it is printed anyway. */
const HOLD_MS = 300;

/** Readiness lines of `serve --transcript -` on the same stream; skipped when reading stdin. */
export const READINESS_LINE = /^cimd2-mock (listening|admin|console) on /;

/**
 * Turns JSONL text, as it arrives in chunks, into ladder lines. An inbound request is held
 * until its decision record arrives (so its line carries the rule), at most {@link HOLD_MS}.
 */
export class LadderFollower {
  private partial = '';
  private lineNo = 0;
  private pending: TranscriptRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** True once the `server-stop` record was printed. */
  stopped = false;

  private readonly file: string;
  private readonly print: (lines: string[]) => void;
  private readonly options: { color: boolean; skipReadiness: boolean };

  constructor(
    file: string,
    print: (lines: string[]) => void,
    options: { color: boolean; skipReadiness: boolean },
  ) {
    this.file = file;
    this.print = print;
    this.options = options;
  }

  /** Feeds more text; throws TranscriptParseError for a line that is not a record. */
  push(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    const records: TranscriptRecord[] = [];
    for (const raw of lines) {
      this.lineNo++;
      const line = raw.replace(/\r$/, '');
      if (line.trim() === '') continue;
      if (this.options.skipReadiness && READINESS_LINE.test(line)) continue;
      try {
        records.push(...parseTranscript(`${line}\n`, this.file).records);
      } catch (error) {
        if (!(error instanceof TranscriptParseError)) throw error;
        const reason = error.message.replace(/^.*?: not a transcript record: /, '');
        throw new TranscriptParseError(this.file, this.lineNo, reason, { cause: error });
      }
    }
    if (records.length === 0) return;
    this.pending.push(...records);
    if (records.some((r) => r.kind === 'server-stop')) {
      this.flush();
      this.stopped = true;
      return;
    }
    this.printReady();
  }

  /** Prints everything held (and the last line when it lacks its newline but parses). */
  flush(): void {
    if (this.partial.trim() !== '') {
      const rest = this.partial;
      this.partial = '';
      try {
        this.push(`${rest}\n`);
      } catch {
        /* an interrupted last write: dropped, as readTranscript does */
      }
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.emit(this.pending.length);
  }

  private printReady(): void {
    const cut = this.firstUndecided();
    this.emit(cut);
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.emit(this.pending.length);
      }, HOLD_MS);
    }
  }

  /** Index of the first inbound request whose decision has not arrived yet (else the length). */
  private firstUndecided(): number {
    const decided = new Set<string>();
    for (const r of this.pending)
      if (r.kind === 'decision') decided.add(`${r.session}|${r.pn}|${r.op}`);
    for (const [i, r] of this.pending.entries()) {
      if (r.kind !== 'frame' || r.dir !== 'in' || r.op >= 50) continue;
      const key = `${r.session}|${r.pn}|${r.op}`;
      if (!decided.has(key)) return i;
      decided.delete(key);
    }
    return this.pending.length;
  }

  private emit(count: number): void {
    if (count <= 0) return;
    const batch = this.pending.splice(0, count);
    const lines = showTranscript(new Transcript(batch), { color: this.options.color });
    if (lines.length > 0) this.print(lines);
  }
}

/**
 * Follows `file` (or stdin for `-`) until server-stop, end of stdin, or `signal`; resolves with
 * the exit code. Throws TranscriptParseError for a bad line, or an fs error when the file
 * cannot be opened.
 */
export async function follow(
  file: string,
  options: { color: boolean; signal: AbortSignal },
): Promise<number> {
  const out = (lines: string[]): void => {
    process.stdout.write(`${lines.join('\n')}\n`);
  };
  const follower = new LadderFollower(file === '-' ? '<stdin>' : file, out, {
    color: options.color,
    skipReadiness: file === '-',
  });
  if (file === '-') return followStdin(follower, options.signal);
  const fh = await open(file, 'r');
  try {
    await followFile(fh, file, follower, options.signal);
  } finally {
    await fh.close();
  }
  follower.flush();
  return 0;
}

async function followFile(
  fh: FileHandle,
  file: string,
  follower: LadderFollower,
  signal: AbortSignal,
): Promise<void> {
  const buf = Buffer.alloc(64 * 1024);
  const decoder = new TextDecoder('utf-8');
  let pos = 0;
  while (!signal.aborted && !follower.stopped) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead > 0) {
      pos += bytesRead;
      follower.push(decoder.decode(buf.subarray(0, bytesRead), { stream: true }));
      continue;
    }
    // Truncated or replaced (a new run writing the same path): start again from the top.
    const size = await stat(file).then(
      (s) => s.size,
      () => pos,
    );
    if (size < pos) pos = 0;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, POLL_MS);
      function done(): void {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

function followStdin(follower: LadderFollower, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    stdin.setEncoding('utf8');
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.off('end', finish);
      signal.removeEventListener('abort', finish);
      stdin.pause();
      follower.flush();
      resolve(0);
    };
    const onData = (chunk: string): void => {
      try {
        follower.push(chunk);
      } catch (error) {
        stdin.off('data', onData);
        stdin.off('end', finish);
        stdin.pause();
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (follower.stopped) finish();
    };
    stdin.on('data', onData);
    stdin.on('end', finish);
    signal.addEventListener('abort', finish, { once: true });
  });
}
