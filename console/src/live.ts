/**
 * Feeds the store: the current epoch's history from `GET /transcript` (pages of 10,000), then
 * every new record live from `GET /events` (SSE, resumed with `Last-Event-ID`). Where the
 * server has no `/events`, it polls `GET /transcript?since=` twice a second instead.
 */
import type { TranscriptRecord } from '../../src/transcript/record.js';
import { api, errorMessage } from './api.js';
import { followEvents } from './sse.js';
import { store, type SessionView } from './store.js';

const POLL_MS = 500;

/** Read through a call: TypeScript would narrow `signal.aborted` across awaits. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

function parseLines(text: string): TranscriptRecord[] {
  const out: TranscriptRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as TranscriptRecord);
    } catch {
      // A torn line cannot happen over HTTP; ignore rather than stop the console.
    }
  }
  return out;
}

/** Reads the records after `store.lastSeq` until the server says there are no more. */
async function catchUp(signal: AbortSignal): Promise<void> {
  for (;;) {
    const res = await fetch(`/transcript?since=${store.lastSeq}&limit=10000`, {
      credentials: 'same-origin',
      cache: 'no-store',
      signal,
    });
    if (res.status === 401) {
      store.setConnection('unauthorized');
      throw new Error('unauthorized');
    }
    if (!res.ok) throw new Error(`GET /transcript: HTTP ${res.status}`);
    for (const r of parseLines(await res.text())) store.apply(r);
    if (res.headers.get('X-More') !== 'true') return;
  }
}

let sessionsTimer: ReturnType<typeof setTimeout> | undefined;

/** Re-reads `GET /sessions` soon (at most every 300 ms). */
export function refreshSessions(): void {
  if (sessionsTimer !== undefined) return;
  sessionsTimer = setTimeout(() => {
    sessionsTimer = undefined;
    api<{ sessions: Partial<SessionView & { id: string }>[] }>('GET', '/sessions')
      .then((body) => {
        store.mergeSessions(body.sessions);
      })
      .catch(() => undefined);
  }, 300);
}

/** Reads the scenario header fields from `GET /scenario`. */
export async function refreshScenarioInfo(): Promise<void> {
  const info = await api<{ name?: string; file?: string; source?: string }>('GET', '/scenario');
  store.server.scenarioName = info.name;
  store.server.scenarioFile = info.file;
  store.server.scenarioSource = info.source;
  store.changed();
}

async function poll(signal: AbortSignal): Promise<void> {
  store.setConnection('live', 'polling');
  while (!signal.aborted) {
    try {
      await catchUp(signal);
      store.setConnection('live', 'polling');
    } catch (error) {
      if (isAborted(signal) || store.connection === 'unauthorized') return;
      store.setConnection('reconnecting', errorMessage(error));
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Starts following; abort the signal to stop. */
export async function startLive(signal: AbortSignal): Promise<void> {
  store.setConnection('connecting');
  try {
    await catchUp(signal);
  } catch (error) {
    if (store.connection !== 'unauthorized') store.setConnection('offline', errorMessage(error));
    return;
  }
  refreshSessions();
  refreshScenarioInfo().catch(() => undefined);
  let sessionsSeen = store.sessions.size;
  const unsubscribe = store.subscribe(() => {
    if (store.sessions.size !== sessionsSeen) {
      sessionsSeen = store.sessions.size;
      refreshSessions();
    }
  });
  signal.addEventListener('abort', unsubscribe);
  const outcome = { fallback: false };
  await followEvents(
    '/events',
    {
      onEvent(e) {
        if (e.data === '') return;
        try {
          const r = JSON.parse(e.data) as TranscriptRecord;
          if (typeof r.seq === 'number' && typeof r.kind === 'string') {
            store.apply(r);
            if (r.kind === 'session-open' || r.kind === 'session-close') refreshSessions();
            if (r.kind === 'frame' && r.op === 51) refreshSessions();
          }
        } catch {
          // not a record (a comment or a control event)
        }
      },
      onOpen() {
        store.setConnection('live');
      },
      onDrop(reason) {
        store.setConnection('reconnecting', reason);
      },
      onFatal(status) {
        if (status === 401) store.setConnection('unauthorized');
        else outcome.fallback = true;
      },
    },
    signal,
    String(store.lastSeq),
  );
  if (outcome.fallback && !isAborted(signal)) await poll(signal);
}
