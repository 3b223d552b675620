/**
 * The compact form the in-memory transcript keeps records in while nobody reads them: a frame
 * record as its raw bytes plus the few values its line is made of (seq, time, session,
 * direction, checksum state), any other record as its JSONL line. A frame's line is written
 * only when the transcript is read, by the same writer the recorder uses (lines.ts), from a
 * fresh decode of the same bytes (a pure function of them), so the JSONL is the same bytes as
 * when written at once; the per-frame path then costs a copy of the frame instead of ~0.5 KB
 * of JSON.
 *
 * An entry: tag (1 byte), body length (4 bytes LE), seq (8 bytes, float64 LE), then the body.
 * - {@link TAG_LINE}: the line's UTF-8 bytes (no newline).
 * - {@link TAG_FRAME}: ts (float64 LE, ms since the epoch), direction (0 in, 1 out), checksum
 *   (0 valid, 1 absent, 2 invalid, 3 read from the bytes), session length (1 byte), session
 *   (UTF-8), the frame's bytes STX…ETX.
 * - {@link TAG_ASSEMBLED}: ts, then the members of the `submit-completed` event: strings as
 *   UTF-16LE with a 4-byte length (absent: 0xFFFFFFFF; UTF-16 keeps any string exactly, lone
 *   surrogates too), numbers as float64, lists with a 4-byte count.
 */
import { checksumTrailer } from '../protocol/checksum.js';
import { parsePacket } from '../protocol/decoder.js';
import { FrameDecode } from '../protocol/fields.js';
import type { Frame } from '../protocol/frame.js';
import type { SubmitCompletedEvent } from '../server/events.js';
import type { TextEncoding } from '../server/ports.js';
import { JsonBytes } from './json-bytes.js';
import { writeAssembled, writeFrame } from './lines.js';
import type { ChecksumState } from './record.js';

/** Bytes of an entry's head: tag, body length, seq. */
export const ENTRY_HEAD = 13;
export const TAG_LINE = 1;
export const TAG_FRAME = 2;
export const TAG_ASSEMBLED = 3;

/** Checksum codes of a frame entry. */
const CHECKSUMS: readonly ChecksumState[] = ['valid', 'absent', 'invalid'];
/** Checksum code: read the state from the frame's bytes when the line is written. */
export const CHECKSUM_FROM_BYTES = 3;

/** The checksum code of `state`. */
export function checksumCode(state: ChecksumState): number {
  return state === 'valid' ? 0 : state === 'absent' ? 1 : 2;
}

/** Bytes of a frame entry's body before the session: ts, direction, checksum, session length. */
const FRAME_FIXED = 8 + 1 + 1 + 1;

/** Bytes a frame entry takes (head included), or -1 when the session id is too long to pack. */
export function frameEntryBytes(sessionBytes: number, rawBytes: number): number {
  return sessionBytes > 255 ? -1 : ENTRY_HEAD + FRAME_FIXED + sessionBytes + rawBytes;
}

/** Writes an entry's head at `at`; returns where its body starts. */
export function writeEntryHead(
  buf: Buffer,
  at: number,
  tag: number,
  bodyBytes: number,
  seq: number,
): number {
  buf[at] = tag;
  buf.writeUInt32LE(bodyBytes, at + 1);
  buf.writeDoubleLE(seq, at + 5);
  return at + ENTRY_HEAD;
}

/** Writes a frame entry at `at` (room checked by the caller); returns where it ends. */
export function writeFrameEntry(
  buf: Buffer,
  at: number,
  seq: number,
  tsMs: number,
  session: Buffer,
  dir: number,
  checksum: number,
  raw: Buffer,
): number {
  const body = FRAME_FIXED + session.length + raw.length;
  let p = writeEntryHead(buf, at, TAG_FRAME, body, seq);
  buf.writeDoubleLE(tsMs, p);
  buf[p + 8] = dir;
  buf[p + 9] = checksum;
  buf[p + 10] = session.length;
  p += FRAME_FIXED;
  for (let i = 0; i < session.length; i++) buf[p + i] = session[i] ?? 0;
  p += session.length;
  raw.copy(buf, p);
  return p + raw.length;
}

const ABSENT = 0xffffffff;

