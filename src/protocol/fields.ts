/**
 * The decoded fields of a frame, from ONE pass over its parameters and ONE user-data decode:
 * the transcript's `fields` of a frame record ({@link FrameFields}) and the fields a Responder
 * sees of a request ({@link RequestFields}, with the CIMD2 error code of user data that does not
 * decode). The server decodes each inbound frame once and hands the result on (the `frame-in`
 * event carries it to the transcript recorder).
 */
import type { Frame } from './frame.js';
import { Param } from './parameters.js';
import { statusName } from './status-codes.js';
import {
  decodeUserData,
  type DecodedUserData,
  type TextEncoding,
  type UserDataParams,
} from './user-data.js';

/**
 * Decoded fields of a frame record (the `fields` of the transcript). Members appear in this
 * order whatever the parameter order. `text` is the user data as Unicode, decoded per the DCS
 * (docs/protocol.md#text-and-data-coding); `binary` is the 034 octets as uppercase hex when they
 * do not read as text.
 */
export interface FrameFields {
  /** 010 user identity. */
  readonly user?: string;
  /** First 021 destination address. */
  readonly destination?: string;
  /** Every 021 when the frame carries more than one. */
  readonly destinations?: readonly string[];
  /** 023 originating address, else 027 alphanumeric originating address. */
  readonly originator?: string;
  readonly text?: string;
  readonly binary?: string;
  /** Encoding of the user data (from 033/034 and the DCS). */
  readonly encoding?: TextEncoding;
  /** 030 data coding scheme (0 when user data is present without 030). */
  readonly dcs?: number;
  /** 032 user data header as uppercase hex, UDHL included. */
  readonly udh?: string;
  /** Concatenation from the UDH: total parts, this part (1-based), reference. */
  readonly parts?: number;
  readonly part?: number;
  readonly reference?: number;
  /** Why the user data could not be decoded (the frame's values are still in `params`). */
  readonly userDataError?: string;
  /** 060 service centre time stamp as on the wire. */
  readonly timestamp?: string;
  /** 063 discharge time as on the wire. */
  readonly dischargeTime?: string;
  /** 061 status code and its name (docs/protocol.md#status-codes-061). */
  readonly statusCode?: number;
  readonly statusName?: string;
  /** 062 status error code (docs/protocol.md#status-error-codes-062). */
  readonly statusErrorCode?: number;
  /** 900 error code and 901 error text (docs/protocol.md#error-codes-900). */
  readonly errorCode?: number;
  readonly errorText?: string;
}

/** Decoded fields of an inbound request, as the Responder sees them. */
export interface RequestFields {
  readonly user?: string;
  readonly password?: string;
  /** First destination (021). */
  readonly destination?: string;
  /** All destinations (021 may repeat in a submit). */
  readonly destinations?: readonly string[];
  /** 023, or 027 when only the alphanumeric originator is present. */
  readonly originator?: string;
  /** Decoded text (Unicode) for text encodings. */
  readonly text?: string;
  /** Uppercase hex of binary user data. */
  readonly binary?: string;
  readonly encoding?: TextEncoding;
  readonly dcs?: number;
  /** Uppercase hex of the UDH including UDHL. */
  readonly udh?: string;
  /** Total parts of a concatenated message (1 when not concatenated). */
  readonly parts?: number;
  /** Status report request bit field (056). */
  readonly statusReportRequest?: number;
  /** 060 carried by the request (enquire, cancel). */
  readonly timestamp?: string;
}

