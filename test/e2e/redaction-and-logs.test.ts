/**
 * The built CLI with `--redact-passwords`: no password in any byte it writes or serves, and
 * log lines that a client or an API caller cannot split or colour.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CimdClient } from '../../src/testing/cimd-client.js';
import { spawnCli, type CliProcess } from '../helpers/cli.js';

/** Rules that match on the password (no accounts: a wrong one is unmatched, with near misses). */
const BY_PASSWORD = `version: 1
name: by-password
rules:
  - id: gate
    when: { op: login, password: "Rule-Pw1" }
    then: [ { respond: {} } ]
  - id: gate-list
    when: { op: login, password: { in: ["Rule-Pw2", "Rule-Pw3"] } }
    then: [ { respond: {} } ]
  - id: by-param
    when: { op: login, param: { "011": { prefix: "Rule-Pw4" } } }
    then: [ { respond: {} } ]
  - id: by-regex
    when: { op: login, user: rx, password: { regex: "^Rule-Pw5$" } }
    then: [ { respond: {} } ]
`;

/** The scenario swapped in through the API: the accounts decide logins. */
const ACCOUNTS = `version: 1
name: accounts
accounts:
  - { user: shop, password: "Acc0unt-Pw6", maxSessions: 1 }
  - { user: other, password: "Acc0unt-Pw7" }
rules: []
`;

/** Every password the conversation below uses or the scenarios name. */
const PASSWORDS = [
  'Rule-Pw1',
  'Rule-Pw2',
  'Rule-Pw3',
  'Rule-Pw4',
  'Rule-Pw5',
  'Wrong-Pw8',
  'Acc0unt-Pw6',
  'Acc0unt-Pw7',
  'Wrong-Pw9',
];

