/**
 * The figures of `GET /stats` that come from the transcript: submit frames per second, error
 * answers sent, ack timeouts. The inbox index computes the same ones while it correlates every
 * record into messages; `/stats` polled under load (a console header, a monitoring script, the
 * scale benchmark) must not pay for that: this reads the same raw JSONL lines (its own
 * {@link PagedTranscriptReader}, like the index: its own cursor, a page at a time within a turn
 * budget) but only looks at each record's head (`kind`, `dir`, `op`, `ts`) and parses a line only
 * when it is an answer that may carry an error code. The recorder writes every record as
 * `{"seq":N,"ts":"…","kind":"…",…}`, a frame's head continuing `"session":"…","dir":"…","op":N`;
 * JSON escapes every `"` inside a string, so `"dir":"` and the like only match as keys.
 */
import type { FrameRecord } from '../transcript/index.js';
import type { IndexSource } from './message-index.js';
import { PagedTranscriptReader } from './paged-transcript-reader.js';

/** Bytes of JSONL read per page (~400 records; a head costs well under a microsecond). */
const PAGE_BYTES = 128 * 1024;
/** Seconds of submit counts kept. */
const MAX_SECONDS = 300;

export interface TrafficCountersOptions {
  readonly turnBudgetMs?: number;
  /** Milliseconds of a monotonic clock, for the budget (default `performance.now`). */
  readonly now?: () => number;
}

export interface TrafficFigures {
  /** Submit frames in each of the 60 seconds up to `now` (oldest first). */
  readonly submitsPerSecond: number[];
  readonly errorAnswers: number;
  readonly ackTimeouts: number;
}

export class TrafficCounters {
  private readonly reader: PagedTranscriptReader;
  private errorAnswers = 0;
  private ackTimeouts = 0;
  private readonly perSecond = new Map<number, number>();
  /** The last `YYYY-MM-DDTHH:MM:SS` seen and its second (records come in time order). */
  private lastPrefix = '';
  private lastSecond = 0;

  constructor(source: IndexSource, options: TrafficCountersOptions = {}) {
    this.reader = new PagedTranscriptReader(
      source,
      (line) => {
        this.line(line);
      },
      {
        pageBytes: PAGE_BYTES,
        turnBudgetMs: options.turnBudgetMs,
        now: options.now,
      },
    );
  }

  /** Seq of the last record counted. */
  get lastSeq(): number {
    return this.reader.cursor;
  }

  /** Counts the records added since the last call (all kept ones the first time). */
  catchUp(): Promise<void> {
    return this.reader.catchUp();
  }

  /** The figures at `now` (ms since the epoch) over what was counted. */
  figures(now: number): TrafficFigures {
    const last = Math.floor(now / 1000);
    const submitsPerSecond: number[] = [];
    for (let t = last - 59; t <= last; t++) submitsPerSecond.push(this.perSecond.get(t) ?? 0);
    return { submitsPerSecond, errorAnswers: this.errorAnswers, ackTimeouts: this.ackTimeouts };
  }

  private line(line: string): void {
    const k = line.indexOf('"kind":"');
    if (k < 0) return;
    if (line.startsWith('ack-timeout"', k + 8)) {
      this.ackTimeouts++;
      return;
    }
    if (!line.startsWith('frame"', k + 8)) return;
    const d = line.indexOf('"dir":"', k);
    const o = line.indexOf('"op":', d);
    if (d < 0 || o < 0) return;
    const op = parseInt(line.slice(o + 5, o + 8), 10);
    if (line.startsWith('in"', d + 7)) {
      if (op === 3) this.submit(line);
      return;
    }
    if (op === 98 || op === 99) this.errorAnswers++;
    else if (op > 50 && line.includes('"errorCode":')) {
      // Rare (an error answer): read it exactly.
      const r = JSON.parse(line) as FrameRecord;
      if ((r.fields.errorCode ?? 0) !== 0) this.errorAnswers++;
    }
  }

  private submit(line: string): void {
    const t = line.indexOf('"ts":"');
    if (t < 0) return;
    const prefix = line.slice(t + 6, t + 25);
    if (prefix !== this.lastPrefix) {
      this.lastPrefix = prefix;
      this.lastSecond = Math.floor(Date.parse(`${prefix}Z`) / 1000);
    }
    const second = this.lastSecond;
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + 1);
    if (this.perSecond.size > MAX_SECONDS) {
      const oldest = this.perSecond.keys().next();
      if (oldest.done !== true) this.perSecond.delete(oldest.value);
    }
  }
}
