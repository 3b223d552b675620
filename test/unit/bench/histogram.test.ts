import { expect } from 'chai';
import { LatencyHistogram } from '../../../src/bench/histogram.js';

describe('LatencyHistogram', () => {
  it('answers 0 for every figure when empty', () => {
    const h = new LatencyHistogram();
    expect(h.summary()).to.deep.equal({
      count: 0,
      mean: 0,
      p50: 0,
      p90: 0,
      p95: 0,
      p99: 0,
      max: 0,
    });
  });

  it('reports values below 128 µs exactly, by nearest rank', () => {
    const h = new LatencyHistogram();
    for (let us = 1; us <= 100; us++) h.recordUs(us);
    expect(h.percentile(50)).to.equal(0.05);
    expect(h.percentile(90)).to.equal(0.09);
    expect(h.percentile(99)).to.equal(0.099);
    expect(h.percentile(100)).to.equal(0.1);
    expect(h.percentile(0)).to.equal(0.001);
    expect(h.summary().mean).to.be.closeTo(0.0505, 1e-12);
  });

  it('keeps larger values within 1.6 % and max exact', () => {
    for (const ms of [0.2, 1.234, 17.5, 250, 4321.5, 600_000]) {
      const h = new LatencyHistogram();
      h.recordMs(ms);
      expect(h.percentile(50)).to.be.closeTo(ms, ms * 0.016);
      expect(h.summary().max).to.equal(ms);
    }
  });

  it('never reports a percentile above the maximum recorded', () => {
    const h = new LatencyHistogram();
    h.recordUs(1000);
    expect(h.percentile(99)).to.be.at.most(1);
    expect(h.percentile(99)).to.be.at.least(0.984);
  });

  it('splits a bimodal distribution at the right rank', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 98; i++) h.recordMs(1);
    h.recordMs(50);
    h.recordMs(80);
    expect(h.percentile(98)).to.be.closeTo(1, 0.016);
    expect(h.percentile(99)).to.be.closeTo(50, 0.8);
    expect(h.summary().max).to.equal(80);
  });

  it('counts negative and non-finite durations as 0 and clamps huge ones', () => {
    const h = new LatencyHistogram();
    h.recordMs(-5);
    h.recordMs(Number.NaN);
    h.recordMs(1e12);
    expect(h.count).to.equal(3);
    expect(h.percentile(50)).to.equal(0);
    expect(h.summary().max).to.equal((2 ** 31 - 1) / 1000);
  });

  it('merges another histogram: counts, mean and max add up', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.recordUs(10);
    a.recordUs(20);
    b.recordUs(30);
    b.recordUs(5000);
    a.merge(b);
    expect(a.count).to.equal(4);
    expect(a.summary().mean).to.be.closeTo((10 + 20 + 30 + 5000) / 4 / 1000, 1e-12);
    expect(a.summary().max).to.equal(5);
    expect(a.percentile(75)).to.equal(0.03);
  });
});
