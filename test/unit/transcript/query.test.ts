import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { matchOp, matchValue } from '../../../src/transcript/matcher.js';
import { Transcript } from '../../../src/transcript/query.js';
import { readTranscript } from '../../../src/transcript/reader.js';
import { handWritten } from './helpers.js';

const fixture = fileURLToPath(
  new URL('../../fixtures/transcripts/conversation.jsonl', import.meta.url),
);

describe('matchValue', () => {
  it('matches plain values exactly, a number and its decimal string alike', () => {
    expect(matchValue('abc', 'abc')).to.equal(true);
    expect(matchValue('abc', 'abcd')).to.equal(false);
    expect(matchValue(300, '300')).to.equal(true);
    expect(matchValue('300', 300)).to.equal(true);
    expect(matchValue(300, 301)).to.equal(false);
    expect(matchValue(null, null)).to.equal(true);
    expect(matchValue('', 0)).to.equal(false);
  });

  it('combines prefix, suffix, regex, glob, in, min, max and not with "and"', () => {
    expect(matchValue({ prefix: '+358', suffix: '67' }, '+358401234567')).to.equal(true);
    expect(matchValue({ prefix: '+358', suffix: '68' }, '+358401234567')).to.equal(false);
    expect(matchValue({ regex: '^\\+99\\d+$' }, '+99123')).to.equal(true);
    expect(matchValue({ glob: '+99*' }, '+99123')).to.equal(true);
    expect(matchValue({ glob: '+99?' }, '+99123')).to.equal(false);
    expect(matchValue({ in: ['a', 'b'] }, 'b')).to.equal(true);
    expect(matchValue({ in: [300, 302] }, 302)).to.equal(true);
    expect(matchValue({ min: 300, max: 399 }, 302)).to.equal(true);
    expect(matchValue({ min: 300, max: 399 }, 400)).to.equal(false);
    expect(matchValue({ not: { prefix: '+99' } }, '+358')).to.equal(true);
    expect(matchValue({ not: { prefix: '+99' } }, '+991')).to.equal(false);
  });

  it('never matches an absent value, not even under not; exists tests presence', () => {
    expect(matchValue('x', undefined)).to.equal(false);
    expect(matchValue({ not: 'x' }, undefined)).to.equal(false);
    expect(matchValue({ exists: false }, undefined)).to.equal(true);
    expect(matchValue({ exists: false }, 'x')).to.equal(false);
    expect(matchValue({ exists: true }, 'x')).to.equal(true);
    expect(matchValue({ exists: true }, undefined)).to.equal(false);
  });

  it('matches a list when any element matches', () => {
    expect(matchValue({ prefix: '+46' }, ['+358', '+4670'])).to.equal(true);
    expect(matchValue('+1', ['+358', '+4670'])).to.equal(false);
  });
});

describe('matchOp', () => {
  it('matches by name, by code and by two-digit code string', () => {
    expect(matchOp('submit', 3)).to.equal(true);
    expect(matchOp(3, 3)).to.equal(true);
    expect(matchOp('03', 3)).to.equal(true);
    expect(matchOp('submit-response', 3)).to.equal(false);
    expect(matchOp('op-77', 77)).to.equal(true);
  });

  it('matches specs: in mixing names and codes, name patterns, and not', () => {
    expect(matchOp({ in: ['login', 53] }, 53)).to.equal(true);
    expect(matchOp({ in: ['login', 53] }, 3)).to.equal(false);
    expect(matchOp({ suffix: '-response' }, 53)).to.equal(true);
    expect(matchOp({ not: { in: ['submit'] } }, 3)).to.equal(false);
    expect(matchOp({ not: { in: ['submit'] } }, 1)).to.equal(true);
    expect(matchOp({ min: 50 }, 53)).to.equal(true);
    expect(matchOp('submit', undefined)).to.equal(false);
  });
});

