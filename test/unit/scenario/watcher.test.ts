import { once } from 'node:events';
import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { formatIssue, ScenarioWatcher } from '../../../src/scenario/index.js';
import type { CompiledScenario, ScenarioIssue } from '../../../src/scenario/index.js';

const DEADLINE_MS = 3000;

const scenarioText = (id: string): string =>
  `version: 1\nrules:\n  - id: ${id}\n    when: { op: submit }\n    then: [ { respond: {} } ]\n`;

async function nextLoaded(w: ScenarioWatcher): Promise<CompiledScenario> {
  const [s] = (await once(w, 'loaded', { signal: AbortSignal.timeout(DEADLINE_MS) })) as [
    CompiledScenario,
  ];
  return s;
}

async function nextRejected(w: ScenarioWatcher): Promise<[ScenarioIssue[], string]> {
  return (await once(w, 'rejected', { signal: AbortSignal.timeout(DEADLINE_MS) })) as [
    ScenarioIssue[],
    string,
  ];
}

describe('ScenarioWatcher', () => {
  let dir: string;
  let file: string;
  let watcher: ScenarioWatcher;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-watch-'));
    file = join(dir, 'scenario.yaml');
    writeFileSync(file, scenarioText('first'));
    watcher = new ScenarioWatcher(file, { debounceMs: 20 });
    await watcher.start();
  });

  afterEach(async () => {
    await watcher.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('emits loaded with the new rules when the file is rewritten', async () => {
    const loaded = nextLoaded(watcher);
    writeFileSync(file, scenarioText('second'));
    const s = await loaded;
    expect(s.rules.map((r) => r.id)).to.deep.equal(['second']);
    expect(s.file).to.equal(file);
  });

  it('emits rejected with file:line:col for broken YAML', async () => {
    const rejected = nextRejected(watcher);
    writeFileSync(file, 'version: 1\nrules:\n  - id: x\n    when: { op: submit\n');
    const [issues, where] = await rejected;
    expect(where).to.equal(file);
    expect(issues.length).to.be.greaterThan(0);
    expect(formatIssue(issues[0]!)).to.match(
      new RegExp(`^${escape(file)}:\\d+:\\d+: YAML syntax error`),
    );
  });

  it('emits rejected for a schema violation and a bad regex, at the offending line', async () => {
    let rejected = nextRejected(watcher);
    writeFileSync(file, 'version: 1\nrules:\n  - id: x\n    then: [ { respnd: {} } ]\n');
    let [issues] = await rejected;
    expect(issues.map(formatIssue)).to.deep.equal([
      `${file}:4:15: rules[0].then[0]: unknown key "respnd" (did you mean "respond"?)`,
    ]);
    rejected = nextRejected(watcher);
    writeFileSync(
      file,
      'version: 1\nrules:\n  - when: { text: { regex: "(" } }\n    then: [ { drop: {} } ]\n',
    );
    [issues] = await rejected;
    expect(issues[0]).to.include({ line: 3, path: '/rules/0/when/text/regex' });
  });

  it('recovers: a good edit after a broken one is loaded', async () => {
    const rejected = nextRejected(watcher);
    writeFileSync(file, 'version: 2\n');
    await rejected;
    const loaded = nextLoaded(watcher);
    writeFileSync(file, scenarioText('fixed'));
    expect((await loaded).rules[0]!.id).to.equal('fixed');
  });

  it('follows editors that save by renaming a temporary file over the original', async () => {
    const loaded = nextLoaded(watcher);
    const tmp = join(dir, '.scenario.yaml.swp');
    writeFileSync(tmp, scenarioText('renamed'));
    renameSync(tmp, file);
    expect((await loaded).rules[0]!.id).to.equal('renamed');
    const again = nextLoaded(watcher);
    writeFileSync(file, scenarioText('after-rename'));
    expect((await again).rules[0]!.id).to.equal('after-rename');
  });

  it('reports the final content of a burst of writes', async () => {
    const loaded = nextLoaded(watcher);
    for (let i = 0; i < 5; i++) writeFileSync(file, scenarioText(`burst-${i}`));
    expect((await loaded).rules[0]!.id).to.equal('burst-4');
  });

  it('emits rejected when the file is deleted', async () => {
    const rejected = nextRejected(watcher);
    unlinkSync(file);
    const [issues] = await rejected;
    expect(issues[0]!.message).to.include('cannot read scenario file');
    expect(issues[0]).to.include({ file, line: 1, col: 1 });
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
