/**
 * GET /events over real HTTP: every record live with id = seq, Last-Event-ID resumes without
 * loss, kind/session filters, truncation, slow clients dropped to reconnect, bounds.
 */
import { expect } from 'chai';
import http from 'node:http';
import net from 'node:net';
import { startControlApi, type ControlApi } from '../../src/control-api.js';
import { BATCH_BYTES, EventHub, MAX_STREAMS } from '../../src/control/events-sse.js';
import { createMockSmsc, type MockSmsc } from '../../src/mock-smsc.js';
import { CimdClient } from '../../src/testing/cimd-client.js';
import { MemorySink } from '../../src/transcript/memory-ring.js';

interface SseEvent {
  readonly id?: string;
  readonly event: string;
  readonly data: string;
}

/** An EventSource-like reader over fetch: collects parsed events. */
class SseReader {
  readonly events: SseEvent[] = [];
  readonly ac = new AbortController();
  status = 0;
  private buffer = '';
  ended = false;

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const r = new SseReader();
    const res = await fetch(url, { headers, signal: r.ac.signal });
    r.status = res.status;
    if (res.body === null) throw new Error('no body');
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    void (async () => {
      try {
        for (;;) {
          const chunk = (await reader.read()) as { done: boolean; value?: Uint8Array };
          if (chunk.done) break;
          r.feed(decoder.decode(chunk.value, { stream: true }));
        }
      } catch {
        /* aborted */
      }
      r.ended = true;
    })();
    return r;
  }

  /** Id of the last event received (0 before any). */
  lastId = 0;

  private feed(text: string): void {
    this.buffer += text;
    let start = 0;
    for (;;) {
      const end = this.buffer.indexOf('\n\n', start);
      if (end < 0) break;
      const block = this.buffer.slice(start, end);
      start = end + 2;
      let id: string | undefined;
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (id !== undefined) this.lastId = Number(id);
      if (data.length > 0) {
        this.events.push({ ...(id !== undefined ? { id } : {}), event, data: data.join('\n') });
      }
    }
    this.buffer = this.buffer.slice(start);
  }

  records(): { seq: number; kind: string; session?: string }[] {
    return this.events
      .filter((e) => e.event === 'record')
      .map((e) => JSON.parse(e.data) as { seq: number; kind: string; session?: string });
  }

  /** The records of the `records` events (`?batch=true`), in order. */
  batched(): { seq: number; kind: string; session?: string }[] {
    return this.events
      .filter((e) => e.event === 'records')
      .flatMap((e) => JSON.parse(e.data) as { seq: number; kind: string; session?: string }[]);
  }

  close(): void {
    this.ac.abort();
  }
}

