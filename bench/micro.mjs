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
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { inProcessMock } from './lib.mjs';

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
  const { mock, run } = await inProcessMock(d.url, {
    window,
    options: argv.file ? { transcript: join(tmp, `t${i}.jsonl`), transcriptMode: 'replace' } : {},
  });
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
