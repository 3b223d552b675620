/**
 * Reads the JSONL lines of the in-memory transcript from a cursor on, a page at a time, for the
 * views that derive figures from it (the inbox index): each line is handed to a callback, and a
 * catch-up lets the event loop run again once a turn spent its time budget (a console polling
 * under load must not show up in the answer latency of the sessions).
 *
 * Pages come from `transcriptBytes` (whole-line slices of the kept bytes, about `pageBytes` each):
 * the slices are not lent, so the ring keeps reusing its buffers, but they are valid only until
 * the next record is written: every line of a page is decoded and handed over synchronously,
 * before the reader returns.
 */
import type { MockSmsc } from '../mock-smsc.js';

/** What the reader needs of the mock (MockSmsc has it; tests may give less). */
export type PagedSource = Pick<MockSmsc, 'transcriptBytes' | 'truncatedSince' | 'lastSeq'>;

/** Options of {@link PagedTranscriptReader}. */
export interface PagedTranscriptReaderOptions {
  /** Bytes of JSONL asked for per page (whole lines; a page holds one line at least). */
  readonly pageBytes: number;
  /**
   * Time a catch-up spends before it lets the event loop run again (default 1 ms; it stops after
   * the page that crossed it, so a turn lasts about one page more).
   */
  readonly turnBudgetMs?: number | undefined;
  /** Milliseconds of a monotonic clock, for the budget (default `performance.now`). */
  readonly now?: (() => number) | undefined;
  /** Called before a page when records after the cursor already left memory. */
  readonly onTruncated?: () => void;
}

/** Default of {@link PagedTranscriptReaderOptions.turnBudgetMs}. */
const TURN_BUDGET_MS = 1;

export class PagedTranscriptReader {
  /**
   * Seq of the last record read: pages start after it. The owner may move it on (a record it
   * took in by itself); the reader sets it to the page's last seq after each page.
   */
  cursor = 0;
  private readonly source: PagedSource;
  private readonly handle: (line: string) => void;
  private readonly pageBytes: number;
  private readonly turnBudgetMs: number;
  private readonly now: () => number;
  private readonly onTruncated: (() => void) | undefined;
  /** Seq a pass reads up to (the newest when a caller asked). */
  private target = 0;
  private catching: Promise<void> | undefined;

  /** `handle` gets each line (without its newline), in order, synchronously within its page. */
  constructor(
    source: PagedSource,
    handle: (line: string) => void,
    options: PagedTranscriptReaderOptions,
  ) {
    if (!(options.pageBytes > 0))
      throw new RangeError(`pageBytes must be positive, got ${options.pageBytes}`);
    this.source = source;
    this.handle = handle;
    this.pageBytes = options.pageBytes;
    this.turnBudgetMs = options.turnBudgetMs ?? TURN_BUDGET_MS;
    this.now = options.now ?? (() => performance.now());
    this.onTruncated = options.onTruncated;
  }

  /**
   * Reads the records added since the last call (all kept ones the first time), a page at a time,
   * letting the event loop run whenever a turn spent its budget. It ends at the records there
   * when asked, however fast new ones come; concurrent callers share one pass (extended to what
   * was there when the last of them asked).
   */
  catchUp(): Promise<void> {
    this.target = Math.max(this.target, this.source.lastSeq);
    this.catching ??= this.run().finally(() => {
      this.catching = undefined;
    });
    return this.catching;
  }

  /** Reads what is already there without yielding (tests, small transcripts). */
  catchUpSync(): void {
    this.target = Math.max(this.target, this.source.lastSeq);
    while (this.page()) {
      /* next page */
    }
  }

  private async run(): Promise<void> {
    for (;;) {
      const until = this.now() + this.turnBudgetMs;
      let more: boolean;
      do more = this.page();
      while (more && this.now() < until);
      if (!more) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Reads one page; true when more records follow (up to the target). */
  private page(): boolean {
    if (this.cursor >= this.target || this.source.lastSeq <= this.cursor) return false;
    if (this.onTruncated !== undefined && this.source.truncatedSince(this.cursor))
      this.onTruncated();
    const page = this.source.transcriptBytes(this.cursor, this.pageBytes);
    // A line cut between two slices (not what the ring gives, but nothing here relies on it).
    let pending: Buffer | undefined;
    for (const chunk of page.chunks) {
      let from = 0;
      if (pending !== undefined) {
        const nl = chunk.indexOf(0x0a);
        if (nl < 0) {
          pending = Buffer.concat([pending, chunk]);
          continue;
        }
        this.lines(Buffer.concat([pending, chunk.subarray(0, nl)]).toString('utf8'));
        pending = undefined;
        from = nl + 1;
      }
      const end = chunk.lastIndexOf(0x0a) + 1;
      if (end > from) this.lines(chunk.toString('utf8', from, end));
      if (Math.max(end, from) < chunk.length) pending = chunk.subarray(Math.max(end, from));
    }
    // The last line without its newline.
    if (pending !== undefined) this.lines(pending.toString('utf8'));
    if (page.bytes === 0) {
      // Nothing kept after the cursor (all left memory): skip to the newest.
      this.cursor = this.source.lastSeq;
      return false;
    }
    this.cursor = page.lastSeq;
    return page.more && this.cursor < this.target;
  }

  /** Hands over the non-empty lines of `text`. */
  private lines(text: string): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      const end = nl < 0 ? text.length : nl;
      if (end > start) this.handle(text.slice(start, end));
      if (nl < 0) break;
      start = nl + 1;
    }
  }
}
