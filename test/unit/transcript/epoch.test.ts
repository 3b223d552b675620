/** Epochs of a transcript: the records after the last `reset` record. */
import { expect } from 'chai';
import { currentEpoch, epochStart } from '../../../src/transcript/epoch.js';
import { assertValidRecord, handWritten } from './helpers.js';

describe('transcript epochs', () => {
  function transcript(resets: number): ReturnType<typeof handWritten> {
    const t = handWritten();
    t.at(0, { kind: 'server-start', host: '127.0.0.1', port: 1, scenario: null, version: 't' });
    t.at(1, { kind: 'session-open', session: 'c1', remote: '127.0.0.1:2' });
    for (let i = 1; i <= resets; i++) {
      t.at(2 * i, { kind: 'reset', epoch: i, sessions: 'keep', cancelled: 0 });
      t.at(2 * i + 1, { kind: 'session-open', session: `c${i + 1}`, remote: '127.0.0.1:2' });
    }
    return t;
  }

  it('is the whole transcript before the first reset', () => {
    const { records } = transcript(0);
    expect(epochStart(records)).to.equal(0);
    expect(currentEpoch(records)).to.equal(records);
    expect(currentEpoch([])).to.deep.equal([]);
  });

  it('starts after the last reset record', () => {
    const { records } = transcript(2);
    for (const r of records) assertValidRecord(r);
    expect(epochStart(records)).to.equal(5);
    expect(currentEpoch(records).map((r) => r.seq)).to.deep.equal([6]);
  });

  it('is empty right after a reset', () => {
    const t = transcript(1);
    t.at(10, { kind: 'reset', epoch: 2, sessions: 'close', cancelled: 3 });
    expect(currentEpoch(t.records)).to.deep.equal([]);
  });

  it('the schema refuses a reset record without its members or with an unknown sessions value', () => {
    const base = { seq: 1, ts: '2026-01-01T00:00:00.000Z', kind: 'reset' };
    expect(() => {
      assertValidRecord({ ...base, epoch: 1, sessions: 'keep' });
    }).to.throw(/cancelled/);
    expect(() => {
      assertValidRecord({ ...base, epoch: 1, sessions: 'drop', cancelled: 0 });
    }).to.throw(/sessions/);
    expect(() => {
      assertValidRecord({ ...base, epoch: 0, sessions: 'keep', cancelled: 0 });
    }).to.throw(/epoch/);
  });
});
