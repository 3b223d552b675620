/**
 * Expectations files: a YAML list of checks (`schemas/expectations.schema.json`) run against a
 * transcript by `cimd2-mock assert`. Each item has exactly one check key (the same checks as
 * the assertion helpers) and an optional `name`. Problems in the file are reported as
 * `file:line:col: message`, located at the offending YAML node.
 *
 * Over 500 lines on purpose: most of it is locating problems (schema errors mapped to the YAML
 * node at fault, selector and check-id issues, bounded lists for huge files); loading and running
 * share the expectation types, and running is ~60 lines at the end.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as AjvModule from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import {
  distinctIssues,
  floodIssues,
  schemaIssues as locateSchemaErrors,
  SCHEMA_AJV_OPTIONS,
  splitUnknownKeys,
  type UnknownKeyFlood,
  withoutMisspeltRequired,
} from '../util/schema-messages.js';
import {
  capIssues,
  fromPointer,
  MAX_REPORTED_ISSUES,
  toPointer,
  YamlSource,
} from '../util/yaml-source.js';
import type { DocPath } from '../util/yaml-source.js';
import {
  checkAllRulesUsed,
  checkAnsweredWithin,
  checkFrames,
  checkNoFrameErrors,
  checkNoUnmatched,
  checkRecords,
  checkRuleUsed,
  checkSequence,
  checkStatusReportFor,
  type CheckResult,
  type CountSpec,
  type StatusReportSpec,
} from './assertions.js';
import { ExpectationsError, type ExpectationIssue } from './errors.js';
import {
  checkFindings,
  checkIdProblem,
  checkNoFindings,
  type FindingsSpec,
  type NoFindingsSpec,
} from './finding-checks.js';
import { isMatchSpec } from './matcher.js';
import type { RecordFilter, Transcript } from './query.js';
import { matcherIssues, selectorIssues } from './selector-check.js';
import type { TranscriptRecord } from './record.js';
import { summarize } from './summary.js';

/** Bounds of a count check: `equals`, or `min` and/or `max`. */
export interface CountBounds {
  readonly equals?: number;
  readonly min?: number;
  readonly max?: number;
}

/** A duration: milliseconds, or a string such as `250ms`, `2s`, `1.5s`, `1m`. */
export type DurationValue = number | string;

/** One check of an expectations file (exactly one check key, plus an optional `name`). */
export type Expectation = { readonly name?: string } & (
  | { readonly count: { readonly match: RecordFilter } & CountBounds }
  | { readonly sequence: readonly RecordFilter[] }
  | { readonly answeredWithin: { readonly ms: DurationValue; readonly match?: RecordFilter } }
  | { readonly noUnmatched: true }
  | { readonly noFrameErrors: true }
  | { readonly allRulesUsed: readonly string[] }
  | { readonly ruleUsed: { readonly rule: string } & CountBounds }
  | { readonly statusReportFor: StatusReportSpec }
  | { readonly noFindings: true | NoFindingsSpec }
  | { readonly findings: FindingsSpec }
);

/** The check keys, in documentation order. */
export const EXPECTATION_KINDS = [
  'count',
  'sequence',
  'answeredWithin',
  'noUnmatched',
  'noFrameErrors',
  'allRulesUsed',
  'ruleUsed',
  'statusReportFor',
  'noFindings',
  'findings',
] as const;

/** One of {@link EXPECTATION_KINDS}. */
export type ExpectationKind = (typeof EXPECTATION_KINDS)[number];

/** A loaded, valid expectations file. */
export interface ExpectationsDocument {
  readonly file: string;
  readonly expectations: readonly Expectation[];
}

/** One failed check. */
export interface ExpectationFailure {
  /** 0-based position in the file's list. */
  readonly index: number;
  readonly kind: ExpectationKind;
  readonly expectation: Expectation;
  readonly message: string;
  /** Records near what was expected (found matches, or closest misses). */
  readonly nearest: readonly TranscriptRecord[];
}

/** The outcome of {@link runExpectations}. */
export interface ExpectationsResult {
  readonly passed: boolean;
  /** Checks run. */
  readonly checked: number;
  readonly failures: readonly ExpectationFailure[];
}

/** Largest expectations text accepted (bytes of UTF-8): 1 MiB, like a scenario's default. */
export const MAX_EXPECTATIONS_BYTES = 1024 * 1024;

/** Location of the expectations JSON Schema (works from `src/` under tsx and from `dist/`). */
export const expectationsSchemaUrl = new URL(
  '../../schemas/expectations.schema.json',
  import.meta.url,
);

