/**
 * GET /events byte for byte: the stream after `hello` is exactly `id: <seq>\nevent: record\ndata:
 * <the kept JSONL line>\n\n` for every kept record passing the filters (decided on the parsed
 * record here), live and when catching up, with and without kind/session filters; with
 * `?batch=true`, `id: <seq>\nevent: records\ndata: [<line>,<line>,…]\n\n` events whose lines,
 * in order, are exactly those.
 */
import { expect } from 'chai';
import http from 'node:http';
import { startControlApi, type ControlApi } from '../../src/control-api.js';
import { createMockSmsc, type MockSmsc } from '../../src/mock-smsc.js';
import { CimdClient } from '../../src/testing/cimd-client.js';

interface Raw {
  bytes(): Buffer;
  close(): void;
}

function openRaw(url: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const req = http.get(url, (res) => {
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('error', () => undefined);
      resolve({
        bytes: () => Buffer.concat(parts),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

/** The kept lines, each with its parsed head. */
function keptLines(
  mock: MockSmsc,
): { line: string; seq: number; kind: string; session?: string }[] {
  const page = mock.transcriptLines(0, { all: true, limit: 1_000_000 });
  const text = Buffer.concat(page.chunks).toString('utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => ({
      line,
      ...(JSON.parse(line) as { seq: number; kind: string; session?: string }),
    }));
}

/** The kept records after `after` that pass the filters. */
function passing(
  mock: MockSmsc,
  after: number,
  kinds: readonly string[] | undefined,
  sessions: readonly string[] | undefined,
): { line: string; seq: number }[] {
  return keptLines(mock).filter(
    (r) =>
      r.seq > after &&
      (kinds === undefined || kinds.includes(r.kind)) &&
      (sessions === undefined || r.session === undefined || sessions.includes(r.session)),
  );
}

function expected(
  mock: MockSmsc,
  after: number,
  kinds: readonly string[] | undefined,
  sessions: readonly string[] | undefined,
): string {
  let out = '';
  for (const r of passing(mock, after, kinds, sessions)) {
    out += `id: ${r.seq}\nevent: record\ndata: ${r.line}\n\n`;
  }
  return out;
}

/** What followed the hello event. */
function afterHello(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  const at = text.indexOf('event: hello\n');
  expect(at).to.be.at.least(0);
  return text.slice(text.indexOf('\n\n', at) + 2);
}

/** The `from` of the hello event. */
function helloFrom(bytes: Buffer): number {
  const m = /event: hello\ndata: (\{[^\n]*\})\n/.exec(bytes.toString('utf8'));
  expect(m).to.not.equal(null);
  return (JSON.parse(m![1]!) as { from: number }).from;
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('GET /events bytes', () => {
  let mock: MockSmsc;
  let api: ControlApi;
  const raws: Raw[] = [];
  const clients: CimdClient[] = [];

  async function traffic(user: string, n: number): Promise<void> {
    const c = await CimdClient.connect({ port: mock.port });
    clients.push(c);
    await c.login(user, 'p');
    for (let i = 0; i < n; i++) await c.submit({ destination: '123', text: `t${i} ✓ "q"` });
  }

  beforeEach(async () => {
    mock = await createMockSmsc({ port: 0, stopGraceMs: 0 });
    api = await startControlApi(mock, { port: 0 });
  });

  afterEach(async () => {
    for (const r of raws.splice(0)) r.close();
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await api.close();
    await mock.stop();
  });

  const cases: [string, string[] | undefined, string[] | undefined][] = [
    ['', undefined, undefined],
    ['kind=frame,reset', ['frame', 'reset'], undefined],
    ['session=c2', undefined, ['c2']],
    ['kind=decision,reset,session-open&session=c1', ['decision', 'reset', 'session-open'], ['c1']],
  ];

  it('is every kept record as id/event/data, live and catching up, with each filter', async () => {
    // Live streams, opened before any traffic.
    const live = await Promise.all(
      cases.map(([q]) => openRaw(`${api.url}/events${q === '' ? '' : `?${q}`}`)),
    );
    raws.push(...live);
    await traffic('a', 40);
    mock.reset();
    await traffic('b', 40);
    // Catching up from the start, all at once (one batch of many records).
    const resumed = await Promise.all(
      cases.map(([q]) => openRaw(`${api.url}/events?since=0${q === '' ? '' : `&${q}`}`)),
    );
    raws.push(...resumed);
    for (const group of [live, resumed]) {
      for (let i = 0; i < cases.length; i++) {
        const [q, kinds, sessions] = cases[i]!;
        const raw = group[i]!;
        await until(`hello ${q}`, () => raw.bytes().includes('event: hello\ndata: {'));
        const from = helloFrom(raw.bytes());
        if (group === resumed) expect(from, q).to.equal(0);
        const want = expected(mock, from, kinds, sessions);
        expect(want.length, q).to.be.greaterThan(200);
        await until(`stream ${q}`, () => afterHello(raw.bytes()).length >= want.length);
        expect(afterHello(raw.bytes()), q).to.equal(want);
      }
    }
  });

  it('?batch=true is every kept record, in order, as the lines of records events, live and catching up', async () => {
    const url = (q: string, since: string): string =>
      `${api.url}/events?batch=true${since}${q === '' ? '' : `&${q}`}`;
    const live = await Promise.all(cases.map(([q]) => openRaw(url(q, ''))));
    raws.push(...live);
    await traffic('a', 40);
    mock.reset();
    await traffic('b', 40);
    const resumed = await Promise.all(cases.map(([q]) => openRaw(url(q, '&since=0'))));
    raws.push(...resumed);
    for (const group of [live, resumed]) {
      for (let i = 0; i < cases.length; i++) {
        const [q, kinds, sessions] = cases[i]!;
        const raw = group[i]!;
        await until(`hello ${q}`, () => raw.bytes().includes('event: hello\ndata: {'));
        const want = passing(mock, helloFrom(raw.bytes()), kinds, sessions);
        expect(want.length, q).to.be.greaterThan(20);
        const wantText = want.map((r) => r.line).join(',');
        const lines = (): string[] =>
          [
            ...afterHello(raw.bytes()).matchAll(/id: (\d+)\nevent: records\ndata: \[(.*)\]\n\n/g),
          ].map((m) => m[2]!);
        await until(`stream ${q}`, () => lines().join(',').length >= wantText.length);
        // Nothing but records events, each ending at or after its last record.
        const text = afterHello(raw.bytes());
        const events = [...text.matchAll(/id: (\d+)\nevent: records\ndata: \[(.*)\]\n\n/g)];
        expect(events.map((m) => m[0]).join(''), q).to.equal(text);
        expect(lines().join(','), q).to.equal(wantText);
        for (const m of events) {
          const batch = JSON.parse(`[${m[2]!}]`) as { seq: number }[];
          expect(Number(m[1]), q).to.be.at.least(batch.at(-1)!.seq);
        }
      }
    }
  });
});
