import { expect } from 'chai';
import { EncodingError } from '../../../src/errors.js';
import { decodeDcs, encodeDcs, isValidDcs } from '../../../src/protocol/dcs.js';
import type { DcsFields, DcsInfo } from '../../../src/protocol/dcs.js';

/** docs/protocol.md#data-coding-scheme-030 read by hand: DCS value → expected decoding. */
const DECODE_CASES: readonly (readonly [number, DcsInfo])[] = [
  [0x00, { group: 'general', alphabet: 'gsm7', compressed: false }],
  [0x04, { group: 'general', alphabet: '8bit', compressed: false }],
  [0x08, { group: 'general', alphabet: 'ucs2', compressed: false }],
  [0x0c, { group: 'general', alphabet: 'reserved', compressed: false }],
  [0x03, { group: 'general', alphabet: 'gsm7', compressed: false }], // class bits ignored without bit 4
  [16, { group: 'general', alphabet: 'gsm7', messageClass: 0, compressed: false }],
  [17, { group: 'general', alphabet: 'gsm7', messageClass: 1, compressed: false }],
  [18, { group: 'general', alphabet: 'gsm7', messageClass: 2, compressed: false }],
  [19, { group: 'general', alphabet: 'gsm7', messageClass: 3, compressed: false }],
  [20, { group: 'general', alphabet: '8bit', messageClass: 0, compressed: false }],
  [21, { group: 'general', alphabet: '8bit', messageClass: 1, compressed: false }],
  [22, { group: 'general', alphabet: '8bit', messageClass: 2, compressed: false }],
  [23, { group: 'general', alphabet: '8bit', messageClass: 3, compressed: false }],
  [24, { group: 'general', alphabet: 'ucs2', messageClass: 0, compressed: false }],
  [25, { group: 'general', alphabet: 'ucs2', messageClass: 1, compressed: false }],
  [26, { group: 'general', alphabet: 'ucs2', messageClass: 2, compressed: false }],
  [27, { group: 'general', alphabet: 'ucs2', messageClass: 3, compressed: false }],
  [0x20, { group: 'general', alphabet: 'gsm7', compressed: true }],
  [0x3a, { group: 'general', alphabet: 'ucs2', messageClass: 2, compressed: true }],
  [0x40, { group: 'auto-delete', alphabet: 'gsm7', compressed: false }],
  [0x55, { group: 'auto-delete', alphabet: '8bit', messageClass: 1, compressed: false }],
  [0x80, { group: 'reserved', alphabet: 'reserved', compressed: false }],
  [0xbf, { group: 'reserved', alphabet: 'reserved', compressed: false }],
  [
    0xc0,
    {
      group: 'mwi-discard',
      alphabet: 'gsm7',
      compressed: false,
      mwi: { active: false, type: 'voicemail' },
    },
  ],
  [
    0xc8,
    {
      group: 'mwi-discard',
      alphabet: 'gsm7',
      compressed: false,
      mwi: { active: true, type: 'voicemail' },
    },
  ],
  [
    0xc9,
    {
      group: 'mwi-discard',
      alphabet: 'gsm7',
      compressed: false,
      mwi: { active: true, type: 'fax' },
    },
  ],
  [
    0xd2,
    {
      group: 'mwi-store-gsm7',
      alphabet: 'gsm7',
      compressed: false,
      mwi: { active: false, type: 'email' },
    },
  ],
  [
    0xdb,
    {
      group: 'mwi-store-gsm7',
      alphabet: 'gsm7',
      compressed: false,
      mwi: { active: true, type: 'other' },
    },
  ],
  [
    0xe8,
    {
      group: 'mwi-store-ucs2',
      alphabet: 'ucs2',
      compressed: false,
      mwi: { active: true, type: 'voicemail' },
    },
  ],
  [
    0xef,
    {
      group: 'mwi-store-ucs2',
      alphabet: 'ucs2',
      compressed: false,
      mwi: { active: true, type: 'other' },
    },
  ],
  [0xf0, { group: 'data-class', alphabet: 'gsm7', messageClass: 0, compressed: false }],
  [0xf1, { group: 'data-class', alphabet: 'gsm7', messageClass: 1, compressed: false }],
  [0xf2, { group: 'data-class', alphabet: 'gsm7', messageClass: 2, compressed: false }],
  [0xf3, { group: 'data-class', alphabet: 'gsm7', messageClass: 3, compressed: false }],
  [0xf4, { group: 'data-class', alphabet: '8bit', messageClass: 0, compressed: false }],
  [0xf5, { group: 'data-class', alphabet: '8bit', messageClass: 1, compressed: false }],
  [0xf6, { group: 'data-class', alphabet: '8bit', messageClass: 2, compressed: false }],
  [0xf7, { group: 'data-class', alphabet: '8bit', messageClass: 3, compressed: false }],
  [0xfd, { group: 'data-class', alphabet: '8bit', messageClass: 1, compressed: false }], // bit 3 reserved
];

