/**
 * The paged transcript reader behind the inbox index and the `/stats` traffic counters: the lines
 * after its cursor, a page of about `pageBytes` at a time, handed over in order within their page;
 * a catch-up that yields to the event loop once a turn spent its budget (fake clock), shared by
 * concurrent callers; records that left memory reported. In memory, with a fake source (and a
 * real memory ring for the last case).
 */
import { expect } from 'chai';
import { countTurns } from '../../helpers/event-loop-turns.js';
import {
  PagedTranscriptReader,
  type PagedSource,
} from '../../../src/control/paged-transcript-reader.js';
import { MemorySink } from '../../../src/transcript/memory-ring.js';
import type { TranscriptRecord } from '../../../src/transcript/record.js';

/** The JSONL line of record `seq` (lengths vary; some characters take several UTF-8 bytes). */
function line(seq: number): string {
  return JSON.stringify({ seq, text: `é€${'x'.repeat((seq * 7) % 41)}` });
}

/**
 * A transcript of `lines.length` records (seq = index + 1), read as the memory ring reads: whole
 * lines after `since`, at most `maxBytes` of them (one at least), none of those evicted.
 */
class FakeSource implements PagedSource {
  readonly lines: string[] = [];
  /** Seq of the newest record that left memory. */
  evictedThrough = 0;
  readonly reads: { since: number; maxBytes: number }[] = [];
  /** Runs at each read (the fake clock, traffic). */
  onRead: () => void = () => undefined;
  /** Cuts a page's bytes into the slices given (default: one). */
  split: (bytes: Buffer) => Buffer[] = (bytes) => [bytes];

  constructor(count: number) {
    this.add(count);
  }

  add(count: number): void {
    for (let i = 0; i < count; i++) this.lines.push(line(this.lines.length + 1));
  }

  get lastSeq(): number {
    return this.lines.length;
  }

  truncatedSince(since = 0): boolean {
    return this.evictedThrough > since;
  }

  transcriptBytes(
    since: number,
    maxBytes: number,
  ): { chunks: Buffer[]; bytes: number; lastSeq: number; more: boolean } {
    this.reads.push({ since, maxBytes });
    this.onRead();
    const start = Math.max(since, this.evictedThrough);
    let end = start;
    let bytes = 0;
    while (end < this.lines.length) {
      const n = Buffer.byteLength(this.lines[end] ?? '') + 1;
      if (end > start && bytes + n > maxBytes) break;
      bytes += n;
      end++;
    }
    const page = Buffer.from(
      this.lines
        .slice(start, end)
        .map((l) => `${l}\n`)
        .join(''),
    );
    return {
      chunks: bytes === 0 ? [] : this.split(page),
      bytes,
      lastSeq: end > start ? end : since,
      more: end < this.lines.length,
    };
  }
}

/** A reader of `source` that collects the lines it is handed. */
function collect(
  source: PagedSource,
  options: Partial<ConstructorParameters<typeof PagedTranscriptReader>[2]> = {},
): { reader: PagedTranscriptReader; got: string[] } {
  const got: string[] = [];
  const reader = new PagedTranscriptReader(source, (l) => got.push(l), {
    pageBytes: 1024,
    ...options,
  });
  return { reader, got };
}

const seqs = (from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => line(from + i));

