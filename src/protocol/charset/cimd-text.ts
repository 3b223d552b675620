/**
 * The CIMD2 text conversion of parameter 033 (docs/protocol.md#text-conversion-of-033, #extension-characters): GSM 03.38 written in the
 * lower 7 bits of ISO-8859-1, with 3-byte `_xy` combinations for the characters that ASCII lacks.
 * Values are latin1 byte strings, as in `Frame`. Pure; no I/O.
 */
import { EncodingError } from '../../errors.js';
import {
  GSM7_ESCAPE,
  describeChar,
  gsm7CodesForChar,
  gsm7DefaultChar,
  gsm7ExtensionChar,
} from './gsm7.js';

/** One special combination of docs/protocol.md#special-combinations: GSM code, the character, the 3-byte form. */
export interface CimdCombination {
  readonly code: number;
  readonly char: string;
  readonly combination: string;
}

/**
 * The 43 special combinations of docs/protocol.md#special-combinations, identical to Kannel 1.4.5's
 * `cimd_combinations` (0x1B is the escape `_XX`, whose `char` is the escape control character).
 */
export const CIMD_COMBINATIONS = [
  { code: 0x00, char: '@', combination: '_Oa' },
  { code: 0x01, char: '£', combination: '_L-' },
  { code: 0x03, char: '¥', combination: '_Y-' },
  { code: 0x04, char: 'è', combination: '_e`' },
  { code: 0x05, char: 'é', combination: "_e'" },
  { code: 0x06, char: 'ù', combination: '_u`' },
  { code: 0x07, char: 'ì', combination: '_i`' },
  { code: 0x08, char: 'ò', combination: '_o`' },
  { code: 0x09, char: 'Ç', combination: '_C,' },
  { code: 0x0b, char: 'Ø', combination: '_O/' },
  { code: 0x0c, char: 'ø', combination: '_o/' },
  { code: 0x0e, char: 'Å', combination: '_A*' },
  { code: 0x0f, char: 'å', combination: '_a*' },
  { code: 0x10, char: 'Δ', combination: '_gd' },
  { code: 0x11, char: '_', combination: '_--' },
  { code: 0x12, char: 'Φ', combination: '_gf' },
  { code: 0x13, char: 'Γ', combination: '_gg' },
  { code: 0x14, char: 'Λ', combination: '_gl' },
  { code: 0x15, char: 'Ω', combination: '_go' },
  { code: 0x16, char: 'Π', combination: '_gp' },
  { code: 0x17, char: 'Ψ', combination: '_gi' },
  { code: 0x18, char: 'Σ', combination: '_gs' },
  { code: 0x19, char: 'Θ', combination: '_gt' },
  { code: 0x1a, char: 'Ξ', combination: '_gx' },
  { code: 0x1b, char: '\u001b', combination: '_XX' },
  { code: 0x1c, char: 'Æ', combination: '_AE' },
  { code: 0x1d, char: 'æ', combination: '_ae' },
  { code: 0x1e, char: 'ß', combination: '_ss' },
  { code: 0x1f, char: 'É', combination: "_E'" },
  { code: 0x22, char: '"', combination: '_qq' },
  { code: 0x24, char: '¤', combination: '_ox' },
  { code: 0x40, char: '¡', combination: '_!!' },
  { code: 0x5b, char: 'Ä', combination: '_A"' },
  { code: 0x5c, char: 'Ö', combination: '_O"' },
  { code: 0x5d, char: 'Ñ', combination: '_N~' },
  { code: 0x5e, char: 'Ü', combination: '_U"' },
  { code: 0x5f, char: '§', combination: '_so' },
  { code: 0x60, char: '¿', combination: '_??' },
  { code: 0x7b, char: 'ä', combination: '_a"' },
  { code: 0x7c, char: 'ö', combination: '_o"' },
  { code: 0x7d, char: 'ñ', combination: '_n~' },
  { code: 0x7e, char: 'ü', combination: '_u"' },
  { code: 0x7f, char: 'à', combination: '_a`' },
] as const satisfies readonly CimdCombination[];

const combinationByCode = new Map<number, string>(
  CIMD_COMBINATIONS.map((c) => [c.code, c.combination]),
);
const codeByCombination = new Map<string, number>(
  CIMD_COMBINATIONS.map((c) => [c.combination, c.code]),
);

/** GSM code 0x02 (`$`) is the one character written as a plain byte that is not its own code. */
const GSM_DOLLAR = 0x02;
const GSM_SECTION = 0x5f;

/** Raw bytes of a received 033 that Kannel reads as another GSM code (docs/protocol.md#raw-bytes-kannel-reads-differently). */
const RAW_BYTE_REMAP: Readonly<Record<number, number>> = {
  0x40: 0x00, // '@' → @
  0x24: 0x02, // '$' → $
  0x5d: 0x0e, // ']' → Å (Nordic ISO 646)
  0x7d: 0x0f, // '}' → å
};

/** Options for reading a received 033 value. */
export interface CimdTextDecodeOptions {
  /**
   * Bytes ≥ 0x80: `'latin1'` (default) reads them as ISO-8859-1 characters, as an "8-bit link"
   * may carry them (docs/protocol.md#text-conversion-of-033); `'drop'` discards them, as Kannel 1.4.5 does.
   */
  readonly highBytes?: 'latin1' | 'drop';
}

/** The 033 form of one GSM septet code (docs/protocol.md#special-combinations, #plain-bytes). */
function cimdFormOfCode(code: number): string {
  const combination = combinationByCode.get(code);
  if (combination !== undefined) return combination;
  if (code === GSM_DOLLAR) return '$';
  // Every remaining code (LF, CR, space, digits, letters, most punctuation) is its own ASCII byte.
  return gsm7DefaultChar(code);
}

