/**
 * The messages the server has accepted: the 060 allocator (unique per destination, see
 * timestamps.ts) and the status of each (060, destination) for enquiries (op 4) and reports.
 * Bounded: at most 100 000 messages (+ 10 000 slack, evicted in batches, oldest first).
 *
 * Layout (compact, no object or key string per message): the messages sit in insertion order in
 * a ring of parallel arrays (060, destination, status), indexed by an open-addressing hash
 * table in an Int32Array; updating a status moves the message to the newest end (as a Map's
 * delete + set would). Eviction removes the oldest entries one by one (see StatusTable); only a
 * compaction (the ring full of dead slots after many updates) rebuilds the table.
 */
import { parseTimestamp } from '../protocol/values.js';
import type { Clock } from '../util/clock.js';
import { TimestampAllocator } from './timestamps.js';

const DEFAULT_LIMIT = 100_000;
const DEFAULT_SLACK = 10_000;

/** Status 061 "in process" (the status of a message just accepted). */
const IN_PROCESS = 1;

const EMPTY = 0;

/** The number the 12 digits of a 060 read as, or -1 when it is not 12 digits. */
function numberOf(timestamp: string): number {
  if (timestamp.length !== 12) return -1;
  let n = 0;
  for (let i = 0; i < 12; i++) {
    const d = timestamp.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** FNV-1a of a string. */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A 32-bit finaliser (murmur3's): spreads every input bit over the low bits the table uses. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The hash of (060, destination): `tsNum` is the 060's number (-1: hash its text). */
function hashOf(timestamp: string, tsNum: number, destinationHash: number): number {
  const t =
    tsNum >= 0 ? mix((tsNum % 0x100000000) ^ mix(Math.floor(tsNum / 0x100000000))) : fnv(timestamp);
  return mix(t ^ destinationHash);
}

/**
 * (060, destination) → status, in insertion order, bounded: more than `limit + slack` live
 * entries evict the oldest down to `limit`.
 *
 * The hash table uses linear probing with backward-shift deletion (no tombstones), so removing
 * an entry (an update, an eviction) costs a few probes and never a rebuild: evicting a batch
 * costs time in proportion to the batch, not to the table.
 */
export class StatusTable {
  private readonly limit: number;
  private readonly slack: number;
  /** Ring slots (live and dead entries between `head` and `tail`, oldest first). */
  private readonly capacity: number;
  /**
   * The 060 of each slot as the number its 12 digits read as (no string kept per message, so
   * nothing per message reaches the old generation but its destination), or -1 with the text in
   * `tsText` for a 060 that is not 12 digits (a scenario may fix any); NaN: the slot is free.
   */
  private tsNum: Float64Array;
  private tsText: (string | undefined)[];
  private dest: (string | undefined)[];
  private readonly stat: Int32Array;
  /** The hash of each slot's key (probing and shifting never hash a key twice). */
  private readonly hashes: Uint32Array;
  private head = 0;
  private tail = 0;
  private live = 0;
  /**
   * Hash table of cells of two words: slot + 1 (or EMPTY), and the key's hash, side by side so a
   * probe reads one cache line (the table is MBs: its misses were most of a lookup's time).
   */
  private readonly table: Int32Array;
  private readonly mask: number;
  private lastDestination = '';
  private lastDestinationHash = fnv('');

  constructor(limit: number, slack: number) {
    this.limit = Math.max(1, limit);
    this.slack = Math.max(1, slack);
    this.capacity = 2 * (this.limit + this.slack);
    this.tsNum = new Float64Array(this.capacity).fill(NaN);
    this.tsText = new Array<string | undefined>(this.capacity).fill(undefined);
    this.dest = new Array<string | undefined>(this.capacity).fill(undefined);
    this.stat = new Int32Array(this.capacity);
    this.hashes = new Uint32Array(this.capacity);
    let size = 16;
    while (size < this.capacity * 2) size *= 2;
    this.table = new Int32Array(2 * size);
    this.mask = size - 1;
  }

  get size(): number {
    return this.live;
  }

  /** The table cell of (timestamp, destination), or -1. */
  private find(timestamp: string, tsNum: number, destination: string, hash: number): number {
    const { table, mask } = this;
    const h = hash | 0;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const v = table[2 * i] ?? EMPTY;
      if (v === EMPTY) return -1;
      if (
        table[2 * i + 1] === h &&
        this.tsNum[v - 1] === tsNum &&
        (tsNum >= 0 || this.tsText[v - 1] === timestamp) &&
        this.dest[v - 1] === destination
      )
        return i;
    }
  }

  /** The table cell that points at ring slot `slot` (which is in the table). */
  private cellOf(slot: number): number {
    const { table, mask } = this;
    const target = slot + 1;
    let i = (this.hashes[slot] ?? 0) & mask;
    while (table[2 * i] !== target) i = (i + 1) & mask;
    return i;
  }

  private place(slot: number): void {
    const { table, mask } = this;
    const hash = this.hashes[slot] ?? 0;
    let i = hash & mask;
    while ((table[2 * i] ?? EMPTY) !== EMPTY) i = (i + 1) & mask;
    table[2 * i] = slot + 1;
    table[2 * i + 1] = hash | 0;
  }

  /** Empties table cell `cell`, shifting back the entries of its probe run that may move. */
  private removeCell(cell: number): void {
    const { table, mask } = this;
    let hole = cell;
    let j = cell;
    for (;;) {
      j = (j + 1) & mask;
      const v = table[2 * j] ?? EMPTY;
      if (v === EMPTY) break;
      const h = table[2 * j + 1] ?? 0;
      const home = h & mask;
      // The entry at j may fill the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      table[2 * hole] = v;
      table[2 * hole + 1] = h;
      hole = j;
    }
    table[2 * hole] = EMPTY;
  }

  get(timestamp: string, destination: string): number | undefined {
    const num = numberOf(timestamp);
    const cell = this.find(
      timestamp,
      num,
      destination,
      hashOf(timestamp, num, this.destinationHash(destination)),
    );
    if (cell < 0) return undefined;
    return this.stat[(this.table[2 * cell] ?? 1) - 1];
  }

  set(timestamp: string, destination: string, status: number): void {
    const num = numberOf(timestamp);
    const hash = hashOf(timestamp, num, this.destinationHash(destination));
    const cell = this.find(timestamp, num, destination, hash);
    if (cell >= 0) {
      const old = (this.table[2 * cell] ?? 1) - 1;
      this.removeCell(cell);
      this.free(old);
      this.live--;
    }
    if (this.tail - this.head === this.capacity) this.compact();
    const slot = this.tail % this.capacity;
    this.tsNum[slot] = num;
    if (num < 0) this.tsText[slot] = timestamp;
    // The remembered destination string when equal: a load to one number keeps one string, not
    // one per message (each frame's decode makes its own).
    this.dest[slot] = destination === this.lastDestination ? this.lastDestination : destination;
    this.stat[slot] = status;
    this.hashes[slot] = hash;
    this.tail++;
    this.live++;
    this.place(slot);
    if (this.live > this.limit + this.slack) this.evict(this.live - this.limit);
  }

  /** The hash of a destination (the last one is remembered: loads often repeat it). */
  private destinationHash(destination: string): number {
    if (destination !== this.lastDestination) {
      this.lastDestination = destination;
      this.lastDestinationHash = fnv(destination);
    }
    return this.lastDestinationHash;
  }

  /** Marks ring slot `slot` free. */
  private free(slot: number): void {
    this.tsNum[slot] = NaN;
    this.tsText[slot] = undefined;
    this.dest[slot] = undefined;
  }

  /** Drops the `n` oldest live entries. */
  private evict(n: number): void {
    while (n > 0 && this.head < this.tail) {
      const slot = this.head % this.capacity;
      if (!Number.isNaN(this.tsNum[slot])) {
        this.removeCell(this.cellOf(slot));
        this.free(slot);
        this.live--;
        n--;
      }
      this.head++;
    }
  }

  /** The ring is full of live and dead entries: move the live ones together, oldest first. */
  private compact(): void {
    const tsNum = new Float64Array(this.capacity).fill(NaN);
    const tsText = new Array<string | undefined>(this.capacity).fill(undefined);
    const dest = new Array<string | undefined>(this.capacity).fill(undefined);
    let n = 0;
    for (let i = this.head; i < this.tail; i++) {
      const slot = i % this.capacity;
      const t = this.tsNum[slot] ?? NaN;
      if (Number.isNaN(t)) continue;
      tsNum[n] = t;
      tsText[n] = this.tsText[slot];
      dest[n] = this.dest[slot];
      this.stat[n] = this.stat[slot] ?? 0;
      this.hashes[n] = this.hashes[slot] ?? 0;
      n++;
    }
    this.tsNum = tsNum;
    this.tsText = tsText;
    this.dest = dest;
    this.head = 0;
    this.tail = n;
    this.table.fill(EMPTY);
    for (let i = 0; i < n; i++) this.place(i);
  }
}

export class MessageStore {
  readonly timestamps: TimestampAllocator;
  private readonly timeZone: string;
  private readonly statuses: StatusTable;

  constructor(clock: Clock, options: { timeZone?: string; limit?: number; slack?: number } = {}) {
    this.timeZone = options.timeZone ?? 'UTC';
    this.timestamps = new TimestampAllocator(clock, { timeZone: this.timeZone });
    this.statuses = new StatusTable(options.limit ?? DEFAULT_LIMIT, options.slack ?? DEFAULT_SLACK);
  }

  /** A fresh 060 for a message to `destination` (never handed out twice for it). */
  allocate(destination: string): string {
    return this.timestamps.allocate(destination);
  }

  /** The server clock now as a 060/063 value. */
  now(): string {
    return this.timestamps.now();
  }

  /**
   * The default 063 of a report about the message with 060 `messageTimestamp`: the clock, never
   * before that 060 and never before an earlier default 063 (see TimestampAllocator).
   */
  dischargeTime(messageTimestamp: string): string {
    return this.timestamps.dischargeTime(messageTimestamp);
  }

  /** A 060 fixed by a scenario: allocation never repeats it for that destination. */
  reserve(destination: string, timestamp: string): void {
    try {
      this.timestamps.reserve(
        destination,
        Math.floor(parseTimestamp(timestamp, this.timeZone).getTime() / 1000),
      );
    } catch {
      /* a fixed 060 that is not a time is used as given */
    }
  }

  /** Records an accepted message (status 1, in process). */
  accepted(timestamp: string, destination: string): void {
    this.setStatus(timestamp, destination, IN_PROCESS);
  }

  /** Records the status a report announced for a message. */
  setStatus(timestamp: string, destination: string, status: number): void {
    this.statuses.set(timestamp, destination, status);
  }

  /** The last status of the message, or undefined when unknown (or evicted). */
  status(timestamp: string, destination: string): number | undefined {
    return this.statuses.get(timestamp, destination);
  }

  /** Messages remembered. */
  get size(): number {
    return this.statuses.size;
  }
}
