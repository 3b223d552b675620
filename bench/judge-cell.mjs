// The benchmark cell "1 × 32 with the judge on" (docs/judge.md#cost): the same load — one
// connection, window 32 (the load generator logs in with 019:32), transcript file ON — against
// a mock with the default scenario (the client judge on, as by default) and against the same
// mock started with `--no-judge` (the judge not attached; `checks: { all: off }` would keep it
// attached and judging, only silent), interleaved, fresh processes per repetition, medians.
// The judge's cost is 1 − on / off; the target is ≤ 5 %.
//
//   node bench/judge-cell.mjs [--reps N] [--seconds S] [--warm S]   (needs `npm run build`)
//
// bench/run.mjs runs it as the section `judge` (`--only judge`).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runLoad } from '../dist/bench/index.js';
import { CLI, ROOT, cpuMs, median, startServer } from './lib.mjs';

/** Largest judge cost (share of throughput) the cell accepts. */
export const JUDGE_COST_MAX = 0.05;

async function measure(server, seconds) {
  const cpu0 = cpuMs(server.pid);
  const r = await runLoad({
    port: server.port,
    user: 'bench',
    password: 'bench',
    connections: 1,
    window: 32,
    durationMs: seconds * 1000,
    timeoutMs: 5000,
  });
  return {
    throughput: r.throughput,
    errors: r.errors,
    serverUs: ((cpuMs(server.pid) - cpu0) * 1000) / Math.max(1, r.answered),
  };
}

/** Runs the cell; `log` gets progress lines. Returns the medians and the cost. */
export async function judgeCell({
  reps = 5,
  seconds = 1.5,
  warmSeconds = 3,
  log = () => undefined,
} = {}) {
  const tmp = mkdtempSync(join(os.tmpdir(), 'cimd2-bench-judge-'));
  const base = readFileSync(join(ROOT, 'scenarios/default.yaml'), 'utf8');
  const scenario = join(tmp, 'judge.yaml');
  writeFileSync(scenario, base);
  const samples = { on: [], off: [] };
  log(
    `[judge] 1 × 32, transcript ON, judge on vs off: ${reps} repetitions × ${seconds} s after ${warmSeconds} s of warm-up`,
  );
  try {
    for (let rep = 0; rep < reps; rep++) {
      const order = rep % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
      for (const key of order) {
        const transcript = join(tmp, `${key}.jsonl`);
        rmSync(transcript, { force: true });
        const server = await startServer(`judge-${key}`, [
          CLI,
          '--port',
          '0',
          '--no-watch',
          '--quiet',
          '--scenario',
          scenario,
          ...(key === 'off' ? ['--no-judge'] : []),
          '--transcript',
          transcript,
        ]);
        try {
          // As the throughput cells: a fresh process speeds up for seconds (V8 optimising the
          // per-frame path; the judge's code too), so each gets load first.
          await measure(server, warmSeconds);
          samples[key].push(await measure(server, seconds));
        } finally {
          await server.stop();
        }
      }
      log(`  repetition ${rep + 1}/${reps} done`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const row = (s) => ({
    throughput: median(s.map((x) => x.throughput)),
    serverUs: median(s.map((x) => x.serverUs)),
    errors: s.reduce((n, x) => n + x.errors, 0),
  });
  const on = row(samples.on);
  const off = row(samples.off);
  // Per-repetition ratios, measured side by side, then their median.
  const ratio = median(samples.on.map((x, i) => x.throughput / samples.off[i].throughput));
  return { on, off, ratio, cost: 1 - ratio, ok: 1 - ratio <= JUDGE_COST_MAX };
}

/** The cell as a Markdown section for bench/RESULTS.md. */
export function judgeReport(r) {
  if (r === undefined || r.error !== undefined)
    return `\n## Client judge (1 × 32)\n\n${r?.error ?? 'not run'}\n`;
  const f0 = (n) => Math.round(n).toLocaleString('en-US');
  return [
    '',
    '## Client judge (1 × 32, transcript ON)',
    '',
    '| judge | submits/s | server µs/submit |',
    '| --- | --- | --- |',
    `| on (default) | ${f0(r.on.throughput)} | ${r.on.serverUs.toFixed(1)} |`,
    `| off (\`--no-judge\`) | ${f0(r.off.throughput)} | ${r.off.serverUs.toFixed(1)} |`,
    '',
    `Cost of the judge: ${(r.cost * 100).toFixed(1)} % of throughput (target ≤ ${JUDGE_COST_MAX * 100} %): ${r.ok ? 'met' : 'NOT met'}.`,
    '',
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { reps: { type: 'string' }, seconds: { type: 'string' }, warm: { type: 'string' } },
  });
  const r = await judgeCell({
    reps: Number(values.reps ?? 5),
    seconds: Number(values.seconds ?? 1.5),
    warmSeconds: Number(values.warm ?? 3),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${judgeReport(r)}\n`);
  process.exitCode = r.ok && r.on.errors === 0 && r.off.errors === 0 ? 0 : 1;
}
