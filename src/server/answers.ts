/**
 * Answer building: one pure function per operation, from the request and the decision's
 * terminal step to the frames to send. Side effects on the server (060 allocation, the message
 * store) go through the narrow `AnswerServices`; what the session must do besides writing (log
 * the user in, close after a logout) comes back as fields of the `Answer`.
 */
import type { Frame, Parameter } from '../protocol/frame.js';
import { getParam } from '../protocol/frame.js';
import { Op } from '../protocol/operations.js';
import { Param } from '../protocol/parameters.js';
import { CimdError, errorText } from '../protocol/status-codes.js';
import type { Fault } from './faults.js';
import type { RequestContext, Step, TerminalStep } from './ports.js';

/** What answer builders may use of the server (MessageStore implements it). */
export interface AnswerServices {
  /** A fresh 060 for `destination`. */
  allocate(destination: string): string;
  /** A 060 fixed by a scenario: never allocated again for `destination`. */
  reserve(destination: string, timestamp: string): void;
  /** Records an accepted message. */
  accepted(timestamp: string, destination: string): void;
  /** Status of a message, undefined when unknown. */
  status(timestamp: string, destination: string): number | undefined;
  /** The server clock as a 060 value (MC time of a get). */
  now(): string;
}

/** The frames that answer one request, and what the session does besides writing them. */
export interface Answer {
  readonly frames: Frame[];
  /** 060 of a positive submit answer. */
  readonly timestamp?: string;
  /** A positive login answer: the session becomes logged in as this user. */
  readonly login?: string;
  /** Close the session once the frames are written (logout). */
  readonly closeAfter?: boolean;
  /** Close the session without answering (a `disconnect` step). */
  readonly disconnect?: boolean;
  /** A submit answer: spaced by ThrottleRate. */
  readonly throttled?: boolean;
  /** A `fault` step: the frames leave distorted. */
  readonly fault?: Fault;
}

type RespondStep = Extract<Step, { kind: 'respond' }>;

/** Builds the positive answer (`respond` step) of one operation. */
export type AnswerBuilder = (
  request: RequestContext,
  step: RespondStep,
  services: AnswerServices,
) => Answer;

const login: AnswerBuilder = ({ frame, fields }, step) => ({
  frames: [{ op: Op.LoginResponse, pn: frame.pn, params: step.params ?? [] }],
  login: fields.user ?? '',
});

const logout: AnswerBuilder = ({ frame }, step) => ({
  frames: [{ op: Op.LogoutResponse, pn: frame.pn, params: step.params ?? [] }],
  closeAfter: true,
});

const submit: AnswerBuilder = ({ frame, fields }, step, services) => {
  const destination = fields.destination ?? '';
  const timestamp = step.timestamp ?? services.allocate(destination);
  if (step.timestamp !== undefined) services.reserve(destination, step.timestamp);
  services.accepted(timestamp, destination);
  const params = merge(
    [
      { code: Param.DestinationAddress, value: destination },
      { code: Param.ServiceCentreTimeStamp, value: timestamp },
    ],
    step.params ?? [],
  );
  return { frames: [{ op: Op.SubmitResponse, pn: frame.pn, params }], timestamp, throttled: true };
};

const enquire: AnswerBuilder = ({ frame, fields }, step, services) => {
  const extra = step.params ?? [];
  const destination = fields.destination ?? '';
  const ts = fields.timestamp ?? '';
  const status = services.status(ts, destination);
  const fixed = extra.some((p) => p.code === Param.StatusCode);
  const params =
    status === undefined && !fixed
      ? errorParams(CimdError.CannotFindInformation, `no message ${ts} to ${destination}`)
      : merge(
          [
            { code: Param.DestinationAddress, value: destination },
            { code: Param.ServiceCentreTimeStamp, value: ts },
            { code: Param.StatusCode, value: String(status ?? 0) },
          ],
          extra,
        );
  return { frames: [{ op: Op.EnquireResponse, pn: frame.pn, params }] };
};

