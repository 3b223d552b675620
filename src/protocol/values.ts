/**
 * Typed value codecs for parameter values (docs/protocol.md#parameters, #times): absolute times, relative
 * validity bytes, integers and hex. Pure functions; bad input throws `EncodingError`.
 */
import { EncodingError } from '../errors.js';

/**
 * Which clock an absolute time is written in: `'UTC'`, an IANA zone name (e.g.
 * `'Europe/Helsinki'`, DST-aware via `Intl.DateTimeFormat`), or a fixed offset in minutes east of
 * UTC (e.g. `120`). CIMD2 times carry no zone of their own (docs/protocol.md#absolute-times).
 */
export type TimeZoneSpec = string | number;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (cause) {
      throw new EncodingError(`unknown time zone ${JSON.stringify(timeZone)}`, { cause });
    }
    formatters.set(timeZone, f);
  }
  return f;
}

function isUtc(zone: TimeZoneSpec): boolean {
  return zone === 'UTC' || zone === 'Etc/UTC' || zone === 0;
}

/** Offset of `zone` from UTC in ms at instant `ms`. */
function zoneOffsetMs(ms: number, zone: string): number {
  const parts = formatterFor(zone).formatToParts(ms);
  const get = (type: Intl.DateTimeFormatPartTypes): number =>
    Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return wall - (ms - (((ms % 1000) + 1000) % 1000));
}

function offsetOf(ms: number, zone: TimeZoneSpec): number {
  if (typeof zone === 'number') {
    if (!Number.isFinite(zone)) throw new EncodingError(`invalid UTC offset ${String(zone)}`);
    return zone * 60_000;
  }
  return isUtc(zone) ? 0 : zoneOffsetMs(ms, zone);
}

const two = (n: number): string => String(n).padStart(2, '0');

/** "00" … "99". */
const TWO_DIGITS: readonly string[] = Array.from({ length: 100 }, (_, i) => two(i));

const HOUR_MS = 3_600_000;
/** The `yymmddhh` of the local hour formatted last (a server formats many times per hour). */
let lastHour = NaN;
let lastHourText = '';

/**
 * Formats an instant as CIMD2 `yymmddhhmmss` (docs/protocol.md#absolute-times) in the given zone (default UTC).
 * Milliseconds are truncated.
 *
 * @throws EncodingError for an invalid date, an unknown zone, or a local year outside 2000–2099
 *   (a two-digit year could not be read back).
 */
export function formatTimestamp(date: Date | number, timeZone: TimeZoneSpec = 'UTC'): string {
  const ms = typeof date === 'number' ? date : date.getTime();
  if (!Number.isFinite(ms)) throw new EncodingError('cannot format an invalid date');
  const localMs = ms + offsetOf(ms, timeZone);
  const hour = Math.floor(localMs / HOUR_MS);
  if (hour !== lastHour) {
    const local = new Date(hour * HOUR_MS);
    const year = local.getUTCFullYear();
    if (year < 2000 || year > 2099) {
      throw new EncodingError(
        `year ${year} cannot be written as a CIMD2 two-digit year (2000–2099)`,
      );
    }
    lastHourText =
      two(year % 100) +
      two(local.getUTCMonth() + 1) +
      two(local.getUTCDate()) +
      two(local.getUTCHours());
    lastHour = hour;
  }
  const second = Math.floor((localMs - hour * HOUR_MS) / 1000);
  const minute = Math.floor(second / 60);
  return lastHourText + (TWO_DIGITS[minute] ?? '') + (TWO_DIGITS[second - minute * 60] ?? '');
}

/**
 * Parses CIMD2 `yymmddhhmmss` (docs/protocol.md#absolute-times) read in the given zone (default UTC); years
 * 00–99 mean 2000–2099. In an IANA zone, a wall time that occurs twice (DST end) resolves to the
 * earlier instant, and one skipped by DST start is shifted forward by the gap.
 *
 * @throws EncodingError unless `s` is 12 digits forming a real calendar date and time.
 */
