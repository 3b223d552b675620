/**
 * MemorySink.bytesAfter (what GET /events?batch=true forwards): whole lines after a seq, about a
 * byte budget at a time, the same lines as a line by line read, across seals, evictions, the
 * record limit, followers at different places and seqs out of order.
 */
import { expect } from 'chai';
import { JsonBytes } from '../../../src/transcript/json-bytes.js';
import { MemorySink } from '../../../src/transcript/memory-ring.js';

function line(seq: number): string {
  return JSON.stringify({
    seq,
    ts: '2026-01-01T00:00:00.000Z',
    kind: 'frame',
    pad: 'x'.repeat((seq * 7) % 53),
  });
}

function seqsOf(chunks: readonly Buffer[]): number[] {
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { seq: number }).seq);
}

/** Reads everything after `after` in reads of about `max` bytes; checks each read's bounds. */
function follow(sink: MemorySink, after: number, max: number): { seqs: number[]; reads: number } {
  const seqs: number[] = [];
  let reads = 0;
  for (;;) {
    const r = sink.bytesAfter(after, max);
    reads++;
    const got = seqsOf(r.chunks);
    expect(r.bytes).to.equal(r.chunks.reduce((n, c) => n + c.length, 0));
    for (const c of r.chunks) expect(c[c.length - 1], 'whole lines').to.equal(0x0a);
    // Over the budget only when one line alone is.
    if (got.length > 1) expect(r.bytes).to.be.at.most(max);
    expect(r.lastSeq).to.equal(got.at(-1) ?? after);
    seqs.push(...got);
    after = r.lastSeq;
    if (!r.more) return { seqs, reads };
    expect(got.length, 'a read that says more gives something').to.be.greaterThan(0);
  }
}

describe('MemorySink.bytesAfter', () => {
  it('gives the same lines as a line by line read, within the budget, across seals and evictions', () => {
    for (const options of [{ maxBytes: 4096 }, { maxBytes: 1 << 20, limit: 50 }, {}]) {
      const sink = new MemorySink(options);
      let a = 0;
      let b = 0;
      const gotA: number[] = [];
      for (let seq = 1; seq <= 900; seq++) {
        sink.writeBytes(Buffer.from(line(seq)), seq);
        if (seq % 11 !== 0) continue;
        // Two followers: one reading in small reads, one far behind in big ones.
        const kept = seqsOf(sink.linesAfter(0, 1_000_000).chunks);
        const ra = follow(sink, a, 300);
        expect(ra.seqs, `${JSON.stringify(options)} at ${seq}`).to.deep.equal(
          kept.filter((x) => x > a),
        );
        gotA.push(...ra.seqs);
        a = gotA.at(-1) ?? a;
        if (seq % 99 === 0) {
          const rb = follow(sink, b, 8192);
          expect(rb.seqs).to.deep.equal(kept.filter((x) => x > b));
          b = rb.seqs.at(-1) ?? b;
        }
      }
      expect(sink.bytesAfter(900, 1000)).to.deep.include({ bytes: 0, lastSeq: 900, more: false });
    }
  });

  it('gives a line longer than the budget whole, one at a time', () => {
    const sink = new MemorySink();
    for (let seq = 1; seq <= 3; seq++) sink.writeBytes(Buffer.from(line(seq)), seq);
    const r = sink.bytesAfter(0, 10);
    expect(seqsOf(r.chunks)).to.deep.equal([1]);
    expect(r.more).to.equal(true);
    expect(follow(sink, 0, 10)).to.deep.equal({ seqs: [1, 2, 3], reads: 3 });
  });

  it('reads every line when seqs came out of order', () => {
    const sink = new MemorySink();
    for (const seq of [1, 2, 5, 3, 4, 6]) sink.writeBytes(Buffer.from(line(seq)), seq);
    const r = sink.bytesAfter(2, 1 << 20);
    expect(seqsOf(r.chunks)).to.deep.equal(seqsOf(sink.linesAfter(2, 1000).chunks));
    expect(r.more).to.equal(false);
  });

  it('lends nothing: a follower copying every read does not stop the ring from reusing its buffers', () => {
    const sink = new MemorySink({ maxBytes: 64 * 1024 }); // 8 KiB chunks
    const w = new JsonBytes();
    const seen = new Set<ArrayBufferLike>();
    const followed: number[] = [];
    let after = 0;
    for (let seq = 1; seq <= 20_000; seq++) {
      w.begin();
      sink.target(w);
      if (w.lineStart > 0 || w.buffer.length > 4096) seen.add(w.buffer.buffer);
      w.json(line(seq));
      sink.writeSlice(w.buffer, w.lineStart, w.lineEnd, seq);
      if (seq % 10 !== 0) continue;
      // What the event hub does: read, copy at once.
      for (let more = true; more;) {
        const r = sink.bytesAfter(after, 2048);
        followed.push(...seqsOf([Buffer.concat(r.chunks)]));
        after = r.lastSeq;
        more = r.more;
      }
    }
    expect(followed).to.deep.equal(Array.from({ length: 20_000 }, (_, i) => i + 1));
    expect(seen.size).to.be.at.most(16);
  });
});
