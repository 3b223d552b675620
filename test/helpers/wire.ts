/**
 * Readable wire notation → bytes, independent of the encoder and of src/protocol/checksum.ts, so
 * codec tests never compare the code under test with itself.
 *
 * Tokens: `<STX>` 0x02, `<ETX>` 0x03, `<TAB>` 0x09, `<NUL>` 0x00, `<xHH>` any byte, `<CS>` the
 * checksum (two uppercase hex digits) of the bytes from the most recent STX up to this point,
 * `<cs>` the same in lowercase. Every other character is one latin1 byte.
 */
const TOKENS: Readonly<Record<string, number>> = { STX: 0x02, ETX: 0x03, TAB: 0x09, NUL: 0x00 };

export function wire(notation: string): Buffer {
  const out: number[] = [];
  const re = /<(STX|ETX|TAB|NUL|CS|cs|x[0-9A-Fa-f]{2})>/y;
  let i = 0;
  while (i < notation.length) {
    re.lastIndex = i;
    const m = re.exec(notation);
    if (m) {
      const t = m[1]!;
      if (t === 'CS' || t === 'cs') {
        const start = out.lastIndexOf(0x02);
        if (start < 0) throw new Error('<CS> without a preceding <STX>');
        let sum = 0;
        for (const b of out.slice(start)) sum = (sum + b) % 256;
        const hex = sum.toString(16).padStart(2, '0');
        for (const ch of t === 'CS' ? hex.toUpperCase() : hex) out.push(ch.charCodeAt(0));
      } else if (t.startsWith('x')) {
        out.push(parseInt(t.slice(1), 16));
      } else {
        out.push(TOKENS[t]!);
      }
      i = re.lastIndex;
    } else {
      const c = notation.charCodeAt(i);
      if (c > 0xff) throw new Error(`character ${notation[i]!} is not a latin1 byte`);
      out.push(c);
      i++;
    }
  }
  return Buffer.from(out);
}

/** `wire()` with `<CS>` inserted before every `<ETX>`. */
export function withChecksum(notation: string): Buffer {
  return wire(notation.replaceAll('<ETX>', '<CS><ETX>'));
}

/** Every way to cut `buf` into two chunks: offsets 0..length (either part may be empty). */
export function* allSplits(buf: Uint8Array): Generator<[Buffer, Buffer, number]> {
  const b = Buffer.from(buf);
  for (let at = 0; at <= b.length; at++) yield [b.subarray(0, at), b.subarray(at), at];
}

/** The bytes of `buf` as one-byte chunks. */
export function bytewise(buf: Uint8Array): Buffer[] {
  const b = Buffer.from(buf);
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i++) out.push(b.subarray(i, i + 1));
  return out;
}
