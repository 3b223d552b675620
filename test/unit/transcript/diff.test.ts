import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { diffTranscripts, formatDiff } from '../../../src/transcript/diff.js';
import { Transcript } from '../../../src/transcript/query.js';
import { parseTranscript } from '../../../src/transcript/reader.js';
import type { TranscriptRecord } from '../../../src/transcript/record.js';
import { handWritten } from './helpers.js';

const text = readFileSync(
  new URL('../../fixtures/transcripts/conversation.jsonl', import.meta.url),
  'utf8',
);
const golden = parseTranscript(text);

/** The fixture with its lines edited by `edit` (0-based line index → new line or null to drop). */
function edited(edit: (line: string, i: number) => string | null): Transcript {
  const lines = text.split('\n').filter((l) => l !== '');
  const out = lines.map(edit).filter((l): l is string => l !== null);
  return parseTranscript(out.join('\n') + '\n');
}

describe('diffTranscripts', () => {
  it('finds no difference in a run with other times, 060s, session ids, server packet numbers and port', () => {
    const actual = edited((l) =>
      l
        .replaceAll('2026-01-01T12:00:00.', '2026-03-03T09:15:42.')
        .replaceAll('"c1"', '"c17"')
        .replaceAll('260101120000', '260303091542')
        .replaceAll('260101120001', '260303091543')
        .replace(
          '"op":23,"opName":"status-report","pn":0',
          '"op":23,"opName":"status-report","pn":6',
        )
        .replace('\\u000223:000', '\\u000223:006')
        .replace(
          '"op":73,"opName":"status-report-response","pn":0',
          '"op":73,"opName":"status-report-response","pn":6',
        )
        .replace('\\u000273:000', '\\u000273:006')
        .replace('"port":9971', '"port":40123')
        .replace('"remote":"10.0.0.1:40000"', '"remote":"10.0.0.1:51515"')
        .replaceAll('"records":20', '"records":25'),
    );
    expect(actual.records[12]).to.deep.include({ pn: 6, session: 'c17' });
    expect(diffTranscripts(golden, actual)).to.deep.equal([]);
  });

  it('catches a changed text, naming the parameter and the decoded field', () => {
    const actual = edited((l, i) => (i === 5 ? l.replaceAll('Hello', 'Hellp') : l));
    const diff = diffTranscripts(golden, actual);
    expect(diff).to.have.length(1);
    expect(diff[0]).to.deep.include({ type: 'changed', session: 's1', goldenSeq: 6, actualSeq: 6 });
    expect(diff[0]!.changes).to.deep.equal([
      { path: 'params[1]', golden: ['033', 'Hello'], actual: ['033', 'Hellp'] },
      { path: 'fields.text', golden: 'Hello', actual: 'Hellp' },
    ]);
  });

  it('catches a changed error code', () => {
    const actual = edited((l, i) => (i === 14 ? l.replaceAll('300', '302') : l));
    const diff = diffTranscripts(golden, actual);
    expect(diff).to.have.length(1);
    expect(diff[0]!.changes).to.deep.equal([
      { path: 'params[0]', golden: ['900', '300'], actual: ['900', '302'] },
      { path: 'fields.errorCode', golden: 300, actual: 302 },
    ]);
  });

  it('catches a client packet number that changed', () => {
    const actual = edited((l, i) =>
      i === 5 ? l.replace('"pn":3', '"pn":9').replace('03:003', '03:009') : l,
    );
    const diff = diffTranscripts(golden, actual);
    expect(diff.map((d) => d.type)).to.deep.equal(['changed']);
    expect(diff[0]!.changes).to.deep.equal([{ path: 'pn', golden: 3, actual: 9 }]);
  });

  it('catches a status report that no longer carries the 060 of its submit', () => {
    const actual = edited((l, i) => (i === 12 ? l.replaceAll('260101120000', '260101120009') : l));
    const diff = diffTranscripts(golden, actual);
    expect(diff).to.have.length(1);
    expect(diff[0]!.goldenSeq).to.equal(13);
    expect(diff[0]!.changes).to.deep.equal([
      { path: 'params[1]', golden: ['060', 'T[s1:003]'], actual: ['060', 'T?'] },
      { path: 'fields.timestamp', golden: 'T[s1:003]', actual: 'T?' },
    ]);
  });

  it('catches a 060 handed out twice', () => {
    // The 53 of pn 5 answers with the 021 and 060 already given to pn 3 (instead of an error).
    const actual = edited((l, i) =>
      i === 14
        ? l
            .replace(
              '["900","300"],["901","Incorrect destination address"]',
              '["021","+358401234567"],["060","260101120000"]',
            )
            .replace(
              '"errorCode":300,"errorText":"Incorrect destination address"',
              '"destination":"+358401234567","timestamp":"260101120000"',
            )
        : l,
    );
    const diff = diffTranscripts(golden, actual);
    expect(diff).to.have.length(1);
    expect(diff[0]!.actual!['params']).to.deep.equal([
      ['021', '+358401234567'],
      ['060', 'T[s1:003]'],
    ]);
  });

  it('tells messages apart by 060 and destination together', () => {
    const run = (ts: [string, string]): Transcript => {
      const h = handWritten();
      [
        ['+1', ts[0], 3],
        ['+2', ts[1], 5],
      ].forEach(([dest, t060, pn]) => {
        h.at(0, {
          kind: 'frame',
          session: 'c1',
          dir: 'out',
          op: 53,
          opName: 'submit-response',
          pn: pn as number,
          params: [
            ['021', dest as string],
            ['060', t060 as string],
          ],
          fields: { destination: dest as string, timestamp: t060 as string },
          checksum: 'absent',
          raw: '',
        });
      });
      return new Transcript(h.records);
    };
    // The same 060 for two destinations is two messages, as are two different 060s.
    expect(
      diffTranscripts(run(['260101120000', '260101120000']), run(['260101120007', '260101120009'])),
    ).to.deep.equal([]);
  });

  it('reports a record missing from actual and one extra in actual', () => {
    const missing = diffTranscripts(
      golden,
      edited((l, i) => (i === 15 ? null : l)),
    );
    expect(missing).to.have.length(1);
    expect(missing[0]).to.deep.include({ type: 'missing', session: 's1', goldenSeq: 16 });
    const extra = diffTranscripts(
      edited((l, i) => (i === 15 ? null : l)),
      golden,
    );
    expect(extra).to.have.length(1);
    expect(extra[0]).to.deep.include({ type: 'extra', session: 's1', actualSeq: 16 });
  });

  it('ignores kinds, member paths and parameters when asked', () => {
    const actual = edited((l, i) =>
      i === 3
        ? l.replace('"rule":"login-ok"', '"rule":"login-any"')
        : i === 5
          ? l.replaceAll('Hello', 'Hi')
          : l,
    );
    expect(diffTranscripts(golden, actual)).to.have.length(2);
    expect(
      diffTranscripts(golden, actual, { ignore: ['decision', 'fields.text', 'params.033'] }),
    ).to.deep.equal([]);
    expect(
      diffTranscripts(golden, actual, {
        ignore: ['decision:rule', 'frame:fields.text', 'params.033'],
      }),
    ).to.deep.equal([]);
    expect(diffTranscripts(golden, actual, { ignore: ['decision'] })).to.have.length(1);
  });

  it('compares each session on its own, whatever the interleaving', () => {
    const frame = (
      session: string,
      op: number,
      pn: number,
      dir: 'in' | 'out',
    ): Omit<TranscriptRecord, 'seq' | 'ts'> =>
      ({
        kind: 'frame',
        session,
        dir,
        op,
        opName: op === 3 ? 'submit' : 'submit-response',
        pn,
        params: [],
        fields: {},
        checksum: 'absent',
        raw: '',
      }) as Omit<TranscriptRecord, 'seq' | 'ts'>;
    const a = handWritten();
    const b = handWritten();
    const steps: [string, number, number, 'in' | 'out'][] = [
      ['c1', 3, 3, 'in'],
      ['c2', 3, 3, 'in'],
      ['c1', 53, 3, 'out'],
      ['c2', 53, 3, 'out'],
    ];
    for (const s of steps) a.at(0, frame(...s) as never);
    for (const s of [steps[0]!, steps[2]!, steps[1]!, steps[3]!]) b.at(0, frame(...s) as never);
    expect(diffTranscripts(new Transcript(a.records), new Transcript(b.records))).to.deep.equal([]);
  });
});

