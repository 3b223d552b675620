/**
 * The CIMD2 parameter table (docs/protocol.md#parameters). Types, lengths and ranges follow Kannel's table
 * (which cites the spec), with the disagreements resolved as docs/protocol.md#where-implementations-disagree says
 * (065 length 2, 056 range 0–63, 900 length 3).
 */

/** Parameter codes (docs/protocol.md#parameters). */
export const Param = {
  UserIdentity: 10, // 010 user identity
  Password: 11, // 011 password
  Subaddress: 12, // 012 subaddr
  WindowSize: 19, // 019 window size
  DestinationAddress: 21, // 021 destination address (may repeat in a submit)
  OriginatingAddress: 23, // 023 originating address
  OriginatingImsi: 26, // 026 originating IMSI
  AlphanumericOriginatingAddress: 27, // 027 alphanumeric originating address
  OriginatedVisitedMscAddress: 28, // 028 originated visited MSC address
  DataCodingScheme: 30, // 030 data coding scheme
  UserDataHeader: 32, // 032 user data header
  UserData: 33, // 033 user data
  UserDataBinary: 34, // 034 user data binary
  MoreMessagesToSend: 44, // 044 more messages to send
  ValidityPeriodRelative: 50, // 050 validity period relative
  ValidityPeriodAbsolute: 51, // 051 validity period absolute
  ProtocolIdentifier: 52, // 052 protocol identifier
  FirstDeliveryTimeRelative: 53, // 053 first delivery time relative
  FirstDeliveryTimeAbsolute: 54, // 054 first delivery time absolute
  ReplyPath: 55, // 055 reply path
  StatusReportRequest: 56, // 056 status report request
  CancelEnabled: 58, // 058 cancel enabled
  CancelMode: 59, // 059 cancel mode
  ServiceCentreTimeStamp: 60, // 060 service centre time stamp
  StatusCode: 61, // 061 status code
  StatusErrorCode: 62, // 062 status error code
  DischargeTime: 63, // 063 discharge time
  TariffClass: 64, // 064 tariff class
  ServiceDescription: 65, // 065 service description
  MessageCount: 66, // 066 message count
  Priority: 67, // 067 priority
  DeliveryRequestMode: 68, // 068 delivery request mode
  ServiceCentreAddress: 69, // 069 service centre address
  IpAddress: 71, // 071 IP address (newer spec)
  GetParameter: 500, // 500 get parameter
  McTime: 501, // 501 MC time
  ErrorCode: 900, // 900 error code
  ErrorText: 901, // 901 error text
} as const;

/** One of the parameter codes of {@link Param}. */
export type ParamCode = (typeof Param)[keyof typeof Param];

/**
 * Value types (docs/protocol.md#parameters): `int` decimal digits with optional leading `-`; `addr` digits,
 * `+` and `-`; `str` printable ASCII 32–126; `ud` user-data text (docs/protocol.md#text-and-data-coding); `hex` pairs of hex digits;
 * `time` 12 digits `yymmddhhmmss`; `any` no known restriction (sources give no type).
 */
export type ParamType = 'int' | 'addr' | 'str' | 'ud' | 'hex' | 'time' | 'any';

/** One row of the parameter table (docs/protocol.md#parameters). */
export interface ParameterInfo {
  readonly code: ParamCode;
  /** Three-digit wire form, e.g. "021". */
  readonly key: string;
  /** camelCase name used in scenarios and transcripts, e.g. "destinationAddress". */
  readonly name: string;
  /** Spec wording, e.g. "Destination address". */
  readonly title: string;
  readonly type: ParamType;
  /** Largest number of value bytes on the wire, when the sources give one. */
  readonly maxLength?: number;
  /** Smallest allowed integer value (int only). */
  readonly min?: number;
  /** Largest allowed integer value (int only). */
  readonly max?: number;
  /** True only for 021, the one parameter that may legally repeat (docs/protocol.md#bytes-outside-frames-and-frame-size). */
  readonly repeatable?: boolean;
}

type Extra = Pick<ParameterInfo, 'maxLength' | 'min' | 'max' | 'repeatable'>;

function p(
  code: ParamCode,
  name: string,
  title: string,
  type: ParamType,
  extra: Extra = {},
): ParameterInfo {
  return { code, key: String(code).padStart(3, '0'), name, title, type, ...extra };
}

