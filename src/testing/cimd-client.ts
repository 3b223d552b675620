/**
 * A CIMD2 client for tests and load generation: login (with window size), submit in every
 * encoding with automatic splitting, pipelining up to the window, auto-acknowledged deliver
 * messages (20) and status reports (23) as events and awaitable helpers, alive, logout.
 * Works over TCP (`CimdClient.connect`) or any duplex stream (`new CimdClient(stream)`).
 *
 * Over 500 lines on purpose: it is the whole client side of the protocol in one public class
 * (tests read it as the reference client); the codec it builds on is in src/protocol.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { FrameDecoder } from '../protocol/decoder.js';
import { encodeFrame } from '../protocol/encoder.js';
import { getAllParams, getParam, type Frame, type Parameter } from '../protocol/frame.js';
import { Op } from '../protocol/operations.js';
import { Param } from '../protocol/parameters.js';
import { splitMessage } from '../protocol/segment.js';
import { statusName } from '../protocol/status-codes.js';
import {
  decodeUserData,
  defaultEncoding,
  encodeUserData,
  type TextEncoding,
} from '../protocol/user-data.js';
import { Cimd2MockError, SessionClosedError } from '../errors.js';
import { deferred, type Deferred } from '../util/deferred.js';

export interface CimdClientOptions {
  /** Append checksums to sent frames (default true). */
  readonly checksum?: boolean;
  /** Wait for a response this long before failing the request (ms, default 10 000). */
  readonly responseTimeoutMs?: number;
  /** Answer 20/23/40 from the server automatically (default true). */
  readonly autoAck?: boolean;
}

/** A request answered with an error code, a NACK or a general error. */
export class CimdRequestError extends Cimd2MockError {
  override readonly name = 'CimdRequestError';
  readonly code = 'ERR_CLIENT_REQUEST_FAILED';
  readonly response: Frame;
  readonly errorCode: number | undefined;
  constructor(message: string, response: Frame) {
    super(message);
    this.response = response;
    const ec = getParam(response, Param.ErrorCode);
    this.errorCode = ec === undefined ? undefined : Number(ec);
  }
}

/** No response within the timeout. */
export class CimdTimeoutError extends Cimd2MockError {
  override readonly name = 'CimdTimeoutError';
  readonly code = 'ERR_CLIENT_TIMEOUT';
}

/** What to submit. Long content is split into concatenated parts. */
export interface SubmitInput {
  readonly destination: string | readonly string[];
  /** Numeric (023) or alphanumeric (027). */
  readonly originator?: string;
  readonly text?: string;
  readonly bytes?: Uint8Array;
  readonly encoding?: TextEncoding;
  /** Extra UDH (incl. UDHL), e.g. port addressing; kept in every part. */
  readonly udh?: Uint8Array;
  /** 056 bit field (14 as Kannel). */
  readonly statusReportRequest?: number;
  /** 050 relative validity code. */
  readonly validityRelative?: number;
  readonly validityAbsolute?: string;
  readonly messageClass?: 0 | 1 | 2 | 3;
  readonly flash?: boolean;
  readonly replyPath?: boolean;
  readonly protocolIdentifier?: number;
  readonly tariffClass?: number;
  readonly priority?: number;
  readonly extraParameters?: readonly Parameter[];
  readonly reference?: number;
  readonly referenceBits?: 8 | 16;
}

export interface SubmitPartResult {
  readonly pn: number;
  readonly response: Frame;
  /** 060 of a positive 53. */
  readonly timestamp: string | undefined;
  /** 900 of the answer (0 when positive; 98/99 give their code or −1 for a NACK). */
  readonly errorCode: number;
}

export interface SubmitResult extends SubmitPartResult {
  readonly ok: boolean;
  readonly parts: readonly SubmitPartResult[];
}

export interface DeliverEvent {
  readonly frame: Frame;
  readonly destination: string | undefined;
  readonly originator: string | undefined;
  readonly timestamp: string | undefined;
  readonly encoding: TextEncoding;
  readonly text?: string;
  readonly bytes?: Buffer;
  readonly udh?: Buffer;
  readonly concat?: { readonly ref: number; readonly total: number; readonly seq: number };
}

export interface StatusReportEvent {
  readonly frame: Frame;
  readonly destination: string | undefined;
  readonly timestamp: string | undefined;
  readonly status: number;
  readonly statusName: string;
  readonly statusErrorCode: number | undefined;
  readonly dischargeTime: string | undefined;
}

