/**
 * Turns an inbound request frame into the decoded fields the Responder and the events see.
 * User-data problems become a CIMD2 error code (302/303/304) for the 53, not a throw.
 */
import type { Frame } from '../protocol/frame.js';
import { getAllParams, getParam } from '../protocol/frame.js';
import { Param } from '../protocol/parameters.js';
import { relativeValidityToMs } from '../protocol/values.js';
import { decodeUserData, type DecodedUserData } from '../protocol/user-data.js';
import type { SubmitEvent, SubmitOptions, SubmitTime } from './events.js';
import type { RequestFields } from './ports.js';
import type { SubmittedPart } from './reassembler.js';

const THIRTY_ONE_DAYS = 31 * 24 * 3600 * 1000;

/** Parameters a submit's decoded fields already cover. */
const SUBMIT_KNOWN = new Set<number>([
  Param.DestinationAddress,
  Param.OriginatingAddress,
  Param.AlphanumericOriginatingAddress,
  Param.DataCodingScheme,
  Param.UserDataHeader,
  Param.UserData,
  Param.UserDataBinary,
  Param.MoreMessagesToSend,
  Param.ValidityPeriodRelative,
  Param.ValidityPeriodAbsolute,
  Param.ProtocolIdentifier,
  Param.FirstDeliveryTimeRelative,
  Param.FirstDeliveryTimeAbsolute,
  Param.ReplyPath,
  Param.StatusReportRequest,
  Param.CancelEnabled,
  Param.TariffClass,
  Param.ServiceDescription,
  Param.Priority,
]);

export interface DecodedRequest {
  readonly fields: RequestFields;
  /** Set when the user data could not be decoded: the CIMD2 error code to answer with. */
  readonly userDataError?: { readonly code: number; readonly message: string };
  readonly userData?: DecodedUserData;
}

function intParam(frame: Frame, code: number): number | undefined {
  const v = getParam(frame, code);
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : undefined;
}

/** Decodes the fields of any request (login, submit, enquire, cancel …). */
export function decodeRequest(frame: Frame): DecodedRequest {
  const fields: {
    -readonly [K in keyof RequestFields]: RequestFields[K];
  } = {};
  const user = getParam(frame, Param.UserIdentity);
  if (user !== undefined) fields.user = user;
  const password = getParam(frame, Param.Password);
  if (password !== undefined) fields.password = password;
  const destinations = getAllParams(frame, Param.DestinationAddress);
  const first = destinations[0];
  if (first !== undefined) {
    fields.destination = first;
    fields.destinations = destinations;
  }
  const originator =
    getParam(frame, Param.OriginatingAddress) ??
    getParam(frame, Param.AlphanumericOriginatingAddress);
  if (originator !== undefined) fields.originator = originator;
  const timestamp = getParam(frame, Param.ServiceCentreTimeStamp);
  if (timestamp !== undefined) fields.timestamp = timestamp;
  const srr = intParam(frame, Param.StatusReportRequest);
  if (srr !== undefined) fields.statusReportRequest = srr;

  const ud = getParam(frame, Param.UserData);
  const udb = getParam(frame, Param.UserDataBinary);
  const udh = getParam(frame, Param.UserDataHeader);
  const dcsRaw = getParam(frame, Param.DataCodingScheme);
  if (ud === undefined && udb === undefined && udh === undefined && dcsRaw === undefined) {
    return { fields };
  }
  try {
    const input: { dcs?: number; udh?: string; userData?: string; userDataBinary?: string } = {};
    const dcs = intParam(frame, Param.DataCodingScheme);
    if (dcs !== undefined) input.dcs = dcs;
    if (udh !== undefined) input.udh = udh;
    if (ud !== undefined) input.userData = ud;
    if (udb !== undefined) input.userDataBinary = udb;
    const decoded = decodeUserData(input);
    fields.encoding = decoded.encoding;
    fields.dcs = decoded.dcs;
    if (decoded.text !== undefined) fields.text = decoded.text;
    if (decoded.bytes !== undefined) fields.binary = decoded.bytes.toString('hex').toUpperCase();
    if (decoded.udh !== undefined) fields.udh = decoded.udh.toString('hex').toUpperCase();
    fields.parts = decoded.udhInfo?.concat?.total ?? 1;
    return { fields, userData: decoded };
  } catch (error) {
    const code =
      typeof (error as { cimdErrorCode?: unknown }).cimdErrorCode === 'number'
        ? (error as { cimdErrorCode: number }).cimdErrorCode
        : 302;
    return {
      fields,
      userDataError: { code, message: error instanceof Error ? error.message : String(error) },
    };
  }
}

