/**
 * Typed events of the SMSC server (`SmscServer extends EventEmitter<ServerEvents>`). The first
 * group mirrors the classic SMSCserverCIMD2 component's On… events; the second is the detailed
 * stream the transcript recorder and the facade subscribe to.
 */
import type { DecodeResult } from '../protocol/decoder.js';
import type { FrameDecode } from '../protocol/fields.js';
import type { Frame } from '../protocol/frame.js';
import type { Afterward, Decision, RequestContext, SessionInfo, TextEncoding } from './ports.js';

/** Why a session ended. `code` follows OnTcpDisconnected: 0 remote or orderly, −1 protocol error, >0 network error (errno). */
export interface CloseReason {
  readonly code: number;
  readonly text: string;
}

/** A new TCP connection awaiting acceptance (OnTcpConnected). */
export interface ConnectionRequest {
  readonly clientId: string;
  readonly remoteHost: string;
  readonly remotePort: number;
  /** Accept now. */
  accept(): void;
  /** Refuse: the socket is closed at once. */
  close(): void;
  /** Keep it pending; decide later with accept()/close() or the server's acceptConnection/closeConnection. */
  defer(): void;
}

/** OnCimd2TraceProtocol: every frame both ways. */
export interface TraceEvent {
  readonly clientId: string;
  readonly from: string;
  readonly to: string;
  readonly op: number;
  readonly opName: string;
  readonly operationType: 'request' | 'response';
  /** The whole PDU as uppercase hex. */
  readonly pdu: string;
}

/** OnCimd2LoginReceived. */
export interface LoginEvent {
  readonly clientId: string;
  readonly pn: number;
  readonly user: string;
  readonly password: string;
  readonly frame: Frame;
}

/** OnCimd2DeliverResponseReceived (70 for a deliver message, 73 for a status report). */
export interface DeliverResponseEvent {
  readonly clientId: string;
  readonly pn: number;
  /** 70 or 73. */
  readonly op: number;
  /** 900 of the response; 0 when absent. */
  readonly errorCode: number;
}

/** Relative or absolute time parameter of a submit (050/051, 053/054). */
export interface SubmitTime {
  /** The relative code (GSM TP-VP byte) when relative. */
  readonly relative?: number;
  /** The absolute yymmddhhmmss value when absolute. */
  readonly absolute?: string;
  /** Duration in ms (relative validity capped at 31 days). */
  readonly ms?: number;
}

/** Submit options carried by a 03. */
export interface SubmitOptions {
  readonly statusReportRequest?: number;
  readonly replyPath?: boolean;
  readonly moreMessagesToSend?: boolean;
  readonly protocolIdentifier?: number;
  readonly tariffClass?: number;
  readonly serviceDescription?: number;
  readonly priority?: number;
  readonly cancelEnabled?: boolean;
  readonly messageClass?: number;
  readonly flash?: boolean;
}

/** OnCimd2SubmitMessageReceived: one decoded 03. */
export interface SubmitEvent {
  readonly clientId: string;
  readonly user: string | undefined;
  readonly pn: number;
  readonly destination: string;
  readonly destinations: readonly string[];
  readonly originator: string | undefined;
  /** Unicode text for text encodings. */
  readonly text?: string;
  /** Bytes for binary encodings. */
  readonly bytes?: Buffer;
  readonly encoding: TextEncoding;
  readonly dcs: number;
  readonly udh?: Buffer;
  readonly options: SubmitOptions;
  readonly validityPeriod?: SubmitTime;
  readonly deliveryTime?: SubmitTime;
  /** Parameters not covered by the fields above, by code. */
  readonly extraParameters: readonly { readonly code: number; readonly value: string }[];
  readonly frame: Frame;
}

/**
 * OnCimd2SubmitMessageCompleted: a whole message, once every part arrived and was answered
 * positively (a 53 with 060). Not emitted for a message whose part got an error, nack, drop or
 * disconnect, unless the client sends that part again and it is accepted.
 */
export interface SubmitCompletedEvent {
  readonly clientId: string;
  readonly user: string | undefined;
  readonly destination: string;
  readonly originator: string | undefined;
  readonly text?: string;
  readonly bytes?: Buffer;
  readonly encoding: TextEncoding;
  /** Total parts (1 for a single SMS). */
  readonly parts: number;
  /** Concatenation reference, when multipart. */
  readonly reference?: number;
  /** Client packet numbers of the parts in part order. */
  readonly packetNumbers: readonly number[];
  /** 060 of each part's positive 53 in part order (never undefined since every part was accepted). */
  readonly timestamps: readonly (string | undefined)[];
}

