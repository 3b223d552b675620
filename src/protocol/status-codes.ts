/**
 * CIMD2 error codes (parameter 900, docs/protocol.md#error-codes-900), status codes (061, docs/protocol.md#status-codes-061), status error
 * codes (062, docs/protocol.md#status-error-codes-062) and the status report request bit field (056, docs/protocol.md#status-report-request-056).
 */

/** Error codes carried in parameter 900 (docs/protocol.md#error-codes-900: the union of all sources). */
export const CimdError = {
  NoError: 0, // 0 no error
  UnexpectedOperation: 1, // 1 unexpected operation
  SyntaxError: 2, // 2 syntax error
  UnsupportedParameter: 3, // 3 unsupported parameter error
  ConnectionLost: 4, // 4 connection to SMS centre lost
  NoResponse: 5, // 5 no response from SMS centre
  GeneralSystemError: 6, // 6 general system error
  CannotFindInformation: 7, // 7 cannot find information
  ParameterFormatError: 8, // 8 parameter formatting error
  OperationFailed: 9, // 9 requested operation failed
  TemporaryCongestion: 10, // 10 temporary congestion error
  InvalidLogin: 100, // 100 invalid login
  IncorrectAccessType: 101, // 101 incorrect access type
  TooManyUsers: 102, // 102 too many users with this login ID
  LoginRefused: 103, // 103 login refused by SMS centre
  InvalidWindowSize: 104, // 104 invalid window size
  WindowingDisabled: 105, // 105 windowing disabled
  VirtualSmscBarring: 106, // 106 virtual SMS centre-based barring
  InvalidSubaddress: 107, // 107 invalid subaddr
  AliasAccountLoginRefused: 108, // 108 alias account, login refused
  IncorrectDestinationAddress: 300, // 300 incorrect destination address
  IncorrectNumberOfDestinations: 301, // 301 incorrect number of destination addresses
  UserDataSyntaxError: 302, // 302 syntax error in user data parameter
  IncorrectUserDataCombination: 303, // 303 incorrect bin/head/normal user data combination
  IncorrectDcsUsage: 304, // 304 incorrect DCS parameter usage
  IncorrectValidityPeriodUsage: 305, // 305 incorrect validity period parameters usage
  IncorrectOriginatorAddressUsage: 306, // 306 incorrect originator address usage
  IncorrectPidUsage: 307, // 307 incorrect PID parameter usage
  IncorrectFirstDeliveryUsage: 308, // 308 incorrect first delivery parameter usage
  IncorrectReplyPathUsage: 309, // 309 incorrect reply path usage
  IncorrectStatusReportRequestUsage: 310, // 310 incorrect status report request parameter usage
  IncorrectCancelEnabledUsage: 311, // 311 incorrect cancel enabled parameter usage
  IncorrectPriorityUsage: 312, // 312 incorrect priority parameter usage
  IncorrectTariffClassUsage: 313, // 313 incorrect tariff class parameter usage
  IncorrectServiceDescriptionUsage: 314, // 314 incorrect service description parameter usage
  IncorrectTransportTypeUsage: 315, // 315 incorrect transport type parameter usage
  IncorrectMessageTypeUsage: 316, // 316 incorrect message type parameter usage
  IncorrectMoreMessagesToSendUsage: 318, // 318 incorrect MMS parameter usage
  IncorrectOperationTimerUsage: 319, // 319 incorrect operation timer parameter usage
  IncorrectDialogueIdUsage: 320, // 320 incorrect dialogue ID parameter usage
  IncorrectAlphaOriginatorUsage: 321, // 321 incorrect alpha originator address usage
  InvalidAlphanumericOriginatorData: 322, // 322 invalid data for alphanumeric originator
  OnlineClosedUserGroupRejection: 323, // 323 online closed user group rejection (E only)
  LicenceExceeded: 324, // 324 licence exceeded (E only)
  EnquireIncorrectAddress: 400, // 400 incorrect address parameter usage (enquire)
  EnquireIncorrectScts: 401, // 401 incorrect SCTS parameter usage (enquire)
  DeliveryRequestIncorrectScts: 500, // 500 incorrect SCTS parameter usage (delivery request)
  DeliveryRequestIncorrectMode: 501, // 501 incorrect mode parameter usage (delivery request)
  DeliveryRequestIncorrectCombination: 502, // 502 incorrect parameter combination (delivery request)
  CancelIncorrectScts: 600, // 600 incorrect SCTS parameter usage (cancel)
  CancelIncorrectAddress: 601, // 601 incorrect address parameter usage (cancel)
  CancelIncorrectMode: 602, // 602 incorrect mode parameter usage (cancel)
  CancelIncorrectCombination: 603, // 603 incorrect parameter combination (cancel)
  DeliveryOk: 700, // 700 delivery OK (deliver group, E only)
  DeliveryGenericFailure: 710, // 710 generic failure (deliver group, E only)
  DeliveryUnsupportedDcs: 711, // 711 unsupported DCS (deliver group, E only)
  DeliveryUnsupportedUdh: 712, // 712 unsupported UDH (deliver group, E only)
  DeliveryUnknownSubscriber: 730, // 730 unknown subscriber (deliver group, E only)
  ChangingPasswordFailed: 800, // 800 changing password failed
  ChangingPasswordNotAllowed: 801, // 801 changing password not allowed
  UnsupportedItemRequested: 900, // 900 unsupported item requested (get)
} as const;

