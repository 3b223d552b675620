/**
 * Framework-agnostic assertions over a transcript. Each `expectX` throws a `node:assert`
 * `AssertionError` with `actual`, `expected` and `operator` set, so mocha, chai, jest, vitest
 * and node:test show a diff; the message lists the records nearest to what was expected.
 * Each `checkX` is the same test returning a {@link CheckResult} instead of throwing (the
 * expectations runner uses those).
 *
 * Over 500 lines on purpose: ten public check/expect pairs of one shape, with their messages.
 */
import { AssertionError } from 'node:assert';
import { Op } from '../protocol/operations.js';
import type { ValueMatcher } from './matcher.js';
import { filterScore, Transcript, type RecordFilter } from './query.js';
import type { FrameRecord, TranscriptRecord } from './record.js';
import {
  assertValidSelector,
  matcherIssues,
  selectorIssues,
  statusIssues,
  throwIf,
  type SelectorIssue,
} from './selector-check.js';
import { suggestion } from '../util/schema-messages.js';
import { summarize } from './summary.js';

/** How many: an exact number or a range. */
export type CountSpec = number | { readonly min?: number; readonly max?: number };

/** The outcome of one check. */
export interface CheckResult {
  readonly ok: boolean;
  /** Empty when ok. */
  readonly message: string;
  readonly actual: unknown;
  readonly expected: unknown;
  readonly operator: string;
  /** The records that explain a failure (matches found, or the closest misses). */
  readonly nearest: readonly TranscriptRecord[];
}

/** Most records listed in a message. */
const LIST_MAX = 5;

/** `{"op":"submit","dir":"in"}`: a filter as written. */
export function describeFilter(filter: RecordFilter): string {
  return JSON.stringify(filter);
}

function list(
  records: readonly TranscriptRecord[],
  note?: (r: TranscriptRecord) => string,
): string {
  const shown = records.slice(0, LIST_MAX).map((r) => `\n  ${summarize(r)}${note ? note(r) : ''}`);
  const more = records.length > LIST_MAX ? `\n  … and ${records.length - LIST_MAX} more` : '';
  return shown.join('') + more;
}

function withoutKind(filter: RecordFilter): RecordFilter {
  const rest: RecordFilter = { ...filter };
  delete (rest as { kind?: unknown }).kind;
  return rest;
}

/**
 * The records of `pool` that meet most of the filter's conditions (at least one), best first,
 * then in transcript order. A `kind` in the filter restricts the pool and is not scored. The
 * filter is checked first (a `SelectorError` for a mistake).
 */
export function nearestRecords(
  pool: readonly TranscriptRecord[],
  filter: RecordFilter,
  max = 3,
): TranscriptRecord[] {
  assertValidSelector(filter);
  const kindOk =
    filter.kind === undefined ? () => true : Transcript.predicate({ kind: filter.kind });
  const scoring = withoutKind(filter);
  const scored: { r: TranscriptRecord; score: number; i: number }[] = [];
  pool.forEach((r, i) => {
    if (!kindOk(r)) return;
    const [hit, total] = filterScore(scoring, r);
    if (hit > 0 && total > 0) scored.push({ r, score: hit / total, i });
  });
  scored.sort((a, b) => b.score - a.score || a.i - b.i);
  return scored.slice(0, max).map((s) => s.r);
}

function nearNote(filter: RecordFilter): (r: TranscriptRecord) => string {
  const scoring = withoutKind(filter);
  return (r) => {
    const [hit, total] = filterScore(scoring, r);
    return `  (${hit} of ${total} conditions)`;
  };
}

const pass = (operator: string, actual: unknown, expected: unknown): CheckResult => ({
  ok: true,
  message: '',
  actual,
  expected,
  operator,
  nearest: [],
});

const q = (s: string): string => JSON.stringify(s);

function under(key: string | number, issues: readonly SelectorIssue[]): SelectorIssue[] {
  return issues.map((i) => ({ ...i, path: [key, ...i.path] }));
}

function unknownKeys(value: object, known: readonly string[]): SelectorIssue[] {
  return Object.keys(value)
    .filter((k) => !known.includes(k))
    .map((k) => ({
      path: [],
      key: k,
      message: `unknown key ${q(k)}${suggestion(k, known) || ` (known: ${known.join(', ')})`}`,
    }));
}

const isCount = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 0;