describe('cimd2-mock --redact-passwords and log lines (e2e)', function () {
  this.timeout(60_000);
  let dir: string;
  let p: CliProcess | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-mock-redact-'));
  });

  afterEach(async () => {
    if (p?.child.exitCode === null) {
      p.child.kill('SIGKILL');
      await p.exit();
    }
    p = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(args: string[]): Promise<{ port: number; admin: string }> {
    p = spawnCli(['--port', '0', '--admin-port', '0', '--no-watch', ...args]);
    const out = await p.waitStdout((s) => s.split('\n').length > 2);
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    const admin = /admin on (http:\/\/\S+)/.exec(out)?.[1] ?? '';
    return { port, admin };
  }

  /** Logs in; resolves with the error code of a refusal, 0 for success. */
  async function login(port: number, user: string, password: string): Promise<number> {
    const c = await CimdClient.connect({ port, responseTimeoutMs: 5000 });
    try {
      await c.login(user, password);
      await c.logout();
      return 0;
    } catch (error) {
      return (error as { errorCode?: number }).errorCode ?? -1;
    } finally {
      await c.close();
    }
  }

  it('no password in the transcript file, stdout, stderr or any API answer', async () => {
    const scenario = join(dir, 'by-password.yaml');
    const transcript = join(dir, 'transcript.jsonl');
    writeFileSync(scenario, BY_PASSWORD);
    const { port, admin } = await start([
      '--scenario',
      scenario,
      '--transcript',
      transcript,
      '--redact-passwords',
    ]);
    // Rules on the password: a match, a list match, a 011 match, a regex, and a near miss.
    expect(await login(port, 'a', 'Rule-Pw1')).to.equal(0);
    expect(await login(port, 'b', 'Rule-Pw3')).to.equal(0);
    expect(await login(port, 'c', 'Rule-Pw4-and-more')).to.equal(0);
    expect(await login(port, 'rx', 'Rule-Pw5')).to.equal(0);
    expect(await login(port, 'd', 'Wrong-Pw8')).to.equal(0); // unmatched: the built-in accepts
    // Accounts: a good login, a wrong password (100), a second session of shop (102).
    const put = await fetch(`${admin}/scenario?file=accounts.yaml`, {
      method: 'PUT',
      headers: { 'content-type': 'application/yaml' },
      body: ACCOUNTS,
    });
    expect(put.status).to.equal(200);
    expect(await login(port, 'other', 'Acc0unt-Pw7')).to.equal(0);
    expect(await login(port, 'shop', 'Wrong-Pw9')).to.equal(100);
    const held = await CimdClient.connect({ port, responseTimeoutMs: 5000 });
    await held.login('shop', 'Acc0unt-Pw6');
    expect(await login(port, 'shop', 'Acc0unt-Pw6')).to.equal(102);

    const answers: string[] = [];
    for (const path of [
      '/transcript?all=true',
      '/transcript',
      '/stats',
      '/sessions',
      '/rules',
      '/scenario',
      '/state',
      '/health',
    ]) {
      const res = await fetch(`${admin}${path}`);
      expect(res.status, path).to.equal(200);
      answers.push(`${path}: ${await res.text()}`);
    }
    await held.close();
    p!.child.kill('SIGTERM');
    expect(await p!.exit()).to.equal(0);

    const file = readFileSync(transcript, 'utf8');
    const everything = { file, stdout: p!.stdout, stderr: p!.stderr, api: answers.join('\n') };
    for (const [where, text] of Object.entries(everything)) {
      for (const pw of PASSWORDS) expect(text, `${pw} in ${where}`).to.not.include(pw);
    }
    // The redaction did happen where the passwords were (the test is not vacuous).
    const records = file
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; explanation?: string; raw?: string });
    const explanations = records
      .filter((r) => r.kind === 'decision' || r.kind === 'unmatched')
      .map((r) => r.explanation ?? '');
    expect(explanations).to.include.members([
      'rule "gate": op "login" is "login", password "***" is "***" → answer OK',
    ]);
    const unmatched = records.find((r) => r.kind === 'unmatched')?.explanation ?? '';
    expect(unmatched).to.include('password "***" is not "***"');
    expect(unmatched).to.include('password "***" is not one of "***", "***"');
    expect(unmatched).to.include('parameter 011 "***" does not start with "***"');
    expect(explanations.join('\n')).to.include('password "***" matches /***/');
    expect(explanations).to.include(
      'accounts: wrong password for "shop": error 100 (Invalid login)',
    );
    const logins = records.filter((r) => r.raw?.startsWith('\x0201:') === true);
    expect(logins.length).to.be.greaterThan(5);
    for (const r of logins) expect(r.raw).to.include('\t011:***\t');
    const scenarioAnswer = answers.find((a) => a.startsWith('/scenario:')) ?? '';
    expect(scenarioAnswer).to.include('password: \\"***\\"');
  });

  it('a control character from an API caller cannot forge or colour a log line', async () => {
    await start([]);
    const admin = /admin on (http:\/\/\S+)/.exec(p!.stdout)?.[1] ?? '';
    const name = 'x.yaml\n2026-01-01T00:00:00.000Z info  forged line\x1b[31mred\x9b1m';
    const res = await fetch(`${admin}/scenario?file=${encodeURIComponent(name)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/yaml' },
      body: 'rules: 3\n',
    });
    expect(res.status).to.equal(400);
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (p!.stderr.includes('scenario rejected')) resolve();
        else setTimeout(check, 20);
      };
      check();
    });
    p!.child.kill('SIGTERM');
    await p!.exit();
    const lines = p!.stderr.split('\n');
    const rejected = lines.filter((l) => l.includes('scenario rejected'));
    expect(rejected.length).to.be.greaterThan(0);
    for (const l of rejected) {
      expect(l).to.match(/^\d{4}-\d\d-\d\dT\S+Z warn {2}scenario rejected \(api\)/);
      expect(l).to.include(
        'x.yaml\\n2026-01-01T00:00:00.000Z info  forged line\\x1b[31mred\\x9b1m',
      );
    }
    expect(lines.some((l) => l.startsWith('2026-01-01T00:00:00.000Z'))).to.equal(false);
    expect(p!.stderr).to.not.match(/[\x1b\x9b]/);
  });
});
