/**
 * The submit events of a decoded 03: `submit` (OnCimd2SubmitMessageReceived) and the part the
 * reassembler gets. The fields come from the frame's one decode (protocol/fields.ts).
 */
import type { Frame } from '../protocol/frame.js';
import { getParam } from '../protocol/frame.js';
import type { DecodedRequest } from '../protocol/fields.js';
import { Param } from '../protocol/parameters.js';
import { relativeValidityToMs } from '../protocol/values.js';
import type { DecodedUserData } from '../protocol/user-data.js';
import type { SubmitEvent, SubmitOptions, SubmitTime } from './events.js';
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

function intParam(frame: Frame, code: number): number | undefined {
  const v = getParam(frame, code);
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : undefined;
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
