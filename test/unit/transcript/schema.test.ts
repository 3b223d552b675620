import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { RECORD_KINDS } from '../../../src/transcript/record.js';
import { assertValidRecord } from './helpers.js';

const frame = {
  seq: 4,
  ts: '2026-01-01T12:00:00.000Z',
  kind: 'frame',
  session: 'c1',
  dir: 'in',
  op: 1,
  opName: 'login',
  pn: 1,
  params: [['010', 'shop']],
  fields: { user: 'shop' },
  checksum: 'absent',
  raw: '\u000201:001\t010:shop\t\u0003',
};

describe('transcript.schema.json', () => {
  it('accepts a well-formed frame record', () => {
    assertValidRecord(frame);
  });

  it('rejects records that break the contract', () => {
    const bad: Record<string, unknown>[] = [
      { ...frame, pn: '001' },
      { ...frame, seq: 0 },
      { ...frame, ts: '2026-01-01 12:00:00' },
      { ...frame, kind: 'frames' },
      { ...frame, session: undefined },
      { ...frame, checksum: 'ok' },
      { ...frame, params: [['10', 'shop']] },
      { ...frame, raw: 'Ā' },
      { ...frame, fields: { user: 'shop', udh: '05000301' + 'ab' } },
      { ...frame, fields: { colour: 'red' } },
      { ...frame, extra: 1 },
      { seq: 1, ts: frame.ts, kind: 'session-open', remote: '1.2.3.4:5' },
      {
        seq: 1,
        ts: frame.ts,
        kind: 'decision',
        session: 'c1',
        pn: 1,
        op: 1,
        opName: 'login',
        rule: 3,
        explanation: '',
        actions: [],
        afterwards: [],
      },
    ];
    for (const r of bad) {
      expect(() => {
        assertValidRecord(JSON.parse(JSON.stringify(r)));
      }, JSON.stringify(r)).to.throw(/does not match the schema/);
    }
  });

  it('accepts every example line of the transcript reference (docs/transcript.md, Kinds)', () => {
    const page = readFileSync(new URL('../../../docs/transcript.md', import.meta.url), 'utf8');
    const start = page.indexOf('\n## Kinds\n');
    const doc = page.slice(start, page.indexOf('\n## ', start + 1));
    const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const lines = blocks.flatMap((b) => b.split('\n').filter((l) => l.trim() !== ''));
    expect(lines.length).to.be.greaterThan(15);
    const kinds = new Set<string>();
    for (const line of lines) {
      const r = JSON.parse(line) as { kind: string };
      assertValidRecord(r);
      kinds.add(r.kind);
    }
    expect([...kinds].sort()).to.deep.equal([...RECORD_KINDS].sort());
  });
});
