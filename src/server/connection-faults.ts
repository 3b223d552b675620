/**
 * Connection-level faults of the whole server, set by the scenario's `server:` block, a
 * `schedule` item or the control API (`POST /faults`):
 * - `latency` {baseMs, jitterMs}: every frame the server writes leaves base ± jitter ms later
 *   (uniform, seeded; order kept);
 * - `bandwidth` bytesPerSecond: each session's output is paced to that rate;
 * - `outage` {mode, forMs, closeSessions}: new connections are refused (`refuse`: the listener is
 *   closed and opened again on the same port when the outage ends), accepted and closed at once
 *   (`accept-then-close`) or accepted and never answered (`blackhole`); open sessions stay
 *   unless `closeSessions`. Without `forMs` it lasts until cleared.
 * Every change is emitted as a `fault` event (a `fault` record in the transcript): `start` and
 * `end` of each fault, and `connection` for each connection an outage turned away.
 *
 * Nothing outlives the server: `stop()` cancels the outage timer and destroys blackholed sockets.
 */
import type net from 'node:net';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { FaultEvent } from './events.js';

export const OUTAGE_MODES = ['refuse', 'accept-then-close', 'blackhole'] as const;
export type OutageMode = (typeof OUTAGE_MODES)[number];

// A type, not an interface: it travels as JSON in transcript records (index-signature safe).
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions
export type LatencyFault = {
  readonly baseMs: number;
  readonly jitterMs: number;
};

// A type, not an interface: it travels as JSON in transcript records (index-signature safe).
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions
export type OutageFault = {
  readonly mode: OutageMode;
  /** How long it lasts; absent: until cleared. */
  readonly forMs?: number;
  /** Close the open sessions when it starts (default false: they stay). */
  readonly closeSessions?: boolean;
};

/**
 * A change of the connection faults: a key absent leaves that fault as it is, `null` ends it.
 */
// A type, not an interface: it travels as JSON in transcript records (index-signature safe).
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions
export type ConnectionFaultSpec = {
  readonly latency?: LatencyFault | null;
  readonly bandwidth?: number | null;
  readonly outage?: OutageFault | null;
};

/** The connection faults in force (`GET /faults`). */
export interface ActiveFaults {
  readonly latency?: LatencyFault;
  readonly bandwidth?: number;
  readonly outage?: OutageFault & {
    /** Clock time it started (ms since the epoch). */
    readonly since: number;
    /** Clock time it ends, when it has a `forMs`. */
    readonly until?: number;
  };
}

/** What the faults need of the server. */
export interface FaultServerHooks {
  readonly clock: Clock;
  emit(event: FaultEvent): void;
  /** Stops accepting connections (connects are refused). */
  pauseListening(): void;
  /** Accepts connections again. */
  resumeListening(): void;
  /** Closes every open session with `reason`. */
  closeSessions(reason: string): void;
}

interface RunningOutage {
  readonly spec: OutageFault;
  readonly since: number;
  readonly timer: TimerHandle | undefined;
}

export class ConnectionFaults {
  private readonly hooks: FaultServerHooks;
  private random: () => number = Math.random;
  private latency: LatencyFault | undefined;
  private bandwidth: number | undefined;
  private outage: RunningOutage | undefined;
  private readonly blackholed = new Set<net.Socket>();
  /** True while latency or bandwidth is set: sessions write through their FaultWire. */
  shaping = false;

  constructor(hooks: FaultServerHooks) {
    this.hooks = hooks;
  }

  /** The generator behind latency jitter (the scenario engine's seed makes runs repeatable). */
  useRandom(random: () => number): void {
    this.random = random;
  }

  /** A delay for the next frame: base ± jitter, never below 0 (0 without latency). */
  latencyMs(): number {
    const l = this.latency;
    if (l === undefined) return 0;
    if (l.jitterMs === 0) return l.baseMs;
    return Math.max(0, Math.round(l.baseMs + (this.random() * 2 - 1) * l.jitterMs));
  }

  /** Bytes per second of each session's output, undefined when not limited. */
  get bytesPerSecond(): number | undefined {
    return this.bandwidth;
  }

  /** True while an outage runs. */
  get inOutage(): boolean {
    return this.outage !== undefined;
  }

