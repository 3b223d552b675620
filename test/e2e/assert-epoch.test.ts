/** `cimd2-mock assert` checks the current epoch (after the last reset) by default, every record with --all. */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMockSmsc } from '../../src/mock-smsc.js';
import { CimdClient } from '../../src/testing/cimd-client.js';
import { runCli } from '../helpers/cli.js';

const ONE_SUBMIT = `- count:
    match: { op: submit, dir: in }
    equals: 1
- count:
    match: { op: submit, dir: in, fields: { text: 'second test' } }
    equals: 1
`;

describe('assert over epochs (e2e)', function () {
  this.timeout(30_000);
  let dir: string;
  let transcript: string;
  let expectations: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-mock-epoch-'));
    transcript = join(dir, 't.jsonl');
    expectations = join(dir, 'one-submit.yaml');
    writeFileSync(expectations, ONE_SUBMIT);
    const mock = await createMockSmsc({ port: 0, transcript, stopGraceMs: 0 });
    const client = await CimdClient.connect({ port: mock.port });
    await client.login('shop', 'secret');
    await client.submit({ destination: '+358401234567', text: 'first test' });
    mock.reset();
    await client.submit({ destination: '+358401234567', text: 'second test' });
    await client.close();
    await mock.stop();
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('checks only the records after the last reset by default', async () => {
    const r = await runCli(['assert', transcript, expectations]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(
      /^all 2 expectations passed \(\d+ records after the last reset; --all for every one\)\n$/,
    );
  });

  it('checks every record with --all', async () => {
    const r = await runCli(['assert', '--all', transcript, expectations]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('expected exactly 1 frame(s) matching');
    expect(r.stderr).to.include('found 2');
    expect(r.stderr).to.include('"first test"');
  });
});
