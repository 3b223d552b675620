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
 *
 * Inside it is the listener and the session registry; the rest are named parts: the
 * `MessageStore` (060 allocation, message statuses), the `Scheduler`, `Deliveries` (deliver
 * messages and status reports through a session's `OutboundWindow`), the component-API frames
 * (component-api.ts) and the `ManualResponder` of manual mode.
 *
 * Over 500 lines on purpose: it is the public component (every function, event and property in
 * the table above, each documented here); what it delegates to lives in the parts named above.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Parameter } from '../protocol/frame.js';
import { ConfigError, UnknownSessionError } from '../errors.js';
import { systemClock, type Clock } from '../util/clock.js';
import { ConnectionFaults } from './connection-faults.js';
import { loginResponse, sendRaw, submitResponse, type SubmitResponse } from './component-api.js';
import { createDefaultResponder } from './default-responder.js';
import {
  Deliveries,
  type DeliverMessage,
  type DeliverResult,
  type DeliverStatusReport,
} from './deliveries.js';
import type { ConnectionRequest, ServerEvents } from './events.js';
import { ManualResponder, immediate, type RequestDecider } from './manual-responder.js';
import { MessageStore } from './message-store.js';
import {
  DEFAULT_MAX_SESSIONS_PER_ADDRESS,
  nonNegative,
  resolveServerOptions,
  type SmscServerOptions,
} from './options.js';
import type { PnCounter } from './outbound-window.js';
import type { Afterward, Responder, SessionInfo } from './ports.js';
import { Reassembler } from './reassembler.js';
import { SessionRegistry, addressKey, isLoopback } from './registry.js';
import { Scheduler, type LoginScheduleItem } from './scheduler.js';
import {
  ServerSession,
  type ResolvedSessionOptions,
  type Session,
  type SessionParts,
} from './session.js';
import { ServerSignals } from './signals.js';
import { Throttle } from './throttle.js';
import type { TimestampAllocator } from './timestamps.js';

export type { SmscServerOptions } from './options.js';
export type { DeliverMessage, DeliverResult, DeliverStatusReport } from './deliveries.js';
export type { LoginScheduleItem } from './scheduler.js';

export class SmscServer extends EventEmitter<ServerEvents> {
  readonly clock: Clock;
  readonly options: ResolvedSessionOptions;
  private readonly store: MessageStore;
  readonly throttle: Throttle;
  readonly reassembler: Reassembler;
  readonly defaultResponder: Responder;
  private readonly scheduler: Scheduler;
  private readonly signals: ServerSignals;
  private readonly registry: SessionRegistry<ServerSession>;
  private readonly deliveries: Deliveries;
  private readonly parts: SessionParts;
  /** Connection-level faults: latency, bandwidth, outage (connection-faults.ts). */
  readonly faults: ConnectionFaults;
  private responderValue: Responder | 'manual';
  private decider: RequestDecider;
  private keepAliveSeconds: number;
  private readonly maxSessions: number;
  /** undefined: the default (DEFAULT_MAX_SESSIONS_PER_ADDRESS for non-loopback addresses). */
  private readonly maxSessionsPerAddress: number | undefined;
  private readonly pendingConnections = new Map<
    string,
    { socket: net.Socket; decided: boolean; host: string }
  >();
  private connectionSeq = 0;
  private netServer: net.Server | undefined;
  private addressValue: { host: string; port: number } | undefined;

