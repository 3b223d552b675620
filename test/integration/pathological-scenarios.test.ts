/**
 * The pathological corpus through every way a scenario comes in: loadScenarioFile,
 * loadScenarioText, the watcher (hot reload), the facade's useScenario, `PUT /scenario`,
 * `cimd2-mock validate`, and an expectations file through `cimd2-mock assert`. Devices, FIFOs and
 * oversized files are refused before anything is read; files at the 1 MiB limit load or are
 * refused with located issues (the unit corpus times every shape; here each way in is shown to
 * take the same path).
 */
import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlApi } from '../../src/control-api.js';
import { createMockSmsc, type MockSmsc } from '../../src/mock-smsc.js';
import {
  loadScenarioFile,
  loadScenarioText,
  ScenarioError,
  ScenarioWatcher,
  type ScenarioIssue,
} from '../../src/scenario/index.js';
import { expectationShapes, loadShapes, oneRule } from '../fixtures/pathological/corpus.js';

const MIB = 1024 * 1024;
const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', main, ...args],
      { timeout: 60_000, killSignal: 'SIGKILL', maxBuffer: 8 << 20 },
      (_error, stdout, stderr) => {
        resolve({ code: child.exitCode, stdout, stderr });
      },
    );
  });
}

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

describe('1 MiB scenarios and expectations through every entry point', function () {
  this.timeout(180_000);
  const shapes = loadShapes(MIB);
  const flood = shapes['key flood (top level)'] ?? '';
  const rules = shapes['many rules'] ?? '';
  const ruleCount = rules.split('\n').length - 2;
  let dir: string;
  let floodFile: string;
  let rulesFile: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-mock-mib-'));
    floodFile = join(dir, 'flood.yaml');
    rulesFile = join(dir, 'rules.yaml');
    writeFileSync(floodFile, flood);
    writeFileSync(rulesFile, rules);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const floodIssues = (issues: readonly ScenarioIssue[]): void => {
    expect(issues).to.have.length(101);
    expect(issues[0]).to.include({ line: 2, col: 1 });
    expect(issues[0]?.message).to.match(/^unknown key "k0"/);
    expect(issues[100]?.message).to.match(/^… and \d{5,} more issues$/);
  };

  it('loadScenarioFile and loadScenarioText: loads 1 MiB of rules, lists a key flood', async () => {
    expect(Buffer.byteLength(rules)).to.be.within(MIB - 1000, MIB);
    expect((await loadScenarioFile(rulesFile)).rules).to.have.length(ruleCount);
    floodIssues(await issuesOf(() => loadScenarioFile(floodFile)));
    floodIssues(await issuesOf(() => Promise.resolve(loadScenarioText(flood, 'flood.yaml'))));
  });

  it('the watcher reloads 1 MiB of rules and rejects a 1 MiB key flood with its issues', async () => {
    const file = join(dir, 'watched.yaml');
    writeFileSync(file, oneRule('{ prefix: "a" }'));
    const watcher = new ScenarioWatcher(file, { debounceMs: 20 });
    await watcher.start();
    try {
      const loaded = once(watcher, 'loaded', { signal: AbortSignal.timeout(60_000) });
      writeFileSync(file, rules);
      const [scenario] = (await loaded) as [{ rules: unknown[] }];
      expect(scenario.rules).to.have.length(ruleCount);
      const rejected = once(watcher, 'rejected', { signal: AbortSignal.timeout(60_000) });
      writeFileSync(file, flood);
      const [issues] = (await rejected) as [ScenarioIssue[]];
      floodIssues(issues);
    } finally {
      await watcher.close();
    }
  });

  it('useScenario and PUT /scenario take 1 MiB under the default limit', async () => {
    const mock = await createMockSmsc({ port: 0, stopGraceMs: 0 });
    const api = await startControlApi(mock, { port: 0 });
    try {
      expect((await mock.useScenario({ yaml: rules })).rules).to.have.length(ruleCount);
      floodIssues(await issuesOf(() => mock.useScenario({ yaml: flood })));
      const put = (body: string): Promise<Response> =>
        fetch(`http://127.0.0.1:${api.port}/scenario?file=flood.yaml`, {
          method: 'PUT',
          headers: { 'content-type': 'application/yaml' },
          body,
        });
      const refused = await put(flood);
      expect(refused.status).to.equal(400);
      floodIssues(((await refused.json()) as { issues: ScenarioIssue[] }).issues);
      const accepted = await put(rules);
      expect(accepted.status, await accepted.text()).to.equal(200);
    } finally {
      await api.close();
      await mock.stop();
    }
  });

  it('cimd2-mock validate lists a 1 MiB key flood and passes 1 MiB of rules', async () => {
    const bad = await cli(['validate', floodFile]);
    expect(bad.code).to.equal(1);
    const lines = bad.stderr.trim().split('\n');
    expect(lines[0]).to.match(
      new RegExp(`^${floodFile.replaceAll('/', '\\/')}:2:1: unknown key "k0"`),
    );
    expect(lines.filter((l) => l.startsWith(floodFile))).to.have.length(101);
    const good = await cli(['validate', rulesFile]);
    expect(good.code, good.stderr).to.equal(0);
  });

  it('cimd2-mock assert reads a 1 MiB expectations file and lists its issues', async () => {
    const file = join(dir, 'expectations.yaml');
    writeFileSync(file, expectationShapes(MIB)['key flood'] ?? '');
    const transcript = join(dir, 'empty.jsonl');
    writeFileSync(transcript, '');
    const r = await cli(['assert', transcript, file]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/expectations\.yaml:2:3: \[0\]: unknown key "k0"/);
    expect(r.stderr).to.match(/… and \d{5,} more issues/);
  });
});
