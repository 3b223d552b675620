/**
 * A fixed conversation through `createMockSmsc`, compared byte for byte with a checked-in
 * transcript (test/fixtures/golden/conversation.jsonl). It pins what the server core records for
 * login, single and multipart submits with their status reports, a rule error, an MO deliver
 * (scheduled, rule-triggered and injected), alive, a bad frame and logout. The clock is a
 * ManualClock and time moves only between steps, so the records' `ts`, 060 and 063 values are
 * fixed; only the client's ephemeral TCP port, the listening port and the run's `runId` (a
 * fresh UUID at each start) are normalised.
 *
 * Regenerate (only when a recorded behaviour changes on purpose, and say why in the commit):
 *   GOLDEN_UPDATE=1 npx mocha test/integration/golden-conversation.test.ts
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMockSmsc, type MockSmsc } from '../../src/mock-smsc.js';
import { loadScenarioText } from '../../src/scenario/index.js';
import { CimdClient } from '../../src/testing/cimd-client.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import type { TranscriptRecord } from '../../src/transcript/index.js';

const GOLDEN = new URL('../fixtures/golden/conversation.jsonl', import.meta.url);

const SCENARIO = `version: 1
name: golden
server:
  statusReportDelay: 100ms
rules:
  - id: accept-login
    when: { op: login }
    then: [ { respond: {} } ]
  - id: busy
    priority: 1
    when: { op: submit, destination: "+358400000010" }
    then: [ { error: { code: 10, text: "busy now" } } ]
  - id: echo
    priority: 1
    when: { op: submit, destination: "12345" }
    then: [ { respond: {} } ]
    afterwards:
      - deliver: { after: 50ms, from: "{{destination}}", to: "{{originator}}", text: "echo: {{text}}" }
  - id: accept-submit
    when: { op: submit }
    then: [ { respond: {} } ]
  - id: answer-alive
    when: { op: alive }
    then: [ { respond: {} } ]
  - id: answer-logout
    when: { op: logout }
    then: [ { respond: {} } ]
schedule:
  - after: 1s
    user: shop
    deliver: { from: "+358409999999", to: "12345", text: "scheduled hello" }
`;

/** Replaces what a real socket makes random: the ports. */
function normalise(jsonl: string, port: number, clientPorts: readonly number[]): string {
  let out = jsonl.split(`127.0.0.1:${port}`).join('127.0.0.1:SERVER');
  out = out.replace(/"port":\d+/g, '"port":0');
  out = out.replace(/"runId":"[^"]*"/g, '"runId":"RUN"');
  for (const [i, p] of clientPorts.entries())
    out = out.split(`127.0.0.1:${p}`).join(`127.0.0.1:CLIENT${i + 1}`);
  return out;
}