let validators: { file: ValidateFunction; item: ValidateFunction } | undefined;

// ajv is loaded on first use: every command imports this module, few check expectations.
const requireCjs = createRequire(import.meta.url);

function getValidators(): { file: ValidateFunction; item: ValidateFunction } {
  if (!validators) {
    const schema = JSON.parse(readFileSync(expectationsSchemaUrl, 'utf8')) as Record<
      string,
      unknown
    >;
    const { Ajv2020 } = requireCjs('ajv/dist/2020.js') as typeof AjvModule;
    const ajv = new Ajv2020({
      ...SCHEMA_AJV_OPTIONS,
      // "exactly one check key" is oneOf [{required: [count]}, …] over the parent's properties.
      strictRequired: false,
    });
    const file = ajv.compile(schema);
    const item = ajv.getSchema(`${String(schema['$id'])}#/$defs/expectation`);
    if (!item) throw new Error('expectations schema without $defs/expectation');
    validators = { file, item };
  }
  return validators;
}

/**
 * The schema's errors for the data, item by item when it is a list: ajv gathers the errors of a
 * referenced schema by copying every error so far (`concat`), so one pass over thousands of
 * invalid items would take time quadratic in their number. A flood of unknown keys in an item is
 * found without the validator ({@link splitUnknownKeys}); the keys past the fully worded ones
 * come back as counted issues.
 */
function schemaErrors(
  source: YamlSource,
  data: unknown,
): { errors: ErrorObject[]; counted: ExpectationIssue[] } {
  const { file, item } = getValidators();
  if (!Array.isArray(data)) {
    return { errors: file(data) ? [] : [...(file.errors ?? [])], counted: [] };
  }
  const out: ErrorObject[] = [];
  const floods: UnknownKeyFlood[] = [];
  (data as unknown[]).forEach((x, i) => {
    const flood =
      typeof x === 'object' && x !== null && !Array.isArray(x)
        ? splitUnknownKeys(
            source,
            [i],
            `/${i}`,
            x as Record<string, unknown>,
            item.schema as { properties?: Record<string, unknown> },
          )
        : undefined;
    if (flood) floods.push(flood);
    if (item(flood?.known ?? x)) return;
    for (const e of item.errors ?? []) out.push({ ...e, instancePath: `/${i}${e.instancePath}` });
  });
  return floods.length > 0 ? floodIssues(source, floods, out) : { errors: out, counted: [] };
}

/** The messages for this schema's inline formats (the rest are the generic ones). */
function expectationMessage(error: ErrorObject): string | undefined {
  if (error.keyword !== 'pattern') return undefined;
  const pattern = (error.params as Record<string, unknown>)['pattern'];
  const value = JSON.stringify(error.data);
  if (pattern === '^\\d{12}$') return `invalid time stamp ${value}: use 12 digits yymmddhhmmss`;
  if (pattern === '^\\d{3}$') {
    return `invalid parameter code ${value}: use three digits, e.g. "064"`;
  }
  return undefined;
}

/** Message for a value that fits none of an anyOf's branches (schemaPath is $ref-relative). */
function alternativesMessage(e: ErrorObject): string {
  const branches = JSON.stringify(e.schema);
  if (branches.includes('(ms|s|m)')) {
    return `invalid duration ${JSON.stringify(e.data)}: use milliseconds or a string such as 250ms, 2s, 1m`;
  }
  const names = (e.schema as { enum?: unknown[] }[]).flatMap((b) => b.enum ?? []);
  return `must be a status code 0-9 or one of: ${names.map(String).join(', ')}`;
}