/** A reassembled MO (all parts of a concatenated deliver). */
export interface DeliveredMessage {
  readonly destination: string | undefined;
  readonly originator: string | undefined;
  readonly encoding: TextEncoding;
  readonly text?: string;
  readonly bytes?: Buffer;
  readonly parts: readonly DeliverEvent[];
}

export interface CimdClientEvents {
  frame: [frame: Frame];
  deliver: [event: DeliverEvent];
  'status-report': [event: StatusReportEvent];
  message: [message: DeliveredMessage];
  close: [];
  error: [error: Error];
}

interface Pending {
  readonly pn: number;
  readonly done: Deferred<Frame>;
  timer: NodeJS.Timeout | undefined;
}

export class CimdClient extends EventEmitter<CimdClientEvents> {
  private readonly stream: Duplex;
  private readonly options: Required<CimdClientOptions>;
  private readonly decoder = new FrameDecoder({ maxFrameLength: 65536 });
  private readonly pending = new Map<number, Pending>();
  private readonly waiters: (() => void)[] = [];
  private nextPn = 1;
  private windowSize = 1;
  private closedFlag = false;
  private readonly partSets = new Map<string, DeliverEvent[]>();
  private readonly inbox = {
    deliver: [] as DeliverEvent[],
    report: [] as StatusReportEvent[],
    message: [] as DeliveredMessage[],
  };
  private readonly closedDeferred = deferred<undefined>();

  constructor(stream: Duplex, options: CimdClientOptions = {}) {
    super();
    this.stream = stream;
    this.options = {
      checksum: options.checksum ?? true,
      responseTimeoutMs: options.responseTimeoutMs ?? 10_000,
      autoAck: options.autoAck ?? true,
    };
    stream.on('data', (chunk: Buffer) => {
      for (const r of this.decoder.push(chunk)) if (r.ok) this.onFrame(r.frame);
    });
    stream.on('error', (e) => {
      if (this.listenerCount('error') > 0) this.emit('error', e);
    });
    stream.on('close', () => {
      this.onClosed();
    });
    stream.on('end', () => {
      this.onClosed();
    });
  }

