import { expect } from 'chai';
import { EncodingError } from '../../../src/errors.js';
import {
  bytesToHex,
  formatTimestamp,
  hexToBytes,
  kannelMinutesToRelativeValidity,
  msToRelativeValidity,
  parseIntParam,
  parseTimestamp,
  relativeValidityToMs,
} from '../../../src/protocol/values.js';

const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;
const W = 7 * D;

describe('values', () => {
  describe('timestamps', () => {
    it('formats yymmddhhmmss in UTC by default', () => {
      expect(formatTimestamp(Date.UTC(2026, 10, 25, 20, 59, 50, 999))).to.equal('261125205950');
      expect(formatTimestamp(new Date(Date.UTC(2000, 0, 1, 0, 0, 0)))).to.equal('000101000000');
    });

    it('formats in an IANA zone with its DST rules', () => {
      // Helsinki: UTC+2 in winter, UTC+3 in summer.
      expect(formatTimestamp(Date.UTC(2026, 0, 15, 12, 0, 0), 'Europe/Helsinki')).to.equal(
        '260115140000',
      );
      expect(formatTimestamp(Date.UTC(2026, 6, 15, 12, 0, 0), 'Europe/Helsinki')).to.equal(
        '260715150000',
      );
    });

    it('formats with a fixed offset in minutes', () => {
      expect(formatTimestamp(Date.UTC(2026, 0, 15, 23, 30, 0), 90)).to.equal('260116010000');
      expect(formatTimestamp(Date.UTC(2026, 0, 15, 0, 30, 0), -60)).to.equal('260114233000');
    });

    it('parses in UTC, a fixed offset and an IANA zone', () => {
      expect(parseTimestamp('971107131212').toISOString()).to.equal('2097-11-07T13:12:12.000Z');
      expect(parseTimestamp('260116010000', 90).toISOString()).to.equal('2026-01-15T23:30:00.000Z');
      expect(parseTimestamp('260715150000', 'Europe/Helsinki').toISOString()).to.equal(
        '2026-07-15T12:00:00.000Z',
      );
    });

    it('round-trips every third hour of a year in UTC and Europe/Helsinki', () => {
      const start = Date.UTC(2026, 0, 1);
      for (const zone of ['UTC', 'Europe/Helsinki']) {
        for (let t = start; t < start + 366 * D; t += 3 * H + 17_000) {
          const s = formatTimestamp(t, zone);
          const back = parseTimestamp(s, zone).getTime();
          // The DST-end repeated hour resolves to the earlier instant, so compare via the string.
          expect(formatTimestamp(back, zone), `${zone} ${new Date(t).toISOString()}`).to.equal(s);
          if (zone === 'UTC') expect(back).to.equal(t);
        }
      }
    });

    it('resolves DST edge wall times in Helsinki: repeated hour → earlier, skipped hour → later', () => {
      // 2026-10-25 04:00 EEST → 03:00 EET: 03:30 occurs twice.
      expect(parseTimestamp('261025033000', 'Europe/Helsinki').toISOString()).to.equal(
        '2026-10-25T00:30:00.000Z',
      );
      // 2026-03-29 03:00 EET → 04:00 EEST: 03:30 does not exist.
      expect(parseTimestamp('260329033000', 'Europe/Helsinki').toISOString()).to.equal(
        '2026-03-29T01:30:00.000Z',
      );
    });

    it('rejects malformed times and impossible dates', () => {
      for (const bad of [
        '26112520595',
        '2611252059500',
        '26112520595x',
        '261325000000',
        '260230000000',
        '261125240000',
        '261125006000',
        '261125000060',
      ]) {
        expect(() => parseTimestamp(bad), bad).to.throw(EncodingError);
      }
      expect(parseTimestamp('240229000000').toISOString()).to.equal('2024-02-29T00:00:00.000Z');
    });

    it('rejects unknown zones and years outside 2000–2099', () => {
      expect(() => formatTimestamp(0, 'Mars/Olympus')).to.throw(EncodingError, /unknown time zone/);
      expect(() => formatTimestamp(Date.UTC(1999, 11, 31))).to.throw(EncodingError, /1999/);
      expect(() => formatTimestamp(Date.UTC(2100, 0, 1))).to.throw(EncodingError);
      expect(() => formatTimestamp(NaN)).to.throw(EncodingError);
    });
  });

  describe('relative validity', () => {
    const REFERENCE: [number, number][] = [
      [0, 5 * MIN],
      [11, H],
      [71, 6 * H],
      [143, 12 * H],
      [144, 12 * H + 30 * MIN],
      [167, 24 * H],
      [168, 2 * D],
      [173, 7 * D],
      [196, 30 * D],
      [197, 5 * W],
      [255, 63 * W],
    ];

    it('converts the docs/protocol.md#relative-validity reference points to durations', () => {
      for (const [n, ms] of REFERENCE) expect(relativeValidityToMs(n), String(n)).to.equal(ms);
    });

    it('converts the docs/protocol.md#relative-validity reference durations back to their codes', () => {
      for (const [n, ms] of REFERENCE) expect(msToRelativeValidity(ms), String(n)).to.equal(n);
    });

    it('picks the smallest code whose duration covers the request, clamped to 0–255', () => {
      expect(msToRelativeValidity(H + 1)).to.equal(12);
      expect(msToRelativeValidity(12 * H + 1)).to.equal(144);
      expect(msToRelativeValidity(24 * H + 1)).to.equal(168);
      expect(msToRelativeValidity(30 * D + 1)).to.equal(197);
      expect(msToRelativeValidity(0)).to.equal(0);
      expect(msToRelativeValidity(-5)).to.equal(0);
      expect(msToRelativeValidity(100 * W)).to.equal(255);
      expect(() => msToRelativeValidity(NaN)).to.throw(EncodingError);
    });

    it('is strictly increasing over 0–255', () => {
      for (let n = 1; n <= 255; n++) {
        expect(relativeValidityToMs(n)).to.be.greaterThan(relativeValidityToMs(n - 1));
      }
    });

    it('rejects codes outside 0–255', () => {
      for (const bad of [-1, 256, 1.5])
        expect(() => relativeValidityToMs(bad)).to.throw(EncodingError);
    });

    it("follows Kannel 1.4.5's minutes table at every boundary", () => {
      const table: [number, number][] = [
        [0, 0],
        [4, 0],
        [5, 0],
        [6, 1],
        [60, 11],
        [720, 143],
        [721, 144],
        [749, 144],
        [750, 144],
        [751, 145],
        [1440, 167],
        [1441, 168],
        [2879, 168],
        [2880, 168],
        [2881, 169],
        [43200, 196],
        [43201, 197],
        [50399, 197],
        [50400, 197],
        [50401, 198],
        [635040, 255],
        [635041, 255],
        [10_000_000, 255],
        [-3, 0],
      ];
      for (const [m, n] of table)
        expect(kannelMinutesToRelativeValidity(m), `${m} min`).to.equal(n);
    });
  });

  describe('parseIntParam', () => {
    it('parses decimal integers with an optional minus', () => {
      expect(parseIntParam('042')).to.equal(42);
      expect(parseIntParam('-1', { min: -1, max: 255 })).to.equal(-1);
    });

    it('rejects non-integers and out-of-range values', () => {
      for (const bad of ['', '1.0', ' 1', '+1', '0x1', '1e3']) {
        expect(() => parseIntParam(bad), bad).to.throw(EncodingError);
      }
      expect(() => parseIntParam('10', { max: 9 })).to.throw(EncodingError, /outside/);
      expect(() => parseIntParam('0', { min: 1 })).to.throw(EncodingError, /outside/);
    });
  });

  describe('hex', () => {
    it('writes uppercase hex', () => {
      expect(bytesToHex(Uint8Array.of(0x00, 0x0b, 0xf0, 0xff))).to.equal('000BF0FF');
      expect(bytesToHex(new Uint8Array(0))).to.equal('');
      const view = Uint8Array.of(1, 2, 3, 4).subarray(1, 3);
      expect(bytesToHex(view)).to.equal('0203');
    });

    it('reads hex of either case', () => {
      expect([...hexToBytes('0605040b8423F0')]).to.deep.equal([6, 5, 4, 0x0b, 0x84, 0x23, 0xf0]);
      expect(hexToBytes('')).to.have.length(0);
    });

    it('rejects odd length and non-hex characters', () => {
      expect(() => hexToBytes('ABC')).to.throw(EncodingError, /odd length/);
      expect(() => hexToBytes('0G')).to.throw(EncodingError, /non-hex/);
      expect(() => hexToBytes('0 ')).to.throw(EncodingError);
    });
  });
});
