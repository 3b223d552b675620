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
