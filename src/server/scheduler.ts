/**
 * Server-initiated work on a timer: a decision's `afterwards` (status reports, delivers,
 * disconnects, timed from the terminal step), items scheduled through the API, and the
 * scenario's `schedule` (timed from a user's first login). Items are cancelled with their
 * session unless they target the user (`target: 'user'`: they go to another open session of
 * the user when they fire). At most `maxScheduledItems` are pending; more are cancelled at once.
 */
import type { Parameter } from '../protocol/frame.js';
import { hexToBytes } from '../protocol/values.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { renderTemplate } from '../util/template.js';
import type { ConnectionFaults } from './connection-faults.js';
import type { DeliverMessage, Deliveries } from './deliveries.js';
import type { Afterward, Decision, RequestContext } from './ports.js';
import type { SessionRegistry } from './registry.js';
import type { ServerSession } from './session.js';
import type { ServerSignals } from './signals.js';

/** A `schedule` item of the scenario: `action` once a user (any, or `user`) first logs in. */
export interface LoginScheduleItem {
  readonly user?: string;
  readonly action: Afterward;
}

type Vars = Readonly<Record<string, string | undefined>>;

interface PendingItem {
  readonly id: number;
  readonly session: ServerSession;
  readonly action: Afterward;
  readonly at: number;
  readonly handle: TimerHandle;
}

/** Users whose first login started their schedule (bounded; a forgotten user starts afresh). */
const SEEN_USERS_LIMIT = 10_000;

export class Scheduler {
  private readonly clock: Clock;
  private readonly signals: ServerSignals;
  private readonly registry: SessionRegistry<ServerSession>;
  private readonly deliveries: Deliveries;
  private readonly maxItems: number;
  private readonly items = new Map<number, PendingItem>();
  private seq = 0;
  private loginSchedule: () => readonly LoginScheduleItem[] = () => [];
  private readonly seenUsers = new Set<string>();
  private faults: ConnectionFaults | undefined;

  constructor(
    clock: Clock,
    signals: ServerSignals,
    registry: SessionRegistry<ServerSession>,
    deliveries: Deliveries,
    maxItems: number,
  ) {
    this.clock = clock;
    this.signals = signals;
    this.registry = registry;
    this.deliveries = deliveries;
    this.maxItems = maxItems;
  }

  /** Where `faults` items (connection faults of a `schedule`) go. */
  useFaults(faults: ConnectionFaults): void {
    this.faults = faults;
  }

  /** Items scheduled and not fired yet. */
  get pending(): number {
    return this.items.size;
  }

  /**
   * The scenario's `schedule`, read at each first login of a user (so a new scenario applies
   * to users not seen yet).
   */
  useLoginSchedule(items: () => readonly LoginScheduleItem[]): void {
    this.loginSchedule = items;
  }

  /** Forgets which users logged in: their next login starts the schedule again. */
  forgetLogins(): void {
    this.seenUsers.clear();
  }

  /** A session logged in: on the user's first login, schedule the items that apply to it. */
  loggedIn(session: ServerSession): void {
    const user = session.user;
    if (user === undefined || this.seenUsers.has(user)) return;
    const items = this.loginSchedule().filter((i) => i.user === undefined || i.user === user);
    if (items.length === 0) return;
    this.seenUsers.add(user);
    // Bounded: only users a schedule applies to are kept, at most SEEN_USERS_LIMIT of them.
    if (this.seenUsers.size > SEEN_USERS_LIMIT) {
      const oldest = this.seenUsers.values().next();
      if (oldest.done !== true) this.seenUsers.delete(oldest.value);
    }
    for (const item of items) {
      if (!session.isOpen) continue;
      // A scheduled deliver goes to the user's oldest logged-in session when it fires.
      const action =
        item.action.kind === 'disconnect' || item.action.kind === 'faults'
          ? item.action
          : { ...item.action, target: 'user' as const };
      this.schedule(session, action, { user, session: session.id });
    }
  }

  /** Schedules a decision's afterwards, with the request's values for the templates. */
  afterwards(
    session: ServerSession,
    request: RequestContext,
    decision: Decision,
    timestamp: string | undefined,
  ): void {
    const vars = {
      destination: request.fields.destination,
      originator: request.fields.originator,
      text: request.fields.text,
      user: session.user,
      timestamp,
      session: session.id,
    };
    for (const action of decision.afterwards) {
      if (action.kind === 'statusReport' && action.beforeAnswer === true) continue;
      this.schedule(session, action, vars, request.fields.destination ?? '', timestamp);
    }
  }

  /**
   * Fires a decision's `beforeAnswer` status reports now, before its answer is written (each
   * recorded as `scheduled` and `fired` like any item).
   */
  beforeAnswer(
    session: ServerSession,
    request: RequestContext,
    decision: Decision,
    timestamp: string | undefined,
  ): void {
    for (const action of decision.afterwards) {
      if (action.kind !== 'statusReport' || action.beforeAnswer !== true) continue;
      const id = ++this.seq;
      const at = this.clock.now();
      this.signals.emit('scheduled', session.info, { id, action, at });
      const vars = { user: session.user, session: session.id, timestamp };
      this.fire(id, session, action, at, vars, request.fields.destination ?? '', timestamp);
    }
  }

