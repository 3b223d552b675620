/**
 * Frame → the decoded `fields` of a frame record, in one pass over the parameters.
 */
import type { Frame } from '../protocol/frame.js';
import { paramKey } from '../protocol/frame.js';
import { Param } from '../protocol/parameters.js';
import { statusName } from '../protocol/status-codes.js';
import { decodeUserData, type TextEncoding, type UserDataParams } from '../protocol/user-data.js';
import type { FrameFields, ParamPair } from './record.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const INT = /^-?\d{1,9}$/;

function int(value: string): number | undefined {
  return INT.test(value) ? Number(value) : undefined;
}

/** The redacted form of a password value. */
export const REDACTED = '***';

/** What the user-data parameters decode to, in `fields` terms. */
interface UserDataFields {
  text?: string;
  binary?: string;
  encoding?: TextEncoding;
  dcs?: number;
  udh?: string;
  parts?: number;
  part?: number;
  reference?: number;
  userDataError?: string;
}

/**
 * Decoded fields of a frame (see {@link FrameFields}). Never throws: user data that does not
 * decode gives `userDataError` instead of `text`. Members come in one order for every frame
 * (the order of {@link FrameFields}), so transcripts read alike whatever the parameter order.
 */
export function frameFields(frame: Frame): FrameFields {
  let user: string | undefined;
  let destinations: string[] | undefined;
  let originator: string | undefined;
  let alnum: string | undefined;
  let dcsRaw: string | undefined;
  let udh: string | undefined;
  let ud: string | undefined;
  let udb: string | undefined;
  let timestamp: string | undefined;
  let dischargeTime: string | undefined;
  let statusCode: number | undefined;
  let statusErrorCode: number | undefined;
  let errorCode: number | undefined;
  let errorText: string | undefined;
  for (const { code, value } of frame.params) {
    switch (code) {
      case Param.UserIdentity:
        user ??= value;
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
        timestamp ??= value;
        break;
      case Param.DischargeTime:
        dischargeTime ??= value;
        break;
      case Param.StatusCode:
        statusCode ??= int(value);
        break;
      case Param.StatusErrorCode:
        statusErrorCode ??= int(value);
        break;
      case Param.ErrorCode:
        errorCode ??= int(value);
        break;
      case Param.ErrorText:
        errorText ??= value;
        break;
      default:
        break;
    }
  }
  const f: Mutable<FrameFields> = {};
  if (user !== undefined) f.user = user;
  if (destinations !== undefined) {
    f.destination = destinations[0] ?? '';
    if (destinations.length > 1) f.destinations = destinations;
  }
  const orig = originator ?? alnum;
  if (orig !== undefined) f.originator = orig;
  if (ud !== undefined || udb !== undefined || udh !== undefined || dcsRaw !== undefined) {
    const u = userData(dcsRaw, udh, ud, udb);
    if (u.text !== undefined) f.text = u.text;
    if (u.binary !== undefined) f.binary = u.binary;
    if (u.encoding !== undefined) f.encoding = u.encoding;
    if (u.dcs !== undefined) f.dcs = u.dcs;
    if (u.udh !== undefined) f.udh = u.udh;
    if (u.parts !== undefined) f.parts = u.parts;
    if (u.part !== undefined) f.part = u.part;
    if (u.reference !== undefined) f.reference = u.reference;
    if (u.userDataError !== undefined) f.userDataError = u.userDataError;
  }
  if (timestamp !== undefined) f.timestamp = timestamp;
  if (dischargeTime !== undefined) f.dischargeTime = dischargeTime;
  if (statusCode !== undefined) {
    f.statusCode = statusCode;
    f.statusName = statusName(statusCode);
  }
  if (statusErrorCode !== undefined) f.statusErrorCode = statusErrorCode;
  if (errorCode !== undefined) f.errorCode = errorCode;
  if (errorText !== undefined) f.errorText = errorText;
  return f;
}

function userData(
  dcsRaw: string | undefined,
  udh: string | undefined,
  ud: string | undefined,
  udb: string | undefined,
): UserDataFields {
  const input: Mutable<UserDataParams> = {};
  if (dcsRaw !== undefined) {
    const dcs = int(dcsRaw);
    if (dcs === undefined) {
      return {
        userDataError: `data coding scheme (030) ${JSON.stringify(dcsRaw)} is not an integer`,
      };
    }
    input.dcs = dcs;
  }
  if (udh !== undefined) input.udh = udh;
  if (ud !== undefined) input.userData = ud;
  if (udb !== undefined) input.userDataBinary = udb;
  try {
    const d = decodeUserData(input);
    const u: UserDataFields = { encoding: d.encoding, dcs: d.dcs };
    if (d.text !== undefined) u.text = d.text;
    else if (d.bytes !== undefined) u.binary = d.bytes.toString('hex').toUpperCase();
    if (d.udh !== undefined) u.udh = d.udh.toString('hex').toUpperCase();
    const concat = d.udhInfo?.concat;
    if (concat !== undefined) {
      u.parts = concat.total;
      u.part = concat.seq;
      u.reference = concat.ref;
    }
    return u;
  } catch (error) {
    return { userDataError: error instanceof Error ? error.message : String(error) };
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
