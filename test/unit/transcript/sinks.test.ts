import { expect } from 'chai';
import fs, { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TranscriptError } from '../../../src/transcript/errors.js';
import {
  FILE_SINK_BATCH_MS,
  FileSink,
  MemorySink,
  TeeSink,
} from '../../../src/transcript/sinks.js';
import type { TranscriptRecord } from '../../../src/transcript/record.js';

function rec(seq: number): TranscriptRecord {
  return {
    seq,
    ts: '2026-01-01T12:00:00.000Z',
    kind: 'session-open',
    session: `c${seq}`,
    remote: '1.2.3.4:5',
  };
}

/** Replaces fs.writeSync (which FileSink calls) with a counting wrapper until `restore()`. */
/** Counts the sink's writes to the file (`writeSync` or `writevSync`: one call each). */
function spyOnFsWrite(): { calls: number[]; first: Promise<number>; restore(): void } {
  const real = fs.writeSync;
  const realv = fs.writevSync;
  const calls: number[] = [];
  let resolveFirst: (at: number) => void = () => undefined;
  const first = new Promise<number>((resolve) => {
    resolveFirst = resolve;
  });
  const seen = (): void => {
    calls.push(performance.now());
    resolveFirst(performance.now());
  };
  fs.writeSync = ((...args: Parameters<typeof fs.writeSync>) => {
    seen();
    return (real as (...a: unknown[]) => number).apply(fs, args);
  }) as typeof fs.writeSync;
  fs.writevSync = (...args: Parameters<typeof fs.writevSync>) => {
    seen();
    return realv(...args);
  };
  return {
    calls,
    first,
    restore: () => {
      fs.writeSync = real;
      fs.writevSync = realv;
    },
  };
}

function closeRecord(seq: number, reason: string): TranscriptRecord {
  return {
    seq,
    ts: '2026-01-01T12:00:00.000Z',
    kind: 'session-close',
    session: 'c1',
    code: 0,
    reason,
  };
}

const lineOf = (seq: number): string =>
  `{"seq":${seq},"ts":"2026-01-01T12:00:00.000Z","kind":"session-open","session":"c${seq}","remote":"1.2.3.4:5"}`;

