/**
 * Bytes → frames (docs/protocol.md#framing). A push-based, synchronous decoder that never throws on input:
 * every problem becomes an error result and decoding continues with the next STX.
 */
import {
  ChecksumError,
  ConfigError,
  FrameSyntaxError,
  FrameTooLongError,
  MissingEtxError,
  ParameterFormatError,
  type FrameError,
} from '../errors.js';
import { checksum, formatChecksum } from './checksum.js';
import {
  COLON,
  DEFAULT_MAX_FRAME_LENGTH,
  ETX,
  MIN_FRAME_LENGTH,
  NUL,
  STX,
  TAB,
} from './constants.js';
import type { Frame, Parameter } from './frame.js';
import { describeParam } from './parameters.js';

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /**
   * Largest accepted packet, counted from STX to ETX inclusive. Default
   * {@link DEFAULT_MAX_FRAME_LENGTH} (4096); must be at least 9, the minimum packet (docs/protocol.md#framing).
   */
  readonly maxFrameLength?: number;
}

/**
 * One decoded packet or one decoding failure. `raw` is a private copy of the packet bytes (from
 * STX to ETX, or the partial bytes for MissingEtx/FrameTooLong). On failure `op` and `pn` are
 * present when the header (`OO:NNN`) could be read, so a server can echo the packet number in
 * its 98/99 answer (docs/protocol.md#parameters-of-each-operation, #where-implementations-disagree).
 */
export type DecodeResult =
  | {
      readonly ok: true;
      readonly frame: Frame;
      readonly raw: Buffer;
      /** 'valid' when a checksum trailer was present and matched; 'absent' when there was none. */
      readonly checksum: 'valid' | 'absent';
    }
  | {
      readonly ok: false;
      readonly error: FrameError;
      readonly raw: Buffer;
      readonly op?: number;
      readonly pn?: number;
    };

const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;

