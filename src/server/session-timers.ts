/**
 * `SessionTimers`: the three limits on a connection's life: keep-alive (send a 40
 * after `keepAliveInterval` without a frame; close when it is not answered), the login timeout
 * and the idle timeout. All time comes from the injected Clock.
 */
import { Op } from '../protocol/operations.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { CloseReason } from './events.js';
import type { OutboundWindow } from './outbound-window.js';
import type { ServerSignals } from './signals.js';
import type { TimerSet } from './timer-set.js';

/** The session the timers belong to (ServerSession). */
export interface TimedSession {
  readonly id: string;
  readonly isOpen: boolean;
  readonly state: string;
  close(reason: CloseReason): void;
}

export interface SessionTimerOptions {
  /** KeepAliveInterval in ms, read each time it is armed (it may change at run time); 0 = off. */
  readonly keepAliveMs: () => number;
  /** How long the keep-alive 40 waits for its 90. */
  readonly aliveTimeoutMs: number;
  readonly loginTimeoutMs: number;
  /** The idle timeout in ms, read each time it is armed (its default follows the keep-alive interval); 0 = off. */
  readonly idleTimeoutMs: () => number;
}

export class SessionTimers {
  private readonly clock: Clock;
  private readonly timers: TimerSet;
  private readonly session: TimedSession;
  private readonly options: SessionTimerOptions;
  private readonly outbound: OutboundWindow;
  private readonly signals: ServerSignals;
  private lastActivity: number;
  private keepAliveTimer: TimerHandle | undefined;
  private loginTimer: TimerHandle | undefined;
  private idleTimer: TimerHandle | undefined;
  private aliveOutstanding = false;
  /** The client half-closed: it sends nothing more, so no keep-alive, login or idle limit applies. */
  private halted = false;

  constructor(
    session: TimedSession,
    options: SessionTimerOptions,
    parts: {
      readonly clock: Clock;
      readonly timers: TimerSet;
      readonly outbound: OutboundWindow;
      readonly signals: ServerSignals;
    },
  ) {
    this.session = session;
    this.options = options;
    this.clock = parts.clock;
    this.timers = parts.timers;
    this.outbound = parts.outbound;
    this.signals = parts.signals;
    this.lastActivity = parts.clock.now();
  }

  /** Arms the three timers (when the session starts reading). */
  start(): void {
    this.armKeepAlive();
    this.armLoginTimeout();
    this.armIdleTimeout();
  }

  /** A frame arrived (well-formed or not): the connection is active now. */
  touch(): void {
    this.lastActivity = this.clock.now();
  }

  /** The login succeeded: the login timeout no longer applies. */
  loggedIn(): void {
    if (this.loginTimer === undefined) return;
    this.timers.cancel(this.loginTimer);
    this.loginTimer = undefined;
  }

  /**
   * The client half-closed (FIN): nothing more can come from it, so the keep-alive 40 (it could
   * not be answered), the login timeout and the idle timeout stop; the session's linger bounds
   * the rest.
   */
  inputEnded(): void {
    this.halted = true;
    if (this.keepAliveTimer !== undefined) this.timers.cancel(this.keepAliveTimer);
    if (this.loginTimer !== undefined) this.timers.cancel(this.loginTimer);
    if (this.idleTimer !== undefined) this.timers.cancel(this.idleTimer);
    this.keepAliveTimer = undefined;
    this.loginTimer = undefined;
    this.idleTimer = undefined;
  }

  /** The session closed (its TimerSet is cleared by the session). */
  stopped(): void {
    this.keepAliveTimer = undefined;
    this.loginTimer = undefined;
    this.idleTimer = undefined;
  }

  /** (Re)arms the keep-alive timer from the current KeepAliveInterval. */
  armKeepAlive(): void {
    if (this.keepAliveTimer !== undefined) {
      this.timers.cancel(this.keepAliveTimer);
      this.keepAliveTimer = undefined;
    }
    const intervalMs = this.options.keepAliveMs();
    if (intervalMs <= 0 || !this.session.isOpen || this.halted) return;
    const due = this.lastActivity + intervalMs - this.clock.now();
    this.keepAliveTimer = this.timers.after(Math.max(due, 0), () => {
      this.keepAliveTimer = undefined;
      this.onKeepAliveTimer();
    });
  }

  private onKeepAliveTimer(): void {
    if (!this.session.isOpen || this.halted) return;
    const intervalMs = this.options.keepAliveMs();
    if (intervalMs <= 0) return;
    const idle = this.clock.now() - this.lastActivity;
    if (idle < intervalMs || this.aliveOutstanding) {
      this.armKeepAlive();
      return;
    }
    this.aliveOutstanding = true;
    const alive = this.outbound.request(Op.Alive, [], {
      ackTimeoutMs: this.options.aliveTimeoutMs,
      maxResends: 0,
      throttled: false,
      unlimited: true,
    });
    alive.then(
      (result) => {
        this.aliveOutstanding = false;
        if (!result.acknowledged)
          this.session.close({ code: -1, text: 'no answer to alive (keepalive timeout)' });
        else this.armKeepAlive();
      },
      () => {
        this.aliveOutstanding = false;
      },
    );
  }

  private armLoginTimeout(): void {
    const ms = this.options.loginTimeoutMs;
    if (ms <= 0) return;
    this.loginTimer = this.timers.after(ms, () => {
      this.loginTimer = undefined;
      if (this.session.state !== 'connected') return;
      this.expire('loginTimeoutMs', ms, `no successful login within ${ms} ms (loginTimeoutMs)`);
    });
  }

  /** Idle = no inbound frame (well-formed or not); bytes outside frames do not count. */
  private armIdleTimeout(): void {
    const ms = this.options.idleTimeoutMs();
    if (ms <= 0 || !this.session.isOpen || this.halted) return;
    const due = this.lastActivity + ms - this.clock.now();
    this.idleTimer = this.timers.after(Math.max(due, 0), () => {
      this.idleTimer = undefined;
      if (!this.session.isOpen || this.halted) return;
      // Read again: the default follows the keep-alive interval, which may have changed.
      const now = this.options.idleTimeoutMs();
      if (now <= 0) return;
      if (this.clock.now() - this.lastActivity < now) {
        this.armIdleTimeout();
        return;
      }
      this.expire('idleTimeoutMs', now, `no frame from the client for ${now} ms (idleTimeoutMs)`);
    });
  }

  private expire(limit: string, ms: number, text: string): void {
    this.signals.limitReached(limit, ms, `session closed: ${text}`, this.session.id);
    this.session.close({ code: -1, text });
  }
}
