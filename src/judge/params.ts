/**
 * The judge's reading of a client frame's parameters: which parameters each client operation
 * may carry and must carry (docs/protocol.md#operations), the value syntax of the parameter
 * table (docs/protocol.md#parameters), the 033 text alphabet (docs/protocol.md#text-conversion-of-033)
 * and the user-data combinations. Every function works on the frame's values as they are and
 * allocates nothing unless it has something to report.
 */
import { CIMD_COMBINATIONS } from '../protocol/charset/cimd-text.js';
import { GSM7_EXTENSION_TABLE } from '../protocol/charset/gsm7.js';
import { Op } from '../protocol/operations.js';
import { Param, paramInfo, type ParameterInfo } from '../protocol/parameters.js';

/** Parameter codes the per-code tables cover (the highest CIMD2 code is 901). */
export const PARAM_CODES = 1000;

/** Allowed (and mandatory) parameters of one client operation. */
interface OpParams {
  /** 1 at each allowed (or mandatory) parameter code below {@link PARAM_CODES}. */
  readonly allowed: Uint8Array;
  readonly mandatory: readonly number[];
}

function op(allowed: readonly number[], mandatory: readonly number[] = []): OpParams {
  const table = new Uint8Array(PARAM_CODES);
  for (const code of [...allowed, ...mandatory]) table[code] = 1;
  return { allowed: table, mandatory };
}

/** True when `code` is allowed by `rules` (a per-frame table look-up, no hashing). */
export function allows(rules: OpParams, code: number): boolean {
  return code >= 0 && code < PARAM_CODES && rules.allowed[code] === 1;
}

const P = Param;
const RESPONSE = op([P.ErrorCode, P.ErrorText]);

/** Client operations and their parameters; op 13 is absent (its parameters are unknown). */
const OP_PARAMS: ReadonlyMap<number, OpParams> = new Map<number, OpParams>([
  [Op.Login, op([P.Subaddress, P.WindowSize, P.IpAddress], [P.UserIdentity, P.Password])],
  [Op.Logout, op([])],
  [
    Op.Submit,
    op(
      [
        P.OriginatingAddress,
        P.AlphanumericOriginatingAddress,
        P.DataCodingScheme,
        P.UserDataHeader,
        P.UserData,
        P.UserDataBinary,
        P.MoreMessagesToSend,
        P.ValidityPeriodRelative,
        P.ValidityPeriodAbsolute,
        P.ProtocolIdentifier,
        P.FirstDeliveryTimeRelative,
        P.FirstDeliveryTimeAbsolute,
        P.ReplyPath,
        P.StatusReportRequest,
        P.CancelEnabled,
        P.TariffClass,
        P.ServiceDescription,
        P.Priority,
      ],
      [P.DestinationAddress],
    ),
  ],
  [Op.Enquire, op([], [P.DestinationAddress, P.ServiceCentreTimeStamp])],
  [Op.DeliveryRequest, op([], [P.DeliveryRequestMode])],
  [Op.Cancel, op([P.DestinationAddress, P.ServiceCentreTimeStamp], [P.CancelMode])],
  [Op.Set, op([], [P.Password])],
  [Op.Get, op([], [P.GetParameter])],
  [Op.Alive, op([])],
  [Op.DeliverMessageResponse, RESPONSE],
  [Op.DeliverStatusReportResponse, RESPONSE],
  [Op.AliveResponse, RESPONSE],
  [Op.Nack, op([])],
]);

/** OP_PARAMS as an array by operation code (0–99), read once per frame. */
const OP_TABLE: (OpParams | undefined)[] = (() => {
  const t = new Array<OpParams | undefined>(100).fill(undefined);
  for (const [code, rules] of OP_PARAMS) t[code] = rules;
  return t;
})();

/** The parameter rules of a client operation, or undefined when they are unknown (op 13). */
export function opParams(code: number): OpParams | undefined {
  return code >= 0 && code < OP_TABLE.length ? OP_TABLE[code] : undefined;
}

/** The parameter table by code, for the per-parameter look-up of every frame. */
const PARAM_TABLE: (ParameterInfo | undefined)[] = (() => {
  const t = new Array<ParameterInfo | undefined>(PARAM_CODES).fill(undefined);
  for (let code = 0; code < PARAM_CODES; code++) t[code] = paramInfo(code);
  return t;
})();

/** The parameter table row of `code` (the protocol's `paramInfo`, as an array look-up). */
export function paramRow(code: number): ParameterInfo | undefined {
  return code >= 0 && code < PARAM_CODES ? PARAM_TABLE[code] : paramInfo(code);
}

const INT = /^-?\d+$/;
const TIME = /^\d{12}$/;

/** What is wrong with a value of a known parameter (type, length, range), or undefined. */
export function valueProblem(info: ParameterInfo, value: string): string | undefined {
  if (info.maxLength !== undefined && value.length > info.maxLength)
    return `value longer than ${info.maxLength}`;
  switch (info.type) {
    case 'int': {
      if (!INT.test(value)) return `${JSON.stringify(value)} is not a decimal integer`;
      const n = Number(value);
      if ((info.min !== undefined && n < info.min) || (info.max !== undefined && n > info.max))
        return `${value} is outside ${String(info.min ?? '-∞')}–${String(info.max ?? '∞')}`;
      return undefined;
    }
    case 'addr':
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i);
        if ((c < 0x30 || c > 0x39) && c !== 0x2b && c !== 0x2d)
          return `${JSON.stringify(value)} is not an address (digits, '+' and '-' only)`;
      }
      return undefined;
    case 'time':
      return TIME.test(value)
        ? undefined
        : `${JSON.stringify(value)} is not a 12-digit time yymmddhhmmss`;
    case 'str':
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i);
        if (c < 32 || c > 126)
          return `byte 0x${c.toString(16).padStart(2, '0')} at index ${i} is not printable ASCII (32–126)`;
      }
      return undefined;
    case 'hex':
    case 'ud':
    case 'any':
      return undefined;
  }
}

