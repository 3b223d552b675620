/**
 * Framing bytes and packet-number rules of CIMD2 (docs/protocol.md#framing, #packet-numbers).
 */

/** Start of a packet, 0x02 (docs/protocol.md#framing). */
export const STX = 0x02;
/** End of a packet, 0x03 (docs/protocol.md#framing). */
export const ETX = 0x03;
/** Terminates the header and every parameter, 0x09 (docs/protocol.md#framing). */
export const TAB = 0x09;
/** Separates op from packet number and parameter code from value, 0x3A (docs/protocol.md#framing). */
export const COLON = 0x3a;
/** NUL, 0x00: reserved, never allowed inside a value (docs/protocol.md#framing). */
export const NUL = 0x00;

/**
 * Default largest packet the decoder accepts, counted from STX to ETX inclusive. The spec sets
 * no limit; jCIMD caps frames at 4096 bytes, which is far above the sum of parameter maxima of a
 * normal submit (docs/protocol.md#bytes-outside-frames-and-frame-size).
 */
export const DEFAULT_MAX_FRAME_LENGTH = 4096;

/** Smallest possible packet: `STX OO:NNN TAB ETX` (docs/protocol.md#framing). */
export const MIN_FRAME_LENGTH = 9;

/** Highest packet number (three digits, 000–255; docs/protocol.md#framing, #packet-numbers). */
export const MAX_PACKET_NUMBER = 255;

/** Packet number of the login request, always 001 (docs/protocol.md#packet-numbers). */
export const LOGIN_PACKET_NUMBER = 1;

/** True for numbers the client uses for its requests: odd 1–255 (docs/protocol.md#packet-numbers). */
export function isClientPn(pn: number): boolean {
  return Number.isInteger(pn) && pn >= 1 && pn <= MAX_PACKET_NUMBER && pn % 2 === 1;
}

/** True for numbers the server uses for its own requests (20, 23, 40): even 0–254 (docs/protocol.md#packet-numbers). */
export function isServerPn(pn: number): boolean {
  return Number.isInteger(pn) && pn >= 0 && pn <= MAX_PACKET_NUMBER && pn % 2 === 0;
}

/**
 * The client's next packet number: +2, wrapping 255 → 001 (docs/protocol.md#packet-numbers). Any input is forced
 * onto the odd sequence, so the result is always a valid client number.
 */
export function nextClientPn(pn: number): number {
  const next = (Math.trunc(pn) + 2) & 0xff;
  return next % 2 === 1 ? next : next + 1 > MAX_PACKET_NUMBER ? 1 : next + 1;
}

/**
 * The server's next packet number: +2, wrapping 254 → 000 (docs/protocol.md#packet-numbers). Any input is forced
 * onto the even sequence, so the result is always a valid server number.
 */
export function nextServerPn(pn: number): number {
  const next = (Math.trunc(pn) + 2) & 0xff;
  return next % 2 === 0 ? next : next - 1;
}
