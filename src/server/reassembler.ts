import type { Clock, TimerHandle } from '../util/clock.js';
import type { TextEncoding } from './ports.js';

/** One received part of a submitted message. */
export interface SubmittedPart {
  readonly clientId: string;
  readonly user: string | undefined;
  readonly destination: string;
  readonly originator: string | undefined;
  readonly pn: number;
  readonly encoding: TextEncoding;
  readonly text?: string;
  readonly bytes?: Buffer;
  /** Concatenation info; absent for a single SMS. */
  readonly concat?: { readonly ref: number; readonly total: number; readonly seq: number };
}

/** A whole message: all parts received and answered positively. */
export interface AssembledMessage {
  readonly clientId: string;
  readonly user: string | undefined;
  readonly destination: string;
  readonly originator: string | undefined;
  readonly encoding: TextEncoding;
  readonly text?: string;
  readonly bytes?: Buffer;
  readonly parts: number;
  readonly reference?: number;
  readonly packetNumbers: readonly number[];
  /** 060 of each part's positive 53, in part order. */
  readonly timestamps: readonly string[];
}

interface PartState {
  part: SubmittedPart;
  /** 060 of the part's positive answer; undefined while unanswered or answered negatively. */
  timestamp: string | undefined;
}

interface PartSet {
  readonly key: string;
  readonly total: number;
  readonly parts: (PartState | undefined)[];
  timer: TimerHandle | undefined;
}

/** Handle given back for a received part, to report its answer. */
export interface PartTicket {
  /**
   * Call once the part's answer went out: `timestamp` is the 060 of a positive 53, undefined for
   * any other outcome (error, nack, drop, disconnect).
   */
  answered(timestamp: string | undefined): void;
}

/**
 * Multipart reassembly keyed by (user or session, originator, destination, reference, total).
 * Parts may arrive in any order; the message completes once every part arrived and was answered
 * positively (a 53 with 060); an incomplete set expires `ttlMs` after its first part. A part
 * answered otherwise (error, nack, drop, disconnect) does not count: the set waits for the client
 * to send that part again (a repeated part, same seq, replaces the earlier copy) or expires.
 * Single-part messages complete at once when answered positively, and are forgotten otherwise. At most `maxSets`
 * incomplete sets are held: a new set over the limit expires the oldest one at once (reported
 * like a TTL expiry, then `onEvict`).
 */
export class Reassembler {
  private readonly sets = new Map<string, PartSet>();
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly onComplete: (message: AssembledMessage) => void;
  private readonly onExpire: (first: SubmittedPart, received: number[], total: number) => void;
  private readonly maxSets: number;
  private readonly onEvict: ((maxSets: number) => void) | undefined;

  constructor(options: {
    clock: Clock;
    ttlMs: number;
    onComplete: (message: AssembledMessage) => void;
    onExpire: (first: SubmittedPart, received: number[], total: number) => void;
    /** Incomplete sets held at most (default unlimited). */
    maxSets?: number;
    /** Called after the oldest set was expired early to stay within `maxSets`. */
    onEvict?: (maxSets: number) => void;
  }) {
    this.clock = options.clock;
    this.ttlMs = options.ttlMs;
    this.onComplete = options.onComplete;
    this.onExpire = options.onExpire;
    this.maxSets = options.maxSets ?? Infinity;
    this.onEvict = options.onEvict;
  }

  /** Number of incomplete multipart sets held. */
  get pendingSets(): number {
    return this.sets.size;
  }

  add(part: SubmittedPart): PartTicket {
    const c = part.concat;
    if (c === undefined || c.total <= 1 || c.seq < 1 || c.seq > c.total) {
      return {
        answered: (timestamp) => {
          if (timestamp !== undefined) this.onComplete(assemble([{ part, timestamp }], undefined));
        },
      };
    }
    const key = [
      part.user ?? part.clientId,
      part.originator ?? '',
      part.destination,
      c.ref,
      c.total,
    ].join('\u0000');
    let set = this.sets.get(key);
    if (set === undefined) {
      if (this.sets.size >= this.maxSets) this.evictOldest();
      set = {
        key,
        total: c.total,
        parts: new Array<PartState | undefined>(c.total),
        timer: undefined,
      };
      this.sets.set(key, set);
      const s = set;
      s.timer = this.clock.setTimeout(() => {
        this.expire(s);
      }, this.ttlMs);
    }
    const state: PartState = { part, timestamp: undefined };
    set.parts[c.seq - 1] = state;
    const s = set;
    return {
      answered: (timestamp) => {
        state.timestamp = timestamp;
        if (timestamp !== undefined) this.check(s);
      },
    };
  }

  private evictOldest(): void {
    const oldest = this.sets.values().next();
    if (oldest.done === true) return;
    if (oldest.value.timer !== undefined) this.clock.clearTimeout(oldest.value.timer);
    this.expire(oldest.value);
    this.onEvict?.(this.maxSets);
  }

  /** Drops every pending set and its timer. */
  clear(): void {
    for (const set of this.sets.values())
      if (set.timer !== undefined) this.clock.clearTimeout(set.timer);
    this.sets.clear();
  }

  private check(set: PartSet): void {
    if (this.sets.get(set.key) !== set) return;
    for (const p of set.parts) if (p?.timestamp === undefined) return;
    this.sets.delete(set.key);
    if (set.timer !== undefined) this.clock.clearTimeout(set.timer);
    const first = set.parts[0];
    this.onComplete(assemble(set.parts as PartState[], first?.part.concat?.ref));
  }

  private expire(set: PartSet): void {
    if (this.sets.get(set.key) !== set) return;
    this.sets.delete(set.key);
    const received: number[] = [];
    let first: SubmittedPart | undefined;
    set.parts.forEach((p, i) => {
      if (p !== undefined) {
        received.push(i + 1);
        first ??= p.part;
      }
    });
    if (first !== undefined) this.onExpire(first, received, set.total);
  }
}

/** `states` all answered positively (timestamp set). */
function assemble(states: readonly PartState[], reference: number | undefined): AssembledMessage {
  const first = states[0];
  if (first === undefined) throw new Error('assemble: no parts');
  const p = first.part;
  // Built in one literal with a fixed shape (this runs once per submitted message).
  const message: {
    -readonly [K in keyof AssembledMessage]: AssembledMessage[K];
  } = {
    clientId: p.clientId,
    user: p.user,
    destination: p.destination,
    originator: p.originator,
    encoding: p.encoding,
    parts: states.length,
    packetNumbers: states.map((s) => s.part.pn),
    timestamps: states.map((s) => s.timestamp ?? ''),
  };
  if (reference !== undefined) message.reference = reference;
  if (states.length === 1 && p.text !== undefined) message.text = p.text;
  else if (states.every((s) => s.part.text !== undefined)) {
    message.text = states.map((s) => s.part.text ?? '').join('');
  } else {
    message.bytes = Buffer.concat(states.map((s) => s.part.bytes ?? Buffer.alloc(0)));
  }
  return message;
}
