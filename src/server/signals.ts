/**
 * The server's outward voice: typed events (events.ts) plus the three helpers every part uses
 * (`limit-reached`, `error` only when someone listens, `trace` only when someone listens).
 *
 * Answer first, record after: while a session handles what one socket read brought (`hold` …
 * `release`), the events the transcript records wait, in their order, and go out once the
 * answers are written. The client has its answer before the mock spends its time recording it
 * (a stop-and-wait client, as Kannel is, waits for nothing else); the records, their order and
 * their content are the same, written in the same event-loop job.
 */
import type { EventEmitter } from 'node:events';
import { opName } from '../protocol/operations.js';
import type { ServerEvents } from './events.js';

/** The events the transcript records (and `tcp-disconnected`, which follows `session-closed`). */
const RECORDED: ReadonlySet<keyof ServerEvents> = new Set<keyof ServerEvents>([
  'session-opened',
  'session-closed',
  'tcp-disconnected',
  'frame-in',
  'frame-out',
  'fault',
  'decision',
  'scheduled',
  'fired',
  'submit-completed',
  'multipart-expired',
  'ack-timeout',
  'unexpected-response',
]);

type Held = [event: keyof ServerEvents, args: unknown[]];

export class ServerSignals {
  private readonly emitter: EventEmitter<ServerEvents>;
  private readonly localAddress: () => string;
  /** Recorded events waiting for `release` (undefined: not holding). */
  private held: Held[] | undefined;
  private holds = 0;
  private flushing = false;

  constructor(emitter: EventEmitter<ServerEvents>, localAddress: () => string) {
    this.emitter = emitter;
    this.localAddress = localAddress;
  }

  emit<K extends keyof ServerEvents>(event: K, ...args: ServerEvents[K]): void {
    if (this.held !== undefined && !this.flushing && RECORDED.has(event)) {
      this.held.push([event, args]);
      return;
    }
    (this.emitter.emit as (event: K, ...args: ServerEvents[K]) => boolean)(event, ...args);
  }

  /** Recorded events wait from now until the matching {@link release} (nested holds count). */
  hold(): void {
    if (this.holds++ === 0) this.held = [];
  }

  /** Ends a {@link hold}: the last one emits the waiting events, in order. */
  release(): void {
    if (--this.holds > 0) return;
    this.flushHeld();
    this.held = undefined;
  }

  /**
   * Emits the waiting events now (a record written from elsewhere, or a read of the transcript,
   * must come after them). Events their listeners emit go out at once, as without a hold. A
   * listener that throws is reported as `error`; the other events still go out.
   */
  flushHeld(): void {
    const held = this.held;
    if (this.flushing || held === undefined || held.length === 0) return;
    this.flushing = true;
    try {
      for (const [event, args] of held) {
        try {
          this.emitHeld(event, args);
        } catch (error) {
          this.error(error);
        }
      }
    } finally {
      held.length = 0;
      this.flushing = false;
    }
  }

  /** Emits one held event with exactly its arguments (no spread for the usual counts). */
  private emitHeld(event: keyof ServerEvents, a: unknown[]): void {
    const e = this.emitter as unknown as { emit(event: string, ...args: unknown[]): boolean };
    switch (a.length) {
      case 1:
        e.emit(event, a[0]);
        return;
      case 2:
        e.emit(event, a[0], a[1]);
        return;
      case 3:
        e.emit(event, a[0], a[1], a[2]);
        return;
      case 4:
        e.emit(event, a[0], a[1], a[2], a[3]);
        return;
      default:
        e.emit(event, ...a);
    }
  }

  /** True when someone listens to `event` (an event nobody hears need not be built). */
  listens(event: keyof ServerEvents): boolean {
    return this.emitter.listenerCount(event) > 0;
  }

  /** True when a `trace` listener is attached (tracing costs a hex conversion per frame). */
  get tracing(): boolean {
    return this.emitter.listenerCount('trace') > 0;
  }

  /** Emits `limit-reached` (the caller has already given the limit's defined answer). */
  limitReached(limit: string, value: number, detail: string, clientId?: string): void {
    this.emit('limit-reached', {
      limit,
      value,
      detail,
      ...(clientId !== undefined ? { clientId } : {}),
    });
  }

  /** Emits `error` when someone listens (an unlistened `error` would throw). */
  error(error: unknown): void {
    const e = error instanceof Error ? error : new Error(String(error));
    if (this.emitter.listenerCount('error') > 0) this.emit('error', e);
  }

  /** OnCimd2TraceProtocol for one frame of session `clientId` at `remote`. */
  trace(clientId: string, remote: string, dir: 'in' | 'out', op: number, raw: Buffer): void {
    const local = this.localAddress();
    this.emit('trace', {
      clientId,
      from: dir === 'in' ? remote : local,
      to: dir === 'in' ? local : remote,
      op,
      opName: opName(op),
      operationType: op >= 50 ? 'response' : 'request',
      pdu: raw.toString('hex').toUpperCase(),
    });
  }
}
