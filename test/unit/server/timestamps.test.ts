import { expect } from 'chai';
import { TimestampAllocator } from '../../../src/server/timestamps.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';

describe('TimestampAllocator', () => {
  it('hands out the next free second per destination, and the current second to others', () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    const a = new TimestampAllocator(clock);
    expect([a.allocate('1'), a.allocate('1'), a.allocate('2'), a.allocate('1')]).to.deep.equal([
      '261125120000',
      '261125120001',
      '261125120000',
      '261125120002',
    ]);
  });

  it('renders in the configured time zone', () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    expect(new TimestampAllocator(clock, { timeZone: 'Europe/Helsinki' }).allocate('1')).to.equal(
      '261125140000',
    );
  });

  it('forgets destinations whose seconds have passed, and stays unique when all are current', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    const a = new TimestampAllocator(clock, { pruneAbove: 4 });
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add(`${a.allocate(String(i))}|${i}`);
    for (let i = 0; i < 20; i++) seen.add(`${a.allocate(String(i))}|${i}`);
    expect(seen.size).to.equal(40);
    expect(a.size).to.equal(20);
    await clock.advance(5000);
    for (let i = 100; i < 150; i++) a.allocate(String(i));
    expect(a.size).to.be.lessThan(70);
    expect(a.allocate('100')).to.equal('261125120006');
  });
});