  /** Schedules one item on `session`; returns its id. */
  schedule(
    session: ServerSession,
    action: Afterward,
    vars: Vars,
    destination = '',
    timestamp?: string,
  ): number {
    const id = ++this.seq;
    const at = this.clock.now() + action.afterMs;
    if (this.items.size >= this.maxItems) {
      const max = this.maxItems;
      const cancelled = `maxScheduledItems (${max}) reached: not scheduled`;
      this.signals.emit('scheduled', session.info, { id, action, at });
      this.signals.emit('fired', session.info, { id, action, at, cancelled });
      this.signals.limitReached(
        'maxScheduledItems',
        max,
        `item ${id} cancelled: ${cancelled}`,
        session.id,
      );
      return id;
    }
    const handle = this.clock.setTimeout(() => {
      this.items.delete(id);
      this.fire(id, session, action, at, vars, destination, timestamp);
    }, action.afterMs);
    this.items.set(id, { id, session, action, at, handle });
    this.signals.emit('scheduled', session.info, { id, action, at });
    return id;
  }

  /** The session closed: its items go too, except those for the user. */
  sessionClosed(session: ServerSession): void {
    for (const item of [...this.items.values()]) {
      if (item.session !== session) continue;
      const target = 'target' in item.action ? item.action.target : undefined;
      if (target === 'user') continue;
      this.clock.clearTimeout(item.handle);
      this.items.delete(item.id);
      this.signals.emit('fired', session.info, {
        id: item.id,
        action: item.action,
        at: item.at,
        cancelled: 'session closed',
      });
    }
  }

  /** Cancels every pending item, each reported as `fired` with `cancelled: reason`, oldest first. */
  cancelAll(reason: string): number {
    const pending = [...this.items.values()];
    this.items.clear();
    for (const item of pending) {
      this.clock.clearTimeout(item.handle);
      this.signals.emit('fired', item.session.info, {
        id: item.id,
        action: item.action,
        at: item.at,
        cancelled: reason,
      });
    }
    return pending.length;
  }

  /** Drops every pending item silently (the server stops). */
  clear(): void {
    for (const item of this.items.values()) this.clock.clearTimeout(item.handle);
    this.items.clear();
  }

  private fire(
    id: number,
    origin: ServerSession,
    action: Afterward,
    at: number,
    vars: Vars,
    destination: string,
    timestamp: string | undefined,
  ): void {
    if (action.kind === 'faults') {
      this.signals.emit('fired', origin.info, { id, action, at });
      this.faults?.apply(action.faults);
      return;
    }
    const target = 'target' in action ? action.target : undefined;
    let session: ServerSession | undefined = origin.isOpen ? origin : undefined;
    if (session === undefined && target === 'user' && origin.user !== undefined)
      session = this.registry.sessionsOf(origin.user).find((s) => s.isOpen);
    const info = (session ?? origin).info;
    const fired = (cancelled?: string): void => {
      this.signals.emit('fired', info, {
        id,
        action,
        at,
        ...(cancelled !== undefined ? { cancelled } : {}),
      });
    };
    if (session === undefined) {
      fired('no open session of the user');
      return;
    }
    const s = session;
    const swallow = (): void => {
      /* the session closed before the answer; the close is recorded already */
    };
    switch (action.kind) {
      case 'statusReport': {
        if (timestamp === undefined) {
          fired('the submit got no 060 (not answered positively)');
          return;
        }
        const full = s.outbound.capacityError(action.duplicate === true ? 2 : 1);
        if (full !== undefined) {
          fired(full.message);
          return;
        }
        fired();
        const report = {
          messageTimestamp: timestamp,
          destination,
          status: action.status,
          ...(action.errorCode !== undefined ? { statusErrorCode: action.errorCode } : {}),
          ...(action.dischargeTime !== undefined
            ? { dischargeTime: renderTemplate(action.dischargeTime, vars) }
            : {}),
        };
        const options = action.fault !== undefined ? { fault: action.fault } : {};
        this.deliveries.report(s.outbound, report, options).catch(swallow);
        if (action.duplicate === true)
          this.deliveries.report(s.outbound, report, options).catch(swallow);
        return;
      }
      case 'deliver': {
        let parts: Parameter[][];
        try {
          parts = this.deliveries.parts(deliverMessageOf(action, vars));
        } catch (error) {
          const why = error instanceof Error ? error.message : String(error);
          fired(`cannot build the message: ${why}`);
          this.signals.error(error);
          return;
        }
        const copies = action.duplicate === true ? 2 : 1;
        const full = s.outbound.capacityError(parts.length * copies);
        if (full !== undefined) {
          fired(full.message);
          return;
        }
        fired();
        const options = action.fault !== undefined ? { fault: action.fault } : {};
        for (let i = 0; i < copies; i++)
          this.deliveries.send(s.outbound, parts, undefined, options).catch(swallow);
        return;
      }
      case 'disconnect':
        fired();
        s.close({ code: 0, text: 'disconnected by the scenario' });
        return;
    }
  }
}

function deliverMessageOf(
  action: Extract<Afterward, { kind: 'deliver' }>,
  vars: Vars,
): DeliverMessage {
  return {
    destination: renderTemplate(action.to, vars),
    originator: renderTemplate(action.from, vars),
    ...(action.text !== undefined ? { text: renderTemplate(action.text, vars) } : {}),
    ...(action.hex !== undefined ? { bytes: hexToBytes(renderTemplate(action.hex, vars)) } : {}),
    ...(action.encoding !== undefined ? { encoding: action.encoding } : {}),
    ...(action.udh !== undefined ? { udh: hexToBytes(action.udh) } : {}),
  };
}
