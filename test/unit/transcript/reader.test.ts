import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { TranscriptError, TranscriptParseError } from '../../../src/transcript/errors.js';
import { parseTranscript, readTranscript } from '../../../src/transcript/reader.js';
import { assertValidRecord } from './helpers.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../fixtures/transcripts/${name}`, import.meta.url));

describe('readTranscript', () => {
  it('reads every line of a file as a record, in order', async () => {
    const t = await readTranscript(fixture('conversation.jsonl'));
    expect(t.records).to.have.length(21);
    expect(t.records.map((r) => r.seq)).to.deep.equal(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(t.records[0]!.kind).to.equal('server-start');
    expect(t.truncated).to.equal(false);
  });

  it('reads fixtures that are valid records', async () => {
    const t = await readTranscript(fixture('conversation.jsonl'));
    for (const r of t.records) assertValidRecord(r);
  });

  it('tolerates a truncated last line and says so', async () => {
    const t = await readTranscript(fixture('truncated.jsonl'));
    expect(t.records.map((r) => r.seq)).to.deep.equal([1, 2, 3, 4, 5]);
    expect(t.truncated).to.equal(true);
  });

  it('reports a bad line in the middle with its line number', async () => {
    try {
      await readTranscript(fixture('bad-line.jsonl'));
      expect.fail('read succeeded');
    } catch (error) {
      expect(error).to.be.instanceOf(TranscriptParseError);
      const e = error as TranscriptParseError;
      expect(e.code).to.equal('ERR_TRANSCRIPT_PARSE');
      expect(e.line).to.equal(3);
      expect(e.message).to.match(/bad-line\.jsonl:3: not a transcript record: /);
    }
  });

  it('reports a missing file as ERR_TRANSCRIPT_READ naming it', async () => {
    try {
      await readTranscript('/nonexistent/t.jsonl');
      expect.fail('read succeeded');
    } catch (error) {
      expect(error).to.be.instanceOf(TranscriptError);
      expect((error as TranscriptError).code).to.equal('ERR_TRANSCRIPT_READ');
      expect((error as Error).message)
        .to.include('/nonexistent/t.jsonl')
        .and.include('ENOENT');
    }
  });

  it('reads text given as { text }', async () => {
    const t = await readTranscript({
      text: '{"seq":1,"ts":"2026-01-01T00:00:00.000Z","kind":"session-open","session":"c1","remote":"x:1"}\n',
    });
    expect(t.records).to.have.length(1);
  });
});

describe('parseTranscript', () => {
  const line = (seq: number): string =>
    `{"seq":${seq},"ts":"2026-01-01T00:00:00.000Z","kind":"session-open","session":"c1","remote":"x:1"}`;

  it('skips blank lines and accepts CRLF and a BOM', () => {
    const t = parseTranscript(`\uFEFF${line(1)}\r\n\r\n${line(2)}\r\n`);
    expect(t.records.map((r) => r.seq)).to.deep.equal([1, 2]);
  });

  it('keeps a complete last line without a final newline', () => {
    const t = parseTranscript(`${line(1)}\n${line(2)}`);
    expect(t.records).to.have.length(2);
    expect(t.truncated).to.equal(false);
  });

  it('rejects a corrupt last line that ends with a newline (it was written whole)', () => {
    expect(() => parseTranscript(`${line(1)}\n{"seq":2,\n`, 'x.jsonl'))
      .to.throw(TranscriptParseError)
      .with.property('line', 2);
  });

  it('rejects a line without seq, without ts, or with an unknown kind', () => {
    expect(() => parseTranscript('{"ts":"x","kind":"frame"}\n')).to.throw(
      /<text>:1: .*no integer "seq"/,
    );
    expect(() => parseTranscript('{"seq":1,"kind":"frame"}\n')).to.throw(/no string "ts"/);
    expect(() => parseTranscript('{"seq":1,"ts":"x","kind":"nope"}\n')).to.throw(
      /unknown kind "nope"/,
    );
    expect(() => parseTranscript('[1]\n')).to.throw(/not a JSON object/);
  });
});
