/**
 * Durability and safe defaults of the built CLI: SIGTERM and SIGKILL under load, transcript disk
 * failures, bind and control-API defaults, and no passwords in logs.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameDecoder } from '../../src/protocol/decoder.js';
import { CimdClient } from '../../src/testing/cimd-client.js';
import { spawnCli, type CliProcess } from '../helpers/cli.js';

const LISTENING = /^cimd2-mock listening on (127\.0\.0\.1|0\.0\.0\.0):(\d+)( \(all interfaces\))?$/;

/** A raw CIMD2 client that logs in, then sends the next submit on every answer until closed. */
class LoadClient {
  readonly received: string[] = [];
  private readonly socket: net.Socket;
  private readonly decoder = new FrameDecoder();
  private next = 3;
  private sent = 0;
  readonly closed: Promise<void>;
  readonly id: number;

  constructor(port: number, id: number) {
    this.id = id;
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      this.socket.once('close', () => {
        resolve();
      });
    });
    this.socket.on('data', (chunk: Buffer) => {
      for (const r of this.decoder.push(chunk)) {
        if (!r.ok) continue;
        this.received.push(r.raw.toString('latin1'));
        if (r.frame.op === 51 || r.frame.op === 53) this.submit();
      }
    });
    this.socket.write(`\x0201:001\t010:load${id}\t011:pw\t\x03`, 'latin1');
  }

  private submit(): void {
    if (this.socket.destroyed) return;
    const pn = String(this.next).padStart(3, '0');
    this.next = this.next >= 255 ? 1 : this.next + 2;
    this.sent++;
    this.socket.write(`\x0203:${pn}\t021:+3584${this.id}${this.sent}\t033:load\t\x03`, 'latin1');
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

async function until(what: string, test: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('cimd2-mock durability and safe defaults (e2e)', function () {
  this.timeout(30_000);
  let dir: string;
  const running: CliProcess[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-mock-durability-'));
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

  async function serve(args: string[]): Promise<{ p: CliProcess; port: number; line: string }> {
    const p = spawnCli(['--port', '0', ...args]);
    running.push(p);
    const line = await p.firstLine();
    const m = LISTENING.exec(line);
    if (m === null) throw new Error(`unexpected readiness line ${line}; stderr=${p.stderr}`);
    return { p, port: Number(m[2]), line };
  }

  describe('signals under load', () => {
    it('SIGTERM: every frame a client received is in the transcript, which ends with server-stop', async () => {
      const transcript = join(dir, 't.jsonl');
      const { p, port } = await serve(['--transcript', transcript]);
      const clients = Array.from({ length: 5 }, (_, i) => new LoadClient(port, i));
      await until('load', () => clients.every((c) => c.received.length > 50));
      p.child.kill('SIGTERM');
      expect(await p.exit()).to.equal(0);
      await Promise.all(clients.map((c) => c.closed));
      const records = lines(transcript).map(
        (l) => JSON.parse(l) as { kind: string; dir?: string; raw?: string; seq: number },
      );
      expect(records.at(-1)?.kind).to.equal('server-stop');
      expect(records.map((r) => r.seq)).to.deep.equal(records.map((_, i) => i + 1));
      const recordedOut = new Map<string, number>();
      for (const r of records)
        if (r.kind === 'frame' && r.dir === 'out' && r.raw !== undefined)
          recordedOut.set(r.raw, (recordedOut.get(r.raw) ?? 0) + 1);
      const missing: string[] = [];
      let total = 0;
      for (const c of clients) {
        for (const raw of c.received) {
          total++;
          const n = recordedOut.get(raw) ?? 0;
          if (n === 0) missing.push(JSON.stringify(raw));
          else recordedOut.set(raw, n - 1);
        }
      }
      expect(
        missing,
        `${missing.length} of ${total} received frames not in the transcript`,
      ).to.deep.equal([]);
      expect(total).to.be.greaterThan(250);
    });

    it('SIGKILL: every transcript line but possibly the last parses', async () => {
      const transcript = join(dir, 't.jsonl');
      const { p, port } = await serve(['--transcript', transcript]);
      const clients = Array.from({ length: 5 }, (_, i) => new LoadClient(port, i));
      await until('load', () => clients.every((c) => c.received.length > 100));
      p.child.kill('SIGKILL');
      expect(await p.exit()).to.equal(137);
      for (const c of clients) c.destroy();
      const all = readFileSync(transcript, 'utf8').split('\n');
      const last = all.pop();
      const complete = all.map((l) => JSON.parse(l) as { kind: string });
      if (last !== undefined && last !== '') {
        // A partial last line is allowed (killed mid-write); nothing before it may be broken.
        expect(() => JSON.parse(last) as unknown).to.throw(SyntaxError);
      }
      expect(complete[0]?.kind).to.equal('server-start');
      expect(complete.filter((r) => r.kind === 'frame').length).to.be.greaterThan(100);
    });
  });

  describe('transcript disk failures', () => {
    it('an unwritable transcript path fails at start: exit 1, one clear line, no readiness line', async () => {
      // Missing folders are created; a path below a regular file or a folder itself cannot be opened.
      const file = join(dir, 'a-file');
      writeFileSync(file, '');
      for (const path of [join(file, 't.jsonl'), dir]) {
        const p = spawnCli(['--port', '0', '--transcript', path]);
        running.push(p);
        expect(await p.exit()).to.equal(1);
        expect(p.stdout).to.equal('');
        const errorLines = p.stderr.trim().split('\n');
        expect(errorLines).to.have.length(1);
        expect(errorLines[0]).to.match(
          new RegExp(
            `^cimd2-mock: cannot open transcript file "${path}" for writing: (ENOTDIR|EISDIR)`,
          ),
        );
      }
    });

    it('a failing disk (/dev/full) is reported while the mock keeps serving, and the exit code says so', async function () {
      if (!existsSync('/dev/full')) this.skip();
      const { p, port } = await serve(['--transcript', '/dev/full']);
      const c = await CimdClient.connect({ port });
      await c.login('u', 'p');
      await until('the write error on stderr', () => p.stderr.includes('ENOSPC'));
      expect(p.stderr).to.match(/cannot write transcript file "\/dev\/full": ENOSPC/);
      expect((await c.submit({ destination: '1', text: 'still served' })).ok).to.equal(true);
      await c.close();
      p.child.kill('SIGTERM');
      expect(await p.exit()).to.equal(1);
      expect(p.stderr).to.include('cimd2-mock summary');
      expect(p.stderr).to.include('the transcript file /dev/full is incomplete');
    });

    it('a transcript file removed under the running mock: created again at the path, the mock keeps serving', async () => {
      const transcript = join(dir, 'gone.jsonl');
      const { p, port } = await serve(['--transcript', transcript]);
      rmSync(transcript);
      const c = await CimdClient.connect({ port });
      await c.login('u', 'p');
      expect((await c.submit({ destination: '1', text: 'x' })).ok).to.equal(true);
      await until('the file again', () => existsSync(transcript));
      expect(p.stderr).to.include(`transcript file ${transcript} was removed under the mock`);
      await c.close();
      p.child.kill('SIGTERM');
      expect(await p.exit()).to.equal(0);
      const kinds = lines(transcript).map((l) => (JSON.parse(l) as { kind: string }).kind);
      expect(kinds).to.include('frame');
      expect(kinds.at(-1)).to.equal('server-stop');
    });
  });

  describe('safe defaults', () => {
    it('binds 127.0.0.1 unless told, and says "(all interfaces)" for 0.0.0.0', async () => {
      const local = await serve([]);
      expect(local.line).to.equal(`cimd2-mock listening on 127.0.0.1:${local.port}`);
      const all = await serve(['--host', '0.0.0.0']);
      expect(all.line).to.equal(`cimd2-mock listening on 0.0.0.0:${all.port} (all interfaces)`);
      const c = await CimdClient.connect({ port: all.port });
      await c.login('u', 'p');
      await c.close();
    });

    it('refuses a control API beyond loopback without a token (exit 2), and requires the token when given', async () => {
      const refused = spawnCli(['--port', '0', '--host', '0.0.0.0', '--admin-port', '0']);
      running.push(refused);
      expect(await refused.exit()).to.equal(2);
      expect(refused.stderr).to.match(
        /refusing to serve the control API on 0\.0\.0\.0 without a token/,
      );
      expect(refused.stdout).to.not.match(/listening/);
      const { p } = await serve([
        '--host',
        '0.0.0.0',
        '--admin-port',
        '0',
        '--admin-token',
        's3cr3t-token',
      ]);
      const out = await p.waitStdout((s) => s.split('\n').length > 2);
      const adminPort = Number(/admin on http:\/\/0\.0\.0\.0:(\d+)/.exec(out)?.[1]);
      const url = `http://127.0.0.1:${adminPort}/health`;
      expect((await fetch(url)).status).to.equal(401);
      expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).to.equal(
        401,
      );
      expect(
        (await fetch(url, { headers: { authorization: 'Bearer s3cr3t-token' } })).status,
      ).to.equal(200);
    });

    it('never prints passwords in logs; --redact-passwords keeps them out of the transcript too', async () => {
      const password = 'Pa55-w0rd-hardening';
      const run = async (args: string[], transcript: string): Promise<CliProcess> => {
        const { p, port } = await serve(['--transcript', transcript, ...args]);
        const c = await CimdClient.connect({ port });
        await c.login('shop', password);
        await c.submit({ destination: '1', text: 'x' });
        const bad = net.connect(port, '127.0.0.1');
        bad.on('error', () => undefined);
        bad.write(`\x0201:001\t010:shop\t011:${password}\t99\x03`, 'latin1');
        await new Promise((r) => setTimeout(r, 50));
        bad.destroy();
        await c.close();
        p.child.kill('SIGTERM');
        expect(await p.exit()).to.equal(0);
        return p;
      };
      const plain = join(dir, 'plain.jsonl');
      const redacted = join(dir, 'redacted.jsonl');
      const text = await run([], plain);
      const json = await run(['--log-format', 'json', '--redact-passwords'], redacted);
      for (const p of [text, json]) {
        expect(p.stderr).to.include('session opened');
        expect(p.stdout + p.stderr).to.not.include(password);
      }
      expect(readFileSync(plain, 'utf8')).to.include(password);
      expect(readFileSync(redacted, 'utf8')).to.not.include(password);
    });
  });
});
