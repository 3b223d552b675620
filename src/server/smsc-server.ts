/**
 * The CIMD2 SMSC server: the TypeScript form of the classic SMSCserverCIMD2 component.
 *
 * | component                            | here                                               |
 * |--------------------------------------|----------------------------------------------------|
 * | cimd2InitializeServer                | `listen({ host, port })`                           |
 * | cimd2FinalizeServer                  | `close({ graceMs })`                               |
 * | tcpAcceptConnection / tcpClose…      | `acceptConnection(id)`, `closeConnection(id)`, `closeAllConnections()` |
 * | cimd2SendRAW                         | `sendRaw(id, pn, op, payloadHex)`                  |
 * | cimd2SendLoginResponse               | `sendLoginResponse(id, pn, errorCode, errorText)`  |
 * | cimd2SendDeliverMessage              | `sendDeliverMessage(id, message)`                  |
 * | cimd2SendDeliverStatusReport         | `sendDeliverStatusReport(id, report)`              |
 * | cimd2SendSubmitMessageResponse       | `sendSubmitMessageResponse(id, pn, response)`      |
 * | On… events                           | typed events (see events.ts)                       |
 * | KeepAliveInterval / ThrottleRate     | `keepAliveInterval` / `throttleRate` properties     |
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { DEFAULT_MAX_FRAME_LENGTH } from '../protocol/constants.js';
import type { Parameter } from '../protocol/frame.js';
import { Op, opName } from '../protocol/operations.js';
import { Param } from '../protocol/parameters.js';
import { splitMessage } from '../protocol/segment.js';
import { encodeUserData, type TextEncoding } from '../protocol/user-data.js';
import { isGsm7 } from '../protocol/charset/gsm7.js';
import { hexToBytes, parseTimestamp } from '../protocol/values.js';
import { ConfigError, UnknownSessionError } from '../errors.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { renderTemplate } from '../util/template.js';
import { createDefaultResponder } from './default-responder.js';
import type { CloseReason, ConnectionRequest, ServerEvents } from './events.js';
import type { PnCounter, ResolvedSessionOptions, SessionHost } from './host.js';
import type { Afterward, Decision, RequestContext, Responder, SessionInfo } from './ports.js';
import { Reassembler } from './reassembler.js';
import { Session, errorParams, type OutboundResult } from './session.js';
import { Throttle } from './throttle.js';
import { TimestampAllocator } from './timestamps.js';

export interface SmscServerOptions {
  /** Time source; default real time. */
  readonly clock?: Clock;
  /**
   * Decides every answer. Default: the built-in accept-all responder. `'manual'`: logins and
   * submits wait for `sendLoginResponse` / `sendSubmitMessageResponse` (component style).
   */
  readonly responder?: Responder | 'manual';
  /** KeepAliveInterval in seconds; 0 = off (default). */
  readonly keepAliveInterval?: number;
  /** How long to wait for the 90 to a keep-alive 40 before closing (ms, default 10 000). */
  readonly aliveTimeoutMs?: number;
  /** ThrottleRate: server-sent messages per second; 0 = unlimited (default). */
  readonly throttleRate?: number;
  /** Outbound window: server requests awaiting an answer at once (default 1). */
  readonly window?: number;
  /** Wait for a 70/73 before resending (ms, default 10 000). */
  readonly ackTimeoutMs?: number;
  /** Resends with the same packet number before giving up (default 2). */
  readonly maxResends?: number;
  /** Frame size limit in bytes (default 4096): longer closes the session. */
  readonly maxFrameLength?: number;
  /** Append a checksum to sent frames (default true). */
  readonly checksum?: boolean;
  /** Time zone of 060/063 values: IANA name, default UTC. */
  readonly timeZone?: string;
  /** Logged-in sessions per user; 0 = unlimited (default). Extra logins get 102. */
  readonly maxSessionsPerUser?: number;
  /** With maxSessionsPerUser: a new login replaces the user's oldest session instead of 102. */
  readonly replaceOldestSession?: boolean;
  /** Incomplete multipart sets expire after this (ms, default 10 minutes). */
  readonly multipartTtlMs?: number;
  /** Stop reading a session while this many requests await their answer (default 256). */
  readonly maxPendingRequests?: number;
  /** Close a session whose unread output exceeds this (default 4 MiB). */
  readonly maxWriteBufferBytes?: number;
  /** Delay of the default status report (ms, default 100). */
  readonly statusReportDelayMs?: number;
  /**
   * Open connections at once (sessions plus connections awaiting acceptance), default 1000;
   * 0 = unlimited. A connection over the limit is closed at once (`session-opened` then
   * `session-closed` with code −1), before `tcp-connected`.
   */
  readonly maxSessions?: number;
  /** Close a session that has not logged in successfully this long after connecting (ms, default 30 000; 0 = off). */
  readonly loginTimeoutMs?: number;
  /** Close a session from which no frame arrived for this long (ms, default 0 = off). Unlike keep-alive, nothing is sent first. */
  readonly idleTimeoutMs?: number;
  /** Server requests (20, 23) queued or in flight per session (default 1000); more reject with LimitError. */
  readonly maxOutstanding?: number;
  /** Scheduled items (afterwards, schedule) pending in the whole server (default 100 000); more are cancelled at once. */
  readonly maxScheduledItems?: number;
  /** Incomplete multipart sets held (default 10 000); a new one over the limit expires the oldest. */
  readonly maxMultipartSets?: number;
  /** A closing session whose output does not flush within this is destroyed (ms, default 5000). */
  readonly lingerMs?: number;
}

