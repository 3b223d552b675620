/**
 * The JSON shapes of the control API's inbox, events and console routes (`GET /messages`,
 * `GET /messages/{id}`, `GET /mo`, `GET /events`, the extended `GET /sessions`, `GET /rules`,
 * `GET /stats`, `GET /health`, `POST /scenario/validate`, `DELETE /sessions/{id}`).
 *
 * The contract is `schemas/control-api.openapi.json`; these types mirror it for TypeScript
 * callers (the web console among them). Everything here is plain JSON: no class, no Date.
 *
 * Conventions:
 * - `seq` is the transcript record number (1, 2, 3 … across epochs); `ts` an ISO-8601 UTC time
 *   with milliseconds, as in the transcript.
 * - Ids are opaque strings: `m<seq>` for a submitted message, `mo<seq>` for an MO (the seq of the
 *   first part's frame record); newest first means highest seq first.
 * - Addresses, 060 time stamps and parameter values are strings exactly as on the wire.
 * - Binary user data is uppercase hex (`hex`), text is decoded (`text`); one of them is set.
 * - The console is one page served at `/`; its own navigation uses the URL fragment
 *   (`/#/messages/m42`), since paths belong to the API.
 */

/** One CIMD2 parameter with its name: `{ code: "050", name: "validityPeriodRelative", … }`. */
export interface NamedParam {
  /** Three-digit code as on the wire. */
  readonly code: string;
  /** camelCase name (`destinationAddress`), or `param<code>` for a code the tables do not know. */
  readonly name: string;
  /** Wording of the protocol tables (`Destination address`), empty for unknown codes. */
  readonly title: string;
  /** Value exactly as on the wire. */
  readonly value: string;
}

/**
 * How the mock answered one submit part:
 * - `ok`: a positive 53 (with its 060 `timestamp`);
 * - `error`: a 53 carrying 900 (`errorCode`, `errorText` from 901 when present);
 * - `nack`: a 99; `general-error`: a 98 (with `errorCode`);
 * - `none`: the rule dropped the request or disconnected, no answer will come;
 * - `pending`: not answered yet (a `delay` is running).
 */
export type AnswerKind = 'ok' | 'error' | 'nack' | 'general-error' | 'none' | 'pending';

/** The answer to one submit part. */
export interface MessageAnswer {
  readonly kind: AnswerKind;
  /** 900 of an `error` / `general-error` answer. */
  readonly errorCode?: number;
  /** 901 of the answer, when it carried one. */
  readonly errorText?: string;
  /** 060 of an `ok` answer. */
  readonly timestamp?: string;
  /** Packet number and operation of the answer frame (absent for `none` / `pending`). */
  readonly pn?: number;
  readonly op?: number;
  /** The answer frame's record (absent for `none` / `pending`). */
  readonly seq?: number;
  readonly ts?: string;
}

/**
 * One step of a status report's life, in order:
 * - `scheduled`: a rule's `afterwards` planned it (`at`: when it is due; `status` it will carry);
 * - `sent`: the op 23 frame went out (`pn`, `status`, `statusCode`, `errorCode` from 062 …);
 * - `acknowledged`: the client answered it (73), `errorCode` when its answer carried 900;
 * - `unacknowledged`: no answer after every resend (`ack-timeout`);
 * - `cancelled`: dropped before it was sent (`reason`: `reset`, `session closed` …).
 * A status report injected with `POST /status-report` starts at `sent`.
 */
export type StatusReportStepKind =
  'scheduled' | 'sent' | 'acknowledged' | 'unacknowledged' | 'cancelled';

/** One step of the status report timeline of a message. */
export interface StatusReportStep {
  readonly step: StatusReportStepKind;
  /** Record of this step. */
  readonly seq: number;
  readonly ts: string;
  /** Status name (`delivered`, `failed`, `expired` …, docs/protocol.md status codes), when known. */
  readonly status: string | null;
  /** 061 status code, when known. */
  readonly statusCode: number | null;
  /** 060 of the part the report is about (null while only scheduled). */
  readonly timestamp: string | null;
  /** Packet number of the op 23 (`sent`, `acknowledged`, `unacknowledged`). */
  readonly pn?: number;
  /** Id of the scheduled item (`scheduled`, `cancelled`). */
  readonly scheduleId?: number;
  /** When a scheduled report is due (`scheduled`). */
  readonly at?: string;
  /** 062 status error code of the report (`sent`), or 900 of the client's answer (`acknowledged`). */
  readonly errorCode?: number;
  /** Why it was cancelled (`cancelled`). */
  readonly reason?: string;
}

