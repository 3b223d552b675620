import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  checkFrames,
  expectAnsweredWithin,
  expectFrames,
  expectRecords,
  expectRuleUsed,
  expectSequence,
  expectStatusReportFor,
  nearestRecords,
} from '../../../src/transcript/assertions.js';
import { runExpectations } from '../../../src/transcript/expectations.js';
import { Transcript, type RecordFilter } from '../../../src/transcript/query.js';
import { readTranscript } from '../../../src/transcript/reader.js';
import { RECORD_KINDS, type TranscriptRecord } from '../../../src/transcript/record.js';
import {
  assertValidSelector,
  FRAME_FIELD_NAMES,
  fieldNamesOf,
  SelectorError,
  validateSelector,
} from '../../../src/transcript/selector-check.js';
import {
  assertValidSelector as fromIndex,
  SelectorError as SelectorErrorFromIndex,
  validateSelector as validateFromIndex,
} from '../../../src/transcript/index.js';

const fixture = fileURLToPath(
  new URL('../../fixtures/transcripts/conversation.jsonl', import.meta.url),
);

/** Runs `fn`, expects a SelectorError, returns its issue lines. */
function issuesThrown(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(SelectorError);
    const e = error as SelectorError;
    expect(e.code).to.equal('ERR_TRANSCRIPT_SELECTOR');
    expect(e.message).to.equal(e.issues.join('\n'));
    return e.issues;
  }
  expect.fail('no SelectorError thrown');
}

/** Casts a deliberately wrong selector past the type checker (as JavaScript callers do). */
const bad = (f: unknown): RecordFilter => f as RecordFilter;