/** The mistakes in a count: a whole number, or `{ min?, max? }` with at least one of them. */
export function countIssues(count: unknown): SelectorIssue[] {
  if (typeof count === 'number') {
    return isCount(count)
      ? []
      : [{ path: [], message: `must be a whole number ≥ 0, not ${count}` }];
  }
  if (typeof count !== 'object' || count === null || Array.isArray(count)) {
    return [{ path: [], message: 'must be a number or { min, max }' }];
  }
  const out = unknownKeys(count, ['min', 'max']);
  const { min, max } = count as { min?: unknown; max?: unknown };
  if (min === undefined && max === undefined && out.length === 0) {
    out.push({ path: [], message: 'needs min and/or max' });
  }
  for (const [k, v] of [
    ['min', min],
    ['max', max],
  ] as const) {
    if (v !== undefined && !isCount(v)) {
      out.push({ path: [k], message: `must be a whole number ≥ 0, not ${JSON.stringify(v)}` });
    }
  }
  return out;
}

function checkCount(count: unknown): void {
  throwIf(countIssues(count), ['count']);
}

function countOk(n: number, count: CountSpec): boolean {
  if (typeof count === 'number') return n === count;
  return (count.min === undefined || n >= count.min) && (count.max === undefined || n <= count.max);
}

function countText(count: CountSpec): string {
  if (typeof count === 'number') return `exactly ${count}`;
  if (count.min !== undefined && count.max !== undefined)
    return `between ${count.min} and ${count.max}`;
  if (count.min !== undefined) return `at least ${count.min}`;
  if (count.max !== undefined) return `at most ${count.max}`;
  return 'any number of';
}

function toError(r: CheckResult): AssertionError {
  return new AssertionError({
    message: r.message,
    actual: r.actual,
    expected: r.expected,
    operator: r.operator,
  });
}

function enforce(r: CheckResult): void {
  if (!r.ok) throw toError(r);
}

/** Records matching `filter` (any kind unless `filter.kind` says) counted against `count`. */
export function checkRecords(t: Transcript, filter: RecordFilter, count: CountSpec): CheckResult {
  assertValidSelector(filter);
  checkCount(count);
  return countCheck(t, filter, count, 'record', t.records);
}

/** Frame records matching `filter` counted against `count`. */
export function checkFrames(t: Transcript, filter: RecordFilter, count: CountSpec): CheckResult {
  assertValidSelector(filter, { defaultKind: 'frame' });
  checkCount(count);
  const frames = t.records.filter((r) => r.kind === 'frame');
  return countCheck(t, { ...filter, kind: 'frame' }, count, 'frame', frames, filter);
}

function countCheck(
  t: Transcript,
  filter: RecordFilter,
  count: CountSpec,
  noun: string,
  pool: readonly TranscriptRecord[],
  shown: RecordFilter = filter,
): CheckResult {
  const found = t.filter(filter);
  if (countOk(found.length, count)) return pass('count', found.length, count);
  const head = `expected ${countText(count)} ${noun}(s) matching ${describeFilter(shown)}, found ${found.length}`;
  if (found.length > 0) {
    return {
      ok: false,
      message: `${head}:${list(found)}`,
      actual: found.length,
      expected: count,
      operator: 'count',
      nearest: found.slice(0, LIST_MAX),
    };
  }
  const near = nearestRecords(pool, filter);
  return {
    ok: false,
    message: near.length > 0 ? `${head}; nearest:${list(near, nearNote(filter))}` : head,
    actual: 0,
    expected: count,
    operator: 'count',
    nearest: near,
  };
}

/** Throws unless exactly `count` frames (or a count in the range) match `filter`. */
export function expectFrames(t: Transcript, filter: RecordFilter, count: CountSpec): void {
  enforce(checkFrames(t, filter, count));
}

/** Like {@link expectFrames} for records of any kind (`filter.kind` selects). */
export function expectRecords(t: Transcript, filter: RecordFilter, count: CountSpec): void {
  enforce(checkRecords(t, filter, count));
}

/**
 * The steps match records in this order (not necessarily adjacent). A step without `kind`
 * matches frame records.
 */
export function checkSequence(t: Transcript, steps: readonly RecordFilter[]): CheckResult {
  if (!Array.isArray(steps))
    throwIf([{ path: [], message: 'must be a list of filters' }], ['steps']);
  throwIf(
    steps.flatMap((step, i) => under(i, selectorIssues(step, { defaultKind: 'frame' }))),
    ['steps'],
  );
  const matched: TranscriptRecord[] = [];
  let from = 0;
  for (let s = 0; s < steps.length; s++) {
    const step = steps[s] ?? {};
    const filter: RecordFilter = step.kind === undefined ? { ...step, kind: 'frame' } : step;
    const test = Transcript.predicate(filter);
    let at = -1;
    for (let i = from; i < t.records.length; i++) {
      const r = t.records[i];
      if (r !== undefined && test(r)) {
        at = i;
        break;
      }
    }
    if (at < 0) {
      const after = matched.at(-1);
      const rest = t.records.slice(from);
      const near = nearestRecords(rest, filter);
      const earlier = t.records.slice(0, from).filter(test);
      let message =
        `sequence step ${s + 1} of ${steps.length} ${describeFilter(step)} not found` +
        (after !== undefined ? ` after #${after.seq}` : '');
      if (matched.length > 0) message += `; steps matched so far:${list(matched)}`;
      if (earlier.length > 0) message += `\nit occurs only earlier:${list(earlier)}`;
      if (near.length > 0) message += `\nnearest after that point:${list(near, nearNote(filter))}`;
      return {
        ok: false,
        message,
        actual: s,
        expected: steps.length,
        operator: 'sequence',
        nearest: [...matched.slice(-2), ...near],
      };
    }
    const rec = t.records[at];
    if (rec !== undefined) matched.push(rec);
    from = at + 1;
  }
  return pass('sequence', steps.length, steps.length);
}