/**
 * Summary status of a submitted message:
 * - `pending`: a part is not answered yet; `incomplete`: a multipart set still waits for parts;
 * - `expired`: an incomplete multipart set expired (`multipart-expired`);
 * - `accepted`: every part answered OK; `rejected`: a part got an error, NACK or general error;
 * - `dropped`: a part will never be answered (`drop` / `disconnect`).
 * The `status` filter also matches the status name of any report (`delivered`, `failed` …).
 */
export type MessageStatus =
  'pending' | 'incomplete' | 'expired' | 'accepted' | 'rejected' | 'dropped';

/** One submit frame of a (possibly multipart) message. */
export interface MessagePart {
  /** Part number (1 for a single-part message). */
  readonly part: number;
  /** The submit frame's record. */
  readonly seq: number;
  readonly ts: string;
  /** Client packet number. */
  readonly pn: number;
  /** Rule that answered it (null: the built-in default); absent until decided. */
  readonly rule?: string | null;
  readonly answer: MessageAnswer;
  /** User data header of this part (hex), when present. */
  readonly udh?: string;
}

/** A submitted message (op 3), one entry per logical message: the parts of a multipart set together. */
export interface Message {
  /** `m<seq>`: the seq of the first submit frame of the message. */
  readonly id: string;
  readonly seq: number;
  readonly ts: string;
  /** Connection id (`c1` …) and its logged-in user (null when unknown). */
  readonly session: string;
  readonly user: string | null;
  /** Originator (023 or 027), null when absent. */
  readonly from: string | null;
  /** Destination (021). */
  readonly to: string;
  /** Decoded text (all parts once assembled), or null for binary user data. */
  readonly text: string | null;
  /** Binary user data as uppercase hex (8-bit / data coding), else null. */
  readonly hex: string | null;
  /** Text encoding (gsm7, ucs2, binary …). */
  readonly encoding: string;
  /** Data coding scheme (030), null when absent. */
  readonly dcs: number | null;
  /** User data header of the first part (hex, the concatenation header included), or null. */
  readonly udh: string | null;
  /**
   * The other parameters of the first part (validity 050/051, 056 status report request,
   * message class, priority, tariff, protocol identifier …), in frame order.
   */
  readonly options: readonly NamedParam[];
  /** 060 of the first part's positive answer (what a status report refers to), or null. */
  readonly timestamp: string | null;
  /** Rule that answered the first part (null: the built-in default; also null before a decision). */
  readonly rule: string | null;
  /** Answer of the first part that was not OK, else of the first part. */
  readonly answer: MessageAnswer;
  readonly status: MessageStatus;
  /** Status name of the last status report sent (`delivered` …), null before any. */
  readonly report: string | null;
  /** Parts expected (from the concatenation header; 1 for a single message) and received. */
  readonly partsExpected: number;
  readonly parts: readonly MessagePart[];
  /** Concatenation reference of a multipart message. */
  readonly reference?: number;
  /** The status report timeline, every part's reports in record order. */
  readonly reports: readonly StatusReportStep[];
  /** Epoch the message belongs to (0 before the first reset). */
  readonly epoch: number;
}

/**
 * An MO (op 20) the mock sent, with the client's deliver response:
 * - `pending`: not answered yet; `acknowledged`: answered (70) without error;
 * - `rejected`: the answer carried 900 (`answer.errorCode`) or was a NACK;
 * - `unacknowledged`: no answer after every resend.
 */
export type MoStatus = 'pending' | 'acknowledged' | 'rejected' | 'unacknowledged';

/** The client's answer to one MO part. */
export interface MoAnswer {
  readonly kind: 'pending' | 'acknowledged' | 'error' | 'nack' | 'timeout';
  readonly errorCode?: number;
  readonly seq?: number;
  readonly ts?: string;
}

/** One deliver frame of an MO. */
export interface MoPart {
  readonly part: number;
  readonly seq: number;
  readonly ts: string;
  /** Server packet number. */
  readonly pn: number;
  readonly answer: MoAnswer;
  readonly udh?: string;
}

/** An MO sent to a client: the same shape as {@link Message} where it applies. */
export interface MoMessage {
  /** `mo<seq>`: the seq of the first deliver frame. */
  readonly id: string;
  readonly seq: number;
  readonly ts: string;
  readonly session: string;
  readonly user: string | null;
  readonly from: string | null;
  readonly to: string;
  readonly text: string | null;
  readonly hex: string | null;
  readonly encoding: string;
  readonly dcs: number | null;
  readonly udh: string | null;
  readonly options: readonly NamedParam[];
  /** 060 of the deliver. */
  readonly timestamp: string | null;
  /** Rule whose `afterwards` sent it; null when injected (`POST /deliver`) or unknown. */
  readonly rule: string | null;
  readonly answer: MoAnswer;
  readonly status: MoStatus;
  readonly partsExpected: number;
  readonly parts: readonly MoPart[];
  readonly reference?: number;
  readonly epoch: number;
}

