// Benchmark cell "1 × 32 with a console following": the 1 connection × window 32 load with and
// without a client following GET /events (what the web console does), interleaved, fresh mock
// processes each repetition; target: the follower costs at most 10 % of the throughput.
//
// Registered in bench/run.mjs (`--only console`). The follower is a separate process, as a
// browser would be: `node bench/console-follow.mjs follow ADMIN_URL [QUERY]` reads the event
// stream and, on SIGTERM, prints {"events","lastId","bytes","cpuMs"} (events = records received) and
// exits. It asks for what the console asks for: `GET /events?batch=true` (one `records` event
// per batch); BENCH_EVENTS_QUERY= (empty) measures the default one-event-per-record stream.
import { spawn } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);

/** The query of the stream followed (what the console asks for). */
const QUERY = process.env.BENCH_EVENTS_QUERY ?? 'batch=true';
/** Bytes that start each record: its event (one per record), or its line in a batch's array. */
const RECORD_EVENT = Buffer.from('\nevent: record\n');
const RECORD_LINE = Buffer.from('{"seq":');
const ID = Buffer.from('id: ');

/** Occurrences of `pattern` in `buf`. */
function countOf(buf, pattern) {
  let n = 0;
  for (let at = buf.indexOf(pattern); at >= 0; at = buf.indexOf(pattern, at + 1)) n++;
  return n;
}

/**
 * The follower process: reads /events until SIGTERM, then prints what it got. It counts on the
 * bytes (no decoding, no string joins): on this 2-core machine its own CPU competes with the mock
 * and the load generator, and the cell is about what following costs the server.
 */
function follow(adminUrl, query) {
  const RECORD = /(^|&)batch=true(&|$)/.test(query) ? RECORD_LINE : RECORD_EVENT;
  let events = 0;
  let bytes = 0;
  let lastId = 0;
  // The last bytes of the previous chunk: a pattern cut in two is found across the joint.
  let tail = Buffer.alloc(0);
  const keep = RECORD.length - 1;
  let cpu0;
  const req = http.get(`${adminUrl}/events${query === '' ? '' : `?${query}`}`, (res) => {
    cpu0 = process.cpuUsage();
    res.on('data', (chunk) => {
      bytes += chunk.length;
      events += countOf(Buffer.concat([tail, chunk.subarray(0, keep)]), RECORD);
      events += countOf(chunk, RECORD);
      const idAt = chunk.lastIndexOf(ID);
      if (idAt >= 0) {
        const nl = chunk.indexOf(0x0a, idAt);
        if (nl > 0) lastId = Number(chunk.toString('latin1', idAt + ID.length, nl)) || lastId;
      }
      tail =
        chunk.length >= keep
          ? Buffer.from(chunk.subarray(chunk.length - keep))
          : Buffer.concat([tail, chunk]).subarray(-keep);
    });
  });
  req.on('error', (e) => {
    process.stderr.write(`follower: ${e.message}\n`);
    process.exit(1);
  });
  process.on('SIGTERM', () => {
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    process.stdout.write(`${JSON.stringify({ events, lastId, bytes, cpuMs })}\n`);
    process.exit(0);
  });
  process.stdout.write('following\n');
}

/** Starts a follower of `adminUrl`; resolves once it listens; `stop()` resolves with its counts. */
async function startFollower(adminUrl) {
  const child = spawn(process.execPath, [SELF, 'follow', adminUrl, QUERY], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  await new Promise((resolve, reject) => {
    const onData = (s) => {
      out += s;
      if (out.includes('following\n')) {
        child.stdout.off('data', onData);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`follower exited (${code})`)));
  });
  // The stream is open once the mock answered its headers; give it a moment.
  await new Promise((r) => setTimeout(r, 100));
  return {
    async stop() {
      let rest = '';
      child.stdout.on('data', (s) => (rest += s));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      const line = rest.trim().split('\n').at(-1) ?? '{}';
      return JSON.parse(line);
    },
  };
}

/**
 * Runs the cell. `ctx`: run.mjs's `start(name, args, opts)`, `mockArgs(extra)`,
 * `measure(target, connections, window, seconds)`, `log`, `median`, `reps`, `seconds`, `tmp`.
 */
