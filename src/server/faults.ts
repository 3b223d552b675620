/**
 * Wire-level faults of one answer or one server request: what a `fault` step (or a deliver's /
 * status report's `fault:`) does to the bytes the server would otherwise send. Pure: from the
 * encoded frame to a plan (the bytes, in which pieces, at which offsets in time, and what happens
 * to the connection afterwards); the FaultWire (fault-wire.ts) carries plans out on a session.
 *
 * | kind                  | effect on the wire                                                   |
 * |-----------------------|----------------------------------------------------------------------|
 * | bad-checksum          | the frame with a wrong checksum (the right one + 1, mod 256)         |
 * | wrong-packet-number   | the frame with pn + `offset` (mod 256; default +2)                   |
 * | wrong-operation       | the frame with op `op` (default 98 carrying 900:1 instead of params) |
 * | duplicate             | the frame `count` times (default 2)                                  |
 * | truncate              | the first `bytes` bytes (default half), then the connection closes   |
 * | garbage               | `bytes` seeded random bytes instead of the frame; `thenClose`         |
 * | split                 | the frame in pieces of `size` bytes, `gapMs` apart (1 byte, 5 ms)    |
 * | trickle               | the frame at `bytesPerSecond`                                        |
 * | reset                 | no answer: TCP RST (no FIN)                                          |
 * | half-close            | no answer: the server ends its side (FIN) and keeps reading          |
 */
import { checksum, formatChecksum } from '../protocol/checksum.js';
import type { Frame } from '../protocol/frame.js';
import { Op } from '../protocol/operations.js';
import { Param } from '../protocol/parameters.js';
import { errorText } from '../protocol/status-codes.js';

