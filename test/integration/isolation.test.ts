/**
 * Isolation between tests: reset() starts a new epoch (a `reset` record) that the default views
 * respect, cancels pending items, re-arms `schedule`, restores state and counters, and can close
 * sessions. Also the scenario source (file vs API) with hot reload, and the state API. Real TCP.
 */
import { expect } from 'chai';
import { AssertionError } from 'node:assert';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMockSmsc, type MockSmsc, type MockSmscOptions } from '../../src/mock-smsc.js';
import { ConfigError } from '../../src/errors.js';
import { CimdClient } from '../../src/testing/cimd-client.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { expectFrames, expectRecords } from '../../src/transcript/assertions.js';
import type { FrameRecord } from '../../src/transcript/record.js';
import { assertValidRecord } from '../unit/transcript/helpers.js';

const SCENARIO = `version: 1
name: isolation
rules:
  - id: busy-once
    when: { op: submit, destination: "+1" }
    times: 1
    then: [ { error: { code: 10 } } ]
  - id: report-later
    when: { op: submit, destination: "+2" }
    then: [ { respond: {} } ]
    afterwards:
      - statusReport: { after: 10s, status: delivered }
  - id: open-door
    when: { op: submit, destination: "+3" }
    setState: open
    then: [ { respond: {} } ]
  - id: when-open
    whenState: open
    when: { op: submit, destination: "+4" }
    then: [ { error: { code: 300 } } ]
schedule:
  - after: 0s
    user: shop
    deliver: { from: "+358409999999", to: "12345", text: "Welcome {{user}}" }
`;