/** What is wrong with a hex value (032, 034), or undefined. */
export function hexProblem(value: string): string | undefined {
  if (value.length % 2 !== 0) return `${value.length} hex digits (an odd number)`;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const hex = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
    if (!hex) return `${JSON.stringify(value.charAt(i))} at index ${i} is not a hex digit`;
  }
  return undefined;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** What is wrong with a validity period value (050 relative byte, 051 absolute time), or undefined. */
export function validityProblem(code: number, value: string): string | undefined {
  if (code === Param.ValidityPeriodRelative) {
    if (!INT.test(value) || value.length > 3) return `${JSON.stringify(value)} is not 0–255`;
    const n = Number(value);
    return n < 0 || n > 255 ? `${value} is not 0–255` : undefined;
  }
  if (!TIME.test(value)) return `${JSON.stringify(value)} is not a 12-digit time yymmddhhmmss`;
  const two = (i: number): number => Number(value.slice(i, i + 2));
  const month = two(2);
  const day = two(4);
  const ok =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= (DAYS[month - 1] ?? 0) &&
    two(6) <= 23 &&
    two(8) <= 59 &&
    two(10) <= 59;
  return ok ? undefined : `${value} is not a real time yymmddhhmmss`;
}

/** PAIR[b1 * 128 + b2]: the GSM code of the combination `_` b1 b2, or -1. */
const PAIR: Int16Array = (() => {
  const t = new Int16Array(128 * 128).fill(-1);
  for (const c of CIMD_COMBINATIONS)
    t[c.combination.charCodeAt(1) * 128 + c.combination.charCodeAt(2)] = c.code;
  return t;
})();

const ESCAPE = 0x1b;
/** Raw bytes read as another GSM code (as the decoder reads them). */
const REMAP: Readonly<Record<number, number>> = { 0x40: 0x00, 0x24: 0x02, 0x5d: 0x0e, 0x7d: 0x0f };
const EXTENSION = new Set<number>(Object.keys(GSM7_EXTENSION_TABLE).map(Number));

function printable(c: number): boolean {
  return (c >= 0x20 && c <= 0x7e) || c === 0x0a || c === 0x0d;
}

/** PLAIN[b] is 1 for a byte of the alphabet that starts no combination (printable, not `_`). */
const PLAIN: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 128; c++) if (printable(c) && c !== 0x5f) t[c] = 1;
  return t;
})();

/**
 * The first byte or escape of a 033 value outside the CIMD2 text alphabet, or undefined: bytes
 * other than printable ASCII, LF and CR; a `_` that starts no special combination; `_XX` not
 * followed by an extension character.
 */
export function textProblem(value: string): string | undefined {
  const len = value.length;
  for (let i = 0; i < len; i++) {
    const c = value.charCodeAt(i);
    if (PLAIN[c & 0xff] === 1 && c < 0x100) continue;
    if (c !== 0x5f) {
      if (!printable(c))
        return `byte 0x${c.toString(16).padStart(2, '0')} at index ${i} is not in the CIMD2 text alphabet`;
      continue;
    }
    const code = i + 2 < len ? combination(value, i) : -1;
    if (code < 0)
      return `${JSON.stringify(value.slice(i, i + 3))} at index ${i} is not a special combination`;
    i += 2;
    if (code !== ESCAPE) continue;
    // _XX: the next character or combination must be in the extension table.
    const n = value.charCodeAt(i + 1);
    let ext: number;
    if (i + 1 >= len) ext = -1;
    else if (n === 0x5f) ext = i + 3 < len ? combination(value, i + 1) : -1;
    else ext = printable(n) ? (REMAP[n] ?? n) : -1;
    if (!EXTENSION.has(ext))
      return `"_XX" at index ${i - 2} is not followed by an extension character`;
    if (n === 0x5f) i += 3;
    else i += 1;
  }
  return undefined;
}

function combination(value: string, i: number): number {
  const b1 = value.charCodeAt(i + 1);
  const b2 = value.charCodeAt(i + 2);
  return b1 < 128 && b2 < 128 ? (PAIR[b1 * 128 + b2] ?? -1) : -1;
}

/** The alphabet a DCS (030) says: 7-bit, 8-bit, UCS2 or reserved. */
export function dcsAlphabet(dcs: number): 'gsm7' | '8bit' | 'ucs2' | 'reserved' {
  if (dcs < 0x80) {
    switch ((dcs >> 2) & 3) {
      case 0:
        return 'gsm7';
      case 1:
        return '8bit';
      case 2:
        return 'ucs2';
      default:
        return 'reserved';
    }
  }
  if (dcs < 0xc0) return 'reserved';
  if (dcs < 0xe0) return 'gsm7';
  if (dcs < 0xf0) return 'ucs2';
  return (dcs & 0x04) !== 0 ? '8bit' : 'gsm7';
}

/** The parameter table row, re-exported for the observer. */
export { paramInfo };
