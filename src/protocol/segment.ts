/**
 * Splitting a long message into concatenated parts and joining parts back (docs/protocol.md#user-data-header-and-concatenation;
 * GSM 03.40). Pure: reassembly with timeouts lives in the server.
 */
import { EncodingError } from '../errors.js';
import { gsm7CodesForChar, describeChar } from './charset/gsm7.js';
import { buildUdh, concatIe, parseUdh } from './udh.js';
import type { InformationElement } from './udh.js';
import { MAX_USER_DATA_OCTETS, decodeUcs2, encodeIso, encodeUcs2 } from './user-data.js';
import type { TextEncoding } from './user-data.js';

/** What to split. */
export interface SplitInput {
  readonly text?: string;
  /** Payload octets (binary, wap-push, or already-encoded UCS2 / ISO octets). */
  readonly bytes?: Uint8Array;
  readonly encoding: TextEncoding;
  /** Complete UDH (incl. UDHL) with extra IEs such as ports, repeated in every part. */
  readonly udh?: Uint8Array;
  /** Concatenation reference shared by all parts: 0–255 (8-bit) or 0–65535 (16-bit). */
  readonly reference: number;
  /** Width of the concatenation reference: 8 → IE 0x00 (default), 16 → IE 0x08. */
  readonly referenceBits?: 8 | 16;
}

/**
 * One part. `text` when the input was text, `bytes` when it was bytes; `udh` is the complete UDH
 * for this part (extra IEs first, then the concatenation IE), or undefined for a single plain part.
 */
export interface MessagePart {
  readonly udh: Buffer | undefined;
  readonly text?: string;
  readonly bytes?: Buffer;
  readonly seq: number;
  readonly total: number;
}

/**
 * Units one message holds next to a UDH of `udhLength` octets (incl. UDHL; 0 = no UDH), out of
 * 140 octets (docs/protocol.md#user-data-header-and-concatenation): GSM 7-bit ⌊(140 − L) × 8 / 7⌋ septets (160, 153 at L = 6, 152 at
 * L = 7); UCS2 ⌊(140 − L) / 2⌋ UTF-16 code units (70, 67, 66); other encodings 140 − L octets.
 */
export function messageCapacity(encoding: TextEncoding, udhLength = 0): number {
  const octets = Math.max(0, MAX_USER_DATA_OCTETS - udhLength);
  switch (encoding) {
    case 'gsm7':
      return Math.floor((octets * 8) / 7);
    case 'ucs2':
      return Math.floor(octets / 2);
    case 'binary':
    case 'wap-push':
    case 'iso-8859-1':
    case 'iso-8859-5':
    case 'iso-8859-8':
      return octets;
  }
}

/** An indivisible piece of payload and the units it costs. */
interface Item {
  readonly piece: string;
  readonly cost: number;
}

/** Pieces in payload order: characters (a GSM escape pair or a surrogate pair is one piece). */
function textItems(text: string, encoding: TextEncoding): Item[] {
  const items: Item[] = [];
  let index = 0;
  for (const ch of text) {
    let cost: number;
    switch (encoding) {
      case 'gsm7': {
        const codes = gsm7CodesForChar(ch);
        if (codes === undefined) {
          throw new EncodingError(
            `character ${describeChar(ch)} at index ${index} is not in the GSM 7-bit alphabet`,
          );
        }
        cost = codes.length;
        break;
      }
      case 'ucs2':
        cost = ch.length;
        break;
      case 'iso-8859-1':
      case 'iso-8859-5':
      case 'iso-8859-8':
      case 'binary':
      case 'wap-push':
        cost = 1;
        break;
    }
    items.push({ piece: ch, cost });
    index += ch.length;
  }
  return items;
}

function payloadItems(input: SplitInput): { items: Item[]; asBytes: boolean } {
  const { text, bytes, encoding } = input;
  if (text !== undefined && bytes !== undefined) {
    throw new EncodingError('give either text or bytes, not both');
  }
  if (bytes !== undefined) {
    if (encoding === 'gsm7') throw new EncodingError('encoding gsm7 needs text, not bytes');
    if (encoding === 'ucs2') {
      if (bytes.length % 2 !== 0) {
        throw new EncodingError(`UCS2 bytes must be an even number, got ${bytes.length}`);
      }
      return { items: textItems(decodeUcs2(bytes), 'ucs2'), asBytes: true };
    }
    // latin1 keeps one character per octet, so octets split like text and convert back losslessly
    return { items: textItems(Buffer.from(bytes).toString('latin1'), 'binary'), asBytes: true };
  }
  const t = text ?? '';
  if (encoding === 'binary' || encoding === 'wap-push') {
    if (text !== undefined) throw new EncodingError(`encoding ${encoding} needs bytes, not text`);
  } else if (encoding !== 'gsm7' && encoding !== 'ucs2') {
    encodeIso(t, encoding);
  }
  return { items: textItems(t, encoding), asBytes: false };
}