/**
 * Unicode text → the 033 value (latin1 byte string) exactly as Kannel 1.4.5 writes it
 * (docs/protocol.md#text-conversion-of-033, #extension-characters): ASCII-identical characters as themselves, `$` as `$`, the 43
 * combinations (`@`→`_Oa`, `_`→`_--`, `"`→`_qq`, …), and extension characters as `_XX` followed by
 * the extension code in the same notation (`{`→`_XX(`, `€`→`_XXe`, `|`→`_XX_!!`, `^`→`_XX_gl`,
 * form feed → `_XX` + LF). The result only contains bytes 0x0A, 0x0D and 0x20–0x7E.
 * Throws EncodingError naming the first character that is not GSM 03.38 and its UTF-16 index.
 */
export function encodeCimdText(text: string): string {
  let out = '';
  let index = 0;
  for (const ch of text) {
    const codes = gsm7CodesForChar(ch);
    if (codes === undefined) {
      throw new EncodingError(
        `character ${describeChar(ch)} at index ${index} cannot be written in CIMD2 user data (033): not in the GSM 7-bit alphabet`,
      );
    }
    for (const code of codes) out += cimdFormOfCode(code);
    index += ch.length;
  }
  return out;
}

/** A GSM septet code, or a character taken as is (an ISO-8859-1 byte ≥ 0x80). */
type Token = number | string;

function tokenize(value: string, highBytes: 'latin1' | 'drop'): Token[] {
  const tokens: Token[] = [];
  const len = value.length;
  for (let pos = 0; pos < len; pos++) {
    const c = value.charCodeAt(pos);
    if (c === 0x5f && pos + 2 < len) {
      const code = codeByCombination.get(value.slice(pos, pos + 3));
      if (code !== undefined) {
        tokens.push(code);
        pos += 2;
        continue;
      }
      // Kannel keeps the '_' (GSM 0x5F, §) and reads the two bytes after it normally.
      tokens.push(GSM_SECTION);
      continue;
    }
    if (c >= 0x80) {
      if (highBytes === 'latin1') tokens.push(String.fromCharCode(c & 0xff));
      continue;
    }
    tokens.push(RAW_BYTE_REMAP[c] ?? c);
  }
  return tokens;
}

/**
 * PLAIN[b] is 1 for a byte that reads as itself and starts nothing: not `_` (a combination), not
 * the escape (it pairs with the next token), and its GSM character after Kannel's remapping is
 * the character of the same code (letters, digits, most punctuation, `@`, `$`).
 */
const PLAIN: Uint8Array = (() => {
  const table = new Uint8Array(0x80);
  for (let c = 0; c < 0x80; c++) {
    if (c === 0x5f || c === GSM7_ESCAPE) continue;
    if (gsm7DefaultChar(RAW_BYTE_REMAP[c] ?? c) === String.fromCharCode(c)) table[c] = 1;
  }
  return table;
})();

/**
 * The 033 value (latin1 byte string) → Unicode text, reading it as Kannel 1.4.5 does
 * (docs/protocol.md#raw-bytes-kannel-reads-differently): the 43 combinations; `_XX` + the next character or combination as an
 * extension character; raw `[ \ ^ \` { | ~` as the GSM characters of those codes (Ä Ö Ü ¿ ä ö ü);
 * raw `]`/`}` as Å/å; raw `@`, `$`, `"` as themselves; `_` not followed by a known pair (or in the
 * last two positions) as §; control bytes as the GSM character of that code. Bytes ≥ 0x80 follow
 * `options.highBytes`. Never throws.
 */
export function decodeCimdText(value: string, options: CimdTextDecodeOptions = {}): string {
  // Most texts are plain ASCII letters, digits and punctuation that read as themselves: keep
  // that prefix as it is and tokenize only from the first byte that needs the tables.
  const len = value.length;
  let plain = 0;
  while (plain < len && (PLAIN[value.charCodeAt(plain)] ?? 0) === 1) plain++;
  if (plain === len) return value;
  const rest = plain === 0 ? value : value.slice(plain);
  return value.slice(0, plain) + decodeTokens(tokenize(rest, options.highBytes ?? 'latin1'));
}

function decodeTokens(tokens: readonly Token[]): string {
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] ?? '';
    if (typeof t === 'string') {
      out += t;
      continue;
    }
    if (t !== GSM7_ESCAPE) {
      out += gsm7DefaultChar(t);
      continue;
    }
    const next = tokens[i + 1];
    if (typeof next !== 'number' || next === GSM7_ESCAPE) {
      out += ' ';
      continue;
    }
    out += gsm7ExtensionChar(next) ?? gsm7DefaultChar(next);
    i++;
  }
  return out;
}

/**
 * Number of GSM septets a 033 value stands for (the budget of docs/protocol.md#length-of-033): one per GSM code
 * it decodes to, so `_XX(` counts 2. An ISO-8859-1 byte ≥ 0x80 (with `highBytes: 'latin1'`)
 * counts as the septets of its GSM equivalent, or 1 when it has none.
 */
export function cimdTextSeptets(value: string, options: CimdTextDecodeOptions = {}): number {
  let n = 0;
  for (const t of tokenize(value, options.highBytes ?? 'latin1')) {
    n += typeof t === 'number' ? 1 : (gsm7CodesForChar(t)?.length ?? 1);
  }
  return n;
}