/** An incomplete multipart set that expired. */
export interface MultipartExpiredEvent {
  readonly clientId: string;
  readonly destination: string;
  readonly originator: string | undefined;
  readonly reference: number;
  readonly total: number;
  readonly received: readonly number[];
}

/** A server-initiated item (afterwards or API call) that was scheduled or fired. */
export interface ScheduledItemEvent {
  readonly id: number;
  readonly action: Afterward;
  /** Clock time at which it fires / fired. */
  readonly at: number;
  /** Packet numbers used when it fired. */
  readonly packetNumbers?: readonly number[];
  /** Why it did not fire (cancelled with the session, no session, …). */
  readonly cancelled?: string;
}

/**
 * A configured limit was reached and its defined answer given (README "Limits"): a connection
 * refused (`maxSessions`, `maxSessionsPerAddress`), a session closed (`loginTimeoutMs`,
 * `idleTimeoutMs`, `maxWriteBufferBytes`, `maxFrameLength`, `lingerMs` after a half-close), an item not sent (`maxOutstanding`,
 * `maxScheduledItems`) or an incomplete multipart set dropped (`maxMultipartSets`).
 */
export interface LimitReachedEvent {
  /** The option's name, e.g. `maxSessions`. */
  readonly limit: string;
  /** Its setting. */
  readonly value: number;
  /** What was done, in words. */
  readonly detail: string;
  /** The connection concerned, when there is one. */
  readonly clientId?: string;
}

/**
 * The answer the server gave to an inbound frame that did not decode: a 99 (checksum error), a
 * 98 carrying `errorCode`, or closing the session (a frame over `maxFrameLength`).
 */
export type BadFrameAnswer =
  | { readonly op: 99; readonly pn: number }
  | { readonly op: 98; readonly pn: number; readonly errorCode: number }
  | { readonly close: true };

/**
 * What the session made of an inbound frame, beside the decode result of `frame-in`: the
 * frame's one decode of its fields (a frame that decoded), or the answer given to it (one that
 * did not).
 */
export type FrameInDetail = FrameDecode | BadFrameAnswer;

/**
 * A fault the server committed on purpose, beside the faulted frames themselves (those are
 * `frame-out` with their fault kind): an answer replaced by a `reset` or `half-close` (`session`,
 * `pn`/`op` of the request left unanswered), and the `start`/`end` of a connection-level fault
 * (`latency`, `bandwidth`, `outage`), plus each connection an outage turned away (`connection`).
 */
export interface FaultEvent {
  /** The connection concerned (reset, half-close). */
  readonly session?: string;
  /** `reset`, `half-close`, `latency`, `bandwidth` or `outage`. */
  readonly fault: string;
  readonly phase?: 'start' | 'end' | 'connection';
  readonly pn?: number;
  readonly op?: number;
  readonly baseMs?: number;
  readonly jitterMs?: number;
  readonly bytesPerSecond?: number;
  readonly mode?: string;
  readonly forMs?: number;
  readonly closeSessions?: boolean;
  /** `ip:port` of a connection an outage turned away. */
  readonly remote?: string;
}

export interface ServerEvents {
  'tcp-connected': [request: ConnectionRequest];
  'tcp-disconnected': [clientId: string, reason: CloseReason];
  raw: [clientId: string, frame: Frame, raw: Buffer];
  login: [event: LoginEvent];
  'deliver-response': [event: DeliverResponseEvent];
  submit: [event: SubmitEvent];
  'submit-completed': [event: SubmitCompletedEvent];
  trace: [event: TraceEvent];
  // detailed stream
  listening: [address: { host: string; port: number }];
  'session-opened': [session: SessionInfo];
  'session-closed': [session: SessionInfo, reason: CloseReason];
  'logged-in': [session: SessionInfo];
  'frame-in': [session: SessionInfo, result: DecodeResult, detail?: FrameInDetail];
  /** `fault`: the fault kind when the bytes were distorted on purpose (raw is what was sent). */
  'frame-out': [session: SessionInfo, frame: Frame, raw: Buffer, fault?: string];
  fault: [event: FaultEvent];
  decision: [session: SessionInfo, request: RequestContext, decision: Decision];
  scheduled: [session: SessionInfo, item: ScheduledItemEvent];
  fired: [session: SessionInfo, item: ScheduledItemEvent];
  'multipart-expired': [event: MultipartExpiredEvent];
  'ack-timeout': [session: SessionInfo, frame: Frame, attempts: number];
  'unexpected-response': [session: SessionInfo, frame: Frame];
  'limit-reached': [event: LimitReachedEvent];
  error: [error: Error];
}
