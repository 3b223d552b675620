/**
 * The built CLI against an unlucky operator: closed stdout/stderr pipes, durations Node cannot
 * time, a reused or rotated transcript file, SIGHUP/SIGINT/SIGUSR1, and the admin token kept out
 * of the process list and the logs.
 */
import { expect } from 'chai';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CimdClient } from '../../src/testing/cimd-client.js';
import { BIN, runCli, spawnCli, type CliProcess } from '../helpers/cli.js';

const LISTENING = /^cimd2-mock listening on 127\.0\.0\.1:(\d+)$/;

interface Rec {
  seq: number;
  kind: string;
  dir?: string;
  raw?: string;
  runId?: string;
  reason?: string;
  counts?: { records: number };
}

function records(file: string): Rec[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Rec);
}

async function until(what: string, test: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Logs in, submits `n` messages, logs out; returns the raw answers received. */
async function traffic(port: number, n = 3, user = 'u'): Promise<number> {
  const c = await CimdClient.connect({ port });
  await c.login(user, 'p');
  let ok = 0;
  for (let i = 0; i < n; i++) if ((await c.submit({ destination: '123', text: `m${i}` })).ok) ok++;
  await c.close();
  return ok;
}

describe('cimd2-mock lifecycle (e2e)', function () {
  this.timeout(30_000);
  let dir: string;
  const running: CliProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-mock-lifecycle-'));
  });

  afterEach(async () => {
    for (const p of running.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGKILL');
        await p.exit();
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  async function serve(
    args: string[],
    env: NodeJS.ProcessEnv = {},
  ): Promise<{ p: CliProcess; port: number }> {
    const p = spawnCli(['--port', '0', ...args], { env });
    running.push(p);
    const line = await p.firstLine();
    const m = LISTENING.exec(line);
    if (m === null) throw new Error(`unexpected readiness line ${line}; stderr=${p.stderr}`);
    return { p, port: Number(m[1]) };
  }

  describe('closed stdout and stderr pipes', () => {
    it('a reader gone after the readiness line: the mock keeps serving and stops on SIGTERM with exit 0', async () => {
      const { p, port } = await serve([]);
      p.child.stdout.destroy();
      p.child.stderr.destroy();
      // Every session logs "session opened"/"session closed" to the closed stderr.
      for (let i = 0; i < 3; i++) expect(await traffic(port)).to.equal(3);
      expect(p.child.exitCode).to.equal(null);
      p.child.kill('SIGTERM');
      expect(await p.exit()).to.equal(0);
    });

    it('`2>&1 | head -1`: the mock outlives head and still answers', async () => {
      const ready = join(dir, 'ready.json');
      const pipeline = spawn(
        'sh',
        ['-c', `"${process.execPath}" "${BIN}" --port 0 --ready-file "${ready}" 2>&1 | head -1`],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      pipeline.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      await until('the ready file', () => existsSync(ready) && readFileSync(ready, 'utf8') !== '');
      const { port, pid } = JSON.parse(readFileSync(ready, 'utf8')) as {
        port: number;
        pid: number;
      };
      try {
        await until('head to print the line', () => out.includes('\n'));
        expect(out).to.match(/^cimd2-mock listening on 127\.0\.0\.1:\d+\n$/);
        for (let i = 0; i < 3; i++) expect(await traffic(port)).to.equal(3);
        expect(() => process.kill(pid, 0), 'the mock is alive').to.not.throw();
      } finally {
        process.kill(pid, 'SIGTERM');
      }
      const code = await new Promise<number | null>((resolve) => pipeline.on('close', resolve));
      expect(code).to.equal(0);
    });

    it('--transcript - with a closed stdout: serving goes on, exit 1 at stop (the transcript is lost)', async () => {
      const { p, port } = await serve(['--transcript', '-']);
      p.child.stdout.destroy();
      p.child.stderr.destroy();
      for (let i = 0; i < 3; i++) expect(await traffic(port)).to.equal(3);
      p.child.kill('SIGTERM');
      expect(await p.exit()).to.equal(1);
    });
  });

  describe('durations over 24 days', () => {
    for (const [flag, value] of [
      ['--login-timeout', '2200000'],
      ['--idle-timeout', '2147484'],
      ['--keepalive', '3000000'],
      ['--ack-timeout', '1e9'],
    ] as const) {
      it(`${flag} ${value} is refused: one line, exit 2`, async () => {
        const r = await runCli(['--port', '0', flag, value]);
        expect(r.code).to.equal(2);
        expect(r.stdout).to.equal('');
        const lines = r.stderr.trim().split('\n');
        expect(lines).to.have.length(1);
        expect(lines[0]).to.include(flag).and.include('at most 2073600 seconds (24 days)');
      });
    }

    it('24 days exactly is accepted, and a connection is not closed at once', async () => {
      const { p, port } = await serve(['--login-timeout', '2073600', '--idle-timeout', '2073600']);
      const socket = net.connect(port, '127.0.0.1');
      let closed = false;
      socket.on('close', () => (closed = true));
      socket.on('error', () => undefined);
      await new Promise((r) => setTimeout(r, 300));
      expect(closed).to.equal(false);
      socket.destroy();
      expect(p.stderr).to.not.include('TimeoutOverflowWarning');
    });

    it('send --timeout over 24 days is refused with exit 2', async () => {
      const r = await runCli(['send', '--user', 'u', '--password', 'p', '--timeout', '3000000']);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include('timeout must be at most 2073600 seconds');
    });

    it('a scenario with delay: 700h is refused at file:line:col (serve exit 1, validate exit 1)', async () => {
      const file = join(dir, 'slow.yaml');
      writeFileSync(
        file,
        'version: 1\nrules:\n  - id: slow\n    when: { op: submit }\n    then: [ { delay: 700h }, { respond: {} } ]\n',
      );
      const served = await runCli(['--port', '0', '--scenario', file]);
      expect(served.code).to.equal(1);
      expect(served.stdout).to.equal('');
      expect(served.stderr).to.include(
        `${file}:5:22: rules[0].then[0].delay: duration "700h" is too long: at most 24 days`,
      );
      const validated = await runCli(['validate', file]);
      expect(validated.code).to.equal(1);
      expect(validated.stdout + validated.stderr).to.include(`${file}:5:22`);
    });

    it('the control API refuses such a scenario with 400', async () => {
      const { p } = await serve(['--admin-port', '0']);
      const out = await p.waitStdout((s) => s.split('\n').length > 2);
      const admin = /admin on (http:\/\/\S+)/.exec(out)?.[1] ?? '';
      const res = await fetch(`${admin}/scenario`, {
        method: 'PUT',
        headers: { 'content-type': 'application/yaml' },
        body: 'version: 1\nschedule:\n  - after: 577h\n    disconnect: {}\n',
      });
      expect(res.status).to.equal(400);
      expect(await res.text()).to.include('is too long: at most 24 days');
    });
  });

  describe('the transcript file across runs', () => {
    async function oneRun(transcript: string, args: string[] = []): Promise<CliProcess> {
      const { p, port } = await serve(['--transcript', transcript, ...args]);
      expect(await traffic(port, 2)).to.equal(2);
      p.child.kill('SIGTERM');
      expect(await p.exit()).to.equal(0);
      return p;
    }

    it('a second run replaces the file by default and says so on stderr', async () => {
      const t = join(dir, 't.jsonl');
      await oneRun(t);
      const first = records(t);
      const second = await oneRun(t);
      expect(second.stderr).to.match(/transcript file .*t\.jsonl replaced \(it held \d+ bytes/);
      const recs = records(t);
      expect(recs.map((r) => r.seq)).to.deep.equal(recs.map((_, i) => i + 1));
      expect(recs.filter((r) => r.kind === 'server-start')).to.have.length(1);
      expect(recs.length).to.equal(first.length);
    });

    it('--transcript-mode append keeps the old records, continues seq, marks each run with its id', async () => {
      const t = join(dir, 't.jsonl');
      await oneRun(t);
      const n = records(t).length;
      const second = await oneRun(t, ['--transcript-mode', 'append']);
      expect(second.stderr).to.not.include('replaced');
      const recs = records(t);
      expect(recs.map((r) => r.seq)).to.deep.equal(recs.map((_, i) => i + 1));
      const starts = recs.filter((r) => r.kind === 'server-start');
      expect(starts).to.have.length(2);
      expect(starts[1]?.seq).to.equal(n + 1);
      expect(starts[0]?.runId).to.be.a('string');
      expect(starts[1]?.runId).to.be.a('string').and.not.equal(starts[0]?.runId);
      const stops = recs.filter((r) => r.kind === 'server-stop');
      expect(stops.map((r) => r.counts?.records)).to.deep.equal([n - 1, recs.length - n - 1]);
    });

    it('a truncation under the running mock (copytruncate): writing goes on at the new end, no NUL bytes', async () => {
      const t = join(dir, 't.jsonl');
      const { p, port } = await serve(['--transcript', t]);
      expect(await traffic(port, 5)).to.equal(5);
      await until('records in the file', () => readFileSync(t, 'utf8').includes('"session-close"'));
      truncateSync(t, 0);
      expect(await traffic(port, 2, 'after')).to.equal(2);
      p.child.kill('SIGTERM');
      expect(await p.exit()).to.equal(0);
      const text = readFileSync(t, 'utf8');
      expect(text).to.not.include('\u0000');
      const recs = records(t);
      expect(recs.at(-1)?.kind).to.equal('server-stop');
      expect(recs[0]?.kind).to.equal('session-open');
      const seqs = recs.map((r) => r.seq);
      expect(seqs).to.deep.equal(seqs.map((_, i) => seqs[0]! + i));
      expect(p.stderr).to.include('was truncated under the mock');
    });

    it('a rename under the running mock: the file is created again at the path; SIGUSR1 reopens on demand', async () => {
      const t = join(dir, 't.jsonl');
      const { p, port } = await serve(['--transcript', t]);
      expect(await traffic(port, 2)).to.equal(2);
      await until('records in the file', () => readFileSync(t, 'utf8').includes('"session-close"'));
      renameSync(t, `${t}.1`);
      expect(await traffic(port, 2, 'second')).to.equal(2);
      await until(
        'the file again',
        () => existsSync(t) && readFileSync(t, 'utf8').includes('"session-close"'),
      );
      renameSync(t, `${t}.2`);
      p.child.kill('SIGUSR1');
      await until('the reopen', () => p.stderr.includes('reopened (SIGUSR1)'));
      expect(existsSync(t)).to.equal(true);
      expect(await traffic(port, 2, 'third')).to.equal(2);
      p.child.kill('SIGTERM');
      expect(await p.exit()).to.equal(0);
      const all = [...records(`${t}.1`), ...records(`${t}.2`), ...records(t)];
      expect(all.map((r) => r.seq)).to.deep.equal(all.map((_, i) => i + 1));
      expect(records(t).at(-1)?.kind).to.equal('server-stop');
      expect(readFileSync(`${t}.2`, 'utf8')).to.include('"user":"second"');
    });

    for (const signal of ['SIGHUP', 'SIGINT'] as const) {
      it(`${signal} flushes and stops like SIGTERM: every frame clients received is recorded, server-stop, summary, exit 0`, async () => {
        const t = join(dir, 't.jsonl');
        const { p, port } = await serve(['--transcript', t]);
        const clients = await Promise.all(
          Array.from({ length: 3 }, async (_, i) => {
            const c = await CimdClient.connect({ port });
            await c.login(`c${i}`, 'p');
            return c;
          }),
        );
        const answers = await Promise.all(
          clients.flatMap((c) =>
            Array.from({ length: 15 }, (_, i) => c.submit({ destination: '1', text: `t${i}` })),
          ),
        );
        expect(answers.every((a) => a.ok)).to.equal(true);
        p.child.kill(signal);
        expect(await p.exit()).to.equal(0);
        await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
        const recs = records(t);
        expect(recs.at(-1)?.kind).to.equal('server-stop');
        expect(recs.at(-1)?.reason).to.equal(signal);
        const out = recs.filter((r) => r.kind === 'frame' && r.dir === 'out');
        expect(out.filter((r) => r.raw?.startsWith('\x0253:'))).to.have.length(45);
        expect(p.stderr).to.include('cimd2-mock summary');
      });
    }
  });

  describe('the admin token outside the command line', () => {
    const TOKEN = 'tok-9f8e7d6c5b4a-secret';

    async function adminOf(p: CliProcess): Promise<string> {
      const out = await p.waitStdout((s) => s.split('\n').length > 2);
      return /admin on (http:\/\/\S+)/.exec(out)?.[1] ?? '';
    }

    async function exercise(p: CliProcess): Promise<void> {
      const admin = await adminOf(p);
      expect((await fetch(`${admin}/health`)).status).to.equal(401);
      expect(
        (await fetch(`${admin}/health`, { headers: { authorization: 'Bearer nope' } })).status,
      ).to.equal(401);
      expect(
        (await fetch(`${admin}/health`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
      ).to.equal(200);
      const cmdline = readFileSync(`/proc/${p.child.pid}/cmdline`, 'utf8');
      expect(cmdline).to.not.include(TOKEN);
      p.child.kill('SIGTERM');
      expect(await p.exit()).to.equal(0);
      expect(p.stdout + p.stderr).to.not.include(TOKEN);
    }

    it('from CIMD2_MOCK_ADMIN_TOKEN: required by the API, in no log line, not in argv', async () => {
      const { p } = await serve(['--admin-port', '0', '--log-format', 'json'], {
        CIMD2_MOCK_ADMIN_TOKEN: TOKEN,
      });
      await exercise(p);
    });

    it('from --admin-token-file (trimmed): required by the API, in no log line, not in argv', async () => {
      const file = join(dir, 'token');
      writeFileSync(file, `  ${TOKEN}\n`);
      chmodSync(file, 0o600);
      const { p } = await serve(['--admin-port', '0', '--admin-token-file', file]);
      await exercise(p);
      expect(p.stderr).to.not.include('readable by every user');
    });

    it('an empty or missing token file, or two token flags, are refused: one line, exit 2', async () => {
      const empty = join(dir, 'empty');
      writeFileSync(empty, ' \n');
      const cases: [string[], RegExp][] = [
        [['--admin-token-file', empty], /admin token file .*empty is empty/],
        [['--admin-token-file', join(dir, 'nope')], /cannot read admin token file .*nope: ENOENT/],
        [
          ['--admin-token', 'x', '--admin-token-file', empty],
          /give the admin token once: --admin-token or --admin-token-file/,
        ],
      ];
      for (const [args, message] of cases) {
        const r = await runCli(['--port', '0', '--admin-port', '0', ...args]);
        expect(r.code, args.join(' ')).to.equal(2);
        expect(r.stdout).to.equal('');
        expect(r.stderr.trim().split('\n')).to.have.length(1);
        expect(r.stderr).to.match(message);
      }
      const env = await runCli(['--port', '0', '--admin-port', '0'], {
        env: { CIMD2_MOCK_ADMIN_TOKEN: '' },
      });
      expect(env.code).to.equal(2);
      expect(env.stderr).to.include('CIMD2_MOCK_ADMIN_TOKEN is set but empty');
    });

    it('warns when the token file is readable by every user', async () => {
      const file = join(dir, 'token');
      writeFileSync(file, TOKEN);
      chmodSync(file, 0o644);
      const { p } = await serve(['--admin-port', '0', '--admin-token-file', file]);
      await adminOf(p);
      await until('the warning', () => p.stderr.includes('readable by every user'));
      expect(p.stderr).to.not.include(TOKEN);
    });
  });
});
