import { expect } from 'chai';
import { checksum, formatChecksum } from '../../../src/protocol/checksum.js';

describe('checksum', () => {
  it('sums the bytes modulo 256', () => {
    expect(checksum(Uint8Array.of(0xff, 0x02, 0x01))).to.equal(0x02);
    expect(checksum(new Uint8Array(0))).to.equal(0);
  });

  it('sums only [start, end)', () => {
    expect(checksum(Uint8Array.of(100, 1, 2, 100), 1, 3)).to.equal(3);
  });

  it('matches the docs/protocol.md#checksum example <STX>51:001<TAB> = 0x3C', () => {
    const bytes = Buffer.from('\u000251:001\t', 'latin1');
    expect(checksum(bytes)).to.equal(0x3c);
  });
});

describe('formatChecksum', () => {
  it('writes two uppercase hex digits, zero padded', () => {
    expect(formatChecksum(0x3c)).to.equal('3C');
    expect(formatChecksum(0x0a)).to.equal('0A');
    expect(formatChecksum(0)).to.equal('00');
    expect(formatChecksum(255)).to.equal('FF');
  });
});
