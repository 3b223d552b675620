/**
 * The console's Server-Sent Events parser: ids carried for resuming, events split across
 * chunks and line endings, comments and multi-line data, as the SSE format defines them.
 */
import { expect } from 'chai';
import { recordsOf } from '../../../console/src/records.js';
import { SseParser } from '../../../console/src/sse.js';

describe('console SseParser', () => {
  it('reads id, event and data, and remembers the last id for Last-Event-ID', () => {
    const p = new SseParser();
    const events = p.push(
      'id: 7\nevent: record\ndata: {"seq":7}\n\nid: 8\nevent: record\ndata: {"seq":8}\n\n',
    );
    expect(events).to.deep.equal([
      { id: '7', event: 'record', data: '{"seq":7}' },
      { id: '8', event: 'record', data: '{"seq":8}' },
    ]);
    expect(p.lastId).to.equal('8');
  });

  it('joins an event split at any byte across chunks, with CRLF or CR line ends', () => {
    const text = 'id: 12\r\nevent: record\r\ndata: {"a":1}\r\n\r\nid: 13\rdata: x\r\rid: 14';
    for (let cut = 1; cut < text.length; cut++) {
      const p = new SseParser();
      const events = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(
        events.map((e) => [e.id, e.event, e.data]),
        `cut at ${cut}`,
      ).to.deep.equal([
        ['12', 'record', '{"a":1}'],
        ['13', 'message', 'x'],
      ]);
      expect(p.lastId).to.equal('13');
    }
  });

  it('skips comments (keep-alives), joins data lines, and defaults the event name', () => {
    const p = new SseParser();
    const events = p.push(': keep-alive\n\ndata: one\ndata: two\n\n');
    expect(events).to.deep.equal([{ id: undefined, event: 'message', data: 'one\ntwo' }]);
  });

  it('keeps the last id across events without one, and ignores an id holding NUL', () => {
    const p = new SseParser();
    p.push('id: 5\ndata: a\n\n');
    const [e] = p.push('data: b\n\nid: 6\u0000\ndata: c\n\n').slice(0, 1);
    expect(e?.id).to.equal('5');
    expect(p.lastId).to.equal('5');
  });

  it('sends nothing for an event without data (an id alone still counts for resuming)', () => {
    const p = new SseParser();
    expect(p.push('id: 40\n\n')).to.deep.equal([]);
    expect(p.lastId).to.equal('40');
  });
  it('reads a batch of many records arriving in small chunks once, not again per chunk', () => {
    const record = JSON.stringify({ seq: 1, kind: 'frame', text: 'y'.repeat(300) });
    const data = `[${Array.from({ length: 12_000 }, () => record).join(',')}]`;
    const text = `id: 9\r\nevent: records\r\ndata: ${data}\r\n\r\n`;
    const p = new SseParser();
    const events = [];
    const t0 = performance.now();
    for (let at = 0; at < text.length; at += 8192)
      events.push(...p.push(text.slice(at, at + 8192)));
    const ms = performance.now() - t0;
    expect(events).to.deep.equal([{ id: '9', event: 'records', data }]);
    // 4 MB in 500 chunks: looked at once it takes milliseconds; re-read per chunk, seconds.
    expect(ms).to.be.lessThan(1000);
  });
});

describe('console recordsOf', () => {
  const a = { seq: 7, ts: '2026-01-01T00:00:00.000Z', kind: 'reset', epoch: 1 };
  const b = { seq: 9, ts: '2026-01-01T00:00:00.000Z', kind: 'session-open', session: 'c1' };

  it('reads the record of a record event and the records of a batch (records event)', () => {
    expect(recordsOf({ event: 'record', data: JSON.stringify(a) })).to.deep.equal([a]);
    const p = new SseParser();
    const [e] = p.push(`id: 9\nevent: records\ndata: ${JSON.stringify([a, b])}\n\n`);
    expect(recordsOf(e!)).to.deep.equal([a, b]);
    expect(p.lastId).to.equal('9');
  });

  it('gives nothing for other events, bad JSON or what is not a record', () => {
    expect(recordsOf({ event: 'hello', data: '{"lastSeq":1,"epoch":0,"from":1}' })).to.deep.equal(
      [],
    );
    expect(recordsOf({ event: 'records', data: '[{"seq":1' })).to.deep.equal([]);
    expect(
      recordsOf({ event: 'records', data: `[${JSON.stringify(a)},{"seq":"x"},3]` }),
    ).to.deep.equal([a]);
    expect(recordsOf({ event: 'record', data: '[1]' })).to.deep.equal([]);
  });
});
