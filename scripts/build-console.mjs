// Builds the web console (console/) into dist/console/: index.html and content-hashed
// console-<hash>.js and console-<hash>.css (the control API serves hashed files as immutable,
// the page itself no-cache). esbuild bundles the TypeScript (Preact, JSX) and the protocol
// tables it shares with src/ into one minified ES module: the page loads exactly these files
// from its own origin, nothing from a CDN, and works offline. Type checking is tsc's job
// (`npm run typecheck`); esbuild only strips types. CONSOLE_DEV=1: unminified, inline source map.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'console');
const OUT = join(ROOT, 'dist', 'console');
/** What the page loads, gzipped, at most (JS + CSS). */
const BUDGET_GZIP_BYTES = 200 * 1024;
const dev = process.env.CONSOLE_DEV !== undefined;

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const result = await build({
  entryPoints: { console: join(SRC, 'src', 'main.tsx') },
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: !dev,
  ...(dev ? { sourcemap: 'inline' } : {}),
  legalComments: 'none',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: OUT,
  metafile: true,
  logLevel: 'warning',
});
const js = basename(Object.keys(result.metafile.outputs).find((f) => f.endsWith('.js')) ?? '');
const cssText = readFileSync(join(SRC, 'console.css'));
const css = `console-${createHash('sha256').update(cssText).digest('hex').slice(0, 10).toUpperCase()}.css`;
writeFileSync(join(OUT, css), cssText);
const html = readFileSync(join(SRC, 'index.html'), 'utf8')
  .replace('href="console.css"', `href="${css}"`)
  .replace('src="console.js"', `src="${js}"`);
if (!html.includes(js) || !html.includes(css)) {
  console.error('console/index.html must link console.css and console.js');
  process.exit(1);
}
writeFileSync(join(OUT, 'index.html'), html);

const gz = [js, css].reduce((n, f) => n + gzipSync(readFileSync(join(OUT, f))).length, 0);
if (gz > BUDGET_GZIP_BYTES) {
  console.error(`console: JS+CSS is ${gz} bytes gzipped, over the ${BUDGET_GZIP_BYTES} budget`);
  process.exit(1);
}
