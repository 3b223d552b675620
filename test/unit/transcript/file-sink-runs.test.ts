import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMockSmsc, type MockSmscOptions } from '../../../src/mock-smsc.js';
import { TranscriptError } from '../../../src/transcript/errors.js';
import type { TranscriptRecord } from '../../../src/transcript/record.js';

function records(path: string): TranscriptRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as TranscriptRecord);
}

describe('transcript file: runs on the same path', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-runs-'));
    path = join(dir, 't.jsonl');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function oneRun(options: Partial<MockSmscOptions> = {}): Promise<string> {
    const mock = await createMockSmsc({ transcript: path, ...options });
    await mock.stop('test');
    return mock.runId;
  }

  it('replaces an existing file by default: seq starts at 1 and is a key of the file', async () => {
    await oneRun();
    const second = await oneRun();
    const recs = records(path);
    expect(recs.map((r) => r.seq)).to.deep.equal([1, 2, 3]);
    expect(recs.filter((r) => r.kind === 'server-start')).to.have.length(1);
    const start = recs[0];
    expect(start?.kind === 'server-start' && start.runId).to.equal(second);
  });

  it('append mode keeps the old records, continues seq and marks the run with its id', async () => {
    const first = await oneRun();
    const second = await oneRun({ transcriptMode: 'append' });
    expect(second).to.not.equal(first);
    const recs = records(path);
    const seqs = recs.map((r) => r.seq);
    expect(seqs).to.deep.equal([1, 2, 3, 4, 5, 6]);
    const runIds = recs.flatMap((r) => (r.kind === 'server-start' ? [r.runId] : []));
    expect(runIds).to.deep.equal([first, second]);
    // Each run counts its own records.
    const counted = recs.flatMap((r) => (r.kind === 'server-stop' ? [r.counts.records] : []));
    expect(counted).to.deep.equal([2, 2]);
  });

  it('append mode refuses a file that holds no transcript record', async () => {
    writeFileSync(path, 'hello\n');
    try {
      await oneRun({ transcriptMode: 'append' });
      expect.fail('started');
    } catch (error) {
      expect(error).to.be.instanceOf(TranscriptError);
      expect((error as TranscriptError).code).to.equal('ERR_TRANSCRIPT_OPEN');
      expect((error as Error).message)
        .to.include(path)
        .and.include('--transcript-mode replace');
    }
    expect(readFileSync(path, 'utf8')).to.equal('hello\n');
  });
});
