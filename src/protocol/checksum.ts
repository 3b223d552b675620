/**
 * The CIMD2 packet checksum (docs/protocol.md#checksum): the unsigned sum of every byte from the STX
 * inclusive up to and including the TAB before the checksum, modulo 256, written as two hex digits.
 */

/**
 * Sum of `bytes[start..end)` modulo 256 (docs/protocol.md#checksum). `start` defaults to
 * 0 and `end` to the array length; pass the STX index and the index just after the final TAB.
 */
export function checksum(bytes: Uint8Array, start = 0, end: number = bytes.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += bytes[i] ?? 0;
  return sum & 0xff;
}

const HEX = '0123456789ABCDEF';

/** Two uppercase hex digits, most significant nibble first (`%02X`, docs/protocol.md#checksum). */
export function formatChecksum(n: number): string {
  const v = n & 0xff;
  return HEX.charAt(v >> 4) + HEX.charAt(v & 0x0f);
}

/** What the trailer of an encoded frame says about its checksum. */
export type ChecksumTrailer = 'valid' | 'absent' | 'invalid';

function hexDigit(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

/**
 * Checksum state of the encoded bytes STX…ETX of one frame (docs/protocol.md#checksum): `absent` when ETX follows
 * the final TAB, `valid` when two hex digits (either case) there match {@link checksum},
 * `invalid` otherwise.
 */
export function checksumTrailer(raw: Uint8Array): ChecksumTrailer {
  const n = raw.length;
  if (n < 4 || raw[n - 1] !== 0x03 || raw[n - 2] === 0x09) return 'absent';
  const hi = hexDigit(raw[n - 3]);
  const lo = hexDigit(raw[n - 2]);
  if (raw[n - 4] !== 0x09 || hi < 0 || lo < 0) return 'invalid';
  return checksum(raw, 0, n - 3) === hi * 16 + lo ? 'valid' : 'invalid';
}