function submitTime(frame: Frame, relCode: number, absCode: number): SubmitTime | undefined {
  const rel = intParam(frame, relCode);
  if (rel !== undefined) {
    return rel < 0
      ? { relative: rel }
      : { relative: rel, ms: Math.min(relativeValidityToMs(rel), THIRTY_ONE_DAYS) };
  }
  const abs = getParam(frame, absCode);
  return abs === undefined ? undefined : { absolute: abs };
}

/** The submit-only details of OnCimd2SubmitMessageReceived. */
export function submitDetails(
  frame: Frame,
  userData: DecodedUserData | undefined,
): {
  options: SubmitOptions;
  validityPeriod: SubmitTime | undefined;
  deliveryTime: SubmitTime | undefined;
  extraParameters: { code: number; value: string }[];
} {
  const options: { -readonly [K in keyof SubmitOptions]: SubmitOptions[K] } = {};
  const srr = intParam(frame, Param.StatusReportRequest);
  if (srr !== undefined) options.statusReportRequest = srr;
  const rp = intParam(frame, Param.ReplyPath);
  if (rp !== undefined) options.replyPath = rp === 1;
  const mms = intParam(frame, Param.MoreMessagesToSend);
  if (mms !== undefined) options.moreMessagesToSend = mms === 1;
  const pid = intParam(frame, Param.ProtocolIdentifier);
  if (pid !== undefined) options.protocolIdentifier = pid;
  const tc = intParam(frame, Param.TariffClass);
  if (tc !== undefined) options.tariffClass = tc;
  const sd = intParam(frame, Param.ServiceDescription);
  if (sd !== undefined) options.serviceDescription = sd;
  const prio = intParam(frame, Param.Priority);
  if (prio !== undefined) options.priority = prio;
  const ce = intParam(frame, Param.CancelEnabled);
  if (ce !== undefined) options.cancelEnabled = ce === 1;
  const cls = userData?.dcsInfo.messageClass;
  if (cls !== undefined) {
    options.messageClass = cls;
    options.flash = cls === 0;
  }
  const extraParameters = frame.params
    .filter((p) => !SUBMIT_KNOWN.has(p.code))
    .map((p) => ({ code: p.code, value: p.value }));
  return {
    options,
    validityPeriod: submitTime(frame, Param.ValidityPeriodRelative, Param.ValidityPeriodAbsolute),
    deliveryTime: submitTime(
      frame,
      Param.FirstDeliveryTimeRelative,
      Param.FirstDeliveryTimeAbsolute,
    ),
    extraParameters,
  };
}

/** The `submit` event (OnCimd2SubmitMessageReceived) of a decoded 03. */
export function submitEvent(
  clientId: string,
  user: string | undefined,
  frame: Frame,
  decoded: DecodedRequest,
): SubmitEvent {
  const f = decoded.fields;
  const ud = decoded.userData;
  const details = submitDetails(frame, ud);
  return {
    clientId,
    user,
    pn: frame.pn,
    destination: f.destination ?? '',
    destinations: f.destinations ?? [],
    originator: f.originator,
    encoding: ud?.encoding ?? 'gsm7',
    dcs: ud?.dcs ?? 0,
    options: details.options,
    extraParameters: details.extraParameters,
    frame,
    ...(ud?.text !== undefined ? { text: ud.text } : {}),
    ...(ud?.bytes !== undefined ? { bytes: ud.bytes } : {}),
    ...(ud?.udh !== undefined ? { udh: ud.udh } : {}),
    ...(details.validityPeriod !== undefined ? { validityPeriod: details.validityPeriod } : {}),
    ...(details.deliveryTime !== undefined ? { deliveryTime: details.deliveryTime } : {}),
  };
}

/** A decoded 03 as one part for the reassembler. */
export function submittedPart(
  clientId: string,
  user: string | undefined,
  frame: Frame,
  decoded: DecodedRequest,
): SubmittedPart {
  const ud = decoded.userData;
  const concat = ud?.udhInfo?.concat;
  return {
    clientId,
    user,
    destination: decoded.fields.destination ?? '',
    originator: decoded.fields.originator,
    pn: frame.pn,
    encoding: ud?.encoding ?? 'gsm7',
    ...(ud?.text !== undefined ? { text: ud.text } : {}),
    ...(ud?.bytes !== undefined ? { bytes: ud.bytes } : {}),
    ...(concat !== undefined
      ? { concat: { ref: concat.ref, total: concat.total, seq: concat.seq } }
      : {}),
  };
}
