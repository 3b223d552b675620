/**
 * The control API and console are on by default for a person (`serve` on 127.0.0.1:9972) and
 * never in CI's way: an ephemeral port with `--port 0`, under `run`, or when 9972 is taken;
 * `--no-admin` turns them off; an explicit busy `--admin-port` is an error.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CimdClient } from '../../src/testing/cimd-client.js';
import { runCli, spawnCli, type CliProcess } from '../helpers/cli.js';

const CONSOLE = /^cimd2-mock console on (http:\/\/127\.0\.0\.1:(\d+)\/)(?: \((.*)\))?$/m;

/** Binds `port` on 127.0.0.1 if free; resolves with the server, or undefined when taken. */
function hold(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => {
      resolve(undefined);
    });
    s.listen(port, '127.0.0.1', () => {
      resolve(s);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => {
        resolve(port);
      });
    });
  });
}

describe('default control API and console (e2e)', function () {
  this.timeout(30_000);
  const running: CliProcess[] = [];

  afterEach(async () => {
    for (const p of running.splice(0)) {
      if (p.child.exitCode === null) {
        p.child.kill('SIGTERM');
        await p.exit();
      }
    }
  });

  function serve(args: string[]): CliProcess {
    const p = spawnCli(args);
    running.push(p);
    return p;
  }

  it('--port 0: the readiness lines, then the console on an ephemeral port, said so', async () => {
    const p = serve(['--port', '0']);
    const out = await p.waitStdout((s) => CONSOLE.test(s));
    const lines = out.trim().split('\n');
    expect(lines[0]).to.match(/^cimd2-mock listening on 127\.0\.0\.1:\d+$/);
    expect(lines[1]).to.match(/^cimd2-mock admin on http:\/\/127\.0\.0\.1:\d+$/);
    const m = CONSOLE.exec(lines[2] ?? '');
    expect(m, lines[2]).to.not.equal(null);
    expect(m![3]).to.equal('ephemeral port: the CIMD2 port is ephemeral');
    expect(Number(m![2])).to.not.equal(9972);
    const page = await fetch(m![1]!);
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/^text\/html/);
    const health = (await (await fetch(`${m![1]!}health`)).json()) as { status: string };
    expect(health.status).to.equal('ok');
  });

  it('a fixed CIMD2 port: the console on 9972, or an ephemeral port when 9972 is taken (the mock still starts)', async () => {
    const blocker = await hold(9972);
    try {
      const port = await freePort();
      const p = serve(['--port', String(port)]);
      const out = await p.waitStdout((s) => CONSOLE.test(s));
      const m = CONSOLE.exec(out)!;
      expect(Number(m[2])).to.not.equal(9972);
      // 9972 is taken either by this test or by another program on the machine.
      expect(m[3]).to.equal('ephemeral port: 9972 is in use');
      const c = await CimdClient.connect({ port });
      await c.login('u', 'p');
      await c.close();
    } finally {
      blocker?.close();
    }
  });

  it('a fixed CIMD2 port with 9972 free: the console on 127.0.0.1:9972', async function () {
    const probe = await hold(9972);
    if (probe === undefined) this.skip();
    await new Promise((r) => probe.close(r));
    const p = serve(['--port', String(await freePort())]);
    const out = await p.waitStdout((s) => CONSOLE.test(s));
    const m = CONSOLE.exec(out)!;
    // Another program may have taken 9972 between the probe and the start.
    if (m[3] !== undefined) this.skip();
    expect(m[1]).to.equal('http://127.0.0.1:9972/');
  });

  it('--no-admin: no control API, no admin or console line; the ready file says null', async () => {
    const help = await runCli(['serve', '--help']);
    expect(help.stdout).to.include('--no-admin');
    const dir = mkdtempSync(join(tmpdir(), 'cimd2-no-admin-'));
    try {
      const ready = join(dir, 'ready.json');
      const p = serve(['--port', '0', '--no-admin', '--ready-file', ready]);
      const first = await p.firstLine();
      expect(first).to.match(/^cimd2-mock listening on /);
      const info = JSON.parse(readFileSync(ready, 'utf8')) as { adminPort: number | null };
      expect(info.adminPort).to.equal(null);
      await new Promise((r) => setTimeout(r, 300));
      expect(p.stdout).to.not.match(/admin on|console on/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--no-admin with --admin-port is a usage error (exit 2)', async () => {
    const r = await runCli(['--port', '0', '--no-admin', '--admin-port', '0']);
    expect(r.code).to.equal(2);
    expect(r.stderr.trim()).to.equal('cimd2-mock: give --admin-port or --no-admin, not both');
  });

  it('an explicit --admin-port that is busy: exit 1 with one readable line', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const busy = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await runCli(['--port', '0', '--admin-port', String(busy)]);
      expect(r.code).to.equal(1);
      expect(r.stderr.trim().split('\n')).to.deep.equal([
        `cimd2-mock: admin port ${busy} on 127.0.0.1 is already in use`,
      ]);
      expect(r.stdout).to.not.match(/listening/);
    } finally {
      blocker.close();
    }
  });

  it('a refused --admin-cors or --admin-allow-host: exit 2 before any readiness line', async () => {
    for (const [flag, value, message] of [
      ['--admin-cors', 'bogus', 'admin CORS origin must be scheme://host[:port]'],
      ['--admin-allow-host', 'a b', 'admin allowed host must be NAME or NAME:PORT'],
    ] as const) {
      const r = await runCli(['--port', '0', flag, value]);
      expect(r.code, flag).to.equal(2);
      expect(r.stderr, flag).to.include(message);
      expect(r.stdout, flag).to.equal('');
    }
  });

  it('a SIGTERM as soon as the readiness line is out stops cleanly (exit 0, summary)', async () => {
    // The console may still be starting then: the stop waits for it, never kills the process.
    const p = spawnCli(['--port', '0']);
    const first = await p.firstLine();
    p.child.kill('SIGTERM');
    expect(first).to.match(/^cimd2-mock listening on 127\.0\.0\.1:\d+$/);
    expect(await p.exit(), p.stderr).to.equal(0);
    expect(p.stderr).to.include('SIGTERM received, stopping');
    expect(p.stdout.split('\n').slice(1, 3)).to.satisfy((lines: string[]) =>
      lines.every((l) => /^cimd2-mock (admin|console) on http:\/\/127\.0\.0\.1:\d+/.test(l)),
    );
  });

  it('run: the console on an ephemeral port, its URL in CIMD2_MOCK_ADMIN_URL', async () => {
    const script = 'console.log("ADMIN=" + process.env.CIMD2_MOCK_ADMIN_URL)';
    const r = await runCli(['run', '--', process.execPath, '-e', script]);
    expect(r.code, r.stderr).to.equal(0);
    const m = CONSOLE.exec(r.stdout);
    expect(m, r.stdout).to.not.equal(null);
    expect(m![3]).to.equal('ephemeral port');
    expect(r.stdout).to.include(`ADMIN=${m![1]!.slice(0, -1)}`);
  });

  it('beyond loopback without a token, the default console stays on 127.0.0.1 and says why', async () => {
    const p = serve(['--port', '0', '--host', '0.0.0.0']);
    const out = await p.waitStdout((s) => s.includes('console on '));
    expect(out).to.match(
      /cimd2-mock console on http:\/\/127\.0\.0\.1:\d+\/ \(loopback only: set an admin token to serve it on 0\.0\.0\.0; ephemeral port: the CIMD2 port is ephemeral\)/,
    );
  });
});
