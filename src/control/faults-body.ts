/**
 * The bodies of the control API's `/faults` routes: the `POST /faults` request (connection
 * faults as in a scenario's `server:` block; `null` ends one) and the JSON of the faults in
 * force (`GET`, and the answer of `POST` and `DELETE`).
 */
import type {
  ActiveFaults,
  ConnectionFaultSpec,
  LatencyFault,
  OutageFault,
} from '../server/connection-faults.js';
import { OUTAGE_MODES } from '../server/connection-faults.js';
import { MAX_DURATION_MS, parseDuration } from '../scenario/durations.js';

/** A body problem, worded for the 400 answer. */
export class FaultsBodyError extends Error {}

const KNOWN = ['latency', 'bandwidth', 'outage'];

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new FaultsBodyError(`"${what}" must be an object or null`);
  return value as Record<string, unknown>;
}

function known(body: Record<string, unknown>, keys: readonly string[], what: string): void {
  for (const key of Object.keys(body))
    if (!keys.includes(key))
      throw new FaultsBodyError(
        `unknown field ${JSON.stringify(key)}${what === '' ? '' : ` in "${what}"`} (known: ${keys.join(', ')})`,
      );
}

function duration(value: unknown, what: string): number {
  const ms = parseDuration(value);
  if (ms === undefined)
    throw new FaultsBodyError(
      `"${what}" must be a duration: milliseconds or a string such as "150ms", "10s" (got ${JSON.stringify(value)})`,
    );
  if (ms > MAX_DURATION_MS) throw new FaultsBodyError(`"${what}" is over 24 days`);
  return ms;
}

function latency(value: unknown): LatencyFault | null {
  if (value === null) return null;
  const l = object(value, 'latency');
  known(l, ['base', 'jitter'], 'latency');
  if (l['base'] === undefined) throw new FaultsBodyError('"latency.base" is required');
  return {
    baseMs: duration(l['base'], 'latency.base'),
    jitterMs: l['jitter'] === undefined ? 0 : duration(l['jitter'], 'latency.jitter'),
  };
}

function bandwidth(value: unknown): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1e9)
    throw new FaultsBodyError(
      `"bandwidth" must be bytes per second, an integer 1-1000000000, or null (got ${JSON.stringify(value)})`,
    );
  return value;
}

function outage(value: unknown): OutageFault | null {
  if (value === null) return null;
  const o = object(value, 'outage');
  known(o, ['for', 'mode', 'closeSessions'], 'outage');
  const mode = o['mode'] ?? 'refuse';
  if (typeof mode !== 'string' || !(OUTAGE_MODES as readonly string[]).includes(mode))
    throw new FaultsBodyError(
      `"outage.mode" must be one of ${OUTAGE_MODES.join(', ')} (got ${JSON.stringify(mode)})`,
    );
  const close = o['closeSessions'];
  if (close !== undefined && typeof close !== 'boolean')
    throw new FaultsBodyError('"outage.closeSessions" must be true or false');
  return {
    mode: mode as OutageFault['mode'],
    ...(o['for'] !== undefined ? { forMs: duration(o['for'], 'outage.for') } : {}),
    ...(close !== undefined ? { closeSessions: close } : {}),
  };
}

/** The change a `POST /faults` body asks for; throws FaultsBodyError naming the bad field. */
export function parseFaultsBody(body: Record<string, unknown>): ConnectionFaultSpec {
  known(body, KNOWN, '');
  if (Object.keys(body).length === 0)
    throw new FaultsBodyError(`the body needs at least one of ${KNOWN.join(', ')}`);
  return {
    ...(body['latency'] !== undefined ? { latency: latency(body['latency']) } : {}),
    ...(body['bandwidth'] !== undefined ? { bandwidth: bandwidth(body['bandwidth']) } : {}),
    ...(body['outage'] !== undefined ? { outage: outage(body['outage']) } : {}),
  };
}

/** The faults in force as the routes answer them (times as ISO-8601 UTC). */
export function faultsJson(active: ActiveFaults): Record<string, unknown> {
  const o = active.outage;
  return {
    latency:
      active.latency === undefined
        ? null
        : { base: active.latency.baseMs, jitter: active.latency.jitterMs },
    bandwidth: active.bandwidth ?? null,
    outage:
      o === undefined
        ? null
        : {
            mode: o.mode,
            closeSessions: o.closeSessions === true,
            since: new Date(o.since).toISOString(),
            until: o.until === undefined ? null : new Date(o.until).toISOString(),
          },
  };
}