/** The pointer and each of its ancestors, itself first: `/0/count/match`, `/0/count`, `/0`, ``. */
function* selfAndAncestors(pointer: string): Generator<string> {
  let p = pointer;
  for (;;) {
    yield p;
    if (p === '') return;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

/**
 * The schema's errors as issues. Linear in the number of errors: errors are grouped by instance
 * path, so an `anyOf`/`oneOf` finds its branches' errors among those of its own node.
 */
function schemaIssues(source: YamlSource, all: readonly ErrorObject[]): ExpectationIssue[] {
  const errors = withoutMisspeltRequired(all);
  const kept = new Set(errors);
  const byPath = new Map<string, ErrorObject[]>();
  for (const x of all) {
    const group = byPath.get(x.instancePath);
    if (group) group.push(x);
    else byPath.set(x.instancePath, [x]);
  }
  const out: (ExpectationIssue | undefined)[] = [];
  const dropped = new Set<ErrorObject>();
  /** Nodes whose every error (theirs and below) one "fits none of its forms" issue replaces. */
  const replaced = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'oneOf' && e.keyword !== 'anyOf') continue;
    const subs = (byPath.get(e.instancePath) ?? []).filter(
      (x) => x !== e && x.schemaPath.startsWith(`${e.schemaPath}/`),
    );
    const path = fromPointer(e.instancePath, source.data);
    const isObject = isMatchSpec(e.data);
    if (subs.some((x) => !kept.has(x))) {
      // A misspelt check key (`noUnmached`): its unknown-key issue says it all.
      for (const x of subs) dropped.add(x);
      dropped.add(e);
      continue;
    }
    if (subs.length > 0 && subs.every((x) => x.keyword === 'required')) {
      // The "exactly one check key" rule of an expectation, or count's bounds.
      for (const x of subs) dropped.add(x);
      dropped.add(e);
      const present = isObject
        ? Object.keys(e.data as object).filter((k) =>
            (EXPECTATION_KINDS as readonly string[]).includes(k),
          )
        : [];
      const options = subs.map((x) =>
        String((x.params as Record<string, unknown>)['missingProperty']),
      );
      out.push(
        source.issue(
          path,
          present.length > 1
            ? `has more than one check (${present.join(', ')}): write each as its own list item`
            : `needs one of: ${options.join(', ')}`,
        ),
      );
      continue;
    }
    // A duration or a status that fits none of its forms: one message for all branches.
    replaced.add(e.instancePath);
    dropped.add(e);
    out.push(source.issue(path, alternativesMessage(e)));
  }
  const rest = errors.filter((x) => {
    if (dropped.has(x)) return false;
    if (replaced.size === 0) return true;
    for (const p of selfAndAncestors(x.instancePath)) if (replaced.has(p)) return false;
    return true;
  });
  return distinctIssues([...out, ...locateSchemaErrors(source, rest, expectationMessage)]);
}

/** A place in an expectations file that holds a record filter or a value matcher. */
interface SelectorSite {
  readonly path: DocPath;
  readonly value: unknown;
  /** `filter`: a record filter (frames unless it says `kind`); `matcher`: one value matcher. */
  readonly what: 'filter' | 'matcher';
}

const asObject = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;

/** Every filter and matcher of the file's items (where the item's shape lets one be found). */
function selectorSites(data: unknown): SelectorSite[] {
  if (!Array.isArray(data)) return [];
  const sites: SelectorSite[] = [];
  data.forEach((item: unknown, i) => {
    const e = asObject(item);
    if (!e) return;
    const match = asObject(e['count'])?.['match'];
    if (match !== undefined)
      sites.push({ path: [i, 'count', 'match'], value: match, what: 'filter' });
    const sequence = e['sequence'];
    if (Array.isArray(sequence)) {
      sequence.forEach((step: unknown, j) =>
        sites.push({ path: [i, 'sequence', j], value: step, what: 'filter' }),
      );
    }
    const within = asObject(e['answeredWithin'])?.['match'];
    if (within !== undefined) {
      sites.push({ path: [i, 'answeredWithin', 'match'], value: within, what: 'filter' });
    }
    const destination = asObject(e['statusReportFor'])?.['destination'];
    if (destination !== undefined) {
      const path = [i, 'statusReportFor', 'destination'];
      sites.push({ path, value: destination, what: 'matcher' });
    }
  });
  return sites;
}

/**
 * The data with every site's value replaced by `{}` (copies along the way, the data is left as
 * is): the schema's errors inside sites are dropped anyway, and validating thousands of filters
 * against the schema's alternatives is most of the time of a large file.
 */
function withoutSites(data: unknown, sites: readonly SelectorSite[]): unknown {
  if (!Array.isArray(data) || sites.length === 0) return data;
  const copy: unknown[] = (data as unknown[]).slice();
  const copied = new Set<unknown>();
  for (const site of sites) {
    let node: unknown = copy;
    const last = site.path.length - 1;
    for (let i = 0; i < last; i++) {
      const parent = node as Record<string | number, unknown>;
      const seg = site.path[i] ?? '';
      let child = parent[seg];
      if (!copied.has(child)) {
        child = Array.isArray(child) ? [...(child as unknown[])] : { ...(child as object) };
        copied.add(child);
        parent[seg] = child;
      }
      node = child;
    }
    (node as Record<string | number, unknown>)[site.path[last] ?? ''] = {};
  }
  return copy;
}

