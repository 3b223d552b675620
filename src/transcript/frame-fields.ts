/**
 * The `params` and `raw` of a frame record, with password redaction. The decoded `fields` come
 * from protocol/fields.ts (one decode per frame, shared with the server).
 */
import type { Frame } from '../protocol/frame.js';
import { paramKey } from '../protocol/frame.js';
import { Param } from '../protocol/parameters.js';
import type { ParamPair } from './record.js';

export { frameFields } from '../protocol/fields.js';

/** The redacted form of a password value. */
export const REDACTED = '***';

/** Parameters as `[code, value]` pairs in wire order; with `redact`, 011 values become `***`. */
export function paramPairs(frame: Frame, redact: boolean): ParamPair[] {
  const out: ParamPair[] = new Array<ParamPair>(frame.params.length);
  for (let i = 0; i < frame.params.length; i++) {
    const p = frame.params[i];
    if (p === undefined) continue;
    out[i] = [paramKey(p.code), redact && p.code === Param.Password ? REDACTED : p.value];
  }
  return out;
}

const PASSWORD_IN_RAW = /(\t011:)[^\t\x03]*/g;

/** `raw` with every 011 value replaced by `***` (the checksum is left as it was). */
export function redactRaw(raw: string): string {
  return raw.includes('\t011:') ? raw.replace(PASSWORD_IN_RAW, `$1${REDACTED}`) : raw;
}
