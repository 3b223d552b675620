/** The programmatic API (createMockSmsc) as a test suite uses it, over real TCP. */
import { expect } from 'chai';
import { AssertionError } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMockSmsc, type MockSmsc } from '../../src/mock-smsc.js';
import { ConfigError } from '../../src/errors.js';
import { ScenarioError, loadScenarioText } from '../../src/scenario/index.js';
import { CimdClient } from '../../src/testing/cimd-client.js';

const TWO_RULES = `version: 1
rules:
  - id: busy-once
    when: { op: submit, destination: "+1" }
    times: 1
    then: [ { error: { code: 10 } } ]
  - id: reject-two
    when: { op: submit, destination: "+2" }
    then: [ { error: { code: 300 } } ]
`;

describe('createMockSmsc (programmatic API)', () => {
  let mock: MockSmsc;
  let client: CimdClient;
  let dir: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-mock-api-'));
    mock = await createMockSmsc({
      scenario: { yaml: TWO_RULES, file: 'two.yaml' },
      port: 0,
      clock: '2026-01-02T03:04:05Z',
    });
    client = await CimdClient.connect({ port: mock.port });
    await client.login('shop', 'secret');
  });

  afterEach(async () => {
    await client.close();
    await mock.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 and an ephemeral port, with its clock starting at the given time', async () => {
    expect(mock.host).to.equal('127.0.0.1');
    expect(mock.port).to.be.greaterThan(0);
    const r = await client.submit({ destination: '+9', text: 'x' });
    expect(r.timestamp).to.match(/^2601020304(0[5-9]|1\d)$/);
  });

  it("deliver() reaches the user's session and reports the acknowledgement", async () => {
    const [result, mo] = await Promise.all([
      mock.deliver({ user: 'shop', from: '+358401112222', to: '12345', text: 'Hej å' }),
      client.nextMessage({ timeoutMs: 3000 }),
    ]);
    expect(result).to.deep.include({ acknowledged: true });
    expect(mo).to.deep.include({ text: 'Hej å', originator: '+358401112222' });
  });

  it('deliver() to an unknown user throws UnknownSessionError', async () => {
    const err = await mock.deliver({ user: 'nobody', from: '1', to: '2', text: 'x' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as { code?: string }).code).to.equal('ERR_SESSION_UNKNOWN');
  });

  it('statusReport() by status name reaches the client', async () => {
    const sent = await client.submit({ destination: '+9', text: 'x' });
    const [, report] = await Promise.all([
      mock.statusReport({
        destination: '+9',
        timestamp: sent.timestamp!,
        status: 'failed',
        errorCode: 1,
      }),
      client.nextStatusReport({ timeoutMs: 3000 }),
    ]);
    expect(report).to.deep.include({
      status: 3,
      statusName: 'failed',
      statusErrorCode: 1,
      timestamp: sent.timestamp,
    });
  });

  it('useScenario() takes { yaml }, { file }, { document } and a compiled scenario', async () => {
    const rule = (code: number): string =>
      `version: 1\nrules:\n  - when: { op: submit }\n    then: [ { error: { code: ${code} } } ]\n`;
    const file = join(dir, 's.yaml');
    writeFileSync(file, rule(302));
    const cases: [Parameters<MockSmsc['useScenario']>[0], number, string][] = [
      [{ yaml: rule(301) }, 301, 'inline.yaml'],
      [{ yaml: rule(305), file: 'named.yaml' }, 305, 'named.yaml'],
      [{ file }, 302, file],
      [
        {
          document: {
            version: 1,
            rules: [{ when: { op: 'submit' }, then: [{ error: { code: 303 } }] }],
          },
        },
        303,
        'inline.yaml',
      ],
      [loadScenarioText(rule(304), 'compiled.yaml'), 304, 'compiled.yaml'],
    ];
    for (const [source, code, name] of cases) {
      await mock.useScenario(source);
      expect(mock.scenario.file).to.equal(name);
      expect((await client.submit({ destination: '+9', text: 'x' })).errorCode).to.equal(code);
    }
    const loaded = mock.transcript.ofKind('scenario-loaded');
    expect(loaded.map((r) => r.source)).to.deep.equal(['api', 'api', 'api', 'api', 'api', 'api']);
  });

  it('useScenario() refuses a plain string, a path-like one included, without reading anything', async () => {
    const file = join(dir, 'valid.yaml');
    writeFileSync(
      file,
      'version: 1\nrules:\n  - when: { op: submit }\n    then: [ { error: { code: 301 } } ]\n',
    );
    for (const source of [
      file,
      'version: 1\n',
      { yml: 'version: 1\n' },
      { yaml: 'x', document: {} },
    ]) {
      const err = await mock.useScenario(source as never).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(source)).to.be.instanceOf(ConfigError);
      expect((err as ConfigError).code).to.equal('ERR_CONFIG_SCENARIO_SOURCE');
    }
    // The same path as tagged YAML is a YAML scalar, not a scenario.
    const asYaml = await mock.useScenario({ yaml: file }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(asYaml).to.be.instanceOf(ScenarioError);
    expect(mock.scenario.file).to.equal('two.yaml');
    expect((await client.submit({ destination: '+2', text: 'x' })).errorCode).to.equal(300);
  });

  it('useScenario() rejects an invalid scenario with file:line:col, records it, and keeps the old rules', async () => {
    const events: [string, string][] = [];
    mock.on('scenario-rejected', (_issues, file, source) => events.push([file, source]));
    const err = await mock
      .useScenario({
        yaml: 'version: 1\nrules:\n  - when: { op: nope }\n    then: [ { respond: {} } ]\n',
        file: 'bad.yaml',
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).to.be.instanceOf(ScenarioError);
    expect((err as ScenarioError).issues[0]).to.include({ file: 'bad.yaml', line: 3 });
    expect((await client.submit({ destination: '+2', text: 'x' })).errorCode).to.equal(300);
    expect(events).to.deep.equal([['bad.yaml', 'api']]);
    const [rejected] = mock.transcript.ofKind('scenario-rejected');
    expect(rejected).to.deep.include({ file: 'bad.yaml', source: 'api' });
    expect(rejected?.issues[0]).to.include({ file: 'bad.yaml', line: 3 });
  });

  it('reset() starts the rule counters afresh', async () => {
    expect((await client.submit({ destination: '+1', text: 'x' })).errorCode).to.equal(10);
    expect((await client.submit({ destination: '+1', text: 'x' })).errorCode).to.equal(0);
    mock.reset();
    expect((await client.submit({ destination: '+1', text: 'x' })).errorCode).to.equal(10);
  });

  it('assertAllRulesUsed() names the unused rules, then passes once all were used', async () => {
    await client.submit({ destination: '+1', text: 'x' });
    expect(() => {
      mock.assertAllRulesUsed();
    }).to.throw(AssertionError, /reject-two/);
    await client.submit({ destination: '+2', text: 'x' });
    mock.assertAllRulesUsed();
    expect(mock.rules().map((r) => [r.id, r.uses])).to.deep.equal([
      ['busy-once', 1],
      ['reject-two', 1],
    ]);
  });

  it('waitFor() finds past records with since, future ones, and times out with an AssertionError', async () => {
    const login = await mock.waitFor({ kind: 'frame', op: 'login', dir: 'in' }, { since: 0 });
    expect(login.kind).to.equal('frame');
    const future = mock.waitFor({ kind: 'frame', op: 'submit', dir: 'in' }, { timeout: 3000 });
    await client.submit({ destination: '+9', text: 'later' });
    expect((await future).kind).to.equal('frame');
    const err = await mock.waitFor({ kind: 'frame', op: 'cancel' }, { timeout: 50 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(AssertionError);
  });

  it('creates the folder of the transcript file', async () => {
    const file = join(dir, 'nested', 'deeper', 't.jsonl');
    const m = await createMockSmsc({ port: 0, transcript: file });
    await m.stop();
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(file, 'utf8')).to.match(/"kind":"server-start"/);
  });

  it('stats() counts sessions and frames per operation', async () => {
    await client.submit({ destination: '+9', text: 'x' });
    const s = mock.stats();
    expect(s).to.deep.include({ sessionsOpen: 1, sessionsTotal: 1 });
    expect(s.framesIn).to.deep.include({ login: 1, submit: 1 });
    expect(s.framesOut).to.deep.include({ 'login-response': 1, 'submit-response': 1 });
  });
});