/** One frame of a message's conversation, for the detail view. */
export interface RawFrameView {
  readonly seq: number;
  readonly ts: string;
  readonly dir: 'in' | 'out';
  readonly op: number;
  readonly opName: string;
  readonly pn: number;
  /** The frame as CIMD text: the bytes STX…ETX, one code point per byte. */
  readonly raw: string;
  /** The same bytes as uppercase hex. */
  readonly hex: string;
  /** Every parameter with its name, in frame order. */
  readonly params: readonly NamedParam[];
}

/**
 * `GET /messages/{id}`: the message with its frames (submits, answers, status reports and their
 * answers), oldest first. `framesTruncated` when some left the in-memory transcript.
 */
export interface MessageDetail extends Message {
  readonly frames: readonly RawFrameView[];
  /** Decision explanations of each part (`rule "x": … → answer OK`), in part order. */
  readonly explanations: readonly string[];
  readonly framesTruncated: boolean;
}

/** `GET /mo/{id}`. */
export interface MoDetail extends MoMessage {
  readonly frames: readonly RawFrameView[];
  readonly framesTruncated: boolean;
}

/**
 * One page of `GET /messages` / `GET /mo`, newest first. Pass `next` back as `cursor` for the
 * following (older) page; null when there is none. `lastSeq` is the newest transcript record
 * seen when the page was made (`GET /events` with `Last-Event-ID: lastSeq` continues from it).
 * `truncated` when records left the in-memory transcript (older messages may be missing);
 * `timedOut` only with `wait`, when nothing matched in time (then `messages` is empty).
 */
export interface Page<T> {
  readonly messages: readonly T[];
  readonly next: string | null;
  /** Messages matching the filters in total (all pages). */
  readonly total: number;
  readonly lastSeq: number;
  readonly truncated: boolean;
  readonly timedOut?: boolean;
}

export type MessagePage = Page<Message>;
export type MoPage = Page<MoMessage>;

/** Query of `GET /messages` and `GET /mo` (every filter optional; all given must match). */
export interface MessageQuery {
  /** Exact address; a trailing `*` matches a prefix (`to=4670*`). */
  readonly to?: string;
  readonly from?: string;
  readonly user?: string;
  readonly session?: string;
  /** Substring (case-insensitive) or `/regex/flags` (flags `i`, `s`, `m`; linear-time engine). */
  readonly text?: string;
  /** Comma-separated: a MessageStatus / MoStatus, or a report status name (`delivered`). */
  readonly status?: string;
  /** Rule id (`default` for the built-in default). */
  readonly rule?: string;
  /** Messages after this transcript seq (an integer), or at/after this ISO-8601 time. */
  readonly since?: string;
  /** `current` (default: the current epoch) or `all`. */
  readonly epoch?: 'current' | 'all';
  /** Page size, 1–1000 (default 100). */
  readonly limit?: number;
  /** The `next` of the previous page. */
  readonly cursor?: string;
  /** Long-poll: `5s`, `500ms` or seconds (`5`); at most 60 s. */
  readonly wait?: string;
}

/** A session as `GET /sessions` shows it. */
export interface SessionView {
  readonly id: string;
  readonly user: string | null;
  /** `ip:port` of the client. */
  readonly remote: string;
  /** When the connection opened (ISO-8601). */
  readonly since: string;
  /** `connected` (not logged in), `authenticated`, `closing`. */
  readonly state: 'connected' | 'authenticated' | 'closing' | 'closed';
  /** Frames received from / sent to the client (counted from the transcript kept in memory). */
  readonly framesIn: number;
  readonly framesOut: number;
  /** Server requests (20, 23, 40) waiting for their answer or queued. */
  readonly outstanding: number;
  /** Server requests allowed to await an answer at once. */
  readonly window: number;
  /** Inbound requests not answered yet. */
  readonly pendingAnswers: number;
}

export interface SessionList {
  readonly sessions: readonly SessionView[];
}

/** `DELETE /sessions/{id}`: the session that closed. */
export interface SessionClosed {
  readonly id: string;
  /** `close`: orderly (FIN after pending output); `reset`: TCP RST at once. */
  readonly how: 'close' | 'reset';
}