/** One of the error codes of {@link CimdError}. */
export type CimdErrorCode = (typeof CimdError)[keyof typeof CimdError];

/**
 * Error texts for parameter 901, worded as in docs/protocol.md#error-codes-900 without our parenthetical
 * annotations. Every text is a valid 901 value (printable ASCII, at most 64 bytes).
 */
export const ERROR_TEXTS: Readonly<Record<CimdErrorCode, string>> = Object.freeze({
  0: 'No error',
  1: 'Unexpected operation',
  2: 'Syntax error',
  3: 'Unsupported parameter error',
  4: 'Connection to SMS centre lost',
  5: 'No response from SMS centre',
  6: 'General system error',
  7: 'Cannot find information',
  8: 'Parameter formatting error',
  9: 'Requested operation failed',
  10: 'Temporary congestion error',
  100: 'Invalid login',
  101: 'Incorrect access type',
  102: 'Too many users with this login ID',
  103: 'Login refused by SMS centre',
  104: 'Invalid window size',
  105: 'Windowing disabled',
  106: 'Virtual SMS centre-based barring',
  107: 'Invalid subaddr',
  108: 'Alias account, login refused',
  300: 'Incorrect destination address',
  301: 'Incorrect number of destination addresses',
  302: 'Syntax error in user data parameter',
  303: 'Incorrect bin/head/normal user data parameter combination',
  304: 'Incorrect DCS parameter usage',
  305: 'Incorrect validity period parameters usage',
  306: 'Incorrect originator address usage',
  307: 'Incorrect PID parameter usage',
  308: 'Incorrect first delivery parameter usage',
  309: 'Incorrect reply path usage',
  310: 'Incorrect status report request parameter usage',
  311: 'Incorrect cancel enabled parameter usage',
  312: 'Incorrect priority parameter usage',
  313: 'Incorrect tariff class parameter usage',
  314: 'Incorrect service description parameter usage',
  315: 'Incorrect transport type parameter usage',
  316: 'Incorrect message type parameter usage',
  318: 'Incorrect MMS parameter usage',
  319: 'Incorrect operation timer parameter usage',
  320: 'Incorrect dialogue ID parameter usage',
  321: 'Incorrect alpha originator address usage',
  322: 'Invalid data for alphanumeric originator',
  323: 'Online closed user group rejection',
  324: 'Licence exceeded',
  400: 'Incorrect address parameter usage',
  401: 'Incorrect SCTS parameter usage',
  500: 'Incorrect SCTS parameter usage',
  501: 'Incorrect mode parameter usage',
  502: 'Incorrect parameter combination',
  600: 'Incorrect SCTS parameter usage',
  601: 'Incorrect address parameter usage',
  602: 'Incorrect mode parameter usage',
  603: 'Incorrect parameter combination',
  700: 'Delivery OK',
  710: 'Generic failure',
  711: 'Unsupported DCS',
  712: 'Unsupported UDH',
  730: 'Unknown subscriber',
  800: 'Changing password failed',
  801: 'Changing password not allowed',
  900: 'Unsupported item requested',
});

/** True when `code` is one of the docs/protocol.md#error-codes-900 error codes. */
export function isKnownError(code: number): code is CimdErrorCode {
  return Object.hasOwn(ERROR_TEXTS, code);
}

/** The docs/protocol.md#error-codes-900 text for an error code; unknown codes give `Error NNN` (at least three digits). */
export function errorText(code: number): string {
  return isKnownError(code) ? ERROR_TEXTS[code] : `Error ${String(code).padStart(3, '0')}`;
}

/** Status codes carried in parameter 061 (docs/protocol.md#status-codes-061). */
export const StatusCode = {
  Unknown: 0, // 0 no status / unknown
  InProcess: 1, // 1 in process
  ValidityPeriodExpired: 2, // 2 validity period expired
  DeliveryFailed: 3, // 3 delivery failed
  DeliverySuccessful: 4, // 4 delivery successful
  NoResponse: 5, // 5 no response
  LastNoResponse: 6, // 6 last no response
  MessageCancelled: 7, // 7 message cancelled
  MessageDeleted: 8, // 8 message deleted
  MessageDeletedByCancel: 9, // 9 message deleted by cancel
} as const;

/** One of the status codes of {@link StatusCode}. */
export type StatusCodeValue = (typeof StatusCode)[keyof typeof StatusCode];