/** Content and options of a deliver message (op 20, cimd2SendDeliverMessage). */
export interface DeliverMessage {
  /** 021: the application's number the MO is sent to. */
  readonly destination: string;
  /** 023 (digits, +, -) or 027 (alphanumeric). */
  readonly originator: string;
  readonly text?: string;
  readonly bytes?: Uint8Array;
  /** Default: gsm7 when every character is in the GSM alphabet, else ucs2 (binary for bytes). */
  readonly encoding?: TextEncoding;
  /** Extra UDH information elements as bytes incl. UDHL (e.g. port addressing). */
  readonly udh?: Uint8Array;
  readonly options?: {
    readonly statusReportRequest?: number;
    /** Class 0. */
    readonly flash?: boolean;
    readonly messageClass?: 0 | 1 | 2 | 3;
    /** PID 0x40, short message type 0. */
    readonly zeroSms?: boolean;
    readonly protocolIdentifier?: number;
    readonly validityRelative?: number;
    readonly validityAbsolute?: string;
    readonly deliveryTimeRelative?: number;
    readonly deliveryTimeAbsolute?: string;
  };
  /** 060; default the server clock now. */
  readonly timestamp?: string;
  /** Packet number of the first part; default the next server number. */
  readonly pn?: number;
  /** Extra parameters appended to every part. */
  readonly extraParameters?: readonly Parameter[];
  /** Reference for the concatenation UDH; default an 8-bit counter. */
  readonly reference?: number;
  readonly referenceBits?: 8 | 16;
}

/** A deliver status report (op 23, cimd2SendDeliverStatusReport). */
export interface DeliverStatusReport {
  /** 060 of the submit the report is about. */
  readonly messageTimestamp: string;
  /** 021 of that submit. */
  readonly destination: string;
  /** 061 status code (4 delivered, 3 failed, 2 expired …). */
  readonly status: number;
  /** 062 status error code. */
  readonly statusErrorCode?: number;
  /** 063 discharge time; default the server clock now, but never before the 060. */
  readonly dischargeTime?: string;
  readonly pn?: number;
  readonly extraParameters?: readonly Parameter[];
}

/** Outcome of sendDeliverMessage / sendDeliverStatusReport. */
export interface DeliverResult {
  /** Packet numbers used, one per part. */
  readonly packetNumbers: readonly number[];
  /** True when the client answered every part. */
  readonly acknowledged: boolean;
  readonly results: readonly OutboundResult[];
}

interface PendingItem {
  readonly id: number;
  readonly session: Session;
  readonly action: Afterward;
  readonly at: number;
  readonly handle: TimerHandle;
}

const MESSAGE_STORE_LIMIT = 100_000;
const MESSAGE_STORE_SLACK = 10_000;
/** Offline users whose packet-number counters are kept (logins with ever new user names). */
const PN_COUNTER_LIMIT = 10_000;

export class SmscServer extends EventEmitter<ServerEvents> implements SessionHost {
  readonly clock: Clock;
  readonly options: ResolvedSessionOptions;
  readonly timestamps: TimestampAllocator;
  readonly throttle: Throttle;
  readonly reassembler: Reassembler;
  readonly defaultResponder: Responder;
  private responderValue: Responder | 'manual';
  private keepAliveSeconds: number;
  private readonly maxSessionsPerUser: number;
  private readonly maxSessions: number;
  private readonly maxScheduledItems: number;
  private readonly replaceOldest: boolean;
  private readonly timeZone: string;
  private readonly sessionsById = new Map<string, Session>();
  private readonly usersOnline = new Map<string, Set<Session>>();
  private readonly pnCounters = new Map<string, PnCounter>();
  private readonly pendingConnections = new Map<string, { socket: net.Socket; decided: boolean }>();
  private readonly messages = new Map<string, number>();
  private readonly items = new Map<number, PendingItem>();
  private itemSeq = 0;
  private connectionSeq = 0;
  private moReference = 0;
  private netServer: net.Server | undefined;
  private addressValue: { host: string; port: number } | undefined;

