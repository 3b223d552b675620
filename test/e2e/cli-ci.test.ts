/**
 * The built CLI in a real test suite: flags, exit codes, `run` on an ephemeral port, the
 * transcript on stdout, `show -`/`--follow`, resend flags, and `send` waiting for the final
 * status report and for MOs.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { READINESS_LINE } from '../../src/cli/follow.js';
import { CimdClient } from '../../src/testing/cimd-client.js';
import { BIN, ROOT, runCli, spawnCli, type CliProcess } from '../helpers/cli.js';

const LISTENING = /^cimd2-mock listening on 127\.0\.0\.1:(\d+)$/;
const REPORTS = join(ROOT, 'test/fixtures/cli/reports.yaml');
const MO = join(ROOT, 'test/fixtures/cli/mo.yaml');

interface Rec {
  seq: number;
  kind: string;
  op?: number;
  dir?: string;
  pn?: number;
  attempts?: number;
  params?: [string, string][];
}

function jsonl(text: string): Rec[] {
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Rec);
}

describe('cimd2-mock CLI in a test suite (e2e)', function () {
  this.timeout(30_000);
  let dir: string;
  const running: CliProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-mock-ci-'));
  });

  afterEach(async () => {
    for (const p of running.splice(0)) {
      if (p.child.exitCode === null) {
        p.child.kill('SIGKILL');
        await p.exit();
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  function start(args: string[]): CliProcess {
    const p = spawnCli(args);
    running.push(p);
    return p;
  }

  async function serve(args: string[]): Promise<{ p: CliProcess; port: number }> {
    const p = start(['serve', '--port', '0', ...args]);
    const line = await p.firstLine();
    const m = LISTENING.exec(line);
    expect(m, line).to.not.equal(null);
    return { p, port: Number(m![1]) };
  }

  const sendArgs = (port: number, ...more: string[]): string[] => [
    'send',
    '--port',
    String(port),
    '--user',
    'u',
    '--password',
    'p',
    ...more,
  ];

  describe('flags and exit codes', () => {
    it('--watch is accepted and reloads the scenario; --no-watch is accepted too', async () => {
      const scenario = join(dir, 's.yaml');
      writeFileSync(scenario, 'version: 1\nname: first\n');
      const { p } = await serve(['--watch', '--scenario', scenario]);
      writeFileSync(scenario, 'version: 1\nname: second\nrules: []\n');
      const deadline = Date.now() + 10_000;
      while (!p.stderr.includes('scenario reloaded') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(p.stderr).to.include('scenario reloaded');
      const off = await serve(['--no-watch', '--scenario', scenario]);
      expect(off.p.child.exitCode).to.equal(null);
    });

    it('a CIMD2 port in use exits 1 with one line', async () => {
      const blocker = net.createServer();
      await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
      const port = (blocker.address() as net.AddressInfo).port;
      try {
        for (const args of [
          ['--port', String(port)],
          ['run', '--port', String(port), '--', process.execPath, '-e', ''],
          ['--port', '0', '--admin-port', String(port)],
        ]) {
          const r = await runCli(args);
          expect(r.code, args.join(' ')).to.equal(1);
          expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
          expect(r.stderr).to.match(/already in use/);
        }
      } finally {
        blocker.close();
      }
    });

    it('usage errors (unknown flag, bad value) exit 2 with one line naming the flag', async () => {
      const cases: [string[], RegExp][] = [
        [['--no-such-flag'], /unknown option '--no-such-flag'/],
        [['--ack-timeout', '0'], /--ack-timeout.*above 0/],
        [['--ack-timeout', 'soon'], /--ack-timeout/],
        [['run', '--resends', '-1', '--', 'true'], /--resends.*integer from 0 to 100/],
        [['--window', '0'], /--window.*integer from 1 to 128/],
        [['send', '--user', 'u', '--password', 'p', '--wait-report', 'x'], /--wait-report/],
        [['send', '--user', 'u', '--password', 'p', '--to', '1'], /--text is missing/],
        [
          ['send', '--user', 'u', '--password', 'p', '--expect-status', 'great'],
          /--expect-status.*delivered/,
        ],
      ];
      for (const [args, message] of cases) {
        const r = await runCli(args);
        expect(r.code, args.join(' ')).to.equal(2);
        expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
        expect(r.stderr).to.match(message);
      }
    });
  });

  it('error texts from the SMSC are cut at a word boundary, never mid-word', async () => {
    const { port } = await serve([]);
    const r = await runCli(sendArgs(port, '--to', 'abcdefghijkl', '--text', 'hi'));
    expect(r.code).to.equal(1);
    const full = 'parameter 021 (destination address): "abcdefghijkl" is not an address';
    const m = /^98 ERROR pn=003 8 (.+)$/.exec(r.stdout.trim());
    expect(m, r.stdout).to.not.equal(null);
    const text = m![1]!;
    expect(text.length).to.be.at.most(64);
    expect(full.startsWith(text), text).to.equal(true);
    expect(full[text.length]).to.equal(' ');
  });

  it('diff --ignore works before or after the file names (repeatable, comma-separated)', async () => {
    const client = join(ROOT, 'test/fixtures/cli/client.mjs');
    const files = await Promise.all(
      ['Order 1', 'Order 2'].map(async (text, i) => {
        const file = join(dir, `t${i}.jsonl`);
        const r = await runCli([
          'run',
          '--quiet',
          '--transcript',
          file,
          '--',
          process.execPath,
          client,
          text,
        ]);
        expect(r.code, r.stderr).to.equal(0);
        return file;
      }),
    );
    const [a, b] = files as [string, string];
    const plain = await runCli(['diff', a, b]);
    expect(plain.code).to.equal(1);
    expect(plain.stdout).to.include('Order 2');
    for (const args of [
      ['diff', '--ignore', 'fields.text,raw', '--ignore', 'params.033,assembled:text', a, b],
      ['diff', a, b, '--ignore', 'fields.text,raw', '--ignore', 'params.033,assembled:text'],
      ['diff', a, '--ignore', 'fields.text,raw,params.033,assembled:text', b],
    ]) {
      const r = await runCli(args);
      expect(r.stdout + r.stderr, args.join(' ')).to.equal('transcripts match\n');
      expect(r.code).to.equal(0);
    }
  });

  describe('run', () => {
    const script =
      'const p=process.env; const s=require("net").connect(+p.CIMD2_MOCK_PORT, p.CIMD2_MOCK_HOST, ()=>{ console.log(JSON.stringify({port:+p.CIMD2_MOCK_PORT, host:p.CIMD2_MOCK_HOST, address:p.CIMD2_MOCK_ADDRESS, admin:p.CIMD2_MOCK_ADMIN_URL ?? null})); s.end(); });';

    it('defaults to an ephemeral port, so parallel runs do not collide', async () => {
      const runs = await Promise.all(
        [0, 1].map(() =>
          runCli(['run', '--quiet', '--admin-port', '0', '--', process.execPath, '-e', script]),
        ),
      );
      const seen = runs.map((r) => {
        expect(r.code, r.stderr).to.equal(0);
        const line = r.stdout.trim().split('\n').at(-1)!;
        return JSON.parse(line) as { port: number; host: string; address: string; admin: string };
      });
      for (const s of seen) {
        expect(s.port).to.be.greaterThan(0).and.not.equal(9971);
        expect(s.host).to.equal('127.0.0.1');
        expect(s.address).to.equal(`127.0.0.1:${s.port}`);
        expect(s.admin).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      }
      expect(seen[0]!.port).to.not.equal(seen[1]!.port);
    });

    it('--port still overrides', async () => {
      const free = net.createServer();
      await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
      const port = (free.address() as net.AddressInfo).port;
      await new Promise((r) => free.close(r));
      const r = await runCli([
        'run',
        '--quiet',
        '--port',
        String(port),
        '--',
        process.execPath,
        '-e',
        script,
      ]);
      expect(r.code, r.stderr).to.equal(0);
      expect((JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { port: number }).port).to.equal(
        port,
      );
    });
  });

  describe('--transcript -', () => {
    it('serve: the readiness lines, then every record as JSONL (held ones first), nothing else', async () => {
      const p = start(['--port', '0', '--admin-port', '0', '--transcript', '-']);
      const port = Number(LISTENING.exec(await p.firstLine())![1]);
      const c = await CimdClient.connect({ port });
      await c.login('u', 'p');
      await c.submit({ destination: '+358401234567', text: 'hi' });
      await c.logout();
      await p.waitStdout((s) => s.includes('"logout"') || s.includes('"op":2,'));
      p.child.kill('SIGTERM');
      expect(await p.exit()).to.equal(0);
      const lines = p.stdout.trim().split('\n');
      expect(lines[0]).to.match(LISTENING);
      expect(lines[1]).to.match(/^cimd2-mock admin on http:/);
      expect(lines[2]).to.match(/^cimd2-mock console on http:/);
      const records = jsonl(lines.slice(3).join('\n'));
      expect(records[0]!.kind).to.equal('server-start');
      expect(records[1]!.kind).to.equal('scenario-loaded');
      expect(records.at(-1)!.kind).to.equal('server-stop');
      expect(records.map((r) => r.seq)).to.deep.equal(records.map((_, i) => i + 1));
      expect(records.some((r) => r.kind === 'frame' && r.op === 3 && r.dir === 'in')).to.equal(
        true,
      );
      expect(p.stderr).to.include('cimd2-mock summary');
    });

    it('run: the command’s stdout goes to stderr so stdout stays JSONL', async () => {
      const r = await runCli([
        'run',
        '--quiet',
        '--transcript',
        '-',
        '--',
        process.execPath,
        '-e',
        'console.log("from the command")',
      ]);
      expect(r.code, r.stderr).to.equal(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).to.match(LISTENING);
      // Then the control API and console lines (on by default, an ephemeral port under run).
      expect(lines[1]).to.match(/^cimd2-mock admin on http:/);
      expect(lines[2]).to.match(/^cimd2-mock console on http:/);
      const records = jsonl(lines.slice(3).join('\n'));
      expect(records[0]!.kind).to.equal('server-start');
      expect(records.at(-1)!.kind).to.equal('server-stop');
      expect(r.stderr).to.include('from the command');
    });
  });

  describe('show', () => {
    it('show - reads the transcript from stdin (readiness lines of serve skipped)', async () => {
      const p = start(['--port', '0', '--transcript', '-']);
      const port = Number(LISTENING.exec(await p.firstLine())![1]);
      const c = await CimdClient.connect({ port });
      await c.login('u', 'p');
      await c.logout();
      p.child.kill('SIGTERM');
      expect(await p.exit()).to.equal(0);
      const show = spawn(process.execPath, [BIN, 'show', '--no-color', '-'], { cwd: ROOT });
      let out = '';
      show.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      show.stdin.end(p.stdout);
      const code = await new Promise((r) => show.on('close', r));
      expect(code).to.equal(0);
      expect(out).to.match(/server listening on 127\.0\.0\.1:\d+/);
      expect(out).to.match(/c1 {2}→ {2}login 001 user=u {2}\[/);
      expect(out).to.match(/server stopped: SIGTERM\n$/);
    });

    it('show --follow prints records as they arrive and stops at server-stop', async () => {
      const transcript = join(dir, 't.jsonl');
      const { p, port } = await serve(['--transcript', transcript]);
      const f = start(['show', '--follow', '--no-color', transcript]);
      await f.waitStdout((s) => s.includes('server listening'));
      const c = await CimdClient.connect({ port });
      await c.login('shop', 'secret');
      // The login line carries its rule: the request waited for its decision record.
      await f.waitStdout((s) => /login 001 user=shop {2}\[(rule |default)/.test(s));
      await c.submit({ destination: '+358401234567', text: 'live' });
      await f.waitStdout((s) => s.includes('"live"'));
      expect(f.child.exitCode).to.equal(null);
      await c.logout();
      p.child.kill('SIGTERM');
      expect(await p.exit()).to.equal(0);
      expect(await f.exit()).to.equal(0);
      expect(f.stdout).to.match(/server stopped: SIGTERM\n$/);
    });

    it('show --follow stops on SIGINT (exit 0) when no server-stop comes', async () => {
      const transcript = join(dir, 'partial.jsonl');
      writeFileSync(
        transcript,
        '{"seq":1,"ts":"2026-01-01T12:00:00.000Z","kind":"server-start","host":"127.0.0.1","port":1,"scenario":null,"version":"0"}\n',
      );
      const f = start(['show', '--follow', transcript]);
      await f.waitStdout((s) => s.includes('server listening on 127.0.0.1:1'));
      f.child.kill('SIGINT');
      expect(await f.exit()).to.equal(0);
    });
  });

  it('--ack-timeout and --resends: an unanswered deliver is resent, then given up', async () => {
    const { p, port } = await serve([
      '--scenario',
      MO,
      '--transcript',
      '-',
      '--ack-timeout',
      '0.2',
      '--resends',
      '1',
    ]);
    const c = await CimdClient.connect({ port, autoAck: false });
    await c.login('u', 'p');
    const first = await c.nextDeliver({ timeoutMs: 5000 });
    const again = await c.nextDeliver({
      timeoutMs: 5000,
      match: (d) => d.frame.pn === first.frame.pn,
    });
    expect(again.frame.pn).to.equal(first.frame.pn);
    const out = await p.waitStdout((s) => s.includes('"kind":"ack-timeout"'));
    const records = out
      .slice(0, out.lastIndexOf('\n'))
      .split('\n')
      .filter((l) => !READINESS_LINE.test(l));
    const timeout = jsonl(records.join('\n')).find((r) => r.kind === 'ack-timeout')!;
    expect(timeout).to.include({ op: 20, pn: first.frame.pn, attempts: 2 });
    await c.close();
  });

  it('--window: server requests awaiting an answer at once', async () => {
    for (const window of [1, 2]) {
      const { port } = await serve(['--scenario', MO, '--window', String(window)]);
      const c = await CimdClient.connect({ port, autoAck: false });
      await c.login('u', 'p');
      await c.nextDeliver({ timeoutMs: 5000 });
      const second = await c
        .nextDeliver({ timeoutMs: 600 })
        .then(() => true)
        .catch(() => false);
      expect(second, `window ${window}`).to.equal(window === 2);
      await c.close();
    }
  });

  describe('send', () => {
    it('--wait-report asks for reports itself and waits for the final status (delivered → 0)', async () => {
      const transcript = join(dir, 't.jsonl');
      const { p, port } = await serve(['--transcript', transcript]); // built-in default scenario
      const r = await runCli(
        sendArgs(port, '--to', '+358401234567', '--text', 'hi', '--wait-report', '5'),
      );
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout.trim().split('\n')[1]).to.match(/^23 status 4 delivered 021=\+358401234567/);
      p.child.kill('SIGTERM');
      await p.exit();
      const submit = jsonl(readFileSync(transcript, 'utf8')).find(
        (x) => x.kind === 'frame' && x.op === 3,
      )!;
      expect(submit.params).to.deep.include(['056', '62']);
    });

    it('waits past an intermediate report to the final one', async () => {
      const { port } = await serve(['--scenario', REPORTS]);
      const r = await runCli(
        sendArgs(port, '--to', '+358421', '--text', 'x', '--wait-report', '5'),
      );
      expect(r.code, r.stdout).to.equal(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[1]).to.match(/^23 status 1 in-process /);
      expect(lines[2]).to.match(/^23 status 4 delivered /);
      expect(lines).to.have.length(3);
    });

    it('exits 1 when the final status is not delivered, 0 with --expect-status naming it', async () => {
      const { port } = await serve(['--scenario', REPORTS]);
      const failed = await runCli(
        sendArgs(port, '--to', '+358411', '--text', 'x', '--wait-report', '5'),
      );
      expect(failed.code).to.equal(1);
      expect(failed.stdout).to.match(/^23 status 3 failed 021=\+358411 060=\d{12} 062=1 /m);
      expect(failed.stdout).to.match(/final status is not delivered/);
      const expected = await runCli(
        sendArgs(
          port,
          '--to',
          '+358411',
          '--text',
          'x',
          '--wait-report',
          '5',
          '--expect-status',
          'failed',
        ),
      );
      expect(expected.code, expected.stdout).to.equal(0);
      const delivered = await runCli(
        sendArgs(
          port,
          '--to',
          '+358401',
          '--text',
          'x',
          '--wait-report',
          '5',
          '--expect-status',
          'failed',
        ),
      );
      expect(delivered.code).to.equal(1);
    });

    it('exits 1 when no final report comes in time', async () => {
      const { port } = await serve(['--scenario', REPORTS]);
      // No rule, no 056 bits for the built-in report: nothing comes.
      const r = await runCli(
        sendArgs(
          port,
          '--to',
          '+4600',
          '--text',
          'x',
          '--status-report',
          '0',
          '--wait-report',
          '0.5',
        ),
      );
      expect(r.code).to.equal(1);
      expect(r.stdout).to.match(/no final status report within 0\.5 s/);
    });

    it('--wait-mo prints each MO (from, to, text), acknowledges it, and needs no submit', async () => {
      const transcript = join(dir, 't.jsonl');
      const { p, port } = await serve(['--scenario', MO, '--transcript', transcript]);
      const r = await runCli(sendArgs(port, '--wait-mo', '1.5'));
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.trim().split('\n')).to.have.members([
        '20 mo from=+358409999999 to=12345 text="Hello from the network"',
        '20 mo from=+358408888888 to=12345 text="Second MO"',
      ]);
      p.child.kill('SIGTERM');
      await p.exit();
      const acks = jsonl(readFileSync(transcript, 'utf8')).filter(
        (x) => x.kind === 'frame' && x.op === 70 && x.dir === 'in',
      );
      expect(acks).to.have.length(2);
    });

    it('--wait-mo exits 1 when no MO arrives', async () => {
      const { port } = await serve([]);
      const r = await runCli(sendArgs(port, '--wait-mo', '0.3'));
      expect(r.code).to.equal(1);
      expect(r.stdout).to.include('no MO within 0.3 s');
    });
  });

  describe('docs/cli.md matches --help', () => {
    const section = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
    const flags = (text: string): string[] => [
      ...new Set([...text.matchAll(/(?<![\w-])--?[a-z][a-z-]*/g)].map((m) => m[0])),
    ];
    const help = async (command: string): Promise<string> => {
      const r = await runCli([command, '--help']);
      expect(r.code, command).to.equal(0);
      return r.stdout;
    };

    it('every serve/run option in the table is listed by serve --help and run --help', async () => {
      const table = section
        .split('\n')
        .filter((l) => l.startsWith('| `-'))
        .map((l) => l.split('|')[1]!)
        .join(' ');
      const documented = flags(table);
      expect(documented).to.include.members(['--watch', '--ack-timeout', '--resends', '--window']);
      for (const command of ['serve', 'run']) {
        const text = await help(command);
        for (const flag of documented) expect(text, `${command} --help`).to.include(flag);
      }
    });

    it('every send option is listed by send --help, every other flag by some --help', async () => {
      const sendPart = section.slice(
        section.indexOf('`send` options:'),
        section.indexOf('Exit 0 when every part'),
      );
      const sendHelp = await help('send');
      for (const flag of flags(sendPart)) expect(sendHelp, 'send --help').to.include(flag);
      const all = (
        await Promise.all(
          ['serve', 'run', 'validate', 'explain', 'send', 'assert', 'diff', 'show', 'bench'].map(
            help,
          ),
        )
      ).join('\n');
      for (const flag of flags(section)) expect(all, flag).to.include(flag);
    });
  });
});
