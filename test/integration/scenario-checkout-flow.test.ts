/**
 * The scenario example of the issue (scenarios/checkout-flow.yaml), rule by rule, over TCP with
 * the test client and a manual clock for the mock.
 */
import { expect } from 'chai';
import { createMockSmsc, type MockSmsc } from '../../src/mock-smsc.js';
import {
  CimdClient,
  CimdTimeoutError,
  type CimdRequestError,
} from '../../src/testing/cimd-client.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { getParam } from '../../src/protocol/frame.js';

describe('scenario checkout-flow over TCP', () => {
  let clock: ManualClock;
  let mock: MockSmsc;
  const clients: CimdClient[] = [];

  async function client(user = 'shop', password = 'secret', window = 1): Promise<CimdClient> {
    const c = await CimdClient.connect({ port: mock.port, responseTimeoutMs: 2000 });
    clients.push(c);
    await c.login(user, password, { window });
    return c;
  }

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    mock = await createMockSmsc({ scenario: 'scenarios/checkout-flow.yaml', clock, seed: 1 });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await mock.stop();
  });

  it('wrong-password: 100 for shop with another password; accounts: 100 for unknown users', async () => {
    const bad = await client('shop', 'nope').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((bad as CimdRequestError).errorCode).to.equal(100);
    const stranger = await client('mallory', 'secret').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((stranger as CimdRequestError).errorCode).to.equal(100);
  });

  it('maxSessions: 2 — a third concurrent session of shop gets 102', async () => {
    await client();
    await client();
    const third = await client().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((third as CimdRequestError).errorCode).to.equal(102);
  });

  it('unknown-number: waits 150 ms, then answers 300', async () => {
    const c = await client();
    let settled = false;
    const pending = c.submit({ destination: '+99123', text: 'x' }).then((r) => {
      settled = true;
      return r;
    });
    await clock.advance(149);
    expect(settled).to.equal(false);
    await clock.advance(1);
    const r = await pending;
    expect(r.errorCode).to.equal(300);
    expect(getParam(r.response, 901)).to.equal('Incorrect destination address');
  });

  it('flaky-first-two: 10 twice with the given text, then the default accepts', async () => {
    const c = await client();
    const codes = [];
    for (let i = 0; i < 3; i++) {
      const r = await c.submit({ destination: '+358401111111', text: 'x' });
      codes.push(r.errorCode);
      if (i === 0) expect(getParam(r.response, 901)).to.equal('Temporary congestion');
    }
    expect(codes).to.deep.equal([10, 10, 0]);
  });

  it('pin-reply: OK, a delivered report after 1 s and an MO "OK {{text}}" after 2 s', async () => {
    const c = await client();
    const r = await c.submit({
      destination: '+358401234567',
      originator: '5555',
      text: 'PIN 1234',
    });
    expect(r.ok).to.equal(true);
    await clock.advance(999);
    expect(c.listenerCount('status-report')).to.equal(0);
    const report = c.nextStatusReport({ timeoutMs: 2000 });
    await clock.advance(1);
    expect(await report).to.deep.include({
      timestamp: r.timestamp,
      destination: '+358401234567',
      statusName: 'delivered',
    });
    const mo = c.nextDeliver({ timeoutMs: 2000 });
    await clock.advance(1000);
    expect(await mo).to.deep.include({
      originator: '+358401234567',
      destination: '5555',
      text: 'OK PIN 1234',
    });
  });

  it('expire-slowly: in-process after 500 ms, expired with 062:29 after 3 s', async () => {
    const c = await client();
    const r = await c.submit({ destination: '+447912345678', text: 'x', statusReportRequest: 14 });
    await clock.advance(500);
    const first = await c.nextStatusReport({ timeoutMs: 2000 });
    expect(first).to.deep.include({ status: 1, timestamp: r.timestamp });
    await clock.advance(2500);
    const second = await c.nextStatusReport({ timeoutMs: 2000 });
    expect(second).to.deep.include({
      status: 2,
      statusName: 'expired',
      statusErrorCode: 29,
      timestamp: r.timestamp,
    });
  });

  it('black-hole: never answers, later requests still are', async () => {
    const c = await client('shop', 'secret', 2);
    const hole = c.request(3, [
      { code: 21, value: '+000' },
      { code: 33, value: 'x' },
    ]);
    hole.catch(() => undefined);
    const next = await c.submit({ destination: '+1', text: 'after' });
    expect(next.ok).to.equal(true);
    const err = await hole.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(CimdTimeoutError);
  });

  it('go-down then outage: the state change turns every submit into 98 code 6', async () => {
    const c = await client();
    expect((await c.submit({ destination: '+1', text: 'before' })).ok).to.equal(true);
    expect((await c.submit({ destination: '+358400000000', text: 'down' })).ok).to.equal(true);
    const after = await c.submit({ destination: '+1', text: 'after' });
    expect(after.response.op).to.equal(98);
    expect(getParam(after.response, 900)).to.equal('6');
  });

  it('schedule: an MO 5 s after shop first logs in, with CIMD escapes for _ @ € ü', async () => {
    const c = await client();
    const mo = c.nextDeliver({ timeoutMs: 2000 });
    await clock.advance(5000);
    const d = await mo;
    expect(d).to.deep.include({
      originator: '+358409999999',
      destination: '12345',
      text: 'Hello from the network: _ @ € ü',
      encoding: 'gsm7',
    });
    expect(getParam(d.frame, 33)).to.equal('Hello from the network: _-- _Oa _XXe _u"');
  });
});