describe('isolation between tests (reset and epochs)', () => {
  const mocks: MockSmsc[] = [];
  const clients: CimdClient[] = [];
  let dir: string;

  async function start(options: MockSmscOptions = {}): Promise<MockSmsc> {
    const m = await createMockSmsc({
      scenario: { yaml: SCENARIO, file: 'isolation.yaml' },
      port: 0,
      stopGraceMs: 0,
      ...options,
    });
    mocks.push(m);
    return m;
  }

  async function login(m: MockSmsc, user = 'shop'): Promise<CimdClient> {
    const c = await CimdClient.connect({ port: m.port, responseTimeoutMs: 3000 });
    clients.push(c);
    await c.login(user, 'secret');
    return c;
  }

  const submitsIn = (frames: readonly FrameRecord[]): (string | undefined)[] =>
    frames.filter((f) => f.dir === 'in' && f.opName === 'submit').map((f) => f.fields.text);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-mock-isolation-'));
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(mocks.splice(0).map((m) => m.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('two tests in a row separated by reset() each see only their own records', async () => {
    const mock = await start();
    const c = await login(mock, 'other');
    // "Test A"
    await c.submit({ destination: '+9', text: 'from A' });
    expect(submitsIn(mock.transcript.frames())).to.deep.equal(['from A']);
    const result = mock.reset();
    expect(result.epoch).to.equal(1);
    expect(mock.epoch).to.equal(1);
    // "Test B"
    await c.submit({ destination: '+9', text: 'from B' });
    expect(submitsIn(mock.transcript.frames())).to.deep.equal(['from B']);
    expectFrames(mock.transcript, { op: 'submit', dir: 'in' }, 1);
    expectRecords(mock.transcript, { kind: 'session-open' }, 0);
    expect(() => {
      expectFrames(mock.transcript, { op: 'submit', dir: 'in', fields: { text: 'from A' } }, 1);
    }).to.throw(AssertionError);
    // Everything is still there across epochs, with the reset record as the boundary.
    expect(submitsIn(mock.transcriptAll.frames())).to.deep.equal(['from A', 'from B']);
    const [reset] = mock.transcriptAll.ofKind('reset');
    expect(reset).to.deep.include({ seq: result.seq, epoch: 1, sessions: 'keep', cancelled: 0 });
    expect(mock.transcript.records[0]?.seq).to.equal(result.seq + 1);
    expect(mock.recordsSince(0).some((r) => r.kind === 'reset')).to.equal(true);

    const second = mock.reset();
    expect(second).to.deep.include({ epoch: 2, seq: second.seq });
    expect(mock.transcript.records).to.deep.equal([]);
  });

  it('waitFor() never resolves with a record from before the call unless since says so', async () => {
    const mock = await start();
    const c = await login(mock, 'other');
    await c.submit({ destination: '+9', text: 'old' });
    const submit = { kind: 'frame', op: 'submit', dir: 'in' } as const;

    const err = await mock.waitFor(submit, { timeoutMs: 50 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(AssertionError);

    const mark = mock.lastSeq;
    const pending = mock.waitFor(submit, { timeoutMs: 3000 });
    await c.submit({ destination: '+9', text: 'new' });
    expect(((await pending) as FrameRecord).fields.text).to.equal('new');

    expect(((await mock.waitFor(submit, { since: 0 })) as FrameRecord).fields.text).to.equal('old');
    expect(((await mock.waitFor(submit, { since: mark })) as FrameRecord).fields.text).to.equal(
      'new',
    );

    // since: 0 is the whole epoch, not the records before the last reset.
    mock.reset();
    const afterReset = await mock.waitFor(submit, { since: 0, timeoutMs: 50 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(afterReset).to.be.instanceOf(AssertionError);

    const badSince = await mock.waitFor(submit, { since: -1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(badSince).to.be.instanceOf(RangeError);
  });

  it('reset() cancels a pending status report, records it, and the report never goes out', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const mock = await start({ clock });
    const c = await login(mock, 'other');
    const reports: unknown[] = [];
    c.on('status-report', (r) => reports.push(r));
    await c.submit({ destination: '+2', text: 'x' });
    const [scheduled] = mock.transcript.ofKind('scheduled');
    expect(scheduled?.action).to.include({ kind: 'statusReport' });
    expect(mock.server.pendingItems).to.equal(1);

    const result = mock.reset();
    expect(result.cancelled).to.equal(1);
    expect(mock.server.pendingItems).to.equal(0);
    const all = mock.transcriptAll;
    const fired = all.ofKind('fired');
    expect(fired).to.have.length(1);
    expect(fired[0]).to.deep.include({ id: scheduled?.id, cancelled: 'reset', session: 'c1' });
    // The cancellation belongs to the epoch that scheduled it: it comes before the reset record.
    expect(fired[0]!.seq).to.be.below(result.seq);
    expect(all.ofKind('reset')[0]).to.deep.include({ cancelled: 1 });

    await clock.advance(20_000);
    expect(reports).to.deep.equal([]);
    expect(mock.transcriptAll.frames({ op: 'status-report' })).to.deep.equal([]);
    for (const r of mock.transcriptAll.records) assertValidRecord(r);
  });

  it('reset() re-arms schedule: the next login of the user gets it again', async () => {
    const mock = await start();
    const welcome = (): Promise<FrameRecord> =>
      mock.waitFor(
        { kind: 'frame', op: 'deliver', dir: 'out' },
        { since: 0, timeoutMs: 3000 },
      ) as Promise<FrameRecord>;
    const a = await login(mock);
    expect((await welcome()).fields.text).to.equal('Welcome shop');
    await a.close();
    // A second login in the same epoch is not a first login: no welcome.
    const b = await login(mock);
    await b.alive();
    expect(mock.transcript.frames({ op: 'deliver', dir: 'out' })).to.have.length(1);
    await b.close();

    mock.reset();
    await login(mock);
    expect((await welcome()).fields.text).to.equal('Welcome shop');
    expect(mock.transcriptAll.frames({ op: 'deliver', dir: 'out' })).to.have.length(2);
  });

  it('reset() restores the initial state and the times counters', async () => {
    const mock = await start();
    const c = await login(mock, 'other');
    expect((await c.submit({ destination: '+1', text: 'x' })).errorCode).to.equal(10);
    expect((await c.submit({ destination: '+1', text: 'x' })).errorCode).to.equal(0);
    await c.submit({ destination: '+3', text: 'x' });
    expect(mock.state).to.equal('open');
    expect((await c.submit({ destination: '+4', text: 'x' })).errorCode).to.equal(300);

    mock.reset();
    expect(mock.state).to.equal('started');
    expect((await c.submit({ destination: '+4', text: 'x' })).errorCode).to.equal(0);
    expect((await c.submit({ destination: '+1', text: 'x' })).errorCode).to.equal(10);
  });

  it("reset({ sessions: 'close' }) closes every session before the boundary", async () => {
    const mock = await start();
    const a = await login(mock, 'one');
    const b = await login(mock, 'two');
    const result = mock.reset({ sessions: 'close' });
    expect(result.sessionsClosed).to.equal(2);
    await Promise.all([a.whenClosed(), b.whenClosed()]);
    expect(mock.sessions()).to.deep.equal([]);
    const closes = mock.transcriptAll.ofKind('session-close');
    expect(closes.map((r) => [r.session, r.reason])).to.deep.equal([
      ['c1', 'closed by reset'],
      ['c2', 'closed by reset'],
    ]);
    for (const r of closes) expect(r.seq).to.be.below(result.seq);
    expect(mock.transcriptAll.ofKind('reset')[0]).to.deep.include({ sessions: 'close' });
    expect(mock.transcript.ofKind('session-close')).to.deep.equal([]);
    for (const r of mock.transcriptAll.records) assertValidRecord(r);

    // Sessions stay by default.
    const c = await login(mock, 'three');
    expect(mock.reset().sessionsClosed).to.equal(0);
    await c.alive();
    expect(mock.sessions()).to.have.length(1);
    expect(() => mock.reset({ sessions: 'drop' as 'close' })).to.throw(ConfigError, /keep.*close/);
  });

  it('setState() takes a state the scenario names; states() lists them', async () => {
    const mock = await start();
    expect(mock.states()).to.deep.equal(['open', 'started']);
    const c = await login(mock, 'other');
    mock.setState('open');
    expect(mock.state).to.equal('open');
    expect((await c.submit({ destination: '+4', text: 'x' })).errorCode).to.equal(300);
    let err: unknown;
    try {
      mock.setState('opne');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).code).to.equal('ERR_CONFIG_STATE');
    expect((err as Error).message).to.equal(
      'state "opne" is not named by the scenario (states: open, started)',
    );
    expect(mock.state).to.equal('open');
  });

  it('records who set the scenario: the file at start and on reload, the API in between', async () => {
    const file = join(dir, 's.yaml');
    const version = (code: number): string =>
      `version: 1\nname: v${code}\nrules:\n  - when: { op: submit }\n    then: [ { error: { code: ${code} } } ]\n`;
    writeFileSync(file, version(301));
    const mock = await start({ scenario: file, watch: true });
    expect(mock.scenarioInfo()).to.deep.include({ source: 'file', file, name: 'v301' });

    await mock.useScenario({ yaml: version(302), file: 'api.yaml' });
    expect(mock.scenarioInfo()).to.deep.equal({
      source: 'api',
      file: 'api.yaml',
      name: 'v302',
      rules: 1,
      text: version(302),
    });

    // The watched file wins again at its next change.
    const reloaded = once(mock, 'scenario-loaded', { signal: AbortSignal.timeout(5000) });
    writeFileSync(file, version(303));
    const [scenario, source] = (await reloaded) as [{ name: string }, string];
    expect([scenario.name, source]).to.deep.equal(['v303', 'file']);
    expect(mock.scenarioInfo()).to.deep.include({ source: 'file', name: 'v303' });
    expect(mock.transcript.ofKind('scenario-loaded').map((r) => [r.name, r.source])).to.deep.equal([
      ['v301', 'file'],
      ['v302', 'api'],
      ['v303', 'file'],
    ]);
  });

  it('a { file } scenario option is watched like a path; { yaml } at start counts as the API', async () => {
    const file = join(dir, 's.yaml');
    writeFileSync(file, 'version: 1\nname: first\nrules: []\n');
    const watched = await start({ scenario: { file }, watch: true });
    expect(watched.scenarioInfo().source).to.equal('file');
    const reloaded = once(watched, 'scenario-loaded', { signal: AbortSignal.timeout(5000) });
    writeFileSync(file, 'version: 1\nname: second\nrules: []\n');
    await reloaded;
    expect(watched.scenario.name).to.equal('second');

    const inline = await start();
    expect(inline.scenarioInfo()).to.deep.include({ source: 'api', file: 'isolation.yaml' });
    expect(inline.transcript.ofKind('scenario-loaded')[0]).to.deep.include({ source: 'api' });
  });
});
