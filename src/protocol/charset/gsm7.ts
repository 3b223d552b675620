/**
 * GSM 03.38 default alphabet and extension table (docs/protocol.md#text-conversion-of-033, #extension-characters), septet counting and
 * 7-bit packing. Pure; no I/O.
 */
import { EncodingError } from '../../errors.js';

/** The GSM escape code (0x1B) that introduces an extension-table character (docs/protocol.md#extension-characters). */
export const GSM7_ESCAPE = 0x1b;

/**
 * GSM 03.38 default alphabet: index = septet code, value = the Unicode character. Index 0x1B is
 * the escape to the extension table, not a character; it never matches text (docs/protocol.md#special-combinations).
 */
export const GSM7_DEFAULT_ALPHABET = [
  // 0x00
  '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì',
  // 0x08
  'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
  // 0x10
  'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ',
  // 0x18 (0x1B = escape)
  'Σ', 'Θ', 'Ξ', '\u001b', 'Æ', 'æ', 'ß', 'É',
  // 0x20
  ' ', '!', '"', '#', '¤', '%', '&', "'",
  // 0x28
  '(', ')', '*', '+', ',', '-', '.', '/',
  // 0x30
  '0', '1', '2', '3', '4', '5', '6', '7',
  // 0x38
  '8', '9', ':', ';', '<', '=', '>', '?',
  // 0x40
  '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G',
  // 0x48
  'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
  // 0x50
  'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W',
  // 0x58
  'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
  // 0x60
  '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g',
  // 0x68
  'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
  // 0x70
  'p', 'q', 'r', 's', 't', 'u', 'v', 'w',
  // 0x78
  'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
] as const; // prettier-ignore

/**
 * GSM 03.38 extension table: septet code after 0x1B → Unicode character (docs/protocol.md#extension-characters). Each
 * of these characters costs two septets.
 */
export const GSM7_EXTENSION_TABLE = {
  0x0a: '\f', // form feed (page break)
  0x14: '^',
  0x28: '{',
  0x29: '}',
  0x2f: '\\',
  0x3c: '[',
  0x3d: '~',
  0x3e: ']',
  0x40: '|',
  0x65: '€',
} as const satisfies Record<number, string>;

const defaultByChar = new Map<string, number>();
GSM7_DEFAULT_ALPHABET.forEach((ch, code) => {
  if (code !== GSM7_ESCAPE) defaultByChar.set(ch, code);
});
const extensionByChar = new Map<string, number>();
const extensionByCode = new Map<number, string>();
for (const [code, ch] of Object.entries(GSM7_EXTENSION_TABLE)) {
  extensionByChar.set(ch, Number(code));
  extensionByCode.set(Number(code), ch);
}

/** What a lone escape (at the end, or before another escape) is shown as (GSM 03.38: a space). */
const LONE_ESCAPE_TEXT = ' ';

/**
 * Septet codes of one character: `[code]`, `[0x1B, code]` for extension characters, or undefined
 * when the character is not in GSM 03.38.
 */
export function gsm7CodesForChar(ch: string): readonly number[] | undefined {
  const code = defaultByChar.get(ch);
  if (code !== undefined) return [code];
  const ext = extensionByChar.get(ch);
  if (ext !== undefined) return [GSM7_ESCAPE, ext];
  return undefined;
}

/**
 * Septet codes (0–127, one per array element, unpacked) for `text`; extension characters give the
 * pair 0x1B + code. Undefined when any character is not representable.
 */
export function gsm7CodesFromText(text: string): number[] | undefined {
  const out: number[] = [];
  for (const ch of text) {
    const codes = gsm7CodesForChar(ch);
    if (codes === undefined) return undefined;
    out.push(...codes);
  }
  return out;
}

/** The character an extension code stands for, or undefined when the extension table lacks it. */
export function gsm7ExtensionChar(code: number): string | undefined {
  return extensionByCode.get(code);
}

/** The default-alphabet character for a code 0–127 (0x1B gives the escape control character). */
export function gsm7DefaultChar(code: number): string {
  const ch = GSM7_DEFAULT_ALPHABET[code];
  if (ch === undefined) throw new EncodingError(`GSM septet code ${code} is outside 0-127`);
  return ch;
}