export function parseTimestamp(s: string, timeZone: TimeZoneSpec = 'UTC'): Date {
  if (!/^\d{12}$/.test(s)) {
    throw new EncodingError(`time ${JSON.stringify(s)} is not 12 digits yymmddhhmmss`);
  }
  const [yy, mo, dd, hh, mi, ss] = [0, 2, 4, 6, 8, 10].map((i) => Number(s.slice(i, i + 2))) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const wall = Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss);
  const check = new Date(wall);
  if (
    mo < 1 ||
    check.getUTCMonth() !== mo - 1 ||
    check.getUTCDate() !== dd ||
    hh > 23 ||
    mi > 59 ||
    ss > 59
  ) {
    throw new EncodingError(`time ${JSON.stringify(s)} is not a valid date and time`);
  }
  if (typeof timeZone === 'number' || isUtc(timeZone)) {
    return new Date(wall - offsetOf(wall, timeZone));
  }
  const day = 86_400_000;
  const before = zoneOffsetMs(wall - day, timeZone);
  const after = zoneOffsetMs(wall + day, timeZone);
  const candidates = [before, after]
    .map((off) => wall - off)
    .filter((t) => zoneOffsetMs(t, timeZone) === wall - t);
  return new Date(candidates.length > 0 ? Math.min(...candidates) : wall - before);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/**
 * Duration of a GSM 03.40 relative validity byte as used by 050/053 (docs/protocol.md#relative-validity):
 * 0–143 → (n+1)×5 min; 144–167 → 12 h + (n−143)×30 min; 168–196 → (n−166) days;
 * 197–255 → (n−192) weeks.
 *
 * @throws EncodingError unless n is an integer 0–255 (−1, allowed on the wire, has no known meaning).
 */
export function relativeValidityToMs(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 255) {
    throw new EncodingError(`relative validity must be an integer 0–255, got ${String(n)}`);
  }
  if (n <= 143) return (n + 1) * 5 * MINUTE;
  if (n <= 167) return 12 * HOUR + (n - 143) * 30 * MINUTE;
  if (n <= 196) return (n - 166) * DAY;
  return (n - 192) * WEEK;
}

/**
 * The smallest relative validity byte whose duration is at least `ms` (docs/protocol.md#relative-validity),
 * clamped to 0 (≤ 5 min, including negative input) and 255 (more than 63 weeks).
 *
 * @throws EncodingError for NaN.
 */
export function msToRelativeValidity(ms: number): number {
  if (Number.isNaN(ms)) throw new EncodingError('duration is NaN');
  for (let n = 0; n <= 255; n++) if (relativeValidityToMs(n) >= ms) return n;
  return 255;
}

/**
 * What Kannel 1.4.5 sends in 050 for a validity `minutes` from now (docs/protocol.md#relative-validity Kannel
 * table; integer division, fractional minutes truncated as Kannel's integer arithmetic does).
 */
export function kannelMinutesToRelativeValidity(minutes: number): number {
  const m = Math.trunc(minutes);
  if (Number.isNaN(m) || m < 5) return 0;
  if (m <= 720) return Math.floor((m - 1) / 5);
  if (m < 750) return 144;
  if (m <= 1440) return Math.floor((m - 721) / 30) + 144;
  if (m < 2880) return 168;
  if (m <= 43200) return Math.floor((m - 1) / 1440) + 167;
  if (m < 50400) return 197;
  if (m <= 635040) return Math.floor((m - 1) / 10080) + 193;
  return 255;
}

/** Bounds for {@link parseIntParam}. */
export interface IntRange {
  readonly min?: number;
  readonly max?: number;
}

/**
 * Parses an int parameter value (docs/protocol.md#parameters: decimal digits, optional leading `-`).
 *
 * @throws EncodingError for anything else, or a value outside `range`.
 */
export function parseIntParam(value: string, range: IntRange = {}): number {
  if (!/^-?\d+$/.test(value)) {
    throw new EncodingError(`${JSON.stringify(value)} is not a decimal integer`);
  }
  const n = Number(value);
  if ((range.min !== undefined && n < range.min) || (range.max !== undefined && n > range.max)) {
    throw new EncodingError(
      `${value} is outside ${String(range.min ?? '-∞')}–${String(range.max ?? '∞')}`,
    );
  }
  return n;
}

/** Uppercase hex of the bytes, two digits per byte (as Kannel sends 032/034, docs/protocol.md#parameters). */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('hex')
    .toUpperCase();
}

/**
 * Bytes of a hex string of either case (docs/protocol.md#where-implementations-disagree).
 *
 * @throws EncodingError for odd length or a non-hex character.
 */
export function hexToBytes(s: string): Buffer {
  if (s.length % 2 !== 0) throw new EncodingError(`hex string has odd length ${s.length}`);
  if (!/^[0-9A-Fa-f]*$/.test(s)) {
    throw new EncodingError(`hex string contains a non-hex character: ${JSON.stringify(s)}`);
  }
  return Buffer.from(s, 'hex');
}
