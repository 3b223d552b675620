/**
 * The Conversation view's ladder rows: the rule folded into its request, `[default]` and
 * `[unmatched]`, the near-miss explanation beneath an unmatched request, bad frames and events.
 */
import { expect } from 'chai';
import { ladderRows } from '../../../console/src/ladder.js';
import type { TranscriptRecord } from '../../../src/transcript/record.js';

const ts = '2026-01-01T12:00:00.000Z';
let seq = 0;
function rec(r: object): TranscriptRecord {
  return { seq: ++seq, ts, ...r } as unknown as TranscriptRecord;
}
function frame(
  dir: 'in' | 'out',
  op: number,
  opName: string,
  pn: number,
  fields = {},
): TranscriptRecord {
  return rec({
    kind: 'frame',
    session: 'c1',
    dir,
    op,
    opName,
    pn,
    params: [],
    fields,
    checksum: 'valid',
    raw: '',
  });
}
function decision(op: number, opName: string, pn: number, rule: string | null): TranscriptRecord {
  return rec({
    kind: 'decision',
    session: 'c1',
    pn,
    op,
    opName,
    rule,
    explanation: '',
    actions: [],
    afterwards: [],
  });
}

describe('console ladder rows', () => {
  it('tags each request with the rule that decided it, [default] for the built-in one', () => {
    const rows = ladderRows([
      rec({ kind: 'session-open', session: 'c1', remote: '127.0.0.1:4000' }),
      frame('in', 1, 'login', 1, { user: 'shop' }),
      decision(1, 'login', 1, 'accept-login'),
      frame('out', 51, 'login-response', 1),
      frame('in', 40, 'alive', 3),
      decision(40, 'alive', 3, null),
      frame('out', 90, 'alive-response', 3),
    ]);
    expect(rows.map((r) => [r.dir, r.text, r.tag])).to.deep.equal([
      ['event', 'connected from 127.0.0.1:4000', undefined],
      ['in', 'login 001 user=shop', 'rule accept-login'],
      ['out', 'login-response 001', undefined],
      ['in', 'alive 003', 'default'],
      ['out', 'alive-response 003', undefined],
    ]);
  });

  it('marks an unmatched request and puts each line of its explanation beneath it', () => {
    const rows = ladderRows([
      frame('in', 3, 'submit', 5, { destination: '+3584', text: 'hi' }),
      decision(3, 'submit', 5, null),
      rec({
        kind: 'unmatched',
        session: 'c1',
        pn: 5,
        op: 3,
        opName: 'submit',
        explanation: 'no rule matched\nrule "a": destination is not "+1"',
      }),
      frame('out', 53, 'submit-response', 5, { errorCode: 300 }),
    ]);
    expect(rows.map((r) => [r.dir, r.text, r.tag, r.error])).to.deep.equal([
      ['in', 'submit 005 to=+3584 "hi"', 'unmatched', false],
      ['explain', 'no rule matched', undefined, undefined],
      ['explain', 'rule "a": destination is not "+1"', undefined, undefined],
      ['out', 'submit-response 005 error=300', undefined, true],
    ]);
  });

  it('shows a bad frame with the answer it got, and scheduled items as events', () => {
    const rows = ladderRows([
      rec({
        kind: 'frame-error',
        session: 'c1',
        dir: 'in',
        error: 'ERR_CIMD_CHECKSUM',
        message: 'bad checksum',
        cimdErrorCode: 0,
        raw: '',
        answer: { op: 99, opName: 'nack', pn: 7 },
      }),
      rec({
        kind: 'scheduled',
        session: 'c1',
        id: 2,
        action: { kind: 'statusReport' },
        at: '2026-01-01T12:00:00.250Z',
      }),
    ]);
    expect(rows.map((r) => [r.dir, r.text])).to.deep.equal([
      ['bad', 'bad frame: bad checksum (answered nack)'],
      ['event', 'scheduled statusReport #2 due +250ms'],
    ]);
  });
});
