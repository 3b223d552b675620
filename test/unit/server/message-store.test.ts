/** The message store's status table: a bounded (060, destination) → status map in typed arrays. */
import { expect } from 'chai';
import fc from 'fast-check';
import { MessageStore, StatusTable } from '../../../src/server/message-store.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';

/** The former layout, a Map with batch eviction: the oracle. */
class MapModel {
  readonly map = new Map<string, number>();
  private readonly limit: number;
  private readonly slack: number;
  constructor(limit: number, slack: number) {
    this.limit = limit;
    this.slack = slack;
  }
  set(ts: string, dest: string, status: number): void {
    const key = `${ts}\u0000${dest}`;
    if (this.map.has(key)) this.map.delete(key);
    this.map.set(key, status);
    if (this.map.size > this.limit + this.slack) {
      let excess = this.map.size - this.limit;
      for (const k of this.map.keys()) {
        if (excess-- <= 0) break;
        this.map.delete(k);
      }
    }
  }
  get(ts: string, dest: string): number | undefined {
    return this.map.get(`${ts}\u0000${dest}`);
  }
}

describe('StatusTable (message store)', () => {
  it('answers every lookup as the Map it replaces, through updates, eviction and compaction (fast-check seed 5)', () => {
    const op = fc.record({
      ts: fc.constantFrom('260101120000', '260101120001', '260101120002', 'x', ''),
      dest: fc.constantFrom('+1', '+2', '+3', '+4', '+5', '+6', '+7', 'é'),
      status: fc.integer({ min: 0, max: 9 }),
      lookup: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(op, { maxLength: 200 }),
        (limit, slack, ops) => {
          const table = new StatusTable(limit, slack);
          const model = new MapModel(limit, slack);
          for (const o of ops) {
            if (o.lookup) expect(table.get(o.ts, o.dest)).to.equal(model.get(o.ts, o.dest));
            else {
              table.set(o.ts, o.dest, o.status);
              model.set(o.ts, o.dest, o.status);
            }
            expect(table.size).to.equal(model.map.size);
          }
          for (const key of model.map.keys()) {
            const [ts = '', dest = ''] = key.split('\u0000');
            expect(table.get(ts, dest)).to.equal(model.get(ts, dest));
          }
        },
      ),
      { seed: 5, numRuns: 1000 },
    );
  });

  it('stays bounded over a million messages, keeping the newest', () => {
    const store = new MessageStore(new ManualClock(Date.UTC(2026, 0, 1)));
    for (let i = 0; i < 1_000_000; i++) store.accepted(String(260101000000 + i), '+358401234567');
    expect(store.size).to.be.at.most(110_000).and.at.least(100_000);
    expect(store.status(String(260101000000 + 999_999), '+358401234567')).to.equal(1);
    expect(store.status(String(260101000000 + 5), '+358401234567')).to.equal(undefined);
  });

  it('updates a status in place of the old one (the message moves to the newest end)', () => {
    const table = new StatusTable(2, 1);
    table.set('a', 'd', 1);
    table.set('b', 'd', 1);
    table.set('a', 'd', 2); // a is now the newest
    table.set('c', 'd', 1);
    table.set('e', 'd', 1); // 4 > 2 + 1: down to 2, the oldest first: b, then the updated a
    expect(table.size).to.equal(2);
    expect(table.get('b', 'd')).to.equal(undefined);
    expect(table.get('a', 'd')).to.equal(undefined);
    expect(table.get('c', 'd')).to.equal(1);
    expect(table.get('e', 'd')).to.equal(1);
  });
});
