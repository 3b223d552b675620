import { expect } from 'chai';
import { EncodingError } from '../../../src/errors.js';
import { buildUdh, concatIe, parseUdh, portIe, udhLength } from '../../../src/protocol/udh.js';

const bytes = (hex: string): Buffer => Buffer.from(hex.replace(/ /g, ''), 'hex');
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

describe('udh', () => {
  describe('parseUdh', () => {
    it('reads an 8-bit-reference concatenation IE (00)', () => {
      const info = parseUdh(bytes('05 00 03 A7 03 01'));
      expect(info.concat).to.deep.equal({ ref: 0xa7, total: 3, seq: 1, refBits: 8 });
      expect(info.ports).to.equal(undefined);
      expect(info.ies.map((ie) => [ie.iei, hexOf(ie.data)])).to.deep.equal([[0x00, 'A70301']]);
    });

    it('reads a 16-bit-reference concatenation IE (08)', () => {
      const info = parseUdh(bytes('06 08 04 12 34 02 01'));
      expect(info.concat).to.deep.equal({ ref: 0x1234, total: 2, seq: 1, refBits: 16 });
    });

    it('reads a 16-bit port IE (05), as in Kannel submit e', () => {
      const info = parseUdh(bytes('06 05 04 0B 84 23 F0'));
      expect(info.ports).to.deep.equal({ destination: 2948, source: 9200, bits: 16 });
      expect(info.concat).to.equal(undefined);
    });

    it('reads an 8-bit port IE (04)', () => {
      expect(parseUdh(bytes('04 04 02 10 20')).ports).to.deep.equal({
        destination: 0x10,
        source: 0x20,
        bits: 8,
      });
    });

    it('reads ports and concatenation together and keeps IE order', () => {
      const info = parseUdh(bytes('0B 05 04 0B 84 23 F0 00 03 01 02 01'));
      expect(info.ies.map((ie) => ie.iei)).to.deep.equal([0x05, 0x00]);
      expect(info.ports?.destination).to.equal(2948);
      expect(info.concat).to.deep.equal({ ref: 1, total: 2, seq: 1, refBits: 8 });
    });

    it('keeps unknown IEs without interpreting them', () => {
      const info = parseUdh(bytes('05 24 01 00 70 00'));
      expect(info.ies.map((ie) => [ie.iei, hexOf(ie.data)])).to.deep.equal([
        [0x24, '00'],
        [0x70, ''],
      ]);
      expect(info.concat).to.equal(undefined);
    });

    it('accepts an empty header (UDHL 0)', () => {
      expect(parseUdh(bytes('00')).ies).to.deep.equal([]);
    });

    it('rejects a bad UDHL or an overrunning IE with EncodingError', () => {
      const bad = [
        '', // no UDHL
        '06 00 03 01 02 01', // UDHL larger than the octets
        '03 00 03 01 02 01', // UDHL smaller than the octets
        '03 00 05 01', // IE length overruns the header
        '01 00', // IE without its length octet
        '04 00 02 01 02', // concatenation IE with the wrong length
        '05 05 03 01 02 03', // 16-bit port IE with the wrong length
      ];
      for (const hex of bad) {
        expect(() => parseUdh(bytes(hex)), hex)
          .to.throw(EncodingError)
          .with.property('code', 'ERR_CIMD_ENCODING');
      }
    });
  });

  describe('udhLength', () => {
    it('is 1 + UDHL, and rejects a truncated header', () => {
      expect(udhLength(bytes('05 00 03 A7 03 01 41 42'))).to.equal(6);
      expect(() => udhLength(bytes('05 00 03'))).to.throw(EncodingError);
      expect(() => udhLength(new Uint8Array())).to.throw(EncodingError);
    });
  });

  describe('buildUdh and IE helpers', () => {
    it('builds 05 00 03 ref total seq for an 8-bit reference', () => {
      expect(hexOf(buildUdh([concatIe(0xa7, 3, 1)]))).to.equal('050003A70301');
    });

    it('builds 06 08 04 refHi refLo total seq for a 16-bit reference', () => {
      expect(hexOf(buildUdh([concatIe(0x1234, 2, 2, 16)]))).to.equal('060804123402' + '02');
    });

    it('builds port IEs of both widths', () => {
      expect(hexOf(buildUdh([portIe(2948, 9200)]))).to.equal('0605040B8423F0');
      expect(hexOf(buildUdh([portIe(0x10, 0x20, 8)]))).to.equal('0404021020');
    });

    it('puts IEs in the given order behind one UDHL', () => {
      expect(hexOf(buildUdh([portIe(2948, 9200), concatIe(1, 2, 1)]))).to.equal(
        '0B05040B8423F0' + '00030102' + '01',
      );
      expect(hexOf(buildUdh([]))).to.equal('00');
    });

    it('rejects out-of-range IE fields and oversized headers', () => {
      expect(() => concatIe(256, 2, 1)).to.throw(EncodingError);
      expect(() => concatIe(0x10000, 2, 1, 16)).to.throw(EncodingError);
      expect(() => concatIe(1, 0, 0)).to.throw(EncodingError);
      expect(() => concatIe(1, 2, 0)).to.throw(EncodingError);
      expect(() => concatIe(1, 2, 3)).to.throw(EncodingError);
      expect(() => concatIe(1, 256, 1)).to.throw(EncodingError);
      expect(() => portIe(0x10000, 1)).to.throw(EncodingError);
      expect(() => portIe(256, 1, 8)).to.throw(EncodingError);
      expect(() => buildUdh([{ iei: 256, data: new Uint8Array() }])).to.throw(EncodingError);
      expect(() => buildUdh([{ iei: 0x70, data: new Uint8Array(139) }])).to.throw(EncodingError);
      expect(buildUdh([{ iei: 0x70, data: new Uint8Array(137) }])).to.have.length(140);
    });
  });
});
