/**
 * The console's live model. It is kept light on purpose, so that a console left open costs the
 * mock next to nothing even under load:
 *
 * - a global event stream carries only the rare records (sessions opening and closing,
 *   scenario loads, resets, bad frames, unmatched requests, ack timeouts);
 * - counters (submits/s, errors, sessions) come from `GET /stats` and `GET /sessions` about once
 *   a second while the page is visible;
 * - the Messages view pages `GET /messages` itself, and the Conversation view follows the one
 *   session it shows (`GET /events?session=`).
 *
 * Listeners are told at most once per animation frame, so a burst costs one render.
 */
import type { SessionView as ServerSession } from '../../src/control/inbox-types.js';
import type { TranscriptRecord } from '../../src/transcript/record.js';

/** Closed sessions kept in the list (the oldest leave first). */
export const CLOSED_SESSIONS_KEPT = 200;

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'unauthorized' | 'offline';

/** A session as the console shows it. */
export interface SessionView {
  readonly id: string;
  remote: string;
  since: string;
  user: string | undefined;
  framesIn: number;
  framesOut: number;
  /** Server requests (deliver, status report) sent and not yet answered, or queued. */
  outstanding: number;
  window: number | undefined;
  state: ServerSession['state'];
  /** Why it closed (from its session-close record). */
  closed: string | undefined;
}

/** Where the mock listens and what scenario it runs. */
export interface ServerInfo {
  address: string | undefined;
  scenarioName: string | undefined;
  scenarioFile: string | undefined;
  scenarioSource: string | undefined;
}

type Listener = () => void;

function num(id: string): number {
  return Number(id.replace(/^\D+/, ''));
}

export class Store {
  readonly sessions = new Map<string, SessionView>();
  readonly server: ServerInfo = {
    address: undefined,
    scenarioName: undefined,
    scenarioFile: undefined,
    scenarioSource: undefined,
  };
  connection: ConnectionState = 'connecting';
  connectionDetail = '';
  /** Newest record seq seen on the global stream. */
  lastSeq = 0;
  /** Bumped when the inbox may have changed (a tick while live, a reset, an action). */
  messagesVersion = 0;
  /** Bumped when the scenario, its rules' counts or its state may have changed. */
  rulesVersion = 0;
  /** Errors of the run (error answers, bad frames, unmatched requests, ack timeouts). */
  errors = 0;
  /** Submits per second, oldest first (from `GET /stats`). */
  rates: readonly number[] = [];
  private readonly listeners = new Set<Listener>();
  private frame = 0;
  version = 0;

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells listeners once, at the next animation frame. */
  changed(): void {
    if (this.frame !== 0) return;
    const run = (): void => {
      this.frame = 0;
      this.version++;
      for (const l of this.listeners) l();
    };
    this.frame = requestAnimationFrame(run);
  }

  setConnection(state: ConnectionState, detail = ''): void {
    if (this.connection === state && this.connectionDetail === detail) return;
    this.connection = state;
    this.connectionDetail = detail;
    this.changed();
  }

  /** Sessions newest first. */
  sessionList(): SessionView[] {
    return [...this.sessions.values()].sort((a, b) => num(b.id) - num(a.id));
  }

  private session(id: string, ts: string): SessionView {
    let s = this.sessions.get(id);
    if (s === undefined) {
      s = {
        id,
        remote: '',
        since: ts,
        user: undefined,
        framesIn: 0,
        framesOut: 0,
        outstanding: 0,
        window: undefined,
        state: 'connected',
        closed: undefined,
      };
      this.sessions.set(id, s);
    }
    return s;
  }

  private forgetOldClosed(): void {
    const closed = this.sessionList().filter((s) => s.state === 'closed');
    for (const s of closed.slice(CLOSED_SESSIONS_KEPT)) this.sessions.delete(s.id);
  }

  /** Applies one record of the global stream (older seqs are ignored: replays are harmless). */
  apply(r: TranscriptRecord): void {
    if (r.seq <= this.lastSeq) return;
    this.lastSeq = r.seq;
    switch (r.kind) {
      case 'server-start':
        this.server.address = `${r.host.includes(':') ? `[${r.host}]` : r.host}:${r.port}`;
        break;
      case 'session-open': {
        const s = this.session(r.session, r.ts);
        s.remote = r.remote;
        s.since = r.ts;
        break;
      }
      case 'session-close': {
        const s = this.session(r.session, r.ts);
        s.state = 'closed';
        s.closed = r.reason;
        s.outstanding = 0;
        this.forgetOldClosed();
        this.messagesVersion++;
        break;
      }
      case 'scenario-loaded':
        this.server.scenarioFile = r.file;
        if (r.name !== undefined) this.server.scenarioName = r.name;
        if (r.source !== undefined) this.server.scenarioSource = r.source;
        this.rulesVersion++;
        break;
      case 'scenario-rejected':
        this.rulesVersion++;
        break;
      case 'reset':
        this.messagesVersion++;
        this.rulesVersion++;
        for (const s of this.sessions.values()) {
          if (s.state === 'closed') this.sessions.delete(s.id);
        }
        break;
      case 'unmatched':
      case 'frame-error':
      case 'ack-timeout':
      case 'multipart-expired':
        this.messagesVersion++;
        break;
      case 'server-stop':
      case 'frame':
      case 'decision':
      case 'scheduled':
      case 'fired':
      case 'assembled':
      case 'unexpected-response':
      case 'fault':
      case 'finding':
        break;
    }
    this.changed();
  }

  /** What `GET /sessions` says about the open sessions (the server's word wins). */
  mergeSessions(list: readonly Partial<ServerSession>[]): void {
    const open = new Set<string>();
    for (const info of list) {
      if (info.id === undefined) continue;
      open.add(info.id);
      const s = this.session(info.id, info.since ?? new Date().toISOString());
      if (info.remote !== undefined) s.remote = info.remote;
      if (info.user !== undefined) s.user = info.user ?? undefined;
      if (info.since !== undefined) s.since = info.since;
      if (info.framesIn !== undefined) s.framesIn = info.framesIn;
      if (info.framesOut !== undefined) s.framesOut = info.framesOut;
      if (info.outstanding !== undefined) s.outstanding = info.outstanding;
      if (info.window !== undefined) s.window = info.window;
      s.state = info.state ?? (s.user === undefined ? 'connected' : 'authenticated');
    }
    // A session the list no longer has closed (its record may still be on its way).
    for (const s of this.sessions.values()) {
      if (!open.has(s.id) && s.state !== 'closed') s.state = 'closed';
    }
    this.forgetOldClosed();
    this.changed();
  }
}

/** The one store of the page. */
export const store = new Store();
