/**
 * Scenario limits through the facade and the file watcher: an oversized file or a YAML alias bomb
 * is refused with a located issue (at start: a ScenarioError; on hot reload: `scenario-rejected`
 * while the old rules keep serving).
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMockSmsc, type MockSmsc } from '../../src/mock-smsc.js';
import { ScenarioError, type ScenarioIssue } from '../../src/scenario/index.js';
import { CimdClient } from '../../src/testing/cimd-client.js';

const GOOD =
  'version: 1\nrules:\n  - when: { op: submit }\n    then: [ { error: { code: 300 } } ]\n';

function aliasBomb(): string {
  const lines = ['version: 1', 'a0: &a0 [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++)
    lines.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\n`;
}

describe('scenario limits through the mock (real files)', function () {
  this.timeout(20_000);
  let dir: string;
  let mock: MockSmsc | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-mock-limits-'));
  });

  afterEach(async () => {
    await mock?.stop();
    mock = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start with a scenario file over maxScenarioBytes, naming the limit', async () => {
    const file = join(dir, 'big.yaml');
    writeFileSync(file, `${GOOD}# ${'x'.repeat(2000)}\n`);
    let error: unknown;
    try {
      mock = await createMockSmsc({ scenario: file, port: 0, maxScenarioBytes: 1000 });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ScenarioError);
    expect((error as ScenarioError).issues[0]?.message).to.equal(
      `the scenario is ${GOOD.length + 2003} bytes, over the limit of 1000 bytes (maxScenarioBytes)`,
    );
  });

  it('useScenario applies the same limit to YAML text', async () => {
    mock = await createMockSmsc({ port: 0, maxScenarioBytes: 200 });
    let error: unknown;
    try {
      await mock.useScenario({ yaml: `${GOOD}# ${'y'.repeat(300)}\n` });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ScenarioError);
    expect(mock.scenario.name).to.equal('default');
  });

  it('keeps serving the old rules when a hot reload brings an oversized file or an alias bomb', async () => {
    const file = join(dir, 's.yaml');
    writeFileSync(file, GOOD);
    mock = await createMockSmsc({ scenario: file, watch: true, port: 0, maxScenarioBytes: 4096 });
    const m = mock;
    const c = await CimdClient.connect({ port: m.port });
    await c.login('u', 'p');
    const rejected = async (content: string): Promise<ScenarioIssue[]> => {
      const next = once(m, 'scenario-rejected', { signal: AbortSignal.timeout(5000) });
      writeFileSync(file, content);
      const [issues] = (await next) as [ScenarioIssue[]];
      return issues;
    };
    const big = await rejected(`${GOOD}# ${'z'.repeat(5000)}\n`);
    expect(big.map((i) => i.message)).to.deep.equal([
      `the scenario is ${GOOD.length + 5003} bytes, over the limit of 4096 bytes (maxScenarioBytes)`,
    ]);
    const bomb = await rejected(aliasBomb());
    expect(bomb.map((i) => `${i.line}:${i.col} ${i.message}`)).to.deep.equal([
      '1:1 YAML error: Excessive alias count indicates a resource exhaustion attack',
    ]);
    expect((await c.submit({ destination: '1', text: 'still the old rules' })).errorCode).to.equal(
      300,
    );
    expect(m.transcript.ofKind('scenario-rejected')).to.have.length(2);
    await c.close();
  });
});
