/**
 * The transcript record: one JSON object per line of a JSONL transcript. These types mirror
 * `schemas/transcript.schema.json`, the contract; recorded output is tested against it.
 *
 * Every record has `seq` (1, 2, 3 … with no gap), `ts` (ISO-8601 UTC with milliseconds) and
 * `kind`; records about a connection carry `session` (the connection id, "c1", "c2", …).
 * Packet numbers, operation codes, error and status codes are numbers; parameter values, 060
 * time stamps and `raw` are strings exactly as on the wire (each byte one code point
 * U+0000–U+00FF); UDH and binary user data are uppercase hex.
 */
import type { TextEncoding } from '../protocol/user-data.js';
import type { FrameFields } from '../protocol/fields.js';

/** Any JSON value (the shape of free-form record members such as scheduled actions). */
export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** `in`: client → server; `out`: server → client. */
export type FrameDirection = 'in' | 'out';

/**
 * Checksum trailer of a frame (docs/protocol.md#checksum). Inbound frames with a bad checksum are
 * `frame-error` records, so `invalid` only appears on out frames written raw by the API.
 */
export type ChecksumState = 'valid' | 'absent' | 'invalid';

/** One parameter as `[code, value]`: code as three digits ("021"), value as on the wire. */
export type ParamPair = readonly [code: string, value: string];

export type { FrameFields } from '../protocol/fields.js';

/** `{ code, text }` of a close as OnTcpDisconnected: 0 orderly, −1 protocol error, >0 errno. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** Summary written with `server-stop`. */
export interface TranscriptCounts {
  /** Records of this run written before the server-stop record (an appended run counts its own). */
  readonly records: number;
  readonly sessions: number;
  /** Inbound frames by operation name, e.g. `{ login: 1, submit: 3 }`. */
  readonly framesIn: Readonly<Record<string, number>>;
  /** Outbound frames by operation name, e.g. `{ "submit-response": 3, "status-report": 2 }`. */
  readonly framesOut: Readonly<Record<string, number>>;
  readonly frameErrors: number;
  readonly decisions: number;
  readonly unmatched: number;
}

interface Base {
  readonly seq: number;
  readonly ts: string;
}

interface WithSession extends Base {
  readonly session: string;
}

/** The server started listening. `scenario` is the file (or label) in use, null for none. */
export interface ServerStartRecord extends Base {
  readonly kind: 'server-start';
  readonly host: string;
  readonly port: number;
  readonly scenario: string | null;
  readonly version: string;
  /**
   * Id of the run (a UUID, new at each start): tells the runs of a transcript written with
   * `--transcript-mode append` apart. Absent in older transcripts.
   */
  readonly runId?: string;
}

/** The server stopped (`reason` e.g. "SIGTERM", "stop()"), with counts of what happened. */
export interface ServerStopRecord extends Base {
  readonly kind: 'server-stop';
  readonly reason: string;
  readonly counts: TranscriptCounts;
}

/** A connection opened; `remote` is `ip:port`. */
export interface SessionOpenRecord extends WithSession {
  readonly kind: 'session-open';
  readonly remote: string;
}

/** A connection closed; `code`/`reason` as OnTcpDisconnected. */
export interface SessionCloseRecord extends WithSession, CloseInfo {
  readonly kind: 'session-close';
}

/** One well-formed frame either way (docs/protocol.md#framing). */
export interface FrameRecord extends WithSession {
  readonly kind: 'frame';
  readonly dir: FrameDirection;
  readonly op: number;
  readonly opName: string;
  readonly pn: number;
  readonly params: readonly ParamPair[];
  readonly fields: FrameFields;
  readonly checksum: ChecksumState;
  /** The exact bytes STX…ETX, one code point per byte (of a faulted frame: the bytes sent). */
  readonly raw: string;
  /**
   * Out frames distorted on purpose: the fault kind (`bad-checksum`, `duplicate`, `truncate`,
   * `garbage`, `split`, `trickle`, `wrong-packet-number`, `wrong-operation`). `op`/`pn`/`params`
   * describe the frame as sent, or for `garbage` and `truncate` the answer they replaced.
   */
  readonly fault?: string;
}

/**
 * What the server answers to a malformed inbound frame, by its fixed rules (docs/protocol.md#how-the-mock-answers):
 * a checksum error gets a 99 NACK, a frame longer than the limit closes the session, any other
 * error a 98 general error carrying `errorCode`. The answer's own bytes follow as a `frame`
 * record (`dir: out`, same `pn`) unless the connection closed first.
 */