describe('golden conversation (recorded transcript bytes)', function () {
  this.timeout(20_000);
  let dir: string;
  let mock: MockSmsc | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-golden-'));
  });

  afterEach(async () => {
    await mock?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Runs the conversation; returns the normalised JSONL of the transcript file, or (`file`
   * false) of the in-memory transcript alone, which keeps frames packed until read.
   */
  async function converse(withFile: boolean): Promise<string> {
    const clock = new ManualClock(Date.UTC(2026, 2, 4, 5, 6, 7));
    const file = join(dir, 'conversation.jsonl');
    const m = await createMockSmsc({
      scenario: loadScenarioText(SCENARIO, 'golden.yaml'),
      clock,
      seed: 7,
      ...(withFile ? { transcript: file } : {}),
    });
    mock = m;
    let last = 0;
    /** Waits for a record after the previous step's, and remembers it. */
    const until = async (test: (r: TranscriptRecord) => boolean): Promise<TranscriptRecord> => {
      const after = last;
      const r = await m
        .waitFor((x) => x.seq > after && test(x), { timeoutMs: 5000, since: after })
        .catch((e: unknown) => {
          throw new Error(
            `step after seq ${after} did not happen; records:\n${m.transcript.records.map((x) => JSON.stringify(x).slice(0, 160)).join('\n')}`,
            { cause: e },
          );
        });
      last = r.seq;
      return r;
    };
    const frame = (dir: 'in' | 'out', op: number) => (r: TranscriptRecord) =>
      r.kind === 'frame' && r.dir === dir && r.op === op;

    const client = await CimdClient.connect({ port: m.port });
    const clientPorts: number[] = [];
    await until((r) => r.kind === 'session-open');
    await client.login('shop', 'secret');
    await until(frame('out', 51));
    await clock.advance(10);

    // A single submit asking for a delivery report, then its report 100 ms later.
    const single = await client.submit({
      destination: '+358401234567',
      originator: '+358409876543',
      text: 'Hello golden',
      statusReportRequest: 14,
    });
    expect(single.ok).to.equal(true);
    await until(frame('out', 53));
    await clock.advance(100);
    await until(frame('in', 73));

    // A multipart submit (two parts, UCS2), each part answered, one report for the message.
    const multi = await client.submit({
      destination: '+358401234568',
      originator: '+358409876543',
      text: 'Ünïcödé '.repeat(12),
      encoding: 'ucs2',
      statusReportRequest: 14,
      reference: 42,
    });
    expect(multi.parts).to.have.length(2);
    await until(
      (r) => r.kind === 'frame' && r.dir === 'out' && r.op === 53 && r.pn === multi.pn + 2,
    );
    await clock.advance(100);
    await until(frame('in', 73));

    // A rule error.
    const busy = await client.submit({ destination: '+358400000010', text: 'x' });
    expect(busy.errorCode).to.equal(10);
    await until(frame('out', 53));

    // A rule-triggered MO (afterwards), fired 50 ms later and acknowledged by the client.
    await client.submit({ destination: '12345', originator: '+358401111111', text: 'ping' });
    await until(frame('out', 53));
    await clock.advance(50);
    await until(frame('in', 70));

    // The scenario's schedule (1 s after the first login) and an injected multipart MO.
    await clock.advance(800);
    await until(frame('in', 70));
    const injected = await m.deliver({
      user: 'shop',
      from: '+358402222222',
      to: '12345',
      text: 'long '.repeat(40),
    });
    expect(injected.packetNumbers).to.have.length(2);
    await until(
      (r) =>
        r.kind === 'frame' && r.dir === 'in' && r.op === 70 && r.pn === injected.packetNumbers[1],
    );

    // Alive, a frame with a bad checksum (99), a frame with a syntax error (98).
    await client.alive();
    await until(frame('out', 90));
    client.sendBytes(Buffer.from('\u000203:021\t021:123\t00\u0003', 'latin1'));
    await until(frame('out', 99));
    client.sendBytes(Buffer.from('\u0002XY:023\t\u0003', 'latin1'));
    await until(frame('out', 98));

    // Logout closes the session.
    const localPort = (client as unknown as { stream: { localPort: number } }).stream.localPort;
    clientPorts.push(localPort);
    await client.logout();
    await until((r) => r.kind === 'session-close');
    await client.close();
    await m.stop('golden done');
    mock = undefined;
    const jsonl = withFile
      ? readFileSync(file, 'utf8')
      : Buffer.concat(m.transcriptBytes(0, 1 << 30).chunks).toString('utf8');
    return normalise(jsonl, m.port, clientPorts);
  }

  /** Compares line by line with the golden file. */
  function expectGolden(actual: string): void {
    const expected = readFileSync(GOLDEN, 'utf8');
    const a = actual.split('\n');
    const e = expected.split('\n');
    for (let i = 0; i < Math.max(a.length, e.length); i++)
      expect(a[i], `transcript line ${i + 1}`).to.equal(e[i]);
  }

  it('records the fixed conversation exactly as the golden file', async () => {
    const actual = await converse(true);
    if (process.env['GOLDEN_UPDATE'] === '1') writeFileSync(GOLDEN, actual);
    expectGolden(actual);
  });

  it('keeps the same bytes in memory alone (frames packed until read)', async () => {
    expectGolden(await converse(false));
  });
});
