/**
 * Keeps the store current: a global `GET /events` stream of the rare records (in batches, resumed
 * with `Last-Event-ID` after any drop), and, while the page is visible, `GET /stats` and
 * `GET /sessions` about once a second. A hidden tab polls nothing.
 */
import type { SessionList, StatsRates } from '../../src/control/inbox-types.js';
import type { RecordKind } from '../../src/transcript/record.js';
import { api, ApiError, errorMessage } from './api.js';
import { recordsOf } from './records.js';
import { followEvents } from './sse.js';
import { store } from './store.js';

/** The record kinds the global stream asks for: none of them is per-frame. */
export const GLOBAL_KINDS: readonly RecordKind[] = [
  'server-start',
  'server-stop',
  'session-open',
  'session-close',
  'scenario-loaded',
  'scenario-rejected',
  'reset',
  'unmatched',
  'frame-error',
  'ack-timeout',
  'multipart-expired',
];

const POLL_MS = 1000;

interface StatsBody extends Partial<StatsRates> {
  readonly sessionsOpen?: number;
  readonly framesIn?: Readonly<Record<string, number>>;
  readonly framesOut?: Readonly<Record<string, number>>;
}

/** The frame counters last seen: the inbox is re-read only when they moved. */
let trafficSeen = '';

/** Re-reads `GET /sessions` now. */
export async function refreshSessions(): Promise<void> {
  const body = await api<SessionList>('GET', '/sessions');
  store.mergeSessions(body.sessions);
}

async function refreshStats(): Promise<void> {
  const s = await api<StatsBody>('GET', '/stats');
  if (s.submitsPerSecond !== undefined) store.rates = s.submitsPerSecond;
  const traffic = JSON.stringify([s.framesIn, s.framesOut]);
  if (traffic !== trafficSeen) {
    trafficSeen = traffic;
    store.messagesVersion++;
  }
  if (s.errors !== undefined) {
    const e = s.errors;
    store.errors = e.answers + e.frameErrors + e.unmatched + e.ackTimeouts;
  }
  store.changed();
}

/** Reads the scenario header fields from `GET /scenario`. */
export async function refreshScenarioInfo(): Promise<void> {
  const info = await api<{ name?: string; file?: string; source?: string }>('GET', '/scenario');
  store.server.scenarioName = info.name;
  store.server.scenarioFile = info.file;
  store.server.scenarioSource = info.source;
  store.changed();
}

function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

async function pollLoop(signal: AbortSignal): Promise<void> {
  while (!isAborted(signal)) {
    if (document.visibilityState === 'visible' && store.connection !== 'unauthorized') {
      try {
        await Promise.all([refreshStats(), refreshSessions()]);
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return;
      }
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Starts following; abort the signal to stop. */
export async function startLive(signal: AbortSignal): Promise<void> {
  store.setConnection('connecting');
  try {
    await Promise.all([refreshSessions(), refreshStats(), refreshScenarioInfo()]);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) store.setConnection('unauthorized');
    else store.setConnection('offline', errorMessage(error));
    return;
  }
  void pollLoop(signal);
  await followEvents(
    `/events?batch=true&kind=${GLOBAL_KINDS.join(',')}`,
    {
      onEvent(e) {
        let sessions = false;
        for (const r of recordsOf(e)) {
          store.apply(r);
          if (r.kind === 'session-open' || r.kind === 'session-close') sessions = true;
        }
        if (sessions) refreshSessions().catch(() => undefined);
      },
      onOpen() {
        store.setConnection('live');
      },
      onDrop(reason) {
        store.setConnection('reconnecting', reason);
      },
      onFatal(status) {
        store.setConnection(status === 401 ? 'unauthorized' : 'offline', `HTTP ${status}`);
      },
    },
    signal,
  );
}