  constructor(options: SmscServerOptions = {}) {
    super();
    const resolved = resolveServerOptions(options);
    this.clock = options.clock ?? systemClock;
    this.options = resolved.session;
    this.maxSessions = resolved.maxSessions;
    this.maxSessionsPerAddress = resolved.maxSessionsPerAddress;
    this.keepAliveSeconds = resolved.keepAliveInterval;
    this.signals = new ServerSignals(this, () =>
      this.addressValue === undefined
        ? 'local'
        : `${this.addressValue.host}:${this.addressValue.port}`,
    );
    this.store = new MessageStore(this.clock, { timeZone: resolved.timeZone });
    this.throttle = new Throttle(this.clock, resolved.throttleRate);
    this.registry = new SessionRegistry({
      maxSessionsPerUser: resolved.maxSessionsPerUser,
      replaceOldest: resolved.replaceOldestSession,
      refused: (detail, id) => {
        this.signals.limitReached('maxSessionsPerUser', resolved.maxSessionsPerUser, detail, id);
      },
    });
    this.deliveries = new Deliveries(this.store);
    this.scheduler = new Scheduler(
      this.clock,
      this.signals,
      this.registry,
      this.deliveries,
      resolved.maxScheduledItems,
    );
    this.faults = new ConnectionFaults({
      clock: this.clock,
      emit: (event) => {
        this.signals.emit('fault', event);
      },
      pauseListening: () => {
        this.netServer?.close();
      },
      resumeListening: () => {
        const server = this.netServer;
        const address = this.addressValue;
        if (server === undefined || address === undefined || server.listening) return;
        server.listen({ host: address.host, port: address.port });
      },
      closeSessions: (reason) => {
        for (const s of [...this.registry.all()]) s.close({ code: 0, text: reason });
      },
    });
    this.scheduler.useFaults(this.faults);
    this.defaultResponder = createDefaultResponder(
      options.statusReportDelayMs === undefined
        ? {}
        : { statusReportDelayMs: options.statusReportDelayMs },
    );
    this.responderValue = options.responder ?? this.defaultResponder;
    this.decider = this.deciderFor(this.responderValue);
    this.reassembler = new Reassembler({
      clock: this.clock,
      ttlMs: resolved.multipartTtlMs,
      maxSets: resolved.maxMultipartSets,
      onEvict: (limit) => {
        this.signals.limitReached(
          'maxMultipartSets',
          limit,
          'the oldest incomplete multipart set expired early (multipart-expired)',
        );
      },
      onComplete: (m) => {
        this.signals.emit('submit-completed', m);
      },
      onExpire: (first, received, total) => {
        this.signals.emit('multipart-expired', {
          clientId: first.clientId,
          destination: first.destination,
          originator: first.originator,
          reference: first.concat?.ref ?? 0,
          total,
          received,
        });
      },
    });
    this.parts = {
      clock: this.clock,
      options: this.options,
      signals: this.signals,
      registry: this.registry,
      store: this.store,
      throttle: this.throttle,
      reassembler: this.reassembler,
      faults: this.faults,
      scheduler: this.scheduler,
      decider: () => this.decider,
      keepAliveMs: () => this.keepAliveSeconds * 1000,
    };
  }

  // ------------------------------------------------------------ properties

  get responder(): Responder | 'manual' {
    return this.responderValue;
  }

  /** Replaces the responder; the next request uses it. */
  setResponder(responder: Responder | 'manual'): void {
    this.responderValue = responder;
    this.decider = this.deciderFor(responder);
  }

  private deciderFor(responder: Responder | 'manual'): RequestDecider {
    return responder === 'manual'
      ? new ManualResponder(this.defaultResponder)
      : immediate(responder);
  }

  /** KeepAliveInterval (seconds; 0 = off). Setting it re-arms every session. */
  get keepAliveInterval(): number {
    return this.keepAliveSeconds;
  }

  set keepAliveInterval(seconds: number) {
    this.keepAliveSeconds = nonNegative(seconds, 'keepAliveInterval');
    for (const s of this.registry.all()) s.armKeepAlive();
  }

  /** ThrottleRate (server-sent messages per second; 0 = unlimited). */
  get throttleRate(): number {
    return this.throttle.rate;
  }

  set throttleRate(rate: number) {
    this.throttle.rate = nonNegative(rate, 'throttleRate');
  }

