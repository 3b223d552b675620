/**
 * `GET /stats` takes its traffic figures (submits per second, error answers, ack timeouts) from
 * the recorder, which counts them as it writes the records: they must equal what the records
 * themselves say (derived here from the transcript). Over real TCP on 127.0.0.1.
 */
import { expect } from 'chai';
import net from 'node:net';
import { startControlApi } from '../../src/control-api.js';
import { createMockSmsc } from '../../src/mock-smsc.js';
import { CimdClient } from '../../src/testing/cimd-client.js';
import type { TrafficFigures, TranscriptRecord } from '../../src/index.js';

/** The figures as the records define them: submit frames in per second of `ts`, error answers out, ack timeouts. */
function fromRecords(records: readonly TranscriptRecord[], now: number): TrafficFigures {
  const perSecond = new Map<number, number>();
  let errorAnswers = 0;
  let ackTimeouts = 0;
  for (const r of records) {
    if (r.kind === 'ack-timeout') ackTimeouts++;
    if (r.kind !== 'frame') continue;
    if (r.dir === 'in' && r.op === 3) {
      const second = Math.floor(Date.parse(r.ts) / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }
    const error = r.op === 98 || r.op === 99 || (r.op > 50 && (r.fields.errorCode ?? 0) !== 0);
    if (r.dir === 'out' && error) errorAnswers++;
  }
  const last = Math.floor(now / 1000);
  const submitsPerSecond: number[] = [];
  for (let t = last - 59; t <= last; t++) submitsPerSecond.push(perSecond.get(t) ?? 0);
  return { submitsPerSecond, errorAnswers, ackTimeouts };
}

const SCENARIO = `
version: 1
rules:
  - id: login
    when: { op: login }
    then: [{ respond: {} }]
  - id: refused
    when: { op: submit, destination: "300" }
    then: [{ error: { code: 300, text: "refused" } }]
  - id: accept
    when: { op: submit }
    then: [{ respond: {} }]
`;

describe('GET /stats traffic figures, counted as records are written', () => {
  it('equal what the records say: submits per second, error answers, ack timeouts', async () => {
    const mock = await createMockSmsc({
      port: 0,
      stopGraceMs: 0,
      ackTimeoutMs: 30,
      maxResends: 0,
      scenario: { yaml: SCENARIO },
    });
    try {
      const c = await CimdClient.connect({ port: mock.port, responseTimeoutMs: 3000 });
      await c.login('shop', 'pw');
      for (let i = 0; i < 5; i++) await c.submit({ destination: '123', text: `ok ${i}` });
      for (let i = 0; i < 3; i++) await c.submit({ destination: '300', text: `no ${i}` });
      // A long text: several submit frames (parts), each counted.
      await c.submit({ destination: '123', text: 'x'.repeat(400) });
      // A frame that does not decode: a 98 general error answers it.
      const raw = net.connect(mock.port, '127.0.0.1');
      raw.on('error', () => undefined);
      raw.write('\x0203:005\t021:1\tZZ\x03', 'latin1');
      await new Promise((r) => setTimeout(r, 100));
      raw.destroy();
      // An MO the client never acknowledges: an ack timeout.
      const silent = await CimdClient.connect({ port: mock.port, autoAck: false });
      await silent.login('quiet', 'pw');
      const mo = await mock.deliver({ user: 'quiet', from: '1', to: '2', text: 'anyone?' });
      expect(mo.acknowledged).to.equal(false);
      await c.close();
      await silent.close();

      const figures = mock.trafficFigures();
      expect(figures).to.deep.equal(fromRecords(mock.recordsSince(0), mock.clock.now()));
      // And they are the traffic above, not zeros on both sides.
      expect(figures.submitsPerSecond.reduce((a, b) => a + b, 0)).to.be.at.least(5 + 3 + 3);
      expect(figures.errorAnswers).to.be.at.least(4);
      expect(figures.ackTimeouts).to.equal(1);
    } finally {
      await mock.stop();
    }
  });

  it('a poll of GET /stats reads no transcript back, and still gives the figures', async () => {
    const mock = await createMockSmsc({ port: 0, stopGraceMs: 0, scenario: { yaml: SCENARIO } });
    const api = await startControlApi(mock);
    // Every way the control API can read the in-memory transcript, counted.
    const reads: string[] = [];
    for (const name of ['transcriptBytes', 'transcriptLines', 'recordsSince'] as const) {
      const original = mock[name].bind(mock) as (...args: unknown[]) => unknown;
      Object.defineProperty(mock, name, {
        value: (...args: unknown[]) => {
          reads.push(name);
          return original(...args);
        },
      });
    }
    try {
      const c = await CimdClient.connect({ port: mock.port, responseTimeoutMs: 3000 });
      await c.login('shop', 'pw');
      for (let i = 0; i < 4; i++) await c.submit({ destination: '123', text: `ok ${i}` });
      await c.submit({ destination: '300', text: 'no' });
      interface Stats {
        sessionsOpen: number;
        submitsPerSecond: number[];
        errors: { answers: number };
      }
      const first = (await (await fetch(`${api.url}/stats`)).json()) as Stats;
      await c.submit({ destination: '300', text: 'no again' });
      const second = (await (await fetch(`${api.url}/stats`)).json()) as Stats;
      await c.close();
      expect(reads).to.deep.equal([]);
      expect(first.sessionsOpen).to.equal(1);
      expect(first.submitsPerSecond.reduce((a, b) => a + b, 0)).to.equal(5);
      expect(first.errors.answers).to.equal(1);
      expect(second.submitsPerSecond.reduce((a, b) => a + b, 0)).to.equal(6);
      expect(second.errors.answers).to.equal(2);
    } finally {
      await api.close();
      await mock.stop();
    }
  });
});
