/**
 * Every ```sh / ```bash / ```console block of the documentation that runs cimd2-mock is executed
 * against the built CLI (`npm run build` first), in a fresh temp folder holding the files of
 * test/docs/fixtures (a scenario, expectations, a golden transcript and a package.json whose test
 * scripts send one order confirmation), with `cimd2-mock` and `npx` on the PATH as the built CLI.
 * The block runs under `bash -e` and must exit 0 within 60 s. Blocks marked
 * `<!-- doc-test: manual (reason) -->` are not run: they need a real client, two terminals, a
 * fixed port, or run until stopped. Blocks that do not mention cimd2-mock (npm, apt-get) are
 * not run either.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allBlocks, directiveKind, ROOT, where, type CodeBlock } from './markdown.js';

const SHELLS = new Set(['sh', 'bash', 'shell', 'console', 'zsh']);
const BIN = join(ROOT, 'bin', 'cimd2-mock.js');

/** A `console` block's commands: the lines after a `$ ` prompt (with their continuations). */
function script(block: CodeBlock): string {
  if (block.lang !== 'console') return block.code;
  const out: string[] = [];
  let continued = false;
  for (const line of block.code.split('\n')) {
    if (line.startsWith('$ ')) out.push(line.slice(2));
    else if (continued) out.push(line);
    continued = (out.length > 0 && line.endsWith('\\')) || false;
  }
  return `${out.join('\n')}\n`;
}

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cimd2-doc-test-'));
  cpSync(join(ROOT, 'test/docs/fixtures'), dir, { recursive: true });
  for (const shared of ['bin', 'scenarios', 'schemas'])
    symlinkSync(join(ROOT, shared), join(dir, shared));
  mkdirSync(join(dir, 'out'));
  const shims = join(dir, '.shims');
  mkdirSync(shims);
  writeFileSync(join(shims, 'cimd2-mock'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  // npx runs the command it is given: the package is "installed" through the shim above.
  writeFileSync(join(shims, 'npx'), '#!/bin/sh\nexec "$@"\n');
  chmodSync(join(shims, 'cimd2-mock'), 0o755);
  chmodSync(join(shims, 'npx'), 0o755);
  return dir;
}

const blocks = allBlocks().filter((b) => SHELLS.has(b.lang));
const runnable = blocks.filter((b) => /\bcimd2-mock\b/.test(b.code));

describe('documentation: shell blocks', function () {
  this.timeout(90_000);

  it('every shell block that runs cimd2-mock is run or says why not', () => {
    const unexplained = runnable
      .filter((b) => ['manual', 'skip'].includes(directiveKind(b)))
      .filter((b) => !/\(.+\)/.test(b.directive ?? ''))
      .map((b) => `${where(b)}: give the reason: manual (why)`);
    expect(unexplained).to.deep.equal([]);
    expect(runnable.filter((b) => directiveKind(b) === '').length).to.be.greaterThan(0);
  });

  for (const block of runnable) {
    const kind = directiveKind(block);
    if (kind === 'manual' || kind === 'skip') continue;
    it(`${where(block)} runs and exits 0`, () => {
      const dir = workspace();
      try {
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          PATH: `${join(dir, '.shims')}:${process.env['PATH'] ?? ''}`,
        };
        Reflect.deleteProperty(env, 'CIMD2_MOCK_PORT'); // run's own port must win
        const r = spawnSync('bash', ['-e', '-c', script(block)], {
          cwd: dir,
          env,
          encoding: 'utf8',
          timeout: 60_000,
        });
        expect(
          r.status,
          `${where(block)} exited ${String(r.status ?? r.signal)}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`,
        ).to.equal(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