  /** The 060 allocator (unique per destination). */
  get timestamps(): TimestampAllocator {
    return this.store.timestamps;
  }

  /** The bound address once listening. */
  get address(): { host: string; port: number } | undefined {
    return this.addressValue;
  }

  /** Open sessions. */
  sessions(): SessionInfo[] {
    return [...this.registry.all()].map((s) => s.info);
  }

  /** How many sessions are open (`sessions().length` without building the list). */
  get sessionCount(): number {
    return this.registry.size;
  }

  /** The session with that ClientID, or undefined. */
  session(clientId: string): Session | undefined {
    return this.registry.get(clientId);
  }

  /** Logged-in sessions of a user, oldest first. */
  sessionsOf(user: string): Session[] {
    return this.registry.sessionsOf(user);
  }

  /** The server packet-number counter of a user (shared by its sessions). */
  pnCounterFor(user: string): PnCounter {
    return this.registry.pnCounterFor(user);
  }

  /** Users whose server packet numbers are remembered (at most 10 000 offline ones). */
  get rememberedUsers(): number {
    return this.registry.rememberedUsers;
  }

  /** Items scheduled and not fired yet. */
  get pendingItems(): number {
    return this.scheduler.pending;
  }

  // --------------------------------------------------------------- listen

  /** cimd2InitializeServer: listen on host:port (port 0 = ephemeral; the real port is returned). */
  async listen(
    options: { host?: string; port?: number } = {},
  ): Promise<{ host: string; port: number }> {
    if (this.netServer !== undefined)
      throw new ConfigError('server is already listening', 'ERR_CONFIG_LISTENING');
    const host = options.host ?? '127.0.0.1';
    // Half-open: a client may send its FIN right after its requests and still read the answers.
    const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
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
      this.signals.error(e);
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
    this.faults.stop();
    // (A listener an outage closed is not listening: nothing to close.)
    const closing =
      server?.listening === true
        ? new Promise<void>((r) =>
            server.close(() => {
              r();
            }),
          )
        : Promise.resolve();
    for (const { socket } of this.pendingConnections.values()) socket.destroy();
    this.pendingConnections.clear();
    await Promise.all(
      [...this.registry.all()].map(async (s) => {
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
    this.scheduler.clear();
    this.reassembler.clear();
    await closing;
  }

  private onConnection(socket: net.Socket): void {
    if (this.faults.inOutage && this.faults.intercept(socket)) return;
    socket.pause();
    const id = `c${++this.connectionSeq}`;
    const remoteHost = socket.remoteAddress ?? 'unknown';
    const remotePort = socket.remotePort ?? 0;
    if (this.refusal(remoteHost) !== undefined) {
      // Over maxSessions or maxSessionsPerAddress: no tcp-connected; handle() records the
      // connection and closes it.
      this.handle(socket, { id, host: remoteHost, port: remotePort });
      return;
    }
    const entry = { socket, decided: false, host: remoteHost };
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
    const session = new ServerSession(
      this.parts,
      stream,
      id,
      remote.host ?? 'local',
      remote.port ?? 0,
    );
    const refusal = this.refusal(session.remoteHost);
    this.registry.add(session);
    this.signals.emit('session-opened', session.info);
    if (refusal !== undefined) {
      const { limit, value, text } = refusal;
      this.signals.limitReached(limit, value, `connection refused: ${text}`, id);
      stream.on('error', () => {
        /* the refused stream is being destroyed */
      });
      session.close({ code: -1, text });
      return session;
    }
    session.start();
    return session;
  }

  /** Why one more connection from `host` is refused (maxSessions, then maxSessionsPerAddress), or undefined. */
  private refusal(host: string): { limit: string; value: number; text: string } | undefined {
    const max = this.maxSessions;
    if (max > 0 && this.registry.size + this.pendingConnections.size >= max)
      return {
        limit: 'maxSessions',
        value: max,
        text: `too many connections: maxSessions (${max}) reached`,
      };
    const perAddress =
      this.maxSessionsPerAddress ?? (isLoopback(host) ? 0 : DEFAULT_MAX_SESSIONS_PER_ADDRESS);
    if (perAddress === 0) return undefined;
    const key = addressKey(host);
    let open = this.registry.countFrom(key);
    for (const pending of this.pendingConnections.values())
      if (addressKey(pending.host) === key) open++;
    if (open < perAddress) return undefined;
    return {
      limit: 'maxSessionsPerAddress',
      value: perAddress,
      text: `too many connections from ${key}: maxSessionsPerAddress (${perAddress}) reached`,
    };
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
      [...this.registry.ids(), ...this.pendingConnections.keys()].map((id) =>
        this.closeConnection(id, reason),
      ),
    );
  }

  // ----------------------------------------------------------- component API

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
    sendRaw(this.requireSession(clientId), pn, op, payload, this.options.checksum);
  }

  /** cimd2SendLoginResponse: 51, with 900/901 when errorCode ≠ 0. */
  sendLoginResponse(clientId: string, pn: number, errorCode = 0, errorText?: string): void {
    this.requireSession(clientId).answer(loginResponse(pn, errorCode, errorText));
  }

  /** cimd2SendSubmitMessageResponse: 53 with 021 and 060, or with 900/901 when errorCode ≠ 0. */
  sendSubmitMessageResponse(clientId: string, pn: number, response: SubmitResponse = {}): void {
    const session = this.requireSession(clientId);
    session.answer(submitResponse(pn, response, this.store));
  }

  /**
   * cimd2SendDeliverMessage: an MO (op 20), split into concatenated parts when it does not fit
   * one SMS. Resolves once every part was answered or gave up; `packetNumbers` lists the
   * numbers used.
   */
  async sendDeliverMessage(clientId: string, message: DeliverMessage): Promise<DeliverResult> {
    const session = this.requireSession(clientId);
    return this.deliveries.send(session.outbound, this.deliveries.parts(message), message.pn);
  }

  /** cimd2SendDeliverStatusReport: a status report (op 23). */
  async sendDeliverStatusReport(
    clientId: string,
    report: DeliverStatusReport,
  ): Promise<DeliverResult> {
    return this.deliveries.report(this.requireSession(clientId).outbound, report);
  }

  /** Parameters of each part of a deliver message, in the order Kannel reads them. */
  buildDeliverParams(message: DeliverMessage): Parameter[][] {
    return this.deliveries.parts(message);
  }

  // ----------------------------------------------------------- scheduling

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
    if (!(session instanceof ServerSession))
      throw new TypeError('schedule(): not a session of this server');
    return this.scheduler.schedule(session, action, vars, destination, timestamp);
  }

  /**
   * The scenario's `schedule`: items started by each user's first login, read when that login
   * happens.
   */
  useLoginSchedule(items: () => readonly LoginScheduleItem[]): void {
    this.scheduler.useLoginSchedule(items);
  }

  /**
   * Cancels every item scheduled and not fired yet (status reports, delivers, disconnects),
   * each reported as `fired` with `cancelled: reason`, oldest first; returns how many.
   */
  cancelScheduled(reason: string): number {
    return this.scheduler.cancelAll(reason);
  }

  /** The scenario's `schedule` runs again on each user's next login. */
  forgetLogins(): void {
    this.scheduler.forgetLogins();
  }

  /**
   * Emits now the recorded events (`frame-in`, `decision`, `frame-out`, …) that a session holds
   * while it handles a socket read, until its answers are written. For code that writes or
   * reads a transcript from inside an event handler: what happened so far comes first.
   */
  flushHeldEvents(): void {
    this.signals.flushHeld();
  }

  private requireSession(clientId: string): ServerSession {
    const s = this.registry.get(clientId);
    if (s === undefined) throw new UnknownSessionError(`no open session ${clientId}`);
    return s;
  }
}
