/**
 * The inbox index's catch-up shares the event loop: it reads the transcript a page at a time and
 * lets other work run once a turn spent its time budget (a console polling `/stats` under load
 * must not stall the sessions). In memory, with a fake source and a fake clock.
 */
import { expect } from 'chai';
import { countTurns } from '../../helpers/event-loop-turns.js';
import {
  INDEX_PAGE_BYTES,
  MessageIndex,
  type IndexSource,
} from '../../../src/control/message-index.js';

/**
 * `count` session-open records, of which `visible.n` are written so far (all by default); each
 * page read costs `pageMs` of the fake clock. Each line is padded (JSON allows the blanks) to a
 * hundredth of the index's page, so that a page holds 100 records.
 */
function fakeSource(
  count: number,
  clock: { now: number },
  pageMs: number,
  onPage: (maxBytes: number) => void,
  visible = { n: count },
): IndexSource {
  const size = Math.floor(INDEX_PAGE_BYTES / 100);
  const line = (i: number): Buffer =>
    Buffer.from(
      `${JSON.stringify({ seq: i + 1, ts: '2026-01-01T00:00:00.000Z', kind: 'session-open', session: `c${i + 1}`, remote: '127.0.0.1:1' }).padEnd(size - 1)}\n`,
    );
  return {
    get lastSeq(): number {
      return visible.n;
    },
    epoch: 0,
    truncatedSince: () => false,
    // Whole lines after `since`, at most `maxBytes` of them (one at least), like the ring.
    transcriptBytes(since: number, maxBytes: number) {
      onPage(maxBytes);
      clock.now += pageMs;
      let end = since;
      let bytes = 0;
      while (end < visible.n && (end === since || bytes + size <= maxBytes)) {
        bytes += size;
        end++;
      }
      const lines: Buffer[] = [];
      for (let i = since; i < end; i++) lines.push(line(i));
      return {
        chunks: [Buffer.concat(lines)],
        bytes,
        lastSeq: end,
        more: end < visible.n,
      };
    },
  };
}

describe('MessageIndex catch-up', () => {
  it('reads small pages and yields to the event loop once a turn spent its budget', async () => {
    const clock = { now: 0 };
    // Event-loop turns seen so far, counted beside the catch-up.
    const loop = countTurns();
    const pages: { maxBytes: number; turn: number }[] = [];
    const source = fakeSource(1000, clock, 0.4, (maxBytes) =>
      pages.push({ maxBytes, turn: loop.turns }),
    );
    const index = new MessageIndex(source, { turnBudgetMs: 1, now: () => clock.now });
    await index.catchUp();
    loop.stop();
    expect(index.lastSeq).to.equal(1000);
    expect(index.sessionCounters('c1000')?.since).to.equal('2026-01-01T00:00:00.000Z');
    for (const p of pages) expect(p.maxBytes).to.be.at.most(32 * 1024);
    // 1,000 records in pages of 100 at 0.4 ms each: three pages cross the 1 ms budget, then the
    // event loop runs before the next turn.
    const perTurn = new Map<number, number>();
    for (const p of pages) perTurn.set(p.turn, (perTurn.get(p.turn) ?? 0) + 1);
    expect([...perTurn.values()]).to.deep.equal([3, 3, 3, 1]);
  });

  it('reads everything in one turn when the budget allows it', async () => {
    const clock = { now: 0 };
    let pagesRead = 0;
    const source = fakeSource(1000, clock, 0.4, () => pagesRead++);
    const index = new MessageIndex(source, { turnBudgetMs: 60_000, now: () => clock.now });
    let yielded = false;
    setImmediate(() => {
      yielded = true;
    });
    const done = index.catchUp();
    // The whole catch-up ran synchronously in the first turn: nothing else ran in between.
    expect(index.lastSeq).to.equal(1000);
    expect(yielded).to.equal(false);
    await done;
    expect(pagesRead).to.equal(10);
  });

  it('ends at the records there when asked, however fast new ones come', async () => {
    const clock = { now: 0 };
    const visible = { n: 500 };
    // Traffic: every page read, 150 more records are written (faster than a page reads).
    const source = fakeSource(100_000, clock, 0.4, () => (visible.n += 150), visible);
    const index = new MessageIndex(source, { turnBudgetMs: 1, now: () => clock.now });
    await index.catchUp();
    expect(index.lastSeq).to.equal(500);
    // A caller during a pass extends it to what was there when that caller asked.
    const first = index.catchUp();
    const asked = visible.n;
    const second = index.catchUp();
    await Promise.all([first, second]);
    expect(index.lastSeq).to.be.at.least(asked);
    expect(index.lastSeq).to.be.below(visible.n);
  });
});