function hexValue(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

function digits(buf: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 10 + (buf[at + i] ?? 0) - 0x30;
  return v;
}

/** Printable preview of some bytes for error messages. */
function show(buf: Buffer, start: number, end: number): string {
  const s = buf.toString('latin1', start, Math.min(end, start + 24));
  return JSON.stringify(end - start > 24 ? s + '…' : s);
}

interface Header {
  op?: number;
  pn?: number;
  /** Why the header is not valid; undefined when it is. */
  problem?: string;
}

/**
 * Reads `STX OO:NNN TAB` from `buf`, stopping at `end` (exclusive). Reports op and pn as far as
 * they can be read, even when a later part of the header is broken.
 */
function readHeader(buf: Buffer, end: number): Header {
  if (!isDigit(buf[1]) || !isDigit(buf[2]) || end < 3) {
    return { problem: `operation code must be two digits, got ${show(buf, 1, Math.min(end, 3))}` };
  }
  const op = digits(buf, 1, 2);
  if (end < 4 || buf[3] !== COLON) {
    return {
      op,
      problem: `expected ':' after the operation code, got ${show(buf, 3, Math.min(end, 4))}`,
    };
  }
  if (end < 7 || !isDigit(buf[4]) || !isDigit(buf[5]) || !isDigit(buf[6])) {
    return {
      op,
      problem: `packet number must be three digits, got ${show(buf, 4, Math.min(end, 7))}`,
    };
  }
  const pn = digits(buf, 4, 3);
  if (pn > 255) return { op, problem: `packet number ${pn} is above 255` };
  if (end < 8 || buf[7] !== TAB) {
    return {
      op,
      pn,
      problem: `expected TAB after the header, got ${show(buf, 7, Math.min(end, 8))}`,
    };
  }
  return { op, pn };
}

type Failure = Extract<DecodeResult, { ok: false }>;

function failure(error: FrameError, raw: Buffer, header: Header): Failure {
  if (header.op === undefined) return { ok: false, error, raw };
  if (header.pn === undefined) return { ok: false, error, raw, op: header.op };
  return { ok: false, error, raw, op: header.op, pn: header.pn };
}

/**
 * Parses one complete packet `raw` (STX first, ETX last), as {@link FrameDecoder.push} does each
 * packet it finds: the same bytes always give the same result (the memory transcript keeps a
 * frame's bytes and decodes them again when it is read).
 */
export function parsePacket(raw: Buffer): DecodeResult {
  const etx = raw.length - 1;
  const header = readHeader(raw, etx);
  if (header.problem !== undefined)
    return failure(new FrameSyntaxError(header.problem), raw, header);

  let lastTab = etx - 1;
  while (raw[lastTab] !== TAB) lastTab--; // stops at 7, the header TAB
  const trailerLength = etx - lastTab - 1;
  let mode: 'valid' | 'absent' = 'absent';
  if (trailerLength !== 0) {
    const hi = hexValue(raw[lastTab + 1]);
    const lo = hexValue(raw[lastTab + 2]);
    if (trailerLength !== 2 || hi < 0 || lo < 0) {
      const looksLikeParam =
        trailerLength >= 4 &&
        isDigit(raw[lastTab + 1]) &&
        isDigit(raw[lastTab + 2]) &&
        isDigit(raw[lastTab + 3]) &&
        raw[lastTab + 4] === COLON;
      const message = looksLikeParam
        ? `${describeParam(digits(raw, lastTab + 1, 3))} is not terminated by TAB`
        : `expected nothing or two hex digits (checksum) after the last TAB, got ${show(raw, lastTab + 1, etx)}`;
      return failure(new FrameSyntaxError(message), raw, header);
    }
    const expected = checksum(raw, 0, lastTab + 1);
    if (expected !== hi * 16 + lo) {
      return failure(
        new ChecksumError(formatChecksum(expected), raw.toString('latin1', lastTab + 1, etx)),
        raw,
        header,
      );
    }
    mode = 'valid';
  }

  const params: Parameter[] = [];
  let at = 8;
  while (at <= lastTab) {
    let tab = at;
    let nul = -1;
    for (let b = raw[tab]; b !== TAB; b = raw[++tab]) if (b === NUL && nul < 0) nul = tab;
    if (tab - at < 4 || !isDigit(raw[at]) || !isDigit(raw[at + 1]) || !isDigit(raw[at + 2])) {
      return failure(
        new FrameSyntaxError(
          `parameter code must be three digits followed by ':', got ${show(raw, at, tab)}`,
        ),
        raw,
        header,
      );
    }
    const code = digits(raw, at, 3);
    if (raw[at + 3] !== COLON) {
      return failure(
        new FrameSyntaxError(
          `expected ':' after parameter code ${show(raw, at, at + 3)}, got ${show(raw, at + 3, at + 4)}`,
        ),
        raw,
        header,
      );
    }
    if (nul >= at + 4) {
      return failure(
        new ParameterFormatError(
          `${describeParam(code)}: value contains NUL at index ${nul - at - 4}`,
          code,
        ),
        raw,
        header,
      );
    }
    params.push({ code, value: raw.toString('latin1', at + 4, tab) });
    at = tab + 1;
  }
  const op = header.op ?? 0;
  const pn = header.pn ?? 0;
  return { ok: true, frame: { op, pn, params }, raw, checksum: mode };
}

/** Copy of `head[0..headLength)` followed by `tail[start..end)`. */
function joined(
  head: Buffer,
  headLength: number,
  tail: Uint8Array,
  start: number,
  end: number,
): Buffer {
  const out = Buffer.allocUnsafe(headLength + end - start);
  head.copy(out, 0, 0, headLength);
  out.set(tail.subarray(start, end), headLength);
  return out;
}

/**
 * Incremental CIMD2 frame decoder (docs/protocol.md#framing). Feed it chunks in arrival order; it returns
 * every packet completed by each chunk, in order.
 *
 * Guarantees:
 * - `push` never throws, whatever the bytes.
 * - Bytes outside packets (before an STX, after an ETX; banners, garbage) are dropped without being
 *   buffered and counted in {@link discardedBytes} (docs/protocol.md#bytes-outside-frames-and-frame-size).
 * - A second STX before the ETX ends the current packet with a `MissingEtxError` result carrying
 *   the bytes so far; the new STX starts the next packet (docs/protocol.md#bytes-outside-frames-and-frame-size, like Kannel).
 * - A packet that reaches `maxFrameLength` bytes without its ETX gives one `FrameTooLongError`
 *   result; the rest, up to the next STX, is discarded. {@link bufferedBytes} is always below
 *   `maxFrameLength` between calls.
 * - Header and parameter syntax problems (docs/protocol.md#framing grammar) give `FrameSyntaxError`; a trailer after
 *   the last TAB must be empty or two hex digits of either case (docs/protocol.md#checksum); a checksum mismatch gives
 *   `ChecksumError` (to be answered with a NACK). Checks run header → trailer → checksum →
 *   parameters, so a corrupted packet with a readable header is reported as a checksum error.
 * - A NUL byte inside a value gives `ParameterFormatError` (CIMD2 error 8) naming the parameter:
 *   the grammar forbids NUL in values (docs/protocol.md#framing) and, unlike broken syntax, the parameter is known.
 * - Failed results carry `op`/`pn` whenever the header was readable.
 * - Parameter codes, types and lengths are NOT checked here; see `validateParameters`.
 */
export class FrameDecoder {
  private readonly maxFrameLength: number;
  private acc: Buffer = Buffer.alloc(0);
  private accLength = 0;
  private inFrame = false;
  private discarded = 0;

  /** @throws ConfigError when `maxFrameLength` is not an integer ≥ 9. */
  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH;
    if (!Number.isInteger(max) || max < MIN_FRAME_LENGTH) {
      throw new ConfigError(
        `maxFrameLength must be an integer ≥ ${MIN_FRAME_LENGTH}, got ${String(max)}`,
      );
    }
    this.maxFrameLength = max;
  }

  /** Bytes of an unfinished packet held until more data arrives (always < maxFrameLength). */
  get bufferedBytes(): number {
    return this.accLength;
  }

  /** Total bytes dropped outside packets since construction (including those dropped by reset). */
  get discardedBytes(): number {
    return this.discarded;
  }

  /** Drops any unfinished packet (its bytes count as discarded); the next byte starts afresh. */
  reset(): void {
    this.discarded += this.accLength;
    this.accLength = 0;
    this.inFrame = false;
  }

  /** Decodes `chunk` and returns the results it completed, in wire order. Never throws. */
  push(chunk: Uint8Array): DecodeResult[] {
    const results: DecodeResult[] = [];
    const n = chunk.length;
    const max = this.maxFrameLength;
    // Start in `chunk` of the current packet's bytes not yet copied to `acc`; -1 when idle.
    let segStart = this.inFrame ? 0 : -1;
    let i = 0;
    while (i < n) {
      if (segStart < 0) {
        const stx = chunk.indexOf(STX, i);
        if (stx === -1) {
          this.discarded += n - i;
          return results;
        }
        this.discarded += stx - i;
        segStart = stx;
        this.inFrame = true;
        i = stx + 1;
        continue;
      }
      const have = this.accLength + (i - segStart);
      const limit = Math.min(n, i + (max - have));
      let k = i;
      while (k < limit) {
        const b = chunk[k];
        if (b === ETX || b === STX) break;
        k++;
      }
      if (k < limit) {
        if (chunk[k] === ETX) {
          results.push(parsePacket(joined(this.acc, this.accLength, chunk, segStart, k + 1)));
          this.accLength = 0;
          this.inFrame = false;
          segStart = -1;
        } else {
          results.push(
            this.incomplete(joined(this.acc, this.accLength, chunk, segStart, k), 'stx'),
          );
          this.accLength = 0;
          segStart = k;
        }
        i = k + 1;
      } else if (have + (k - i) >= max) {
        results.push(this.incomplete(joined(this.acc, this.accLength, chunk, segStart, k), 'long'));
        this.accLength = 0;
        this.inFrame = false;
        segStart = -1;
        i = k;
      } else {
        i = n;
      }
    }
    if (segStart >= 0) this.keep(chunk, segStart, n);
    return results;
  }

  private keep(chunk: Uint8Array, start: number, end: number): void {
    const needed = this.accLength + end - start;
    if (needed > this.acc.length) {
      const grown = Buffer.allocUnsafe(
        Math.min(this.maxFrameLength, Math.max(needed, this.acc.length * 2, 256)),
      );
      this.acc.copy(grown, 0, 0, this.accLength);
      this.acc = grown;
    }
    this.acc.set(chunk.subarray(start, end), this.accLength);
    this.accLength = needed;
  }

  private incomplete(raw: Buffer, why: 'stx' | 'long'): Failure {
    const header = readHeader(raw, raw.length);
    const error =
      why === 'long'
        ? new FrameTooLongError(this.maxFrameLength)
        : new MissingEtxError(
            `STX at byte ${raw.length} of a packet before its ETX (packet dropped)`,
          );
    return failure(error, raw, header);
  }
}
