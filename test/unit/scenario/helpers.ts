/**
 * Hand-built request contexts for engine tests: no decoder, no sockets. Frames carry the
 * parameters a real client would send, written out here independently of the codec.
 */
import type { Frame, Parameter } from '../../../src/protocol/frame.js';
import type { RequestContext, RequestFields } from '../../../src/server/ports.js';
import { loadScenarioText } from '../../../src/scenario/index.js';
import type { CompiledScenario } from '../../../src/scenario/index.js';

const OP_CODES: Readonly<Record<string, number>> = {
  login: 1,
  logout: 2,
  submit: 3,
  enquire: 4,
  'delivery-request': 5,
  cancel: 6,
  set: 8,
  get: 9,
  deliver: 20,
  'status-report': 23,
  alive: 40,
  'deliver-response': 70,
  'status-report-response': 73,
  'alive-response': 90,
};

export interface RequestOptions {
  /** Session id, default c1. */
  readonly session?: string;
  /** The session's logged-in user (default: fields.user for non-login requests). */
  readonly sessionUser?: string;
  readonly now?: number;
  readonly userSessions?: number;
  /** Extra raw parameters appended to the frame. */
  readonly params?: readonly (readonly [number, string])[];
}

/** A request context as the server would build it. */
export function request(
  opName: string,
  fields: RequestFields = {},
  options: RequestOptions = {},
): RequestContext {
  const params: Parameter[] = [];
  const add = (code: number, value: string | number | undefined): void => {
    if (value !== undefined) params.push({ code, value: String(value) });
  };
  add(10, fields.user);
  add(11, fields.password);
  for (const d of fields.destinations ?? (fields.destination ? [fields.destination] : []))
    add(21, d);
  add(23, fields.originator);
  add(30, fields.dcs);
  add(32, fields.udh);
  add(33, fields.text);
  add(56, fields.statusReportRequest);
  for (const [code, value] of options.params ?? []) add(code, value);
  const frame: Frame = { op: OP_CODES[opName] ?? 0, pn: 1, params };
  const sessionUser = options.sessionUser ?? (opName === 'login' ? undefined : fields.user);
  return {
    session: { id: options.session ?? 'c1', user: sessionUser, remote: '127.0.0.1:40000' },
    frame,
    opName,
    fields,
    now: options.now ?? Date.UTC(2024, 5, 1, 12, 0, 0),
    userSessions: options.userSessions ?? 0,
  };
}

/** Shorthand: a submit to `destination` from an app logged in as `app`. */
export function submit(
  destination: string,
  extra: RequestFields = {},
  options: RequestOptions = {},
): RequestContext {
  return request(
    'submit',
    { destination, originator: '12345', text: 'hello', ...extra },
    { sessionUser: 'app', ...options },
  );
}

/** Compiles an inline scenario; the `version: 1` line is added when missing. */
export function scenario(yaml: string, file = 'inline.yaml'): CompiledScenario {
  const text = /^version:/m.test(yaml) ? yaml : `version: 1\n${yaml}`;
  return loadScenarioText(text, file);
}
