/** The in-memory transcript ring: byte budget, eviction oldest first, truncated views, epochs. */
import { expect } from 'chai';
import { createMockSmsc } from '../../../src/mock-smsc.js';
import { MemorySink } from '../../../src/transcript/memory-ring.js';
import type { TranscriptRecord } from '../../../src/transcript/record.js';

function rec(seq: number, text = ''): TranscriptRecord {
  return {
    seq,
    ts: '2026-01-01T12:00:00.000Z',
    kind: 'session-open',
    session: `c${seq}`,
    remote: `10.0.0.1:${text}`,
  };
}
const lineBytes = (r: TranscriptRecord): number => Buffer.byteLength(JSON.stringify(r)) + 1;

describe('MemorySink ring', () => {
  it('linesAfter gives the raw lines of up to limit records after a seq, across chunks', () => {
    const sink = new MemorySink({ maxBytes: 16 * 1024 }); // 2 KiB chunks, some evicted
    for (let i = 1; i <= 400; i++) sink.write(rec(i, 'y'.repeat(i % 7)));
    const kept = sink.records;
    const first = kept[0]?.seq ?? 0;
    expect(first).to.be.greaterThan(1);
    for (const after of [0, first - 1, first, first + 3, 250, 399, 400]) {
      for (const limit of [1, 2, 17, 1000]) {
        const page = sink.linesAfter(after, limit);
        const text = Buffer.concat(page.chunks).toString('utf8');
        const lines = text === '' ? [] : text.trimEnd().split('\n');
        const expected = kept.filter((r) => r.seq > after);
        expect(lines.map((l) => JSON.parse(l) as TranscriptRecord)).to.deep.equal(
          expected.slice(0, limit),
        );
        expect(page.count).to.equal(Math.min(limit, expected.length));
        expect(page.more).to.equal(expected.length > limit);
        expect(page.lastSeq).to.equal(expected[Math.min(limit, expected.length) - 1]?.seq ?? after);
      }
    }
  });

  it('keeps the exact bytes written and gives back equal records, oldest first', () => {
    const sink = new MemorySink();
    const records = [rec(1, 'é😀"\\'), rec(2), rec(3)];
    for (const r of records) sink.writeBytes(Buffer.from(JSON.stringify(r)), r.seq);
    expect(sink.records).to.deep.equal(records);
    expect(sink.bytes).to.equal(records.reduce((n, r) => n + lineBytes(r), 0));
    expect(sink.truncated).to.equal(false);
  });

  it('stays within its byte budget, evicting the oldest records first in whole chunks', () => {
    const maxBytes = 64 * 1024;
    const sink = new MemorySink({ maxBytes });
    const per = lineBytes(rec(100_000, 'x'.repeat(100)));
    const n = 5000; // ~ 8× the budget
    for (let i = 1; i <= n; i++) {
      sink.write(rec(i, 'x'.repeat(100)));
      expect(sink.bytes).to.be.at.most(maxBytes + 8 * 1024 + per);
    }
    const kept = sink.records;
    const seqs = kept.map((r) => r.seq);
    // The newest records are all there, contiguous up to the last one.
    expect(seqs.at(-1)).to.equal(n);
    expect(seqs).to.deep.equal(seqs.map((_, i) => n - seqs.length + 1 + i));
    // Most of the budget is in use (eviction is by chunk of at most 1/8 of it).
    expect(kept.length * per).to.be.above((maxBytes * 3) / 4);
    expect(sink.truncated).to.equal(true);
    expect(sink.evicted).to.equal(n - kept.length);
    expect(sink.evictedThroughSeq).to.equal((seqs[0] ?? 0) - 1);
  });

  it('marks a view truncated only when records it would hold were evicted (epoch views)', () => {
    const sink = new MemorySink({ maxBytes: 8 * 1024 });
    for (let i = 1; i <= 400; i++) sink.write(rec(i, 'y'.repeat(40)));
    const through = sink.evictedThroughSeq;
    expect(through).to.be.above(0);
    // A view that starts before the eviction point lost records; one after it did not.
    expect(sink.transcript(through - 1).truncated).to.equal(true);
    expect(sink.transcript(through).truncated).to.equal(false);
    const epoch = sink.transcript(350);
    expect(epoch.truncated).to.equal(false);
    expect(epoch.records.map((r) => r.seq)).to.deep.equal(
      Array.from({ length: 50 }, (_, i) => 351 + i),
    );
    expect(sink.recordsAfter(390).map((r) => r.seq)).to.deep.equal([
      391, 392, 393, 394, 395, 396, 397, 398, 399, 400,
    ]);
  });

  it('answers repeated queries from its parse cache, also across an eviction', () => {
    const sink = new MemorySink({ maxBytes: 4 * 1024 });
    for (let i = 1; i <= 30; i++) sink.write(rec(i));
    const first = sink.records.map((r) => r.seq);
    for (let i = 31; i <= 300; i++) sink.write(rec(i));
    const later = sink.records.map((r) => r.seq);
    expect(later.at(-1)).to.equal(300);
    expect(later[0]).to.be.above(first[0] ?? 0);
    expect(later).to.deep.equal(later.map((_, i) => (later[0] ?? 0) + i));
    // A copy each time: a query's array does not change under later writes.
    const snapshot = sink.records;
    sink.write(rec(301));
    expect(snapshot.at(-1)?.seq).to.equal(300);
    expect(sink.records.at(-1)?.seq).to.equal(301);
  });

  it('parses a record for subscribers only while someone subscribes, and wakes waitFor', async () => {
    const sink = new MemorySink();
    const seen: number[] = [];
    const off = sink.subscribe((r) => seen.push(r.seq));
    sink.write(rec(1));
    off();
    sink.write(rec(2));
    expect(seen).to.deep.equal([1]);
    const p = sink.waitFor({ session: 'c3' }, { timeoutMs: 1000 });
    sink.writeBytes(Buffer.from(JSON.stringify(rec(3))), 3);
    expect((await p).seq).to.equal(3);
  });

  it('keeps a line longer than a chunk whole', () => {
    const sink = new MemorySink({ maxBytes: 1024 * 1024 });
    const big = rec(1, 'z'.repeat(300 * 1024));
    sink.write(big);
    sink.write(rec(2));
    expect(sink.records).to.deep.equal([big, rec(2)]);
  });

  it('refuses a budget that is not positive', () => {
    expect(() => new MemorySink({ maxBytes: 0 })).to.throw(RangeError, /maxBytes/);
  });
});

