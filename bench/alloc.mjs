// Bytes the built mock allocates per submit, and where: the default scenario and the memory
// transcript get a stream in place of a socket (`server.handle`), fed chunks of 32 submits; after
// a warm-up, V8's sampling heap profiler (objects collected by minor and major GCs included) runs
// over `--submits` submits. Prints the bytes per submit and the allocating functions.
//
//   node bench/alloc.mjs [--submits 50000] [--top 25] [--root DIR]
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: argv } = parseArgs({
  options: {
    submits: { type: 'string', default: '50000' },
    top: { type: 'string', default: '25' },
    root: { type: 'string' },
  },
});
const dist =
  argv.root === undefined
    ? new URL('../dist/', import.meta.url)
    : pathToFileURL(join(argv.root, 'dist/'));
const { createMockSmsc } = await import(new URL('index.js', dist).href);
const { encodeFrame } = await import(new URL('protocol/index.js', dist).href);

const mock = await createMockSmsc({ port: 0, watch: false });
let answers = 0;
const stream = new Duplex({
  read() {
    // Chunks are pushed by run().
  },
  write(_chunk, _encoding, cb) {
    answers++;
    cb();
  },
  writev(chunks, cb) {
    answers += chunks.length;
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
let pn = 3;
const chunks = Array.from({ length: 64 }, () => {
  const frames = [];
  for (let k = 0; k < 32; k++) {
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
  const target = answers + n;
  let k = 0;
  while (answers < target) {
    stream.push(chunks[k++ & 63]);
    if ((k & 7) === 0) await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setImmediate(r));
}

const n = Number(argv.submits);
await run(Math.max(n, 30_000)); // warm-up
const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 256,
  includeObjectsCollectedByMinorGC: true,
  includeObjectsCollectedByMajorGC: true,
});
await run(n);
const { profile } = await session.post('HeapProfiler.stopSampling');
const bySite = new Map();
let total = 0;
const stack = [profile.head];
while (stack.length > 0) {
  const node = stack.pop();
  const f = node.callFrame;
  if (node.selfSize > 0) {
    const site = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    total += node.selfSize;
  }
  stack.push(...node.children);
}
process.stdout.write(`${(total / n).toFixed(0)} bytes allocated per submit (sampled)\n`);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(argv.top)))
  process.stdout.write(`${(bytes / n).toFixed(0).padStart(6)}  ${site}\n`);
await mock.stop();
