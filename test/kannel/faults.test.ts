/**
 * How Kannel 1.4.5 reacts to the mock's faults, pinned: a wrong checksum on a 53 and on a status
 * report, a 53 and a status report sent twice, a status report before its 53, and an outage that
 * refuses connections. One mock + one Kannel for the whole file (bounded: each case waits at
 * most WAIT, the outage lasts 4 s).
 */
import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameRecord, RecordOf, TranscriptRecord } from '../../src/transcript/record.js';
import {
  findExecutable,
  pollUntil,
  SCENARIOS,
  startKannel,
  startMock,
  startReceiver,
  str,
  tempDir,
  type Hit,
  type Kannel,
  type MockProcess,
  type Receiver,
} from './harness.js';

const WAIT = 15_000;

const isFrame = (r: TranscriptRecord): r is FrameRecord => r.kind === 'frame';

describe("Kannel 1.4.5 against the mock's faults (e2e)", function () {
  this.timeout(60_000);
  let dir: string;
  let mock: MockProcess | undefined;
  let receiver: Receiver | undefined;
  let kannel: Kannel | undefined;
  let failed = false;

  before(async function () {
    if (findExecutable('bearerbox') === undefined || findExecutable('smsbox') === undefined) {
      if (process.env['CI'] === 'true') throw new Error('Kannel 1.4.5 is not installed');
      this.skip();
    }
    dir = tempDir('cimd2-mock-kannel-faults-');
    receiver = await startReceiver();
    mock = await startMock({ scenario: join(SCENARIOS, 'faults.yaml'), dir });
    kannel = await startKannel({
      smscPort: mock.port,
      receiverPort: receiver.port,
      keepalive: 0,
      reconnectDelay: 1,
      resendFreq: 2,
    });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async function () {
    await kannel?.stop();
    await mock?.stop();
    await receiver?.close();
    if (failed)
      process.stdout.write(
        `  kept for inspection: ${dir} (mock) and ${kannel?.dir ?? ''} (Kannel)\n`,
      );
    else {
      kannel?.remove();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const m = (): MockProcess => mock!;
  const k = (): Kannel => kannel!;

  async function send(to: string, ref: string, text: string): Promise<void> {
    const res = await k().sendSms({ from: '12345', to, text, dlrMask: 31, ref });
    expect(res.status, res.body).to.equal(202);
  }

  function submitOf(to: string): Promise<FrameRecord> {
    return m().waitFor(
      `the submit to ${to}`,
      (r): r is FrameRecord =>
        isFrame(r) && r.dir === 'in' && r.op === 3 && r.fields.destination === to,
      WAIT,
    );
  }

  function dlrs(ref: string): Hit[] {
    return receiver!.hits.filter((h) => h.path === '/dlr' && str(h, 'ref') === ref);
  }

  function dlr(ref: string, type: number): Promise<Hit> {
    return receiver!.waitFor(
      `DLR type ${type} for ${ref}`,
      (h) => h.path === '/dlr' && str(h, 'ref') === ref && str(h, 'type') === String(type),
      WAIT,
    );
  }

  /** Server requests (20/23) to `to`, out, in transcript order. */
  function reportsTo(to: string): FrameRecord[] {
    return m()
      .frames({ dir: 'out', op: 23 })
      .filter((f) => f.fields.destination === to);
  }

  it('bad-checksum: Kannel takes a 53 and a status report with a wrong checksum as if they were right', async () => {
    const to = '+358401200001';
    await send(to, 'f1', 'Checksum');
    const submit = await submitOf(to);
    const answer = await m().answerTo(submit, WAIT);
    expect(answer).to.include({ op: 53, fault: 'bad-checksum', checksum: 'invalid' });
    // Kannel never checks checksums: the 53 counts (DLR 8), the report too (DLR 1).
    expect(str(await dlr('f1', 8), 'fid')).to.equal(answer.fields.timestamp);
    const delivered = await dlr('f1', 1);
    expect(str(delivered, 'fid')).to.equal(answer.fields.timestamp);
    const [report] = reportsTo(to);
    expect(report).to.include({ fault: 'bad-checksum', checksum: 'invalid' });
    const ack = await m().answerTo(report!, WAIT);
    expect(ack.op).to.equal(73);
    expect(
      m()
        .frames({ dir: 'out', op: 23 })
        .filter((f) => f.pn === report!.pn),
    ).to.have.length(1, 'acknowledged at once: no resend');
    expect(k().log('smsc-cimd2.log')).to.not.match(/(WARNING|ERROR):.*checksum/i);
  });

  it('duplicate: Kannel logs the second 53 as an unexpected response, acks both reports and reports one DLR', async () => {
    const to = '+358401200002';
    await send(to, 'f2', 'Twice');
    const submit = await submitOf(to);
    const answer = await m().answerTo(submit, WAIT);
    const copies = m()
      .frames({ dir: 'out', op: 53 })
      .filter((f) => f.session === submit.session && f.pn === submit.pn);
    expect(copies.map((f) => f.fault)).to.deep.equal(['duplicate', 'duplicate']);
    await k().waitLog('smsc-cimd2.log', /cimd2_receive_msg: unexpected response packet/, WAIT);
    const delivered = await dlr('f2', 1);
    expect(str(delivered, 'fid')).to.equal(answer.fields.timestamp);
    const reports = await pollUntil(
      'both reports acknowledged',
      () => {
        const out = reportsTo(to);
        const acked = out.filter((r) =>
          m()
            .frames({ dir: 'in', op: 73 })
            .some((a) => a.pn === r.pn && a.seq > r.seq),
        );
        return acked.length === 2 ? out : undefined;
      },
      WAIT,
    );
    expect(reports[1]!.pn).to.equal((reports[0]!.pn + 2) % 256, 'a new packet number');
    expect(reports[1]!.params).to.deep.equal(reports[0]!.params);
    // The second report finds no DLR entry left: Kannel warns and calls nobody.
    await k().waitLog(
      'smsc-cimd2.log',
      new RegExp(`DLR\\[internal\\]: DLR from SMSC<[^>]*> for DST<\\${to}> not found`),
      WAIT,
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(dlrs('f2').filter((h) => str(h, 'type') === '1')).to.have.length(1);
    expect(k().log('smsc-cimd2.log')).to.not.match(/closed connection|Couldn't connect/);
  });

  it('beforeAnswer: Kannel acks a report that comes before its 53, but loses the DLR (no entry yet)', async () => {
    const to = '+358401200003';
    await send(to, 'f3', 'Early');
    const submit = await submitOf(to);
    const answer = await m().answerTo(submit, WAIT);
    const [report] = reportsTo(to);
    expect(report!.seq).to.be.lessThan(answer.seq, 'the report went out first');
    expect(report!.fields.timestamp).to.equal(answer.fields.timestamp);
    expect((await m().answerTo(report!, WAIT)).op).to.equal(73);
    await k().waitLog(
      'smsc-cimd2.log',
      new RegExp(`DLR from SMSC<[^>]*> for DST<\\${to}> not found`),
      WAIT,
    );
    expect(str(await dlr('f3', 8), 'fid')).to.equal(answer.fields.timestamp);
    await new Promise((r) => setTimeout(r, 1000));
    expect(dlrs('f3').map((h) => str(h, 'type'))).to.deep.equal(['8'], 'no final DLR');
  });

  it('outage refuse (closeSessions): Kannel retries every reconnect-delay while refused, then logs in again', async () => {
    const res = await fetch(`${m().adminUrl}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outage: { for: '4s', mode: 'refuse', closeSessions: true } }),
    });
    expect(res.status).to.equal(200);
    const started = await m().waitFor(
      'the outage start',
      (r): r is RecordOf<'fault'> =>
        r.kind === 'fault' && r.fault === 'outage' && r.phase === 'start',
      WAIT,
    );
    await k().waitLog('smsc-cimd2.log', /service center closed connection/, WAIT);
    await k().waitLog('smsc-cimd2.log', /Couldn't connect to SMSC \(retrying in 1 seconds\)/, WAIT);
    const ended = await m().waitFor(
      'the outage end',
      (r): r is RecordOf<'fault'> =>
        r.kind === 'fault' && r.fault === 'outage' && r.phase === 'end',
      WAIT,
    );
    expect(Date.parse(ended.ts) - Date.parse(started.ts)).to.be.within(3990, 4500);
    const relogin = await m().waitFor(
      'a login after the outage',
      (r): r is FrameRecord => isFrame(r) && r.dir === 'out' && r.op === 51 && r.seq > ended.seq,
      WAIT,
    );
    expect(relogin.params).to.deep.equal([]);
    const refusals =
      k()
        .log('smsc-cimd2.log')
        .match(/Connection refused/g) ?? [];
    expect(refusals.length).to.be.within(2, 6, 'about one refused connect per second of outage');
    // Nothing reached the mock while it refused: no session opened during the outage.
    const opened = m()
      .records()
      .filter((r) => r.kind === 'session-open' && r.seq > started.seq && r.seq < ended.seq);
    expect(opened).to.have.length(0);
    await k().waitOnline(WAIT);
  });
});
