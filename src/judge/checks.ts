/**
 * The client judge's checks (docs/judge.md): one row per protocol rule the server watches on the
 * client's side of the conversation, with its stable id, default severity, a one-line
 * explanation and the rule it enforces. The docs table is tested against this one.
 *
 * Severity: breaking a rule of the protocol is an `error`; a legal but risky habit (closing
 * without logout, silence past the keep-alive interval, alive floods) is a `warning`.
 */

/** How bad a finding is. */
export type Severity = 'error' | 'warning';

/** One row of the checks table. */
export interface CheckInfo {
  /** Stable kebab-case id, used in findings, scenarios (`checks:`) and expectations. */
  readonly id: string;
  readonly severity: Severity;
  /** What the client did, in one line. */
  readonly explanation: string;
  /** The protocol rule it breaks (docs/protocol.md). */
  readonly rule: string;
}

function check<const I extends string>(
  id: I,
  severity: Severity,
  explanation: string,
  rule: string,
): CheckInfo & { readonly id: I } {
  return { id, severity, explanation, rule };
}

/** Every check, in documentation order. */
export const CHECKS = Object.freeze([
  check(
    'pn-not-odd',
    'error',
    'A request carries an even packet number.',
    'The application numbers its requests with odd packet numbers 001–255; even numbers are the SMSC’s.',
  ),
  check(
    'pn-sequence',
    'error',
    'A request’s packet number is not the previous one + 2 (mod 256) and no window was negotiated.',
    'Each new request takes the previous packet number + 2, wrapping 255 → 001.',
  ),
  check(
    'pn-reused',
    'error',
    'A request reuses the packet number of a request still waiting for its response.',
    'A response is matched to its request by packet number, so two outstanding requests never share one.',
  ),
  check(
    'window-exceeded',
    'error',
    'More requests are outstanding than the window negotiated at login (1 without 019).',
    'Without a window size (019) in the login the application sends one request and waits for its response (stop-and-wait).',
  ),
  check(
    'response-unknown-pn',
    'error',
    'A response (70, 73, 90) carries a packet number the server has no request outstanding with.',
    'A response carries the packet number of the request it answers.',
  ),
  check(
    'response-wrong-op',
    'error',
    'A response answers a server request with the wrong operation (e.g. 73 for a 20).',
    'The response operation is the request’s + 50: 70 for a 20, 73 for a 23, 90 for a 40.',
  ),
  check(
    'no-response',
    'error',
    'A server request (20, 23, 40) got no response before the ack timeout.',
    'The application answers every deliver message, status report and alive of the SMSC.',
  ),
  check(
    'bad-checksum',
    'error',
    'A frame arrived with a checksum that does not match its bytes.',
    'The checksum is the low byte of the sum of every byte from STX up to the last TAB, as two hex digits.',
  ),
  check(
    'malformed-frame',
    'error',
    'A frame did not decode (bad header, parameter syntax or reserved bytes).',
    'A packet is STX, op:pn, TAB-terminated ppp:value parameters, an optional checksum and ETX.',
  ),
  check(
    'operation-not-allowed',
    'error',
    'The client sent an operation only the SMSC sends (20, 23, 5x responses, 98) or an unknown one.',
    'The application sends requests 01–09 and 40, and the responses 70, 73, 90 (and 99).',
  ),
  check(
    'request-before-login',
    'error',
    'A request other than login was sent before the login was accepted.',
    'The first request of a connection is the login; nothing else is sent until its positive 51.',
  ),
  check(
    'second-login',
    'error',
    'A login was sent while a login of the connection was pending or accepted.',
    'A connection logs in once.',
  ),
  check(
    'parameter-not-allowed',
    'error',
    'A request carries a parameter that is unknown or not defined for its operation.',
    'Each operation carries only the parameters the protocol defines for it.',
  ),
  check(
    'parameter-repeated',
    'error',
    'A parameter other than 021 appears twice in one frame.',
    'Only the destination address (021) may repeat; implementations disagree on which copy counts.',
  ),
  check(
    'parameter-missing',
    'error',
    'A mandatory parameter of the operation is missing.',
    'Login needs 010 and 011, submit 021, enquire 021 and 060, delivery request 068, cancel 059, set 011, get 500.',
  ),
  check(
    'parameter-invalid',
    'error',
    'A parameter value breaks its type, maximum length or range.',
    'Integers, addresses, 12-digit times and printable strings each have their own syntax and limits.',
  ),
  check(
    'text-alphabet',
    'error',
    'A 033 text has a byte or an escape outside the CIMD2 text alphabet.',
    '033 carries printable ASCII, LF and CR, and the `_xy` special combinations; `_XX` introduces an extension character.',
  ),
  check(
    'hex-invalid',
    'error',
    'A 032 or 034 value has an odd length or a character that is not a hex digit.',
    'User data header (032) and user data binary (034) are pairs of hex digits.',
  ),
  check(
    'user-data-conflict',
    'error',
    'The user-data parameters contradict each other (033 with 034, a DCS that does not fit, a UDH whose length is wrong).',
    'One of 033 or 034; 033 is 7-bit text so the DCS must say so; 032 starts with its own length (UDHL); UCS2 needs whole characters.',
  ),
  check(
    'validity-out-of-range',
    'error',
    'A validity period is out of range: 050 not 0–255, or 051 not a real yymmddhhmmss time.',
    '050 is the GSM relative validity byte 0–255; 051 is an absolute time yymmddhhmmss.',
  ),
  check(
    'parts-disagree',
    'error',
    'Parts of one concatenated message disagree on the total, the reference or the destination.',
    'Every part of a concatenated message carries the same reference, total and destination.',
  ),
  check(
    'parts-incomplete',
    'error',
    'A concatenated message never completed: parts were missing when the connection closed or the multipart TTL passed.',
    'A message split into N parts is sent as all N parts.',
  ),
  check(
    'silence',
    'warning',
    'The client sent nothing (no alive) for the keep-alive interval or longer.',
    'An idle application sends an alive (40) within the keep-alive interval so the SMSC keeps the link.',
  ),
  check(
    'close-without-logout',
    'warning',
    'A logged-in client closed the connection without a logout.',
    'An application ends its session with a logout (02) before it closes the TCP connection.',
  ),
  check(
    'alive-flood',
    'warning',
    'The client sent alives (40) less than a second apart.',
    'Alive is a keep-alive, sent when the link is idle, not more than once a second.',
  ),
] as const);

