/** Expectations files are read with the limits of scenario files (`assert`, `run --assert`). */
import { expect } from 'chai';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

describe('expectations files: bounded reads', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-exp-read-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('a device behind a symlink is refused unread: exit 2, one line', async () => {
    const link = join(dir, 'expectations.yaml');
    symlinkSync('/dev/zero', link);
    for (const args of [
      ['assert', '/dev/null', link],
      ['run', '--assert', link, '--', process.execPath, '-e', ''],
    ]) {
      const r = await runCli(args);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr.trim()).to.equal(
        `cimd2-mock: ${link}: cannot read: a character device, not a regular file: not read`,
      );
    }
  });

  it('a file over 1 MiB is refused from its size, a missing one is named', async () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `# ${'x'.repeat(1024 * 1024)}\n- noUnmatched: true\n`);
    const r = await runCli(['assert', '/dev/null', big]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/big\.yaml: cannot read: .*over the limit of 1048576 bytes/);
    const missing = await runCli(['assert', '/dev/null', join(dir, 'nope.yaml')]);
    expect(missing.code).to.equal(2);
    expect(missing.stderr.trim()).to.equal(
      `cimd2-mock: ${join(dir, 'nope.yaml')}: cannot read: no such file`,
    );
  });
});
