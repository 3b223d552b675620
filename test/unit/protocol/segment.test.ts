import { expect } from 'chai';
import { EncodingError } from '../../../src/errors.js';
import {
  countParts,
  joinParts,
  messageCapacity,
  splitMessage,
} from '../../../src/protocol/segment.js';

const hexOf = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : Buffer.from(b).toString('hex').toUpperCase();

/** The two 033 values of Kannel's golden submit d (kannel-frames.jsonl), 300 characters in all. */
const KANNEL_PART1 =
  'The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox j';
const KANNEL_PART2 =
  'umps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the lazy dog The quick brown fox jumps over the l';

const HIGH = 0xd800;
const LOW = 0xdc00;

describe('segment', () => {
  describe('messageCapacity', () => {
    it('gives the GSM 03.40 capacities without and with a concatenation UDH', () => {
      expect(messageCapacity('gsm7')).to.equal(160);
      expect(messageCapacity('gsm7', 6)).to.equal(153);
      expect(messageCapacity('gsm7', 7)).to.equal(152);
      expect(messageCapacity('ucs2')).to.equal(70);
      expect(messageCapacity('ucs2', 6)).to.equal(67);
      expect(messageCapacity('ucs2', 7)).to.equal(66);
      expect(messageCapacity('binary')).to.equal(140);
      expect(messageCapacity('binary', 6)).to.equal(134);
      expect(messageCapacity('iso-8859-5', 7)).to.equal(133);
      expect(messageCapacity('wap-push', 141)).to.equal(0);
    });
  });

  describe('splitMessage', () => {
    it('splits the 300-character text exactly as Kannel did (153 + 147, UDH 050003030201/02)', () => {
      const parts = splitMessage({
        text: KANNEL_PART1 + KANNEL_PART2,
        encoding: 'gsm7',
        reference: 3,
      });
      expect(parts.map((p) => [hexOf(p.udh), p.text, p.seq, p.total])).to.deep.equal([
        ['050003030201', KANNEL_PART1, 1, 2],
        ['050003030202', KANNEL_PART2, 2, 2],
      ]);
    });

    it('keeps 160 septets in one part without a UDH, and splits 161', () => {
      const one = splitMessage({ text: 'a'.repeat(160), encoding: 'gsm7', reference: 1 });
      expect(one).to.have.length(1);
      expect(one[0]?.udh).to.equal(undefined);
      expect(one[0]).to.include({ text: 'a'.repeat(160), seq: 1, total: 1 });
      const two = splitMessage({ text: 'a'.repeat(161), encoding: 'gsm7', reference: 1 });
      expect(two.map((p) => p.text?.length)).to.deep.equal([153, 8]);
    });

    it('fills two parts with 153 x 2 septets and needs a third for one more', () => {
      expect(countParts({ text: 'b'.repeat(306), encoding: 'gsm7' })).to.equal(2);
      expect(countParts({ text: 'b'.repeat(307), encoding: 'gsm7' })).to.equal(3);
    });

    it('uses 152 septets per part and IE 08 with a 16-bit reference', () => {
      const parts = splitMessage({
        text: 'c'.repeat(161),
        encoding: 'gsm7',
        reference: 0x0102,
        referenceBits: 16,
      });
      expect(parts.map((p) => [hexOf(p.udh), p.text?.length])).to.deep.equal([
        ['06080401020201', 152],
        ['06080401020202', 9],
      ]);
    });

    it('counts extension characters as two septets', () => {
      expect(countParts({ text: '€'.repeat(80), encoding: 'gsm7' })).to.equal(1);
      expect(countParts({ text: '€'.repeat(80) + 'a', encoding: 'gsm7' })).to.equal(2);
    });

    it('never splits a GSM escape pair', () => {
      // 'aa' + 75 x '€' = 152 septets; the 76th '€' would straddle the 153-septet boundary
      const parts = splitMessage({ text: 'aa' + '€'.repeat(80), encoding: 'gsm7', reference: 9 });
      expect(parts.map((p) => p.text)).to.deep.equal(['aa' + '€'.repeat(75), '€'.repeat(5)]);
    });

    it('keeps 70 UCS2 characters in one part, splits 71 into 67 + 4', () => {
      expect(countParts({ text: 'Ж'.repeat(70), encoding: 'ucs2' })).to.equal(1);
      const parts = splitMessage({ text: 'Ж'.repeat(71), encoding: 'ucs2', reference: 5 });
      expect(parts.map((p) => p.text?.length)).to.deep.equal([67, 4]);
      expect(hexOf(parts[1]?.udh)).to.equal('050003050202');
    });

    it('never splits a UTF-16 surrogate pair', () => {
      const text = 'Ж'.repeat(66) + '😀' + 'Ж'.repeat(10);
      const parts = splitMessage({ text, encoding: 'ucs2', reference: 1 });
      expect(parts.map((p) => p.text)).to.deep.equal(['Ж'.repeat(66), '😀' + 'Ж'.repeat(10)]);
      for (const p of parts) {
        const last = p.text?.charCodeAt(p.text.length - 1) ?? 0;
        expect(last >= HIGH && last < LOW, 'part ends in a high surrogate').to.equal(false);
      }
    });

    it('splits UCS2 given as bytes on code units and returns bytes', () => {
      const bytes = Buffer.from('0416'.repeat(66) + 'D83DDE00' + '0416'.repeat(3), 'hex');
      const parts = splitMessage({ bytes, encoding: 'ucs2', reference: 1 });
      expect(parts.map((p) => hexOf(p.bytes))).to.deep.equal([
        '0416'.repeat(66),
        'D83DDE00' + '0416'.repeat(3),
      ]);
    });

    it('keeps 140 octets in one part, splits 141 into 134 + 7 (133 + 8 with 16-bit refs)', () => {
      expect(countParts({ bytes: new Uint8Array(140), encoding: 'binary' })).to.equal(1);
      const parts = splitMessage({
        bytes: Uint8Array.from({ length: 141 }, (_, i) => i),
        encoding: 'binary',
        reference: 0xff,
      });
      expect(parts.map((p) => p.bytes?.length)).to.deep.equal([134, 7]);
      expect(parts[1]?.bytes?.[0]).to.equal(134);
      expect(hexOf(parts[0]?.udh)).to.equal('050003FF0201');
      const sixteen = splitMessage({
        bytes: new Uint8Array(141),
        encoding: 'binary',
        reference: 1,
        referenceBits: 16,
      });
      expect(sixteen.map((p) => p.bytes?.length)).to.deep.equal([133, 8]);
    });

    it('keeps extra IEs (ports) in every part, before the concatenation IE', () => {
      const ports = Buffer.from('0605040B8423F0', 'hex');
      const single = splitMessage({
        bytes: new Uint8Array(133),
        encoding: 'wap-push',
        udh: ports,
        reference: 1,
      });
      expect(single.map((p) => [hexOf(p.udh), p.bytes?.length])).to.deep.equal([
        ['0605040B8423F0', 133],
      ]);
      const parts = splitMessage({
        bytes: new Uint8Array(134),
        encoding: 'wap-push',
        udh: ports,
        reference: 0x42,
      });
      // UDH = 1 + 6 (ports) + 5 (concat) = 12 octets → 128 octets per part
      expect(parts.map((p) => [hexOf(p.udh), p.bytes?.length])).to.deep.equal([
        ['0B05040B8423F0' + '0003420201', 128],
        ['0B05040B8423F0' + '0003420202', 6],
      ]);
    });

    it('splits ISO-8859 text by characters (one octet each)', () => {
      const parts = splitMessage({ text: 'Ж'.repeat(141), encoding: 'iso-8859-5', reference: 1 });
      expect(parts.map((p) => p.text?.length)).to.deep.equal([134, 7]);
    });

    it('gives one empty part for an empty payload', () => {
      expect(splitMessage({ text: '', encoding: 'gsm7', reference: 0 })).to.deep.equal([
        { udh: undefined, text: '', seq: 1, total: 1 },
      ]);
    });

    it('rejects bad input with EncodingError', () => {
      expect(() => splitMessage({ text: 'Ж', encoding: 'gsm7', reference: 1 })).to.throw(
        EncodingError,
      );
      expect(() => splitMessage({ text: 'a', encoding: 'gsm7', reference: 256 })).to.throw(
        EncodingError,
      );
      expect(() => splitMessage({ text: 'a', encoding: 'binary', reference: 1 })).to.throw(
        EncodingError,
      );
      expect(() => splitMessage({ text: 'Ж', encoding: 'iso-8859-1', reference: 1 })).to.throw(
        EncodingError,
      );
      expect(() =>
        splitMessage({
          text: 'a'.repeat(200),
          encoding: 'gsm7',
          udh: Buffer.from('050003010201', 'hex'),
          reference: 1,
        }),
      ).to.throw(EncodingError, /concatenation/);
      expect(() =>
        splitMessage({ bytes: new Uint8Array(134 * 255 + 1), encoding: 'binary', reference: 1 }),
      ).to.throw(EncodingError, /255/);
      expect(() =>
        splitMessage({ text: 'a', bytes: Uint8Array.of(1), encoding: 'binary', reference: 1 }),
      ).to.throw(EncodingError, /either text or bytes/);
      expect(() =>
        splitMessage({ bytes: Uint8Array.of(0x41), encoding: 'gsm7', reference: 1 }),
      ).to.throw(EncodingError, /needs text/);
      expect(() =>
        splitMessage({ bytes: Uint8Array.of(4, 0x16, 4), encoding: 'ucs2', reference: 1 }),
      ).to.throw(EncodingError, /even/);
      const bigIe = Buffer.concat([Buffer.from([138, 0x70, 136]), Buffer.alloc(136)]);
      expect(() =>
        splitMessage({ bytes: new Uint8Array(2), encoding: 'binary', udh: bigIe, reference: 1 }),
      ).to.throw(EncodingError, /no room/);
    });
  });

  describe('joinParts', () => {
    it('orders text parts by seq and concatenates them', () => {
      expect(
        joinParts([
          { seq: 2, text: 'world' },
          { seq: 1, text: 'hello ' },
        ]),
      ).to.deep.equal({ text: 'hello world' });
    });

    it('concatenates byte parts in seq order', () => {
      const joined = joinParts([
        { seq: 3, bytes: Uint8Array.of(5) },
        { seq: 1, bytes: Uint8Array.of(1, 2) },
        { seq: 2, bytes: Uint8Array.of(3, 4) },
      ]);
      expect(joined).to.have.property('bytes');
      expect([...('bytes' in joined ? joined.bytes : [])]).to.deep.equal([1, 2, 3, 4, 5]);
    });

    it('undoes splitMessage', () => {
      const text = 'Zürich € ' + 'x'.repeat(400);
      const parts = splitMessage({ text, encoding: 'gsm7', reference: 7 });
      expect(joinParts([...parts].reverse())).to.deep.equal({ text });
    });

    it('rejects a repeated seq and a mix of text and bytes', () => {
      expect(() =>
        joinParts([
          { seq: 1, text: 'a' },
          { seq: 1, text: 'b' },
        ]),
      ).to.throw(EncodingError);
      expect(() =>
        joinParts([
          { seq: 1, text: 'a' },
          { seq: 2, bytes: Uint8Array.of(1) },
        ]),
      ).to.throw(EncodingError);
    });
  });
});
