/**
 * The server's open sessions: by ClientID, counted by remote address (for
 * `maxSessionsPerAddress`), logged-in ones by user (oldest first), the login admission policy (`maxSessionsPerUser`, `replaceOldestSession`) and the per-user server
 * packet-number counters (kept for at most 10 000 offline users, least recently seen dropped).
 */
import type { CloseReason } from './events.js';
import type { PnCounter } from './outbound-window.js';

/** What the registry needs of a session. */
export interface RegisteredSession {
  readonly id: string;
  readonly user: string | undefined;
  /** The remote address (IP, or a name such as `local` for in-memory streams). */
  readonly remoteHost: string;
  close(reason: CloseReason): void;
}

/** The form addresses are counted in: an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) as IPv4. */
export function addressKey(host: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return mapped?.[1] ?? host.toLowerCase();
}

/** Loopback: 127.0.0.0/8, ::1, and the names of in-memory streams (`local`, `localhost`). */
export function isLoopback(host: string): boolean {
  const key = addressKey(host);
  return key.startsWith('127.') || key === '::1' || key === 'local' || key === 'localhost';
}

/** Offline users whose packet-number counters are kept (logins with ever new user names). */
const PN_COUNTER_LIMIT = 10_000;

export interface RegistryOptions {
  /** Logged-in sessions per user; 0 = unlimited. */
  readonly maxSessionsPerUser: number;
  /** Over the limit, close the user's oldest sessions instead of refusing the login. */
  readonly replaceOldest: boolean;
  /** Called when a login is refused with 102 (for `limit-reached`). */
  readonly refused: (detail: string, sessionId: string) => void;
}

export class SessionRegistry<S extends RegisteredSession> {
  private readonly byId = new Map<string, S>();
  private readonly byAddress = new Map<string, number>();
  private readonly online = new Map<string, Set<S>>();
  private readonly pnCounters = new Map<string, PnCounter>();
  private readonly options: RegistryOptions;

  constructor(options: RegistryOptions) {
    this.options = options;
  }

  get size(): number {
    return this.byId.size;
  }

  add(session: S): void {
    this.byId.set(session.id, session);
    const key = addressKey(session.remoteHost);
    this.byAddress.set(key, (this.byAddress.get(key) ?? 0) + 1);
  }

  /** Open sessions from `host` (counted by {@link addressKey}). */
  countFrom(host: string): number {
    return this.byAddress.get(addressKey(host)) ?? 0;
  }

  get(id: string): S | undefined {
    return this.byId.get(id);
  }

  all(): IterableIterator<S> {
    return this.byId.values();
  }

  ids(): IterableIterator<string> {
    return this.byId.keys();
  }

  /** Logged-in sessions of a user, oldest first. */
  sessionsOf(user: string): S[] {
    return [...(this.online.get(user) ?? [])];
  }

  /** Logged-in sessions of `user` other than `except`. */
  userSessionCount(user: string, except: S): number {
    const set = this.online.get(user);
    if (set === undefined) return 0;
    return set.has(except) ? set.size - 1 : set.size;
  }

  /**
   * undefined to admit a login of `user` on `session`, else the CIMD2 error code of the 51
   * (102). With `replaceOldest` the user's oldest sessions are closed to make room.
   */
  admitLogin(session: S, user: string): number | undefined {
    const max = this.options.maxSessionsPerUser;
    if (max === 0) return undefined;
    const others = this.sessionsOf(user).filter((s) => s !== session);
    if (others.length < max) return undefined;
    if (!this.options.replaceOldest) {
      this.options.refused(
        `login of ${user} answered 102: ${others.length} sessions logged in already`,
        session.id,
      );
      return 102;
    }
    const excess = others.length - max + 1;
    for (const old of others.slice(0, excess))
      old.close({ code: 0, text: 'replaced by a new login of the same user' });
    return undefined;
  }

  /** `session` logged in as `user`; returns the user's packet-number counter. */
  loggedIn(session: S, user: string): PnCounter {
    const counter = this.pnCounterFor(user);
    let set = this.online.get(user);
    if (set === undefined) {
      set = new Set();
      this.online.set(user, set);
    }
    set.add(session);
    return counter;
  }

  /** Forgets a closed session. */
  remove(session: S): void {
    if (!this.byId.delete(session.id)) return;
    const key = addressKey(session.remoteHost);
    const n = (this.byAddress.get(key) ?? 1) - 1;
    if (n > 0) this.byAddress.set(key, n);
    else this.byAddress.delete(key);
    const user = session.user;
    if (user === undefined) return;
    const set = this.online.get(user);
    set?.delete(session);
    if (set?.size === 0) this.online.delete(user);
  }

  /** The server packet-number counter of `user` (shared by its sessions). */
  pnCounterFor(user: string): PnCounter {
    const c = this.pnCounters.get(user) ?? { next: 0 };
    // Most recently used last, so the pruning below drops users not seen for longest.
    this.pnCounters.delete(user);
    this.pnCounters.set(user, c);
    if (this.pnCounters.size > PN_COUNTER_LIMIT) {
      for (const old of this.pnCounters.keys()) {
        if (this.pnCounters.size <= PN_COUNTER_LIMIT) break;
        if (!this.online.has(old)) this.pnCounters.delete(old);
      }
    }
    return c;
  }

  /** Users whose server packet numbers are remembered. */
  get rememberedUsers(): number {
    return this.pnCounters.size;
  }
}