/** The id of a check. */
export type CheckId = (typeof CHECKS)[number]['id'];

/** Every check id, in documentation order. */
export const CHECK_IDS: readonly CheckId[] = Object.freeze(CHECKS.map((c) => c.id));

const INDEX = new Map<string, number>(CHECKS.map((c, i) => [c.id, i]));

/** Position of a check in {@link CHECKS}, or -1 for an unknown id. */
export function checkIndex(id: string): number {
  return INDEX.get(id) ?? -1;
}

/** True for a known check id. */
export function isCheckId(id: unknown): id is CheckId {
  return typeof id === 'string' && INDEX.has(id);
}

/** The table row of a check id, or undefined. */
export function checkInfo(id: string): CheckInfo | undefined {
  const i = INDEX.get(id);
  return i === undefined ? undefined : CHECKS[i];
}

/**
 * What a scenario's `checks:` sets for one check (or `all`): `off`, `on` (its default
 * severity), `error` or `warning`.
 */
export type CheckSetting = 'off' | 'on' | Severity;

/** Every setting value, in documentation order. */
export const CHECK_SETTINGS: readonly CheckSetting[] = Object.freeze([
  'off',
  'on',
  'error',
  'warning',
]);

/**
 * A scenario's `checks:` block: `all` first (default `on`), then each listed id. E.g.
 * `{ all: off, pn-not-odd: on }` judges only the packet-number parity.
 */
export type ChecksSpec = Readonly<Partial<Record<CheckId | 'all', CheckSetting>>>;

/** Level of a check: 0 off, 1 warning, 2 error. */
export type CheckLevel = 0 | 1 | 2;

/** The resolved levels, indexed like {@link CHECKS}. */
export type CheckLevels = readonly CheckLevel[];

function level(setting: CheckSetting, info: CheckInfo): CheckLevel {
  switch (setting) {
    case 'off':
      return 0;
    case 'warning':
      return 1;
    case 'error':
      return 2;
    case 'on':
      return info.severity === 'error' ? 2 : 1;
  }
}

/** The default levels: every check on, at its default severity. */
export const DEFAULT_LEVELS: CheckLevels = Object.freeze(CHECKS.map((c) => level('on', c)));

/** Resolves a `checks:` block (unknown ids are the loader's business and are ignored here). */
export function resolveChecks(spec: ChecksSpec | undefined): CheckLevels {
  if (spec === undefined) return DEFAULT_LEVELS;
  const all = spec.all ?? 'on';
  return Object.freeze(
    CHECKS.map((c) => level((spec as Record<string, CheckSetting | undefined>)[c.id] ?? all, c)),
  );
}

/** The severity a level stands for (undefined: off). */
export function severityOf(l: CheckLevel): Severity | undefined {
  return l === 2 ? 'error' : l === 1 ? 'warning' : undefined;
}
