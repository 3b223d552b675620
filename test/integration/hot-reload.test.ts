/** Hot reload with real files and the real watcher, under a running mock with a connected client. */
import { expect } from 'chai';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summary } from '../../src/cli/serve.js';
import { createMockSmsc, type MockSmsc } from '../../src/mock-smsc.js';
import type { ScenarioIssue } from '../../src/scenario/index.js';
import { CimdClient } from '../../src/testing/cimd-client.js';

const scenario = (code: number): string =>
  [
    'version: 1',
    'rules:',
    '  - id: reject-one',
    '    when: { op: submit, destination: "+1" }',
    `    then: [ { error: { code: ${code} } } ]`,
    '',
  ].join('\n');

async function rejected(mock: MockSmsc): Promise<ScenarioIssue[]> {
  const [issues] = (await once(mock, 'scenario-rejected', {
    signal: AbortSignal.timeout(5000),
  })) as [ScenarioIssue[]];
  return issues;
}

describe('hot reload (real files, real watcher)', function () {
  this.timeout(20_000);
  let dir: string;
  let file: string;
  let mock: MockSmsc;
  let client: CimdClient;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-mock-reload-'));
    file = join(dir, 'scenario.yaml');
    writeFileSync(file, scenario(300));
    mock = await createMockSmsc({ scenario: file, watch: true, port: 0 });
    client = await CimdClient.connect({ port: mock.port });
    await client.login('u', 'p');
  });

  afterEach(async () => {
    await client.close();
    await mock.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies an edit to the next submit, with the session still connected', async () => {
    expect((await client.submit({ destination: '+1', text: 'x' })).errorCode).to.equal(300);
    const loaded = once(mock, 'scenario-loaded', { signal: AbortSignal.timeout(5000) });
    writeFileSync(file, scenario(301));
    await loaded;
    expect((await client.submit({ destination: '+1', text: 'x' })).errorCode).to.equal(301);
    expect(client.closed).to.equal(false);
    expect(mock.transcript.filter({ kind: 'scenario-loaded' })).to.have.length(2);
  });

  it('keeps the old rules on broken YAML and reports file:line:col', async () => {
    const issues = rejected(mock);
    writeFileSync(file, 'version: 1\nrules:\n  - id: x\n    when: { op: submit\n');
    const [first] = await issues;
    expect(first?.file).to.equal(file);
    expect(first?.line).to.be.within(4, 5);
    expect(first?.col).to.be.greaterThan(0);
    expect((await client.submit({ destination: '+1', text: 'x' })).errorCode).to.equal(300);
    const record = mock.transcript.filter({ kind: 'scenario-rejected' })[0] as unknown as {
      issues: ScenarioIssue[];
    };
    expect(record.issues[0]).to.include({ file, line: first?.line, col: first?.col });
  });

  it('keeps the old rules on a schema violation, pointing at the offending key', async () => {
    const issues = rejected(mock);
    writeFileSync(
      file,
      scenario(301).replace('    then:', '    thn: [ { respond: {} } ]\n    then:'),
    );
    const found = await issues;
    expect(found.some((i) => i.line === 5 && i.message.includes('thn'))).to.equal(true);
    expect((await client.submit({ destination: '+1', text: 'x' })).errorCode).to.equal(300);
  });

  it('keeps the old rules on a regex that does not compile', async () => {
    const issues = rejected(mock);
    writeFileSync(file, scenario(301).replace('destination: "+1"', 'destination: { regex: "([" }'));
    const [first] = await issues;
    expect(first?.line).to.equal(4);
    expect(first?.message).to.match(/regex/i);
    expect((await client.submit({ destination: '+1', text: 'x' })).errorCode).to.equal(300);
  });

  it('keeps the state and the counters of unchanged rules, and the summary lists rules used before and after', async () => {
    const outage = (code: number, extra: string[] = []): string =>
      [
        'version: 1',
        'rules:',
        '  - id: outage',
        '    whenState: down',
        '    times: 3',
        '    when: { op: submit }',
        `    then: [ { generalError: { code: ${code} } } ]`,
        '  - id: recover',
        '    whenState: down',
        '    setState: started',
        '    when: { op: submit }',
        '    then: [ { respond: {} } ]',
        '  - id: go-down',
        '    setState: down',
        '    when: { op: submit, destination: "+0" }',
        '    then: [ { respond: {} } ]',
        ...extra,
        '',
      ].join('\n');
    expect((await client.submit({ destination: '+1', text: 'x' })).errorCode).to.equal(300);
    let loaded = once(mock, 'scenario-loaded', { signal: AbortSignal.timeout(5000) });
    writeFileSync(file, outage(6));
    await loaded;
    expect((await client.submit({ destination: '+1', text: 'x' })).ok).to.equal(true);
    expect((await client.submit({ destination: '+0', text: 'x' })).ok).to.equal(true);
    expect((await client.submit({ destination: '+1', text: 'x' })).errorCode).to.equal(6);
    expect(mock.engine.state).to.equal('down');

    // Change the answer of "outage" (same id, same times) and add a rule.
    loaded = once(mock, 'scenario-loaded', { signal: AbortSignal.timeout(5000) });
    writeFileSync(
      file,
      outage(7, ['  - id: accept', '    when: { op: submit }', '    then: [ { respond: {} } ]']),
    );
    await loaded;
    expect(mock.engine.state).to.equal('down');
    // Two of the three outage answers are left, with the new code; then recover.
    expect((await client.submit({ destination: '+1', text: 'x' })).errorCode).to.equal(7);
    expect((await client.submit({ destination: '+1', text: 'x' })).errorCode).to.equal(7);
    expect((await client.submit({ destination: '+1', text: 'x' })).ok).to.equal(true);
    expect(mock.engine.state).to.equal('started');
    expect((await client.submit({ destination: '+2', text: 'x' })).ok).to.equal(true);
    expect(mock.engine.ruleStats()).to.deep.equal([
      { id: 'outage', uses: 3, times: 3 },
      { id: 'recover', uses: 1 },
      { id: 'go-down', uses: 1 },
      { id: 'accept', uses: 1 },
    ]);

    const text = summary(mock);
    // reject-one answered before the first reload and is gone from the file: still listed.
    expect(text).to.include(
      '  rules used: reject-one ×1, go-down ×1, outage ×3, recover ×1, accept ×1\n',
    );
    expect(text).to.include('  rules unused: none\n');
    // The submit to +1 in state "started", before "accept" existed, was answered by no rule.
    expect(text).to.include('  unmatched requests: 1\n');
  });
});
