import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExpectationsError } from '../../../src/transcript/errors.js';
import { loadExpectations, runExpectations } from '../../../src/transcript/expectations.js';
import { readTranscript } from '../../../src/transcript/reader.js';

/** The issues of an expectations text as `file:line:col: message` lines. */
function issuesOf(yaml: string, file = 'expectations.yaml'): string[] {
  try {
    loadExpectations(yaml, file);
  } catch (error) {
    expect(error).to.be.instanceOf(ExpectationsError);
    return (error as ExpectationsError).issues.map(
      (i) => `${i.file}:${i.line}:${i.col}: ${i.message}`,
    );
  }
  expect.fail('loaded without issues');
}

const fixtureUrl = (name: string): URL =>
  new URL(`../../fixtures/transcripts/${name}`, import.meta.url);

describe('expectations files: match filters (one located message per mistake)', () => {
  it('unknown key in a filter', () => {
    expect(
      issuesOf(
        ['- count:', '    match:', '      op: submit', '      sesion: c1', '    min: 1'].join('\n'),
      ),
    ).to.deep.equal([
      'expectations.yaml:4:7: [0].count.match: unknown key "sesion" (did you mean "session"?)',
    ]);
  });

  it('a misspelt required key or check key is one line, not a missing-key cascade', () => {
    expect(issuesOf('- count:\n    mach: { op: submit }\n    equals: 2\n')).to.deep.equal([
      'expectations.yaml:2:5: [0].count: unknown key "mach" (did you mean "match"?)',
    ]);
    expect(issuesOf('- noUnmached: true\n')).to.deep.equal([
      'expectations.yaml:1:3: [0]: unknown key "noUnmached" (did you mean "noUnmatched"?)',
    ]);
  });

  it('unknown operation name', () => {
    expect(issuesOf('- count:\n    match: { op: sumbit }\n    equals: 2\n')).to.deep.equal([
      'expectations.yaml:2:18: [0].count.match.op: unknown operation "sumbit" (did you mean "submit"?)',
    ]);
  });

  it('unknown operation inside an `in` list of a sequence step', () => {
    expect(
      issuesOf('- sequence:\n    - { op: login }\n    - { op: { in: [submit, delivr] } }\n'),
    ).to.deep.equal([
      'expectations.yaml:3:28: [0].sequence[1].op.in[1]: unknown operation "delivr" (did you mean "deliver"?)',
    ]);
  });

  it('unknown record kind', () => {
    expect(issuesOf('- count:\n    match: { kind: decison }\n    min: 1\n')).to.deep.equal([
      'expectations.yaml:2:20: [0].count.match.kind: unknown record kind "decison" (did you mean "decision"?)',
    ]);
  });

  it('unknown field, inside a oneOf item and an anyOf matcher, as a single line', () => {
    const yaml = [
      '- name: one confirmation',
      '  count:',
      '    match:',
      '      op: submit',
      '      dir: in',
      '      fields:',
      '        destinaton: { prefix: "+358" }',
      '    equals: 1',
    ].join('\n');
    expect(issuesOf(yaml)).to.deep.equal([
      'expectations.yaml:7:9: [0].count.match.fields: unknown frame field "destinaton" (did you mean "destination"?)',
    ]);
  });

  it('judges field names by the record kind the filter selects', () => {
    expect(
      issuesOf(
        '- count:\n    match: { kind: session-close, fields: { reasn: peer } }\n    min: 1\n',
      ),
    ).to.deep.equal([
      'expectations.yaml:2:45: [0].count.match.fields: unknown field (for kind session-close) "reasn" (did you mean "reason"?)',
    ]);
    expect(
      loadExpectations(
        '- count:\n    match: { kind: session-close, fields: { reason: { regex: peer } } }\n    min: 1\n',
      ).expectations,
    ).to.have.length(1);
  });

  it('unknown matcher form, with what to write instead', () => {
    expect(
      issuesOf(
        '- count:\n    match:\n      fields:\n        text: { contians: Order }\n    min: 1\n',
      ),
    ).to.deep.equal([
      'expectations.yaml:4:17: [0].count.match.fields.text: unknown matcher "contians" (for "contains" use { glob: "*Order*" } or "regex")',
    ]);
    expect(issuesOf('- statusReportFor: { destination: { startsWith: "+358" } }\n')).to.deep.equal([
      'expectations.yaml:1:37: [0].statusReportFor.destination: unknown matcher "startsWith" (use "prefix")',
    ]);
  });

  it('wrong value type', () => {
    expect(issuesOf('- count:\n    match: { pn: { min: "3" } }\n    min: 1\n')).to.deep.equal([
      'expectations.yaml:2:25: [0].count.match.pn.min: must be a number, not the string "3" (remove the quotes)',
    ]);
    expect(
      issuesOf('- answeredWithin: { ms: 1s, match: { fields: { text: {} } } }\n'),
    ).to.deep.equal([
      'expectations.yaml:1:54: [0].answeredWithin.match.fields.text: empty matcher: write { exists: true } to match any value',
    ]);
    expect(issuesOf('- count:\n    match:\n    min: 1\n')).to.deep.equal([
      'expectations.yaml:2:11: [0].count.match: must be a filter mapping (e.g. { op: "submit" }), not null',
    ]);
  });

  it('reports each mistake of a file once, in file order, alongside the other checks', () => {
    const yaml = readFileSync(fixtureUrl('typo-expectations.yaml'), 'utf8');
    expect(issuesOf(yaml, 'typo-expectations.yaml')).to.deep.equal([
      'typo-expectations.yaml:4:18: [0].count.match.op: unknown operation "sumbit" (did you mean "submit"?)',
      'typo-expectations.yaml:10:9: [1].sequence[1].fields: unknown frame field "destinaton" (did you mean "destination"?)',
      'typo-expectations.yaml:11:28: [1].sequence[2]: unknown key "dri" (did you mean "dir"?)',
      'typo-expectations.yaml:12:25: [2].answeredWithin.ms: invalid duration "fast": use milliseconds or a string such as 250ms, 2s, 1m',
      'typo-expectations.yaml:12:46: [2].answeredWithin.match.kind: unknown record kind "frames" (did you mean "frame"?)',
      'typo-expectations.yaml:14:37: [4].statusReportFor.destination: unknown matcher "prefx" (did you mean "prefix"?)',
      'typo-expectations.yaml:16:14: [5].count.match: unknown key "fileds" (did you mean "fields"?)',
    ]);
  });

  it('loads the README example and runs it against a recorded conversation', async () => {
    const doc = loadExpectations(
      readFileSync(fixtureUrl('readme-expectations.yaml'), 'utf8'),
      'readme-expectations.yaml',
    );
    expect(doc.expectations).to.have.length(9);
    const t = await readTranscript(fileURLToPath(fixtureUrl('conversation.jsonl')));
    const result = runExpectations(t, doc);
    // Every filter is checked and run; this conversation has no "Order" texts and one unmatched.
    expect(result.checked).to.equal(9);
    expect(result.failures.map((f) => [f.index, f.kind])).to.deep.equal([
      [0, 'count'],
      [3, 'noUnmatched'],
    ]);
  });
});
