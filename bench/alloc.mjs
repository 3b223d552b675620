// Bytes the built mock allocates per submit, and where: the default scenario and the memory
// transcript get a stream in place of a socket (`server.handle`), fed chunks of 32 submits; after
// a warm-up, V8's sampling heap profiler (objects collected by minor and major GCs included) runs
// over `--submits` submits. Prints the bytes per submit and the allocating functions.
//
//   node bench/alloc.mjs [--submits 50000] [--top 25] [--root DIR]
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { inProcessMock } from './lib.mjs';

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
const { mock, run } = await inProcessMock(dist, { window: 32 });

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
