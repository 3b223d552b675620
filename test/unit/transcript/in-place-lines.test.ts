/**
 * Lines written in place: the recorder writes each line straight into the memory ring's open
 * chunk (`target`), and the ring keeps it without a copy. Records written from inside a sink's
 * callback in between, lines that outgrow the chunk, and a tee with a file must all keep every
 * line intact and in the file in seq order.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { JsonBytes } from '../../../src/transcript/json-bytes.js';
import { MemorySink } from '../../../src/transcript/memory-ring.js';
import type { TranscriptRecord } from '../../../src/transcript/record.js';
import { TranscriptRecorder } from '../../../src/transcript/recorder.js';
import { FileSink, TeeSink } from '../../../src/transcript/sinks.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';

/** Writes `text` as a line through `target` + `writeSlice`, as the recorder does. */
function writeInPlace(sink: MemorySink, w: JsonBytes, text: string, seq: number): void {
  w.begin();
  sink.target(w);
  w.ascii(text);
  sink.writeSlice(w.buffer, w.lineStart, w.lineEnd, seq);
}

const line = (seq: number, pad = ''): string => `{"seq":${seq},"kind":"x","pad":"${pad}"}`;

describe('lines written in place', () => {
  it('keeps a targeted line without copying it: the ring holds the very bytes written', () => {
    const sink = new MemorySink();
    const w = new JsonBytes();
    w.begin();
    sink.target(w);
    const buf = w.buffer;
    const at = w.lineStart;
    w.ascii(line(1));
    sink.writeSlice(w.buffer, w.lineStart, w.lineEnd, 1);
    // The writer wrote into the ring's own buffer, at the end of what it kept.
    expect(w.buffer).to.equal(buf);
    const kept = sink.linesAfter(0, 10).chunks[0];
    expect(kept?.buffer).to.equal(buf.buffer);
    expect(kept?.byteOffset).to.equal(buf.byteOffset + at);
    expect(sink.records.map((r) => r.seq)).to.deep.equal([1]);
  });

  it('keeps every line intact when lines outgrow small chunks', () => {
    const sink = new MemorySink({ maxBytes: 4096 }); // 512-byte chunks
    const w = new JsonBytes(64);
    const texts: string[] = [];
    for (let seq = 1; seq <= 60; seq++) {
      const text = line(seq, 'p'.repeat((seq * 37) % 700));
      texts.push(text);
      writeInPlace(sink, w, text, seq);
    }
    const all = Buffer.concat(sink.linesAfter(0, 1000).chunks).toString('utf8').trimEnd();
    const kept = all.split('\n');
    expect(kept).to.deep.equal(texts.slice(texts.length - kept.length));
    expect(kept.length).to.be.greaterThan(3);
  });

  it('keeps both lines when another line arrives between target and the targeted line', () => {
    const sink = new MemorySink();
    const w = new JsonBytes();
    writeInPlace(sink, w, line(1), 1);
    w.begin();
    sink.target(w);
    w.ascii(line(2, 'outer'));
    // A record written from inside a callback, before line 2 is handed over.
    const nested = Buffer.from(line(3, 'nested-and-longer-than-the-outer-line'));
    sink.writeSlice(nested, 0, nested.length, 3);
    sink.writeSlice(w.buffer, w.lineStart, w.lineEnd, 2);
    const texts = sink.records.map((r) => JSON.stringify(r));
    expect(texts).to.have.members([
      line(1),
      line(2, 'outer'),
      line(3, 'nested-and-longer-than-the-outer-line'),
    ]);
    expect(
      sink
        .recordsAfter(1)
        .map((r) => r.seq)
        .sort(),
    ).to.deep.equal([2, 3]);
  });

  it('a record limit that reuses the chunk buffer still keeps targeted lines intact', () => {
    const sink = new MemorySink({ limit: 8 });
    const w = new JsonBytes();
    for (let seq = 1; seq <= 100; seq++) writeInPlace(sink, w, line(seq, String(seq)), seq);
    const kept = sink.records;
    expect(kept.length).to.be.within(8, 9);
    for (const r of kept) expect(JSON.stringify(r)).to.equal(line(r.seq, String(r.seq)));
  });

  it('the recorder writes into a tee of file and memory: same bytes in both, file in seq order', async () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'cimd2-inplace-'));
    try {
      const path = join(dir, 't.jsonl');
      const memory = new MemorySink({ maxBytes: 8192 });
      const file = await FileSink.open(path, { mode: 'replace' });
      const tee = new TeeSink([memory, file]);
      const recorder = new TranscriptRecorder(tee, {
        clock: new ManualClock(Date.UTC(2026, 0, 1)),
      });
      // A subscriber that records from inside the memory sink's callback, now and then.
      memory.subscribe((r: TranscriptRecord) => {
        if (r.kind === 'session-open' && r.seq % 3 === 0)
          recorder.record('session-close', { code: 0, reason: `after ${r.seq}` }, r.session);
      });
      for (let i = 0; i < 400; i++)
        recorder.record(
          'session-open',
          { remote: `10.0.0.${i % 250}:${'9'.repeat(i % 40)}` },
          `c${i}`,
        );
      await recorder.flush();
      const fileLines = readFileSync(path, 'utf8').trimEnd().split('\n');
      const fileRecords = fileLines.map((l) => JSON.parse(l) as TranscriptRecord);
      expect(fileRecords.map((r) => r.seq)).to.deep.equal(fileRecords.map((_, i) => i + 1));
      const memoryLines = Buffer.concat(memory.linesAfter(0, 10_000).chunks)
        .toString('utf8')
        .trimEnd()
        .split('\n');
      // What memory kept (the newest, within its budget) is byte for byte what the file has.
      const bySeq = new Map(fileLines.map((l, i) => [i + 1, l]));
      for (const l of memoryLines) {
        const seq = (JSON.parse(l) as TranscriptRecord).seq;
        expect(l).to.equal(bySeq.get(seq));
      }
      expect(memoryLines.length).to.be.greaterThan(20);
      await file.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
