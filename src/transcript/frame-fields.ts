/**
 * Frame → the decoded `fields` of a frame record, in one pass over the parameters.
 */
import type { Frame } from '../protocol/frame.js';
import { paramKey } from '../protocol/frame.js';
import { Param } from '../protocol/parameters.js';
import { statusName } from '../protocol/status-codes.js';
import { decodeUserData, type UserDataParams } from '../protocol/user-data.js';
import type { FrameFields, ParamPair } from './record.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const INT = /^-?\d{1,9}$/;

function int(value: string): number | undefined {
  return INT.test(value) ? Number(value) : undefined;
}

/** The redacted form of a password value. */
export const REDACTED = '***';

/**
 * Decoded fields of a frame (see {@link FrameFields}). Never throws: user data that does not
 * decode gives `userDataError` instead of `text`.
 */
export function frameFields(frame: Frame): FrameFields {
  const f: Mutable<FrameFields> = {};
  let destinations: string[] | undefined;
  let originator: string | undefined;
  let alnum: string | undefined;
  let dcsRaw: string | undefined;
  let udh: string | undefined;
  let ud: string | undefined;
  let udb: string | undefined;
  for (const { code, value } of frame.params) {
    switch (code) {
      case Param.UserIdentity:
        f.user ??= value;
        break;
      case Param.DestinationAddress:
        (destinations ??= []).push(value);
        break;
      case Param.OriginatingAddress:
        originator ??= value;
        break;
      case Param.AlphanumericOriginatingAddress:
        alnum ??= value;
        break;
      case Param.DataCodingScheme:
        dcsRaw ??= value;
        break;
      case Param.UserDataHeader:
        udh ??= value;
        break;
      case Param.UserData:
        ud ??= value;
        break;
      case Param.UserDataBinary:
        udb ??= value;
        break;
      case Param.ServiceCentreTimeStamp:
        f.timestamp ??= value;
        break;
      case Param.DischargeTime:
        f.dischargeTime ??= value;
        break;
      case Param.StatusCode: {
        const n = int(value);
        if (n !== undefined && f.statusCode === undefined) {
          f.statusCode = n;
          f.statusName = statusName(n);
        }
        break;
      }
      case Param.StatusErrorCode: {
        const n = int(value);
        if (n !== undefined) f.statusErrorCode ??= n;
        break;
      }
      case Param.ErrorCode: {
        const n = int(value);
        if (n !== undefined) f.errorCode ??= n;
        break;
      }
      case Param.ErrorText:
        f.errorText ??= value;
        break;
      default:
        break;
    }
  }
  if (destinations !== undefined) {
    f.destination = destinations[0] ?? '';
    if (destinations.length > 1) f.destinations = destinations;
  }
  const orig = originator ?? alnum;
  if (orig !== undefined) f.originator = orig;
  if (ud !== undefined || udb !== undefined || udh !== undefined || dcsRaw !== undefined) {
    userData(f, { dcsRaw, udh, ud, udb });
  }
  // One key order for every frame, so transcripts read alike whatever the parameter order.
  const out: Mutable<FrameFields> = {};
  const target = out as Record<string, unknown>;
  for (const key of FIELD_ORDER) {
    const v = f[key];
    if (v !== undefined) target[key] = v;
  }
  return out;
}

const FIELD_ORDER: readonly (keyof FrameFields)[] = [
  'user',
  'destination',
  'destinations',
  'originator',
  'text',
  'binary',
  'encoding',
  'dcs',
  'udh',
  'parts',
  'part',
  'reference',
  'userDataError',
  'timestamp',
  'dischargeTime',
  'statusCode',
  'statusName',
  'statusErrorCode',
  'errorCode',
  'errorText',
];

function userData(
  f: Mutable<FrameFields>,
  p: {
    dcsRaw: string | undefined;
    udh: string | undefined;
    ud: string | undefined;
    udb: string | undefined;
  },
): void {
  const input: Mutable<UserDataParams> = {};
  if (p.dcsRaw !== undefined) {
    const dcs = int(p.dcsRaw);
    if (dcs === undefined) {
      f.userDataError = `data coding scheme (030) ${JSON.stringify(p.dcsRaw)} is not an integer`;
      return;
    }
    input.dcs = dcs;
  }
  if (p.udh !== undefined) input.udh = p.udh;
  if (p.ud !== undefined) input.userData = p.ud;
  if (p.udb !== undefined) input.userDataBinary = p.udb;
  try {
    const d = decodeUserData(input);
    f.encoding = d.encoding;
    f.dcs = d.dcs;
    if (d.text !== undefined) f.text = d.text;
    else if (d.bytes !== undefined) f.binary = d.bytes.toString('hex').toUpperCase();
    if (d.udh !== undefined) f.udh = d.udh.toString('hex').toUpperCase();
    const concat = d.udhInfo?.concat;
    if (concat !== undefined) {
      f.parts = concat.total;
      f.part = concat.seq;
      f.reference = concat.ref;
    }
  } catch (error) {
    f.userDataError = error instanceof Error ? error.message : String(error);
  }
}

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
