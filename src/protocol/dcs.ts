/**
 * Data coding scheme (parameter 030) per GSM 03.38 coding groups (docs/protocol.md#data-coding-scheme-030). Pure.
 */
import { EncodingError } from '../errors.js';

/** GSM 03.38 coding group of a DCS value (docs/protocol.md#data-coding-scheme-030). */
export type DcsGroup =
  | 'general' // 00–3F
  | 'auto-delete' // 40–7F
  | 'reserved' // 80–BF
  | 'mwi-discard' // C0–CF
  | 'mwi-store-gsm7' // D0–DF
  | 'mwi-store-ucs2' // E0–EF
  | 'data-class'; // F0–FF

/** Alphabet a DCS announces; `'reserved'` for the reserved alphabet bits and reserved groups. */
export type DcsAlphabet = 'gsm7' | '8bit' | 'ucs2' | 'reserved';

/** GSM message class: 0 flash, 1 ME-specific, 2 SIM-specific, 3 TE-specific. */
export type MessageClass = 0 | 1 | 2 | 3;

/** Message-waiting indication type (bits 1–0 of the MWI groups). */
export type MwiType = 'voicemail' | 'fax' | 'email' | 'other';

/** Decoded DCS. `messageClass` is present only when the DCS carries one. */
export interface DcsInfo {
  readonly group: DcsGroup;
  readonly alphabet: DcsAlphabet;
  readonly messageClass?: MessageClass;
  /** Bit 5 of the general and auto-deletion groups (GSM 03.42 compression). */
  readonly compressed: boolean;
  /** Present for the MWI groups C0–EF. */
  readonly mwi?: { readonly active: boolean; readonly type: MwiType };
}

const MWI_TYPES = ['voicemail', 'fax', 'email', 'other'] as const satisfies readonly MwiType[];
const GENERAL_ALPHABETS = ['gsm7', '8bit', 'ucs2', 'reserved'] as const;

/** True when `dcs` is an integer 0–255 (every such value decodes; reserved ones included). */
export function isValidDcs(dcs: number): boolean {
  return Number.isInteger(dcs) && dcs >= 0 && dcs <= 255;
}

function classOf(dcs: number): MessageClass {
  return (dcs & 0x03) as MessageClass;
}

/**
 * Decodes a DCS per the table of docs/protocol.md#data-coding-scheme-030: general (00–3F) and auto-deletion (40–7F)
 * groups read bit 5 compression, bit 4 "class valid", bits 3–2 alphabet, bits 1–0 class; the MWI
 * groups give the GSM 7-bit (C0–DF) or UCS2 (E0–EF) alphabet and bit 3 sense / bits 1–0 type;
 * F0–FF gives bit 2 alphabet (GSM 7-bit / 8-bit) and always a class. The reserved group 80–BF has
 * alphabet `'reserved'`. Throws EncodingError when `dcs` is not an integer 0–255.
 */
export function decodeDcs(dcs: number): DcsInfo {
  if (!isValidDcs(dcs)) throw new EncodingError(`DCS must be an integer 0-255, got ${dcs}`);
  if (dcs < 0x80) {
    const base = {
      group: dcs < 0x40 ? 'general' : 'auto-delete',
      alphabet: GENERAL_ALPHABETS[(dcs >> 2) & 0x03] ?? 'reserved',
      compressed: (dcs & 0x20) !== 0,
    } as const;
    return (dcs & 0x10) !== 0 ? { ...base, messageClass: classOf(dcs) } : base;
  }
  if (dcs < 0xc0) return { group: 'reserved', alphabet: 'reserved', compressed: false };
  if (dcs < 0xf0) {
    const group = dcs < 0xd0 ? 'mwi-discard' : dcs < 0xe0 ? 'mwi-store-gsm7' : 'mwi-store-ucs2';
    return {
      group,
      alphabet: group === 'mwi-store-ucs2' ? 'ucs2' : 'gsm7',
      compressed: false,
      mwi: { active: (dcs & 0x08) !== 0, type: MWI_TYPES[dcs & 0x03] ?? 'other' },
    };
  }
  return {
    group: 'data-class',
    alphabet: (dcs & 0x04) !== 0 ? '8bit' : 'gsm7',
    messageClass: classOf(dcs),
    compressed: false,
  };
}

/** What to encode as a DCS. */
export interface DcsFields {
  readonly alphabet: 'gsm7' | '8bit' | 'ucs2';
  readonly messageClass?: MessageClass;
  readonly compressed?: boolean;
  /**
   * Coding group: `'general'` (00–3F, default), `'auto-delete'` (40–7F), `'data-class'` (F0–FF,
   * GSM 7-bit or 8-bit only; class defaults to 1 as Kannel's `alt-dcs` does), `'mwi-discard'`
   * (C0–CF, GSM 7-bit), `'mwi-store'` (D0–DF for GSM 7-bit, E0–EF for UCS2; needs `mwi`).
   */
  readonly form?: 'general' | 'auto-delete' | 'data-class' | 'mwi-discard' | 'mwi-store';
  /** Indication for the MWI forms (default: inactive voicemail). */
  readonly mwi?: { readonly active: boolean; readonly type: MwiType };
}

const ALPHABET_BITS = { gsm7: 0x00, '8bit': 0x04, ucs2: 0x08 } as const;

/**
 * Encodes DCS fields (docs/protocol.md#data-coding-scheme-030). The general form gives 0 / 4 / 8 for GSM 7-bit / 8-bit /
 * UCS2 without a class, and 16–27 with one (bit 4 set); 0x20 is added for `compressed`. Throws
 * EncodingError for combinations the chosen group cannot express (UCS2 or compression in F0–FF,
 * 8-bit in the MWI groups, UCS2 in "discard").
 */
export function encodeDcs(fields: DcsFields): number {
  const form = fields.form ?? 'general';
  const { alphabet, messageClass } = fields;
  if (messageClass !== undefined && ![0, 1, 2, 3].includes(messageClass)) {
    throw new EncodingError(`message class must be 0-3, got ${String(messageClass)}`);
  }
  switch (form) {
    case 'general':
    case 'auto-delete': {
      let dcs = form === 'general' ? 0x00 : 0x40;
      dcs |= ALPHABET_BITS[alphabet];
      if (fields.compressed === true) dcs |= 0x20;
      if (messageClass !== undefined) dcs |= 0x10 | messageClass;
      return dcs;
    }
    case 'data-class': {
      if (alphabet === 'ucs2' || fields.compressed === true) {
        throw new EncodingError('the F0-FF DCS group carries only uncompressed GSM 7-bit or 8-bit');
      }
      return 0xf0 | ALPHABET_BITS[alphabet] | (messageClass ?? 1);
    }
    case 'mwi-discard':
    case 'mwi-store': {
      if (alphabet === '8bit' || (alphabet === 'ucs2' && form === 'mwi-discard')) {
        throw new EncodingError(`the ${form} DCS group cannot carry ${alphabet} data`);
      }
      if (messageClass !== undefined || fields.compressed === true) {
        throw new EncodingError('MWI DCS groups carry no message class or compression');
      }
      const base = form === 'mwi-discard' ? 0xc0 : alphabet === 'ucs2' ? 0xe0 : 0xd0;
      const mwi = fields.mwi ?? { active: false, type: 'voicemail' };
      return base | (mwi.active ? 0x08 : 0) | MWI_TYPES.indexOf(mwi.type);
    }
  }
}