function strBytes(s: string | undefined): number {
  return 4 + (s === undefined ? 0 : 2 * s.length);
}

function putStr(buf: Buffer, at: number, s: string | undefined): number {
  if (s === undefined) {
    buf.writeUInt32LE(ABSENT, at);
    return at + 4;
  }
  const length = s.length;
  let n: number;
  if (length > 64) n = buf.write(s, at + 4, 'utf16le');
  else {
    // Short strings (most of them) byte by byte: cheaper than a call into the native writer.
    let p = at + 4;
    for (let i = 0; i < length; i++) {
      const c = s.charCodeAt(i);
      buf[p++] = c & 0xff;
      buf[p++] = c >>> 8;
    }
    n = 2 * length;
  }
  buf.writeUInt32LE(n, at);
  return at + 4 + n;
}

/** Bytes an assembled entry takes at most (head included). */
export function assembledEntryBytes(e: SubmitCompletedEvent): number {
  let n = ENTRY_HEAD + 8 + 1;
  n += strBytes(e.clientId) + strBytes(e.user) + strBytes(e.destination);
  n += strBytes(e.originator) + strBytes(e.text) + strBytes(e.encoding);
  n += 4 + (e.bytes?.length ?? 0) + 8 + 8;
  n += 4 + 8 * e.packetNumbers.length + 4;
  for (const t of e.timestamps) n += strBytes(t);
  return n;
}

/** Writes an assembled entry at `at` (room from {@link assembledEntryBytes}); returns its end. */
export function writeAssembledEntry(
  buf: Buffer,
  at: number,
  seq: number,
  tsMs: number,
  e: SubmitCompletedEvent,
): number {
  let p = at + ENTRY_HEAD;
  buf.writeDoubleLE(tsMs, p);
  p += 8;
  p = putStr(buf, p, e.clientId);
  p = putStr(buf, p, e.user);
  p = putStr(buf, p, e.destination);
  p = putStr(buf, p, e.originator);
  p = putStr(buf, p, e.text);
  p = putStr(buf, p, e.encoding);
  const bytes = e.bytes;
  if (bytes === undefined) {
    buf.writeUInt32LE(ABSENT, p);
    p += 4;
  } else {
    buf.writeUInt32LE(bytes.length, p);
    bytes.copy(buf, p + 4);
    p += 4 + bytes.length;
  }
  buf.writeDoubleLE(e.parts, p);
  buf.writeDoubleLE(e.reference ?? NaN, p + 8);
  buf[p + 16] = e.reference === undefined ? 0 : 1;
  p += 17;
  buf.writeUInt32LE(e.packetNumbers.length, p);
  p += 4;
  for (const pn of e.packetNumbers) {
    buf.writeDoubleLE(pn, p);
    p += 8;
  }
  buf.writeUInt32LE(e.timestamps.length, p);
  p += 4;
  for (const t of e.timestamps) p = putStr(buf, p, t);
  writeEntryHead(buf, at, TAG_ASSEMBLED, p - at - ENTRY_HEAD, seq);
  return p;
}

/** Reads entries' members in order. */
class Reader {
  private readonly buf: Buffer;
  at: number;

  constructor(buf: Buffer, at: number) {
    this.buf = buf;
    this.at = at;
  }

  str(): string | undefined {
    const n = this.buf.readUInt32LE(this.at);
    this.at += 4;
    if (n === ABSENT) return undefined;
    const s = this.buf.toString('utf16le', this.at, this.at + n);
    this.at += n;
    return s;
  }

  num(): number {
    const v = this.buf.readDoubleLE(this.at);
    this.at += 8;
    return v;
  }

  u32(): number {
    const v = this.buf.readUInt32LE(this.at);
    this.at += 4;
    return v;
  }
}

