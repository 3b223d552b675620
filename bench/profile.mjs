// Profiles the built mock under load: `node --cpu-prof dist/cli/main.js …` driven by the bench's
// load generator, then prints the hot spots (self and inclusive time per function, per file, per
// category) mapped back to src/*.ts through the build's source maps.
//
//   node bench/profile.mjs [--seconds 6] [--connections 1] [--window 32] [--no-transcript]
//                          [--scenario FILE] [--top 30] [--keep DIR] [--lines]
//   node bench/profile.mjs --analyze FILE.cpuprofile [--top 30] [--lines]   (e.g. of bench/micro.mjs)
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import os from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runLoad } from '../dist/bench/index.js';
import { ROOT, sleep, startServer } from './lib.mjs';

const { values: argv } = parseArgs({
  options: {
    seconds: { type: 'string', default: '6' },
    connections: { type: 'string', default: '1' },
    window: { type: 'string', default: '32' },
    'no-transcript': { type: 'boolean', default: false },
    scenario: { type: 'string' },
    top: { type: 'string', default: '30' },
    keep: { type: 'string' },
    lines: { type: 'boolean', default: false },
    analyze: { type: 'string' },
  },
});
const seconds = Number(argv.seconds);
const top = Number(argv.top);
const dir = argv.keep ?? mkdtempSync(join(os.tmpdir(), 'cimd2-prof-'));
mkdirSync(dir, { recursive: true });

let file;
if (argv.analyze !== undefined) file = argv.analyze;
else {
  const args = [join(ROOT, 'dist/cli/main.js'), '--port', '0', '--no-watch', '--quiet'];
  if (!argv['no-transcript']) args.push('--transcript', join(dir, 'transcript.jsonl'));
  if (argv.scenario !== undefined) args.push('--scenario', argv.scenario);
  const server = await startServer('mock', args, {
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '250'],
  });
  const load = (durationMs) =>
    runLoad({
      port: server.port,
      user: 'bench',
      password: 'bench',
      connections: Number(argv.connections),
      window: Number(argv.window),
      durationMs,
    });
  await load(1000); // warm-up (still in the profile, a small share of it)
  await sleep(100);
  const r = await load(seconds * 1000);
  process.stderr.write(
    `load: ${Math.round(r.throughput)} submits/s, p50 ${r.latency.p50.toFixed(2)} ms, p99 ${r.latency.p99.toFixed(2)} ms, ${r.errors} errors\n`,
  );
  await server.stop();

  const profFile = readdirSync(dir).find(
    (f) => f.endsWith('.cpuprofile') && f.includes(`.${server.pid}.`),
  );
  if (profFile === undefined) throw new Error(`no .cpuprofile in ${dir}`);
  file = join(dir, profFile);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));

const maps = new Map();
function sourceMapFor(url) {
  if (!url.startsWith('file://') || !url.includes('/dist/')) return undefined;
  if (!maps.has(url)) {
    try {
      const path = fileURLToPath(url);
      maps.set(url, new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8'))));
    } catch {
      maps.set(url, undefined);
    }
  }
  return maps.get(url);
}

function locate(cf) {
  const { url, lineNumber, columnNumber, functionName } = cf;
  const name = functionName || '(anonymous)';
  if (url === '') return { key: name, where: '', category: name.startsWith('(') ? name : 'native' };
  const sm = sourceMapFor(url);
  if (sm !== undefined) {
    const e = sm.findEntry(lineNumber, columnNumber);
    if (e !== undefined && e.originalSource !== undefined) {
      const src = relative(ROOT, fileURLToPath(new URL(e.originalSource, url)));
      const where = `${src}:${e.originalLine + 1}`;
      return { key: `${name} ${where}`, where, category: src };
    }
  }
  const short = url.startsWith('file://') ? relative(ROOT, fileURLToPath(url)) : url;
  const where = `${short}:${lineNumber + 1}`;
  const category = url.startsWith('node:')
    ? 'node internals'
    : short.startsWith('node_modules/')
      ? `node_modules/${short.split('/')[1]}`
      : short;
  return { key: `${name} ${where}`, where, category };
}

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const hits = new Map();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const total = profile.samples.length;
const self = new Map();
const inclusive = new Map();
const perCategory = new Map();
let idle = 0;

function walk(node, stackKeys) {
  const loc = locate(node.callFrame);
  const h = hits.get(node.id) ?? 0;
  if (loc.key === '(idle)') idle += h;
  self.set(loc.key, (self.get(loc.key) ?? 0) + h);
  perCategory.set(loc.category, (perCategory.get(loc.category) ?? 0) + h);
  const fresh = !stackKeys.has(loc.key);
  if (fresh) stackKeys.add(loc.key);
  let sub = h;
  for (const c of node.children ?? []) sub += walk(byId.get(c), stackKeys);
  if (fresh) {
    inclusive.set(loc.key, (inclusive.get(loc.key) ?? 0) + sub);
    stackKeys.delete(loc.key);
  }
  return sub;
}
walk(profile.nodes[0], new Set());

const busy = total - idle;
// Self ticks per source line (positionTicks, mapped through the source maps): --lines.
const perLine = new Map();
if (argv.lines) {
  for (const node of profile.nodes) {
    const cf = node.callFrame;
    const sm = sourceMapFor(cf.url);
    for (const t of node.positionTicks ?? []) {
      let key = `${cf.url.startsWith('file://') ? relative(ROOT, fileURLToPath(cf.url)) : cf.url}:${t.line}`;
      const e = sm?.findEntry(t.line - 1, 0);
      if (e?.originalSource !== undefined)
        key = `${relative(ROOT, fileURLToPath(new URL(e.originalSource, cf.url)))}:${e.originalLine + 1}`;
      perLine.set(key, (perLine.get(key) ?? 0) + t.ticks);
    }
  }
}
const pct = (n) => `${((n / busy) * 100).toFixed(1).padStart(5)} %`;
const list = (m, n) =>
  [...m.entries()]
    .filter(([k]) => k !== '(idle)' && k !== '(root)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, n);

const out = [];
out.push(
  `profile: ${file} — ${total} samples, busy ${((busy / total) * 100).toFixed(0)} % (percentages below are of busy samples)`,
);
out.push('', 'self time by function:');
for (const [k, v] of list(self, top)) out.push(`  ${pct(v)}  ${k}`);
out.push('', 'inclusive time by function (src/ only):');
for (const [k, v] of list(new Map([...inclusive].filter(([k]) => k.includes(' src/'))), top))
  out.push(`  ${pct(v)}  ${k}`);
out.push('', 'self time by file / category:');
for (const [k, v] of list(perCategory, top)) out.push(`  ${pct(v)}  ${k}`);
if (argv.lines) {
  out.push('', 'self time by source line:');
  for (const [k, v] of list(perLine, top * 2)) out.push(`  ${pct(v)}  ${k}`);
}
process.stdout.write(`${out.join('\n')}\n`);
if (argv.analyze !== undefined) rmSync(dir, { recursive: true, force: true });
else if (argv.keep === undefined) rmSync(dir, { recursive: true, force: true });
else process.stderr.write(`profile kept in ${dir}\n`);