/** Throws unless the steps match records in order (see {@link checkSequence}). */
export function expectSequence(t: Transcript, steps: readonly RecordFilter[]): void {
  enforce(checkSequence(t, steps));
}

/**
 * Every request frame matching `filter` (default: every request, both directions) has its
 * answer (op + 50, 98 or 99 with the same packet number) within `ms` milliseconds.
 */
export function checkAnsweredWithin(
  t: Transcript,
  ms: number,
  filter: RecordFilter = {},
): CheckResult {
  if (typeof ms !== 'number' || !(ms >= 0)) {
    throwIf(
      [{ path: [], message: `must be a number of milliseconds ≥ 0, not ${String(ms)}` }],
      ['ms'],
    );
  }
  assertValidSelector(filter, { defaultKind: 'frame' });
  const test = Transcript.predicate({ ...filter, kind: 'frame' });
  const pairs = t.pairs().filter((p) => test(p.request));
  const late = pairs.filter((p) => p.latencyMs === undefined || p.latencyMs > ms);
  if (late.length === 0) return pass('answeredWithin', [], []);
  const note = (r: TranscriptRecord): string => {
    const p = late.find((x) => x.request === r);
    return p?.answer === undefined
      ? '  (no answer)'
      : `  (answered after ${p.latencyMs ?? '?'} ms by #${p.answer.seq})`;
  };
  return {
    ok: false,
    message: `${late.length} of ${pairs.length} request(s)${
      Object.keys(filter).length > 0 ? ` matching ${describeFilter(filter)}` : ''
    } not answered within ${ms} ms:${list(
      late.map((p) => p.request),
      note,
    )}`,
    actual: late.map((p) => `${summarize(p.request)}${note(p.request)}`),
    expected: [],
    operator: 'answeredWithin',
    nearest: late
      .slice(0, LIST_MAX)
      .flatMap((p) => (p.answer ? [p.request, p.answer] : [p.request])),
  };
}

/** Throws unless every matching request was answered within `ms` (see {@link checkAnsweredWithin}). */
export function expectAnsweredWithin(t: Transcript, ms: number, filter?: RecordFilter): void {
  enforce(checkAnsweredWithin(t, ms, filter));
}

function noneOf(
  t: Transcript,
  kind: 'unmatched' | 'frame-error',
  operator: string,
  what: string,
): CheckResult {
  const found = t.filter({ kind });
  if (found.length === 0) return pass(operator, [], []);
  return {
    ok: false,
    message: `expected no ${what}, found ${found.length}:${list(found)}`,
    actual: found.map(summarize),
    expected: [],
    operator,
    nearest: found.slice(0, LIST_MAX),
  };
}

/** No request went unmatched by the scenario (no `unmatched` records). */
export function checkNoUnmatched(t: Transcript): CheckResult {
  return noneOf(t, 'unmatched', 'noUnmatched', 'unmatched requests');
}

/** Throws when any request went unmatched. */
export function expectNoUnmatched(t: Transcript): void {
  enforce(checkNoUnmatched(t));
}

/** No inbound frame failed to decode (no `frame-error` records). */
export function checkNoFrameErrors(t: Transcript): CheckResult {
  return noneOf(t, 'frame-error', 'noFrameErrors', 'frame errors');
}

/** Throws when any inbound frame failed to decode. */
export function expectNoFrameErrors(t: Transcript): void {
  enforce(checkNoFrameErrors(t));
}

/** Every rule id in `ruleIds` decided at least one request (from `decision` records). */
export function checkAllRulesUsed(t: Transcript, ruleIds: readonly string[]): CheckResult {
  if (!Array.isArray(ruleIds) || !ruleIds.every((id) => typeof id === 'string')) {
    throwIf([{ path: [], message: 'must be a list of rule ids (strings)' }], ['ruleIds']);
  }
  const used = new Set<string>();
  for (const r of t.records) if (r.kind === 'decision' && r.rule !== null) used.add(r.rule);
  const unused = ruleIds.filter((id) => !used.has(id));
  if (unused.length === 0) return pass('allRulesUsed', [], []);
  return {
    ok: false,
    message: `scenario rule(s) never used: ${unused.join(', ')}${
      used.size > 0 ? ` (used: ${[...used].join(', ')})` : ' (no rule decided any request)'
    }`,
    actual: unused,
    expected: [],
    operator: 'allRulesUsed',
    nearest: [],
  };
}