/** The issues of one site, checked as the assertion helpers check them, located in the file. */
function siteIssues(
  source: YamlSource,
  site: SelectorSite,
  checked: Map<string, ReturnType<typeof selectorIssues>>,
): ExpectationIssue[] {
  // Files with thousands of checks repeat their filters: each distinct one is checked once (its
  // "did you mean" hints cost edit distances).
  const key = `${site.what}\0${JSON.stringify(site.value)}`;
  let issues = checked.get(key);
  if (issues === undefined) {
    issues =
      site.what === 'filter'
        ? selectorIssues(site.value, { defaultKind: 'frame' })
        : matcherIssues(site.value);
    checked.set(key, issues);
  }
  return issues.map((i) => {
    const path = [...site.path, ...i.path];
    return i.key === undefined
      ? source.issue(path, i.message)
      : source.issue([...path, i.key], i.message, { at: 'key', prefix: path });
  });
}

/** Unknown check ids of `findings: { check }` items, located at the value. */
function checkIdIssues(source: YamlSource, data: unknown): ExpectationIssue[] {
  if (!Array.isArray(data)) return [];
  const out: ExpectationIssue[] = [];
  data.forEach((item: unknown, i) => {
    const check = asObject(asObject(item)?.['findings'])?.['check'];
    if (typeof check !== 'string') return;
    const problem = checkIdProblem(check);
    if (problem !== undefined) out.push(source.issue([i, 'findings', 'check'], problem));
  });
  return out;
}

/**
 * The issues of `data` (the file's list, or the first items of it), distinct and in the order of
 * the file, then the unknown keys of floods that are only counted.
 */
function fileIssues(source: YamlSource, data: unknown): ExpectationIssue[] {
  const sites = selectorSites(data);
  // Filters and matchers are checked in code, like the library's; the schema's errors inside them
  // (a cascade of anyOf branches for one typo) are left out.
  const pointers = new Set(sites.map((s) => toPointer(s.path)));
  const inSite = (e: ErrorObject): boolean => {
    for (const p of selfAndAncestors(e.instancePath)) if (pointers.has(p)) return true;
    return false;
  };
  const schema = schemaErrors(source, withoutSites(data, sites));
  const errors = schema.errors.filter((e) => !inSite(e));
  const checked = new Map<string, ReturnType<typeof selectorIssues>>();
  const issues = distinctIssues([
    ...schemaIssues(source, errors),
    ...sites.flatMap((s) => siteIssues(source, s, checked)),
    ...checkIdIssues(source, data),
  ]);
  // Unknown keys past a flood's fully worded ones: after those by position, and distinct.
  for (const issue of schema.counted) issues.push(issue);
  return issues;
}

/** Items whose issues {@link headAndTailIssues} lists before it only counts the others'. */
const HEAD_ITEMS = 256;

/** A key that tells items apart as the checks do (JSON, with NaN and infinities kept apart). */
const itemKey = (item: unknown): string =>
  JSON.stringify(item, (_k, x: unknown) => {
    if (typeof x === 'string') return x.startsWith('\0') ? `\0${x}` : x;
    if (typeof x === 'number' && !Number.isFinite(x)) return `\0#${String(x)}`;
    return x;
  });

/**
 * The issues of a long list when its first items already have more than are listed: those items'
 * issues in full (an item's issues lie within its own lines, as the file has no aliases), then
 * the rest counted only — each distinct item checked once, the checks' issues being the same
 * wherever an item stands — as entries that stand for an issue past the listed ones.
 */
function headAndTailIssues(source: YamlSource, data: unknown[]): ExpectationIssue[] {
  const head = fileIssues(source, data.slice(0, HEAD_ITEMS));
  if (head.length <= MAX_REPORTED_ISSUES) return fileIssues(source, data);
  const counts = new Map<string, number>();
  let more = 0;
  for (let i = HEAD_ITEMS; i < data.length; i++) {
    const key = itemKey(data[i]);
    let n = counts.get(key);
    if (n === undefined) {
      n = fileIssues(source, [data[i]]).length;
      counts.set(key, n);
    }
    more += n;
  }
  const last = head[head.length - 1];
  const counted: ExpectationIssue = {
    file: source.file,
    line: last?.line ?? 1,
    col: last?.col ?? 1,
    message: 'counted',
    path: '',
  };
  for (let i = 0; i < more; i++) head.push(counted);
  return head;
}

/**
 * Parses and validates an expectations file. Throws `ExpectationsError` whose `issues` each
 * read `file:line:col: message` (YAML syntax, schema violations, bad regular expressions): at
 * most 100, then `… and N more issues`. A text over 1 MiB is refused unparsed; loading is linear
 * in the size of the text.
 */
