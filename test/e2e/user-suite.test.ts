/**
 * cimd2-mock used as a user would, from the README: a mocha suite of their own (one mock, `reset()`
 * before each test, the `expect*` helpers imported from the package), and the shell CI flow
 * (`run --assert` around `send`, `assert` on the recorded transcript). The user's files are in
 * test/e2e/user-project/ and import the built package by its name.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, ROOT, runCli } from '../helpers/cli.js';

const PROJECT = fileURLToPath(new URL('./user-project/', import.meta.url));
const MOCHA = join(ROOT, 'node_modules/mocha/bin/mocha.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runNode(args: readonly string[], cwd: string, timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out: ${args.join(' ')}\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stdout, stderr });
    });
  });
}

describe('a user suite, from the README', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-user-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('mocha with reset() in beforeEach: each test sees only its own records, typos fail located', async () => {
    const r = await runNode(
      [
        MOCHA,
        '--no-config',
        '--no-package',
        '--require',
        'hooks.mjs',
        '--reporter',
        'spec',
        'orders.test.mjs',
      ],
      PROJECT,
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
    expect(r.stdout).to.match(/\b5 passing\b/);
    expect(r.stdout).not.to.match(/\d+ (failing|pending)/);
  });

  it('run --assert around send: noUnmatched holds for the README flow, and assert passes', async () => {
    const transcript = join(dir, 'smsc.jsonl');
    const r = await runCli(
      [
        'run',
        '--scenario',
        join(PROJECT, 'smsc.yaml'),
        '--transcript',
        transcript,
        '--assert',
        join(PROJECT, 'expectations.yaml'),
        '--',
        process.execPath,
        BIN,
        'send',
        '--user',
        'shop',
        '--password',
        'secret',
        '--to',
        '+358401000001',
        '--text',
        'Order 1 confirmed',
        '--wait-report',
        '5',
      ],
      { cwd: dir },
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
    expect(r.stdout).to.match(/^53 OK /m);
    expect(r.stdout).to.match(/^23 status 4 delivered /m);
    const kinds = readFileSync(transcript, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { kind: string }).kind);
    expect(kinds).to.include('decision');
    expect(kinds).not.to.include('unmatched');

    const again = await runCli(['assert', transcript, join(PROJECT, 'expectations.yaml')], {
      cwd: dir,
    });
    expect(again.code, again.stderr).to.equal(0);
  });

  it('the quick start (default scenario, any login) leaves nothing unmatched', async () => {
    const transcript = join(dir, 't.jsonl');
    const r = await runCli(
      [
        'run',
        '--transcript',
        transcript,
        '--',
        process.execPath,
        BIN,
        'send',
        '--user',
        'shop',
        '--password',
        'secret',
        '--to',
        '+358401234567',
        '--text',
        'Hello @ €',
        '--status-report',
        '--wait-report',
        '5',
      ],
      { cwd: dir },
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
    const records = readFileSync(transcript, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; opName?: string; explanation?: string });
    expect(records.filter((x) => x.kind === 'unmatched')).to.deep.equal([]);
    expect(records.filter((x) => x.kind === 'decision').map((x) => x.opName)).to.include.members([
      'login',
      'submit',
      'logout',
    ]);
  });

  it('assert with misspelt expectations: exit 2, one located line per mistake', async () => {
    const transcript = join(dir, 'smsc.jsonl');
    const ran = await runCli(
      [
        'run',
        '--scenario',
        join(PROJECT, 'smsc.yaml'),
        '--transcript',
        transcript,
        '--',
        process.execPath,
        '-e',
        '',
      ],
      { cwd: dir },
    );
    expect(ran.code, ran.stderr).to.equal(0);
    const typo = join(PROJECT, 'typo-expectations.yaml');
    const r = await runCli(['assert', transcript, typo], { cwd: dir });
    expect(r.code).to.equal(2);
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.includes('typo-expectations.yaml:'));
    expect(lines).to.deep.equal([
      `${typo}:4:18: [0].count.match.op: unknown operation "sumbit" (did you mean "submit"?)`,
      `${typo}:4:45: [0].count.match.fields: unknown frame field "destinaton" (did you mean "destination"?)`,
      `${typo}:6:3: [1]: unknown key "noUnmached" (did you mean "noUnmatched"?)`,
    ]);
  });
});
