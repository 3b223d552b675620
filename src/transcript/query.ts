/**
 * A queryable transcript: filter records by kind, operation, direction, session and field
 * values; list requests and pair them with their answers (docs/protocol.md#packet-numbers: an answer carries the
 * request's packet number and op + 50, or is a 98/99).
 */
import { Op, isRequestOp } from '../protocol/operations.js';
import { matchOp, matchValue, type ValueMatcher } from './matcher.js';
import { assertValidSelector, opIssues, throwIf } from './selector-check.js';
import type {
  DecisionRecord,
  FrameDirection,
  FrameRecord,
  RecordKind,
  RecordOf,
  TranscriptRecord,
} from './record.js';

/**
 * Which records to select; every key present must match.
 * - `kind`: record kind(s); absent means every kind (but see `Transcript.frames`).
 * - `op`: operation by name or code, e.g. `submit`, `53`, `{ in: [submit, deliver] }`.
 * - `dir`: `in` (client → server) or `out`.
 * - `session`, `pn`, `rule` (decision records): matchers on those members.
 * - `fields`: matchers on decoded fields (`destination`, `text`, `errorCode`, …); for records
 *   without `fields` (e.g. `assembled`) the record's own members are used.
 * - `params`: matchers on raw parameter values by three-digit code (`"064": "3"`).
 */
export interface RecordFilter {
  readonly kind?: ValueMatcher;
  readonly op?: ValueMatcher;
  readonly dir?: FrameDirection;
  readonly session?: ValueMatcher;
  readonly pn?: ValueMatcher;
  readonly rule?: ValueMatcher;
  readonly fields?: Readonly<Record<string, ValueMatcher>>;
  readonly params?: Readonly<Record<string, ValueMatcher>>;
}

/** Another name for {@link RecordFilter}. */
export type TranscriptFilter = RecordFilter;

/** A filter or a predicate. */
export type RecordSelector = RecordFilter | ((record: TranscriptRecord) => boolean);

/** A request frame and the frame that answered it (undefined when none did). */
export interface RequestPair {
  readonly request: FrameRecord;
  readonly answer: FrameRecord | undefined;
  /** Milliseconds from request to answer (from `ts`); undefined when unanswered. */
  readonly latencyMs: number | undefined;
}

function member(r: TranscriptRecord, key: string): unknown {
  return (r as unknown as Record<string, unknown>)[key];
}

function fieldValue(r: TranscriptRecord, key: string): unknown {
  if (r.kind === 'frame') return (r.fields as Record<string, unknown>)[key];
  return member(r, key);
}

function paramValues(r: TranscriptRecord, code: string): string[] | undefined {
  if (r.kind !== 'frame') return undefined;
  const out = r.params.filter((p) => p[0] === code).map((p) => p[1]);
  return out.length === 0 ? undefined : out;
}

/**
 * How many of the filter's conditions a record meets, and how many there are. Called per record,
 * so the filter is not checked here: check it once with `assertValidSelector`.
 */
export function filterScore(filter: RecordFilter, r: TranscriptRecord): [number, number] {
  let hit = 0;
  let total = 0;
  const check = (ok: boolean): void => {
    total++;
    if (ok) hit++;
  };
  if (filter.kind !== undefined) check(matchValue(filter.kind, r.kind));
  if (filter.op !== undefined) check(matchOp(filter.op, member(r, 'op') as number | undefined));
  if (filter.dir !== undefined) check(member(r, 'dir') === filter.dir);
  if (filter.session !== undefined) check(matchValue(filter.session, member(r, 'session')));
  if (filter.pn !== undefined) check(matchValue(filter.pn, member(r, 'pn')));
  if (filter.rule !== undefined) check(matchValue(filter.rule, member(r, 'rule')));
  for (const [k, m] of Object.entries(filter.fields ?? {})) check(matchValue(m, fieldValue(r, k)));
  for (const [k, m] of Object.entries(filter.params ?? {})) check(matchValue(m, paramValues(r, k)));
  return [hit, total];
}

function compile(filter: RecordFilter): (r: TranscriptRecord) => boolean {
  const fields = Object.entries(filter.fields ?? {});
  const params = Object.entries(filter.params ?? {});
  return (r) =>
    (filter.kind === undefined || matchValue(filter.kind, r.kind)) &&
    (filter.op === undefined || matchOp(filter.op, member(r, 'op') as number | undefined)) &&
    (filter.dir === undefined || member(r, 'dir') === filter.dir) &&
    (filter.session === undefined || matchValue(filter.session, member(r, 'session'))) &&
    (filter.pn === undefined || matchValue(filter.pn, member(r, 'pn'))) &&
    (filter.rule === undefined || matchValue(filter.rule, member(r, 'rule'))) &&
    fields.every(([k, m]) => matchValue(m, fieldValue(r, k))) &&
    params.every(([k, m]) => matchValue(m, paramValues(r, k)));
}

