// Builds the web console (console/) into dist/console/: index.html, console.js, console.css.
// esbuild bundles the TypeScript (Preact, JSX) into one minified ES module: the page loads
// exactly these three files from its own origin, nothing from a CDN, and works offline.
// Type checking is tsc's job (`npm run typecheck`); esbuild only strips types.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist', 'console');
/** What the page loads, gzipped, at most (JS + CSS). */
const BUDGET_GZIP_BYTES = 200 * 1024;

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
await build({
  entryPoints: { console: join(ROOT, 'console', 'src', 'main.tsx') },
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: process.env.CONSOLE_DEV === undefined,
  ...(process.env.CONSOLE_DEV !== undefined ? { sourcemap: 'inline' } : {}),
  legalComments: 'none',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: OUT,
  logLevel: 'warning',
  // The console must never touch Node built-ins; a stray import fails the build.
  external: [],
});
copyFileSync(join(ROOT, 'console', 'console.css'), join(OUT, 'console.css'));
copyFileSync(join(ROOT, 'console', 'index.html'), join(OUT, 'index.html'));

let gz = 0;
for (const f of ['console.js', 'console.css']) {
  gz += gzipSync(readFileSync(join(OUT, f))).length;
  statSync(join(OUT, f));
}
if (gz > BUDGET_GZIP_BYTES) {
  console.error(`console: JS+CSS is ${gz} bytes gzipped, over the ${BUDGET_GZIP_BYTES} budget`);
  process.exit(1);
}
