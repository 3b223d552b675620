/** The built CLI, spawned as users run it. */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CimdClient } from '../../src/testing/cimd-client.js';
import { ROOT, runCli, spawnCli, type CliProcess } from '../helpers/cli.js';

const LISTENING = /^cimd2-mock listening on 127\.0\.0\.1:(\d+)$/;

describe('cimd2-mock CLI (e2e)', function () {
  this.timeout(30_000);
  let dir: string;
  const running: CliProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-mock-e2e-'));
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

  function serve(args: string[]): CliProcess {
    const p = spawnCli(['--port', '0', ...args]);
    running.push(p);
    return p;
  }

  it('prints the readiness line first, writes the ready file, and runs the default scenario', async () => {
    const ready = join(dir, 'ready.json');
    const p = serve(['--ready-file', ready]);
    const line = await p.firstLine();
    const m = LISTENING.exec(line);
    expect(m, line).to.not.equal(null);
    const port = Number(m![1]);
    expect(port).to.be.greaterThan(0);
    const info = JSON.parse(readFileSync(ready, 'utf8')) as {
      host: string;
      port: number;
      adminPort: number | null;
      pid: number;
    };
    // The control API and console are on by default (an ephemeral port, as the CIMD2 port is).
    expect(info).to.deep.include({ host: '127.0.0.1', port, pid: p.child.pid });
    expect(info.adminPort).to.be.a('number').and.not.equal(port);
    const c = await CimdClient.connect({ port });
    await c.login('anyone', 'anything');
    const r = await c.submit({ destination: '+358401234567', text: 'hi', statusReportRequest: 14 });
    expect(r.ok).to.equal(true);
    const report = await c.nextStatusReport({ timeoutMs: 5000 });
    expect(report.statusName).to.equal('delivered');
    await c.logout();
  });

  it('on SIGTERM prints a summary to stderr and exits 0, with the transcript flushed', async () => {
    const transcript = join(dir, 't.jsonl');
    const p = serve(['--transcript', transcript]);
    const port = Number(LISTENING.exec(await p.firstLine())![1]);
    const c = await CimdClient.connect({ port });
    await c.login('u', 'p');
    await c.submit({ destination: '1', text: 'x' });
    p.child.kill('SIGTERM');
    expect(await p.exit()).to.equal(0);
    expect(p.stderr).to.include('cimd2-mock summary');
    expect(p.stderr).to.match(/frames in: .*submit 1/);
    const lines = readFileSync(transcript, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; seq: number });
    expect(lines[0]!.kind).to.equal('server-start');
    expect(lines.at(-1)!.kind).to.equal('server-stop');
    expect(lines.map((l) => l.seq)).to.deep.equal(lines.map((_, i) => i + 1));
    await c.close();
  });

  it('announces the control API on the second line', async () => {
    const p = serve(['--admin-port', '0']);
    const out = await p.waitStdout((s) => s.split('\n').length > 2);
    const [first, second] = out.split('\n');
    expect(first).to.match(LISTENING);
    expect(second).to.match(/^cimd2-mock admin on http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${second!.slice('cimd2-mock admin on '.length)}/health`);
    expect(res.status).to.equal(200);
  });

  it('run passes the command its environment and its exit code', async () => {
    const script =
      'const p=process.env.CIMD2_MOCK_PORT; const s=require("net").connect(+p, process.env.CIMD2_MOCK_HOST, ()=>{ s.end(); process.exit(3); });';
    const r = await runCli(['run', '--port', '0', '--quiet', '--', process.execPath, '-e', script]);
    expect(r.code).to.equal(3);
    const ok = await runCli([
      'run',
      '--port',
      '0',
      '--quiet',
      '--',
      process.execPath,
      '-e',
      'process.exit(0)',
    ]);
    expect(ok.code).to.equal(0);
  });

  it('run answers 127 for a command that does not exist', async () => {
    const r = await runCli(['run', '--port', '0', '--quiet', '--', 'no-such-command-xyz']);
    expect(r.code).to.equal(127);
    expect(r.stderr).to.match(/command not found/);
  });

  it('validate: 0 for good files, 1 with file:line:col for a bad one', async () => {
    const good = await runCli([
      'validate',
      'scenarios/default.yaml',
      'scenarios/checkout-flow.yaml',
    ]);
    expect(good.code).to.equal(0);
    expect(good.stdout).to.include('scenarios/default.yaml: ok');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'version: 1\nrules:\n  - id: x\n    when: { op: submit }\n    then: [ { respond: {} }, { delay: 1s } ]\n',
    );
    const r = await runCli(['validate', bad]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(
      new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: .+`, 'm'),
    );
  });

  it('explain prints each rule in words', async () => {
    const r = await runCli(['explain', 'scenarios/checkout-flow.yaml']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include('unknown-number');
    expect(r.stdout.split('\n').length).to.be.greaterThan(5);
  });

  it('a bad flag exits 2 with one readable line', async () => {
    const r = await runCli(['--port', 'abc']);
    expect(r.code).to.equal(2);
    expect(r.stderr.split('\n')[0]).to.match(/port/);
    const u = await runCli(['--no-such-flag']);
    expect(u.code).to.equal(2);
    expect(u.stderr).to.match(/unknown option '--no-such-flag'/);
  });

  it('a missing or invalid scenario fails with a clear message and exit 1', async () => {
    const missing = await runCli(['--port', '0', '--scenario', join(dir, 'nope.yaml')]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/nope\.yaml/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'version: 1\nrules: [ { when: { op: frobnicate }, then: [ { respond: {} } ] } ]\n',
    );
    const invalid = await runCli(['--port', '0', '--scenario', bad]);
    expect(invalid.code).to.equal(1);
    expect(invalid.stderr).to.match(/bad\.yaml:2:\d+: /);
  });

  it('a port in use fails with one line', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await runCli(['--port', String(port)]);
      expect(r.code).to.equal(1);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.match(/already in use/);
    } finally {
      blocker.close();
    }
  });

  it('send prints the 53 and the status report from a running mock', async () => {
    const p = serve([]);
    const port = Number(LISTENING.exec(await p.firstLine())![1]);
    const r = await runCli([
      'send',
      '--port',
      String(port),
      '--user',
      'u',
      '--password',
      'p',
      '--to',
      '+358401234567',
      '--text',
      'Hello @ €',
      '--status-report',
      '--wait-report',
      '5',
    ]);
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).to.match(/^53 OK pn=003 021=\+358401234567 060=\d{12}$/);
    expect(lines[1]).to.match(/^23 status 4 delivered 021=\+358401234567 060=\d{12}/);
  });
});

describe('README quick start (e2e)', function () {
  this.timeout(60_000);

  it('`npm start` builds when needed and prints the readiness line', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn('npm', ['start', '--', '--port', '0'], {
      cwd: ROOT,
      detached: true,
      env: { ...process.env },
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (out += d));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no readiness line: ${out}`));
        }, 50_000);
        child.stdout.on('data', () => {
          if (/^cimd2-mock listening on 127\.0\.0\.1:\d+$/m.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await new Promise((r) => child.once('close', r));
    }
    expect(out).to.match(/^cimd2-mock listening on 127\.0\.0\.1:\d+$/m);
  });
});