const isAnswerOp = (op: number): boolean => op === Op.GeneralError || op === Op.Nack;

function tsMs(r: TranscriptRecord): number {
  return Date.parse(r.ts);
}

/**
 * An immutable list of records with queries. Records keep file order (`seq` order for
 * recorded transcripts).
 */
export class Transcript {
  readonly records: readonly TranscriptRecord[];
  /** True when the source ended in a partial line that was dropped (an interrupted write). */
  readonly truncated: boolean;
  private pairCache: RequestPair[] | undefined;

  constructor(records: readonly TranscriptRecord[], options: { truncated?: boolean } = {}) {
    this.records = records;
    this.truncated = options.truncated ?? false;
  }

  /**
   * The predicate a filter stands for. Throws a `SelectorError` when the filter names an unknown
   * key, operation, record kind, field or matcher, or has a value of the wrong type.
   */
  static predicate(filter: RecordFilter): (r: TranscriptRecord) => boolean {
    assertValidSelector(filter);
    return compile(filter);
  }

  get length(): number {
    return this.records.length;
  }

  /**
   * Records matching a filter or predicate, in order. A filter is checked first (even when there
   * are no records): a `SelectorError` names each unknown key, operation, kind, field or matcher.
   */
  filter(selector: RecordSelector): TranscriptRecord[] {
    const test = typeof selector === 'function' ? selector : Transcript.predicate(selector);
    return this.records.filter(test);
  }

  /** Records of one kind. */
  ofKind<K extends RecordKind>(kind: K): RecordOf<K>[] {
    return this.records.filter((r): r is RecordOf<K> => r.kind === kind);
  }

  /** Frame records matching the filter (its `kind`, if any, is ignored; the filter is checked). */
  frames(filter: Omit<RecordFilter, 'kind'> = {}): FrameRecord[] {
    assertValidSelector(filter, { defaultKind: 'frame' });
    const test = compile({ ...filter, kind: 'frame' });
    return this.records.filter((r): r is FrameRecord => test(r));
  }

  /**
   * Request frames (operations that expect an answer: 01–40, either direction), optionally of
   * one operation by name or code.
   */
  requests(op?: string | number): FrameRecord[] {
    if (op !== undefined) throwIf(opIssues(op), ['op']);
    return this.records.filter(
      (r): r is FrameRecord =>
        r.kind === 'frame' && isRequestOp(r.op) && (op === undefined || matchOp(op, r.op)),
    );
  }

  /** Session ids in order of first appearance. */
  sessions(): string[] {
    const seen = new Set<string>();
    for (const r of this.records) if ('session' in r) seen.add(r.session);
    return [...seen];
  }

  /** The records of one session. */
  forSession(id: string): Transcript {
    return new Transcript(this.records.filter((r) => 'session' in r && r.session === id));
  }

  /** The record with this `seq`. */
  bySeq(seq: number): TranscriptRecord | undefined {
    return this.records.find((r) => r.seq === seq);
  }

  /**
   * Every request frame with its answer: the first later frame of the same session going the
   * other way with the same packet number and op + 50 (or 98/99). A request resent with the
   * same packet number before an answer leaves the earlier copy unanswered.
   */
  pairs(): RequestPair[] {
    if (this.pairCache) return this.pairCache;
    const out: RequestPair[] = [];
    const open = new Map<string, number>();
    for (const r of this.records) {
      if (r.kind !== 'frame') continue;
      if (isRequestOp(r.op)) {
        open.set(`${r.session}\u0000${r.dir}\u0000${r.pn}`, out.length);
        out.push({ request: r, answer: undefined, latencyMs: undefined });
        continue;
      }
      const reqDir = r.dir === 'in' ? 'out' : 'in';
      const key = `${r.session}\u0000${reqDir}\u0000${r.pn}`;
      const i = open.get(key);
      const pair = i === undefined ? undefined : out[i];
      if (i === undefined || pair === undefined) continue;
      if (pair.request.op + 50 !== r.op && !isAnswerOp(r.op)) continue;
      open.delete(key);
      out[i] = { request: pair.request, answer: r, latencyMs: tsMs(r) - tsMs(pair.request) };
    }
    this.pairCache = out;
    return out;
  }

  /** The answer frame of a request frame, if any. */
  answerTo(request: FrameRecord): FrameRecord | undefined {
    return this.pairs().find((p) => p.request === request)?.answer;
  }

  /** The decision taken for an inbound request frame (same session, pn and op, after it). */
  decisionFor(request: FrameRecord): DecisionRecord | undefined {
    const start = this.records.indexOf(request);
    for (let i = start + 1; i < this.records.length; i++) {
      const r = this.records[i];
      if (r === undefined) break;
      if (!('session' in r) || r.session !== request.session) continue;
      if (r.kind === 'decision' && r.pn === request.pn && r.op === request.op) return r;
      if (r.kind === 'frame' && r.dir === 'in' && r.pn === request.pn) break;
    }
    return undefined;
  }
}
