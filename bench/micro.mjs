// The mock's per-submit cost without sockets or a second process: the built mock (default
// scenario, memory transcript, optionally the transcript file) gets a stream in place of a
// socket (`server.handle`), fed chunks of `--window` submit frames, as a pipelining client's
// reads bring them; the answers are counted. Prints the CPU µs per submit of this process.
//
// Several builds (this checkout, and each --root DIR) run in the SAME process, interleaved in
// short segments, so that a busy machine slows them alike: the ratio between them is what to
// trust when throughput figures are noise.
//
//   node [--cpu-prof] bench/micro.mjs [--segment 20000] [--rounds 8] [--window 32] [--file]
//                                     [--root DIR]... [--only-roots]
import { mkdtempSync, rmSync } from 'node:fs';
import { Duplex } from 'node:stream';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: argv } = parseArgs({
  options: {
    segment: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '8' },
    window: { type: 'string', default: '32' },
    file: { type: 'boolean', default: false },
    root: { type: 'string', multiple: true, default: [] },
    'only-roots': { type: 'boolean', default: false },
  },
});
const segment = Number(argv.segment);
const window = Number(argv.window);
const tmp = mkdtempSync(join(os.tmpdir(), 'cimd2-micro-'));

const dists = [
  ...(argv['only-roots'] ? [] : [{ name: 'this', url: new URL('../dist/', import.meta.url) }]),
  ...argv.root.map((dir) => ({ name: dir, url: pathToFileURL(join(dir, 'dist/')) })),
];

async function setUp(d, i) {
  const { createMockSmsc } = await import(new URL('index.js', d.url).href);
  const { encodeFrame } = await import(new URL('protocol/index.js', d.url).href);
  const mock = await createMockSmsc({
    port: 0,
    watch: false,
    ...(argv.file ? { transcript: join(tmp, `t${i}.jsonl`), transcriptMode: 'replace' } : {}),
  });
  const state = { answers: 0 };
  const stream = new Duplex({
    read() {
      // Chunks are pushed by run().
    },
    write(_chunk, _enc, cb) {
      state.answers++;
      cb();
    },
    writev(chunks, cb) {
      state.answers += chunks.length;
      cb();
    },
  });
  mock.server.handle(stream, { id: 'c1', host: '127.0.0.1', port: 1 });
  const login = [
    { code: 10, value: 'bench' },
    { code: 11, value: 'bench' },
  ];
  stream.push(encodeFrame({ op: 1, pn: 1, params: login }));
  await new Promise((r) => setImmediate(r));
  // One chunk per window: `window` submits with consecutive odd packet numbers.
  let pn = 3;
  const chunks = Array.from({ length: 64 }, () => {
    const frames = [];
    for (let k = 0; k < window; k++) {
      const params = [
        { code: 21, value: '+358401234567' },
        { code: 33, value: 'Hello from cimd2-mock bench' },
      ];
      frames.push(encodeFrame({ op: 3, pn, params }));
      pn = pn >= 253 ? 1 : pn + 2;
    }
    return Buffer.concat(frames);
  });
  async function run(n) {
    const target = state.answers + n;
    let k = 0;
    while (state.answers < target) {
      stream.push(chunks[k++ & 63]);
      // Let the stream deliver the chunks and run the write callbacks, as the event loop would.
      if ((k & 7) === 0) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setImmediate(r));
  }
  return { ...d, mock, run, figures: [] };
}

const builds = [];
for (const [i, d] of dists.entries()) builds.push(await setUp(d, i));
for (const b of builds) await b.run(Math.max(segment, 30_000)); // warm-up
for (let round = 0; round < Number(argv.rounds); round++) {
  for (let k = 0; k < builds.length; k++) {
    const b = builds[(k + round) % builds.length];
    const c0 = process.cpuUsage();
    await b.run(segment);
    const c = process.cpuUsage(c0);
    b.figures.push((c.user + c.system) / segment);
  }
}
const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const first = median(builds[0].figures);
for (const b of builds) {
  const m = median(b.figures);
  process.stdout.write(
    `${b.name}: ${m.toFixed(2)} µs CPU/submit (min ${Math.min(...b.figures).toFixed(2)}), ${(m / first).toFixed(2)}× first — ${window} per chunk, file ${argv.file ? 'ON' : 'OFF'}\n`,
  );
}
for (const b of builds) await b.mock.stop();
rmSync(tmp, { recursive: true, force: true });
