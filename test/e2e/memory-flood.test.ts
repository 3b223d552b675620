/**
 * Memory bounded in bytes: four clients flooding the mock with 4 KB frames, the mock running under
 * a 256 MB heap. Every frame is recorded (raw bytes included), so a transcript kept in memory by
 * record count grew to gigabytes and the process died; the in-memory transcript now has a byte
 * budget (`--memory-transcript`), older records leave memory, and the mock keeps serving.
 */
import { expect } from 'chai';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { encodeFrame } from '../../src/protocol/encoder.js';
import { BIN } from '../helpers/cli.js';

const CLIENTS = 4;
const FRAMES_PER_CLIENT = 12_000;
const TEXT = 'x'.repeat(4000);

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

/** Logs in, sends `count` 4 KB submits as fast as the socket takes them, reads every answer. */
function flood(port: number, user: string, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let answers = 0;
    let tail = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      const text = tail + chunk;
      let i = text.indexOf('\x03');
      let from = 0;
      while (i !== -1) {
        answers++;
        from = i + 1;
        i = text.indexOf('\x03', from);
      }
      tail = text.slice(from);
      if (answers >= count + 1) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      resolve(answers - 1);
    });
    const frames: Buffer[] = [
      encodeFrame({
        op: 1,
        pn: 1,
        params: [
          { code: 10, value: user },
          { code: 11, value: 'secret' },
        ],
      }),
    ];
    for (let n = 0; n < count; n++) {
      frames.push(
        encodeFrame({
          op: 3,
          pn: (3 + 2 * n) % 256,
          params: [
            { code: 21, value: '+358401234567' },
            { code: 33, value: TEXT },
          ],
        }),
      );
    }
    let next = 0;
    const pump = (): void => {
      while (next < frames.length) {
        const ok = socket.write(frames[next++]!);
        if (!ok) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    socket.on('connect', pump);
  });
}

describe('memory bounded in bytes (4 KB frame flood under a 256 MB heap)', function () {
  this.timeout(180_000);
  let child: ChildProcessWithoutNullStreams | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
  });

  it('keeps serving, within its memory formula, and reports the records that left memory', async () => {
    child = spawn(process.execPath, [
      '--max-old-space-size=256',
      BIN,
      'serve',
      '--port',
      '0',
      '--admin-port',
      '0',
      '--memory-transcript',
      '32MiB',
      '--no-watch',
    ]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const deadline = Date.now() + 20_000;
    while (!/admin on http:\/\/\S+\n/.test(out)) {
      if (Date.now() > deadline) throw new Error(`no readiness: ${out} ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    const admin = /admin on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(port, out).to.be.greaterThan(0);
    expect(admin, out).to.be.a('string');
    const pid = child.pid ?? 0;

    const answered = await Promise.all(
      Array.from({ length: CLIENTS }, (_, i) => flood(port, `flood${i}`, FRAMES_PER_CLIENT)),
    );
    expect(answered).to.deep.equal(Array.from({ length: CLIENTS }, () => FRAMES_PER_CLIENT));
    expect(child.exitCode, err).to.equal(null);
    // The formula (docs/reliability.md): heap limit + the transcript budget (+ buffers) — here well
    // under 256 + 32 + 200 MiB of runtime and socket buffers; by record count it passed 1 GiB.
    expect(rssMiB(pid)).to.be.below(490);

    const t = await fetch(`${admin}/transcript?limit=1`);
    expect(t.status).to.equal(200);
    expect(t.headers.get('x-truncated')).to.equal('true');
    await t.text();
    // Still serving: a fresh client logs in and gets its answer.
    expect(await flood(port, 'after', 1)).to.equal(1);
  });
});