export type FrameErrorAnswer =
  | { readonly op: 99; readonly opName: 'nack'; readonly pn: number }
  | {
      readonly op: 98;
      readonly opName: 'general-error';
      readonly pn: number;
      readonly errorCode: number;
    }
  | { readonly close: true };

/** An inbound frame that did not decode: bad checksum, bad syntax, overlong … */
export interface FrameErrorRecord extends WithSession {
  readonly kind: 'frame-error';
  readonly dir: 'in';
  /** Error class code, e.g. `ERR_CIMD_CHECKSUM`, `ERR_CIMD_SYNTAX`. */
  readonly error: string;
  readonly message: string;
  /** The CIMD2 error code (900) the problem maps to. */
  readonly cimdErrorCode: number;
  /** Operation and packet number when the header could be read. */
  readonly op?: number;
  readonly opName?: string;
  readonly pn?: number;
  readonly raw: string;
  readonly answer: FrameErrorAnswer;
}

/** One step of a decision, as JSON (`respond` params as `[code, value]` pairs). */
export type DecisionAction = Readonly<Record<string, JsonValue>> & { readonly kind: string };

/** The answer chosen for one inbound request. */
export interface DecisionRecord extends WithSession {
  readonly kind: 'decision';
  /** The request's packet number and operation. */
  readonly pn: number;
  readonly op: number;
  readonly opName: string;
  /** Id of the deciding scenario rule; null for the built-in default. */
  readonly rule: string | null;
  readonly explanation: string;
  /** Delays then the terminal step, in order. */
  readonly actions: readonly DecisionAction[];
  /** Server-initiated items that follow (status reports, delivers, disconnect). */
  readonly afterwards: readonly DecisionAction[];
}

/** No rule matched a request: the near-miss explanation (follows its `decision` record). */
export interface UnmatchedRecord extends WithSession {
  readonly kind: 'unmatched';
  readonly pn: number;
  readonly op: number;
  readonly opName: string;
  readonly explanation: string;
}

/** A server-initiated item was scheduled (`at`: when it is due, ISO-8601 UTC). */
export interface ScheduledRecord extends WithSession {
  readonly kind: 'scheduled';
  readonly id: number;
  readonly action: DecisionAction;
  readonly at: string;
}

/** A scheduled item fired, or was cancelled (`cancelled` says why). */
export interface FiredRecord extends WithSession {
  readonly kind: 'fired';
  readonly id: number;
  readonly action: DecisionAction;
  readonly at: string;
  readonly packetNumbers?: readonly number[];
  readonly cancelled?: string;
}

/** A whole submitted message, once every part arrived and was answered. */
export interface AssembledRecord extends WithSession {
  readonly kind: 'assembled';
  readonly user?: string;
  readonly destination: string;
  readonly originator?: string;
  readonly text?: string;
  readonly binary?: string;
  readonly encoding: TextEncoding;
  readonly parts: number;
  readonly reference?: number;
  /** Client packet numbers of the parts, in part order. */
  readonly packetNumbers: readonly number[];
  /** 060 of each part's 53, in part order; null where the part was not answered positively. */
  readonly timestamps: readonly (string | null)[];
}

/** An incomplete multipart set expired (`received`: the part numbers that did arrive). */
export interface MultipartExpiredRecord extends WithSession {
  readonly kind: 'multipart-expired';
  readonly destination: string;
  readonly originator?: string;
  readonly reference: number;
  readonly total: number;
  readonly received: readonly number[];
}

/** A server request (20/23/40) got no answer after every resend. */
export interface AckTimeoutRecord extends WithSession {
  readonly kind: 'ack-timeout';
  readonly op: number;
  readonly opName: string;
  readonly pn: number;
  readonly attempts: number;
}

/** A response from the client that answers nothing outstanding (its frame is recorded too). */
export interface UnexpectedResponseRecord extends WithSession {
  readonly kind: 'unexpected-response';
  readonly op: number;
  readonly opName: string;
  readonly pn: number;
}

/**
 * A protocol violation by the client, found by the client judge (docs/judge.md): `check` is the
 * check's id, `frameSeq` the `seq` of the record of the frame it is about (the finding's own
 * `seq` is its place in the transcript).
 */
export interface FindingRecord extends WithSession {
  readonly kind: 'finding';
  readonly check: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly frameSeq: number;
}

