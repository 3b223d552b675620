import { expect } from 'chai';
import { EncodingError } from '../../../src/errors.js';
import {
  CIMD_COMBINATIONS,
  cimdTextSeptets,
  decodeCimdText,
  encodeCimdText,
} from '../../../src/protocol/charset/cimd-text.js';

/** docs/protocol.md#special-combinations: [GSM code, character, combination bytes (hex)], all 43 rows. */
const COMBINATIONS: readonly (readonly [number, string, string])[] = [
  [0x00, '@', '5F4F61'],
  [0x01, '£', '5F4C2D'],
  [0x03, '¥', '5F592D'],
  [0x04, 'è', '5F6560'],
  [0x05, 'é', '5F6527'],
  [0x06, 'ù', '5F7560'],
  [0x07, 'ì', '5F6960'],
  [0x08, 'ò', '5F6F60'],
  [0x09, 'Ç', '5F432C'],
  [0x0b, 'Ø', '5F4F2F'],
  [0x0c, 'ø', '5F6F2F'],
  [0x0e, 'Å', '5F412A'],
  [0x0f, 'å', '5F612A'],
  [0x10, 'Δ', '5F6764'],
  [0x11, '_', '5F2D2D'],
  [0x12, 'Φ', '5F6766'],
  [0x13, 'Γ', '5F6767'],
  [0x14, 'Λ', '5F676C'],
  [0x15, 'Ω', '5F676F'],
  [0x16, 'Π', '5F6770'],
  [0x17, 'Ψ', '5F6769'],
  [0x18, 'Σ', '5F6773'],
  [0x19, 'Θ', '5F6774'],
  [0x1a, 'Ξ', '5F6778'],
  [0x1b, '\x1b', '5F5858'],
  [0x1c, 'Æ', '5F4145'],
  [0x1d, 'æ', '5F6165'],
  [0x1e, 'ß', '5F7373'],
  [0x1f, 'É', '5F4527'],
  [0x22, '"', '5F7171'],
  [0x24, '¤', '5F6F78'],
  [0x40, '¡', '5F2121'],
  [0x5b, 'Ä', '5F4122'],
  [0x5c, 'Ö', '5F4F22'],
  [0x5d, 'Ñ', '5F4E7E'],
  [0x5e, 'Ü', '5F5522'],
  [0x5f, '§', '5F736F'],
  [0x60, '¿', '5F3F3F'],
  [0x7b, 'ä', '5F6122'],
  [0x7c, 'ö', '5F6F22'],
  [0x7d, 'ñ', '5F6E7E'],
  [0x7e, 'ü', '5F7522'],
  [0x7f, 'à', '5F6160'],
];

/** docs/protocol.md#extension-characters: [character, bytes (hex)]. */
const EXTENSIONS: readonly (readonly [string, string])[] = [
  ['\f', '5F58580A'],
  ['^', '5F58585F676C'],
  ['{', '5F585828'],
  ['}', '5F585829'],
  ['\\', '5F58582F'],
  ['[', '5F58583C'],
  ['~', '5F58583D'],
  [']', '5F58583E'],
  ['|', '5F58585F2121'],
  ['€', '5F585865'],
];

/** docs/protocol.md#plain-bytes: GSM characters carried as their own single byte. */
const PLAIN =
  "\n\r !#%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const hex = (s: string): string => Buffer.from(s, 'latin1').toString('hex').toUpperCase();