/** The parameter table keyed by code (docs/protocol.md#parameters). */
export const PARAMETERS: Readonly<Record<ParamCode, ParameterInfo>> = Object.freeze({
  10: p(Param.UserIdentity, 'userIdentity', 'User identity', 'str', { maxLength: 32 }),
  11: p(Param.Password, 'password', 'Password', 'str', { maxLength: 32 }),
  12: p(Param.Subaddress, 'subaddress', 'Subaddr', 'any'),
  19: p(Param.WindowSize, 'windowSize', 'Window size', 'int', { min: 1 }),
  21: p(Param.DestinationAddress, 'destinationAddress', 'Destination address', 'addr', {
    maxLength: 20,
    repeatable: true,
  }),
  23: p(Param.OriginatingAddress, 'originatingAddress', 'Originating address', 'addr', {
    maxLength: 20,
  }),
  26: p(Param.OriginatingImsi, 'originatingImsi', 'Originating IMSI', 'addr', { maxLength: 20 }),
  27: p(
    Param.AlphanumericOriginatingAddress,
    'alphanumericOriginatingAddress',
    'Alphanumeric originating address',
    'str',
    { maxLength: 11 },
  ),
  28: p(
    Param.OriginatedVisitedMscAddress,
    'originatedVisitedMscAddress',
    'Originated visited MSC address',
    'addr',
    { maxLength: 20 },
  ),
  30: p(Param.DataCodingScheme, 'dataCodingScheme', 'Data coding scheme', 'int', {
    maxLength: 3,
    min: 0,
    max: 255,
  }),
  32: p(Param.UserDataHeader, 'userDataHeader', 'User data header', 'hex', { maxLength: 280 }),
  33: p(Param.UserData, 'userData', 'User data', 'ud', { maxLength: 480 }),
  34: p(Param.UserDataBinary, 'userDataBinary', 'User data binary', 'hex', { maxLength: 280 }),
  44: p(Param.MoreMessagesToSend, 'moreMessagesToSend', 'More messages to send', 'int', {
    maxLength: 1,
    min: 0,
    max: 1,
  }),
  50: p(Param.ValidityPeriodRelative, 'validityPeriodRelative', 'Validity period relative', 'int', {
    maxLength: 3,
    min: -1,
    max: 255,
  }),
  51: p(
    Param.ValidityPeriodAbsolute,
    'validityPeriodAbsolute',
    'Validity period absolute',
    'time',
    { maxLength: 12 },
  ),
  52: p(Param.ProtocolIdentifier, 'protocolIdentifier', 'Protocol identifier', 'int', {
    maxLength: 3,
    min: 0,
    max: 255,
  }),
  53: p(
    Param.FirstDeliveryTimeRelative,
    'firstDeliveryTimeRelative',
    'First delivery time relative',
    'int',
    { maxLength: 3, min: -1, max: 255 },
  ),
  54: p(
    Param.FirstDeliveryTimeAbsolute,
    'firstDeliveryTimeAbsolute',
    'First delivery time absolute',
    'time',
    { maxLength: 12 },
  ),
  55: p(Param.ReplyPath, 'replyPath', 'Reply path', 'int', { maxLength: 1, min: 0, max: 1 }),
  56: p(Param.StatusReportRequest, 'statusReportRequest', 'Status report request', 'int', {
    maxLength: 2,
    min: 0,
    max: 63,
  }),
  58: p(Param.CancelEnabled, 'cancelEnabled', 'Cancel enabled', 'int', {
    maxLength: 1,
    min: 0,
    max: 1,
  }),
  59: p(Param.CancelMode, 'cancelMode', 'Cancel mode', 'int', { maxLength: 1, min: 0, max: 2 }),
  60: p(
    Param.ServiceCentreTimeStamp,
    'serviceCentreTimeStamp',
    'Service centre time stamp',
    'time',
    { maxLength: 12 },
  ),
  61: p(Param.StatusCode, 'statusCode', 'Status code', 'int', { maxLength: 2, min: 0, max: 9 }),
  62: p(Param.StatusErrorCode, 'statusErrorCode', 'Status error code', 'int', {
    maxLength: 3,
    min: 0,
    max: 999,
  }),
  63: p(Param.DischargeTime, 'dischargeTime', 'Discharge time', 'time', { maxLength: 12 }),
  64: p(Param.TariffClass, 'tariffClass', 'Tariff class', 'int', {
    maxLength: 2,
    min: 0,
    max: 99,
  }),
  65: p(Param.ServiceDescription, 'serviceDescription', 'Service description', 'int', {
    maxLength: 2,
    min: 0,
    max: 9,
  }),
  66: p(Param.MessageCount, 'messageCount', 'Message count', 'int', {
    maxLength: 3,
    min: 0,
    max: 999,
  }),
  67: p(Param.Priority, 'priority', 'Priority', 'int', { maxLength: 1, min: 1, max: 9 }),
  68: p(Param.DeliveryRequestMode, 'deliveryRequestMode', 'Delivery request mode', 'int', {
    maxLength: 1,
    min: 0,
    max: 2,
  }),
  69: p(Param.ServiceCentreAddress, 'serviceCentreAddress', 'Service centre address', 'addr', {
    maxLength: 20,
  }),
  71: p(Param.IpAddress, 'ipAddress', 'IP address', 'any'),
  500: p(Param.GetParameter, 'getParameter', 'Get parameter', 'int', {
    maxLength: 3,
    min: 501,
    max: 999,
  }),
  501: p(Param.McTime, 'mcTime', 'MC time', 'time', { maxLength: 12 }),
  900: p(Param.ErrorCode, 'errorCode', 'Error code', 'int', { maxLength: 3, min: 0, max: 999 }),
  901: p(Param.ErrorText, 'errorText', 'Error text', 'str', { maxLength: 64 }),
});

const byName = new Map<string, ParameterInfo>(
  Object.values(PARAMETERS).map((info) => [info.name, info]),
);

/** The table row of a parameter code, or undefined for codes not in docs/protocol.md#parameters. */
export function paramInfo(code: number): ParameterInfo | undefined {
  return Object.hasOwn(PARAMETERS, code) ? PARAMETERS[code as ParamCode] : undefined;
}

/** The table row for a camelCase parameter name (e.g. "destinationAddress"), or undefined. */
export function paramByName(name: string): ParameterInfo | undefined {
  return byName.get(name);
}

/**
 * Human label for messages: `parameter 021 (destination address)`, or `parameter 777` for codes
 * not in the table.
 */
export function describeParam(code: number): string {
  const key = String(code).padStart(3, '0');
  const info = paramInfo(code);
  if (!info) return `parameter ${key}`;
  const t = info.title;
  // Keep acronyms ("IP address", "MC time") intact; lowercase ordinary sentence case.
  const title = /^[A-Z][A-Z]/.test(t) ? t : t.charAt(0).toLowerCase() + t.slice(1);
  return `parameter ${key} (${title})`;
}
