/**
 * Checks a decoded frame's parameters against the parameter table (docs/protocol.md#parameters). The decoder
 * only checks syntax; this is the second step, answered with error 3 or 8.
 */
import { ParameterFormatError, UnsupportedParameterError, type FrameError } from '../errors.js';
import type { Frame } from './frame.js';
import { describeParam, paramInfo, type ParameterInfo } from './parameters.js';

function problem(info: ParameterInfo, value: string): string | undefined {
  if (info.maxLength !== undefined && value.length > info.maxLength) {
    return `value longer than ${info.maxLength}`;
  }
  switch (info.type) {
    case 'int': {
      if (!/^-?\d+$/.test(value)) return `${JSON.stringify(value)} is not a decimal integer`;
      const n = Number(value);
      if ((info.min !== undefined && n < info.min) || (info.max !== undefined && n > info.max)) {
        return `${value} is outside ${String(info.min ?? '-∞')}–${String(info.max ?? '∞')}`;
      }
      return undefined;
    }
    case 'addr':
      return /^[0-9+-]*$/.test(value)
        ? undefined
        : `${JSON.stringify(value)} is not an address (digits, '+' and '-' only)`;
    case 'time':
      return /^\d{12}$/.test(value)
        ? undefined
        : `${JSON.stringify(value)} is not a 12-digit time yymmddhhmmss`;
    case 'hex':
      if (value.length % 2 !== 0) return `hex value has odd length ${value.length}`;
      return /^[0-9A-Fa-f]*$/.test(value)
        ? undefined
        : `${JSON.stringify(value)} contains a non-hex character`;
    case 'str': {
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i);
        if (c < 32 || c > 126)
          return `byte 0x${c.toString(16).padStart(2, '0')} at index ${i} is not printable ASCII (32–126)`;
      }
      return undefined;
    }
    case 'ud':
    case 'any':
      return undefined;
  }
}

/**
 * Checks every parameter of `frame` in wire order and returns the first problem, or undefined
 * when all are acceptable (docs/protocol.md#parameters, #bytes-outside-frames-and-frame-size):
 * - a code not in the table → `UnsupportedParameterError` (CIMD2 error 3);
 * - a repeated code other than 021 → `ParameterFormatError` (8);
 * - a value breaking its type, maximum length or range → `ParameterFormatError` (8).
 *
 * Types: int = optional `-` and digits within min/max; addr = digits, `+`, `-` (may be empty);
 * time = 12 digits; hex = even number of hex digits of either case; str = bytes 32–126;
 * ud and any only have their length checked. Messages name the parameter, e.g.
 * `parameter 021 (destination address): value longer than 20`.
 */
export function validateParameters(frame: Frame): FrameError | undefined {
  const seen = new Set<number>();
  for (const { code, value } of frame.params) {
    const info = paramInfo(code);
    if (!info) {
      return new UnsupportedParameterError(`${describeParam(code)} is not supported`, code);
    }
    if (seen.has(code) && info.repeatable !== true) {
      return new ParameterFormatError(`${describeParam(code)}: repeated`, code);
    }
    seen.add(code);
    const why = problem(info, value);
    if (why !== undefined) return new ParameterFormatError(`${describeParam(code)}: ${why}`, code);
  }
  return undefined;
}