describe('cimd-text', () => {
  describe('CIMD_COMBINATIONS', () => {
    it('lists the 43 combinations of docs/protocol.md#special-combinations', () => {
      expect(CIMD_COMBINATIONS.map((c) => [c.code, c.char, hex(c.combination)])).to.deep.equal(
        COMBINATIONS.map((r) => [...r]),
      );
    });
  });

  describe('encodeCimdText', () => {
    it('writes each combination character as its three bytes', () => {
      for (const [, ch, bytes] of COMBINATIONS) {
        if (ch === '\x1b') continue;
        expect(hex(encodeCimdText(ch)), ch).to.equal(bytes);
      }
    });

    it('writes each extension character as _XX plus the code in the same notation', () => {
      for (const [ch, bytes] of EXTENSIONS) expect(hex(encodeCimdText(ch)), ch).to.equal(bytes);
    });

    it('writes ASCII-identical characters and $ as single bytes', () => {
      expect(encodeCimdText(PLAIN)).to.equal(PLAIN);
      expect(encodeCimdText('$')).to.equal('$');
    });

    it('produces Kannel 1.4.5 submit b exactly', () => {
      expect(encodeCimdText('Hällo @ £5 {x} €')).to.equal('H_a"llo _Oa _L-5 _XX(x_XX) _XXe');
    });

    it('throws EncodingError naming the first unrepresentable character and its index', () => {
      expect(() => encodeCimdText('abЖc'))
        .to.throw(EncodingError, /'Ж' \(U\+0416\) at index 2/)
        .with.property('code', 'ERR_CIMD_ENCODING');
      expect(() => encodeCimdText('x😀')).to.throw(EncodingError, /U\+1F600.*index 1/);
      expect(() => encodeCimdText('\x1b')).to.throw(EncodingError, /U\+001B/);
    });
  });

  describe('decodeCimdText', () => {
    it('reads every combination back to its character', () => {
      for (const [, ch, bytes] of COMBINATIONS) {
        if (ch === '\x1b') continue;
        expect(decodeCimdText(Buffer.from(bytes, 'hex').toString('latin1')), bytes).to.equal(ch);
      }
    });

    it('reads every extension form back to its character', () => {
      for (const [ch, bytes] of EXTENSIONS) {
        expect(decodeCimdText(Buffer.from(bytes, 'hex').toString('latin1')), bytes).to.equal(ch);
      }
    });

    it('round-trips every GSM default and extension character through encode', () => {
      const all =
        '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
        '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà\f^{}\\[~]|€';
      for (const ch of all) expect(decodeCimdText(encodeCimdText(ch)), ch).to.equal(ch);
      expect(decodeCimdText(encodeCimdText(all))).to.equal(all);
    });

    it('decodes the Kannel MO example', () => {
      expect(decodeCimdText('MO test _a"_o"_u" _XXe _XX(ok_XX) _Oa _L-')).to.equal(
        'MO test äöü € {ok} @ £',
      );
    });

    it('reads raw bytes the way Kannel does (docs/protocol.md#raw-bytes-kannel-reads-differently)', () => {
      const cases: readonly (readonly [string, string])[] = [
        ['[', 'Ä'],
        ['\\', 'Ö'],
        [']', 'Å'],
        ['^', 'Ü'],
        ['`', '¿'],
        ['{', 'ä'],
        ['|', 'ö'],
        ['}', 'å'],
        ['~', 'ü'],
        ['@', '@'],
        ['"', '"'],
        ['$', '$'],
      ];
      for (const [raw, ch] of cases) expect(decodeCimdText(raw), raw).to.equal(ch);
    });

    it('reads an unknown _xy as § followed by the two bytes read normally', () => {
      expect(decodeCimdText('a_zzb')).to.equal('a§zzb');
      expect(decodeCimdText('_Z]')).to.equal('§ZÅ');
    });

    it('reads _ in the last two positions as §', () => {
      expect(decodeCimdText('ab_')).to.equal('ab§');
      expect(decodeCimdText('a_b')).to.equal('a§b');
      expect(decodeCimdText('_')).to.equal('§');
    });

    it('reads control bytes as the GSM character of that code', () => {
      expect(decodeCimdText('\x01\x03\x10')).to.equal('£¥Δ');
      expect(decodeCimdText('\x1b(')).to.equal('{');
      expect(decodeCimdText('a\n\rb')).to.equal('a\n\rb');
    });

    it('reads a lone _XX at the end as a space', () => {
      expect(decodeCimdText('a_XX')).to.equal('a ');
    });

    it('reads bytes >= 0x80 as ISO-8859-1 by default and drops them in Kannel mode', () => {
      expect(decodeCimdText('\xA35 \xE7a')).to.equal('£5 ça');
      expect(decodeCimdText('\xA35 \xE7a', { highBytes: 'drop' })).to.equal('5 a');
    });

    it('never throws on arbitrary bytes', () => {
      let all = '';
      for (let b = 0; b < 256; b++) all += String.fromCharCode(b);
      expect(() => decodeCimdText(all + '_' + all + '_XX')).to.not.throw();
    });
  });

  describe('cimdTextSeptets', () => {
    it('counts GSM septets, with extension characters as two', () => {
      expect(cimdTextSeptets('abc')).to.equal(3);
      expect(cimdTextSeptets('_Oa_L-')).to.equal(2);
      expect(cimdTextSeptets('_XX(')).to.equal(2);
      expect(cimdTextSeptets('_XX_!!')).to.equal(2);
      expect(cimdTextSeptets('H_a"llo _Oa _L-5 _XX(x_XX) _XXe')).to.equal(19);
    });

    it('counts an ISO-8859-1 byte as its GSM septets, or one', () => {
      expect(cimdTextSeptets('\xA3')).to.equal(1);
      expect(cimdTextSeptets('\xE7')).to.equal(1);
      expect(cimdTextSeptets('\xA3', { highBytes: 'drop' })).to.equal(0);
    });

    it('counts a full 480-byte value of combinations as 160 septets', () => {
      expect(cimdTextSeptets('_Oa'.repeat(160))).to.equal(160);
    });
  });
});