/** Stable kebab-case names of the 061 status codes, used in scenarios and transcripts. */
export const STATUS_NAMES: Readonly<Record<StatusCodeValue, string>> = Object.freeze({
  0: 'unknown',
  1: 'in-process',
  2: 'expired',
  3: 'failed',
  4: 'delivered',
  5: 'no-response',
  6: 'last-no-response',
  7: 'cancelled',
  8: 'deleted',
  9: 'deleted-by-cancel',
});

const statusByNameMap = new Map<string, StatusCodeValue>(
  Object.entries(STATUS_NAMES).map(([code, name]) => [name, Number(code) as StatusCodeValue]),
);

/** Kebab-case name of a 061 status code; codes outside 0–9 give `status-N`. */
export function statusName(code: number): string {
  return Object.hasOwn(STATUS_NAMES, code)
    ? STATUS_NAMES[code as StatusCodeValue]
    : `status-${code}`;
}

/** Inverse of {@link statusName} for the ten names of {@link STATUS_NAMES}; undefined otherwise. */
export function statusByName(name: string): StatusCodeValue | undefined {
  return statusByNameMap.get(name);
}

/**
 * True for statuses after which the message's fate is settled (docs/protocol.md#status-codes-061):
 * 2, 3, 4, 6, 7, 8, 9. False for 0 unknown, 1 in process, 5 no response and unknown codes.
 */
export function isFinalStatus(code: number): boolean {
  return code === 2 || code === 3 || code === 4 || (code >= 6 && code <= 9);
}

/** Status error codes of parameter 062 (docs/protocol.md#status-error-codes-062; single source, Wireshark). */
export const STATUS_ERROR_CODES: Readonly<Record<number, string>> = Object.freeze({
  1: 'Unknown subscriber',
  9: 'Illegal subscriber',
  11: 'Teleservice not provisioned',
  13: 'Call barred',
  15: 'CUG reject',
  19: 'No SMS support in MS',
  20: 'Error in MS',
  21: 'Facility not supported',
  22: 'Memory capacity exceeded',
  29: 'Absent subscriber',
  30: 'MS busy for MT SMS',
  36: 'Network/protocol failure',
  44: 'Illegal equipment',
  60: 'No paging response',
  61: 'GMSC congestion',
  63: 'HLR timeout',
  64: 'MSC/SGSN timeout',
  70: 'SMRSE/TCP error',
  72: 'MT congestion',
  75: 'GPRS suspended',
  80: 'No paging response via MSC',
  81: 'IMSI detached',
  82: 'Roaming restriction',
  83: 'Deregistered in HLR for GSM',
  84: 'Purged for GSM',
  85: 'No paging response via SGSN',
  86: 'GPRS detached',
  87: 'Deregistered in HLR for GPRS',
  88: 'MS purged for GPRS',
  89: 'Unidentified subscriber via MSC',
  90: 'Unidentified subscriber via SGSN',
  112: 'Originator missing credit on prepaid account',
  113: 'Destination missing credit on prepaid account',
  114: 'Error in prepaid system',
});

/** The docs/protocol.md#status-error-codes-062 text for a 062 status error code; unknown codes give `Status error NNN`. */
export function statusErrorText(code: number): string {
  return STATUS_ERROR_CODES[code] ?? `Status error ${String(code).padStart(3, '0')}`;
}

/**
 * Bits of the 056 status report request (docs/protocol.md#status-report-request-056; the meanings
 * come from one source only, and agree with Kannel's 14 = expired + failed + successful).
 */
export const StatusReportBits = {
  TemporaryError: 1, // 1 temporary error
  ValidityExpired: 2, // 2 validity period expired
  DeliveryFailed: 4, // 4 delivery failed
  DeliverySuccessful: 8, // 8 delivery successful
  Cancelled: 16, // 16 message cancelled
  Deleted: 32, // 32 message deleted by operator
} as const;

/**
 * The 056 bit that asks for a report of a given 061 status: 1 in process and 5 no response →
 * temporary error (1); 2 → 2; 3 failed and 6 last no response → 4; 4 → 8; 7 cancelled and
 * 9 deleted by cancel → 16; 8 deleted → 32; 0 and unknown codes → 0 (no bit asks for them).
 */
export function statusReportBitFor(statusCode: number): number {
  switch (statusCode) {
    case 1:
    case 5:
      return StatusReportBits.TemporaryError;
    case 2:
      return StatusReportBits.ValidityExpired;
    case 3:
    case 6:
      return StatusReportBits.DeliveryFailed;
    case 4:
      return StatusReportBits.DeliverySuccessful;
    case 7:
    case 9:
      return StatusReportBits.Cancelled;
    case 8:
      return StatusReportBits.Deleted;
    default:
      return 0;
  }
}

/** True when the 056 bit field `bits` asks for a report of status `statusCode` (docs/protocol.md#status-report-request-056). */
export function wantsStatusReport(bits: number, statusCode: number): boolean {
  return (bits & statusReportBitFor(statusCode)) !== 0;
}