describe('Transcript', () => {
  let t: Transcript;
  before(async () => {
    t = await readTranscript(fixture);
  });

  it('filters by kind, op name, direction and session', () => {
    expect(t.filter({ kind: 'decision' }).map((r) => r.seq)).to.deep.equal([4, 7, 11, 17]);
    expect(t.filter({ op: 'submit', dir: 'in' }).map((r) => r.seq)).to.deep.equal([6, 10]);
    expect(t.filter({ op: 'submit' }).map((r) => r.kind)).to.deep.equal([
      'frame',
      'decision',
      'frame',
      'decision',
    ]);
    expect(t.filter({ session: 'c2' })).to.have.length(0);
    expect(t.filter({ kind: { in: ['server-start', 'server-stop'] } })).to.have.length(2);
  });

  it('filters on decoded fields with matchers, and on params by code', () => {
    expect(
      t.frames({ fields: { destination: { prefix: '+99' } } }).map((r) => r.seq),
    ).to.deep.equal([10]);
    expect(t.frames({ fields: { errorCode: 300 } }).map((r) => r.seq)).to.deep.equal([15]);
    expect(t.frames({ fields: { statusName: 'delivered' } }).map((r) => r.seq)).to.deep.equal([13]);
    expect(t.frames({ params: { '061': '4' } }).map((r) => r.seq)).to.deep.equal([13]);
    expect(
      t.frames({ op: 'submit-response', fields: { errorCode: { exists: false } } }),
    ).to.have.length(1);
  });

  it('filters decisions by rule, and other records by their own members', () => {
    expect(t.filter({ kind: 'decision', rule: 'reject-99' }).map((r) => r.seq)).to.deep.equal([11]);
    expect(
      t.filter({ kind: 'session-close', fields: { reason: { regex: 'peer' } } }),
    ).to.have.length(1);
  });

  it('accepts a predicate', () => {
    expect(t.filter((r) => r.seq > 19).map((r) => r.seq)).to.deep.equal([20, 21]);
  });

  it('lists request frames, optionally of one operation', () => {
    expect(t.requests().map((r) => r.seq)).to.deep.equal([3, 6, 10, 13, 16]);
    expect(t.requests('submit').map((r) => r.pn)).to.deep.equal([3, 5]);
    expect(t.requests(23).map((r) => r.dir)).to.deep.equal(['out']);
  });

  it('pairs each request with its answer and the latency', () => {
    const pairs = t.pairs().map((p) => [p.request.seq, p.answer?.seq, p.latencyMs]);
    expect(pairs).to.deep.equal([
      [3, 5, 1],
      [6, 8, 2],
      [10, 15, 230],
      [13, 14, 3],
      [16, 19, 1],
    ]);
  });

  it('leaves the earlier copy of a resent request unanswered and pairs 98/99 answers', () => {
    const h = handWritten();
    const f = (ms: number, dir: 'in' | 'out', op: number, pn: number): void => {
      h.at(ms, {
        kind: 'frame',
        session: 'c1',
        dir,
        op,
        opName: String(op),
        pn,
        params: [],
        fields: {},
        checksum: 'absent',
        raw: '',
      });
    };
    f(0, 'out', 20, 2);
    f(10, 'out', 20, 2);
    f(12, 'in', 70, 2);
    f(20, 'in', 3, 3);
    f(21, 'out', 99, 3);
    f(30, 'in', 3, 5);
    f(31, 'out', 53, 7);
    const pairs = new Transcript(h.records).pairs();
    expect(pairs.map((p) => [p.request.seq, p.answer?.seq])).to.deep.equal([
      [1, undefined],
      [2, 3],
      [4, 5],
      [6, undefined],
    ]);
  });

  it('lists sessions in order of appearance and narrows to one', () => {
    expect(t.sessions()).to.deep.equal(['c1']);
    expect(t.forSession('c1').records).to.have.length(19);
  });

  it('finds the decision of a request and the answer to it', () => {
    const req = t.requests('submit')[1]!;
    expect(t.decisionFor(req)?.rule).to.equal('reject-99');
    expect(t.answerTo(req)?.fields.errorCode).to.equal(300);
    expect(t.bySeq(11)?.kind).to.equal('decision');
  });
});
