// Server and client CPU per submit, side by side: for working on the per-submit cost while the
// machine is busy (throughput is noise then; CPU time per submit moves much less). Each
// repetition starts a fresh process of every build given, warms it up, then measures them in a
// rotating order.
//
//   node bench/cpu.mjs [--reps 5] [--seconds 2] [--window 32] [--connections 1]
//                      [--no-transcript] [--base DIR]... [--label NAME]...
//
// Without --base: this checkout only. Each --base DIR adds a built checkout (its bin/cimd2-mock.js).
// Prints per build: median server µs/submit (user+sys from /proc), client µs/submit (the load
// generator in this process), throughput and p99, and the ratio to the first build.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { runLoad } from '../dist/bench/index.js';
import { CLI, cpuMs, median, startServer } from './lib.mjs';

const { values: argv } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '2' },
    window: { type: 'string', default: '32' },
    connections: { type: 'string', default: '1' },
    'no-transcript': { type: 'boolean', default: false },
    base: { type: 'string', multiple: true, default: [] },
  },
});
const tmp = mkdtempSync(join(os.tmpdir(), 'cimd2-cpu-'));
const builds = [{ name: 'this', cli: CLI }];
for (const dir of argv.base) {
  const cli = join(dir, 'bin/cimd2-mock.js');
  if (!existsSync(cli)) throw new Error(`--base ${dir}: no bin/cimd2-mock.js`);
  builds.push({ name: dir, cli });
}
const reps = Number(argv.reps);
const seconds = Number(argv.seconds);
const window = Number(argv.window);
const connections = Number(argv.connections);

function cpuSelf() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function measure(port, pid, ms) {
  const s0 = cpuMs(pid);
  const c0 = cpuSelf();
  const t0 = performance.now();
  const r = await runLoad({
    port,
    user: 'bench',
    password: 'bench',
    connections,
    window,
    durationMs: ms,
  });
  const wall = performance.now() - t0;
  const server = cpuMs(pid) - s0;
  const client = cpuSelf() - c0;
  const n = Math.max(1, r.answered);
  return {
    rate: r.throughput,
    p99: r.latency.p99,
    serverUs: (server * 1000) / n,
    clientUs: (client * 1000) / n,
    serverPct: (server / wall) * 100,
  };
}

const results = new Map(builds.map((b) => [b.name, []]));
for (let rep = 0; rep < reps; rep++) {
  const order = builds.map((_, i) => builds[(i + rep) % builds.length]);
  for (const b of order) {
    const file = join(tmp, 't.jsonl');
    rmSync(file, { force: true });
    const args = [b.cli, '--port', '0', '--no-watch', '--quiet'];
    if (!argv['no-transcript']) args.push('--transcript', file);
    const server = await startServer(b.name, args);
    try {
      await measure(server.port, server.pid, 700);
      const m = await measure(server.port, server.pid, seconds * 1000);
      results.get(b.name).push(m);
      process.stderr.write(
        `rep ${rep + 1} ${b.name}: ${Math.round(m.rate)}/s server ${m.serverUs.toFixed(1)} µs client ${m.clientUs.toFixed(1)} µs p99 ${m.p99.toFixed(2)} ms\n`,
      );
    } finally {
      await server.stop();
    }
  }
}
const first = median(results.get(builds[0].name).map((m) => m.serverUs));
const rows = [];
for (const b of builds) {
  const ms = results.get(b.name);
  const serverUs = median(ms.map((m) => m.serverUs));
  rows.push(
    `${b.name}: server ${serverUs.toFixed(1)} µs/submit (${(serverUs / first).toFixed(2)}× first), client ${median(ms.map((m) => m.clientUs)).toFixed(1)} µs/submit, ${Math.round(median(ms.map((m) => m.rate)))}/s, server CPU ${median(ms.map((m) => m.serverPct)).toFixed(0)} %, p99 ${median(ms.map((m) => m.p99)).toFixed(2)} ms`,
  );
}
process.stdout.write(
  `${connections} × ${window}, transcript file ${argv['no-transcript'] ? 'OFF' : 'ON'}, ${reps} reps × ${seconds} s\n${rows.join('\n')}\n`,
);
rmSync(tmp, { recursive: true, force: true });
