import { expect } from 'chai';
import {
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSink, type ReopenReason } from '../../../src/transcript/sinks.js';
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

const lineOf = (seq: number): string => `${JSON.stringify(rec(seq))}\n`;
const lines = (...seqs: number[]): string => seqs.map(lineOf).join('');

describe('FileSink: an existing file, rotation and reopening', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-file-sink-'));
    path = join(dir, 't.jsonl');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('replace mode empties an existing file and tells how many bytes it had', async () => {
    writeFileSync(path, lines(1, 2, 3));
    const sink = await FileSink.open(path, { mode: 'replace' });
    expect(sink.previousBytes).to.equal(lines(1, 2, 3).length);
    expect(sink.lastSeq).to.equal(undefined);
    sink.write(rec(1));
    await sink.close();
    expect(readFileSync(path, 'utf8')).to.equal(lines(1));
  });

  it('reports no previous bytes for a new file', async () => {
    const sink = await FileSink.open(path, { mode: 'replace' });
    expect(sink.previousBytes).to.equal(0);
    await sink.close();
  });

  it('append mode keeps the file and finds the seq of its last record', async () => {
    writeFileSync(path, `${lines(1, 2)}{"seq":7,"kind":"server-stop"}\n\n`);
    const sink = await FileSink.open(path, { mode: 'append' });
    expect(sink.lastSeq).to.equal(7);
    sink.write(rec(8));
    await sink.close();
    expect(readFileSync(path, 'utf8')).to.equal(
      `${lines(1, 2)}{"seq":7,"kind":"server-stop"}\n\n${lineOf(8)}`,
    );
  });

  it('append mode after a cut-off last line: the seq of the last whole record, new records on a line of their own', async () => {
    writeFileSync(path, `${lines(1, 2)}{"seq":3,"ts":"2026`);
    const sink = await FileSink.open(path, { mode: 'append' });
    expect(sink.lastSeq).to.equal(2);
    sink.write(rec(3));
    await sink.close();
    expect(readFileSync(path, 'utf8')).to.equal(`${lines(1, 2)}{"seq":3,"ts":"2026\n${lineOf(3)}`);
  });

  it('append mode on a file with no record has no last seq', async () => {
    writeFileSync(path, 'not a transcript\n');
    const sink = await FileSink.open(path, { mode: 'append' });
    expect(sink.lastSeq).to.equal(undefined);
    await sink.close();
  });

  it('writes at the new end after a truncation under it (copytruncate), without NUL bytes', async () => {
    const sink = await FileSink.open(path);
    const seen: ReopenReason[] = [];
    sink.on('reopened', (r) => seen.push(r));
    for (let i = 1; i <= 50; i++) sink.write(rec(i));
    await sink.flush();
    const copy = readFileSync(path, 'utf8');
    truncateSync(path, 0);
    sink.write(rec(51));
    sink.write(rec(52));
    await sink.close();
    const after = readFileSync(path, 'utf8');
    expect(after).to.not.include('\u0000');
    expect(after).to.equal(lines(51, 52));
    expect(copy).to.equal(lines(...Array.from({ length: 50 }, (_, i) => i + 1)));
    expect(seen).to.deep.equal(['truncated']);
  });

  it('follows a rename with a new file created at the path (logrotate create)', async () => {
    const sink = await FileSink.open(path);
    const seen: ReopenReason[] = [];
    sink.on('reopened', (r) => seen.push(r));
    sink.write(rec(1));
    await sink.flush();
    renameSync(path, `${path}.1`);
    writeFileSync(path, '');
    sink.write(rec(2));
    await sink.close();
    expect(readFileSync(`${path}.1`, 'utf8')).to.equal(lines(1));
    expect(readFileSync(path, 'utf8')).to.equal(lines(2));
    expect(seen).to.deep.equal(['moved']);
  });

  it('creates the file again when it was renamed or removed', async () => {
    const sink = await FileSink.open(path);
    const seen: ReopenReason[] = [];
    sink.on('reopened', (r) => seen.push(r));
    sink.write(rec(1));
    await sink.flush();
    renameSync(path, `${path}.1`);
    sink.write(rec(2));
    await sink.flush();
    rmSync(path);
    sink.write(rec(3));
    await sink.close();
    expect(readFileSync(`${path}.1`, 'utf8')).to.equal(lines(1));
    expect(readFileSync(path, 'utf8')).to.equal(lines(3));
    expect(seen).to.deep.equal(['removed', 'removed']);
  });

  it('reopen() writes the waiting lines to the old file, then the next ones to the path', async () => {
    const sink = await FileSink.open(path);
    const seen: ReopenReason[] = [];
    sink.on('reopened', (r) => seen.push(r));
    sink.write(rec(1));
    await sink.flush();
    renameSync(path, `${path}.1`);
    sink.write(rec(2)); // waiting in the batch when the rotation is announced
    sink.reopen();
    sink.write(rec(3));
    await sink.close();
    expect(readFileSync(`${path}.1`, 'utf8')).to.equal(lines(1, 2));
    expect(readFileSync(path, 'utf8')).to.equal(lines(3));
    expect(seen).to.deep.equal(['requested']);
  });
});
