/** run --assert, assert, diff and show on real transcripts made by the spawned CLI. */
import { expect } from 'chai';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from '../helpers/cli.js';

const CLIENT = join(ROOT, 'test/fixtures/cli/client.mjs');

const PASSING = `- name: two orders
  count:
    match: { op: submit, dir: in, fields: { text: { prefix: 'Order ' } } }
    equals: 2
- sequence:
    - { op: login }
    - { op: submit }
    - { op: status-report, dir: out }
- noFrameErrors: true
- statusReportFor: { destination: '+358401234567', status: delivered }
`;

describe('transcript commands (e2e)', function () {
  this.timeout(30_000);
  let dir: string;
  let transcript: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-mock-tcli-'));
    transcript = join(dir, 't.jsonl');
    writeFileSync(join(dir, 'pass.yaml'), PASSING);
    const r = await runCli([
      'run',
      '--port',
      '0',
      '--quiet',
      '--transcript',
      transcript,
      '--assert',
      join(dir, 'pass.yaml'),
      '--',
      process.execPath,
      CLIENT,
      'Order 1',
      'Order 2',
    ]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/all 4 expectations passed/);
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('run --assert exits 1 and prints the failing expectation when the transcript disagrees', async () => {
    const failing = join(dir, 'fail.yaml');
    writeFileSync(failing, '- count:\n    match: { op: submit, dir: in }\n    equals: 5\n');
    const r = await runCli([
      'run',
      '--port',
      '0',
      '--quiet',
      '--assert',
      failing,
      '--',
      process.execPath,
      CLIENT,
      'only one',
    ]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/expected exactly 5/);
  });

  it('assert: 0 on a pass, 1 on a failure, 2 on an invalid expectations file with file:line:col', async () => {
    expect((await runCli(['assert', transcript, join(dir, 'pass.yaml')])).code).to.equal(0);
    const failing = join(dir, 'fail2.yaml');
    writeFileSync(failing, '- noUnmatched: true\n- count:\n    match: { op: alive }\n    min: 1\n');
    const f = await runCli(['assert', transcript, failing]);
    expect(f.code).to.equal(1);
    expect(f.stderr).to.match(/alive/);
    const invalid = join(dir, 'invalid.yaml');
    writeFileSync(
      invalid,
      '- count:\n    match: { op: submit, fields: { destination: { prefx: "+358" } } }\n',
    );
    const i = await runCli(['assert', transcript, invalid]);
    expect(i.code).to.equal(2);
    expect(i.stderr).to.match(new RegExp(`invalid\\.yaml:2:\\d+: .*prefx`));
  });

  it('diff: a transcript matches itself, a changed text is reported, --update rewrites the golden', async () => {
    expect((await runCli(['diff', transcript, transcript])).stdout).to.match(/transcripts match/);
    const changed = join(dir, 'changed.jsonl');
    writeFileSync(changed, readFileSync(transcript, 'utf8').replaceAll('Order 2', 'Order X'));
    const d = await runCli(['diff', transcript, changed]);
    expect(d.code).to.equal(1);
    expect(d.stdout).to.include('Order X');
    const golden = join(dir, 'golden.jsonl');
    copyFileSync(transcript, golden);
    expect((await runCli(['diff', golden, changed, '--update'])).code).to.equal(0);
    expect(readFileSync(golden, 'utf8')).to.equal(readFileSync(changed, 'utf8'));
  });

  it('diff ignores volatile values: a second run of the same conversation matches', async () => {
    const second = join(dir, 'second.jsonl');
    const r = await runCli([
      'run',
      '--port',
      '0',
      '--quiet',
      '--transcript',
      second,
      '--',
      process.execPath,
      CLIENT,
      'Order 1',
      'Order 2',
    ]);
    expect(r.code).to.equal(0);
    const d = await runCli(['diff', transcript, second]);
    expect(d.code, d.stdout).to.equal(0);
  });

  it('show prints a ladder of the conversation', async () => {
    const r = await runCli(['show', '--no-color', transcript]);
    expect(r.code).to.equal(0);
    const lines = r.stdout.split('\n');
    expect(lines.some((l) => /→.*submit.*Order 1/.test(l))).to.equal(true);
    expect(lines.some((l) => /←.*status-report/.test(l))).to.equal(true);
  });
});
