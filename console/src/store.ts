/**
 * The console's live model, fed by transcript records (the history from `GET /transcript`, then
 * `GET /events` live). Applying a record is O(1); listeners are told at most once per animation
 * frame, so a burst of thousands of records costs one render.
 *
 * Kept per session: counters and the last {@link LINES_PER_SESSION} records (the Conversation
 * ladder). Messages are not kept here: the Messages view pages them from `GET /messages`; the
 * store only counts that something changed (`messagesVersion`).
 */
import type { FrameRecord, TranscriptRecord } from '../../src/transcript/record.js';

/** Records kept per session for the ladder (older ones scroll out). */
export const LINES_PER_SESSION = 5000;
/** Seconds of submits/s history in the sparkline. */
export const RATE_SECONDS = 60;

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'unauthorized' | 'offline';

/** A session as the console shows it. */
export interface SessionView {
  readonly id: string;
  remote: string;
  since: string;
  user: string | undefined;
  framesIn: number;
  framesOut: number;
  /** Server requests (deliver, status report) sent and not yet answered. */
  outstanding: number;
  window: number | undefined;
  state: 'open' | 'logged-in' | 'closed';
  closed: string | undefined;
  /** The last records of the session, oldest first. */
  lines: TranscriptRecord[];
  /** Bumped on every change (cheap memo key). */
  version: number;
}

/** Where the mock listens and what scenario it runs. */
export interface ServerInfo {
  address: string | undefined;
  scenarioName: string | undefined;
  scenarioFile: string | undefined;
  scenarioSource: string | undefined;
}

type Listener = () => void;

const LOGIN_RESPONSE = 51;

