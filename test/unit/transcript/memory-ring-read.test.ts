/** MemorySink.linesAfter continuing where a read ended: same lines as a read from scratch. */
import { expect } from 'chai';
import { MemorySink } from '../../../src/transcript/memory-ring.js';

function line(seq: number): string {
  return JSON.stringify({
    seq,
    ts: '2026-01-01T00:00:00.000Z',
    kind: 'frame',
    pad: 'x'.repeat(seq % 37),
  });
}

function seqsOf(chunks: readonly Buffer[]): number[] {
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { seq: number }).seq);
}

describe('MemorySink.linesAfter read positions', () => {
  it('follows writes across chunk seals and evictions, page by page, like a fresh read', () => {
    const sink = new MemorySink({ maxBytes: 4096 });
    /** What a read from scratch gives: the kept seqs after `a`, at most `n`. */
    const fromScratch = (a: number, n: number): number[] =>
      seqsOf(sink.linesAfter(0, 1_000_000).chunks)
        .filter((x) => x > a)
        .slice(0, n);
    let after = 0;
    const got: number[] = [];
    for (let seq = 1; seq <= 600; seq++) {
      sink.writeBytes(Buffer.from(line(seq)), seq);
      if (seq % 7 !== 0) continue;
      // Two followers at different places, each checked against a read from scratch.
      const ref = fromScratch(after, 5);
      const page = sink.linesAfter(after, 5);
      const other = sink.linesAfter(Math.max(0, after - 3), 4);
      expect(seqsOf(other.chunks)).to.deep.equal(fromScratch(Math.max(0, after - 3), 4));
      expect(seqsOf(page.chunks)).to.deep.equal(ref);
      expect(page.count).to.equal(ref.length);
      expect(page.lastSeq).to.equal(ref.at(-1) ?? after);
      expect(page.more).to.equal(fromScratch(after, 6).length > 5);
      got.push(...seqsOf(page.chunks));
      after = page.lastSeq;
    }
    expect(sink.truncated).to.equal(true);
    // Nothing repeated, in order.
    for (let i = 1; i < got.length; i++) expect(got[i]).to.be.greaterThan(got[i - 1]!);
  });

  it('reads from scratch once seqs were written out of order', () => {
    const sink = new MemorySink();
    for (const seq of [1, 2, 3]) sink.writeBytes(Buffer.from(line(seq)), seq);
    expect(sink.linesAfter(0, 10).lastSeq).to.equal(3);
    for (const seq of [10, 5, 11]) sink.writeBytes(Buffer.from(line(seq)), seq);
    // A read after 3 continuing at the remembered offset would still see 10, 5, 11; after 10,
    // the 11 and (out of order) nothing before it that is greater.
    expect(seqsOf(sink.linesAfter(3, 10).chunks)).to.deep.equal([10, 5, 11]);
    expect(seqsOf(sink.linesAfter(10, 10).chunks)).to.deep.equal([11]);
    expect(seqsOf(sink.linesAfter(4, 10).chunks)).to.deep.equal([10, 5, 11]);
  });
});
