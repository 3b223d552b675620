/**
 * The server's outward voice: typed events (events.ts) plus the three helpers every part uses
 * (`limit-reached`, `error` only when someone listens, `trace` only when someone listens).
 */
import type { EventEmitter } from 'node:events';
import { opName } from '../protocol/operations.js';
import type { ServerEvents } from './events.js';

export class ServerSignals {
  private readonly emitter: EventEmitter<ServerEvents>;
  private readonly localAddress: () => string;

  constructor(emitter: EventEmitter<ServerEvents>, localAddress: () => string) {
    this.emitter = emitter;
    this.localAddress = localAddress;
  }

  emit<K extends keyof ServerEvents>(event: K, ...args: ServerEvents[K]): void {
    (this.emitter.emit as (event: K, ...args: ServerEvents[K]) => boolean)(event, ...args);
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