function isRequestOp(op: number): boolean {
  return op < 50;
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
  lastSeq = 0;
  /** Bumped when a record may change the inbox (submits, answers, reports, MOs). */
  messagesVersion = 0;
  /** Bumped when the scenario, its rules' counts or its state may have changed. */
  rulesVersion = 0;
  /** Frame errors, unmatched requests and error answers of this epoch. */
  errors = 0;
  submitsTotal = 0;
  /** Submits per second, the last {@link RATE_SECONDS} seconds (index 0 oldest). */
  private readonly rateBuckets = new Map<number, number>();
  private readonly outstandingPn = new Map<string, Set<string>>();
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
    this.frame =
      typeof requestAnimationFrame === 'function'
        ? requestAnimationFrame(run)
        : (setTimeout(run, 16) as unknown as number);
  }

  setConnection(state: ConnectionState, detail = ''): void {
    if (this.connection === state && this.connectionDetail === detail) return;
    this.connection = state;
    this.connectionDetail = detail;
    this.changed();
  }

  /** Submits per second for the sparkline, oldest first, ending at `nowMs`. */
  rates(nowMs: number): number[] {
    const now = Math.floor(nowMs / 1000);
    const out: number[] = [];
    for (let s = now - RATE_SECONDS + 1; s <= now; s++) out.push(this.rateBuckets.get(s) ?? 0);
    for (const k of this.rateBuckets.keys()) if (k < now - RATE_SECONDS) this.rateBuckets.delete(k);
    return out;
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
        state: 'open',
        closed: undefined,
        lines: [],
        version: 0,
      };
      this.sessions.set(id, s);
    }
    return s;
  }

  /** Applies one record (records at or below `lastSeq` are ignored: replays are harmless). */
  apply(r: TranscriptRecord): void {
    if (r.seq <= this.lastSeq) return;
    this.lastSeq = r.seq;
    if ('session' in r) {
      const s = this.session(r.session, r.ts);
      s.lines.push(r);
      if (s.lines.length > LINES_PER_SESSION) s.lines.splice(0, s.lines.length - LINES_PER_SESSION);
      s.version++;
    }
    switch (r.kind) {
      case 'server-start':
        this.server.address = `${r.host.includes(':') ? `[${r.host}]` : r.host}:${r.port}`;
        if (r.scenario !== null) this.server.scenarioFile = r.scenario;
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
        this.outstandingPn.delete(r.session);
        break;
      }
      case 'frame':
        this.frameRecord(r);
        break;
      case 'frame-error':
        this.errors++;
        this.session(r.session, r.ts).framesIn++;
        break;
      case 'unmatched':
        this.errors++;
        this.rulesVersion++;
        break;
      case 'decision':
        this.rulesVersion++;
        this.messagesVersion++;
        break;
      case 'ack-timeout': {
        const set = this.outstandingPn.get(r.session);
        set?.delete(`${r.op}|${r.pn}`);
        const s = this.session(r.session, r.ts);
        s.outstanding = set?.size ?? 0;
        this.messagesVersion++;
        break;
      }
      case 'assembled':
      case 'fired':
      case 'scheduled':
        this.messagesVersion++;
        break;
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
        this.errors = 0;
        this.messagesVersion++;
        this.rulesVersion++;
        for (const s of this.sessions.values()) {
          if (s.state === 'closed') this.sessions.delete(s.id);
        }
        break;
      case 'server-stop':
      case 'multipart-expired':
      case 'unexpected-response':
        break;
    }
    this.changed();
  }

  private frameRecord(r: FrameRecord): void {
    const s = this.session(r.session, r.ts);
    let pending = this.outstandingPn.get(r.session);
    if (r.dir === 'in') {
      s.framesIn++;
      if (r.op === 3) {
        this.submitsTotal++;
        const sec = Math.floor(Date.parse(r.ts) / 1000);
        this.rateBuckets.set(sec, (this.rateBuckets.get(sec) ?? 0) + 1);
        this.messagesVersion++;
      }
      if (r.op === 1) {
        const w = r.params.find(([code]) => code === '019');
        if (w !== undefined) s.window = Number(w[1]);
        if (r.fields.user !== undefined) s.user = r.fields.user;
      }
      if (!isRequestOp(r.op) && pending?.delete(`${r.op - 50}|${r.pn}`) === true) {
        s.outstanding = pending.size;
        this.messagesVersion++;
      }
    } else {
      s.framesOut++;
      if (r.op === LOGIN_RESPONSE && r.fields.errorCode === undefined) s.state = 'logged-in';
      if (r.op === LOGIN_RESPONSE && r.fields.errorCode !== undefined) s.user = undefined;
      if (r.op >= 50 && r.fields.errorCode !== undefined && r.fields.errorCode !== 0) this.errors++;
      if (r.op === 98 || r.op === 99) this.errors++;
      if (isRequestOp(r.op)) {
        if (pending === undefined) {
          pending = new Set();
          this.outstandingPn.set(r.session, pending);
        }
        pending.add(`${r.op}|${r.pn}`);
        s.outstanding = pending.size;
        this.messagesVersion++;
      }
      if (r.op === 53) this.messagesVersion++;
    }
  }

  /** Merges what `GET /sessions` says (the server's word wins for the fields it gives). */
  mergeSessions(list: readonly Partial<SessionView & { id: string }>[]): void {
    for (const info of list) {
      if (info.id === undefined) continue;
      const s = this.session(info.id, info.since ?? new Date().toISOString());
      if (info.remote !== undefined) s.remote = info.remote;
      if (info.user !== undefined) s.user = info.user ?? undefined;
      if (typeof info.framesIn === 'number') s.framesIn = info.framesIn;
      if (typeof info.framesOut === 'number') s.framesOut = info.framesOut;
      if (typeof info.outstanding === 'number') s.outstanding = info.outstanding;
      if (typeof info.window === 'number') s.window = info.window;
      if (typeof info.since === 'string') s.since = info.since;
      if (s.state === 'closed') s.state = s.user === undefined ? 'open' : 'logged-in';
      if (s.user !== undefined && s.state === 'open') s.state = 'logged-in';
      s.version++;
    }
    // Sessions missing from the list are left alone: their session-close record says it (a
    // session opened after the list was read would otherwise look closed).
    this.changed();
  }
}

/** The one store of the page. */
export const store = new Store();
