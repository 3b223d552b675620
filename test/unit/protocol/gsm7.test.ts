import { expect } from 'chai';
import { EncodingError } from '../../../src/errors.js';
import {
  GSM7_DEFAULT_ALPHABET,
  GSM7_EXTENSION_TABLE,
  countSeptets,
  gsm7CodesFromText,
  isGsm7,
  packSeptets,
  textFromGsm7Codes,
  unpackSeptets,
} from '../../../src/protocol/charset/gsm7.js';

/** GSM 03.38 default alphabet in code order (0x1B, the escape, written as '\x1b'). */
const EXPECTED_DEFAULT =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** Every character of the default alphabet except the escape. */
const ALL_DEFAULT_CHARS = EXPECTED_DEFAULT.replace('\x1b', '');

/** GSM 03.38 extension table: [character, code after 0x1B] (docs/protocol.md#extension-characters). */
const EXTENSION: readonly (readonly [string, number])[] = [
  ['\f', 0x0a],
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['€', 0x65],
];

/** Independent reference packer: builds the LSB-first bit stream as a string of bits. */
function referencePack(codes: readonly number[], fillBits = 0): number[] {
  let bits = '0'.repeat(fillBits);
  for (const c of codes) bits += c.toString(2).padStart(7, '0').split('').reverse().join('');
  while (bits.length % 8 !== 0) bits += '0';
  const out: number[] = [];
  for (let i = 0; i < bits.length; i += 8) {
    out.push(
      parseInt(
        bits
          .slice(i, i + 8)
          .split('')
          .reverse()
          .join(''),
        2,
      ),
    );
  }
  return out;
}

describe('gsm7', () => {
  describe('tables', () => {
    it('holds the 128 default-alphabet characters in GSM 03.38 order', () => {
      expect(GSM7_DEFAULT_ALPHABET).to.have.length(128);
      expect(GSM7_DEFAULT_ALPHABET.join('')).to.equal(EXPECTED_DEFAULT);
    });

    it('holds exactly the ten extension characters', () => {
      const entries = Object.entries(GSM7_EXTENSION_TABLE).map(([k, v]) => [v, Number(k)]);
      expect(entries).to.have.deep.members(EXTENSION.map(([ch, code]) => [ch, code]));
    });
  });

  describe('gsm7CodesFromText', () => {
    it('gives one septet per default character', () => {
      expect(gsm7CodesFromText('@£$A_à')).to.deep.equal([0x00, 0x01, 0x02, 0x41, 0x11, 0x7f]);
    });

    it('gives the escape 0x1B plus the code for each extension character', () => {
      for (const [ch, code] of EXTENSION) {
        expect(gsm7CodesFromText(ch), ch).to.deep.equal([0x1b, code]);
      }
    });

    it('is undefined when any character is not representable', () => {
      expect(gsm7CodesFromText('abcЖ')).to.equal(undefined);
      expect(gsm7CodesFromText('ç')).to.equal(undefined);
      expect(gsm7CodesFromText('😀')).to.equal(undefined);
      expect(gsm7CodesFromText('\x1b')).to.equal(undefined);
    });
  });

  describe('textFromGsm7Codes', () => {
    it('round-trips every default and extension character', () => {
      const all = ALL_DEFAULT_CHARS + EXTENSION.map(([ch]) => ch).join('');
      const codes = gsm7CodesFromText(all);
      expect(codes).to.not.equal(undefined);
      expect(textFromGsm7Codes(codes ?? [])).to.equal(all);
    });

    it('reads a lone trailing escape and an escape before an escape as a space', () => {
      expect(textFromGsm7Codes([0x41, 0x1b])).to.equal('A ');
      expect(textFromGsm7Codes([0x1b, 0x1b, 0x65])).to.equal(' €');
    });

    it('reads an escape before a code the extension table lacks as that default character', () => {
      expect(textFromGsm7Codes([0x1b, 0x41])).to.equal('A');
    });

    it('rejects codes outside 0-127', () => {
      expect(() => textFromGsm7Codes([0x80])).to.throw(EncodingError);
    });
  });

  describe('isGsm7 and countSeptets', () => {
    it('accepts GSM text and rejects anything else', () => {
      expect(isGsm7('Hello @ £ € {}')).to.equal(true);
      expect(isGsm7('')).to.equal(true);
      expect(isGsm7('Привет')).to.equal(false);
    });

    it('counts extension characters as two septets', () => {
      expect(countSeptets('abc')).to.equal(3);
      expect(countSeptets('{x}')).to.equal(5);
      expect(countSeptets('€'.repeat(80))).to.equal(160);
      expect(countSeptets('')).to.equal(0);
    });

    it('throws EncodingError naming the first non-GSM character and its index', () => {
      expect(() => countSeptets('ab😀Ж'))
        .to.throw(EncodingError, /U\+1F600.*index 2/)
        .with.property('code', 'ERR_CIMD_ENCODING');
    });
  });

  describe('packSeptets / unpackSeptets', () => {
    it('packs "Test" into D4 F2 9C 0E', () => {
      expect(packSeptets([0x54, 0x65, 0x73, 0x74]).toString('hex')).to.equal('d4f29c0e');
    });

    it('packs "hellohello" into the GSM 03.38 example octets', () => {
      const codes = gsm7CodesFromText('hellohello') ?? [];
      expect(packSeptets(codes).toString('hex').toUpperCase()).to.equal('E8329BFD4697D9EC37');
    });

    it('starts the first septet after the fill bits', () => {
      expect([...packSeptets([0x41], 1)]).to.deep.equal([0x82]);
      expect([...packSeptets([0x41, 0x42], 1)]).to.deep.equal([0x82, 0x42]);
    });

    it('agrees with an independent bit-stream packer for every length and fill', () => {
      const codes = Array.from({ length: 20 }, (_, i) => (i * 37 + 11) & 0x7f);
      for (let n = 0; n <= codes.length; n++) {
        for (let fill = 0; fill <= 6; fill++) {
          const slice = codes.slice(0, n);
          expect([...packSeptets(slice, fill)], `n=${n} fill=${fill}`).to.deep.equal(
            referencePack(slice, fill),
          );
          expect(unpackSeptets(Uint8Array.from(referencePack(slice, fill)), n, fill)).to.deep.equal(
            slice,
          );
        }
      }
    });

    it('unpacks every whole septet when no count is given', () => {
      expect(unpackSeptets(Buffer.from('D4F29C0E', 'hex'))).to.deep.equal([0x54, 0x65, 0x73, 0x74]);
      expect(unpackSeptets(new Uint8Array(7))).to.have.length(8);
    });

    it('rejects a count the octets cannot hold, bad fill bits and bad codes', () => {
      expect(() => unpackSeptets(new Uint8Array(1), 2)).to.throw(EncodingError);
      expect(() => packSeptets([1], 7)).to.throw(EncodingError);
      expect(() => packSeptets([128])).to.throw(EncodingError);
    });
  });
});
