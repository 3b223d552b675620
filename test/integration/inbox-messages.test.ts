/**
 * The inbox over real HTTP and a real CIMD2 client: GET /messages (every filter, pagination,
 * long-poll), GET /messages/{id}, DELETE /messages, GET /mo, GET /mo/{id}.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { startControlApi, type ControlApi } from '../../src/control-api.js';
import { MAX_WAITERS } from '../../src/control/inbox-routes.js';
import type {
  MessageDetail,
  MessagePage,
  MoDetail,
  MoPage,
} from '../../src/control/inbox-types.js';
import { MessageIndex } from '../../src/control/message-index.js';
import { createMockSmsc, type MockSmsc } from '../../src/mock-smsc.js';
import { CimdClient } from '../../src/testing/cimd-client.js';
import { ManualClock } from '../../src/testing/manual-clock.js';

const openapi = JSON.parse(
  readFileSync(new URL('../../schemas/control-api.openapi.json', import.meta.url), 'utf8'),
) as object;
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ ...openapi, $id: 'openapi.json' });

function expectSchema(body: unknown, name: string): void {
  const validate = ajv.getSchema(`openapi.json#/components/schemas/${name}`);
  if (validate === undefined) throw new Error(`no schema ${name}`);
  expect(validate(body), `${name}: ${ajv.errorsText(validate.errors)}`).to.equal(true);
}

const SCENARIO = `version: 1
name: inbox
rules:
  - id: login
    when: { op: login }
    then: [ { respond: {} } ]
  - id: reject
    when: { op: submit, destination: "999" }
    then: [ { error: { code: 11, text: "no such number" } } ]
  - id: silent
    when: { op: submit, destination: "998" }
    then: [ { drop: {} } ]
  - id: echo
    when: { op: submit, destination: "777" }
    then: [ { respond: {} } ]
    afterwards:
      - deliver: { after: 2s, from: "{{destination}}", to: "{{originator}}", text: "re: {{text}}" }
  - id: report
    when: { op: submit }
    then: [ { respond: {} } ]
    afterwards:
      - statusReport: { after: 1s, status: delivered }
`;

interface Answer<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

describe('inbox API (GET /messages, /mo)', () => {
  let clock: ManualClock;
  let mock: MockSmsc;
  let api: ControlApi;
  const clients: CimdClient[] = [];

  async function get<T>(path: string, init: RequestInit = {}): Promise<Answer<T>> {
    const res = await fetch(`${api.url}${path}`, init);
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: (text === '' ? undefined : JSON.parse(text)) as T,
    };
  }

  async function login(user = 'shop'): Promise<CimdClient> {
    const c = await CimdClient.connect({ port: mock.port, responseTimeoutMs: 3000 });
    clients.push(c);
    await c.login(user, 'pw');
    return c;
  }

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
    mock = await createMockSmsc({
      port: 0,
      stopGraceMs: 0,
      clock,
      scenario: { yaml: SCENARIO },
    });
    api = await startControlApi(mock, { port: 0 });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await api.close();
    await mock.stop();
  });

  it('lists a submitted message with its answer, rule, options and status report timeline', async () => {
    const c = await login();
    const r = await c.submit({
      destination: '12345',
      originator: '555',
      text: 'Hello €',
      statusReportRequest: 14,
      validityRelative: 167,
    });
    expect(r.ok).to.equal(true);
    const report = c.nextStatusReport();
    await clock.advance(1000);
    await report;
    await until(async () => (await page()).messages[0]?.reports.length === 3);
    const p = await page();
    expectSchema(p, 'MessagePage');
    expect(p.total).to.equal(1);
    expect(p.next).to.equal(null);
    const m = p.messages[0]!;
    expect(m).to.deep.include({
      session: 'c1',
      user: 'shop',
      from: '555',
      to: '12345',
      text: 'Hello €',
      hex: null,
      encoding: 'gsm7',
      dcs: 0,
      udh: null,
      rule: 'report',
      status: 'accepted',
      report: 'delivered',
      partsExpected: 1,
      timestamp: r.timestamp,
      epoch: 0,
    });
    expect(m.id).to.equal(`m${m.seq}`);
    expect(m.answer).to.deep.include({ kind: 'ok', timestamp: r.timestamp, op: 53 });
    expect(m.options.map((o) => [o.code, o.name, o.value])).to.deep.equal([
      ['050', 'validityPeriodRelative', '167'],
      ['056', 'statusReportRequest', '14'],
    ]);
    expect(m.reports.map((s) => [s.step, s.status])).to.deep.equal([
      ['scheduled', 'delivered'],
      ['sent', 'delivered'],
      ['acknowledged', 'delivered'],
    ]);
    expect(m.reports[1]).to.deep.include({ timestamp: r.timestamp, statusCode: 4 });
    expect(m.reports[0]?.at).to.equal('2026-06-01T12:00:01.000Z');
  });

  it('assembles a multipart message into one entry with its parts listed', async () => {
    const c = await login();
    const text = 'part of a long message '.repeat(12);
    const r = await c.submit({ destination: '12345', originator: '555', text });
    expect(r.parts.length).to.equal(2);
    const p = await page();
    expect(p.messages).to.have.length(1);
    const m = p.messages[0]!;
    expect(m.text).to.equal(text);
    expect(m.partsExpected).to.equal(2);
    expect(m.parts.map((x) => [x.part, x.pn, x.answer.kind])).to.deep.equal([
      [1, r.parts[0]!.pn, 'ok'],
      [2, r.parts[1]!.pn, 'ok'],
    ]);
    expect(m.reference).to.be.a('number');
    expect(m.udh).to.match(/^050003[0-9A-F]{2}0201$/);
    expect(m.status).to.equal('accepted');
  });

  it('shows binary user data as hex, errors with their code and text, and dropped requests', async () => {
    const c = await login();
    await c.submit({ destination: '12345', bytes: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]) });
    const bad = await c.submit({ destination: '999', text: 'x' });
    expect(bad.errorCode).to.equal(11);
    c.submit({ destination: '998', text: 'never answered' }).catch(() => undefined);
    await until(async () => (await page()).total === 3);
    const [dropped, rejected, binary] = (await page()).messages;
    expect(binary).to.deep.include({ text: null, hex: 'DEADBEEF', status: 'accepted' });
    expect(binary!.encoding).to.not.equal('gsm7');
    expect(rejected).to.deep.include({ status: 'rejected', rule: 'reject' });
    expect(rejected!.answer).to.deep.include({
      kind: 'error',
      errorCode: 11,
      errorText: 'no such number',
    });
    expect(dropped).to.deep.include({ status: 'dropped', rule: 'silent' });
    expect(dropped!.answer).to.deep.equal({ kind: 'none' });
  });

  describe('filters', () => {
    beforeEach(async () => {
      const a = await login('alpha');
      const b = await login('beta');
      await a.submit({ destination: '4670111', originator: '100', text: 'Order 42 confirmed' });
      await a.submit({ destination: '999', originator: '100', text: 'rejected one' });
      await b.submit({ destination: '4670222', originator: '200', text: 'Your code is 1234' });
      await b.submit({ destination: '3580333', originator: 'Shop', text: 'ORDER 43 shipped' });
    });

    const texts = async (query: string): Promise<(string | null)[]> => {
      const a = await get<MessagePage>(`/messages?${query}`);
      expect(a.status, JSON.stringify(a.body)).to.equal(200);
      return a.body.messages.map((m) => m.text);
    };

    it('to and from: exact, or a prefix with a trailing *', async () => {
      expect(await texts('to=4670111')).to.deep.equal(['Order 42 confirmed']);
      expect(await texts('to=4670*')).to.deep.equal(['Your code is 1234', 'Order 42 confirmed']);
      expect(await texts('to=467')).to.deep.equal([]);
      expect(await texts('from=Shop')).to.deep.equal(['ORDER 43 shipped']);
      expect(await texts('from=1*')).to.deep.equal(['rejected one', 'Order 42 confirmed']);
    });

    it('user and session', async () => {
      expect(await texts('user=beta')).to.deep.equal(['ORDER 43 shipped', 'Your code is 1234']);
      expect(await texts('session=c1')).to.deep.equal(['rejected one', 'Order 42 confirmed']);
      expect(await texts('user=nobody')).to.deep.equal([]);
    });

    it('text: a case-insensitive substring, or /regex/flags on the linear-time engine', async () => {
      expect(await texts('text=order')).to.deep.equal(['ORDER 43 shipped', 'Order 42 confirmed']);
      expect(await texts(`text=${encodeURIComponent('/code is \\d{4}$/')}`)).to.deep.equal([
        'Your code is 1234',
      ]);
      expect(await texts(`text=${encodeURIComponent('/^order/')}`)).to.deep.equal([]);
      expect(await texts(`text=${encodeURIComponent('/^order 4[23]/i')}`)).to.deep.equal([
        'ORDER 43 shipped',
        'Order 42 confirmed',
      ]);
    });

    it('refuses a regex JavaScript would backtrack on, a bad flag and bad syntax (400)', async () => {
      for (const [q, why] of [
        ['/(a)\\1/', /backreferences are not supported/],
        ['/(?=a)b/', /lookaround|not supported/],
        ['/[a-/', /invalid regex/],
        ['/a/g', /flag "g"/],
      ] as const) {
        const a = await get<{ code: string; error: string }>(
          `/messages?text=${encodeURIComponent(q)}`,
        );
        expect(a.status, q).to.equal(400);
        expect(a.body.code).to.equal('ERR_CONTROL_INVALID_QUERY');
        expect(a.body.error, q).to.match(why);
      }
    });

    it('status: the message status or a status report name; rule; unknown values are 400', async () => {
      expect(await texts('status=rejected')).to.deep.equal(['rejected one']);
      expect(await texts('status=rejected,accepted')).to.have.length(4);
      expect(await texts('rule=reject')).to.deep.equal(['rejected one']);
      expect(await texts('rule=report')).to.have.length(3);
      const report = clientsFirst().nextStatusReport();
      await clock.advance(1000);
      await report;
      await until(async () => (await texts('status=delivered')).length === 3);
      const bad = await get<{ code: string; error: string }>('/messages?status=great');
      expect(bad.status).to.equal(400);
      expect(bad.body.error).to.match(/unknown status "great"/);
    });

    it('since: after a record seq, or at/after an ISO time', async () => {
      const all = (await get<MessagePage>('/messages')).body.messages;
      const third = all[1]!;
      expect(await texts(`since=${third.seq}`)).to.deep.equal(['ORDER 43 shipped']);
      expect(await texts('since=2026-06-01T11:59:59Z')).to.have.length(4);
      expect(await texts('since=2026-06-01T12:00:01Z')).to.deep.equal([]);
      expect((await get('/messages?since=yesterday')).status).to.equal(400);
    });

    it('refuses unknown parameters and repeated ones instead of matching everything', async () => {
      const typo = await get<{ error: string }>('/messages?too=1');
      expect(typo.status).to.equal(400);
      expect(typo.body.error).to.match(/unknown query parameter "too"/);
      expect((await get('/messages?to=1&to=2')).status).to.equal(400);
    });

    it('limit and cursor: pages newest first, total over all pages', async () => {
      const first = (await get<MessagePage>('/messages?limit=3')).body;
      expect(first.messages.map((m) => m.text)).to.deep.equal([
        'ORDER 43 shipped',
        'Your code is 1234',
        'rejected one',
      ]);
      expect(first.total).to.equal(4);
      expect(first.next).to.equal(first.messages[2]!.id);
      const second = (await get<MessagePage>(`/messages?limit=3&cursor=${first.next}`)).body;
      expect(second.messages.map((m) => m.text)).to.deep.equal(['Order 42 confirmed']);
      expect(second.next).to.equal(null);
      expect(second.total).to.equal(4);
      for (const q of ['limit=0', 'limit=1001', 'cursor=x1', 'cursor=mo3']) {
        expect((await get(`/messages?${q}`)).status, q).to.equal(400);
      }
    });
  });

  function clientsFirst(): CimdClient {
    return clients[0]!;
  }

  describe('wait (long-poll)', () => {
    it('answers at once when a message matches already', async () => {
      const c = await login();
      await c.submit({ destination: '12345', text: 'there' });
      const a = await get<MessagePage>('/messages?to=12345&wait=5s');
      expect(a.body.messages).to.have.length(1);
      expect(a.body.timedOut).to.equal(undefined);
    });

    it('waits until a matching message exists', async () => {
      const c = await login();
      const started = Date.now();
      const pending = get<MessagePage>('/messages?to=4444&wait=5s');
      await c.submit({ destination: '12345', text: 'not this one' });
      await new Promise((r) => setTimeout(r, 100));
      await c.submit({ destination: '4444', text: 'this one' });
      const a = await pending;
      expect(a.body.messages.map((m) => m.text)).to.deep.equal(['this one']);
      expect(Date.now() - started).to.be.lessThan(3000);
    });

    it('expires empty with timedOut: true', async () => {
      const started = Date.now();
      const a = await get<MessagePage>('/messages?to=4444&wait=300ms');
      expect(a.status).to.equal(200);
      expect(a.body).to.deep.include({ messages: [], timedOut: true });
      expect(Date.now() - started).to.be.at.least(290);
    });

    it('is bounded: at most 60 s, at most MAX_WAITERS at once (503 with Retry-After)', async () => {
      expect((await get('/messages?wait=61s')).status).to.equal(400);
      expect((await get('/messages?wait=soon')).status).to.equal(400);
      const controllers = Array.from({ length: MAX_WAITERS }, () => new AbortController());
      const parked = controllers.map((ac) =>
        fetch(`${api.url}/messages?to=0&wait=10s`, { signal: ac.signal }).catch(() => undefined),
      );
      await until(async () => {
        const a = await get<{ code: string }>('/messages?to=0&wait=10s');
        return a.status === 503;
      });
      const busy = await get<{ code: string }>('/messages?to=0&wait=10s');
      expect(busy.body.code).to.equal('ERR_CONTROL_BUSY');
      expect(busy.headers.get('retry-after')).to.equal('1');
      for (const ac of controllers) ac.abort();
      await Promise.all(parked);
      // The aborted requests left: waiting works again.
      await until(async () => (await get('/messages?to=0&wait=10ms')).status === 200);
    });
  });

  it('GET /messages/{id}: the frames as CIMD text and hex with named parameters, and the explanations', async () => {
    const c = await login();
    const r = await c.submit({ destination: '12345', originator: '555', text: 'Hi' });
    const m = (await page()).messages[0]!;
    const a = await get<MessageDetail>(`/messages/${m.id}`);
    expect(a.status).to.equal(200);
    expectSchema(a.body, 'MessageDetail');
    expect(a.body.framesTruncated).to.equal(false);
    expect(a.body.frames.map((f) => [f.dir, f.opName, f.pn])).to.deep.equal([
      ['in', 'submit', r.pn],
      ['out', 'submit-response', r.pn],
    ]);
    const submit = a.body.frames[0]!;
    expect(submit.raw.startsWith('\u000203:')).to.equal(true);
    expect(submit.hex).to.equal(Buffer.from(submit.raw, 'latin1').toString('hex').toUpperCase());
    expect(submit.params).to.deep.include({
      code: '021',
      name: 'destinationAddress',
      title: 'Destination address',
      value: '12345',
    });
    expect(a.body.explanations).to.have.length(1);
    expect(a.body.explanations[0]).to.match(/rule "report"/);
    const unknown = await get<{ code: string }>('/messages/m99999');
    expect(unknown.status).to.equal(404);
    expect(unknown.body.code).to.equal('ERR_MESSAGE_UNKNOWN');
    expect((await get<{ code: string }>('/messages/abc')).body.code).to.equal(
      'ERR_MESSAGE_UNKNOWN',
    );
  });

  it('DELETE /messages starts a new epoch: the inbox shows what follows, epoch=all reaches back', async () => {
    const c = await login();
    await c.submit({ destination: '12345', text: 'before' });
    const d = await get<{ status: string; epoch: number }>('/messages', { method: 'DELETE' });
    expect(d.status).to.equal(200);
    expectSchema(d.body, 'ResetResult');
    expect(d.body.epoch).to.equal(1);
    expect(mock.epoch).to.equal(1);
    expect((await page()).messages).to.deep.equal([]);
    await c.submit({ destination: '12345', text: 'after' });
    expect((await page()).messages.map((m) => [m.text, m.epoch])).to.deep.equal([['after', 1]]);
    const all = (await get<MessagePage>('/messages?epoch=all')).body.messages;
    expect(all.map((m) => [m.text, m.epoch])).to.deep.equal([
      ['after', 1],
      ['before', 0],
    ]);
    // The pending status report of "before" was cancelled by the reset: its timeline says so.
    expect(all[1]!.reports.map((s) => s.step)).to.deep.equal(['scheduled', 'cancelled']);
    expect(all[1]!.reports[1]!.reason).to.equal('reset');
    expect((await get('/messages?sessions=close', { method: 'DELETE' })).status).to.equal(200);
    expect(mock.sessions()).to.deep.equal([]);
  });

  it('GET /mo: MO messages with their deliver response, from the API and from a rule', async () => {
    const c = await login();
    await mock.deliver({ from: '777', to: '555', text: 'injected' });
    const m = c.nextMessage();
    await c.submit({ destination: '777', originator: '555', text: 'ping' });
    await clock.advance(2000);
    await m;
    await until(async () => (await get<MoPage>('/mo')).body.total === 2);
    const p = (await get<MoPage>('/mo')).body;
    expectSchema(p, 'MoPage');
    expect(p.messages.map((x) => [x.text, x.rule, x.status, x.from, x.to])).to.deep.equal([
      ['re: ping', 'echo', 'acknowledged', '777', '555'],
      ['injected', null, 'acknowledged', '777', '555'],
    ]);
    expect(p.messages[0]!.answer.kind).to.equal('acknowledged');
    expect((await get<MoPage>('/mo?rule=echo')).body.total).to.equal(1);
    expect((await get<MoPage>('/mo?text=inject')).body.total).to.equal(1);
    expect((await get('/mo?status=delivered')).status).to.equal(400);
    const d = await get<MoDetail>(`/mo/${p.messages[1]!.id}`);
    expectSchema(d.body, 'MoDetail');
    expect(d.body.frames.map((f) => [f.dir, f.opName])).to.deep.equal([
      ['out', 'deliver'],
      ['in', 'deliver-response'],
    ]);
    expect((await get('/mo/m1')).status).to.equal(404);
  });

  async function page(): Promise<MessagePage> {
    return (await get<MessagePage>('/messages')).body;
  }
});

describe('MessageIndex bounds', () => {
  it('keeps at most maxMessages entries, dropping the oldest, and is built only when asked', async () => {
    const mock = await createMockSmsc({ port: 0, stopGraceMs: 0 });
    try {
      const c = await CimdClient.connect({ port: mock.port });
      await c.login('u', 'p');
      for (let i = 0; i < 12; i++) await c.submit({ destination: '123', text: `m${i}` });
      await c.close();
      const index = new MessageIndex(mock, { maxMessages: 5 });
      expect(index.lastSeq, 'nothing read before the first query').to.equal(0);
      await index.catchUp();
      expect(index.lastSeq).to.equal(mock.lastSeq);
      const texts = [...index.messages()].map((e) => e.text);
      expect(texts).to.deep.equal(['m11', 'm10', 'm9', 'm8', 'm7']);
      expect(index.size.messages).to.equal(5);
    } finally {
      await mock.stop();
    }
  });

  it('says truncated when records left memory before they were indexed', async () => {
    const mock = await createMockSmsc({ port: 0, stopGraceMs: 0, memoryTranscriptBytes: 4096 });
    try {
      const c = await CimdClient.connect({ port: mock.port });
      await c.login('u', 'p');
      for (let i = 0; i < 40; i++) await c.submit({ destination: '123', text: `message ${i}` });
      await c.close();
      const index = new MessageIndex(mock);
      await index.catchUp();
      expect(index.truncated).to.equal(true);
      const newest = [...index.messages()][0];
      expect(newest?.text).to.equal('message 39');
    } finally {
      await mock.stop();
    }
  });
});

/** Polls `check` (every 20 ms, up to 3 s): records reach the index as they are written. */
async function until(check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 3000;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error('condition not met within 3 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}