describe('formatDiff', () => {
  it('prints a unified-style diff with an @@ header per difference', () => {
    const actual = edited((l, i) => (i === 14 ? l.replaceAll('300', '302') : i === 15 ? null : l));
    expect(
      formatDiff(diffTranscripts(golden, actual), {
        goldenLabel: 'golden.jsonl',
        actualLabel: 'actual.jsonl',
      }),
    ).to.equal(
      [
        '--- golden.jsonl',
        '+++ actual.jsonl',
        '@@ session s1, changed: golden #15, actual #15 @@',
        '- out submit-response 005 error=300 "Incorrect destination address"',
        '+ out submit-response 005 error=302 "Incorrect destination address"',
        '    params[0]: ["900","300"] → ["900","302"]',
        '    fields.errorCode: 300 → 302',
        '@@ session s1, missing: golden #16 @@',
        '- in alive 007',
      ].join('\n'),
    );
  });

  it('prints nothing for no differences, and colours when asked', () => {
    expect(formatDiff([])).to.equal('');
    const diff = diffTranscripts(
      golden,
      edited((l, i) => (i === 15 ? null : l)),
    );
    expect(formatDiff(diff, { color: true }).split('\n')[3]).to.equal(
      '\x1b[31m- in alive 007\x1b[0m',
    );
  });
});
