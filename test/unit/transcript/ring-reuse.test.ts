/**
 * The memory ring reuses the buffers of evicted chunks nobody holds a view of (a busy mock
 * allocates nothing new for its transcript), and never writes over bytes it handed out.
 */
import { expect } from 'chai';
import { JsonBytes } from '../../../src/transcript/json-bytes.js';
import { MemorySink } from '../../../src/transcript/memory-ring.js';
import type { TranscriptRecord } from '../../../src/transcript/record.js';

function rec(seq: number, pad: number): TranscriptRecord {
  return {
    seq,
    ts: '2026-01-01T12:00:00.000Z',
    kind: 'session-open',
    session: 'c1',
    remote: `10.0.0.1:${'9'.repeat(pad)}`,
  };
}

/** The ArrayBuffers behind the kept chunks (read through views, which lends them). */
function buffersOf(sink: MemorySink): Set<ArrayBufferLike> {
  return new Set(sink.linesAfter(0, 1_000_000).chunks.map((c) => c.buffer));
}

describe('MemorySink chunk reuse', () => {
  it('writes without reads cycle through a bounded set of buffers, keeping every line intact', () => {
    const sink = new MemorySink({ maxBytes: 64 * 1024 }); // 8 KiB chunks
    const w = new JsonBytes();
    const seen = new Set<ArrayBufferLike>();
    for (let seq = 1; seq <= 20_000; seq++) {
      // As the recorder writes: in place, into the ring's open chunk.
      w.begin();
      sink.target(w);
      if (w.lineStart > 0 || w.buffer.length > 4096) seen.add(w.buffer.buffer);
      w.json(JSON.stringify(rec(seq, seq % 50)));
      sink.writeSlice(w.buffer, w.lineStart, w.lineEnd, seq);
    }
    // ~2.5 MB of lines went through a 64 KiB budget: 300+ chunks, but only a few buffers.
    expect(seen.size).to.be.at.most(16);
    const kept = sink.records;
    expect(kept.at(-1)?.seq).to.equal(20_000);
    expect(kept.length).to.be.greaterThan(300);
    for (const r of kept) expect(r).to.deep.equal(rec(r.seq, r.seq % 50));
  });

  it('never reuses a buffer it handed out views of: earlier linesAfter slices stay as read', () => {
    const sink = new MemorySink({ maxBytes: 32 * 1024 });
    for (let seq = 1; seq <= 300; seq++) sink.write(rec(seq, 30));
    const page = sink.linesAfter(0, 1_000_000);
    const before = page.chunks.map((c) => Buffer.from(c));
    for (let seq = 301; seq <= 20_000; seq++) sink.write(rec(seq, 30));
    expect(page.chunks.map((c) => Buffer.from(c))).to.deep.equal(before);
    const oldBuffers = new Set(page.chunks.map((c) => c.buffer));
    for (const b of buffersOf(sink)) expect(oldBuffers.has(b)).to.equal(false);
  });

  it('with a record limit, a view of the open chunk survives its early seal', () => {
    const sink = new MemorySink({ limit: 16 });
    for (let seq = 1; seq <= 5; seq++) sink.write(rec(seq, 10));
    const page = sink.linesAfter(0, 100);
    const text = Buffer.concat(page.chunks).toString('utf8');
    for (let seq = 6; seq <= 500; seq++) sink.write(rec(seq, 10));
    expect(Buffer.concat(page.chunks).toString('utf8')).to.equal(text);
    expect(text.trimEnd().split('\n')).to.have.length(5);
  });
});
