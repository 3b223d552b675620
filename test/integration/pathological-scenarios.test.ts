/**
 * The pathological corpus through every way a scenario comes in: loadScenarioFile,
 * loadScenarioText, the watcher (hot reload), the facade's useScenario, and `cimd2-mock
 * validate`. Devices, FIFOs and oversized files are refused before anything is read.
 */
import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMockSmsc, type MockSmsc } from '../../src/mock-smsc.js';
import {
  loadScenarioFile,
  loadScenarioText,
  ScenarioError,
  ScenarioWatcher,
  type ScenarioIssue,
} from '../../src/scenario/index.js';
import { oneRule } from '../fixtures/pathological/corpus.js';

async function issuesOf(load: () => Promise<unknown>): Promise<readonly ScenarioIssue[]> {
  try {
    await load();
  } catch (e) {
    if (e instanceof ScenarioError) return e.issues;
    throw e;
  }
  throw new Error('loaded');
}

const valid = oneRule('{ glob: "*a*a*a*a*b" }');

describe('pathological scenarios through every entry point', function () {
  this.timeout(30_000);
  let dir: string;
  let zero: string;
  let fifo: string;
  let big: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-mock-patho-'));
    zero = join(dir, 'zero.yaml');
    symlinkSync('/dev/zero', zero);
    fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    big = join(dir, 'big.yaml');
    writeFileSync(big, `version: 1\nname: "${'a'.repeat(2 * 1024 * 1024)}"\n`);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('loadScenarioFile refuses a device behind a symlink, a FIFO and a 2 MiB file unread', async () => {
    const [z] = await issuesOf(() => loadScenarioFile(zero));
    expect(z?.message).to.equal(
      'cannot read scenario file: a character device, not a regular file: not read',
    );
    // O_NONBLOCK: no writer, yet the open returns and the FIFO is refused.
    const [f] = await issuesOf(() => loadScenarioFile(fifo));
    expect(f?.message).to.equal('cannot read scenario file: a FIFO, not a regular file: not read');
    const [b] = await issuesOf(() => loadScenarioFile(big));
    expect(b).to.include({ file: big, line: 1, col: 1 });
    expect(b?.message).to.match(/^the scenario is \d+ bytes, over the limit of 1048576 bytes/);
  });

  it('loadScenarioText refuses a lookahead at its line:col and loads a ReDoS glob', () => {
    expect(loadScenarioText(valid, 'ok.yaml').rules).to.have.length(1);
    expect(() => loadScenarioText(oneRule('{ regex: "(?!x)" }'), 'la.yaml')).to.throw(
      ScenarioError,
      /^la\.yaml:3:40: .*lookahead is not supported \(linear-time engine\)$/,
    );
  });

  it('the watcher rejects a scenario file replaced by a symlink to /dev/zero without reading it', async () => {
    const file = join(dir, 'watched.yaml');
    writeFileSync(file, valid);
    const watcher = new ScenarioWatcher(file, { debounceMs: 20 });
    await watcher.start();
    try {
      const rejected = once(watcher, 'rejected', { signal: AbortSignal.timeout(10_000) });
      rmSync(file);
      symlinkSync('/dev/zero', file);
      const [issues] = (await rejected) as [ScenarioIssue[]];
      expect(issues[0]?.message).to.match(/a character device, not a regular file: not read/);
    } finally {
      await watcher.close();
    }
  });

  describe('the facade', () => {
    let mock: MockSmsc;
    beforeEach(async () => {
      mock = await createMockSmsc({ port: 0, maxScenarioBytes: 64 * 1024 });
    });
    afterEach(() => mock.stop());

    it('useScenario refuses a device { file }, oversized YAML text and an oversized document', async () => {
      const [z] = await issuesOf(() => mock.useScenario({ file: zero }));
      expect(z?.message).to.match(/a character device, not a regular file/);
      const [t] = await issuesOf(() =>
        mock.useScenario({ yaml: `version: 1\nname: "${'a'.repeat(100_000)}"\n` }),
      );
      expect(t?.message).to.match(/over the limit of 65536 bytes \(maxScenarioBytes\)/);
      const [d] = await issuesOf(() =>
        mock.useScenario({ document: { version: 1, name: 'a'.repeat(100_000) } }),
      );
      expect(d?.message).to.match(/over the limit of 65536 bytes \(maxScenarioBytes\)/);
      expect((await mock.useScenario({ yaml: valid })).rules).to.have.length(1);
    });
  });

  it('cimd2-mock validate refuses a /dev/zero symlink in one line with exit 1', async () => {
    const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', main, 'validate', zero],
        { timeout: 20_000, killSignal: 'SIGKILL' },
        (_error, _stdout, stderr) => {
          resolve({ code: child.exitCode, stderr });
        },
      );
    });
    expect(result.code).to.equal(1);
    expect(result.stderr.trim()).to.equal(
      `${zero}:1:1: cannot read scenario file: a character device, not a regular file: not read`,
    );
  });
});
