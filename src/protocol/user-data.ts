/**
 * User data of submit (03) and deliver (20): parameters 030 DCS, 032 UDH, 033 text and 034 binary
 * ↔ text or bytes (docs/protocol.md#text-and-data-coding, #user-data-header-and-concatenation, #kannel-submit, #kannel-deliver-and-status-report). Pure; no I/O.
 */
import iconv from 'iconv-lite';
import { EncodingError } from '../errors.js';
import { decodeCimdText, encodeCimdText } from './charset/cimd-text.js';
import type { CimdTextDecodeOptions } from './charset/cimd-text.js';
import {
  GSM7_ESCAPE,
  countSeptets,
  isGsm7,
  textFromGsm7Codes,
  unpackSeptets,
} from './charset/gsm7.js';
import { decodeDcs, encodeDcs } from './dcs.js';
import type { DcsInfo, MessageClass } from './dcs.js';
import { parseUdh } from './udh.js';
import type { UdhInfo } from './udh.js';
import type { TextEncoding } from './encodings.js';

/** How a message's payload is encoded (the list is TEXT_ENCODINGS in encodings.ts). */
export type { TextEncoding };

/** The ISO charsets carried as 8-bit data (DCS 4) in 034. */
export type IsoCharset = 'iso-8859-1' | 'iso-8859-5' | 'iso-8859-8';

/** Octets in one message's user data (UDH included). */
export const MAX_USER_DATA_OCTETS = 140;
/** GSM septets in one message without a UDH. */
export const MAX_USER_DATA_SEPTETS = 160;
/** DCS used for WAP push: 8-bit data, class 1, F0–FF group. */
export const WAP_PUSH_DCS = 0xf5;

/**
 * A user-data parameter combination the SMSC rejects. `cimdErrorCode` is the 900 code to answer
 * with (docs/protocol.md#error-codes-900): 302 syntax error in user data (bad hex, bad UDH, odd UCS2 length),
 * 303 both 033 and 034 present, 304 a DCS that is not an integer 0–255.
 */
export class UserDataError extends EncodingError {
  readonly cimdErrorCode: 302 | 303 | 304;
  constructor(message: string, cimdErrorCode: 302 | 303 | 304, options?: ErrorOptions) {
    super(message, options);
    this.cimdErrorCode = cimdErrorCode;
  }
}

/** The user-data parameters of one submit or deliver frame, as on the wire. */
export interface UserDataParams {
  /** 030 as a number; absent means 0 (docs/protocol.md#data-coding-scheme-030). */
  readonly dcs?: number;
  /** 032: hex of the UDH including UDHL. */
  readonly udh?: string;
  /** 033: the CIMD text value (latin1 byte string). */
  readonly userData?: string;
  /** 034: hex of the octets. */
  readonly userDataBinary?: string;
}

/** Options for `decodeUserData`. */
export interface DecodeUserDataOptions {
  /** How 034 with an 8-bit DCS is read: raw bytes (default) or text in an ISO charset. */
  readonly eightBitCharset?: 'binary' | IsoCharset;
  /** Bytes ≥ 0x80 in 033 (see `decodeCimdText`). */
  readonly highBytes?: CimdTextDecodeOptions['highBytes'];
}

/** Decoded user data. `bytes` is present whenever 034 was; `text` whenever it reads as text. */
export interface DecodedUserData {
  readonly encoding: TextEncoding;
  readonly text?: string;
  readonly bytes?: Buffer;
  readonly udh?: Buffer;
  readonly udhInfo?: UdhInfo;
  readonly dcs: number;
  readonly dcsInfo: DcsInfo;
}