describe('FileSink', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-sink-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a path in a missing directory with ERR_TRANSCRIPT_OPEN naming the path and the reason', async () => {
    const path = join(dir, 'missing', 't.jsonl');
    try {
      await FileSink.open(path);
      expect.fail('open succeeded');
    } catch (error) {
      expect(error).to.be.instanceOf(TranscriptError);
      const e = error as TranscriptError;
      expect(e.code).to.equal('ERR_TRANSCRIPT_OPEN');
      expect(e.path).to.equal(path);
      expect(e.message).to.include(path).and.include('ENOENT');
    }
  });

  it('refuses a directory with EISDIR', async () => {
    try {
      await FileSink.open(dir);
      expect.fail('open succeeded');
    } catch (error) {
      expect((error as TranscriptError).code).to.equal('ERR_TRANSCRIPT_OPEN');
      expect((error as Error).message).to.include('EISDIR');
    }
  });

  it('writes one JSON line per record, in order, once flushed', async () => {
    const path = join(dir, 't.jsonl');
    const sink = await FileSink.open(path);
    for (let i = 1; i <= 500; i++) sink.write(rec(i));
    await sink.flush();
    const expected = Array.from({ length: 500 }, (_, i) => lineOf(i + 1)).join('\n') + '\n';
    expect(readFileSync(path, 'utf8')).to.equal(expected);
    for (let i = 501; i <= 502; i++) sink.write(rec(i));
    await sink.close();
    expect(readFileSync(path, 'utf8')).to.equal(`${expected}${lineOf(501)}\n${lineOf(502)}\n`);
  });

  it('appends to an existing file', async () => {
    const path = join(dir, 't.jsonl');
    writeFileSync(path, 'old line\n');
    const sink = await FileSink.open(path);
    sink.write(rec(1));
    await sink.close();
    expect(readFileSync(path, 'utf8')).to.equal(`old line\n${lineOf(1)}\n`);
  });

  it('puts every waiting line into the file before flushSync returns', async () => {
    const path = join(dir, 't.jsonl');
    const sink = await FileSink.open(path);
    sink.write(rec(1));
    sink.write(rec(2));
    await new Promise<void>((r) => setImmediate(r));
    sink.write(rec(3));
    sink.flushSync();
    expect(readFileSync(path, 'utf8')).to.equal(`${lineOf(1)}\n${lineOf(2)}\n${lineOf(3)}\n`);
    sink.write(rec(4));
    await sink.close();
    expect(readFileSync(path, 'utf8')).to.equal(
      `${lineOf(1)}\n${lineOf(2)}\n${lineOf(3)}\n${lineOf(4)}\n`,
    );
  });

  it(`holds lines for ${FILE_SINK_BATCH_MS} ms, then writes them in one write without being asked`, async () => {
    const path = join(dir, 't.jsonl');
    const sink = await FileSink.open(path);
    const spy = spyOnFsWrite();
    try {
      const t0 = performance.now();
      for (let i = 1; i <= 100; i++) sink.write(rec(i));
      await new Promise<void>((r) => setImmediate(r));
      expect(spy.calls, 'written after one event-loop turn').to.have.length(0);
      const at = await spy.first;
      expect(at - t0).to.be.at.least(FILE_SINK_BATCH_MS - 1);
      await sink.close();
      expect(spy.calls).to.have.length(1);
    } finally {
      spy.restore();
    }
    const expected = Array.from({ length: 100 }, (_, i) => `${lineOf(i + 1)}\n`).join('');
    expect(readFileSync(path, 'utf8')).to.equal(expected);
  });

  it('starts writing at once when 64 KiB are waiting', async () => {
    const path = join(dir, 't.jsonl');
    const sink = await FileSink.open(path);
    const spy = spyOnFsWrite();
    const reason = 'x'.repeat(1000); // lines of ~1.1 KB: the 61st crosses 64 KiB
    try {
      for (let i = 1; i <= 55; i++) sink.write(closeRecord(i, reason));
      expect(spy.calls).to.have.length(0);
      for (let i = 56; i <= 80; i++) sink.write(closeRecord(i, reason));
      expect(spy.calls).to.have.length(1);
      await sink.close();
    } finally {
      spy.restore();
    }
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines).to.have.length(81);
    expect(lines.slice(0, 80).map((l) => (JSON.parse(l) as TranscriptRecord).seq)).to.deep.equal(
      Array.from({ length: 80 }, (_, i) => i + 1),
    );
  });

  it('keeps multi-byte UTF-8 and lines longer than a buffer chunk whole', async () => {
    const path = join(dir, 't.jsonl');
    const sink = await FileSink.open(path);
    const reasons = ['€ ä ß 𝄞 \u0000 "q"', 'é'.repeat(70_000), 'ok', '𝄞'.repeat(30_000), '\u2028'];
    reasons.forEach((r, i) => {
      sink.write(closeRecord(i + 1, r));
    });
    await sink.close();
    const expected = reasons.map((r, i) => `${JSON.stringify(closeRecord(i + 1, r))}\n`).join('');
    expect(readFileSync(path, 'utf8')).to.equal(expected);
  });

  it('puts lines written after a flush into the file in flushSync, without duplicates', async () => {
    const path = join(dir, 't.jsonl');
    const sink = await FileSink.open(path);
    sink.write(rec(1));
    sink.write(rec(2));
    const flushed = sink.flush(); // lines 1-2 are written
    sink.write(rec(3));
    sink.flushSync();
    expect(readFileSync(path, 'utf8')).to.equal(`${lineOf(1)}\n${lineOf(2)}\n${lineOf(3)}\n`);
    await flushed;
    sink.write(rec(4));
    await sink.close();
    expect(readFileSync(path, 'utf8')).to.equal(
      `${lineOf(1)}\n${lineOf(2)}\n${lineOf(3)}\n${lineOf(4)}\n`,
    );
  });

  it('ignores writes after close', async () => {
    const path = join(dir, 't.jsonl');
    const sink = await FileSink.open(path);
    sink.write(rec(1));
    await sink.close();
    sink.write(rec(2));
    sink.flushSync();
    await sink.flush();
    expect(readFileSync(path, 'utf8')).to.equal(`${lineOf(1)}\n`);
  });

  it('keeps a write error and emits it without throwing', async () => {
    const sink = await FileSink.open('/dev/full');
    const seen: TranscriptError[] = [];
    sink.on('error', (e) => seen.push(e));
    sink.write(rec(1));
    await sink.flush();
    expect(sink.failed).to.equal(true);
    expect(seen).to.have.length(1);
    expect(seen[0]!.code).to.equal('ERR_TRANSCRIPT_WRITE');
    expect(seen[0]!.message).to.include('/dev/full');
    expect(sink.errors).to.deep.equal(seen);
    sink.write(rec(2));
    await sink.close();
    expect(sink.errors).to.have.length(1);
  });

  it('does not crash on a write error nobody listens to', async () => {
    const sink = await FileSink.open('/dev/full');
    sink.write(rec(1));
    sink.flushSync();
    expect(sink.errors[0]!.code).to.equal('ERR_TRANSCRIPT_WRITE');
    await sink.close();
  });
});

