/**
 * The CIMD2 operation table (docs/protocol.md#operations). Every other module (codec, scenario names,
 * transcripts, `explain`) reads operation names and pairings from here.
 */

/** Operation codes (docs/protocol.md#operations). Responses are request + 50. */
export const Op = {
  Login: 1, // 01 login
  Logout: 2, // 02 logout
  Submit: 3, // 03 submit message
  Enquire: 4, // 04 enquire message status
  DeliveryRequest: 5, // 05 delivery request
  Cancel: 6, // 06 cancel message
  Set: 8, // 08 set (parameters)
  Get: 9, // 09 get (parameters)
  SubmitStatusReport: 13, // 13 submit status report (newer spec, P only)
  DeliverMessage: 20, // 20 deliver message (SMSC → app)
  DeliverStatusReport: 23, // 23 deliver status report (SMSC → app)
  Alive: 40, // 40 alive (either side)
  LoginResponse: 51, // 51 login response
  LogoutResponse: 52, // 52 logout response
  SubmitResponse: 53, // 53 submit message response
  EnquireResponse: 54, // 54 enquire message status response
  DeliveryRequestResponse: 55, // 55 delivery request response
  CancelResponse: 56, // 56 cancel message response
  SetResponse: 58, // 58 set response
  GetResponse: 59, // 59 get response
  SubmitStatusReportResponse: 63, // 63 submit status report response
  DeliverMessageResponse: 70, // 70 deliver message response
  DeliverStatusReportResponse: 73, // 73 deliver status report response
  AliveResponse: 90, // 90 alive response
  GeneralError: 98, // 98 general error response
  Nack: 99, // 99 NACK
} as const;

/** One of the operation codes of {@link Op}. */
export type OpCode = (typeof Op)[keyof typeof Op];

/** Which side sends an operation (docs/protocol.md#operations). */
export type OpSender = 'client' | 'server' | 'either';

/** One row of the operation table (docs/protocol.md#operations). */
export interface OperationInfo {
  readonly code: OpCode;
  /** Stable kebab-case name used in scenarios, transcripts and CLI output. */
  readonly name: string;
  /** Spec wording, e.g. "Submit message". */
  readonly title: string;
  readonly sender: OpSender;
  /** The answering operation (request + 50) for requests; undefined for responses, 98 and 99. */
  readonly response: OpCode | undefined;
  /** True for responses (51–90), 98 and 99. */
  readonly isResponse: boolean;
}

function req(code: OpCode, name: string, title: string, sender: OpSender): OperationInfo {
  return { code, name, title, sender, response: (code + 50) as OpCode, isResponse: false };
}

function resp(code: OpCode, name: string, title: string, sender: OpSender): OperationInfo {
  return { code, name, title, sender, response: undefined, isResponse: true };
}

/**
 * Every known operation, ordered by code (docs/protocol.md#operations). Op 13's direction is unknown in
 * every source; it is listed as a client request like the other application operations.
 */
export const OPERATIONS: readonly OperationInfo[] = Object.freeze([
  req(Op.Login, 'login', 'Login', 'client'),
  req(Op.Logout, 'logout', 'Logout', 'client'),
  req(Op.Submit, 'submit', 'Submit message', 'client'),
  req(Op.Enquire, 'enquire', 'Enquire message status', 'client'),
  req(Op.DeliveryRequest, 'delivery-request', 'Delivery request', 'client'),
  req(Op.Cancel, 'cancel', 'Cancel message', 'client'),
  req(Op.Set, 'set', 'Set parameters', 'client'),
  req(Op.Get, 'get', 'Get parameters', 'client'),
  req(Op.SubmitStatusReport, 'submit-status-report', 'Submit status report', 'client'),
  req(Op.DeliverMessage, 'deliver', 'Deliver message', 'server'),
  req(Op.DeliverStatusReport, 'status-report', 'Deliver status report', 'server'),
  req(Op.Alive, 'alive', 'Alive', 'either'),
  resp(Op.LoginResponse, 'login-response', 'Login response', 'server'),
  resp(Op.LogoutResponse, 'logout-response', 'Logout response', 'server'),
  resp(Op.SubmitResponse, 'submit-response', 'Submit message response', 'server'),
  resp(Op.EnquireResponse, 'enquire-response', 'Enquire message status response', 'server'),
  resp(
    Op.DeliveryRequestResponse,
    'delivery-request-response',
    'Delivery request response',
    'server',
  ),
  resp(Op.CancelResponse, 'cancel-response', 'Cancel message response', 'server'),
  resp(Op.SetResponse, 'set-response', 'Set parameters response', 'server'),
  resp(Op.GetResponse, 'get-response', 'Get parameters response', 'server'),
  resp(
    Op.SubmitStatusReportResponse,
    'submit-status-report-response',
    'Submit status report response',
    'server',
  ),
  resp(Op.DeliverMessageResponse, 'deliver-response', 'Deliver message response', 'client'),
  resp(
    Op.DeliverStatusReportResponse,
    'status-report-response',
    'Deliver status report response',
    'client',
  ),
  resp(Op.AliveResponse, 'alive-response', 'Alive response', 'either'),
  resp(Op.GeneralError, 'general-error', 'General error response', 'server'),
  resp(Op.Nack, 'nack', 'NACK', 'either'),
]);

const byCode = new Map<number, OperationInfo>(OPERATIONS.map((o) => [o.code, o]));
const byName = new Map<string, OperationInfo>(OPERATIONS.map((o) => [o.name, o]));

/** The table row of an operation code, or undefined for codes not in docs/protocol.md#operations. */
export function operationInfo(code: number): OperationInfo | undefined {
  return byCode.get(code);
}

/** Kebab-case name of an operation; codes not in the table give `op-NN` (two digits). */
export function opName(code: number): string {
  return byCode.get(code)?.name ?? `op-${String(code).padStart(2, '0')}`;
}

/**
 * Inverse of {@link opName}: a table name gives its code, and `op-NN` (two digits, 00–99) gives
 * NN, so every string `opName` returns maps back. Anything else is undefined.
 */
export function opByName(name: string): number | undefined {
  const known = byName.get(name);
  if (known) return known.code;
  const m = /^op-(\d\d)$/.exec(name);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** The response operation (request + 50) for a known request; undefined otherwise. */
export function responseOp(code: number): OpCode | undefined {
  return byCode.get(code)?.response;
}

/** True for the known request operations (01–40 in the table), false for responses and unknown codes. */
export function isRequestOp(code: number): boolean {
  const info = byCode.get(code);
  return info !== undefined && !info.isResponse;
}