/**
 * Text for unpacked septet codes. An escape followed by an extension code gives that character;
 * an escape followed by a code the extension table lacks gives the default character of that code
 * (GSM 03.38); a lone escape (last, or followed by another escape) gives a space. Never loses a
 * character that `gsm7CodesFromText` produced. Throws EncodingError for codes outside 0–127.
 */
export function textFromGsm7Codes(codes: readonly number[]): string {
  let out = '';
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i] ?? 0;
    if (code !== GSM7_ESCAPE) {
      out += gsm7DefaultChar(code);
      continue;
    }
    const next = codes[i + 1];
    if (next === undefined || next === GSM7_ESCAPE) {
      out += LONE_ESCAPE_TEXT;
      continue;
    }
    out += gsm7ExtensionChar(next) ?? gsm7DefaultChar(next);
    i++;
  }
  return out;
}

/** True when every character of `text` is in the GSM default alphabet or extension table. */
export function isGsm7(text: string): boolean {
  for (const ch of text) if (gsm7CodesForChar(ch) === undefined) return false;
  return true;
}

/** Human-readable description of a character for error messages: `'Ж' (U+0416)`. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const printable = cp >= 0x20 && cp !== 0x7f ? `'${ch}' ` : '';
  return `${printable}(U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
}

/**
 * Number of septets `text` takes in GSM 7-bit (extension characters count 2; docs/protocol.md#extension-characters,
 * docs/protocol.md#length-of-033). Throws EncodingError naming the first character that is not GSM 03.38.
 */
export function countSeptets(text: string): number {
  let n = 0;
  let index = 0;
  for (const ch of text) {
    const codes = gsm7CodesForChar(ch);
    if (codes === undefined) {
      throw new EncodingError(
        `character ${describeChar(ch)} at index ${index} is not in the GSM 7-bit alphabet`,
      );
    }
    n += codes.length;
    index += ch.length;
  }
  return n;
}

/**
 * Packs septet codes (GSM 03.38 §6.1.2.1): septet i starts at bit `fillBits + 7 * i`, least
 * significant bit first; the result has ⌈(fillBits + 7n) / 8⌉ octets, unused bits zero.
 * `fillBits` (0–6) aligns septets after a UDH in the same user data.
 */
export function packSeptets(codes: readonly number[], fillBits = 0): Buffer {
  checkFillBits(fillBits);
  const out = Buffer.alloc(Math.ceil((fillBits + 7 * codes.length) / 8));
  let bit = fillBits;
  for (const code of codes) {
    if (!Number.isInteger(code) || code < 0 || code > 0x7f) {
      throw new EncodingError(`GSM septet code ${code} is outside 0-127`);
    }
    const byte = bit >> 3;
    const shift = bit & 7;
    out[byte] = (out[byte] ?? 0) | ((code << shift) & 0xff);
    if (shift > 1) out[byte + 1] = (out[byte + 1] ?? 0) | (code >> (8 - shift));
    bit += 7;
  }
  return out;
}

/**
 * Unpacks `count` septets from packed octets (the inverse of `packSeptets`). Without `count`,
 * takes every whole septet the octets hold: ⌊(8·length − fillBits) / 7⌋. Throws EncodingError
 * when `count` needs more bits than there are.
 */
export function unpackSeptets(bytes: Uint8Array, count?: number, fillBits = 0): number[] {
  checkFillBits(fillBits);
  const available = Math.floor((bytes.length * 8 - fillBits) / 7);
  const n = count ?? Math.max(0, available);
  if (!Number.isInteger(n) || n < 0 || n > available) {
    throw new EncodingError(`cannot unpack ${n} septets from ${bytes.length} octets`);
  }
  const out: number[] = [];
  let bit = fillBits;
  for (let i = 0; i < n; i++) {
    const byte = bit >> 3;
    const shift = bit & 7;
    const word = (bytes[byte] ?? 0) | ((bytes[byte + 1] ?? 0) << 8);
    out.push((word >> shift) & 0x7f);
    bit += 7;
  }
  return out;
}

function checkFillBits(fillBits: number): void {
  if (!Number.isInteger(fillBits) || fillBits < 0 || fillBits > 6) {
    throw new EncodingError(`fill bits must be 0-6, got ${fillBits}`);
  }
}