describe('selector checks (library)', () => {
  let t: Transcript;
  before(async () => {
    t = await readTranscript(fixture);
  });

  describe('one thrown message per mistake class', () => {
    it('unknown key', () => {
      expect(issuesThrown(() => t.filter(bad({ sesion: 'c1' })))).to.deep.equal([
        'selector: unknown key "sesion" (did you mean "session"?)',
      ]);
    });

    it('unknown operation name (and a code outside the table)', () => {
      expect(
        issuesThrown(() => {
          expectFrames(t, { op: 'sumbit' }, 1);
        }),
      ).to.deep.equal(['selector.op: unknown operation "sumbit" (did you mean "submit"?)']);
      expect(issuesThrown(() => t.frames({ op: 7 }))).to.deep.equal([
        'selector.op: unknown operation code 7 (outside the operation table: write "op-07")',
      ]);
      expect(issuesThrown(() => t.requests('sumbit'))).to.deep.equal([
        'op: unknown operation "sumbit" (did you mean "submit"?)',
      ]);
    });

    it('unknown record kind', () => {
      expect(
        issuesThrown(() => {
          expectRecords(t, { kind: 'decison' }, 4);
        }),
      ).to.deep.equal(['selector.kind: unknown record kind "decison" (did you mean "decision"?)']);
    });

    it('unknown field, judged against the kinds selected', () => {
      expect(
        issuesThrown(() => {
          expectFrames(t, { fields: { destinaton: '+358401234567' } }, 1);
        }),
      ).to.deep.equal([
        'selector.fields: unknown frame field "destinaton" (did you mean "destination"?)',
      ]);
      // `reason` is a member of session-close records, not a frame field.
      expect(issuesThrown(() => t.frames({ fields: { reason: 'x' } }))[0]).to.match(
        /^selector\.fields: unknown frame field "reason" \(known: user, destination, /,
      );
      expect(
        issuesThrown(() => t.filter({ kind: 'session-close', fields: { reasn: 'x' } })),
      ).to.deep.equal([
        'selector.fields: unknown field (for kind session-close) "reasn" (did you mean "reason"?)',
      ]);
    });

    it('unknown matcher form', () => {
      expect(
        issuesThrown(() => t.frames(bad({ fields: { text: { contians: 'Hello' } } }))),
      ).to.deep.equal([
        'selector.fields.text: unknown matcher "contians" (for "contains" use { glob: "*Hello*" } or "regex")',
      ]);
      expect(
        issuesThrown(() => t.frames(bad({ fields: { destination: { startsWith: '+358' } } }))),
      ).to.deep.equal(['selector.fields.destination: unknown matcher "startsWith" (use "prefix")']);
      expect(issuesThrown(() => t.frames(bad({ pn: { mni: 3 } })))).to.deep.equal([
        'selector.pn: unknown matcher "mni" (did you mean "min"?)',
      ]);
    });

    it('wrong value type', () => {
      expect(issuesThrown(() => t.frames(bad({ pn: { min: '3' } })))).to.deep.equal([
        'selector.pn.min: must be a number, not the string "3" (remove the quotes)',
      ]);
      expect(issuesThrown(() => t.frames(bad({ dir: 'inn' })))).to.deep.equal([
        'selector.dir: must be one of: in, out (did you mean "in"?)',
      ]);
      expect(issuesThrown(() => t.frames(bad({ fields: { text: /Hello/ } })))).to.deep.equal([
        'selector.fields.text: a RegExp is not a matcher: write { regex: "Hello" }',
      ]);
      expect(issuesThrown(() => t.frames(bad({ fields: { text: {} } })))).to.deep.equal([
        'selector.fields.text: empty matcher: write { exists: true } to match any value',
      ]);
      expect(issuesThrown(() => t.frames(bad({ fields: { text: undefined } })))).to.deep.equal([
        'selector.fields.text: is undefined: give a value or a matcher such as { exists: false }',
      ]);
      expect(issuesThrown(() => t.filter(bad('submit')))).to.deep.equal([
        'selector: must be a filter mapping (e.g. { op: "submit" }), not the string "submit"',
      ]);
    });
  });

  it('lists every mistake of a selector, one line each', () => {
    expect(
      issuesThrown(() =>
        t.filter(bad({ op: { in: ['login', 'alvie'] }, fields: { txt: { regex: '(' } } })),
      ),
    ).to.deep.equal([
      'selector.op.in[1]: unknown operation "alvie" (did you mean "alive"?)',
      'selector.fields: unknown field "txt" (did you mean "text"?)',
      'selector.fields.txt.regex: invalid regular expression: Invalid regular expression: /(/u: Unterminated group',
    ]);
  });

  it('checks the values of fields with a fixed list of names: status, encoding, opName', () => {
    expect(issuesThrown(() => t.frames({ fields: { statusName: 'delivred' } }))).to.deep.equal([
      'selector.fields.statusName: unknown status "delivred" (did you mean "delivered"?)',
    ]);
    expect(
      issuesThrown(() => t.frames({ fields: { encoding: { in: ['gsm7', 'ucs-2'] } } })),
    ).to.deep.equal([
      'selector.fields.encoding.in[1]: unknown encoding "ucs-2" (did you mean "ucs2"?)',
    ]);
    expect(issuesThrown(() => t.frames({ fields: { statusName: 4 } }))[0]).to.match(
      /^selector\.fields\.statusName: must be a status name \(unknown, in-process, .*\), not number 4$/,
    );
    expect(
      issuesThrown(() => t.filter({ kind: 'decision', fields: { opName: 'sumbit' } })),
    ).to.deep.equal([
      'selector.fields.opName: unknown operation "sumbit" (did you mean "submit"?)',
    ]);
    expect(t.frames({ fields: { statusName: { in: ['delivered', 'failed'] } } })).to.have.length(1);
  });

  it('reports a name pattern that fits no operation or record kind', () => {
    expect(issuesThrown(() => t.frames({ op: { prefix: 'sbumit' } }))).to.deep.equal([
      'selector.op: matches no operation',
    ]);
    expect(issuesThrown(() => t.filter({ kind: { prefix: 'sesion-' } }))).to.deep.equal([
      'selector.kind: matches no record kind',
    ]);
  });

  it('throws before looking at any record, even on an empty transcript', () => {
    const empty = new Transcript([]);
    expect(() => empty.filter(bad({ op: 'sumbit' }))).to.throw(SelectorError);
    expect(() => Transcript.predicate(bad({ op: 'sumbit' }))).to.throw(SelectorError);
    expect(() => {
      expectFrames(empty, bad({ op: 'sumbit' }), 0);
    }).to.throw(SelectorError);
    expect(() => nearestRecords(empty.records, bad({ op: 'sumbit' }))).to.throw(SelectorError);
  });

  it('names the step of a sequence, the spec of a status report and a bad count', () => {
    expect(
      issuesThrown(() => {
        expectSequence(t, [{ op: 'login' }, { op: 'submit', dri: 'in' } as never]);
      }),
    ).to.deep.equal(['steps[1]: unknown key "dri" (did you mean "dir"?)']);
    expect(
      issuesThrown(() => {
        expectStatusReportFor(t, { destination: '+358401234567', status: 'delivred' });
      }),
    ).to.deep.equal(['spec.status: unknown status "delivred" (did you mean "delivered"?)']);
    expect(
      issuesThrown(() => {
        expectStatusReportFor(t, bad({ destinaton: '+358401234567' }) as never);
      }),
    ).to.deep.equal([
      'spec: unknown key "destinaton" (did you mean "destination"?)',
      'spec.destination: is undefined: give a value or a matcher such as { exists: false }',
    ]);
    expect(
      issuesThrown(() => {
        expectFrames(t, { op: 'submit' }, bad({ mn: 1 }) as never);
      }),
    ).to.deep.equal(['count: unknown key "mn" (did you mean "min"?)']);
    expect(
      issuesThrown(() => {
        expectRuleUsed(t, 'dlr', -1);
      }),
    ).to.deep.equal(['count: must be a whole number ≥ 0, not -1']);
    expect(
      issuesThrown(() => {
        expectAnsweredWithin(t, 500, { op: 'sumbit' });
      }),
    ).to.deep.equal(['selector.op: unknown operation "sumbit" (did you mean "submit"?)']);
  });

  it('throws from the expectations runner given unchecked expectations', () => {
    expect(
      issuesThrown(() =>
        runExpectations(t, [{ count: { match: bad({ op: 'sumbit' }), equals: 1 } }]),
      ),
    ).to.deep.equal(['selector.op: unknown operation "sumbit" (did you mean "submit"?)']);
  });

  it('accepts a predicate, and exports the validator from the transcript index', () => {
    const isOpen = (r: TranscriptRecord): boolean => r.kind === 'session-open';
    expect(t.filter(isOpen)).to.have.length(1);
    expect(validateSelector(isOpen)).to.deep.equal([]);
    expect(fromIndex).to.equal(assertValidSelector);
    expect(validateFromIndex).to.equal(validateSelector);
    expect(SelectorErrorFromIndex).to.equal(SelectorError);
    expect(
      validateSelector({ fields: { destinaton: 'x' } }, { defaultKind: 'frame' }),
    ).to.deep.equal([
      'selector.fields: unknown frame field "destinaton" (did you mean "destination"?)',
    ]);
  });

  it('checks a filter once per query, not once per record', () => {
    let keyReads = 0;
    const spy = (): RecordFilter =>
      new Proxy<RecordFilter>(
        { op: 'submit', dir: 'in' },
        {
          ownKeys(target) {
            keyReads++;
            return Reflect.ownKeys(target);
          },
        },
      );
    const one = new Transcript(t.records.slice(0, 1));
    one.filter(spy());
    const forOne = keyReads;
    keyReads = 0;
    const many = new Transcript(Array.from({ length: 50 }, () => t.records).flat());
    expect(many.filter(spy())).to.have.length(100);
    expect(forOne).to.be.greaterThan(0);
    expect(keyReads).to.equal(forOne);
  });

  it('accepts every selector form used in the README and the tests', () => {
    const frameForms: RecordFilter[] = [
      { op: 'submit', dir: 'in', fields: { destination: { prefix: '+358' } } },
      { params: { '064': '3' } },
      { op: 'submit', dir: 'in', fields: { destination: '+358401234567' } },
      { op: 'submit', fields: { text: { regex: 'Order \\d+ confirmed' } } },
      { op: 'submit-response', fields: { errorCode: { exists: false } } },
      { op: 'status-report', dir: 'out' },
      { op: { in: ['login', 'alive'] } },
      { op: { in: ['login', 53] } },
      { op: { suffix: '-response' } },
      { op: { not: { in: ['submit'] } } },
      { op: { min: 50 } },
      { op: '03' },
      { op: 'op-77' },
      { dir: 'in', op: 3 },
      { dir: 'out', op: 23 },
      { fields: { errorCode: 300 } },
      { fields: { errorCode: '300' } },
      { fields: { statusName: 'delivered' } },
      { fields: { encoding: 'ucs2' } },
      { fields: { text: { prefix: 'hi 3.1' } } },
      { fields: { destination: { glob: '+99*', not: { in: ['+991'] } } } },
      { session: 'c2' },
      { pn: { min: 1, max: 9 } },
    ];
    const recordForms: RecordFilter[] = [
      { kind: 'decision', rule: 'reject-99' },
      { kind: 'decision', rule: { exists: true } },
      { kind: { in: ['server-start', 'server-stop'] } },
      { kind: 'session-close', fields: { reason: { regex: 'peer' } } },
      { kind: 'assembled', fields: { destination: '+358', parts: 2, packetNumbers: 3 } },
      { kind: 'frame', op: 'status-report-response' },
      { kind: 'frame-error', fields: { cimdErrorCode: 2 } },
      { kind: 'multipart-expired' },
      { kind: { prefix: 'session-' }, session: 'c1' },
      { fields: { reason: 'x' } },
      {},
    ];
    for (const f of frameForms) {
      expect(validateSelector(f, { defaultKind: 'frame' }), JSON.stringify(f)).to.deep.equal([]);
      expect(validateSelector(f), JSON.stringify(f)).to.deep.equal([]);
    }
    for (const f of recordForms) expect(validateSelector(f), JSON.stringify(f)).to.deep.equal([]);
    expect(
      checkFrames(t, { op: 'submit', fields: { destination: { prefix: '+358' } } }, 1).ok,
    ).to.equal(true);
  });

  it('knows the same field names as the transcript schema', () => {
    const schema = JSON.parse(
      readFileSync(new URL('../../../schemas/transcript.schema.json', import.meta.url), 'utf8'),
    ) as { $defs: Record<string, { properties?: Record<string, unknown> }> };
    expect([...FRAME_FIELD_NAMES].sort()).to.deep.equal(
      Object.keys(schema.$defs['fields']?.properties ?? {}).sort(),
    );
    for (const kind of RECORD_KINDS) {
      if (kind === 'frame') continue;
      expect([...fieldNamesOf(kind)].sort(), kind).to.deep.equal(
        Object.keys(schema.$defs[`record-${kind}`]?.properties ?? {}).sort(),
      );
    }
  });
});