  constructor(options: SmscServerOptions = {}) {
    super();
    this.clock = options.clock ?? systemClock;
    this.options = {
      maxFrameLength: positive(
        options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH,
        'maxFrameLength',
      ),
      checksum: options.checksum ?? true,
      window: positive(options.window ?? 1, 'window'),
      ackTimeoutMs: positive(options.ackTimeoutMs ?? 10_000, 'ackTimeoutMs'),
      maxResends: nonNegative(options.maxResends ?? 2, 'maxResends'),
      aliveTimeoutMs: positive(options.aliveTimeoutMs ?? 10_000, 'aliveTimeoutMs'),
      maxPendingRequests: positive(options.maxPendingRequests ?? 256, 'maxPendingRequests'),
      maxWriteBufferBytes: positive(
        options.maxWriteBufferBytes ?? 4 * 1024 * 1024,
        'maxWriteBufferBytes',
      ),
      loginTimeoutMs: nonNegative(options.loginTimeoutMs ?? 30_000, 'loginTimeoutMs'),
      idleTimeoutMs: nonNegative(options.idleTimeoutMs ?? 0, 'idleTimeoutMs'),
      maxOutstanding: positive(options.maxOutstanding ?? 1000, 'maxOutstanding'),
      lingerMs: nonNegative(options.lingerMs ?? 5000, 'lingerMs'),
    };
    this.maxSessions = nonNegative(options.maxSessions ?? 1000, 'maxSessions');
    this.maxScheduledItems = positive(options.maxScheduledItems ?? 100_000, 'maxScheduledItems');
    this.timeZone = options.timeZone ?? 'UTC';
    this.timestamps = new TimestampAllocator(this.clock, { timeZone: this.timeZone });
    this.throttle = new Throttle(
      this.clock,
      nonNegative(options.throttleRate ?? 0, 'throttleRate'),
    );
    this.keepAliveSeconds = nonNegative(options.keepAliveInterval ?? 0, 'keepAliveInterval');
    this.maxSessionsPerUser = nonNegative(options.maxSessionsPerUser ?? 0, 'maxSessionsPerUser');
    this.replaceOldest = options.replaceOldestSession ?? false;
    this.defaultResponder = createDefaultResponder(
      options.statusReportDelayMs === undefined
        ? {}
        : { statusReportDelayMs: options.statusReportDelayMs },
    );
    this.responderValue = options.responder ?? this.defaultResponder;
    this.reassembler = new Reassembler({
      clock: this.clock,
      ttlMs: positive(options.multipartTtlMs ?? 600_000, 'multipartTtlMs'),
      maxSets: positive(options.maxMultipartSets ?? 10_000, 'maxMultipartSets'),
      onEvict: (limit) => {
        this.limitReached(
          'maxMultipartSets',
          limit,
          'the oldest incomplete multipart set expired early (multipart-expired)',
        );
      },
      onComplete: (m) => {
        this.emit('submit-completed', m);
      },
      onExpire: (first, received, total) => {
        this.emit('multipart-expired', {
          clientId: first.clientId,
          destination: first.destination,
          originator: first.originator,
          reference: first.concat?.ref ?? 0,
          total,
          received,
        });
      },
    });
  }

  // ------------------------------------------------------------ properties

  get responder(): Responder | 'manual' {
    return this.responderValue;
  }

  /** Replaces the responder; the next request uses it. */
  setResponder(responder: Responder | 'manual'): void {
    this.responderValue = responder;
  }

  /** KeepAliveInterval (seconds; 0 = off). Setting it re-arms every session. */
  get keepAliveInterval(): number {
    return this.keepAliveSeconds;
  }

  set keepAliveInterval(seconds: number) {
    this.keepAliveSeconds = nonNegative(seconds, 'keepAliveInterval');
    for (const s of this.sessionsById.values()) s.armKeepAlive();
  }

  get keepAliveMs(): number {
    return this.keepAliveSeconds * 1000;
  }

  /** ThrottleRate (server-sent messages per second; 0 = unlimited). */
  get throttleRate(): number {
    return this.throttle.rate;
  }

  set throttleRate(rate: number) {
    this.throttle.rate = nonNegative(rate, 'throttleRate');
  }

  get tracing(): boolean {
    return this.listenerCount('trace') > 0;
  }

  /** The bound address once listening. */
  get address(): { host: string; port: number } | undefined {
    return this.addressValue;
  }

  /** Open sessions. */
  sessions(): SessionInfo[] {
    return [...this.sessionsById.values()].map((s) => s.info);
  }

  /** The session with that ClientID, or undefined. */
  session(clientId: string): Session | undefined {
    return this.sessionsById.get(clientId);
  }

  /** Logged-in sessions of a user, oldest first. */
  sessionsOf(user: string): Session[] {
    return [...(this.usersOnline.get(user) ?? [])];
  }

  // --------------------------------------------------------------- listen