export function loadExpectations(text: string, file = '<expectations>'): ExpectationsDocument {
  if (text.length * 3 > MAX_EXPECTATIONS_BYTES) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_EXPECTATIONS_BYTES) {
      const message = `the expectations file is ${bytes} bytes, over the limit of ${MAX_EXPECTATIONS_BYTES} bytes`;
      throw new ExpectationsError([{ file, line: 1, col: 1, message, path: '' }]);
    }
  }
  const source = new YamlSource(text, file);
  if (source.syntaxIssues.length > 0) throw new ExpectationsError(capIssues(source.syntaxIssues));
  const data = source.data ?? [];
  const issues =
    Array.isArray(data) && data.length > HEAD_ITEMS && !source.text.includes('*')
      ? headAndTailIssues(source, data)
      : fileIssues(source, data);
  if (issues.length > 0) throw new ExpectationsError(capIssues(issues));
  return { file, expectations: data as Expectation[] };
}

/** Milliseconds of a duration value (`250`, `"250ms"`, `"2s"`, `"1.5s"`, `"1m"`). */
export function durationMs(value: DurationValue): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value);
  if (!m?.[1]) throw new RangeError(`invalid duration ${JSON.stringify(value)}`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

function bounds(b: CountBounds, fallback: CountSpec): CountSpec {
  if (b.equals !== undefined) return b.equals;
  if (b.min === undefined && b.max === undefined) return fallback;
  return {
    ...(b.min !== undefined ? { min: b.min } : {}),
    ...(b.max !== undefined ? { max: b.max } : {}),
  };
}

/** The check key of an expectation. */
export function expectationKind(e: Expectation): ExpectationKind {
  const kind = EXPECTATION_KINDS.find((k) => k in e);
  if (kind === undefined) throw new TypeError('expectation without a check key');
  return kind;
}

function runOne(t: Transcript, e: Expectation): CheckResult {
  if ('count' in e) {
    const { match, ...b } = e.count;
    const spec = bounds(b, { min: 1 });
    return match.kind === undefined ? checkFrames(t, match, spec) : checkRecords(t, match, spec);
  }
  if ('sequence' in e) return checkSequence(t, e.sequence);
  if ('answeredWithin' in e) {
    return checkAnsweredWithin(t, durationMs(e.answeredWithin.ms), e.answeredWithin.match ?? {});
  }
  if ('noUnmatched' in e) return checkNoUnmatched(t);
  if ('noFrameErrors' in e) return checkNoFrameErrors(t);
  if ('allRulesUsed' in e) return checkAllRulesUsed(t, e.allRulesUsed);
  if ('ruleUsed' in e) {
    const { rule, ...b } = e.ruleUsed;
    return checkRuleUsed(t, rule, bounds(b, { min: 1 }));
  }
  if ('noFindings' in e) return checkNoFindings(t, e.noFindings === true ? {} : e.noFindings);
  if ('findings' in e) return checkFindings(t, e.findings);
  return checkStatusReportFor(t, e.statusReportFor);
}

/** Runs every expectation against the transcript; `passed` when none failed. */
export function runExpectations(
  transcript: Transcript,
  doc: ExpectationsDocument | readonly Expectation[],
): ExpectationsResult {
  const list = 'expectations' in doc ? doc.expectations : doc;
  const failures: ExpectationFailure[] = [];
  list.forEach((expectation, index) => {
    const r = runOne(transcript, expectation);
    if (r.ok) return;
    failures.push({
      index,
      kind: expectationKind(expectation),
      expectation,
      message: r.message,
      nearest: r.nearest,
    });
  });
  return { passed: failures.length === 0, checked: list.length, failures };
}

/**
 * Failures as text for a terminal, one block each:
 * `✗ #2 count "three submits": expected exactly 3 frame(s) …` followed by the nearest records.
 */
export function formatFailures(result: ExpectationsResult): string {
  const blocks = result.failures.map((f) => {
    const name = f.expectation.name !== undefined ? ` ${JSON.stringify(f.expectation.name)}` : '';
    const near =
      f.nearest[0] !== undefined && !f.message.includes(summarize(f.nearest[0]))
        ? `\n  nearest:${f.nearest.map((r) => `\n    ${summarize(r)}`).join('')}`
        : '';
    return `✗ #${f.index + 1} ${f.kind}${name}: ${f.message.replaceAll('\n', '\n  ')}${near}`;
  });
  blocks.push(
    `${result.checked - result.failures.length} of ${result.checked} expectation(s) passed`,
  );
  return blocks.join('\n');
}
