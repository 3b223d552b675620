/**
 * The in-memory form of one CIMD2 packet (docs/protocol.md#framing).
 *
 * Values are kept exactly as on the wire, as "byte strings": each byte is one UTF-16 code unit
 * of the same value (U+0000–U+00FF, i.e. latin1). Decoding a value's meaning (user data text,
 * times, integers) is the job of `values.ts` and `charset/`.
 */
export interface Parameter {
  /** Parameter code, 0–999 (written as three digits on the wire). */
  readonly code: number;
  /** Raw value as a byte string (latin1). */
  readonly value: string;
}

export interface Frame {
  /** Operation code 0–99. Responses are request + 50; 98 general error; 99 NACK. */
  readonly op: number;
  /** Packet number 0–255: client requests odd, server requests even; responses echo it. */
  readonly pn: number;
  /** Parameters in wire order. Only 021 may legally repeat. */
  readonly params: readonly Parameter[];
}

/** First value of a parameter, or undefined. */
export function getParam(frame: Frame, code: number): string | undefined {
  for (const p of frame.params) if (p.code === code) return p.value;
  return undefined;
}

/** Every value of a parameter, in wire order. */
export function getAllParams(frame: Frame, code: number): string[] {
  const out: string[] = [];
  for (const p of frame.params) if (p.code === code) out.push(p.value);
  return out;
}

/** Builds a frame from an op, packet number and [code, value] pairs (undefined values skipped). */
export function frame(
  op: number,
  pn: number,
  params: readonly (readonly [number, string | number | undefined])[] = [],
): Frame {
  const out: Parameter[] = [];
  for (const [code, value] of params) {
    if (value !== undefined) out.push({ code, value: String(value) });
  }
  return { op, pn, params: out };
}

/** Three-digit form of a parameter code, as on the wire and in transcripts ("021"). */
export function paramKey(code: number): string {
  return code.toString().padStart(3, '0');
}

/**
 * Frames sent as bytes their caller gave (cimd2SendRAW's hex payload) rather than encoded from
 * them: their bytes may say something else than the frame (a server adds such frames; the
 * transcript then records frame and bytes as they are).
 */
export const unencodedFrames = new WeakSet<Frame>();
