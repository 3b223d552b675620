/** Expectations `noFindings` / `findings` and the assertion API over finding records. */
import { expect } from 'chai';
import { AssertionError } from 'node:assert';
import {
  Transcript,
  checkFindings,
  checkNoFindings,
  expectFindings,
  expectNoFindings,
  loadExpectations,
  runExpectations,
  ExpectationsError,
  type TranscriptRecord,
} from '../../../src/transcript/index.js';

function finding(seq: number, check: string, severity: 'error' | 'warning'): TranscriptRecord {
  return {
    seq,
    ts: '2026-01-01T00:00:00.000Z',
    kind: 'finding',
    session: 'c1',
    check,
    severity,
    message: `${check} happened`,
    frameSeq: seq - 1,
  };
}

const open: TranscriptRecord = {
  seq: 1,
  ts: '2026-01-01T00:00:00.000Z',
  kind: 'session-open',
  session: 'c1',
  remote: '127.0.0.1:1',
};
const warned = new Transcript([open, finding(3, 'close-without-logout', 'warning')]);
const erred = new Transcript([
  open,
  finding(3, 'pn-reused', 'error'),
  finding(5, 'pn-reused', 'error'),
  finding(7, 'close-without-logout', 'warning'),
]);
const clean = new Transcript([open]);

describe('finding checks', () => {
  it('noFindings: none at all; with severity error, warnings pass', () => {
    expect(checkNoFindings(clean).ok).to.equal(true);
    expect(checkNoFindings(warned).ok).to.equal(false);
    expect(checkNoFindings(warned, { severity: 'error' }).ok).to.equal(true);
    const r = checkNoFindings(erred, { severity: 'error' });
    expect(r.ok).to.equal(false);
    expect(r.message).to.equal(
      'expected no error-severity findings, found 2:\n  #3 c1 finding pn-reused error: pn-reused happened (frame #2)\n  #5 c1 finding pn-reused error: pn-reused happened (frame #4)',
    );
    expect(() => {
      expectNoFindings(erred);
    }).to.throw(AssertionError, 'expected no findings, found 3');
  });

  it('findings: at most max (default 0) of one check; an unknown id is a TypeError', () => {
    expect(checkFindings(erred, { check: 'pn-reused', max: 2 }).ok).to.equal(true);
    const r = checkFindings(erred, { check: 'pn-reused', max: 1 });
    expect(r.ok).to.equal(false);
    expect(r.message).to.match(/^expected at most 1 pn-reused finding, found 2:/);
    expect(checkFindings(erred, { check: 'window-exceeded' }).ok).to.equal(true);
    expect(() => {
      expectFindings(erred, { check: 'pn-reused' });
    }).to.throw(AssertionError);
    expect(() => checkFindings(erred, { check: 'pn-reuse' })).to.throw(
      TypeError,
      'findings.check: unknown check "pn-reuse" (did you mean "pn-reused"?)',
    );
  });

  it('expectations files: noFindings and findings run; an unknown check id is located', () => {
    const doc = loadExpectations(
      '- noFindings: { severity: error }\n- findings: { check: close-without-logout, max: 1 }\n',
      'e.yaml',
    );
    expect(runExpectations(warned, doc).passed).to.equal(true);
    const failed = runExpectations(erred, doc);
    expect(failed.failures.map((f) => f.kind)).to.deep.equal(['noFindings']);
    expect(runExpectations(erred, loadExpectations('- noFindings: true\n')).passed).to.equal(false);
    try {
      loadExpectations('- findings: { check: pn-reuse }\n', 'e.yaml');
      expect.fail('loaded');
    } catch (error) {
      expect(error).to.be.instanceOf(ExpectationsError);
      expect(
        (error as ExpectationsError).issues.map((i) => `${i.line}:${i.col}: ${i.message}`),
      ).to.deep.equal([
        '1:22: [0].findings.check: unknown check "pn-reuse" (did you mean "pn-reused"?)',
      ]);
    }
  });
});
