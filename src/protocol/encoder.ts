/**
 * Frame → bytes (docs/protocol.md#framing): `STX OO:NNN TAB (PPP:value TAB)* [CC] ETX`.
 */
import { FrameSyntaxError, ReservedByteError } from '../errors.js';
import { checksum, formatChecksum } from './checksum.js';
import { COLON, ETX, STX, TAB } from './constants.js';
import type { Frame, Parameter } from './frame.js';
import { describeParam } from './parameters.js';

/** Options of {@link encodeFrame}. */
export interface EncodeOptions {
  /** Append the two-digit checksum before ETX (docs/protocol.md#checksum). Default true. */
  readonly checksum?: boolean;
  /** Write the checksum in lowercase hex, as Net::CIMD does (docs/protocol.md#checksum). Default false (uppercase). */
  readonly lowercaseChecksum?: boolean;
}

// NUL, STX, ETX, TAB, or anything that is not a single latin1 byte.
const FORBIDDEN = /[\x00\x02\x03\x09\u0100-\uffff]/;

const RESERVED_NAMES: Readonly<Record<number, string>> = { 0: 'NUL', 2: 'STX', 3: 'ETX', 9: 'TAB' };

function checkInt(what: string, n: number, max: number): void {
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new FrameSyntaxError(`cannot encode ${what} ${String(n)}: must be an integer 0–${max}`);
  }
}

function reservedError(code: number, value: string): ReservedByteError {
  const index = value.search(FORBIDDEN);
  const c = value.charCodeAt(index);
  const what =
    RESERVED_NAMES[c] ??
    `character U+${c.toString(16).toUpperCase().padStart(4, '0')} (not a byte)`;
  return new ReservedByteError(
    `cannot encode ${describeParam(code)}: value contains ${what} at index ${index}`,
  );
}

function writeDigits(buf: Buffer, at: number, n: number, width: number): void {
  for (let i = width - 1; i >= 0; i--) {
    buf[at + i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
}

/**
 * Encodes one frame into a single freshly allocated Buffer (docs/protocol.md#framing). Every parameter,
 * including the last, ends with TAB; the checksum (docs/protocol.md#checksum) is appended unless `checksum: false`.
 * Values are byte strings: each UTF-16 code unit becomes one byte.
 *
 * @throws FrameSyntaxError when op is not 0–99, pn not 0–255 or a parameter code not 0–999.
 * @throws ReservedByteError when a value contains NUL, STX, ETX, TAB or a character above U+00FF;
 *   the message names the parameter.
 */
export function encodeFrame(frame: Frame, options: EncodeOptions = {}): Buffer {
  checkInt('operation code', frame.op, 99);
  checkInt('packet number', frame.pn, 255);
  const withChecksum = options.checksum ?? true;
  let size = 1 + 2 + 1 + 3 + 1 + (withChecksum ? 2 : 0) + 1;
  for (const p of frame.params) {
    if (!Number.isInteger(p.code) || p.code < 0 || p.code > 999) {
      // The first problem in parameter order is the one reported (a reserved byte before it).
      for (const q of frame.params) {
        if (q === p) break;
        if (FORBIDDEN.test(q.value)) throw reservedError(q.code, q.value);
      }
      checkInt('parameter code', p.code, 999);
    }
    size += 3 + 1 + p.value.length + 1;
  }
  const buf = Buffer.allocUnsafe(size);
  buf[0] = STX;
  writeDigits(buf, 1, frame.op, 2);
  buf[3] = COLON;
  writeDigits(buf, 4, frame.pn, 3);
  buf[7] = TAB;
  let at = 8;
  // One pass per value: copy each UTF-16 unit as a byte, refuse the reserved ones, sum the bytes.
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += buf[i] ?? 0;
  for (const p of frame.params) {
    writeDigits(buf, at, p.code, 3);
    sum += (buf[at] ?? 0) + (buf[at + 1] ?? 0) + (buf[at + 2] ?? 0) + COLON + TAB;
    buf[at + 3] = COLON;
    at += 4;
    const value = p.value;
    const n = value.length;
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c > 0xff || c === 0x00 || c === STX || c === ETX || c === TAB)
        throw reservedError(p.code, value);
      buf[at++] = c;
      sum += c;
    }
    buf[at++] = TAB;
  }
  if (withChecksum) {
    const cs = formatChecksum(sum);
    buf.write(options.lowercaseChecksum === true ? cs.toLowerCase() : cs, at, 'latin1');
    at += 2;
  }
  buf[at] = ETX;
  return buf;
}

/**
 * Frames a parameter section given as bytes, as is (the component's cimd2SendRAW): `STX OO:NNN
 * TAB`, `body` untouched (it may break every rule of docs/protocol.md#framing on purpose), then the checksum (docs/protocol.md#checksum)
 * unless `checksum: false`, then ETX. Op and packet number are written with at least 2 and 3
 * digits and are not range-checked.
 */
export function encodeRawFrame(
  op: number,
  pn: number,
  body: Uint8Array,
  options: Pick<EncodeOptions, 'checksum'> = {},
): Buffer {
  const head = `\u0002${String(op).padStart(2, '0')}:${String(pn).padStart(3, '0')}\t`;
  const withChecksum = options.checksum ?? true;
  const buf = Buffer.allocUnsafe(head.length + body.length + (withChecksum ? 3 : 1));
  let at = buf.write(head, 0, 'latin1');
  buf.set(body, at);
  at += body.length;
  if (withChecksum) at += buf.write(formatChecksum(checksum(buf, 0, at)), at, 'latin1');
  buf[at] = ETX;
  return buf;
}

/**
 * Best-effort parameter list of a raw parameter section (`PPP:value TAB …`): the pieces that
 * look like parameters, in order; anything else is skipped. For events and the transcript of
 * frames sent with {@link encodeRawFrame}.
 */
export function looseParameters(body: Uint8Array): Parameter[] {
  const out: Parameter[] = [];
  for (const part of Buffer.from(body.buffer, body.byteOffset, body.length)
    .toString('latin1')
    .split('\t')) {
    const m = /^(\d{3}):(.*)$/s.exec(part);
    if (m?.[1] !== undefined && m[2] !== undefined) out.push({ code: Number(m[1]), value: m[2] });
  }
  return out;
}