/** Every fault kind of a `fault` step. */
export const FAULT_KINDS = [
  'bad-checksum',
  'wrong-packet-number',
  'wrong-operation',
  'duplicate',
  'truncate',
  'garbage',
  'split',
  'trickle',
  'reset',
  'half-close',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

/** The fault kinds a server-initiated deliver or status report may carry. */
export type OutboundFaultKind = 'bad-checksum' | 'split' | 'trickle';

/** One fault, defaults applied (what the server runs). */
export type Fault =
  | { readonly kind: 'bad-checksum' }
  | { readonly kind: 'wrong-packet-number'; readonly offset: number }
  | { readonly kind: 'wrong-operation'; readonly op: number }
  | { readonly kind: 'duplicate'; readonly count: number }
  /** `bytes` absent: half of the frame (rounded down). */
  | { readonly kind: 'truncate'; readonly bytes?: number }
  /** `hex`: the bytes, drawn from the scenario's seeded generator when the rule answers. */
  | {
      readonly kind: 'garbage';
      readonly bytes: number;
      readonly thenClose: boolean;
      readonly hex?: string;
    }
  | { readonly kind: 'split'; readonly size: number; readonly gapMs: number }
  | { readonly kind: 'trickle'; readonly bytesPerSecond: number }
  | { readonly kind: 'reset' }
  | { readonly kind: 'half-close' };

/** A fault a server request (deliver, status report) may carry. */
export type OutboundFault = Extract<Fault, { kind: OutboundFaultKind }>;

/** What happens to the connection once a plan's bytes are out. */
export type FaultEnding = 'close' | 'reset' | 'half-close';

/** One write of a plan: `bytes` at `atMs` after the plan starts. */
export interface FaultPiece {
  readonly atMs: number;
  readonly bytes: Buffer;
}

/** What goes on the wire for one faulted frame. */
export interface FaultPlan {
  /** The frame as recorded (op/pn as sent; for garbage and truncate, the frame they replace). */
  readonly frame: Frame;
  /** Every byte written, in order (the `raw` of the record). */
  readonly raw: Buffer;
  readonly pieces: readonly FaultPiece[];
  readonly ending?: FaultEnding;
}

/** `raw` with its checksum made wrong (the right one + 1); a frame without one gets a wrong one. */
export function badChecksum(raw: Buffer): Buffer {
  const n = raw.length;
  const hasChecksum = n >= 4 && raw[n - 4] === 0x09 && raw[n - 2] !== 0x09;
  const end = hasChecksum ? n - 3 : n - 1;
  const wrong = formatChecksum((checksum(raw, 0, end) + 1) & 0xff);
  const out = Buffer.allocUnsafe(end + 3);
  raw.copy(out, 0, 0, end);
  out.write(wrong, end, 'latin1');
  out[end + 2] = 0x03;
  return out;
}

/** The frame a fault turns `frame` into before encoding (pn and op faults). */
export function distortFrame(frame: Frame, fault: Fault): Frame {
  switch (fault.kind) {
    case 'wrong-packet-number':
      return { ...frame, pn: (((frame.pn + fault.offset) % 256) + 256) % 256 };
    case 'wrong-operation':
      return fault.op === Op.GeneralError
        ? {
            op: Op.GeneralError,
            pn: frame.pn,
            params: [
              { code: Param.ErrorCode, value: '1' },
              { code: Param.ErrorText, value: errorText(1) },
            ],
          }
        : { ...frame, op: fault.op };
    case 'bad-checksum':
    case 'duplicate':
    case 'truncate':
    case 'garbage':
    case 'split':
    case 'trickle':
    case 'reset':
    case 'half-close':
      return frame;
  }
}

const whole = (raw: Buffer): FaultPiece[] => [{ atMs: 0, bytes: raw }];

/** Pieces of `size` bytes, `gapMs` apart. */
export function splitPieces(raw: Buffer, size: number, gapMs: number): FaultPiece[] {
  const pieces: FaultPiece[] = [];
  const step = Math.max(1, Math.floor(size));
  for (let at = 0, i = 0; at < raw.length; at += step, i++)
    pieces.push({ atMs: i * gapMs, bytes: raw.subarray(at, Math.min(raw.length, at + step)) });
  return pieces;
}

/**
 * `raw` at `bytesPerSecond`: byte i leaves `ceil(i × 1000 / bytesPerSecond)` ms after the first
 * (bytes due in the same millisecond leave together).
 */
export function tricklePieces(raw: Buffer, bytesPerSecond: number): FaultPiece[] {
  const pieces: FaultPiece[] = [];
  let start = 0;
  let at = 0;
  for (let i = 1; i <= raw.length; i++) {
    const due = i < raw.length ? Math.ceil((i * 1000) / bytesPerSecond) : Infinity;
    if (due !== at) {
      pieces.push({ atMs: at, bytes: raw.subarray(start, i) });
      start = i;
      at = due;
    }
  }
  return pieces;
}

/**
 * The plan of one faulted frame. `encode` encodes a frame as the session does (its checksum
 * option); `copies` of duplicate are separate plans (see {@link planFault}).
 */
function planOne(frame: Frame, fault: Fault, encode: (f: Frame) => Buffer): FaultPlan {
  const sent = distortFrame(frame, fault);
  const raw = encode(sent);
  switch (fault.kind) {
    case 'bad-checksum': {
      const bad = badChecksum(raw);
      return { frame: sent, raw: bad, pieces: whole(bad) };
    }
    case 'truncate': {
      const n = Math.min(raw.length, fault.bytes ?? Math.floor(raw.length / 2));
      const cut = raw.subarray(0, n);
      return { frame: sent, raw: cut, pieces: n > 0 ? whole(cut) : [], ending: 'close' };
    }
    case 'garbage': {
      const bytes = Buffer.from(fault.hex ?? '', 'hex');
      return {
        frame: sent,
        raw: bytes,
        pieces: whole(bytes),
        ...(fault.thenClose ? { ending: 'close' as const } : {}),
      };
    }
    case 'split':
      return { frame: sent, raw, pieces: splitPieces(raw, fault.size, fault.gapMs) };
    case 'trickle':
      return { frame: sent, raw, pieces: tricklePieces(raw, fault.bytesPerSecond) };
    case 'wrong-packet-number':
    case 'wrong-operation':
    case 'duplicate':
    case 'reset':
    case 'half-close':
      return { frame: sent, raw, pieces: whole(raw) };
  }
}

/**
 * The plans of a faulted answer: `frames` are the answer the rule would give (usually one);
 * the fault applies to each. A duplicate gives `count` plans per frame; reset and half-close
 * give one plan without bytes.
 */
export function planFault(
  frames: readonly Frame[],
  fault: Fault,
  request: { readonly pn: number; readonly op: number },
  encode: (f: Frame) => Buffer,
): FaultPlan[] {
  if (fault.kind === 'reset' || fault.kind === 'half-close') {
    const frame = frames[0] ?? { op: request.op + 50, pn: request.pn, params: [] };
    return [{ frame, raw: Buffer.alloc(0), pieces: [], ending: fault.kind }];
  }
  const plans: FaultPlan[] = [];
  const copies = fault.kind === 'duplicate' ? fault.count : 1;
  for (const frame of frames) {
    const plan = planOne(frame, fault, encode);
    for (let i = 0; i < copies; i++) plans.push(plan);
  }
  // A garbage fault sends its bytes even when the rule's answer has no frame.
  if (frames.length === 0 && fault.kind === 'garbage') {
    plans.push(planOne({ op: request.op + 50, pn: request.pn, params: [] }, fault, encode));
  }
  return plans;
}