describe('MemorySink', () => {
  it('keeps records in order and tells subscribers', () => {
    const sink = new MemorySink();
    const seen: number[] = [];
    const off = sink.subscribe((r) => seen.push(r.seq));
    sink.write(rec(1));
    off();
    sink.write(rec(2));
    expect(sink.records.map((r) => r.seq)).to.deep.equal([1, 2]);
    expect(seen).to.deep.equal([1]);
    expect(sink.transcript().records.map((r) => r.seq)).to.deep.equal([1, 2]);
  });

  it('keeps at least the newest `limit` records and drops older ones in batches', () => {
    const sink = new MemorySink({ limit: 8 });
    for (let i = 1; i <= 9; i++) sink.write(rec(i));
    expect(sink.records).to.have.length(9);
    sink.write(rec(10));
    expect(sink.records.map((r) => r.seq)).to.deep.equal([3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('waitFor resolves with a record already kept', async () => {
    const sink = new MemorySink();
    sink.write(rec(1));
    sink.write(rec(2));
    expect((await sink.waitFor({ session: 'c2' })).seq).to.equal(2);
  });

  it('waitFor resolves with a record written later, after `afterSeq`', async () => {
    const sink = new MemorySink();
    sink.write(rec(1));
    const p = sink.waitFor((r) => r.kind === 'session-open', { afterSeq: 1 });
    sink.write(rec(2));
    expect((await p).seq).to.equal(2);
  });

  it('waitFor rejects after the timeout', async () => {
    const sink = new MemorySink();
    try {
      await sink.waitFor({ kind: 'frame' }, { timeoutMs: 10 });
      expect.fail('resolved');
    } catch (error) {
      expect((error as Error).message).to.include('no matching transcript record within 10 ms');
    }
  });

  it('waitFor rejects when aborted', async () => {
    const sink = new MemorySink();
    const ac = new AbortController();
    const p = sink.waitFor({ kind: 'frame' }, { signal: ac.signal });
    ac.abort(new Error('stop'));
    try {
      await p;
      expect.fail('resolved');
    } catch (error) {
      expect((error as Error).message).to.equal('stop');
    }
  });
});

describe('TeeSink', () => {
  it('writes each record to every sink', async () => {
    const a = new MemorySink();
    const b = new MemorySink();
    const tee = new TeeSink([a, b]);
    tee.write(rec(1));
    tee.flushSync();
    await tee.flush();
    await tee.close();
    expect(a.records).to.have.length(1);
    expect(b.records).to.have.length(1);
  });
});