const ENCODE_CASES: readonly (readonly [DcsFields, number])[] = [
  [{ alphabet: 'gsm7' }, 0],
  [{ alphabet: '8bit' }, 4],
  [{ alphabet: 'ucs2' }, 8],
  [{ alphabet: 'gsm7', messageClass: 0 }, 16],
  [{ alphabet: 'gsm7', messageClass: 3 }, 19],
  [{ alphabet: '8bit', messageClass: 1 }, 21],
  [{ alphabet: 'ucs2', messageClass: 3 }, 27],
  [{ alphabet: 'gsm7', compressed: true }, 0x20],
  [{ alphabet: '8bit', form: 'auto-delete' }, 0x44],
  [{ alphabet: '8bit', form: 'data-class' }, 0xf5],
  [{ alphabet: 'gsm7', form: 'data-class' }, 0xf1],
  [{ alphabet: 'gsm7', form: 'data-class', messageClass: 0 }, 0xf0],
  [{ alphabet: '8bit', form: 'data-class', messageClass: 3 }, 0xf7],
  [{ alphabet: 'gsm7', form: 'mwi-discard' }, 0xc0],
  [{ alphabet: 'gsm7', form: 'mwi-discard', mwi: { active: false, type: 'fax' } }, 0xc1],
  [{ alphabet: 'gsm7', form: 'mwi-store', mwi: { active: true, type: 'voicemail' } }, 0xd8],
  [{ alphabet: 'ucs2', form: 'mwi-store', mwi: { active: true, type: 'email' } }, 0xea],
];

describe('dcs', () => {
  describe('decodeDcs', () => {
    for (const [dcs, expected] of DECODE_CASES) {
      it(`decodes 0x${dcs.toString(16).padStart(2, '0')} as ${expected.group}/${expected.alphabet}`, () => {
        expect(decodeDcs(dcs)).to.deep.equal(expected);
      });
    }

    it('decodes every value 0-255 without throwing', () => {
      for (let dcs = 0; dcs < 256; dcs++) expect(() => decodeDcs(dcs)).to.not.throw();
    });

    it('throws EncodingError for values that are not integers 0-255', () => {
      for (const bad of [-1, 256, 1.5, Number.NaN]) {
        expect(() => decodeDcs(bad), String(bad)).to.throw(EncodingError);
      }
    });
  });

  describe('isValidDcs', () => {
    it('accepts integers 0-255 only', () => {
      expect(isValidDcs(0)).to.equal(true);
      expect(isValidDcs(255)).to.equal(true);
      expect(isValidDcs(256)).to.equal(false);
      expect(isValidDcs(-1)).to.equal(false);
      expect(isValidDcs(4.5)).to.equal(false);
    });
  });

  describe('encodeDcs', () => {
    for (const [fields, expected] of ENCODE_CASES) {
      it(`encodes ${JSON.stringify(fields)} as ${expected}`, () => {
        expect(encodeDcs(fields)).to.equal(expected);
      });
    }

    it('rejects combinations the group cannot carry', () => {
      expect(() => encodeDcs({ alphabet: 'ucs2', form: 'data-class' })).to.throw(EncodingError);
      expect(() => encodeDcs({ alphabet: 'gsm7', form: 'data-class', compressed: true })).to.throw(
        EncodingError,
      );
      expect(() => encodeDcs({ alphabet: '8bit', form: 'mwi-store' })).to.throw(EncodingError);
      expect(() => encodeDcs({ alphabet: 'ucs2', form: 'mwi-discard' })).to.throw(EncodingError);
      expect(() => encodeDcs({ alphabet: 'gsm7', form: 'mwi-store', messageClass: 1 })).to.throw(
        EncodingError,
      );
      expect(() => encodeDcs({ alphabet: 'gsm7', messageClass: 4 as 0 })).to.throw(EncodingError);
    });
  });
});