describe('MockSmsc memory transcript budget', () => {
  it('memoryTranscriptBytes bounds the kept records; the epoch view and transcriptAll say what they lost', async () => {
    const mock = await createMockSmsc({ port: 0, memoryTranscriptBytes: 16 * 1024 });
    try {
      for (let i = 0; i < 300; i++) mock.reset();
      const all = mock.transcriptAll;
      expect(all.truncated).to.equal(true);
      expect(all.records.length).to.be.below(300);
      expect(all.records.at(-1)).to.include({ kind: 'reset', epoch: 300 });
      expect(mock.truncatedSince(0)).to.equal(true);
      expect(mock.truncatedSince(mock.lastSeq)).to.equal(false);
      // The current epoch starts at the last reset: nothing of it was evicted.
      expect(mock.transcript.truncated).to.equal(false);
      expect(mock.transcript.records).to.deep.equal([]);
      expect(mock.truncatedSince(0, { epoch: true })).to.equal(false);
      expect(mock.epochRecordsSince(0)).to.deep.equal([]);
      // Across epochs, a cursor from before the eviction point lost records; the parse skips them.
      const kept = mock.recordsSince(0);
      expect(mock.recordsSince(kept[10]?.seq ?? 0)).to.deep.equal(kept.slice(11));
    } finally {
      await mock.stop();
    }
  });
});
