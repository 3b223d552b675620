/**
 * The answers and raw frames of the classic component API (cimd2SendRAW,
 * cimd2SendLoginResponse, cimd2SendSubmitMessageResponse) as frames for a session. In manual
 * mode (`ManualResponder`) they answer the held login or submit; otherwise they are written at
 * once. Framing and checksums are the protocol encoder's.
 */
import { encodeRawFrame, looseParameters } from '../protocol/encoder.js';
import { unencodedFrames, type Frame, type Parameter } from '../protocol/frame.js';
import { Op } from '../protocol/operations.js';
import { Param } from '../protocol/parameters.js';
import { hexToBytes } from '../protocol/values.js';
import { errorParams } from './answers.js';
import type { MessageStore } from './message-store.js';
import type { ServerSession } from './session.js';

/** A submit response of the component API. */
export interface SubmitResponse {
  readonly destination?: string;
  readonly timestamp?: string;
  readonly errorCode?: number;
  readonly errorText?: string;
}

/**
 * cimd2SendRAW: `payload` is the parameter section as hex (sent byte for byte) or as
 * parameters (encoded and checked like any frame).
 */
export function sendRaw(
  session: ServerSession,
  pn: number,
  op: number,
  payload: string | readonly Parameter[],
  checksum: boolean,
): void {
  if (typeof payload !== 'string') {
    session.writeFrame({ op, pn, params: payload });
    return;
  }
  const body = hexToBytes(payload);
  const frame: Frame = { op, pn, params: looseParameters(body) };
  unencodedFrames.add(frame);
  session.writeRaw(frame, encodeRawFrame(op, pn, body, { checksum }));
}

/** The 51 of cimd2SendLoginResponse: with 900/901 when errorCode ≠ 0. */
export function loginResponse(pn: number, errorCode = 0, errorText?: string): Frame {
  const params = errorCode === 0 ? [] : errorParams(errorCode, errorText);
  return { op: Op.LoginResponse, pn, params };
}

/** The 53 of cimd2SendSubmitMessageResponse: 021 and a 060 (allocated unless given), or 900/901. */
export function submitResponse(pn: number, response: SubmitResponse, store: MessageStore): Frame {
  const params: Parameter[] = [];
  if (response.destination !== undefined)
    params.push({ code: Param.DestinationAddress, value: response.destination });
  const code = response.errorCode ?? 0;
  if (code === 0) {
    const ts = response.timestamp ?? store.allocate(response.destination ?? '');
    params.push({ code: Param.ServiceCentreTimeStamp, value: ts });
  } else params.push(...errorParams(code, response.errorText));
  return { op: Op.SubmitResponse, pn, params };
}
