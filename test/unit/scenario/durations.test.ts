import { expect } from 'chai';
import { formatDuration, parseDuration } from '../../../src/scenario/index.js';

describe('parseDuration', () => {
  it('reads milliseconds, seconds, minutes and hours', () => {
    expect(parseDuration('150ms')).to.equal(150);
    expect(parseDuration('1s')).to.equal(1000);
    expect(parseDuration('2.5s')).to.equal(2500);
    expect(parseDuration('1m')).to.equal(60_000);
    expect(parseDuration('1h')).to.equal(3_600_000);
    expect(parseDuration('0s')).to.equal(0);
  });

  it('takes a plain number as milliseconds, rounded', () => {
    expect(parseDuration(250)).to.equal(250);
    expect(parseDuration(0)).to.equal(0);
    expect(parseDuration(1.6)).to.equal(2);
  });

  it('rejects anything else', () => {
    for (const bad of [
      '',
      '5',
      '5 s',
      '1d',
      '-1s',
      's',
      '1.s',
      '1e3ms',
      -1,
      NaN,
      Infinity,
      null,
      true,
      {},
    ]) {
      expect(parseDuration(bad), JSON.stringify(bad)).to.equal(undefined);
    }
  });
});

describe('formatDuration', () => {
  it('picks the largest unit that keeps the value short', () => {
    expect(formatDuration(0)).to.equal('0ms');
    expect(formatDuration(150)).to.equal('150ms');
    expect(formatDuration(1000)).to.equal('1s');
    expect(formatDuration(2500)).to.equal('2.5s');
    expect(formatDuration(1234)).to.equal('1234ms');
    expect(formatDuration(60_000)).to.equal('1m');
    expect(formatDuration(90_000)).to.equal('1.5m');
    expect(formatDuration(3_600_000)).to.equal('1h');
  });
});
