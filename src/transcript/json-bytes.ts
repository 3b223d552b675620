/**
 * A JSON writer straight into UTF-8 bytes: the recorder's per-kind writers (lines.ts) append
 * one record at a time and hand the sinks a view of its bytes, so a record costs no object, no
 * intermediate string and no string flattening. Escaping follows `JSON.stringify` exactly
 * (short escapes for \b \f \n \r \t, `\u00xx` for other control characters, `\udxxx` for lone
 * surrogates, everything else as UTF-8).
 */

const HEX = '0123456789abcdef';

/** A string that is printable ASCII without `"` and `\\` (written as is, one byte per unit). */
const NEEDS_ESCAPE = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;
/** From this length on, {@link JsonBytes.str} checks with one regex and copies natively. */
const NATIVE_FROM = 40;

/** The UTF-8 bytes of `text` (a literal the writers copy with {@link JsonBytes.lit}). */
export function literal(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

export class JsonBytes {
  private buf: Buffer;
  private pos = 0;
  private start = 0;

  /** The writer's own buffer (`buf` is it, or a sink's buffer after `target`). */
  private own: Buffer;

  constructor(initialBytes = 64 * 1024) {
    this.own = Buffer.allocUnsafe(initialBytes);
    this.buf = this.own;
  }

  /** Starts a line in the writer's own buffer (the previous line's bytes may be reused now). */
  begin(): void {
    this.buf = this.own;
    this.pos = 0;
    this.start = 0;
  }

  /** The bytes written since `begin()` (a view: valid until the next `begin()`). */
  bytes(): Buffer {
    return this.buf.subarray(this.start, this.pos);
  }

  /** The buffer the line is written to (the line is `[lineStart, lineEnd)`, valid until `begin()`). */
  get buffer(): Buffer {
    return this.buf;
  }

  get lineStart(): number {
    return this.start;
  }

  get lineEnd(): number {
    return this.pos;
  }

  /** The line so far as a string (tests, and sinks without a byte path). */
  text(): string {
    return this.buf.toString('utf8', this.start, this.pos);
  }

  /**
   * Writes the next line into `buf` from `at` on (a sink's own buffer: the line is then already
   * where the sink keeps it). Until the next `begin()`; a line that outgrows `buf` moves to a
   * buffer of the writer's own.
   */
  target(buf: Buffer, at: number): void {
    this.buf = buf;
    this.pos = at;
    this.start = at;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // Only the line moves (a target buffer's bytes before it are the sink's).
    const line = this.pos - this.start;
    const next = Buffer.allocUnsafe(Math.max(this.own.length, (line + n) * 2));
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.own = next;
    this.start = 0;
    this.pos = line;
  }

  /** Appends ASCII text that needs no escaping (keys, punctuation, digits, ISO times). */
  ascii(s: string): void {
    const n = s.length;
    this.room(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Appends bytes that are already JSON (pre-encoded constants). */
  raw(bytes: Uint8Array): void {
    this.lit(bytes);
  }

  /**
   * Appends bytes that are already JSON (a {@link literal}): a short one byte by byte, a longer
   * one with one native copy.
   */
  lit(bytes: Uint8Array): void {
    const n = bytes.length;
    this.room(n);
    const buf = this.buf;
    let p = this.pos;
    if (n > 24) {
      buf.set(bytes, p);
      this.pos = p + n;
      return;
    }
    for (let i = 0; i < n; i++) buf[p++] = bytes[i] ?? 0;
    this.pos = p;
  }

  /** Appends a number as `JSON.stringify` writes it. */
  num(n: number): void {
    if (n >= 0 && n <= 0x7fffffff && (n | 0) === n) {
      this.room(10);
      const buf = this.buf;
      let p = this.pos;
      if (n < 10) {
        buf[p] = 0x30 + n;
        this.pos = p + 1;
        return;
      }
      let digits = 1;
      for (let m = n; m >= 10; m = (m / 10) | 0) digits++;
      p += digits;
      this.pos = p;
      for (let m = n; digits > 0; digits--) {
        const q = (m / 10) | 0;
        buf[--p] = 0x30 + m - q * 10;
        m = q;
      }
    } else this.ascii(Number.isFinite(n) ? String(n) : 'null');
  }

  /** Writes the escape of UTF-16 unit `c` at `p`; returns the position after it. */
  private escapeAt(c: number, p: number): number {
    const buf = this.buf;
    buf[p++] = 0x5c;
    switch (c) {
      case 0x22:
      case 0x5c:
        buf[p++] = c;
        return p;
      case 0x08:
        buf[p++] = 0x62;
        return p;
      case 0x0c:
        buf[p++] = 0x66;
        return p;
      case 0x0a:
        buf[p++] = 0x6e;
        return p;
      case 0x0d:
        buf[p++] = 0x72;
        return p;
      case 0x09:
        buf[p++] = 0x74;
        return p;
      default:
        buf[p++] = 0x75;
        buf[p++] = HEX.charCodeAt((c >> 12) & 15);
        buf[p++] = HEX.charCodeAt((c >> 8) & 15);
        buf[p++] = HEX.charCodeAt((c >> 4) & 15);
        buf[p++] = HEX.charCodeAt(c & 15);
        return p;
    }
  }

  /** Appends `s` as a JSON string. */
  str(s: string): void {
    const n = s.length;
    // Worst case: 6 bytes per UTF-16 unit (\uXXXX), plus the quotes.
    this.room(n * 6 + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 0x22;
    let i = 0;
    // A long value that needs no escape: one regex test and one native copy.
    if (n >= NATIVE_FROM && !NEEDS_ESCAPE.test(s)) {
      p += buf.write(s, p, 'latin1');
      buf[p++] = 0x22;
      this.pos = p;
      return;
    }
    // The common case first: printable ASCII, one byte each.
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c) break;
      buf[p++] = c;
    }
    if (i < n) p = this.strRest(s, i, p);
    buf[p++] = 0x22;
    this.pos = p;
  }

  /** The rest of {@link str} from unit `i` on (escapes and UTF-8); returns the position. */
  private strRest(s: string, from: number, at: number): number {
    const buf = this.buf;
    const n = s.length;
    let p = at;
    for (let i = from; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        if (c < 0x20 || c === 0x22 || c === 0x5c) p = this.escapeAt(c, p);
        else buf[p++] = c;
      } else if (c < 0x800) {
        buf[p++] = 0xc0 | (c >> 6);
        buf[p++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          buf[p++] = 0xf0 | (cp >> 18);
          buf[p++] = 0x80 | ((cp >> 12) & 0x3f);
          buf[p++] = 0x80 | ((cp >> 6) & 0x3f);
          buf[p++] = 0x80 | (cp & 0x3f);
          i++;
        } else p = this.escapeAt(c, p);
      } else {
        buf[p++] = 0xe0 | (c >> 12);
        buf[p++] = 0x80 | ((c >> 6) & 0x3f);
        buf[p++] = 0x80 | (c & 0x3f);
      }
    }
    return p;
  }

  /** Appends bytes `[start, end)` read as latin1 (one code point per byte) as a JSON string. */
  latin1(bytes: Uint8Array, start = 0, end = bytes.length): void {
    this.room((end - start) * 6 + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 0x22;
    for (let i = start; i < end; i++) {
      const c = bytes[i] ?? 0;
      if (c >= 0x20 && c < 0x80 && c !== 0x22 && c !== 0x5c) buf[p++] = c;
      else if (c >= 0x80) {
        buf[p++] = 0xc0 | (c >> 6);
        buf[p++] = 0x80 | (c & 0x3f);
      } else p = this.escapeAt(c, p);
    }
    buf[p++] = 0x22;
    this.pos = p;
  }

  /** Appends text that is already JSON (e.g. `JSON.stringify` of a rare member). */
  json(text: string): void {
    this.room(text.length * 3);
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }
}