/** Writes the JSONL line (no newline) of the assembled entry at `at` into `w`. */
function writeAssembledLine(w: JsonBytes, buf: Buffer, at: number): void {
  const seq = entrySeq(buf, at);
  const r = new Reader(buf, at + ENTRY_HEAD);
  const tsMs = r.num();
  const clientId = r.str() ?? '';
  const user = r.str();
  const destination = r.str() ?? '';
  const originator = r.str();
  const text = r.str();
  const encoding = (r.str() ?? '') as TextEncoding;
  const byteCount = r.u32();
  let bytes: Buffer | undefined;
  if (byteCount !== ABSENT) {
    bytes = Buffer.from(buf.subarray(r.at, r.at + byteCount));
    r.at += byteCount;
  }
  const parts = r.num();
  const reference = r.num();
  const hasReference = buf[r.at] === 1;
  r.at += 1;
  const packetNumbers: number[] = [];
  for (let i = r.u32(); i > 0; i--) packetNumbers.push(r.num());
  const timestamps: (string | undefined)[] = [];
  for (let i = r.u32(); i > 0; i--) timestamps.push(r.str());
  const e: SubmitCompletedEvent = {
    clientId,
    user,
    destination,
    originator,
    ...(text !== undefined ? { text } : {}),
    ...(bytes !== undefined ? { bytes } : {}),
    encoding,
    parts,
    ...(hasReference ? { reference } : {}),
    packetNumbers,
    timestamps,
  };
  writeAssembled(w, seq, isoTime(tsMs), e);
}

/** The seq of the entry at `at`. */
export function entrySeq(buf: Buffer, at: number): number {
  return buf.readDoubleLE(at + 5);
}

/** Where the entry at `at` ends. */
export function entryEnd(buf: Buffer, at: number): number {
  return at + ENTRY_HEAD + buf.readUInt32LE(at + 1);
}

let tsMsLast = NaN;
let tsTextLast = '';

function isoTime(ms: number): string {
  if (ms !== tsMsLast) {
    tsTextLast = new Date(ms).toISOString();
    tsMsLast = ms;
  }
  return tsTextLast;
}

/**
 * Stands in for a frame whose bytes do not parse. Never needed: the recorder packs only frames
 * decoded from their bytes or encoded into them; the line still carries the exact bytes.
 */
const UNPARSED: Frame = { op: 0, pn: 0, params: [] };

const writer = new JsonBytes(4096);

/** Writes the JSONL line (no newline) of the frame entry at `at` into `w`. */
function writeFrameLine(w: JsonBytes, buf: Buffer, at: number): void {
  const seq = entrySeq(buf, at);
  let p = at + ENTRY_HEAD;
  const end = entryEnd(buf, at);
  const tsMs = buf.readDoubleLE(p);
  const dir = buf[p + 8] === 0 ? 'in' : 'out';
  const code = buf[p + 9] ?? 0;
  const sessionBytes = buf[p + 10] ?? 0;
  p += FRAME_FIXED;
  const session = buf.toString('utf8', p, p + sessionBytes);
  // A copy: the ring's buffer is reused once evicted, a Frame's values must not change.
  const raw = Buffer.from(buf.subarray(p + sessionBytes, end));
  const result = parsePacket(raw);
  const frame = result.ok ? result.frame : UNPARSED;
  const checksum =
    code === CHECKSUM_FROM_BYTES ? checksumTrailer(raw) : (CHECKSUMS[code] ?? 'invalid');
  const fields = result.ok ? new FrameDecode(frame).fields : {};
  writeFrame(w, { seq, ts: isoTime(tsMs), session }, dir, frame, fields, checksum, raw);
}

/**
 * The JSONL (each line followed by "\n") of the entries in `buf[start, end)` with seq > `after`
 * (all by default): a fresh Buffer nobody else writes to.
 */
export function renderEntries(buf: Buffer, start: number, end: number, after = -Infinity): Buffer {
  const parts: Buffer[] = [];
  let bytes = 0;
  const w = writer;
  let at = start;
  while (at < end) {
    const next = entryEnd(buf, at);
    if (entrySeq(buf, at) > after) {
      if (buf[at] === TAG_LINE) {
        const line = buf.subarray(at + ENTRY_HEAD, next);
        parts.push(line, NEWLINE);
        bytes += line.length + 1;
      } else {
        w.begin();
        if (buf[at] === TAG_ASSEMBLED) writeAssembledLine(w, buf, at);
        else writeFrameLine(w, buf, at);
        const line = Buffer.from(w.bytes());
        parts.push(line, NEWLINE);
        bytes += line.length + 1;
      }
    }
    at = next;
  }
  return Buffer.concat(parts, bytes);
}

const NEWLINE = Buffer.from('\n');