/** A rule as `GET /rules` shows it (the fields `GET /rules` always had, and more). */
export interface RuleView {
  readonly id: string;
  /** Uses since the scenario was loaded (or the last reset). */
  readonly uses: number;
  /** `times` of the rule; absent when unlimited. */
  readonly times?: number;
  /** What remains of `times` (null when unlimited). */
  readonly timesLeft: number | null;
  /** The rule's `description`, when it has one. */
  readonly description?: string;
  /** `whenState` of the rule (null: any state). */
  readonly whenState: readonly string[] | null;
  /** The state the rule sets when it answers, when it sets one. */
  readonly setState?: string;
  /** Operations the rule names in `when.op` (empty: it does not name one). */
  readonly ops: readonly string[];
  /** 1-based line of the rule in the scenario text. */
  readonly line: number;
}

export interface RulesView {
  readonly scenario: string;
  /** The current scenario state and every state it names. */
  readonly state: string;
  readonly states: readonly string[];
  readonly rules: readonly RuleView[];
}

/** `GET /health`: what the console's header shows. */
export interface HealthView {
  readonly status: 'ok';
  readonly version: string;
  /** CIMD2 listening address. */
  readonly host: string;
  readonly port: number;
  readonly scenario: {
    readonly name: string;
    readonly file: string;
    readonly source: 'file' | 'api';
  };
  readonly sessions: number;
  readonly epoch: number;
  readonly lastSeq: number;
  /** Milliseconds since the control API started. */
  readonly uptimeMs: number;
  /** True when the control API asks for a token (`Authorization` or the console cookie). */
  readonly tokenRequired: boolean;
}

/**
 * `GET /stats` adds, to the counters it always had: submits per second over the last 60 s (one
 * value per second, oldest first; the last is the second in progress), and errors counted over
 * the run (error answers sent, frame errors, unmatched requests, ack timeouts).
 */
export interface StatsRates {
  readonly submitsPerSecond: readonly number[];
  readonly errors: {
    readonly answers: number;
    readonly frameErrors: number;
    readonly unmatched: number;
    readonly ackTimeouts: number;
  };
}

/** A scenario problem at its place in the text. */
export interface ScenarioIssueView {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

/** `POST /scenario/validate`: nothing is applied. */
export interface ScenarioValidation {
  readonly valid: boolean;
  readonly issues: readonly ScenarioIssueView[];
  /** Of a valid scenario: its name and number of rules. */
  readonly name?: string;
  readonly rules?: number;
}

/**
 * `GET /events` (Server-Sent Events, `text/event-stream`):
 *
 * - each transcript record is one event: `id: <seq>`, `event: record`, `data: <the JSONL line>`
 *   (the record exactly as in the transcript);
 * - records are sent in batches (every ~50 ms), in seq order, none skipped: a client that
 *   reconnects with `Last-Event-ID: <seq>` (or `?since=<seq>`) gets every kept record after it;
 * - `event: hello`, data {@link EventsHello}, opens the stream;
 * - `event: truncated`, data `{ "from": seq }`: records after `Last-Event-ID` left memory before
 *   they could be sent (the stream continues with the oldest kept);
 * - `event: reconnect`, data {@link EventsReconnect}: the client fell behind (its socket did not
 *   drain for 10 s) and the server closes the stream; reconnect with `Last-Event-ID` = the id of
 *   the last event received to catch up (EventSource does this by itself after `retry` ms);
 * - a comment line (`: keep-alive`) every 15 s when idle.
 * Filters: `kind` (comma-separated record kinds), `session` (comma-separated ids).
 * `?batch=true`: each batch is one event instead, `id: <seq>` (the last seq it covers),
 * `event: records`, `data: [<JSONL line>,…]` (a JSON array of its records, oldest first).
 */
export type SseEventName = 'hello' | 'record' | 'records' | 'truncated' | 'reconnect';

export interface EventsHello {
  /** Newest record seq when the stream opened. */
  readonly lastSeq: number;
  readonly epoch: number;
  /** Seq the stream starts after (the Last-Event-ID, `since`, or `lastSeq` when neither). */
  readonly from: number;
}

export interface EventsReconnect {
  readonly reason: 'slow-client' | 'shutdown';
  /** Seq of the last record written to the stream (what reached the client may be less). */
  readonly lastSeq: number;
}

/** Name of the console's auth cookie (per admin port, so two mocks on one host never mix). */
export function consoleCookieName(port: number): string {
  return `cimd2-mock-${port}`;
}

/** The header a cookie-authenticated state change must carry (a cross-site form cannot). */
export const CSRF_HEADER = 'X-Cimd2-Mock';