/** Strict hex → bytes; either case accepted (docs/protocol.md#where-implementations-disagree). */
function hexToBuffer(hex: string, what: string): Buffer {
  if (hex.length % 2 !== 0) {
    throw new UserDataError(`${what} has an odd number of hex digits (${hex.length})`, 302);
  }
  if (!/^[0-9A-Fa-f]*$/.test(hex)) {
    throw new UserDataError(`${what} contains a character that is not a hex digit`, 302);
  }
  return Buffer.from(hex, 'hex');
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

/**
 * UCS2 (UTF-16BE) octets → string, one code unit per octet pair; lone surrogates are kept, not
 * replaced, so a pair split across two parts joins back whole. A trailing odd octet is ignored.
 */
export function decodeUcs2(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    out += String.fromCharCode(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  }
  return out;
}

/** String → UCS2 (UTF-16BE) octets; characters outside the BMP become surrogate pairs (4 octets). */
export function encodeUcs2(text: string): Buffer {
  const out = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) out.writeUInt16BE(text.charCodeAt(i), i * 2);
  return out;
}

/** Text → ISO-8859-x octets; throws EncodingError naming the first character the charset lacks. */
export function encodeIso(text: string, charset: IsoCharset): Buffer {
  let index = 0;
  for (const ch of text) {
    const byte = iconv.encode(ch, charset);
    if (byte.length !== 1 || iconv.decode(byte, charset) !== ch) {
      const cp = (ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
      throw new EncodingError(`character U+${cp} at index ${index} is not in ${charset}`);
    }
    index += ch.length;
  }
  return iconv.encode(text, charset);
}

/** ISO-8859-x octets → text (every octet maps to one character). */
export function decodeIso(bytes: Uint8Array, charset: IsoCharset): string {
  return iconv.decode(Buffer.from(bytes), charset);
}

/**
 * GSM septets packed into 034 with a GSM 7-bit DCS (the jCIMD/MISP form, docs/protocol.md#033-or-034): every
 * whole septet is read; when the octets end exactly on a septet boundary (a multiple of 8 septets)
 * a final @ or CR is taken as padding (GSM 03.38 §6.1.2.3.1 and jCIMD's reading).
 */
function unpackJcimd(bytes: Buffer): string {
  const codes = unpackSeptets(bytes);
  const last = codes[codes.length - 1];
  if (codes.length > 0 && codes.length % 8 === 0 && (last === 0x00 || last === 0x0d)) {
    if (codes[codes.length - 2] !== GSM7_ESCAPE) codes.pop();
  }
  return textFromGsm7Codes(codes);
}

function encodingForDcs(dcs: number, info: DcsInfo, options: DecodeUserDataOptions): TextEncoding {
  if (dcs === WAP_PUSH_DCS) return 'wap-push';
  if (info.compressed) return 'binary';
  switch (info.alphabet) {
    case 'gsm7':
      return 'gsm7';
    case 'ucs2':
      return 'ucs2';
    case '8bit': {
      const cs = options.eightBitCharset ?? 'binary';
      return cs;
    }
    case 'reserved':
      return 'binary';
  }
}

/**
 * Reads the user-data parameters of a submit or deliver (docs/protocol.md#033-or-034, #user-data-header-and-concatenation):
 * - 033 is always CIMD text (`decodeCimdText`), whatever the DCS says → encoding `'gsm7'`;
 * - 034 with a UCS2 DCS → UTF-16BE text (surrogate pairs kept, even across odd splits);
 * - 034 with an 8-bit DCS → bytes (`'binary'`), or text when `eightBitCharset` names an ISO charset;
 *   DCS 0xF5 → `'wap-push'` bytes; a compressed or reserved alphabet → `'binary'`;
 * - 034 with a GSM 7-bit DCS → packed septets unpacked into text (jCIMD/MISP form);
 * - neither → the DCS's encoding with no text and no bytes.
 * Throws `UserDataError` (an EncodingError) with `cimdErrorCode` 303 when both 033 and 034 are
 * present, 304 for a DCS that is not an integer 0–255, 302 for bad hex, a bad UDH or an odd UCS2
 * length.
 */
export function decodeUserData(
  input: UserDataParams,
  options: DecodeUserDataOptions = {},
): DecodedUserData {
  if (input.userData !== undefined && input.userDataBinary !== undefined) {
    throw new UserDataError('user data (033) and user data binary (034) are both present', 303);
  }
  const dcs = input.dcs ?? 0;
  let dcsInfo: DcsInfo;
  try {
    dcsInfo = decodeDcs(dcs);
  } catch (cause) {
    throw new UserDataError(`data coding scheme ${dcs} is not 0-255`, 304, { cause });
  }
  let udh: Buffer | undefined;
  let udhInfo: UdhInfo | undefined;
  if (input.udh !== undefined) {
    udh = hexToBuffer(input.udh, 'user data header (032)');
    try {
      udhInfo = parseUdh(udh);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new UserDataError(`user data header (032) is malformed: ${reason}`, 302, { cause });
    }
  }

  if (input.userData !== undefined) {
    const highBytes = options.highBytes;
    const text = decodeCimdText(input.userData, highBytes !== undefined ? { highBytes } : {});
    return decoded(dcs, dcsInfo, udh, udhInfo, 'gsm7', undefined, text);
  }

  const encoding = encodingForDcs(dcs, dcsInfo, options);
  if (input.userDataBinary === undefined) {
    return decoded(dcs, dcsInfo, udh, udhInfo, encoding, undefined, undefined);
  }

  const bytes = hexToBuffer(input.userDataBinary, 'user data binary (034)');
  let text: string | undefined;
  switch (encoding) {
    case 'gsm7':
      text = unpackJcimd(bytes);
      break;
    case 'ucs2':
      if (bytes.length % 2 !== 0) {
        throw new UserDataError(
          `user data binary (034) has ${bytes.length} octets: UCS2 needs an even number`,
          302,
        );
      }
      text = decodeUcs2(bytes);
      break;
    case 'iso-8859-1':
    case 'iso-8859-5':
    case 'iso-8859-8':
      text = decodeIso(bytes, encoding);
      break;
    case 'binary':
    case 'wap-push':
      break;
  }
  return decoded(dcs, dcsInfo, udh, udhInfo, encoding, bytes, text);
}

/** The result object, members always in one order (no spreads: this runs once per submit). */
function decoded(
  dcs: number,
  dcsInfo: DcsInfo,
  udh: Buffer | undefined,
  udhInfo: UdhInfo | undefined,
  encoding: TextEncoding,
  bytes: Buffer | undefined,
  text: string | undefined,
): DecodedUserData {
  const out: {
    dcs: number;
    dcsInfo: DcsInfo;
    udh?: Buffer;
    udhInfo?: UdhInfo;
    encoding: TextEncoding;
    bytes?: Buffer;
    text?: string;
  } =
    udh !== undefined && udhInfo !== undefined
      ? { dcs, dcsInfo, udh, udhInfo, encoding }
      : { dcs, dcsInfo, encoding };
  if (bytes !== undefined) out.bytes = bytes;
  if (text !== undefined) out.text = text;
  return out;
}

/** What to send as user data. */
export interface UserDataInput {
  readonly text?: string;
  readonly bytes?: Uint8Array;
  /** Default: `'gsm7'` when `text` is all GSM 03.38, else `'ucs2'`; `'binary'` for `bytes`. */
  readonly encoding?: TextEncoding;
  /** Complete UDH including UDHL. */
  readonly udh?: Uint8Array;
  readonly messageClass?: MessageClass;
  /** Flash SMS: message class 0. */
  readonly flash?: boolean;
}

/** The user-data parameters to put in a frame; absent ones are omitted. Hex is uppercase. */
export interface EncodedUserData {
  readonly dcs?: number;
  readonly udh?: string;
  readonly userData?: string;
  readonly userDataBinary?: string;
}

/** Chooses the default encoding the way `encodeUserData` does. */
export function defaultEncoding(input: { readonly text?: string }): TextEncoding {
  return input.text !== undefined && !isGsm7(input.text) ? 'ucs2' : 'gsm7';
}

function payloadBytes(input: UserDataInput, encoding: Exclude<TextEncoding, 'gsm7'>): Buffer {
  if (input.text !== undefined && input.bytes !== undefined) {
    throw new EncodingError('give either text or bytes, not both');
  }
  if (input.bytes !== undefined) {
    if (encoding === 'ucs2' && input.bytes.length % 2 !== 0) {
      throw new EncodingError(`UCS2 bytes must be an even number, got ${input.bytes.length}`);
    }
    return Buffer.from(input.bytes);
  }
  const text = input.text ?? '';
  switch (encoding) {
    case 'ucs2':
      return encodeUcs2(text);
    case 'iso-8859-1':
    case 'iso-8859-5':
    case 'iso-8859-8':
      return encodeIso(text, encoding);
    case 'binary':
    case 'wap-push':
      if (input.text !== undefined) {
        throw new EncodingError(`encoding ${encoding} needs bytes, not text`);
      }
      return Buffer.alloc(0);
  }
}

/**
 * Builds the user-data parameters for one message (docs/protocol.md#033-or-034, #kannel-submit):
 * - `'gsm7'` → 033 in the CIMD text form (`encodeCimdText`), 030 only when a class is set (16–19);
 * - everything else → 034 (uppercase hex) + 030: 8-bit 4, UCS2 8 (UTF-16BE, surrogate pairs as
 *   four octets), ISO-8859-1/-5/-8 as their 8-bit octets with DCS 4, wap-push 0xF5; with a class
 *   the general group's 20–27 (wap-push: F4–F7);
 * - `udh` → 032 (uppercase hex, validated with `parseUdh`).
 * Throws EncodingError when the text is not representable in the encoding, or when the payload
 * plus UDH exceeds one message: 140 octets, i.e. ⌊(140 − UDH) × 8 / 7⌋ septets (160 without UDH).
 * Splitting is `splitMessage`'s job.
 */
export function encodeUserData(input: UserDataInput): EncodedUserData {
  if (input.flash === true && input.messageClass !== undefined && input.messageClass !== 0) {
    throw new EncodingError(`flash means class 0, but class ${input.messageClass} was given`);
  }
  const messageClass: MessageClass | undefined = input.flash === true ? 0 : input.messageClass;
  const encoding =
    input.encoding ??
    (input.bytes !== undefined && input.text === undefined ? 'binary' : defaultEncoding(input));

  const udhLen = input.udh?.length ?? 0;
  let udh: string | undefined;
  if (input.udh !== undefined) {
    parseUdh(input.udh);
    udh = toHex(input.udh);
  }
  const octets = MAX_USER_DATA_OCTETS - udhLen;
  const withUdh = udh !== undefined ? { udh } : {};

  if (encoding === 'gsm7') {
    if (input.bytes !== undefined) throw new EncodingError('encoding gsm7 needs text, not bytes');
    const text = input.text ?? '';
    const septets = countSeptets(text);
    const capacity = Math.floor((octets * 8) / 7);
    if (septets > capacity) {
      throw new EncodingError(
        `text needs ${septets} septets; one message holds ${capacity} with a ${udhLen}-octet UDH`,
      );
    }
    const userData = encodeCimdText(text);
    return messageClass === undefined
      ? { ...withUdh, userData }
      : { dcs: encodeDcs({ alphabet: 'gsm7', messageClass }), ...withUdh, userData };
  }

  const bytes = payloadBytes(input, encoding);
  if (bytes.length > octets) {
    throw new EncodingError(
      `payload is ${bytes.length} octets; one message holds ${octets} with a ${udhLen}-octet UDH`,
    );
  }
  const cls = messageClass !== undefined ? { messageClass } : {};
  const dcs =
    encoding === 'wap-push'
      ? encodeDcs({ alphabet: '8bit', form: 'data-class', ...cls })
      : encodeDcs({ alphabet: encoding === 'ucs2' ? 'ucs2' : '8bit', ...cls });
  return { dcs, ...withUdh, userDataBinary: toHex(bytes) };
}