describe('PagedTranscriptReader', () => {
  it('hands over every line once, in order, reading pages of about pageBytes after its cursor', () => {
    const source = new FakeSource(300);
    const { reader, got } = collect(source, { pageBytes: 1024 });
    reader.catchUpSync();
    expect(got).to.deep.equal(seqs(1, 300));
    expect(reader.cursor).to.equal(300);
    // Each page asks for pageBytes after where the previous one ended.
    expect(source.reads.length).to.be.greaterThan(10);
    expect(source.reads[0]).to.deep.equal({ since: 0, maxBytes: 1024 });
    for (let i = 1; i < source.reads.length; i++) {
      const since = source.reads[i]?.since ?? 0;
      expect(since).to.be.greaterThan(source.reads[i - 1]?.since ?? 0);
      expect(source.reads[i]?.maxBytes).to.equal(1024);
    }
  });

  it('continues from its cursor: a later catch-up reads only the records written since', async () => {
    const source = new FakeSource(50);
    const { reader, got } = collect(source);
    await reader.catchUp();
    expect(reader.cursor).to.equal(50);
    const reads = source.reads.length;
    await reader.catchUp();
    expect(source.reads.length, 'nothing new: nothing read').to.equal(reads);
    source.add(20);
    await reader.catchUp();
    expect(source.reads[reads]?.since).to.equal(50);
    expect(got).to.deep.equal(seqs(1, 70));
    expect(reader.cursor).to.equal(70);
  });

  it('starts after a cursor its owner moved on (records it took in by itself)', () => {
    const source = new FakeSource(40);
    const { reader, got } = collect(source);
    reader.cursor = 25;
    reader.catchUpSync();
    expect(source.reads[0]?.since).to.equal(25);
    expect(got).to.deep.equal(seqs(26, 40));
  });

  it('yields to the event loop once a turn spent its budget (injected clock)', async () => {
    const clock = { now: 0 };
    // Event-loop turns seen so far, counted beside the catch-up.
    const loop = countTurns();
    const source = new FakeSource(1000);
    // Each page read costs 0.4 ms of the fake clock.
    const turnOfRead: number[] = [];
    source.onRead = () => {
      clock.now += 0.4;
      turnOfRead.push(loop.turns);
    };
    const { reader, got } = collect(source, {
      pageBytes: 1024,
      turnBudgetMs: 1,
      now: () => clock.now,
    });
    await reader.catchUp();
    loop.stop();
    expect(got).to.deep.equal(seqs(1, 1000));
    // Three pages cross the 1 ms budget (0.4, 0.8, 1.2), then the event loop runs.
    const perTurn = new Map<number, number>();
    for (const t of turnOfRead) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    const counts = [...perTurn.values()];
    expect(counts.length).to.be.greaterThan(5);
    for (const c of counts.slice(0, -1)) expect(c).to.equal(3);
    expect(counts.at(-1)).to.be.within(1, 3);
    expect(counts.reduce((a, b) => a + b, 0)).to.equal(source.reads.length);
  });

  it('reads everything in the first turn when the budget allows it', async () => {
    const clock = { now: 0 };
    const source = new FakeSource(1000);
    source.onRead = () => {
      clock.now += 0.4;
    };
    const { reader } = collect(source, { turnBudgetMs: 60_000, now: () => clock.now });
    let yielded = false;
    setImmediate(() => {
      yielded = true;
    });
    const done = reader.catchUp();
    expect(reader.cursor).to.equal(1000);
    expect(yielded).to.equal(false);
    await done;
  });

  it('hands over a line cut between slices once, whole (a character cut in two included)', () => {
    const source = new FakeSource(30);
    // Cut every page into slices of 7 bytes: lines span several slices, and the multi-byte é and
    // € fall across cuts; the page's last slice may end without its newline too.
    source.split = (bytes) => {
      const out: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += 7) out.push(bytes.subarray(i, i + 7));
      return out;
    };
    const { reader, got } = collect(source, { pageBytes: 200 });
    reader.catchUpSync();
    expect(got).to.deep.equal(seqs(1, 30));
  });

  it('decodes a line cut inside a character as one: the bytes join before they are decoded', () => {
    const source = new FakeSource(30);
    // Cut each page after the first byte of every €: each slice but the first starts with the
    // rest of a character and holds the newline of the line it continues.
    const euro = Buffer.from('€');
    source.split = (bytes) => {
      const out: Buffer[] = [];
      let from = 0;
      for (let at = bytes.indexOf(euro); at >= 0; at = bytes.indexOf(euro, at + 1)) {
        out.push(bytes.subarray(from, at + 1));
        from = at + 1;
      }
      out.push(bytes.subarray(from));
      return out;
    };
    const { reader, got } = collect(source, { pageBytes: 200 });
    reader.catchUpSync();
    expect(got).to.deep.equal(seqs(1, 30));
  });

  it('hands over the last line of a page that lacks its newline', () => {
    const source = new FakeSource(3);
    source.split = (bytes) => [bytes.subarray(0, bytes.length - 1)];
    const { reader, got } = collect(source, { pageBytes: 1 << 20 });
    reader.catchUpSync();
    expect(got).to.deep.equal(seqs(1, 3));
  });

  it('handles each page before it returns (its slices are valid only until the next write)', async () => {
    const source = new FakeSource(200);
    // Like the ring: slices of one scratch buffer, written over at the next read.
    const scratch = Buffer.alloc(1 << 16);
    source.split = (bytes) => {
      scratch.fill('#');
      bytes.copy(scratch);
      return [scratch.subarray(0, bytes.length)];
    };
    const { reader, got } = collect(source, { pageBytes: 512 });
    await reader.catchUp();
    scratch.fill('#');
    expect(got).to.deep.equal(seqs(1, 200));
  });

  it('shares a catch-up already running: one pass, extended to what was there when the last caller asked', async () => {
    const clock = { now: 0 };
    const source = new FakeSource(500);
    // Traffic: every page read, 3 more records are written.
    source.onRead = () => {
      clock.now += 0.4;
      source.add(3);
    };
    const { reader, got } = collect(source, { turnBudgetMs: 1, now: () => clock.now });
    const first = reader.catchUp();
    // The first turn ran (three pages); more records came meanwhile.
    expect(source.lastSeq).to.equal(509);
    expect(reader.cursor).to.be.below(500);
    const asked = source.lastSeq;
    const second = reader.catchUp();
    expect(second).to.equal(first);
    await Promise.all([first, second]);
    expect(reader.cursor).to.be.at.least(asked);
    // It ends however fast records come: not at the newest.
    expect(reader.cursor).to.be.below(source.lastSeq);
    // Each record handed over once, in order.
    expect(got).to.deep.equal(seqs(1, reader.cursor));
    // A new call after the pass starts a new one.
    const third = reader.catchUp();
    expect(third).to.not.equal(first);
    await third;
  });

  it('reports records that left memory after its cursor, and skips to the newest when none is kept', () => {
    const source = new FakeSource(100);
    let truncations = 0;
    const { reader, got } = collect(source, {
      pageBytes: 1 << 20,
      onTruncated: () => {
        truncations++;
      },
    });
    reader.catchUpSync();
    expect(truncations).to.equal(0);
    // Records 101..150 written, 101..120 evicted before they were read.
    source.add(50);
    source.evictedThrough = 120;
    reader.catchUpSync();
    expect(truncations).to.equal(1);
    expect(got).to.deep.equal([...seqs(1, 100), ...seqs(121, 150)]);
    expect(reader.cursor).to.equal(150);
    // Eviction of records already read is no loss.
    source.add(10);
    source.evictedThrough = 140;
    reader.catchUpSync();
    expect(truncations).to.equal(1);
    // Every record after the cursor left memory: the cursor moves to the newest, nothing read.
    source.add(40);
    source.evictedThrough = 200;
    const before = got.length;
    reader.catchUpSync();
    expect(truncations).to.equal(2);
    expect(got.length).to.equal(before);
    expect(reader.cursor).to.equal(200);
  });

  it('reads a real memory ring: every kept record once, in order, evictions before it reported', () => {
    const sink = new MemorySink({ maxBytes: 16 * 1024 });
    let last = 0;
    const write = (n: number): void => {
      for (let i = 0; i < n; i++) {
        last++;
        const r: TranscriptRecord = {
          seq: last,
          ts: '2026-01-01T12:00:00.000Z',
          kind: 'session-open',
          session: `c${last}`,
          remote: `10.0.0.1:${'9'.repeat(last % 30)}`,
        };
        sink.write(r);
      }
    };
    const source: PagedSource = {
      get lastSeq(): number {
        return last;
      },
      truncatedSince: (since) => sink.evictedThroughSeq > (since ?? 0),
      transcriptBytes: (since, maxBytes) => sink.bytesAfter(since, maxBytes),
    };
    let truncations = 0;
    const seen: number[] = [];
    const reader = new PagedTranscriptReader(
      source,
      (l) => seen.push((JSON.parse(l) as TranscriptRecord).seq),
      {
        pageBytes: 2048,
        onTruncated: () => {
          truncations++;
        },
      },
    );
    write(100);
    reader.catchUpSync();
    expect(truncations).to.equal(0);
    expect(seen).to.deep.equal(Array.from({ length: 100 }, (_, i) => i + 1));
    // Far more than the budget: the oldest unread ones leave memory before they are read.
    write(2000);
    reader.catchUpSync();
    expect(truncations).to.be.greaterThan(0);
    const kept = sink.records.map((r) => r.seq);
    expect(kept[0]).to.be.greaterThan(101);
    expect(seen.slice(100)).to.deep.equal(kept);
    expect(reader.cursor).to.equal(2100);
  });

  it('rejects a page size that is not positive', () => {
    expect(() => collect(new FakeSource(1), { pageBytes: 0 })).to.throw(
      RangeError,
      'pageBytes must be positive, got 0',
    );
  });
});
