// Regenerates the README's console screenshots (docs/images/console-*.png) by running the
// real-browser suite with its screenshot folder pointed there. Needs /usr/bin/chromium and a
// build (`npm run screenshots` builds first).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync('/usr/bin/chromium')) {
  console.error(
    'npm run screenshots needs Chromium at /usr/bin/chromium (apt-get install chromium)',
  );
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  [join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js'), 'test/browser/**/*.test.ts'],
  {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, CIMD2_SCREENSHOTS: join(ROOT, 'docs', 'images') },
  },
);
process.exit(r.status ?? 1);
