/**
 * The client judge against a real Kannel 1.4.5: a conversation with login, submits (one with a
 * status report), an MO and the logout at shutdown yields no error-severity finding; every
 * finding it does give is listed in the failure message with its frame.
 */
import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FindingRecord, FrameRecord, TranscriptRecord } from '../../src/transcript/record.js';
import {
  findExecutable,
  SCENARIOS,
  startKannel,
  startMock,
  startReceiver,
  str,
  tempDir,
  type Kannel,
  type MockProcess,
  type Receiver,
} from './harness.js';

const WAIT = 15_000;

const isFinding = (r: TranscriptRecord): r is FindingRecord => r.kind === 'finding';

describe('Kannel 1.4.5 judged by the client judge (e2e)', function () {
  this.timeout(90_000);
  let mock: MockProcess | undefined;
  let kannel: Kannel | undefined;
  let receiver: Receiver | undefined;
  let dir: string | undefined;

  before(function () {
    if (findExecutable('bearerbox') !== undefined && findExecutable('smsbox') !== undefined) return;
    const message = 'Kannel 1.4.5 is not installed (apt-get install -y kannel)';
    if (process.env['CI'] === 'true') throw new Error(message);
    process.stdout.write(`  skipping: ${message}\n`);
    this.skip();
  });

  after(async () => {
    await kannel?.stop();
    await mock?.stop();
    await receiver?.close();
    kannel?.remove();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('login, submits, a status report, an MO and the logout: no error-severity finding', async () => {
    dir = tempDir('cimd2-mock-kannel-judge-');
    receiver = await startReceiver();
    mock = await startMock({ scenario: join(SCENARIOS, 'kannel.yaml'), dir, keepalive: 10 });
    kannel = await startKannel({
      smscPort: mock.port,
      receiverPort: receiver.port,
      keepalive: 5,
      reconnectDelay: 1,
      resendFreq: 2,
      waitOnline: true,
    });
    const sms = [
      { from: '12345', to: '+358401000101', text: 'Judge me', dlrMask: 31, ref: 'j1' },
      { from: '12345', to: '+358408000008', text: 'MO please', dlrMask: 31, ref: 'j2' },
    ];
    for (const s of sms) {
      const res = await kannel.sendSms(s);
      expect(res.status, res.body).to.equal(202);
    }
    const r = receiver;
    await r.waitFor(
      'the delivered DLR of j1',
      (h) => h.path === '/dlr' && str(h, 'ref') === 'j1' && str(h, 'type') === '1',
      WAIT,
    );
    await r.waitFor('an MO', (h) => h.path !== '/dlr', WAIT);
    const m = mock;
    // Every 23 and 20 was answered (70/73) before the shutdown.
    await m.waitFor(
      'the answer to the MO',
      (x): x is FrameRecord => x.kind === 'frame' && x.dir === 'in' && x.op === 70,
      WAIT,
    );
    await kannel.stop();
    kannel = undefined;
    await m.waitFor(
      'the logout',
      (x): x is FrameRecord => x.kind === 'frame' && x.dir === 'in' && x.op === 2,
      WAIT,
    );
    await m.waitFor('the session close', (x) => x.kind === 'session-close', WAIT);
    const records = m.records();
    const ops = new Set(
      records.filter((x) => x.kind === 'frame' && x.dir === 'in').map((x) => (x as FrameRecord).op),
    );
    for (const op of [1, 3, 70, 73, 2]) expect(ops.has(op), `Kannel sent op ${op}`).to.equal(true);
    const findings = records.filter(isFinding);
    const describe = (f: FindingRecord): string => {
      const frame = records.find((x) => x.seq === f.frameSeq);
      return `${f.severity} ${f.check}: ${f.message} — frame ${frame !== undefined && 'raw' in frame ? JSON.stringify(frame.raw) : '?'}`;
    };
    expect(findings.filter((f) => f.severity === 'error').map(describe)).to.deep.equal([]);
    // Kannel logs out at shutdown: no close-without-logout either.
    expect(findings.map((f) => f.check)).to.not.include('close-without-logout');
  });

  it('after the mock hangs up, Kannel logs in again with 001 and numbers on from there: no finding', async () => {
    await kannel?.stop();
    await mock?.stop();
    await receiver?.close();
    dir = tempDir('cimd2-mock-kannel-judge-');
    receiver = await startReceiver();
    mock = await startMock({ scenario: join(SCENARIOS, 'reconnect.yaml'), dir });
    kannel = await startKannel({
      smscPort: mock.port,
      receiverPort: receiver.port,
      keepalive: 0,
      reconnectDelay: 1,
      resendFreq: 2,
      waitOnline: true,
    });
    const r = receiver;
    const m = mock;
    for (const [to, ref] of [
      ['+358401100001', 'k1'],
      ['+358401100002', 'k2'],
    ] as const) {
      if (ref === 'k2')
        await m.waitFor(
          'the second login',
          (x): x is FrameRecord =>
            x.kind === 'frame' && x.dir === 'in' && x.op === 1 && x.session === 'c2',
          WAIT,
        );
      const res = await kannel.sendSms({ from: '12345', to, text: 'Hi', dlrMask: 31, ref });
      expect(res.status, res.body).to.equal(202);
      await r.waitFor(
        `the delivered DLR of ${ref}`,
        (h) => h.path === '/dlr' && str(h, 'ref') === ref && str(h, 'type') === '1',
        WAIT,
      );
    }
    const records = m.records();
    const requests = records
      .filter((x): x is FrameRecord => x.kind === 'frame' && x.dir === 'in' && x.op < 50)
      .map((f) => [f.session, f.op, f.pn]);
    // Kannel numbers the new connection from its login: 001, then 003 — no pn-sequence finding.
    expect(requests).to.deep.equal([
      ['c1', 1, 1],
      ['c1', 3, 3],
      ['c2', 1, 1],
      ['c2', 3, 3],
    ]);
    expect(records.filter(isFinding).map((f) => `${f.check}: ${f.message}`)).to.deep.equal([]);
  });
});