function pieceOutput(
  pieces: string,
  encoding: TextEncoding,
  asBytes: boolean,
): { text: string } | { bytes: Buffer } {
  if (!asBytes) return { text: pieces };
  return {
    bytes: encoding === 'ucs2' ? encodeUcs2(pieces) : Buffer.from(pieces, 'latin1'),
  };
}

/**
 * Splits a payload into message parts (docs/protocol.md#user-data-header-and-concatenation, Kannel's `sms_split`):
 * - when the whole payload fits one message next to the extra UDH (`messageCapacity`), one part
 *   with that UDH (or none) and no concatenation IE;
 * - otherwise parts of at most `messageCapacity(encoding, L)` units, where L is the extra UDH plus
 *   the concatenation IE (5 octets for 8-bit refs, 6 for 16-bit; plus UDHL when there is no extra
 *   UDH): 153 / 152 septets, 134 / 133 octets, 67 / 66 UCS2 code units without extra IEs.
 * A GSM escape pair and a UTF-16 surrogate pair are never split. Parts are filled greedily.
 * Throws EncodingError when the text is not representable, the reference does not fit its width,
 * the extra UDH already has a concatenation IE or leaves no room, or more than 255 parts result.
 */
export function splitMessage(input: SplitInput): MessagePart[] {
  const refBits = input.referenceBits ?? 8;
  const maxRef = refBits === 8 ? 0xff : 0xffff;
  if (!Number.isInteger(input.reference) || input.reference < 0 || input.reference > maxRef) {
    throw new EncodingError(`concatenation reference must be 0-${maxRef}, got ${input.reference}`);
  }
  const { encoding } = input;
  const { items, asBytes } = payloadItems(input);
  const extraIes: readonly InformationElement[] = input.udh ? parseUdh(input.udh).ies : [];
  const extraLen = input.udh?.length ?? 0;
  const totalCost = items.reduce((n, it) => n + it.cost, 0);

  if (totalCost <= messageCapacity(encoding, extraLen)) {
    const all = items.map((it) => it.piece).join('');
    return [
      {
        udh: input.udh ? Buffer.from(input.udh) : undefined,
        ...pieceOutput(all, encoding, asBytes),
        seq: 1,
        total: 1,
      },
    ];
  }

  if (extraIes.some((ie) => ie.iei === 0x00 || ie.iei === 0x08)) {
    throw new EncodingError('the extra UDH already holds a concatenation IE');
  }
  const udhLen = (input.udh ? extraLen : 1) + (refBits === 8 ? 5 : 6);
  const capacity = messageCapacity(encoding, udhLen);

  const chunks: string[] = [];
  let current = '';
  let used = 0;
  for (const it of items) {
    if (it.cost > capacity) {
      throw new EncodingError(`a ${udhLen}-octet UDH leaves no room for the payload`);
    }
    if (used + it.cost > capacity) {
      chunks.push(current);
      current = '';
      used = 0;
    }
    current += it.piece;
    used += it.cost;
  }
  chunks.push(current);
  if (chunks.length > 255) {
    throw new EncodingError(`message needs ${chunks.length} parts; concatenation allows 255`);
  }

  const total = chunks.length;
  return chunks.map((chunk, i) => ({
    udh: buildUdh([...extraIes, concatIe(input.reference, total, i + 1, refBits)]),
    ...pieceOutput(chunk, encoding, asBytes),
    seq: i + 1,
    total,
  }));
}

/** Number of parts `splitMessage` makes of this payload (the reference does not matter). */
export function countParts(
  input: Omit<SplitInput, 'reference'> & { readonly reference?: number },
): number {
  return splitMessage({ ...input, reference: input.reference ?? 0 }).length;
}

/** A received part for `joinParts`. */
export interface JoinablePart {
  readonly seq: number;
  readonly text?: string;
  readonly bytes?: Uint8Array;
}

/**
 * Orders parts by `seq` and concatenates them: text when every part has text, bytes when every
 * part has bytes (a UTF-16 surrogate pair split across UCS2 parts joins back whole). Does not check
 * for gaps. Throws EncodingError for a repeated `seq` or a mix of text and bytes parts.
 */
export function joinParts(parts: readonly JoinablePart[]): { text: string } | { bytes: Buffer } {
  const ordered = [...parts].sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i]?.seq === ordered[i - 1]?.seq) {
      throw new EncodingError(`part ${ordered[i]?.seq ?? 0} appears more than once`);
    }
  }
  if (ordered.every((p) => p.text !== undefined)) {
    return { text: ordered.map((p) => p.text ?? '').join('') };
  }
  if (ordered.every((p) => p.bytes !== undefined)) {
    return { bytes: Buffer.concat(ordered.map((p) => p.bytes ?? new Uint8Array())) };
  }
  throw new EncodingError('parts mix text and bytes');
}
