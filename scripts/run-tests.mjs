// Runs the whole mocha suite under c8 and repeats mocha's closing
// "N passed, N failed" line as the very last line of output, after c8's
// coverage summary, so CI's summary reader finds it.
import { spawn } from 'node:child_process';

const args = process.argv.slice(2);
const child = spawn(
  process.execPath,
  [
    'node_modules/c8/bin/c8.js',
    '--include',
    'src/**',
    '--reporter',
    'text-summary',
    '--reporter',
    'html',
    'node_modules/mocha/bin/mocha.js',
    '--forbid-only',
    ...(args.length > 0 ? args : ['test/**/*.test.ts']),
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
let summary = '';
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString('utf8')).slice(-4096);
  const m = /^(\d+ passed, \d+ failed(?:, \d+ skipped)?)$/m.exec(tail);
  if (m?.[1] !== undefined) summary = m[1];
});
child.on('close', (code) => {
  if (summary !== '') process.stdout.write(`\n${summary}\n`);
  process.exit(code ?? 1);
});
