/**
 * The parameters of a deliver message (op 20) the server sends, one list per concatenated part,
 * in the order Kannel reads them (docs/protocol.md#error-codes-900, #user-data-header-and-concatenation). Pure: the caller supplies the 060 and
 * the concatenation reference.
 */
import { isGsm7 } from './charset/gsm7.js';
import type { TextEncoding } from './encodings.js';
import type { Parameter } from './frame.js';
import { Param } from './parameters.js';
import { splitMessage } from './segment.js';
import { encodeUserData } from './user-data.js';

/** Submit-like options of a deliver message. */
export interface DeliverOptions {
  readonly statusReportRequest?: number;
  /** Class 0. */
  readonly flash?: boolean;
  readonly messageClass?: 0 | 1 | 2 | 3;
  /** PID 0x40, short message type 0. */
  readonly zeroSms?: boolean;
  readonly protocolIdentifier?: number;
  readonly validityRelative?: number;
  readonly validityAbsolute?: string;
  readonly deliveryTimeRelative?: number;
  readonly deliveryTimeAbsolute?: string;
}

/** What a deliver message carries. */
export interface DeliverContent {
  /** 021: the application's number the MO is sent to. */
  readonly destination: string;
  /** 023 (digits, +, -) or 027 (alphanumeric). */
  readonly originator: string;
  readonly text?: string;
  readonly bytes?: Uint8Array;
  /** Default: gsm7 when every character is in the GSM alphabet, else ucs2 (binary for bytes). */
  readonly encoding?: TextEncoding;
  /** Extra UDH information elements as bytes incl. UDHL (e.g. port addressing). */
  readonly udh?: Uint8Array;
  readonly options?: DeliverOptions;
  /** Extra parameters appended to every part. */
  readonly extraParameters?: readonly Parameter[];
  readonly referenceBits?: 8 | 16;
}

/** The encoding a deliver message uses when it names none. */
export function deliverEncoding(content: DeliverContent): TextEncoding {
  if (content.encoding !== undefined) return content.encoding;
  if (content.text === undefined) return 'binary';
  return isGsm7(content.text) ? 'gsm7' : 'ucs2';
}

/**
 * Parameters of each part: 021, 023/027, 060 `timestamp`, then DCS, UDH (with the
 * concatenation IE using `reference` when split), user data, PID, 056, validity and delivery
 * times, then the extra parameters.
 */
export function buildDeliverParts(
  content: DeliverContent,
  resolved: { readonly timestamp: string; readonly reference: number },
): Parameter[][] {
  const encoding = deliverEncoding(content);
  const parts = splitMessage({
    ...(content.text !== undefined ? { text: content.text } : {}),
    ...(content.bytes !== undefined ? { bytes: content.bytes } : {}),
    ...(content.udh !== undefined ? { udh: content.udh } : {}),
    encoding,
    reference: resolved.reference,
    referenceBits: content.referenceBits ?? 8,
  });
  const o = content.options ?? {};
  const originatorParam = /^[0-9+-]*$/.test(content.originator)
    ? Param.OriginatingAddress
    : Param.AlphanumericOriginatingAddress;
  return parts.map((part) => {
    const ud = encodeUserData({
      ...(part.text !== undefined ? { text: part.text } : {}),
      ...(part.bytes !== undefined ? { bytes: part.bytes } : {}),
      ...(part.udh !== undefined ? { udh: part.udh } : {}),
      encoding,
      ...(o.messageClass !== undefined ? { messageClass: o.messageClass } : {}),
      ...(o.flash === true ? { flash: true } : {}),
    });
    const params: Parameter[] = [
      { code: Param.DestinationAddress, value: content.destination },
      { code: originatorParam, value: content.originator },
      { code: Param.ServiceCentreTimeStamp, value: resolved.timestamp },
    ];
    if (ud.dcs !== undefined) params.push({ code: Param.DataCodingScheme, value: String(ud.dcs) });
    if (ud.udh !== undefined) params.push({ code: Param.UserDataHeader, value: ud.udh });
    if (ud.userData !== undefined) params.push({ code: Param.UserData, value: ud.userData });
    if (ud.userDataBinary !== undefined)
      params.push({ code: Param.UserDataBinary, value: ud.userDataBinary });
    const pid = o.zeroSms === true ? 0x40 : o.protocolIdentifier;
    if (pid !== undefined) params.push({ code: Param.ProtocolIdentifier, value: String(pid) });
    if (o.statusReportRequest !== undefined)
      params.push({ code: Param.StatusReportRequest, value: String(o.statusReportRequest) });
    if (o.validityRelative !== undefined)
      params.push({ code: Param.ValidityPeriodRelative, value: String(o.validityRelative) });
    if (o.validityAbsolute !== undefined)
      params.push({ code: Param.ValidityPeriodAbsolute, value: o.validityAbsolute });
    if (o.deliveryTimeRelative !== undefined)
      params.push({ code: Param.FirstDeliveryTimeRelative, value: String(o.deliveryTimeRelative) });
    if (o.deliveryTimeAbsolute !== undefined)
      params.push({ code: Param.FirstDeliveryTimeAbsolute, value: o.deliveryTimeAbsolute });
    params.push(...(content.extraParameters ?? []));
    return params;
  });
}
