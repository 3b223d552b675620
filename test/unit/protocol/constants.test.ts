import { expect } from 'chai';
import {
  isClientPn,
  isServerPn,
  nextClientPn,
  nextServerPn,
} from '../../../src/protocol/constants.js';

describe('packet numbers', () => {
  it('client numbers step by 2 and wrap 255 → 001', () => {
    expect(nextClientPn(1)).to.equal(3);
    expect(nextClientPn(253)).to.equal(255);
    expect(nextClientPn(255)).to.equal(1);
  });

  it('server numbers step by 2 and wrap 254 → 000', () => {
    expect(nextServerPn(0)).to.equal(2);
    expect(nextServerPn(252)).to.equal(254);
    expect(nextServerPn(254)).to.equal(0);
  });

  it('walks the whole client and server cycles of 128 numbers', () => {
    const client = new Set<number>();
    const server = new Set<number>();
    let c = 1;
    let s = 0;
    for (let i = 0; i < 128; i++) {
      client.add(c);
      server.add(s);
      c = nextClientPn(c);
      s = nextServerPn(s);
    }
    expect(c).to.equal(1);
    expect(s).to.equal(0);
    expect(client.size).to.equal(128);
    expect(server.size).to.equal(128);
    expect([...client].every(isClientPn)).to.equal(true);
    expect([...server].every(isServerPn)).to.equal(true);
  });

  it('puts a number of the wrong parity back on its own sequence', () => {
    expect(isClientPn(nextClientPn(254))).to.equal(true);
    expect(isServerPn(nextServerPn(255))).to.equal(true);
  });

  it('classifies client (odd) and server (even) numbers within 0–255', () => {
    expect(isClientPn(1)).to.equal(true);
    expect(isClientPn(255)).to.equal(true);
    expect(isClientPn(2)).to.equal(false);
    expect(isClientPn(257)).to.equal(false);
    expect(isServerPn(0)).to.equal(true);
    expect(isServerPn(254)).to.equal(true);
    expect(isServerPn(1)).to.equal(false);
    expect(isServerPn(256)).to.equal(false);
    expect(isServerPn(-2)).to.equal(false);
    expect(isClientPn(1.5)).to.equal(false);
  });
});