async function until(what: string, check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('GET /events (Server-Sent Events)', () => {
  let mock: MockSmsc;
  let api: ControlApi;
  const readers: SseReader[] = [];
  const clients: CimdClient[] = [];

  async function open(query = '', headers: Record<string, string> = {}): Promise<SseReader> {
    const r = await SseReader.open(`${api.url}/events${query}`, headers);
    readers.push(r);
    return r;
  }

  async function traffic(user = 'u', n = 2): Promise<CimdClient> {
    const c = await CimdClient.connect({ port: mock.port });
    clients.push(c);
    await c.login(user, 'p');
    for (let i = 0; i < n; i++) await c.submit({ destination: '123', text: `t${i}` });
    return c;
  }

  beforeEach(async () => {
    mock = await createMockSmsc({ port: 0, stopGraceMs: 0 });
    api = await startControlApi(mock, { port: 0 });
  });

  afterEach(async () => {
    for (const r of readers.splice(0)) r.close();
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await api.close();
    await mock.stop();
  });

  it('streams every record from now on, as it is written, with id = seq', async () => {
    const start = mock.lastSeq;
    const r = await open();
    expect(r.status).to.equal(200);
    await until('hello', () => r.events.length > 0);
    expect(r.events[0]?.event).to.equal('hello');
    expect(JSON.parse(r.events[0]!.data)).to.deep.equal({ lastSeq: start, epoch: 0, from: start });
    await traffic();
    await until('the records', () => r.records().at(-1)?.seq === mock.lastSeq);
    const seqs = r.records().map((x) => x.seq);
    expect(seqs).to.deep.equal(
      Array.from({ length: mock.lastSeq - start }, (_, i) => start + i + 1),
    );
    const byId = r.events.filter((e) => e.event === 'record').map((e) => Number(e.id));
    expect(byId).to.deep.equal(seqs);
    // The data is the record exactly as the transcript keeps it.
    const kept = mock.recordsSince(start).map((x) => JSON.stringify(x));
    expect(r.events.filter((e) => e.event === 'record').map((e) => e.data)).to.deep.equal(kept);
  });

  it('resumes after Last-Event-ID (or ?since) with nothing lost and nothing repeated', async () => {
    const first = await open();
    await traffic('a', 1);
    await until('records', () => first.records().length > 3);
    const lastSeen = first.records().at(-1)!.seq;
    first.close();
    // Records written while no one listened.
    await traffic('b', 2);
    const again = await open('', { 'Last-Event-ID': String(lastSeen) });
    await until('catch up', () => again.records().at(-1)?.seq === mock.lastSeq);
    expect(JSON.parse(again.events[0]!.data)).to.include({ from: lastSeen });
    expect(again.records().map((x) => x.seq)).to.deep.equal(
      Array.from({ length: mock.lastSeq - lastSeen }, (_, i) => lastSeen + i + 1),
    );
    const viaQuery = await open(`?since=${lastSeen}`);
    await until('catch up', () => viaQuery.records().at(-1)?.seq === mock.lastSeq);
    expect(viaQuery.records()[0]!.seq).to.equal(lastSeen + 1);
  });

  it('filters by kind and session (records without a session always pass the session filter)', async () => {
    const frames = await open('?kind=frame,decision&session=c2');
    await traffic('a', 1);
    await traffic('b', 1);
    mock.reset();
    await until('c2 traffic', () => frames.records().some((x) => x.kind === 'decision'));
    await new Promise((r) => setTimeout(r, 120));
    const got = frames.records();
    expect(got.length).to.be.greaterThan(3);
    for (const x of got) {
      expect(['frame', 'decision']).to.include(x.kind);
      expect(x.session).to.equal('c2');
    }
    const resets = await open('?kind=reset&session=c9', { 'Last-Event-ID': '0' });
    await until('reset', () => resets.records().length === 1);
    expect(resets.records()[0]!.kind).to.equal('reset');
  });

  it('refuses bad filters and a bad Last-Event-ID with 400', async () => {
    for (const [q, h] of [
      ['?kind=nonsense', {}],
      ['?since=abc', {}],
      ['?other=1', {}],
      ['?batch=yes', {}],
      ['', { 'Last-Event-ID': '-3' }],
    ] as const) {
      const res = await fetch(`${api.url}/events${q}`, { headers: h });
      expect(res.status, q).to.equal(400);
      expect(((await res.json()) as { code: string }).code).to.equal('ERR_CONTROL_INVALID_QUERY');
    }
  });

  it('says truncated when records after Last-Event-ID left memory, then continues with the oldest kept', async () => {
    await api.close();
    await mock.stop();
    mock = await createMockSmsc({ port: 0, stopGraceMs: 0, memoryTranscriptBytes: 4096 });
    api = await startControlApi(mock, { port: 0 });
    await traffic('u', 30);
    expect(mock.truncatedSince(1)).to.equal(true);
    const r = await open('', { 'Last-Event-ID': '1' });
    await until('catch up', () => r.records().at(-1)?.seq === mock.lastSeq);
    const truncated = r.events.find((e) => e.event === 'truncated');
    expect(truncated, 'a truncated event').to.not.equal(undefined);
    const from = (JSON.parse(truncated!.data) as { from: number }).from;
    expect(from).to.be.greaterThan(2);
    expect(r.records()[0]!.seq).to.equal(from);
    expect(r.events.findIndex((e) => e.event === 'truncated')).to.be.lessThan(
      r.events.findIndex((e) => e.event === 'record'),
    );
    // The same in batches.
    const b = await open('?batch=true', { 'Last-Event-ID': '1' });
    await until('catch up in batches', () => b.lastId === mock.lastSeq);
    expect(b.events[1]?.event).to.equal('truncated');
    expect(JSON.parse(b.events[1]!.data)).to.deep.equal({ from });
    expect(b.batched()[0]!.seq).to.equal(from);
  });

  describe('?batch=true', () => {
    it('sends every record, in order, as records events of JSON arrays with id = the last seq', async () => {
      const start = mock.lastSeq;
      const r = await open('?batch=true');
      await until('hello', () => r.events.length > 0);
      expect(r.events[0]?.event).to.equal('hello');
      await traffic('a', 3);
      await traffic('b', 2);
      await until('the records', () => r.lastId === mock.lastSeq);
      // The data is the records exactly as the transcript keeps them.
      const kept = mock.recordsSince(start);
      expect(r.batched()).to.deep.equal(kept);
      expect(r.events.some((e) => e.event === 'record')).to.equal(false);
      for (const e of r.events.filter((x) => x.event === 'records')) {
        const batch = JSON.parse(e.data) as { seq: number }[];
        expect(batch.length).to.be.greaterThan(0);
        expect(Number(e.id)).to.equal(batch.at(-1)!.seq);
      }
    });

    it('frames many records in bounded batches, none lost or repeated, with several streams at once', async () => {
      const start = mock.lastSeq;
      const a = await open('?batch=true');
      const b = await open('?batch=true&kind=reset');
      const c = await open();
      // Resets: cheap records, many per batch (buffers are reused from batch to batch).
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < 2000; i++) mock.reset();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const end = mock.lastSeq;
      await until('a', () => a.lastId === end, 8000);
      await until('c', () => c.lastId === end, 8000);
      const expected = Array.from({ length: end - start }, (_, i) => start + i + 1);
      expect(a.batched().map((x) => x.seq)).to.deep.equal(expected);
      expect(c.records().map((x) => x.seq)).to.deep.equal(expected);
      await until('b', () => b.batched().length === 20_000, 8000);
      expect(b.batched().every((x) => x.kind === 'reset')).to.equal(true);
      const batches = a.events.filter((e) => e.event === 'records');
      expect(batches.length, 'more than one batch').to.be.greaterThan(1);
      // About the batch size at most: the slices read are sized to fill it.
      for (const e of batches) expect(e.data.length).to.be.lessThan(BATCH_BYTES + 16 * 1024);
    });

    it('filters by kind and session, and resumes after the id of the last batch with nothing lost', async () => {
      const r = await open('?batch=true&kind=frame,decision&session=c2');
      await traffic('a', 1);
      await traffic('b', 2);
      await until('c2 traffic', () => r.batched().some((x) => x.kind === 'decision'));
      const got = r.batched();
      for (const x of got) {
        expect(['frame', 'decision']).to.include(x.kind);
        expect(x.session).to.equal('c2');
      }
      r.close();
      const lastId = r.lastId;
      await traffic('c', 1);
      const again = await open('?batch=true', { 'Last-Event-ID': String(lastId) });
      await until('catch up', () => again.lastId === mock.lastSeq);
      expect(again.batched().map((x) => x.seq)).to.deep.equal(
        Array.from({ length: mock.lastSeq - lastId }, (_, i) => lastId + i + 1),
      );
    });
  });

  it(`allows at most ${MAX_STREAMS} streams at once (503 ERR_CONTROL_BUSY beyond)`, async () => {
    for (let i = 0; i < MAX_STREAMS; i++) await open();
    const res = await fetch(`${api.url}/events`);
    expect(res.status).to.equal(503);
    expect(((await res.json()) as { code: string }).code).to.equal('ERR_CONTROL_BUSY');
    readers.pop()?.close();
    // The slot frees once the server sees the stream close.
    let ok = 0;
    for (let i = 0; i < 50 && ok === 0; i++) {
      const ac = new AbortController();
      const again = await fetch(`${api.url}/events`, { signal: ac.signal });
      if (again.status === 200) ok++;
      ac.abort();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(ok).to.equal(1);
  });

  it('costs nothing while no stream is open: no record listener, no timer', async () => {
    expect(mock.listenerCount('record')).to.equal(0);
    const r = await open();
    await traffic();
    await until('records', () => r.records().length > 0);
    expect(mock.listenerCount('record'), 'never subscribes to records').to.equal(0);
  });

  describe('a slow client', () => {
    it('is never buffered for without bound: it gets event: reconnect and is closed, and resuming loses nothing', async function () {
      this.timeout(30_000);
      // A hub with a short stall limit, on its own HTTP server.
      const hub = new EventHub(mock, { stallMs: 300, batchBytes: 1024 * 1024, batchMs: 20 });
      const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        hub.open({ ctx: {}, req, res, query: url.searchParams, path: url.pathname });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as net.AddressInfo).port;
      try {
        // A raw socket that stops reading after the headers.
        const socket = net.connect(port, '127.0.0.1');
        socket.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nLast-Event-ID: 0\r\n\r\n`);
        socket.pause();
        await until('the stream opens', () => hub.size === 1);
        // Far more records than the socket buffers can hold (resets: cheap records, made fast).
        for (let round = 0; round < 100 && hub.size > 0; round++) {
          for (let i = 0; i < 5000; i++) mock.reset();
          await new Promise((r) => setTimeout(r, 30));
        }
        await until('the hub drops the stream', () => hub.size === 0, 8000);
        // Read what was sent: it ends with the reconnect event.
        let received = '';
        socket.setEncoding('utf8');
        socket.on('data', (d: string) => (received += d));
        socket.resume();
        await new Promise((r) => socket.once('close', r));
        const reconnect = /event: reconnect\ndata: (\{.*\})\n\n/.exec(received);
        expect(reconnect, 'a reconnect event').to.not.equal(null);
        const info = JSON.parse(reconnect![1]!) as { reason: string; lastSeq: number };
        expect(info.reason).to.equal('slow-client');
        const ids = [...received.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
        expect(ids.at(-1)).to.equal(info.lastSeq);
        expect(info.lastSeq).to.be.lessThan(mock.lastSeq);
        // The client comes back from the last id it got and misses nothing.
        const back = await SseReader.open(`${api.url}/events`, {
          'Last-Event-ID': String(ids.at(-1)),
        });
        readers.push(back);
        await until('catch up', () => back.lastId === mock.lastSeq, 8000);
        expect(back.records()[0]!.seq).to.equal(info.lastSeq + 1);
      } finally {
        hub.close();
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    });
  });

  describe('lines the byte-level reading cannot take as they are', () => {
    /** An EventHub over a ring holding exactly `lines`, writing into memory; the bytes sent. */
    function framed(lines: readonly string[], query: string): string {
      const sink = new MemorySink();
      let last = 0;
      for (const line of lines) {
        last = (JSON.parse(line) as { seq: number }).seq;
        sink.writeBytes(Buffer.from(line, 'utf8'), last);
      }
      const fake = {
        lastSeq: last,
        epoch: 0,
        transcriptLines: (since: number, o: { limit: number }) => sink.linesAfter(since, o.limit),
        transcriptBytes: (since: number, max: number) => sink.bytesAfter(since, max),
        truncatedSince: () => false,
      } as unknown as MockSmsc;
      const out: Buffer[] = [];
      const res = {
        writeHead: () => res,
        socket: null,
        on: () => res,
        once: () => res,
        end: () => res,
        write(chunk: Buffer | string, done?: () => void): boolean {
          out.push(Buffer.from(chunk));
          done?.();
          return true;
        },
      };
      const hub = new EventHub(fake);
      hub.open({
        ctx: {},
        req: { headers: { 'last-event-id': '0' } } as unknown as http.IncomingMessage,
        res: res as unknown as http.ServerResponse,
        query: new URLSearchParams(query),
        path: '/events',
      });
      hub.close();
      return Buffer.concat(out).toString('utf8');
    }

    const lines = [
      // Keys in another order: the id comes from a parse.
      '{"kind":"reset","seq":1,"ts":"2026-01-01T00:00:00.000Z","epoch":1}',
      // An escaped session: only a parse gives its value.
      '{"seq":2,"ts":"2026-01-01T00:00:00.000Z","kind":"frame","session":"c\\"9","text":"é €"}',
      // A head longer than the span read from the bytes.
      `{"seq":3,"ts":"2026-01-01T00:00:00.000Z","kind":"frame","session":"${'s'.repeat(300)}"}`,
      '{"seq":4,"ts":"2026-01-01T00:00:00.000Z","kind":"decision","session":"c1","text":"ünï"}',
      '{"seq":10,"ts":"2026-01-01T00:00:00.000Z","kind":"frame","session":"c1"}',
    ];

    it('frames every line exactly, with its seq as the id, one event per record', () => {
      const text = framed(lines, '');
      const events = [...text.matchAll(/id: (\d+)\nevent: record\ndata: (.*)\n\n/g)];
      expect(events.map((m) => Number(m[1]))).to.deep.equal([1, 2, 3, 4, 10]);
      expect(events.map((m) => m[2])).to.deep.equal(lines);
    });

    it('frames them as one JSON array per batch, and filters them all by kind and session', () => {
      const all = [
        ...framed(lines, 'batch=true').matchAll(/id: (\d+)\nevent: records\ndata: (.*)\n\n/g),
      ];
      expect(all.flatMap((m) => JSON.parse(m[2]!) as unknown[])).to.deep.equal(
        lines.map((l) => JSON.parse(l) as unknown),
      );
      expect(Number(all.at(-1)![1])).to.equal(10);
      const seqs = (query: string, batch: boolean): number[] =>
        batch
          ? [...framed(lines, `batch=true&${query}`).matchAll(/data: (\[.*)\n\n/g)].flatMap((m) =>
              (JSON.parse(m[1]!) as { seq: number }[]).map((r) => r.seq),
            )
          : [...framed(lines, query).matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
      for (const batch of [false, true]) {
        expect(seqs('session=c"9', batch), `escaped session, batch ${batch}`).to.deep.equal([1, 2]);
        expect(seqs(`session=${'s'.repeat(300)}`, batch)).to.deep.equal([1, 3]);
        expect(seqs('kind=frame&session=c1', batch)).to.deep.equal([10]);
        expect(seqs('kind=reset,decision', batch)).to.deep.equal([1, 4]);
      }
    });
  });
});