  /** The faults in force. */
  active(): ActiveFaults {
    const o = this.outage;
    return {
      ...(this.latency !== undefined ? { latency: this.latency } : {}),
      ...(this.bandwidth !== undefined ? { bandwidth: this.bandwidth } : {}),
      ...(o !== undefined
        ? {
            outage: {
              ...o.spec,
              since: o.since,
              ...(o.spec.forMs !== undefined ? { until: o.since + o.spec.forMs } : {}),
            },
          }
        : {}),
    };
  }

  /** Applies a change (see {@link ConnectionFaultSpec}); returns the faults now in force. */
  apply(spec: ConnectionFaultSpec): ActiveFaults {
    if (spec.latency !== undefined) this.setLatency(spec.latency ?? undefined);
    if (spec.bandwidth !== undefined) this.setBandwidth(spec.bandwidth ?? undefined);
    if (spec.outage !== undefined) {
      this.endOutage();
      if (spec.outage !== null) this.startOutage(spec.outage);
    }
    return this.active();
  }

  /** Ends every connection fault. */
  clear(): ActiveFaults {
    return this.apply({ latency: null, bandwidth: null, outage: null });
  }

  private setLatency(latency: LatencyFault | undefined): void {
    if (this.latency !== undefined) this.hooks.emit({ fault: 'latency', phase: 'end' });
    this.latency = latency;
    if (latency !== undefined)
      this.hooks.emit({
        fault: 'latency',
        phase: 'start',
        baseMs: latency.baseMs,
        jitterMs: latency.jitterMs,
      });
    this.shaping = this.latency !== undefined || this.bandwidth !== undefined;
  }

  private setBandwidth(bytesPerSecond: number | undefined): void {
    if (this.bandwidth !== undefined) this.hooks.emit({ fault: 'bandwidth', phase: 'end' });
    this.bandwidth = bytesPerSecond;
    if (bytesPerSecond !== undefined)
      this.hooks.emit({ fault: 'bandwidth', phase: 'start', bytesPerSecond });
    this.shaping = this.latency !== undefined || this.bandwidth !== undefined;
  }

  private startOutage(spec: OutageFault): void {
    const { clock } = this.hooks;
    const timer =
      spec.forMs === undefined
        ? undefined
        : clock.setTimeout(() => {
            this.endOutage();
          }, spec.forMs);
    this.outage = { spec, since: clock.now(), timer };
    this.hooks.emit({
      fault: 'outage',
      phase: 'start',
      mode: spec.mode,
      ...(spec.forMs !== undefined ? { forMs: spec.forMs } : {}),
      closeSessions: spec.closeSessions === true,
    });
    if (spec.mode === 'refuse') this.hooks.pauseListening();
    if (spec.closeSessions === true) this.hooks.closeSessions(`outage (${spec.mode})`);
  }

  private endOutage(): void {
    const o = this.outage;
    if (o === undefined) return;
    this.outage = undefined;
    if (o.timer !== undefined) this.hooks.clock.clearTimeout(o.timer);
    if (o.spec.mode === 'refuse') this.hooks.resumeListening();
    this.hooks.emit({ fault: 'outage', phase: 'end', mode: o.spec.mode });
  }

  /**
   * A new connection during an outage: closed at once (`accept-then-close`) or held unanswered
   * (`blackhole`). Returns false when no outage takes it (the server handles it as usual).
   */
  intercept(socket: net.Socket): boolean {
    const o = this.outage;
    if (o === undefined || o.spec.mode === 'refuse') return false;
    const remote = `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`;
    this.hooks.emit({ fault: 'outage', phase: 'connection', mode: o.spec.mode, remote });
    socket.on('error', () => {
      /* the peer may reset a connection it gets no answer on */
    });
    if (o.spec.mode === 'accept-then-close') {
      socket.end();
      socket.destroySoon();
      return true;
    }
    // Blackhole: read and discard everything, answer nothing, until the peer goes.
    this.blackholed.add(socket);
    socket.on('close', () => {
      this.blackholed.delete(socket);
    });
    socket.resume();
    return true;
  }

  /** The server stops: the outage timer is cancelled and blackholed connections destroyed. */
  stop(): void {
    if (this.outage?.timer !== undefined) this.hooks.clock.clearTimeout(this.outage.timer);
    this.outage = undefined;
    for (const s of this.blackholed) s.destroy();
    this.blackholed.clear();
  }
}