  /** Opens a TCP connection (no login yet). */
  static async connect(
    options: { host?: string; port: number } & CimdClientOptions,
  ): Promise<CimdClient> {
    const socket = net.connect({
      host: options.host ?? '127.0.0.1',
      port: options.port,
      noDelay: true,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new CimdClient(socket, options);
  }

  /** True once the connection closed. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Resolves when the connection closes. */
  whenClosed(): Promise<void> {
    return this.closedDeferred.promise;
  }

  /** Requests waiting for their response. */
  get inFlight(): number {
    return this.pending.size;
  }

  // --------------------------------------------------------------- requests

  /** Writes a frame as is (no packet-number bookkeeping). */
  send(frame: Frame): void {
    if (this.closedFlag) throw new SessionClosedError('connection closed');
    this.stream.write(encodeFrame(frame, { checksum: this.options.checksum }));
  }

  /** Writes raw bytes. */
  sendBytes(bytes: Uint8Array): void {
    this.stream.write(bytes);
  }

  /**
   * Sends a request with the next odd packet number and resolves with the server's response
   * (op + 50, 98 or 99 carrying that number). Waits while `window` requests are outstanding.
   */
  async request(
    op: number,
    params: readonly Parameter[] = [],
    options: { pn?: number } = {},
  ): Promise<Frame> {
    while (this.pending.size >= this.windowSize) {
      if (this.closedFlag) throw new SessionClosedError('connection closed');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.closedFlag) throw new SessionClosedError('connection closed');
    const pn = options.pn ?? this.takePn();
    const p: Pending = { pn, done: deferred<Frame>(), timer: undefined };
    p.timer = setTimeout(() => {
      this.pending.delete(pn);
      this.release();
      p.done.reject(
        new CimdTimeoutError(
          `no response to op ${op} pn ${pn} within ${this.options.responseTimeoutMs} ms`,
        ),
      );
    }, this.options.responseTimeoutMs);
    this.pending.set(pn, p);
    this.send({ op, pn, params });
    return p.done.promise;
  }

  private takePn(): number {
    const pn = this.nextPn;
    this.nextPn = pn >= 255 ? 1 : pn + 2;
    return pn;
  }

  private release(): void {
    const w = this.waiters.shift();
    w?.();
  }

  /** Logs in (packet number 001). `window` > 1 sends 019 and allows pipelining. Throws CimdRequestError on a refusal. */
  async login(user: string, password: string, options: { window?: number } = {}): Promise<Frame> {
    this.nextPn = 1;
    const params: Parameter[] = [
      { code: Param.UserIdentity, value: user },
      { code: Param.Password, value: password },
    ];
    if (options.window !== undefined)
      params.push({ code: Param.WindowSize, value: String(options.window) });
    const response = await this.request(Op.Login, params);
    assertOk(response, Op.LoginResponse, 'login');
    this.windowSize = Math.max(1, options.window ?? 1);
    for (let i = 0; i < this.windowSize; i++) this.release();
    return response;
  }

  /**
   * Submits a message; content longer than one SMS is split into concatenated parts (sent in
   * order, pipelined within the window). Resolves with every part's answer; never throws for
   * an error answer (see `ok`, `errorCode`).
   */
  async submit(input: SubmitInput): Promise<SubmitResult> {
    const frames = this.buildSubmits(input);
    const parts = await Promise.all(
      frames.map(async (params) => {
        const response = await this.request(Op.Submit, params);
        return partResult(response);
      }),
    );
    const first = parts[0];
    if (first === undefined) throw new Error('nothing to submit');
    const failed = parts.find((p) => p.errorCode !== 0);
    return {
      ...first,
      ...(failed === undefined ? {} : { errorCode: failed.errorCode }),
      ok: failed === undefined,
      parts,
    };
  }

  /** The parameters of each submit frame for `input` (exposed for tests and the bench). */
  buildSubmits(input: SubmitInput): Parameter[][] {
    const encoding =
      input.encoding ??
      (input.bytes !== undefined
        ? 'binary'
        : defaultEncoding(input.text === undefined ? {} : { text: input.text }));
    const parts = splitMessage({
      ...(input.text !== undefined ? { text: input.text } : {}),
      ...(input.bytes !== undefined ? { bytes: input.bytes } : {}),
      ...(input.udh !== undefined ? { udh: input.udh } : {}),
      encoding,
      reference: input.reference ?? Math.floor(Math.random() * 256),
      referenceBits: input.referenceBits ?? 8,
    });
    const destinations =
      typeof input.destination === 'string' ? [input.destination] : input.destination;
    return parts.map((part, i) => {
      const params: Parameter[] = destinations.map((d) => ({
        code: Param.DestinationAddress,
        value: d,
      }));
      if (input.originator !== undefined) {
        const code = /^[0-9+-]*$/.test(input.originator)
          ? Param.OriginatingAddress
          : Param.AlphanumericOriginatingAddress;
        params.push({ code, value: input.originator });
      }
      if (input.validityRelative !== undefined)
        params.push({ code: Param.ValidityPeriodRelative, value: String(input.validityRelative) });
      if (input.validityAbsolute !== undefined)
        params.push({ code: Param.ValidityPeriodAbsolute, value: input.validityAbsolute });
      if (input.statusReportRequest !== undefined) {
        // As Kannel: only the first part asks for a report.
        params.push({
          code: Param.StatusReportRequest,
          value: String(i === 0 ? input.statusReportRequest : 0),
        });
      }
      if (input.replyPath !== undefined)
        params.push({ code: Param.ReplyPath, value: input.replyPath ? '1' : '0' });
      if (input.tariffClass !== undefined)
        params.push({ code: Param.TariffClass, value: String(input.tariffClass) });
      if (input.protocolIdentifier !== undefined)
        params.push({ code: Param.ProtocolIdentifier, value: String(input.protocolIdentifier) });
      if (input.priority !== undefined)
        params.push({ code: Param.Priority, value: String(input.priority) });
      if (parts.length > 1)
        params.push({ code: Param.MoreMessagesToSend, value: i < parts.length - 1 ? '1' : '0' });
      const ud = encodeUserData({
        ...(part.text !== undefined ? { text: part.text } : {}),
        ...(part.bytes !== undefined ? { bytes: part.bytes } : {}),
        ...(part.udh !== undefined ? { udh: part.udh } : {}),
        encoding,
        ...(input.messageClass !== undefined ? { messageClass: input.messageClass } : {}),
        ...(input.flash === true ? { flash: true } : {}),
      });
      if (ud.udh !== undefined) params.push({ code: Param.UserDataHeader, value: ud.udh });
      if (ud.userData !== undefined) params.push({ code: Param.UserData, value: ud.userData });
      if (ud.userDataBinary !== undefined)
        params.push({ code: Param.UserDataBinary, value: ud.userDataBinary });
      if (ud.dcs !== undefined)
        params.push({ code: Param.DataCodingScheme, value: String(ud.dcs) });
      params.push(...(input.extraParameters ?? []));
      return params;
    });
  }

  /** Sends alive (40) and waits for the 90. */
  async alive(): Promise<Frame> {
    const r = await this.request(Op.Alive);
    assertOk(r, Op.AliveResponse, 'alive');
    return r;
  }

  /** Sends logout (02), waits for the 52, then closes the connection. */
  async logout(): Promise<Frame> {
    const r = await this.request(Op.Logout);
    await this.close();
    assertOk(r, Op.LogoutResponse, 'logout');
    return r;
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    if (!this.closedFlag) {
      this.stream.end();
      this.stream.destroy();
    }
    await this.closedDeferred.promise;
  }

  // ------------------------------------------------------------- receiving

  /** The next deliver message (20), from those already received or yet to come. */
  nextDeliver(
    options: { timeoutMs?: number; match?: (e: DeliverEvent) => boolean } = {},
  ): Promise<DeliverEvent> {
    return this.next('deliver', this.inbox.deliver, options);
  }

  /** The next status report (23). */
  nextStatusReport(
    options: { timeoutMs?: number; match?: (e: StatusReportEvent) => boolean } = {},
  ): Promise<StatusReportEvent> {
    return this.next('status-report', this.inbox.report, options);
  }

  /** The next whole MO (parts reassembled). */
  nextMessage(
    options: { timeoutMs?: number; match?: (e: DeliveredMessage) => boolean } = {},
  ): Promise<DeliveredMessage> {
    return this.next('message', this.inbox.message, options);
  }

  private next<K extends 'deliver' | 'status-report' | 'message'>(
    event: K,
    queue: CimdClientEvents[K][0][],
    options: { timeoutMs?: number; match?: (e: CimdClientEvents[K][0]) => boolean },
  ): Promise<CimdClientEvents[K][0]> {
    const match = options.match ?? (() => true);
    const idx = queue.findIndex((e) => match(e));
    if (idx >= 0) {
      const [found] = queue.splice(idx, 1);
      if (found !== undefined) return Promise.resolve(found);
    }
    const timeoutMs = options.timeoutMs ?? this.options.responseTimeoutMs;
    return new Promise((resolve, reject) => {
      const listener = (e: CimdClientEvents[K][0]): void => {
        if (!match(e)) return;
        const i = queue.indexOf(e);
        if (i >= 0) queue.splice(i, 1);
        cleanup();
        resolve(e);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new CimdTimeoutError(`no ${event} within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        (this.off as (e: string, l: (x: CimdClientEvents[K][0]) => void) => this)(event, listener);
      };
      (this.on as (e: string, l: (x: CimdClientEvents[K][0]) => void) => this)(event, listener);
    });
  }

  private onFrame(frame: Frame): void {
    this.emit('frame', frame);
    if (frame.op >= 50) {
      const p = this.pending.get(frame.pn);
      if (p === undefined) return;
      this.pending.delete(frame.pn);
      clearTimeout(p.timer);
      this.release();
      p.done.resolve(frame);
      return;
    }
    if (this.options.autoAck) this.send({ op: frame.op + 50, pn: frame.pn, params: [] });
    if (frame.op === Op.DeliverMessage) this.onDeliver(frame);
    else if (frame.op === Op.DeliverStatusReport) this.onStatusReport(frame);
  }

  private onDeliver(frame: Frame): void {
    const base = {
      frame,
      destination: getParam(frame, Param.DestinationAddress),
      originator:
        getParam(frame, Param.OriginatingAddress) ??
        getParam(frame, Param.AlphanumericOriginatingAddress),
      timestamp: getParam(frame, Param.ServiceCentreTimeStamp),
    };
    let event: DeliverEvent;
    try {
      const dcs = getParam(frame, Param.DataCodingScheme);
      const udh = getParam(frame, Param.UserDataHeader);
      const ud = getParam(frame, Param.UserData);
      const udb = getParam(frame, Param.UserDataBinary);
      const d = decodeUserData({
        ...(dcs !== undefined ? { dcs: Number(dcs) } : {}),
        ...(udh !== undefined ? { udh } : {}),
        ...(ud !== undefined ? { userData: ud } : {}),
        ...(udb !== undefined ? { userDataBinary: udb } : {}),
      });
      const c = d.udhInfo?.concat;
      event = {
        ...base,
        encoding: d.encoding,
        ...(d.text !== undefined ? { text: d.text } : {}),
        ...(d.bytes !== undefined ? { bytes: d.bytes } : {}),
        ...(d.udh !== undefined ? { udh: d.udh } : {}),
        ...(c !== undefined ? { concat: { ref: c.ref, total: c.total, seq: c.seq } } : {}),
      };
    } catch {
      event = { ...base, encoding: 'binary' };
    }
    this.push('deliver', this.inbox.deliver, event);
    this.collect(event);
  }

  private collect(event: DeliverEvent): void {
    const c = event.concat;
    if (c === undefined || c.total <= 1) {
      this.emitMessage([event]);
      return;
    }
    const key = [event.originator, event.destination, c.ref, c.total].join('\u0000');
    const set = this.partSets.get(key) ?? [];
    set[c.seq - 1] = event;
    this.partSets.set(key, set);
    let complete = true;
    for (let i = 0; i < c.total; i++) if (set[i] === undefined) complete = false;
    if (complete) {
      this.partSets.delete(key);
      this.emitMessage(set);
    }
  }

  private emitMessage(parts: DeliverEvent[]): void {
    const first = parts[0];
    if (first === undefined) return;
    const isText = parts.every((p) => p.text !== undefined);
    const message: DeliveredMessage = {
      destination: first.destination,
      originator: first.originator,
      encoding: first.encoding,
      parts,
      ...(isText
        ? { text: parts.map((p) => p.text ?? '').join('') }
        : { bytes: Buffer.concat(parts.map((p) => p.bytes ?? Buffer.alloc(0))) }),
    };
    this.push('message', this.inbox.message, message);
  }

  private onStatusReport(frame: Frame): void {
    const status = Number(getParam(frame, Param.StatusCode) ?? '0');
    const sec = getParam(frame, Param.StatusErrorCode);
    this.push('status-report', this.inbox.report, {
      frame,
      destination: getAllParams(frame, Param.DestinationAddress)[0],
      timestamp: getParam(frame, Param.ServiceCentreTimeStamp),
      status,
      statusName: statusName(status),
      statusErrorCode: sec === undefined ? undefined : Number(sec),
      dischargeTime: getParam(frame, Param.DischargeTime),
    });
  }

  /** Queues for next…() unless a listener took it; bounded so an unread inbox cannot grow forever. */
  private push<K extends 'deliver' | 'status-report' | 'message'>(
    event: K,
    queue: CimdClientEvents[K][0][],
    value: CimdClientEvents[K][0],
  ): void {
    queue.push(value);
    if (queue.length > 10_000) queue.shift();
    (this.emit as (e: string, v: CimdClientEvents[K][0]) => boolean)(event, value);
  }

  private onClosed(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    const gone = new SessionClosedError('connection closed');
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.done.reject(gone);
    }
    this.pending.clear();
    for (const w of this.waiters.splice(0)) w();
    this.emit('close');
    this.closedDeferred.resolve(undefined);
  }
}

function partResult(response: Frame): SubmitPartResult {
  const ec = getParam(response, Param.ErrorCode);
  const errorCode =
    response.op === Op.Nack
      ? -1
      : ec !== undefined
        ? Number(ec)
        : response.op === Op.SubmitResponse
          ? 0
          : -1;
  return {
    pn: response.pn,
    response,
    timestamp: errorCode === 0 ? getParam(response, Param.ServiceCentreTimeStamp) : undefined,
    errorCode,
  };
}

function assertOk(response: Frame, op: number, what: string): void {
  const ec = getParam(response, Param.ErrorCode);
  if (response.op !== op || (ec !== undefined && Number(ec) !== 0)) {
    const text = getParam(response, Param.ErrorText);
    throw new CimdRequestError(
      `${what} refused: op ${response.op}${ec === undefined ? '' : ` error ${ec}`}${text === undefined ? '' : ` (${text})`}`,
      response,
    );
  }
}
