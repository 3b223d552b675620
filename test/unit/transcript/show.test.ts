import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { Transcript } from '../../../src/transcript/query.js';
import { readTranscript } from '../../../src/transcript/reader.js';
import { showTranscript } from '../../../src/transcript/show.js';
import { handWritten } from './helpers.js';

const fixture = fileURLToPath(
  new URL('../../fixtures/transcripts/conversation.jsonl', import.meta.url),
);

describe('showTranscript', () => {
  let t: Transcript;
  before(async () => {
    t = await readTranscript(fixture);
  });

  it('prints the conversation as a ladder with times, sessions, arrows, fields and rules', () => {
    expect(showTranscript(t)).to.deep.equal([
      '12:00:00.000      ·  server listening on 127.0.0.1:9971 (scenario scenarios/checkout.yaml)',
      '12:00:00.001  c1  ·  connected from 10.0.0.1:40000',
      '12:00:00.002  c1  →  login 001 user=shop  [rule login-ok]',
      '12:00:00.003  c1  ←  login-response 001',
      '12:00:00.010  c1  →  submit 003 to=+358401234567 "Hello"  [rule dlr]',
      '12:00:00.012  c1  ←  submit-response 003 to=+358401234567 ts=260101120000',
      '12:00:00.012  c1  ·  scheduled statusReport #1 due +100ms',
      '12:00:00.020  c1  →  submit 005 to=+99123 "Bad"  [rule reject-99]',
      '12:00:00.112  c1  ·  fired statusReport #1',
      '12:00:00.112  c1  ←  status-report 000 to=+358401234567 status=delivered ts=260101120000',
      '12:00:00.115  c1  →  status-report-response 000',
      '12:00:00.250  c1  ←  submit-response 005 error=300 "Incorrect destination address"',
      '12:00:00.300  c1  →  alive 007  [unmatched]',
      '12:00:00.300  c1  ·  unmatched alive 007: rule login-ok: op is "alive", not "login"',
      '12:00:00.301  c1  ←  alive-response 007',
      '12:00:00.400  c1  ·  closed: closed by peer (0)',
      '12:00:00.500      ·  server stopped: SIGTERM',
    ]);
  });

  it('prints times relative to the first record when asked', () => {
    expect(showTranscript(t, { time: 'relative' }).slice(0, 3)).to.deep.equal([
      '+0.000s      ·  server listening on 127.0.0.1:9971 (scenario scenarios/checkout.yaml)',
      '+0.001s  c1  ·  connected from 10.0.0.1:40000',
      '+0.002s  c1  →  login 001 user=shop  [rule login-ok]',
    ]);
  });

  it('colours arrows, errors and rules when asked', () => {
    const lines = showTranscript(t, { color: true });
    expect(lines[2]).to.equal(
      '\x1b[2m12:00:00.002\x1b[0m  c1  \x1b[36m→\x1b[0m  login 001 user=shop  \x1b[35m[rule login-ok]\x1b[0m',
    );
    expect(lines[11]).to.equal(
      '\x1b[2m12:00:00.250\x1b[0m  c1  \x1b[32m←\x1b[0m  \x1b[31msubmit-response 005 error=300 "Incorrect destination address"\x1b[0m',
    );
  });

  it('prints frame errors, multipart, timeouts, cancellations and scenario events', () => {
    const h = handWritten();
    h.at(0, { kind: 'scenario-loaded', file: 's.yaml', rules: 4 });
    h.at(0, {
      kind: 'scenario-rejected',
      file: 's.yaml',
      issues: [
        { file: 's.yaml', line: 3, col: 5, message: 'rules[0]: unknown key "wen"' },
        { file: 's.yaml', line: 9, col: 7, message: 'rules[1].then: missing key' },
      ],
    });
    h.at(5, {
      kind: 'frame-error',
      session: 'c12',
      dir: 'in',
      error: 'ERR_CIMD_CHECKSUM',
      message: 'checksum mismatch: frame says 00, bytes sum to 4F',
      cimdErrorCode: 2,
      op: 3,
      opName: 'submit',
      pn: 3,
      raw: '',
      answer: { op: 99, opName: 'nack', pn: 3 },
    });
    h.at(6, {
      kind: 'frame-error',
      session: 'c12',
      dir: 'in',
      error: 'ERR_CIMD_FRAME_TOO_LONG',
      message: 'frame longer than 4096 bytes without ETX',
      cimdErrorCode: 2,
      raw: '',
      answer: { close: true },
    });
    h.at(7, {
      kind: 'assembled',
      session: 'c12',
      destination: '+4470001',
      text: 'abc',
      encoding: 'gsm7',
      parts: 3,
      reference: 42,
      packetNumbers: [3, 5, 7],
      timestamps: ['260101120000', null, '260101120001'],
    });
    h.at(8, {
      kind: 'multipart-expired',
      session: 'c12',
      destination: '1',
      reference: 9,
      total: 3,
      received: [1],
    });
    h.at(9, { kind: 'ack-timeout', session: 'c12', op: 20, opName: 'deliver', pn: 2, attempts: 3 });
    h.at(10, {
      kind: 'unexpected-response',
      session: 'c12',
      op: 70,
      opName: 'deliver-response',
      pn: 4,
    });
    h.at(11, {
      kind: 'fired',
      session: 'c12',
      id: 2,
      action: { kind: 'deliver', afterMs: 10 },
      at: '2026-01-01T12:00:00.011Z',
      cancelled: 'session closed',
    });
    h.at(12, {
      kind: 'decision',
      session: 'c12',
      pn: 9,
      op: 3,
      opName: 'submit',
      rule: 'r1',
      explanation: 'rule r1',
      actions: [{ kind: 'drop' }],
      afterwards: [],
    });
    expect(showTranscript(new Transcript(h.records))).to.deep.equal([
      '12:00:00.000       ·  scenario loaded: s.yaml (4 rules)',
      '12:00:00.000       ·  scenario rejected: s.yaml — s.yaml:3:5: rules[0]: unknown key "wen" (+1 more)',
      '12:00:00.005  c12  ✗  bad frame submit 003: checksum mismatch: frame says 00, bytes sum to 4F (answered nack)',
      '12:00:00.006  c12  ✗  bad frame: frame longer than 4096 bytes without ETX (connection closed)',
      '12:00:00.007  c12  ·  assembled 3 part(s) to=+4470001 "abc"',
      '12:00:00.008  c12  ·  multipart ref=9 to=1 expired with 1/3 part(s)',
      '12:00:00.009  c12  ·  no answer to deliver 002 after 3 attempt(s)',
      '12:00:00.010  c12  ·  unexpected deliver-response 004 (answers nothing outstanding)',
      '12:00:00.011  c12  ·  cancelled deliver #2: session closed',
      '12:00:00.012  c12  ·  decision for submit 009: [rule r1]',
    ]);
  });

  it('prints nothing for an empty transcript', () => {
    expect(showTranscript(new Transcript([]))).to.deep.equal([]);
  });
});
