// Load time per shape: every scenario shape of the pathological corpus
// (test/fixtures/pathological/corpus.ts) and its expectations shapes, at 1 MiB (the default
// size limit), each loaded by the built loaders in a fresh process; reports wall and CPU ms per
// MiB (medians). The issue's budget: at most 1 s per MiB in any shape.
//
//   node bench/load-cell.mjs [--reps N] [--bytes B] [--only TEXT] [--dist DIR] [--write]
//                                                               (standalone; needs `npm run build`)
//   node bench/run.mjs --only load                              (as a cell of the full bench)
//
// --write replaces the "Load time per shape" section of bench/RESULTS.md (or appends it), so the
// figures can be refreshed without a full run. --only keeps the shapes whose name contains TEXT;
// --dist loads another build (e.g. a copy of `dist/` from before a change, placed next to a
// `schemas/` folder) for before/after figures.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const MIB = 1024 * 1024;
const BUDGET_MS_PER_MIB = 1000;
const TITLE = '## Load time per shape';

async function shapes(bytes) {
  const { tsImport } = await import('tsx/esm/api');
  const corpus = await tsImport('../test/fixtures/pathological/corpus.ts', import.meta.url);
  return { scenario: corpus.loadShapes(bytes), expectations: corpus.expectationShapes(bytes) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** In the child: loads one shape `reps` times, prints one JSON line. */
async function child(kind, name, reps, bytes, dist) {
  const text = (await shapes(bytes))[kind][name];
  const { analyzeScenarioText } = await import(join(dist, 'scenario/load.js'));
  const { loadExpectations } = await import(join(dist, 'transcript/expectations.js'));
  const load =
    kind === 'scenario'
      ? (t) => analyzeScenarioText(t, 'big.yaml').issues.length
      : (t) => {
          try {
            loadExpectations(t, 'e.yaml');
            return 0;
          } catch (error) {
            if (Array.isArray(error?.issues)) return error.issues.length;
            throw error;
          }
        };
  // The schema validator is compiled on first use: not part of a load.
  load(kind === 'scenario' ? 'version: 1\nx: 1\n' : '- noUnmatched: true\n- x: 1\n');
  const wall = [];
  const cpu = [];
  let issues = 0;
  for (let i = 0; i < reps; i++) {
    const c = process.cpuUsage();
    const start = performance.now();
    issues = load(text);
    wall.push(performance.now() - start);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  const size = Buffer.byteLength(text, 'utf8');
  process.stdout.write(
    `${JSON.stringify({ kind, name, bytes: size, wallMs: median(wall), cpuMs: median(cpu), issues })}\n`,
  );
}

/** Runs every shape in its own process; rows carry ms and ms per MiB. */
export async function loadCell({
  reps = 3,
  bytes = MIB,
  log = undefined,
  only = '',
  dist = join(ROOT, 'dist'),
} = {}) {
  const all = await shapes(bytes);
  const rows = [];
  for (const kind of ['scenario', 'expectations']) {
    for (const name of Object.keys(all[kind]).filter((n) => n.includes(only))) {
      const r = spawnSync(
        process.execPath,
        [
          SELF,
          '--child',
          kind,
          name,
          '--reps',
          String(reps),
          '--bytes',
          String(bytes),
          '--dist',
          dist,
        ],
        { encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 20 },
      );
      if (r.status !== 0) throw new Error(`${kind} "${name}": ${r.stderr || r.error}`);
      const row = JSON.parse(r.stdout.trim().split('\n').at(-1));
      row.wallPerMiB = (row.wallMs * MIB) / row.bytes;
      row.cpuPerMiB = (row.cpuMs * MIB) / row.bytes;
      log(
        `[load] ${kind} ${name}: ${row.wallMs.toFixed(0)} ms wall, ${row.cpuMs.toFixed(0)} ms CPU`,
      );
      rows.push(row);
    }
  }
  return { rows, reps, bytes, load: os.loadavg()[0] };
}

/** The markdown section of a {@link loadCell} result (empty when it was not run). */
export function loadSection(result) {
  if (result?.rows === undefined) {
    return result?.error === undefined || result.error === 'not run (--only)'
      ? ''
      : `\n${TITLE}\n\n**Failed:** ${result.error}\n`;
  }
  const f0 = (n) => Math.round(n).toLocaleString('en-US');
  const worst = Math.max(...result.rows.map((r) => r.cpuPerMiB));
  return `
${TITLE}

Each shape of the pathological corpus at ${f0(result.bytes / 1024)} KiB (the default size limit)
loaded by the built loaders (\`analyzeScenarioText\`, \`loadExpectations\`) in a fresh process,
median of ${result.reps} loads after a warm-up; CPU is the process's user + system time over the
load. Budget: at most ${f0(BUDGET_MS_PER_MIB)} ms per MiB in any shape; worst CPU here
${f0(worst)} ms per MiB (load average ${result.load.toFixed(2)} at the end; wall time grows with
the machine's load, CPU time much less). Reproduce: \`npm run build && node bench/load-cell.mjs\`.

| file | shape | size | wall ms | CPU ms | wall ms per MiB | CPU ms per MiB | issues listed |
|---|---|---:|---:|---:|---:|---:|---:|
${result.rows
  .map(
    (r) =>
      `| ${r.kind} | ${r.name} | ${f0(r.bytes / 1024)} KiB | ${f0(r.wallMs)} | ${f0(r.cpuMs)} | ${f0(r.wallPerMiB)} | ${f0(r.cpuPerMiB)} | ${r.issues} |`,
  )
  .join('\n')}
`;
}

if (process.argv[1] === SELF) {
  const { values: argv, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      child: { type: 'boolean', default: false },
      reps: { type: 'string', default: '3' },
      bytes: { type: 'string', default: String(MIB) },
      write: { type: 'boolean', default: false },
      only: { type: 'string', default: '' },
      dist: { type: 'string', default: join(ROOT, 'dist') },
    },
  });
  const reps = Number(argv.reps);
  const bytes = Number(argv.bytes);
  if (argv.child) {
    await child(positionals[0], positionals[1], reps, bytes, argv.dist);
  } else {
    const log = (line) => process.stderr.write(`${line}\n`);
    const dist = argv.dist;
    if (argv.write && (argv.only !== '' || dist !== join(ROOT, 'dist'))) {
      throw new Error('--write records every shape of this build: leave out --only and --dist');
    }
    const md = loadSection(await loadCell({ reps, bytes, log, only: argv.only, dist }));
    process.stdout.write(md);
    if (argv.write) {
      const file = join(ROOT, 'bench/RESULTS.md');
      const old = readFileSync(file, 'utf8');
      const at = old.indexOf(`\n${TITLE}\n`);
      const next = at === -1 ? -1 : old.indexOf('\n## ', at + 1 + TITLE.length);
      const updated =
        at === -1
          ? `${old.trimEnd()}\n${md}`
          : `${old.slice(0, at)}${md}${next === -1 ? '' : old.slice(next)}`;
      writeFileSync(file, updated);
      log(`wrote ${file}`);
    }
  }
}