/** A request's fields, and what its user data decoded to (or the error code to answer with). */
export interface DecodedRequest {
  readonly fields: RequestFields;
  /** Set when the user data could not be decoded: the CIMD2 error code to answer with. */
  readonly userDataError?: { readonly code: number; readonly message: string };
  readonly userData?: DecodedUserData;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The values of the parameters the fields come from (first occurrence, first integer one for 061/062/900; every 021). */
interface Scan {
  user?: string;
  password?: string;
  destinations?: string[];
  originator?: string;
  alnum?: string;
  dcsRaw?: string;
  udh?: string;
  ud?: string;
  udb?: string;
  timestamp?: string;
  dischargeTime?: string;
  srr?: string;
  statusCode?: string;
  statusErrorCode?: string;
  errorCode?: string;
  errorText?: string;
}

const INT = /^-?\d{1,9}$/;

function scan(frame: Frame): Scan {
  const s: Scan = {};
  for (const { code, value } of frame.params) {
    switch (code) {
      case Param.UserIdentity:
        s.user ??= value;
        break;
      case Param.Password:
        s.password ??= value;
        break;
      case Param.DestinationAddress:
        (s.destinations ??= []).push(value);
        break;
      case Param.OriginatingAddress:
        s.originator ??= value;
        break;
      case Param.AlphanumericOriginatingAddress:
        s.alnum ??= value;
        break;
      case Param.DataCodingScheme:
        s.dcsRaw ??= value;
        break;
      case Param.UserDataHeader:
        s.udh ??= value;
        break;
      case Param.UserData:
        s.ud ??= value;
        break;
      case Param.UserDataBinary:
        s.udb ??= value;
        break;
      case Param.ServiceCentreTimeStamp:
        s.timestamp ??= value;
        break;
      case Param.DischargeTime:
        s.dischargeTime ??= value;
        break;
      case Param.StatusReportRequest:
        s.srr ??= value;
        break;
      case Param.StatusCode:
        if (s.statusCode === undefined && INT.test(value)) s.statusCode = value;
        break;
      case Param.StatusErrorCode:
        if (s.statusErrorCode === undefined && INT.test(value)) s.statusErrorCode = value;
        break;
      case Param.ErrorCode:
        if (s.errorCode === undefined && INT.test(value)) s.errorCode = value;
        break;
      case Param.ErrorText:
        s.errorText ??= value;
        break;
      default:
        break;
    }
  }
  return s;
}

/** The transcript's reading of an integer value: up to 9 digits, optional minus. */
function strictInt(value: string | undefined): number | undefined {
  return value !== undefined && INT.test(value) ? Number(value) : undefined;
}

/** The request's reading of an integer value: any JavaScript integer notation, not empty. */
function looseInt(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isInteger(n) ? n : undefined;
}

/** A user-data decode: the result or what it threw. */
type UserDataOutcome =
  | { readonly ok: true; readonly value: DecodedUserData }
  | { readonly ok: false; readonly error: unknown };

function hasUserData(s: Scan): boolean {
  return s.ud !== undefined || s.udb !== undefined || s.udh !== undefined || s.dcsRaw !== undefined;
}

function runDecode(s: Scan, dcs: number | undefined): UserDataOutcome {
  const input: Mutable<UserDataParams> = {};
  if (dcs !== undefined) input.dcs = dcs;
  if (s.udh !== undefined) input.udh = s.udh;
  if (s.ud !== undefined) input.userData = s.ud;
  if (s.udb !== undefined) input.userDataBinary = s.udb;
  try {
    return { ok: true, value: decodeUserData(input) };
  } catch (error) {
    return { ok: false, error };
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Uppercase hex of `b`. */
function hex(b: Buffer): string {
  return b.toString('hex').toUpperCase();
}

/**
 * One frame, decoded once: `fields` (the transcript's view) and `request` (the Responder's view)
 * share the parameter scan and the user-data decode; each view is built when first asked for.
 */
export class FrameDecode {
  readonly frame: Frame;
  private readonly s: Scan;
  /** The decode with the transcript's reading of 030 (also the request's when they agree). */
  private strict: UserDataOutcome | undefined;
  private fieldsValue: FrameFields | undefined;
  private requestValue: DecodedRequest | undefined;

  constructor(frame: Frame) {
    this.frame = frame;
    this.s = scan(frame);
  }

  /** The transcript's `fields` (see {@link FrameFields}); never throws. */
  get fields(): FrameFields {
    return (this.fieldsValue ??= this.buildFields());
  }

  /** The Responder's fields of a request; user data that does not decode gives `userDataError`. */
  get request(): DecodedRequest {
    return (this.requestValue ??= this.buildRequest());
  }

  private strictDecode(dcs: number | undefined): UserDataOutcome {
    return (this.strict ??= runDecode(this.s, dcs));
  }

  private buildFields(): FrameFields {
    const s = this.s;
    const f: Mutable<FrameFields> = {};
    if (s.user !== undefined) f.user = s.user;
    const destinations = s.destinations;
    if (destinations !== undefined) {
      f.destination = destinations[0] ?? '';
      if (destinations.length > 1) f.destinations = destinations;
    }
    const orig = s.originator ?? s.alnum;
    if (orig !== undefined) f.originator = orig;
    if (hasUserData(s)) this.userDataFields(f);
    if (s.timestamp !== undefined) f.timestamp = s.timestamp;
    if (s.dischargeTime !== undefined) f.dischargeTime = s.dischargeTime;
    const statusCode = strictInt(s.statusCode);
    if (statusCode !== undefined) {
      f.statusCode = statusCode;
      f.statusName = statusName(statusCode);
    }
    const statusErrorCode = strictInt(s.statusErrorCode);
    if (statusErrorCode !== undefined) f.statusErrorCode = statusErrorCode;
    const errorCode = strictInt(s.errorCode);
    if (errorCode !== undefined) f.errorCode = errorCode;
    if (s.errorText !== undefined) f.errorText = s.errorText;
    return f;
  }

  private userDataFields(f: Mutable<FrameFields>): void {
    const { dcsRaw } = this.s;
    let dcs: number | undefined;
    if (dcsRaw !== undefined) {
      dcs = strictInt(dcsRaw);
      if (dcs === undefined) {
        f.userDataError = `data coding scheme (030) ${JSON.stringify(dcsRaw)} is not an integer`;
        return;
      }
    }
    const outcome = this.strictDecode(dcs);
    if (!outcome.ok) {
      f.userDataError = message(outcome.error);
      return;
    }
    const d = outcome.value;
    if (d.text !== undefined) f.text = d.text;
    else if (d.bytes !== undefined) f.binary = hex(d.bytes);
    f.encoding = d.encoding;
    f.dcs = d.dcs;
    if (d.udh !== undefined) f.udh = hex(d.udh);
    const concat = d.udhInfo?.concat;
    if (concat !== undefined) {
      f.parts = concat.total;
      f.part = concat.seq;
      f.reference = concat.ref;
    }
  }

  private buildRequest(): DecodedRequest {
    const s = this.s;
    const fields: Mutable<RequestFields> = {};
    if (s.user !== undefined) fields.user = s.user;
    if (s.password !== undefined) fields.password = s.password;
    const first = s.destinations?.[0];
    if (first !== undefined && s.destinations !== undefined) {
      fields.destination = first;
      fields.destinations = s.destinations;
    }
    const originator = s.originator ?? s.alnum;
    if (originator !== undefined) fields.originator = originator;
    if (s.timestamp !== undefined) fields.timestamp = s.timestamp;
    const srr = looseInt(s.srr);
    if (srr !== undefined) fields.statusReportRequest = srr;
    if (!hasUserData(s)) return { fields };
    const dcs = looseInt(s.dcsRaw);
    // The transcript's decode is reused when both read 030 alike (every well-formed frame).
    const outcome =
      s.dcsRaw === undefined || strictInt(s.dcsRaw) === dcs
        ? this.strictDecode(dcs)
        : runDecode(s, dcs);
    if (!outcome.ok) {
      const { error } = outcome;
      const code =
        typeof (error as { cimdErrorCode?: unknown }).cimdErrorCode === 'number'
          ? (error as { cimdErrorCode: number }).cimdErrorCode
          : 302;
      return { fields, userDataError: { code, message: message(error) } };
    }
    const decoded = outcome.value;
    fields.encoding = decoded.encoding;
    fields.dcs = decoded.dcs;
    if (decoded.text !== undefined) fields.text = decoded.text;
    if (decoded.bytes !== undefined) fields.binary = hex(decoded.bytes);
    if (decoded.udh !== undefined) fields.udh = hex(decoded.udh);
    fields.parts = decoded.udhInfo?.concat?.total ?? 1;
    return { fields, userData: decoded };
  }
}

/** Decodes a frame once; its `fields` and `request` views are built on first use. */
export function decodeFrame(frame: Frame): FrameDecode {
  return new FrameDecode(frame);
}

/**
 * Decoded fields of a frame (see {@link FrameFields}). Never throws: user data that does not
 * decode gives `userDataError` instead of `text`.
 */
export function frameFields(frame: Frame): FrameFields {
  return new FrameDecode(frame).fields;
}

/** Decodes the fields of any request (login, submit, enquire, cancel …). */
export function decodeRequest(frame: Frame): DecodedRequest {
  return new FrameDecode(frame).request;
}
