/**
 * User data header (parameter 032): parse and build, including the leading UDHL octet
 * (docs/protocol.md#user-data-header-and-concatenation; GSM 03.40 §9.2.3.24). Pure.
 */
import { EncodingError } from '../errors.js';

/** Information element identifiers this module interprets (GSM 03.40). */
export const Iei = {
  Concat8: 0x00, // concatenated SM, 8-bit reference: ref total seq
  Ports8: 0x04, // application port addressing, 8-bit: dst src
  Ports16: 0x05, // application port addressing, 16-bit: dstHi dstLo srcHi srcLo
  Concat16: 0x08, // concatenated SM, 16-bit reference: refHi refLo total seq
} as const;

/** One information element: identifier and data (without the IEI and length octets). */
export interface InformationElement {
  readonly iei: number;
  readonly data: Uint8Array;
}

/** Concatenation IE contents (IE 0x00 or 0x08). */
export interface ConcatInfo {
  readonly ref: number;
  readonly total: number;
  readonly seq: number;
  readonly refBits: 8 | 16;
}

/** Application port IE contents (IE 0x04 or 0x05). */
export interface PortInfo {
  readonly destination: number;
  readonly source: number;
  readonly bits: 8 | 16;
}

/** A parsed UDH: every IE in order, plus the interpreted concatenation and port IEs. */
export interface UdhInfo {
  readonly ies: readonly { readonly iei: number; readonly data: Buffer }[];
  readonly concat?: ConcatInfo;
  readonly ports?: PortInfo;
}

/** Largest UDH (incl. UDHL) that fits a 140-octet user data field. */
export const MAX_UDH_LENGTH = 140;

const FIXED_IE_LENGTH: Readonly<Record<number, number>> = {
  [Iei.Concat8]: 3,
  [Iei.Ports8]: 2,
  [Iei.Ports16]: 4,
  [Iei.Concat16]: 4,
};

/**
 * Length in octets of the UDH at the start of `bytes`: 1 + UDHL. Throws EncodingError when
 * `bytes` is empty or shorter than the UDHL announces.
 */
export function udhLength(bytes: Uint8Array): number {
  const udhl = bytes[0];
  if (udhl === undefined) throw new EncodingError('UDH is empty: no UDHL octet');
  if (1 + udhl > bytes.length) {
    throw new EncodingError(
      `UDHL ${udhl} announces more than the ${bytes.length - 1} octets present`,
    );
  }
  return 1 + udhl;
}

/**
 * Parses a complete UDH as carried in 032: UDHL, then IEs of `iei len data`. The UDHL must equal
 * the number of octets after it. Concatenation (0x00, 0x08) and port (0x04, 0x05) IEs must have
 * their fixed lengths; when one repeats, the last wins (GSM 03.40). Throws EncodingError on a bad
 * UDHL, an IE that overruns the header, or a wrong fixed length.
 */
export function parseUdh(bytes: Uint8Array): UdhInfo {
  const total = udhLength(bytes);
  if (total !== bytes.length) {
    throw new EncodingError(
      `UDHL ${total - 1} does not match the ${bytes.length - 1} octets after it`,
    );
  }
  const ies: { iei: number; data: Buffer }[] = [];
  let concat: ConcatInfo | undefined;
  let ports: PortInfo | undefined;
  let pos = 1;
  while (pos < total) {
    const iei = bytes[pos] ?? 0;
    const len = bytes[pos + 1];
    if (len === undefined || pos + 2 + len > total) {
      throw new EncodingError(
        `UDH information element 0x${hex2(iei)} at octet ${pos} overruns the header`,
      );
    }
    const data = Buffer.from(bytes.subarray(pos + 2, pos + 2 + len));
    const fixed = FIXED_IE_LENGTH[iei];
    if (fixed !== undefined && fixed !== len) {
      throw new EncodingError(
        `UDH information element 0x${hex2(iei)} must have length ${fixed}, got ${len}`,
      );
    }
    ies.push({ iei, data });
    const b = (i: number): number => data[i] ?? 0;
    switch (iei) {
      case Iei.Concat8:
        concat = { ref: b(0), total: b(1), seq: b(2), refBits: 8 };
        break;
      case Iei.Concat16:
        concat = { ref: (b(0) << 8) | b(1), total: b(2), seq: b(3), refBits: 16 };
        break;
      case Iei.Ports8:
        ports = { destination: b(0), source: b(1), bits: 8 };
        break;
      case Iei.Ports16:
        ports = { destination: (b(0) << 8) | b(1), source: (b(2) << 8) | b(3), bits: 16 };
        break;
      default:
        break;
    }
    pos += 2 + len;
  }
  return {
    ies,
    ...(concat !== undefined ? { concat } : {}),
    ...(ports !== undefined ? { ports } : {}),
  };
}

/**
 * Builds a UDH (UDHL first, then each IE as `iei len data`, in the given order). Throws
 * EncodingError when an IEI is not 0–255, an IE is longer than 255 octets, or the whole header
 * exceeds 140 octets.
 */
export function buildUdh(ies: readonly InformationElement[]): Buffer {
  const parts: Buffer[] = [];
  for (const ie of ies) {
    if (!Number.isInteger(ie.iei) || ie.iei < 0 || ie.iei > 255) {
      throw new EncodingError(`IEI must be 0-255, got ${ie.iei}`);
    }
    if (ie.data.length > 255) {
      throw new EncodingError(`IE 0x${hex2(ie.iei)} data is ${ie.data.length} octets (max 255)`);
    }
    parts.push(Buffer.from([ie.iei, ie.data.length]), Buffer.from(ie.data));
  }
  const body = Buffer.concat(parts);
  if (body.length + 1 > MAX_UDH_LENGTH) {
    throw new EncodingError(`UDH of ${body.length + 1} octets exceeds ${MAX_UDH_LENGTH}`);
  }
  return Buffer.concat([Buffer.from([body.length]), body]);
}

function checkRange(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new EncodingError(`${what} must be ${min}-${max}, got ${value}`);
  }
}

/**
 * The concatenation IE (docs/protocol.md#user-data-header-and-concatenation): 8-bit reference → IE 0x00 `ref total seq`, 16-bit →
 * IE 0x08 `refHi refLo total seq`. Throws EncodingError unless 1 ≤ seq ≤ total ≤ 255 and the
 * reference fits its width.
 */
export function concatIe(
  ref: number,
  total: number,
  seq: number,
  refBits: 8 | 16 = 8,
): InformationElement {
  checkRange('concatenation reference', ref, 0, refBits === 8 ? 0xff : 0xffff);
  checkRange('concatenation total', total, 1, 255);
  checkRange('concatenation sequence number', seq, 1, total);
  return refBits === 8
    ? { iei: Iei.Concat8, data: Buffer.from([ref, total, seq]) }
    : { iei: Iei.Concat16, data: Buffer.from([ref >> 8, ref & 0xff, total, seq]) };
}

/**
 * The application port IE (GSM 03.40): 8-bit → IE 0x04 `dst src`, 16-bit → IE 0x05
 * `dstHi dstLo srcHi srcLo`. Throws EncodingError when a port does not fit its width.
 */
export function portIe(destination: number, source: number, bits: 8 | 16 = 16): InformationElement {
  const max = bits === 8 ? 0xff : 0xffff;
  checkRange('destination port', destination, 0, max);
  checkRange('source port', source, 0, max);
  return bits === 8
    ? { iei: Iei.Ports8, data: Buffer.from([destination, source]) }
    : {
        iei: Iei.Ports16,
        data: Buffer.from([destination >> 8, destination & 0xff, source >> 8, source & 0xff]),
      };
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