/** Throws unless every rule id decided at least one request. */
export function expectAllRulesUsed(t: Transcript, ruleIds: readonly string[]): void {
  enforce(checkAllRulesUsed(t, ruleIds));
}

/** Which status report {@link expectStatusReportFor} looks for. */
export interface StatusReportSpec {
  /** 021 of the report (the original message's destination). */
  readonly destination: ValueMatcher;
  /** 061 status: a code (4) or a name (`delivered`). */
  readonly status?: number | string;
  /** 060 of the original submit. */
  readonly timestamp?: string;
  readonly session?: string;
}

const STATUS_SPEC_KEYS = ['destination', 'status', 'timestamp', 'session'];

/** The mistakes in a {@link StatusReportSpec} (unknown keys, an unknown status, wrong types). */
export function statusSpecIssues(spec: unknown): SelectorIssue[] {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    return [{ path: [], message: 'must be { destination, status?, timestamp?, session? }' }];
  }
  const s = spec as Record<string, unknown>;
  const out = unknownKeys(spec, STATUS_SPEC_KEYS);
  out.push(...under('destination', matcherIssues(s['destination'])));
  if (s['status'] !== undefined) out.push(...under('status', statusIssues(s['status'])));
  for (const k of ['timestamp', 'session']) {
    const v = s[k];
    if (v !== undefined && typeof v !== 'string') {
      out.push({ path: [k], message: `must be a string, not ${JSON.stringify(v)}` });
    }
  }
  return out;
}

/** A status report (op 23) was sent for the destination (and status, time stamp) given. */
export function checkStatusReportFor(t: Transcript, spec: StatusReportSpec): CheckResult {
  throwIf(statusSpecIssues(spec), ['spec']);
  const filter: RecordFilter = {
    kind: 'frame',
    dir: 'out',
    op: Op.DeliverStatusReport,
    ...(spec.session !== undefined ? { session: spec.session } : {}),
    fields: {
      destination: spec.destination,
      ...(spec.status === undefined
        ? {}
        : typeof spec.status === 'number'
          ? { statusCode: spec.status }
          : { statusName: spec.status }),
      ...(spec.timestamp !== undefined ? { timestamp: spec.timestamp } : {}),
    },
  };
  const found = t.filter(filter);
  if (found.length > 0) return pass('statusReportFor', found.length, 1);
  const reports = t.records.filter(
    (r): r is FrameRecord => r.kind === 'frame' && r.op === (Op.DeliverStatusReport as number),
  );
  const near = nearestRecords(reports, filter);
  const shown = withoutKind(filter);
  return {
    ok: false,
    message:
      `expected a status report (23) matching ${describeFilter(shown)}, found none` +
      (near.length > 0
        ? `; status reports sent:${list(near, nearNote(filter))}`
        : reports.length === 0
          ? '; no status report was sent at all'
          : ''),
    actual: 0,
    expected: 1,
    operator: 'statusReportFor',
    nearest: near,
  };
}

/** Throws unless a status report was sent for the destination (and status) given. */
export function expectStatusReportFor(t: Transcript, spec: StatusReportSpec): void {
  enforce(checkStatusReportFor(t, spec));
}

/** A rule decided `count` requests (default: at least one). */
export function checkRuleUsed(
  t: Transcript,
  ruleId: string,
  count: CountSpec = { min: 1 },
): CheckResult {
  if (typeof ruleId !== 'string') {
    throwIf([{ path: [], message: `must be a string, not ${JSON.stringify(ruleId)}` }], ['ruleId']);
  }
  checkCount(count);
  const found = t.filter({ kind: 'decision', rule: ruleId });
  if (countOk(found.length, count)) return pass('ruleUsed', found.length, count);
  const decisions = t.filter({ kind: 'decision' });
  return {
    ok: false,
    message: `expected rule "${ruleId}" to decide ${countText(count)} request(s), it decided ${found.length}${
      decisions.length > 0 ? `; decisions:${list(found.length > 0 ? found : decisions)}` : ''
    }`,
    actual: found.length,
    expected: count,
    operator: 'ruleUsed',
    nearest: found.length > 0 ? found.slice(0, LIST_MAX) : decisions.slice(0, LIST_MAX),
  };
}

/** Throws unless rule `ruleId` decided `count` requests (default at least one). */
export function expectRuleUsed(t: Transcript, ruleId: string, count?: CountSpec): void {
  enforce(checkRuleUsed(t, ruleId, count));
}

/** The AssertionError a failed check stands for (for callers that collect checks). */
export function assertionErrorOf(result: CheckResult): AssertionError {
  return toError(result);
}
