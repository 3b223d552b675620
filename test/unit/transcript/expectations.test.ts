import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { ExpectationsError } from '../../../src/transcript/errors.js';
import {
  durationMs,
  formatFailures,
  loadExpectations,
  runExpectations,
} from '../../../src/transcript/expectations.js';
import type { Transcript } from '../../../src/transcript/query.js';
import { readTranscript } from '../../../src/transcript/reader.js';

const fixture = fileURLToPath(
  new URL('../../fixtures/transcripts/conversation.jsonl', import.meta.url),
);

function issuesOf(yaml: string): string[] {
  try {
    loadExpectations(yaml, 'e.yaml');
  } catch (error) {
    expect(error).to.be.instanceOf(ExpectationsError);
    const e = error as ExpectationsError;
    expect(e.code).to.equal('ERR_TRANSCRIPT_EXPECTATIONS');
    return e.issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.message}`);
  }
  expect.fail('loaded without issues');
}

const PASSING = `
- name: two submits
  count:
    match: { op: submit, dir: in }
    equals: 2
- sequence:
    - { op: login }
    - { op: submit, fields: { destination: { prefix: "+358" } } }
    - { op: status-report, dir: out }
- answeredWithin: { ms: 250ms, match: { op: submit } }
- noFrameErrors: true
- allRulesUsed: [login-ok, dlr, reject-99]
- ruleUsed: { rule: reject-99, equals: 1 }
- statusReportFor: { destination: "+358401234567", status: delivered }
- count:
    match: { kind: decision, rule: { exists: true } }
    min: 3
`;

describe('loadExpectations', () => {
  it('loads a valid file into the list of expectations', () => {
    const doc = loadExpectations(PASSING, 'e.yaml');
    expect(doc.file).to.equal('e.yaml');
    expect(doc.expectations).to.have.length(8);
    expect(doc.expectations[0]).to.deep.equal({
      name: 'two submits',
      count: { match: { op: 'submit', dir: 'in' }, equals: 2 },
    });
  });

  it('loads an empty file as no expectations', () => {
    expect(loadExpectations('', 'e.yaml').expectations).to.deep.equal([]);
  });

  it('reports an unknown key at the key, listing the allowed ones', () => {
    expect(issuesOf('- noUnmatched: true\n  colour: red\n')).to.deep.equal([
      'e.yaml:2:3: [0]: unknown key "colour" (expected one of: name, count, sequence, answeredWithin, noUnmatched, noFrameErrors, allRulesUsed, ruleUsed, statusReportFor, noFindings, findings)',
    ]);
  });

  it('reports two checks in one item, and an item without a check', () => {
    expect(issuesOf('- noUnmatched: true\n  noFrameErrors: true\n')).to.deep.equal([
      'e.yaml:1:3: [0]: has more than one check (noUnmatched, noFrameErrors): write each as its own list item',
    ]);
    expect(issuesOf('- noFrameErrors: true\n- name: nothing\n')).to.deep.equal([
      'e.yaml:2:3: [1]: needs one of: count, sequence, answeredWithin, noUnmatched, noFrameErrors, allRulesUsed, ruleUsed, statusReportFor, noFindings, findings',
    ]);
  });

  it('reports a count without bounds', () => {
    expect(issuesOf('- count:\n    match: { op: submit }\n')).to.deep.equal([
      'e.yaml:2:5: [0].count: needs one of: equals, min, max',
    ]);
  });

  it('reports a bad duration, time stamp, status and direction at their values', () => {
    expect(issuesOf('- answeredWithin: { ms: 2 seconds }\n')).to.deep.equal([
      'e.yaml:1:25: [0].answeredWithin.ms: invalid duration "2 seconds": use milliseconds or a string such as 250ms, 2s, 1m',
    ]);
    expect(issuesOf('- statusReportFor: { destination: "1", timestamp: "2601" }\n')).to.deep.equal([
      'e.yaml:1:51: [0].statusReportFor.timestamp: invalid time stamp "2601": use 12 digits yymmddhhmmss',
    ]);
    expect(issuesOf('- statusReportFor: { destination: "1", status: delivred }\n')[0]).to.equal(
      'e.yaml:1:48: [0].statusReportFor.status: must be a status code 0-9 or one of: unknown, in-process, expired, failed, delivered, no-response, last-no-response, cancelled, deleted, deleted-by-cancel',
    );
    expect(issuesOf('- sequence:\n    - { op: submit, dir: up }\n')).to.deep.equal([
      'e.yaml:2:26: [0].sequence[0].dir: must be one of: in, out',
    ]);
  });

  it('reports a misspelt matcher key, a matcher of the wrong type, and a bad parameter code', () => {
    expect(
      issuesOf(
        '- count:\n    match:\n      fields:\n        destination: { prefx: "+358" }\n    equals: 1\n',
      ),
    ).to.deep.equal([
      'e.yaml:4:24: [0].count.match.fields.destination: unknown matcher "prefx" (did you mean "prefix"?)',
    ]);
    expect(
      issuesOf('- count:\n    match:\n      fields:\n        destination: [1, 2]\n    equals: 1\n'),
    ).to.deep.equal([
      'e.yaml:4:22: [0].count.match.fields.destination: must be a value or a matcher mapping with prefix, suffix, regex, glob, in, min, max, not, exists',
    ]);
    expect(
      issuesOf('- count:\n    match:\n      params: { "64": "1" }\n    equals: 1\n'),
    ).to.deep.equal([
      'e.yaml:3:17: [0].count.match.params: invalid parameter code "64": use three digits, e.g. "064"',
    ]);
  });

  it('reports a regular expression that does not compile', () => {
    const issues = issuesOf(
      '- sequence:\n    - op: submit\n      fields:\n        text: { regex: "([" }\n',
    );
    expect(issues).to.have.length(1);
    expect(issues[0]).to.match(
      /^e\.yaml:4:24: \[0\]\.sequence\[0\]\.fields\.text\.regex: invalid regular expression: /,
    );
  });

  it('reports YAML syntax errors and a document that is not a list', () => {
    expect(issuesOf('- count: {\n')[0]).to.match(/^e\.yaml:2:1: YAML syntax error: /);
    expect(issuesOf('count: 1\n')).to.deep.equal(['e.yaml:1:1: must be a list']);
    expect(issuesOf('- noUnmatched: false\n')).to.deep.equal([
      'e.yaml:1:16: [0].noUnmatched: must be true',
    ]);
  });
});

describe('runExpectations', () => {
  let t: Transcript;
  before(async () => {
    t = await readTranscript(fixture);
  });

  it('passes when every expectation holds', () => {
    const result = runExpectations(t, loadExpectations(PASSING, 'e.yaml'));
    expect(result.failures).to.deep.equal([]);
    expect(result).to.deep.include({ passed: true, checked: 8 });
  });

  it('reports each failing expectation with its message and nearest records', () => {
    const doc = loadExpectations(
      `
- noFrameErrors: true
- name: three submits
  count: { match: { op: submit, dir: in }, equals: 3 }
- noUnmatched: true
- answeredWithin: { ms: 1s }
- allRulesUsed: [login-ok, outage]
- statusReportFor: { destination: "+4670" }
`,
      'e.yaml',
    );
    const result = runExpectations(t, doc);
    expect(result.passed).to.equal(false);
    expect(result.checked).to.equal(6);
    expect(result.failures.map((f) => [f.index, f.kind])).to.deep.equal([
      [1, 'count'],
      [2, 'noUnmatched'],
      [4, 'allRulesUsed'],
      [5, 'statusReportFor'],
    ]);
    expect(result.failures[0]!.nearest.map((r) => r.seq)).to.deep.equal([6, 10]);
    expect(result.failures[1]!.nearest.map((r) => r.seq)).to.deep.equal([18]);
    expect(result.failures[2]!.message).to.equal(
      'scenario rule(s) never used: outage (used: login-ok, dlr, reject-99)',
    );
    expect(result.failures[3]!.nearest.map((r) => r.seq)).to.deep.equal([13]);
  });

  it('formats failures as blocks followed by a count line', () => {
    const doc = loadExpectations(
      '- name: three submits\n  count: { match: { op: submit, dir: in }, equals: 3 }\n- noFrameErrors: true\n',
      'e.yaml',
    );
    expect(formatFailures(runExpectations(t, doc))).to.equal(
      '✗ #1 count "three submits": expected exactly 3 frame(s) matching {"op":"submit","dir":"in"}, found 2:\n' +
        '    #6 c1 in submit 003 to=+358401234567 "Hello"\n' +
        '    #10 c1 in submit 005 to=+99123 "Bad"\n' +
        '1 of 2 expectation(s) passed',
    );
  });

  it('adds the nearest records when the message does not list them', () => {
    const doc = loadExpectations('- ruleUsed: { rule: dlr, min: 2 }\n', 'e.yaml');
    const text = formatFailures(runExpectations(t, doc));
    expect(text).to.include('#7 c1 decision submit 003 rule=dlr [respond]');
  });
});

describe('durationMs', () => {
  it('reads milliseconds, seconds and minutes', () => {
    expect(durationMs(250)).to.equal(250);
    expect(durationMs('250ms')).to.equal(250);
    expect(durationMs('1.5s')).to.equal(1500);
    expect(durationMs('2m')).to.equal(120_000);
    expect(() => durationMs('2 h')).to.throw(RangeError);
  });
});