  /** cimd2InitializeServer: listen on host:port (port 0 = ephemeral; the real port is returned). */
  async listen(
    options: { host?: string; port?: number } = {},
  ): Promise<{ host: string; port: number }> {
    if (this.netServer !== undefined)
      throw new ConfigError('server is already listening', 'ERR_CONFIG_LISTENING');
    const host = options.host ?? '127.0.0.1';
    const server = net.createServer({ noDelay: true }, (socket) => {
      this.onConnection(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: options.port ?? 0 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => {
      this.emitError(e);
    });
    this.netServer = server;
    const addr = server.address() as net.AddressInfo;
    this.addressValue = { host, port: addr.port };
    this.emit('listening', this.addressValue);
    return this.addressValue;
  }

  /**
   * cimd2FinalizeServer: stop listening, give sessions `graceMs` to finish pending answers and
   * acknowledgements, then close them.
   */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    const graceMs = options.graceMs ?? 2000;
    const server = this.netServer;
    this.netServer = undefined;
    const closing =
      server === undefined
        ? Promise.resolve()
        : new Promise<void>((r) =>
            server.close(() => {
              r();
            }),
          );
    for (const { socket } of this.pendingConnections.values()) socket.destroy();
    this.pendingConnections.clear();
    await Promise.all(
      [...this.sessionsById.values()].map(async (s) => {
        if (!s.idle && graceMs > 0) {
          await new Promise<void>((resolve) => {
            const t = this.clock.setTimeout(resolve, graceMs);
            const poll = (): void => {
              if (s.idle || !s.isOpen) {
                this.clock.clearTimeout(t);
                resolve();
              } else setImmediate(poll);
            };
            setImmediate(poll);
          });
        }
        s.close({ code: 0, text: 'server stopping' });
        await s.closed;
      }),
    );
    for (const item of this.items.values()) this.clock.clearTimeout(item.handle);
    this.items.clear();
    this.reassembler.clear();
    await closing;
  }

  private onConnection(socket: net.Socket): void {
    socket.pause();
    const id = `c${++this.connectionSeq}`;
    const remoteHost = socket.remoteAddress ?? 'unknown';
    const remotePort = socket.remotePort ?? 0;
    if (this.atSessionLimit()) {
      // Over maxSessions: no tcp-connected; handle() records the connection and closes it.
      this.handle(socket, { id, host: remoteHost, port: remotePort });
      return;
    }
    const entry = { socket, decided: false };
    this.pendingConnections.set(id, entry);
    socket.on('error', () => {
      /* errors before acceptance only close the socket */
    });
    const decision = { deferred: false };
    const request: ConnectionRequest = {
      clientId: id,
      remoteHost,
      remotePort,
      accept: () => {
        this.acceptConnection(id);
      },
      close: () => {
        void this.closeConnection(id);
      },
      defer: () => {
        decision.deferred = true;
      },
    };
    this.emit('tcp-connected', request);
    if (!entry.decided && !decision.deferred) this.acceptConnection(id);
  }

  /** tcpAcceptConnection: accepts a pending connection (no-op if already decided). */
  acceptConnection(clientId: string): void {
    const entry = this.pendingConnections.get(clientId);
    if (entry === undefined || entry.decided) return;
    entry.decided = true;
    this.pendingConnections.delete(clientId);
    const { socket } = entry;
    if (socket.destroyed) return;
    this.handle(socket, {
      id: clientId,
      host: socket.remoteAddress ?? 'unknown',
      port: socket.remotePort ?? 0,
    });
    socket.resume();
  }

  /**
   * Runs a CIMD2 session over any duplex stream (a TCP socket, or one side of an in-memory
   * `duplexPair()` in tests).
   */
  handle(stream: Duplex, remote: { id?: string; host?: string; port?: number } = {}): Session {
    const id = remote.id ?? `c${++this.connectionSeq}`;
    const session = new Session(this, stream, id, remote.host ?? 'local', remote.port ?? 0);
    const refuse = this.atSessionLimit();
    this.sessionsById.set(id, session);
    this.emit('session-opened', session.info);
    if (refuse) {
      const text = `too many connections: maxSessions (${this.maxSessions}) reached`;
      this.limitReached('maxSessions', this.maxSessions, `connection refused: ${text}`, id);
      stream.on('error', () => {
        /* the refused stream is being destroyed */
      });
      session.close({ code: -1, text });
      return session;
    }
    session.start();
    return session;
  }

  /** True when one more connection would exceed maxSessions. */
  private atSessionLimit(): boolean {
    return (
      this.maxSessions > 0 &&
      this.sessionsById.size + this.pendingConnections.size >= this.maxSessions
    );
  }

  /** tcpCloseConnection: closes a pending connection or a session. */
  async closeConnection(clientId: string, reason = 'closed by server'): Promise<void> {
    const pending = this.pendingConnections.get(clientId);
    if (pending !== undefined) {
      pending.decided = true;
      this.pendingConnections.delete(clientId);
      pending.socket.destroy();
      return;
    }
    const session = this.requireSession(clientId);
    session.close({ code: 0, text: reason });
    await session.closed;
  }

  /** tcpCloseAllConnections. */
  async closeAllConnections(reason = 'closed by server'): Promise<void> {
    await Promise.all(
      [...this.sessionsById.keys(), ...this.pendingConnections.keys()].map((id) =>
        this.closeConnection(id, reason),
      ),
    );
  }

  // ----------------------------------------------------------- send API

  /**
   * cimd2SendRAW: sends any frame. `payload` is the parameter section as hex (e.g. the hex of
   * `021:123\t033:hi\t`) or as parameters; the server adds STX, header, checksum and ETX.
   */
  sendRaw(
    clientId: string,
    pn: number,
    op: number,
    payload: string | readonly Parameter[] = [],
  ): void {
    const session = this.requireSession(clientId);
    if (typeof payload !== 'string') {
      session.writeNow({ op, pn, params: payload });
      return;
    }
    const body = hexToBytes(payload);
    const head = Buffer.from(
      `\u0002${String(op).padStart(2, '0')}:${String(pn).padStart(3, '0')}\t`,
      'latin1',
    );
    let sum = 0;
    for (const b of head) sum += b;
    for (const b of body) sum += b;
    const tail = this.options.checksum
      ? Buffer.from(`${(sum & 0xff).toString(16).toUpperCase().padStart(2, '0')}\u0003`, 'latin1')
      : Buffer.from([3]);
    session.writeRaw({ op, pn, params: parseLooseParams(body) }, Buffer.concat([head, body, tail]));
  }

  /** cimd2SendLoginResponse: 51, with 900/901 when errorCode ≠ 0. */
  sendLoginResponse(clientId: string, pn: number, errorCode = 0, errorText?: string): void {
    const params = errorCode === 0 ? [] : errorParams(errorCode, errorText);
    this.requireSession(clientId).answer({ op: Op.LoginResponse, pn, params });
  }

  /** cimd2SendSubmitMessageResponse: 53 with 021 and 060, or with 900/901 when errorCode ≠ 0. */
  sendSubmitMessageResponse(
    clientId: string,
    pn: number,
    response: {
      destination?: string;
      timestamp?: string;
      errorCode?: number;
      errorText?: string;
    } = {},
  ): void {
    const params: Parameter[] = [];
    if (response.destination !== undefined)
      params.push({ code: Param.DestinationAddress, value: response.destination });
    const code = response.errorCode ?? 0;
    if (code === 0) {
      const ts = response.timestamp ?? this.timestamps.allocate(response.destination ?? '');
      params.push({ code: Param.ServiceCentreTimeStamp, value: ts });
    } else params.push(...errorParams(code, response.errorText));
    this.requireSession(clientId).answer({ op: Op.SubmitResponse, pn, params });
  }

  /**
   * cimd2SendDeliverMessage: an MO (op 20), split into concatenated parts when it does not fit
   * one SMS. Resolves once every part was answered or gave up; `packetNumbers` lists the
   * numbers used.
   */
  async sendDeliverMessage(clientId: string, message: DeliverMessage): Promise<DeliverResult> {
    return this.deliverOn(this.requireSession(clientId), message);
  }

  /** cimd2SendDeliverStatusReport: a status report (op 23). */
  async sendDeliverStatusReport(
    clientId: string,
    report: DeliverStatusReport,
  ): Promise<DeliverResult> {
    return this.reportOn(this.requireSession(clientId), report);
  }

  private async deliverOn(session: Session, message: DeliverMessage): Promise<DeliverResult> {
    return this.sendParts(session, this.buildDeliverParams(message), message.pn);
  }

  private async sendParts(
    session: Session,
    frames: readonly Parameter[][],
    firstPn: number | undefined,
  ): Promise<DeliverResult> {
    // All parts or none: a message must not be cut off by maxOutstanding half-way.
    const full = session.capacityError(frames.length);
    if (full !== undefined) throw full;
    const results = await Promise.all(
      frames.map((params, i) =>
        session.request(
          Op.DeliverMessage,
          params,
          i === 0 && firstPn !== undefined ? { pn: firstPn } : {},
        ),
      ),
    );
    return {
      packetNumbers: results.map((r) => r.pn),
      acknowledged: results.every((r) => r.acknowledged),
      results,
    };
  }

  private async reportOn(session: Session, report: DeliverStatusReport): Promise<DeliverResult> {
    const params: Parameter[] = [
      { code: Param.DestinationAddress, value: report.destination },
      { code: Param.ServiceCentreTimeStamp, value: report.messageTimestamp },
      { code: Param.StatusCode, value: String(report.status) },
    ];
    if (report.statusErrorCode !== undefined)
      params.push({ code: Param.StatusErrorCode, value: String(report.statusErrorCode) });
    params.push({
      code: Param.DischargeTime,
      value: report.dischargeTime ?? this.timestamps.dischargeTime(report.messageTimestamp),
    });
    params.push(...(report.extraParameters ?? []));
    this.setMessageStatus(report.messageTimestamp, report.destination, report.status);
    const result = await session.request(
      Op.DeliverStatusReport,
      params,
      report.pn === undefined ? {} : { pn: report.pn },
    );
    return { packetNumbers: [result.pn], acknowledged: result.acknowledged, results: [result] };
  }

  /** Parameters of each part of a deliver message, in the order Kannel reads them. */
  buildDeliverParams(message: DeliverMessage): Parameter[][] {
    const encoding: TextEncoding =
      message.encoding ??
      (message.text !== undefined ? (isGsm7(message.text) ? 'gsm7' : 'ucs2') : 'binary');
    const reference = message.reference ?? (this.moReference = (this.moReference + 1) & 0xff);
    const parts = splitMessage({
      ...(message.text !== undefined ? { text: message.text } : {}),
      ...(message.bytes !== undefined ? { bytes: message.bytes } : {}),
      ...(message.udh !== undefined ? { udh: message.udh } : {}),
      encoding,
      reference,
      referenceBits: message.referenceBits ?? 8,
    });
    const timestamp = message.timestamp ?? this.timestamps.now();
    const o = message.options ?? {};
    const originatorParam = /^[0-9+-]*$/.test(message.originator)
      ? Param.OriginatingAddress
      : Param.AlphanumericOriginatingAddress;
    return parts.map((part) => {
      const ud = encodeUserData({
        ...(part.text !== undefined ? { text: part.text } : {}),
        ...(part.bytes !== undefined ? { bytes: part.bytes } : {}),
        ...(part.udh !== undefined ? { udh: part.udh } : {}),
        encoding,
        ...(o.messageClass !== undefined ? { messageClass: o.messageClass } : {}),
        ...(o.flash === true ? { flash: true } : {}),
      });
      const params: Parameter[] = [
        { code: Param.DestinationAddress, value: message.destination },
        { code: originatorParam, value: message.originator },
        { code: Param.ServiceCentreTimeStamp, value: timestamp },
      ];
      if (ud.dcs !== undefined)
        params.push({ code: Param.DataCodingScheme, value: String(ud.dcs) });
      if (ud.udh !== undefined) params.push({ code: Param.UserDataHeader, value: ud.udh });
      if (ud.userData !== undefined) params.push({ code: Param.UserData, value: ud.userData });
      if (ud.userDataBinary !== undefined)
        params.push({ code: Param.UserDataBinary, value: ud.userDataBinary });
      const pid = o.zeroSms === true ? 0x40 : o.protocolIdentifier;
      if (pid !== undefined) params.push({ code: Param.ProtocolIdentifier, value: String(pid) });
      if (o.statusReportRequest !== undefined)
        params.push({ code: Param.StatusReportRequest, value: String(o.statusReportRequest) });
      if (o.validityRelative !== undefined)
        params.push({ code: Param.ValidityPeriodRelative, value: String(o.validityRelative) });
      if (o.validityAbsolute !== undefined)
        params.push({ code: Param.ValidityPeriodAbsolute, value: o.validityAbsolute });
      if (o.deliveryTimeRelative !== undefined)
        params.push({
          code: Param.FirstDeliveryTimeRelative,
          value: String(o.deliveryTimeRelative),
        });
      if (o.deliveryTimeAbsolute !== undefined)
        params.push({ code: Param.FirstDeliveryTimeAbsolute, value: o.deliveryTimeAbsolute });
      params.push(...(message.extraParameters ?? []));
      return params;
    });
  }

  // ---------------------------------------------------- SessionHost hooks

  limitReached(limit: string, value: number, detail: string, clientId?: string): void {
    this.emit('limit-reached', {
      limit,
      value,
      detail,
      ...(clientId !== undefined ? { clientId } : {}),
    });
  }

  emitError(error: unknown): void {
    const e = error instanceof Error ? error : new Error(String(error));
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }

  trace(session: Session, dir: 'in' | 'out', op: number, raw: Buffer): void {
    const local =
      this.addressValue === undefined
        ? 'local'
        : `${this.addressValue.host}:${this.addressValue.port}`;
    this.emit('trace', {
      clientId: session.id,
      from: dir === 'in' ? session.remote : local,
      to: dir === 'in' ? local : session.remote,
      op,
      opName: opName(op),
      operationType: op >= 50 ? 'response' : 'request',
      pdu: raw.toString('hex').toUpperCase(),
    });
  }

  userSessionCount(user: string, except: Session): number {
    const set = this.usersOnline.get(user);
    if (set === undefined) return 0;
    return set.has(except) ? set.size - 1 : set.size;
  }

  admitLogin(session: Session, user: string): number | undefined {
    if (this.maxSessionsPerUser === 0) return undefined;
    const others = this.sessionsOf(user).filter((s) => s !== session);
    if (others.length < this.maxSessionsPerUser) return undefined;
    if (!this.replaceOldest) {
      const detail = `login of ${user} answered 102: ${others.length} sessions logged in already`;
      this.limitReached('maxSessionsPerUser', this.maxSessionsPerUser, detail, session.id);
      return 102;
    }
    const excess = others.length - this.maxSessionsPerUser + 1;
    for (const old of others.slice(0, excess))
      old.close({ code: 0, text: 'replaced by a new login of the same user' });
    return undefined;
  }

  onLoggedIn(session: Session): void {
    const user = session.user;
    if (user === undefined) return;
    let set = this.usersOnline.get(user);
    if (set === undefined) {
      set = new Set();
      this.usersOnline.set(user, set);
    }
    set.add(session);
    this.emit('logged-in', session.info);
  }

  onClosed(session: Session, reason: CloseReason): void {
    this.sessionsById.delete(session.id);
    const user = session.user;
    if (user !== undefined) {
      const set = this.usersOnline.get(user);
      set?.delete(session);
      if (set?.size === 0) this.usersOnline.delete(user);
    }
    for (const item of [...this.items.values()]) {
      if (item.session !== session) continue;
      const target = 'target' in item.action ? item.action.target : undefined;
      if (target === 'user') continue;
      this.clock.clearTimeout(item.handle);
      this.items.delete(item.id);
      this.emit('fired', session.info, {
        id: item.id,
        action: item.action,
        at: item.at,
        cancelled: 'session closed',
      });
    }
    this.emit('session-closed', session.info, reason);
    this.emit('tcp-disconnected', session.id, reason);
  }

  pnCounterFor(user: string): PnCounter {
    const c = this.pnCounters.get(user) ?? { next: 0 };
    // Most recently used last, so the pruning below drops users not seen for longest.
    this.pnCounters.delete(user);
    this.pnCounters.set(user, c);
    if (this.pnCounters.size > PN_COUNTER_LIMIT) {
      for (const old of this.pnCounters.keys()) {
        if (this.pnCounters.size <= PN_COUNTER_LIMIT) break;
        if (!this.usersOnline.has(old)) this.pnCounters.delete(old);
      }
    }
    return c;
  }

  /** Users whose server packet numbers are remembered (at most 10 000 offline ones). */
  get rememberedUsers(): number {
    return this.pnCounters.size;
  }

  reserveTimestamp(destination: string, timestamp: string): void {
    try {
      this.timestamps.reserve(
        destination,
        Math.floor(parseTimestamp(timestamp, this.timeZone).getTime() / 1000),
      );
    } catch {
      /* a fixed 060 that is not a time is used as given */
    }
  }

  rememberMessage(timestamp: string, destination: string): void {
    this.setMessageStatus(timestamp, destination, 1);
  }

  private setMessageStatus(timestamp: string, destination: string, status: number): void {
    const key = `${timestamp}\u0000${destination}`;
    if (this.messages.has(key)) this.messages.delete(key);
    this.messages.set(key, status);
    // Evict in batches: deleting one oldest entry per insert walks an ever longer run of
    // deleted slots at the front of the Map (throughput halved after ~100k submits).
    if (this.messages.size > MESSAGE_STORE_LIMIT + MESSAGE_STORE_SLACK) {
      let excess = this.messages.size - MESSAGE_STORE_LIMIT;
      for (const k of this.messages.keys()) {
        if (excess-- <= 0) break;
        this.messages.delete(k);
      }
    }
  }

  messageStatus(timestamp: string, destination: string): number | undefined {
    return this.messages.get(`${timestamp}\u0000${destination}`);
  }

  scheduleAfterwards(
    session: Session,
    request: RequestContext,
    decision: Decision,
    timestamp: string | undefined,
  ): void {
    const vars = {
      destination: request.fields.destination,
      originator: request.fields.originator,
      text: request.fields.text,
      user: session.user,
      timestamp,
      session: session.id,
    };
    for (const action of decision.afterwards)
      this.schedule(session, action, vars, request.fields.destination ?? '', timestamp);
  }

  /**
   * Schedules one server-initiated item on `session` (or, with `target: 'user'`, on another
   * session of the same user if that one has closed by then).
   */
  schedule(
    session: Session,
    action: Afterward,
    vars: Readonly<Record<string, string | undefined>>,
    destination = '',
    timestamp?: string,
  ): number {
    const id = ++this.itemSeq;
    const at = this.clock.now() + action.afterMs;
    if (this.items.size >= this.maxScheduledItems) {
      const max = this.maxScheduledItems;
      const cancelled = `maxScheduledItems (${max}) reached: not scheduled`;
      this.emit('scheduled', session.info, { id, action, at });
      this.emit('fired', session.info, { id, action, at, cancelled });
      this.limitReached('maxScheduledItems', max, `item ${id} cancelled: ${cancelled}`, session.id);
      return id;
    }
    const handle = this.clock.setTimeout(() => {
      this.items.delete(id);
      this.fire(id, session, action, at, vars, destination, timestamp);
    }, action.afterMs);
    this.items.set(id, { id, session, action, at, handle });
    this.emit('scheduled', session.info, { id, action, at });
    return id;
  }

  /** Items scheduled and not fired yet. */
  get pendingItems(): number {
    return this.items.size;
  }

  /**
   * Cancels every item scheduled and not fired yet (status reports, delivers, disconnects),
   * each reported as `fired` with `cancelled: reason`, oldest first; returns how many.
   */
  cancelScheduled(reason: string): number {
    const pending = [...this.items.values()];
    this.items.clear();
    for (const item of pending) {
      this.clock.clearTimeout(item.handle);
      this.emit('fired', item.session.info, {
        id: item.id,
        action: item.action,
        at: item.at,
        cancelled: reason,
      });
    }
    return pending.length;
  }

  private fire(
    id: number,
    origin: Session,
    action: Afterward,
    at: number,
    vars: Readonly<Record<string, string | undefined>>,
    destination: string,
    timestamp: string | undefined,
  ): void {
    const target = 'target' in action ? action.target : undefined;
    let session: Session | undefined = origin.isOpen ? origin : undefined;
    if (session === undefined && target === 'user' && origin.user !== undefined) {
      session = this.sessionsOf(origin.user).find((s) => s.isOpen);
    }
    const info = (session ?? origin).info;
    if (session === undefined) {
      this.emit('fired', info, { id, action, at, cancelled: 'no open session of the user' });
      return;
    }
    const s = session;
    const swallow = (): void => {
      /* the session closed before the answer; the close is recorded already */
    };

    switch (action.kind) {
      case 'statusReport': {
        if (timestamp === undefined) {
          this.emit('fired', info, {
            id,
            action,
            at,
            cancelled: 'the submit got no 060 (not answered positively)',
          });
          return;
        }
        const full = s.capacityError(1);
        if (full !== undefined) {
          this.emit('fired', info, { id, action, at, cancelled: full.message });
          return;
        }
        this.emit('fired', info, { id, action, at });
        const report = {
          messageTimestamp: timestamp,
          destination,
          status: action.status,
          ...(action.errorCode !== undefined ? { statusErrorCode: action.errorCode } : {}),
          ...(action.dischargeTime !== undefined
            ? { dischargeTime: renderTemplate(action.dischargeTime, vars) }
            : {}),
        };
        this.reportOn(s, report).catch(swallow);
        return;
      }
      case 'deliver': {
        let parts: Parameter[][];
        try {
          parts = this.buildDeliverParams(this.deliverMessageOf(action, vars));
        } catch (error) {
          const why = error instanceof Error ? error.message : String(error);
          this.emit('fired', info, {
            id,
            action,
            at,
            cancelled: `cannot build the message: ${why}`,
          });
          this.emitError(error);
          return;
        }
        const full = s.capacityError(parts.length);
        if (full !== undefined) {
          this.emit('fired', info, { id, action, at, cancelled: full.message });
          return;
        }
        this.emit('fired', info, { id, action, at });
        this.sendParts(s, parts, undefined).catch(swallow);
        return;
      }
      case 'disconnect':
        this.emit('fired', info, { id, action, at });
        s.close({ code: 0, text: 'disconnected by the scenario' });
        return;
    }
  }

  private deliverMessageOf(
    action: Extract<Afterward, { kind: 'deliver' }>,
    vars: Readonly<Record<string, string | undefined>>,
  ): DeliverMessage {
    return {
      destination: renderTemplate(action.to, vars),
      originator: renderTemplate(action.from, vars),
      ...(action.text !== undefined ? { text: renderTemplate(action.text, vars) } : {}),
      ...(action.hex !== undefined ? { bytes: hexToBytes(renderTemplate(action.hex, vars)) } : {}),
      ...(action.encoding !== undefined ? { encoding: action.encoding } : {}),
      ...(action.udh !== undefined ? { udh: hexToBytes(action.udh) } : {}),
    };
  }

  private requireSession(clientId: string): Session {
    const s = this.sessionsById.get(clientId);
    if (s === undefined) throw new UnknownSessionError(`no open session ${clientId}`);
    return s;
  }
}

function positive(n: number, name: string): number {
  if (!Number.isFinite(n) || n <= 0)
    throw new ConfigError(`${name} must be a positive number, got ${n}`);
  return n;
}

function nonNegative(n: number, name: string): number {
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${name} must be ≥ 0, got ${n}`);
  return n;
}

/** Best-effort parameter list of a raw payload, for events and the transcript. */
function parseLooseParams(body: Buffer): Parameter[] {
  const out: Parameter[] = [];
  for (const part of body.toString('latin1').split('\t')) {
    const m = /^(\d{3}):(.*)$/s.exec(part);
    if (m?.[1] !== undefined && m[2] !== undefined) out.push({ code: Number(m[1]), value: m[2] });
  }
  return out;
}