export async function consoleFollowing(ctx) {
  const { start, mockArgs, measure, log, median, reps, seconds, tmp } = ctx;
  log(`[+] 1 × 32 with a console following: ${reps} repetitions × ${seconds} s, interleaved`);
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const plain = [];
  const followed = [];
  const ratios = [];
  const delivered = [];
  const followerUs = [];
  const followerBytes = [];
  for (let rep = 0; rep < reps; rep++) {
    const server = await start(
      'mock-console',
      mockArgs(['--transcript', join(tmp, `console-${rep}.jsonl`)]),
      { admin: true },
    );
    const target = { server };
    await measure(target, 1, 32, Math.min(0.5, seconds));
    const withFollower = async () => {
      const follower = await startFollower(server.adminUrl);
      const before = await lastSeq(server.adminUrl);
      const m = await measure(target, 1, 32, seconds);
      const after = await lastSeq(server.adminUrl);
      // Let the follower catch up with what was written, then count.
      await new Promise((r) => setTimeout(r, 300));
      const got = await follower.stop();
      delivered.push(got.events / Math.max(1, after - before));
      // What reading the stream cost the follower (from its first response byte on), per record.
      followerUs.push((got.cpuMs * 1000) / Math.max(1, got.events));
      followerBytes.push(got.bytes / Math.max(1, got.events));
      return m;
    };
    // Alternate which goes first, so neither always meets a warmer or a fuller process.
    let a;
    let b;
    if (rep % 2 === 0) {
      a = await measure(target, 1, 32, seconds);
      b = await withFollower();
    } else {
      b = await withFollower();
      a = await measure(target, 1, 32, seconds);
    }
    plain.push(a);
    followed.push(b);
    ratios.push(b.throughput / a.throughput);
    await server.stop();
    log(`  repetition ${rep + 1}/${reps}: ${(b.throughput / a.throughput).toFixed(3)}×`);
  }
  return {
    plain: median(plain.map((x) => x.throughput)),
    followed: median(followed.map((x) => x.throughput)),
    plainUs: median(plain.map((x) => x.serverUsPerSubmit)),
    followedUs: median(followed.map((x) => x.serverUsPerSubmit)),
    followedP99: median(followed.map((x) => x.p99)),
    plainP99: median(plain.map((x) => x.p99)),
    ratio: median(ratios),
    delivered: median(delivered),
    followerUsPerRecord: median(followerUs),
    bytesPerRecord: median(followerBytes),
    errors: [...plain, ...followed].reduce((n, x) => n + x.errors, 0),
    load,
    query: QUERY,
  };
}

async function lastSeq(adminUrl) {
  const h = await (await fetch(`${adminUrl}/health`)).json();
  return h.lastSeq;
}

const f0 = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–');
const f2 = (v) => (Number.isFinite(v) ? v.toFixed(2) : '–');

/** The section of bench/RESULTS.md. */
export function consoleReport(c) {
  if (c === undefined || c.skipped === true || c.ratio === undefined) {
    if (c?.error !== undefined)
      return `\n## 1 × 32 with a console following\n\nNot measured: ${c.error}\n`;
    return '';
  }
  const met = c.ratio >= 0.9 && c.errors === 0;
  return `
## 1 × 32 with a console following

1 connection × window 32, transcript file ON, with and without a client following
\`GET /events${c.query ? `?${c.query}` : ''}\` (a separate process, as the web console's browser would be), interleaved in each
repetition on a fresh mock; the ratio is the median of per-repetition ratios. Load average when
the cell started: ${c.load}.

| figure | target | measured | |
|---|---|---|---|
| 1 × 32 with a console following | ≥ 0.90 × without (≤ 10 % loss) | ${c.ratio.toFixed(2)}×: ${f0(c.followed)}/s, ${f2(c.followedUs)} µs/submit vs ${f0(c.plain)}/s, ${f2(c.plainUs)} µs/submit | ${met ? 'met' : '**not met**'} |
| records the follower received | all of them | ${(Math.min(1, c.delivered) * 100).toFixed(1)} % | ${c.delivered >= 0.999 ? 'met' : '**not met**'} |
| p99 latency, followed / not | – | ${f2(c.followedP99)} ms / ${f2(c.plainP99)} ms | – |
| stream bytes per record; follower CPU per record | – | ${f0(c.bytesPerRecord)} B; ${f2(c.followerUsPerRecord)} µs | – |
`;
}

if (process.argv[2] === 'follow') follow(process.argv[3], process.argv[4] ?? '');