/**
 * Who set a scenario: `file` — read from the scenario file (at start or by a hot reload);
 * `api` — given by code (`useScenario`, a `{ yaml }` or compiled `scenario` option) or by the
 * control API (`PUT /scenario`).
 */
export type ScenarioOrigin = 'file' | 'api';

/** A scenario was loaded (at start, by a hot reload, or through the API). */
export interface ScenarioLoadedRecord extends Base {
  readonly kind: 'scenario-loaded';
  readonly file: string;
  /** Who set it (written by every recorder since epochs; absent in older transcripts). */
  readonly source?: ScenarioOrigin;
  /** The scenario's `name`, when it has one. */
  readonly name?: string;
  /** Number of rules, when known. */
  readonly rules?: number;
}

/** One problem of a rejected scenario. */
export interface ScenarioIssueInfo {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

/** A scenario (re)load was rejected; the previous scenario stays in force. */
export interface ScenarioRejectedRecord extends Base {
  readonly kind: 'scenario-rejected';
  readonly file: string;
  /** Who tried to set it (absent in older transcripts). */
  readonly source?: ScenarioOrigin;
  readonly issues: readonly ScenarioIssueInfo[];
}

/**
 * A reset started a new epoch: the default views (the facade's `transcript` and `waitFor`,
 * `GET /transcript`, `cimd2-mock assert`) only look at the records after the last `reset`.
 * Items still pending were cancelled just before (each a `fired` record with `cancelled`), and
 * with `sessions: "close"` the open sessions were closed just before.
 */
export interface ResetRecord extends Base {
  readonly kind: 'reset';
  /** Number of the epoch that starts (1 at the first reset; the records before are epoch 0). */
  readonly epoch: number;
  /** Whether open sessions were kept or closed. */
  readonly sessions: 'keep' | 'close';
  /** Pending scheduled items (status reports, delivers, disconnects) that were cancelled. */
  readonly cancelled: number;
}

/**
 * A fault the server committed on purpose, beside faulted frames (those are `frame` records with
 * `fault`): a `reset` or `half-close` instead of an answer (with the request's `pn`/`op`), the
 * `start`/`end` of a connection-level fault (`latency`, `bandwidth`, `outage`), and each
 * connection an outage turned away (`phase: "connection"`, with `remote`).
 */
export interface FaultRecord extends Base {
  readonly kind: 'fault';
  /** The connection concerned (reset, half-close). */
  readonly session?: string;
  readonly fault: string;
  readonly phase?: 'start' | 'end' | 'connection';
  readonly pn?: number;
  readonly op?: number;
  readonly opName?: string;
  readonly baseMs?: number;
  readonly jitterMs?: number;
  readonly bytesPerSecond?: number;
  readonly mode?: string;
  readonly forMs?: number;
  readonly closeSessions?: boolean;
  readonly remote?: string;
}

/** One line of a transcript. */
export type TranscriptRecord =
  | ServerStartRecord
  | ServerStopRecord
  | SessionOpenRecord
  | SessionCloseRecord
  | FrameRecord
  | FrameErrorRecord
  | DecisionRecord
  | UnmatchedRecord
  | ScheduledRecord
  | FiredRecord
  | AssembledRecord
  | MultipartExpiredRecord
  | AckTimeoutRecord
  | UnexpectedResponseRecord
  | FindingRecord
  | ScenarioLoadedRecord
  | ScenarioRejectedRecord
  | ResetRecord
  | FaultRecord;

/** The `kind` of a record. */
export type RecordKind = TranscriptRecord['kind'];

/** The record type of one kind. */
export type RecordOf<K extends RecordKind> = Extract<TranscriptRecord, { kind: K }>;

/** Every record kind, in the order the documentation lists them. */
export const RECORD_KINDS: readonly RecordKind[] = Object.freeze([
  'server-start',
  'server-stop',
  'session-open',
  'session-close',
  'frame',
  'frame-error',
  'decision',
  'unmatched',
  'scheduled',
  'fired',
  'assembled',
  'multipart-expired',
  'ack-timeout',
  'unexpected-response',
  'finding',
  'scenario-loaded',
  'scenario-rejected',
  'reset',
  'fault',
]);

const KIND_SET = new Set<string>(RECORD_KINDS);

/** True for a known record kind. */
export function isRecordKind(kind: unknown): kind is RecordKind {
  return typeof kind === 'string' && KIND_SET.has(kind);
}

/** True for a frame record. */
export function isFrameRecord(r: TranscriptRecord): r is FrameRecord {
  return r.kind === 'frame';
}
