/**
 * The file sink reuses the buffers of chunks it has written (a busy mock allocates nothing new
 * for its file batches) and every byte still reaches the file in order.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSink } from '../../../src/transcript/sinks.js';

describe('FileSink chunk reuse', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-file-reuse-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes 4 MB through a handful of chunk buffers, byte for byte', async () => {
    const path = join(dir, 't.jsonl');
    const sink = await FileSink.open(path, { mode: 'replace' });
    const real = Buffer.allocUnsafe.bind(Buffer);
    let chunkAllocations = 0;
    Buffer.allocUnsafe = (size: number) => {
      if (size >= 64 * 1024) chunkAllocations++;
      return real(size);
    };
    const expected: string[] = [];
    try {
      for (let seq = 1; seq <= 20_000; seq++) {
        const line = `{"seq":${seq},"pad":"${String.fromCharCode(97 + (seq % 26)).repeat(seq % 300)}"}`;
        expected.push(line);
        sink.writeBytes(Buffer.from(line));
        if (seq % 997 === 0) sink.flushSync(); // batches of every size, not only full ones
      }
    } finally {
      Buffer.allocUnsafe = real;
    }
    await sink.close();
    expect(readFileSync(path, 'utf8')).to.equal(`${expected.join('\n')}\n`);
    // ~3.1 MB in 64 KiB chunks would be ~50 allocations without reuse.
    expect(chunkAllocations).to.be.at.most(10);
  });
});