const deliveryRequest: AnswerBuilder = ({ frame }, step) => {
  const mode = getParam(frame, Param.DeliveryRequestMode) ?? '1';
  const params = mode === '0' ? [{ code: Param.MessageCount, value: '0' }] : [];
  return {
    frames: [
      { op: Op.DeliveryRequestResponse, pn: frame.pn, params: merge(params, step.params ?? []) },
    ],
  };
};

const get: AnswerBuilder = ({ frame }, step, services) => {
  const item = getParam(frame, Param.GetParameter);
  const params =
    item === String(Param.McTime)
      ? [{ code: Param.McTime, value: services.now() }]
      : errorParams(CimdError.UnsupportedItemRequested);
  return {
    frames: [{ op: Op.GetResponse, pn: frame.pn, params: merge(params, step.params ?? []) }],
  };
};

/** Any other request: op + 50 with the step's parameters. */
const plain: AnswerBuilder = ({ frame }, step) => ({
  frames: [{ op: frame.op + 50, pn: frame.pn, params: step.params ?? [] }],
});

/** Positive answers by request operation; operations not listed get `op + 50` with the step's parameters. */
export const POSITIVE_ANSWERS: ReadonlyMap<number, AnswerBuilder> = new Map([
  [Op.Login, login],
  [Op.Logout, logout],
  [Op.Submit, submit],
  [Op.Enquire, enquire],
  [Op.DeliveryRequest, deliveryRequest],
  [Op.Get, get],
]);

const RESPOND: TerminalStep = { kind: 'respond' };

/** The answer a terminal step gives to `request`. */
export function answerFor(
  request: RequestContext,
  step: TerminalStep,
  services: AnswerServices,
): Answer {
  const pn = request.frame.pn;
  switch (step.kind) {
    case 'respond':
      return (POSITIVE_ANSWERS.get(request.frame.op) ?? plain)(request, step, services);
    case 'error':
      return { frames: errorFrames(request, step.code, step.text) };
    case 'nack':
      return { frames: [{ op: Op.Nack, pn, params: [] }] };
    case 'generalError':
      return {
        frames: [{ op: Op.GeneralError, pn, params: errorParams(step.code, step.text) }],
      };
    case 'drop':
      return { frames: [] };
    case 'disconnect':
      return { frames: [], disconnect: true };
    case 'fault':
      return { ...answerFor(request, step.answer ?? RESPOND, services), fault: step.fault };
  }
}

/** The negative answer (op + 50 with 900/901; a submit's keeps its 021). */
export function errorFrames(request: RequestContext, code: number, text?: string): Frame[] {
  const { frame, fields } = request;
  const params: Parameter[] = [];
  if (frame.op === Op.Submit && fields.destination !== undefined) {
    params.push({ code: Param.DestinationAddress, value: fields.destination });
  }
  params.push(...errorParams(code, text));
  return [{ op: frame.op + 50, pn: frame.pn, params }];
}

/** 900 (and 901 with the table text unless given) for an error answer. */
export function errorParams(code: number, text?: string): Parameter[] {
  const t = clip901((text ?? errorText(code)).replace(/[\x00-\x1f\x7f-\uffff]/g, ' '));
  return [
    { code: Param.ErrorCode, value: String(code) },
    { code: Param.ErrorText, value: t },
  ];
}

/** At most 64 characters (the 901 limit), cut at a word boundary when a space allows it. */
export function clip901(text: string): string {
  if (text.length <= 64) return text;
  const space = text.lastIndexOf(' ', 64);
  return (space > 0 ? text.slice(0, space) : text.slice(0, 64)).trimEnd();
}

/** Defaults overridden by same-code extras; new extras appended in their order. */
export function merge(base: readonly Parameter[], extra: readonly Parameter[]): Parameter[] {
  if (extra.length === 0) return base as Parameter[];
  const out = base.map((p) => extra.find((e) => e.code === p.code) ?? p);
  for (const e of extra) if (!base.some((p) => p.code === e.code)) out.push(e);
  return out;
}
