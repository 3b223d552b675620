/**
 * Checks record selectors (the filters of `Transcript.filter`, `count`, `expectFrames`,
 * `waitFor` … and the `match` mappings of expectations files) before they are used, so that a
 * typo is an error rather than a filter that silently matches nothing or everything: unknown
 * keys, operations, record kinds, field names and matcher forms, and values of the wrong type.
 * The same check serves the library (it throws {@link SelectorError}) and the expectations
 * loader (which locates each issue at its YAML node).
 *
 * Over 500 lines on purpose: most of it is the tables of names a selector may use (frame fields,
 * every record kind's members, matcher forms and their usual misspellings), kept in one place.
 */
import { Cimd2MockError } from '../errors.js';
import { OPERATIONS, opByName, operationInfo } from '../protocol/operations.js';
import { STATUS_NAMES } from '../protocol/status-codes.js';
import type { TextEncoding } from '../protocol/user-data.js';
import { closest, suggestion } from '../util/schema-messages.js';
import { humanPath, type DocPath } from '../util/yaml-source.js';
import {
  globOf,
  matchOp,
  matchValue,
  regexOf,
  type MatchSpec,
  type ValueMatcher,
} from './matcher.js';
import { RECORD_KINDS, type RecordKind } from './record.js';

/**
 * One mistake in a selector. `path` is relative to the selector; with `key` the issue is about
 * that key of the mapping at `path` (an unknown or misspelt key), else about the value at `path`.
 */
export interface SelectorIssue {
  readonly path: DocPath;
  readonly key?: string;
  readonly message: string;
}

/** How a selector is read. */
export interface SelectorCheckOptions {
  /**
   * The record kind a selector without `kind` selects (`frame` for `expectFrames`,
   * `expectSequence`, `frames()` and the expectations file's `count`/`sequence`); absent: any.
   */
  readonly defaultKind?: RecordKind;
  /** Where the selector sits, for messages (default `["selector"]`; e.g. `["steps", 2]`). */
  readonly root?: DocPath;
}

/** A selector (filter) that names something unknown or has a value of the wrong type. */
export class SelectorError extends Cimd2MockError {
  override readonly name = 'SelectorError';
  readonly code = 'ERR_TRANSCRIPT_SELECTOR';
  /** One line per mistake, e.g. `selector.op: unknown operation "sumbit" (did you mean "submit"?)`. */
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(issues.join('\n'));
    this.issues = issues;
  }
}

/** The keys of a record filter, in documentation order. */
export const SELECTOR_KEYS = [
  'kind',
  'op',
  'dir',
  'session',
  'pn',
  'rule',
  'fields',
  'params',
] as const;

/** The keys of a matcher mapping, in documentation order. */
export const MATCHER_KEYS = [
  'prefix',
  'suffix',
  'regex',
  'glob',
  'in',
  'min',
  'max',
  'not',
  'exists',
] as const;

/** Decoded fields of a frame record (`fields` of `schemas/transcript.schema.json`). */
export const FRAME_FIELD_NAMES: readonly string[] = Object.freeze([
  'user',
  'destination',
  'destinations',
  'originator',
  'text',
  'binary',
  'encoding',
  'dcs',
  'udh',
  'parts',
  'part',
  'reference',
  'userDataError',
  'timestamp',
  'dischargeTime',
  'statusCode',
  'statusName',
  'statusErrorCode',
  'errorCode',
  'errorText',
]);

const BASE = ['seq', 'ts', 'kind'];
const SESSION = [...BASE, 'session'];

/**
 * The members `fields` reads on records other than frames (they have no `fields`; their own
 * members are used), by kind (`schemas/transcript.schema.json`).
 */
export const RECORD_MEMBERS: Readonly<Record<Exclude<RecordKind, 'frame'>, readonly string[]>> =
  Object.freeze({
    'server-start': [...BASE, 'host', 'port', 'scenario', 'version', 'runId'],
    fault: [
      ...SESSION,
      'fault',
      'phase',
      'pn',
      'op',
      'opName',
      'baseMs',
      'jitterMs',
      'bytesPerSecond',
      'mode',
      'forMs',
      'closeSessions',
      'remote',
    ],
    'server-stop': [...BASE, 'reason', 'counts'],
    'session-open': [...SESSION, 'remote'],
    'session-close': [...SESSION, 'code', 'reason'],
    'frame-error': [
      ...SESSION,
      'dir',
      'error',
      'message',
      'cimdErrorCode',
      'op',
      'opName',
      'pn',
      'raw',
      'answer',
    ],
    decision: [...SESSION, 'pn', 'op', 'opName', 'rule', 'explanation', 'actions', 'afterwards'],
    unmatched: [...SESSION, 'pn', 'op', 'opName', 'explanation'],
    scheduled: [...SESSION, 'id', 'action', 'at'],
    fired: [...SESSION, 'id', 'action', 'at', 'packetNumbers', 'cancelled'],
    assembled: [
      ...SESSION,
      'user',
      'destination',
      'originator',
      'text',
      'binary',
      'encoding',
      'parts',
      'reference',
      'packetNumbers',
      'timestamps',
    ],
    'multipart-expired': [
      ...SESSION,
      'destination',
      'originator',
      'reference',
      'total',
      'received',
    ],
    'ack-timeout': [...SESSION, 'op', 'opName', 'pn', 'attempts'],
    'unexpected-response': [...SESSION, 'op', 'opName', 'pn'],
    finding: [...SESSION, 'check', 'severity', 'message', 'frameSeq'],
    'scenario-loaded': [...BASE, 'file', 'source', 'name', 'rules'],
    'scenario-rejected': [...BASE, 'file', 'source', 'issues'],
    reset: [...BASE, 'epoch', 'sessions', 'cancelled'],
  });

/** The names `fields` may use for records of one kind. */
export function fieldNamesOf(kind: RecordKind): readonly string[] {
  return kind === 'frame' ? FRAME_FIELD_NAMES : RECORD_MEMBERS[kind];
}

const OP_NAMES = OPERATIONS.map((o) => o.name);
const STATUS_NAME_LIST: readonly string[] = Object.values(STATUS_NAMES);

/** Matcher keys people reach for that do not exist here, and what to write instead. */
const MATCHER_ALIASES: Readonly<Record<string, (value: unknown) => string>> = {
  startsWith: () => 'use "prefix"',
  endsWith: () => 'use "suffix"',
  contains: (v) =>
    typeof v === 'string' ? `use { glob: ${JSON.stringify(`*${v}*`)} } or "regex"` : 'use "regex"',
  includes: (v) => MATCHER_ALIASES['contains']?.(v) ?? '',
  pattern: () => 'use "regex"',
  regexp: () => 'use "regex"',
  matches: () => 'use "regex"',
  equals: () => 'write the plain value',
  eq: () => 'write the plain value',
  oneOf: () => 'use "in"',
  anyOf: () => 'use "in"',
  gte: () => 'use "min"',
  lte: () => 'use "max"',
  present: () => 'use "exists"',
};

const q = (s: string): string => JSON.stringify(s);

/** ` (did you mean "x"?)`, else ` (known: a, b, …)`. */
function hint(word: string, known: readonly string[]): string {
  return suggestion(word, known) || ` (known: ${known.join(', ')})`;
}

/** `a string`, `a number`, `a list` … for messages. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof RegExp) return 'a RegExp';
  if (typeof value === 'object') return isPlain(value) ? 'a mapping' : 'an object';
  if (typeof value === 'string') return `the string ${q(value)}`;
  return typeof value === 'number' || typeof value === 'boolean'
    ? `${typeof value} ${String(value)}`
    : typeof value;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Own enumerable entries, skipping keys whose value is undefined (absent, as in the query). */
function present(o: object): [string, unknown][] {
  return Object.entries(o).filter(([, v]) => v !== undefined);
}

/** Names a field's value must be one of (checked for plain strings and `in` lists). */
interface NameDomain {
  readonly what: string;
  readonly names: readonly string[];
}

/** What plain values of a matcher must name: anything, an operation, a record kind, or a name. */
type Domain = 'value' | 'op' | 'kind' | NameDomain;

const ENCODINGS: Record<TextEncoding, true> = {
  gsm7: true,
  binary: true,
  ucs2: true,
  'iso-8859-1': true,
  'iso-8859-5': true,
  'iso-8859-8': true,
  'wap-push': true,
};

/** Fields whose values come from a fixed list, so a misspelt value is a mistake too. */
const FIELD_DOMAINS: Readonly<Record<string, Domain>> = {
  statusName: { what: 'status', names: STATUS_NAME_LIST },
  encoding: { what: 'encoding', names: Object.keys(ENCODINGS) },
  opName: 'op',
};

class Checker {
  readonly issues: SelectorIssue[] = [];

  add(path: DocPath, message: string, key?: string): void {
    this.issues.push(key === undefined ? { path, message } : { path, key, message });
  }

  selector(value: unknown, defaultKind: RecordKind | undefined): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !isPlain(value)) {
      this.add([], `must be a filter mapping (e.g. { op: "submit" }), not ${describe(value)}`);
      return;
    }
    const entries = present(value);
    for (const [key] of entries) {
      if (!(SELECTOR_KEYS as readonly string[]).includes(key)) {
        this.add([], `unknown key ${q(key)}${hint(key, SELECTOR_KEYS)}`, key);
      }
    }
    const get = (k: string): unknown => (value as Record<string, unknown>)[k];
    let kinds: readonly RecordKind[] | undefined = defaultKind ? [defaultKind] : undefined;
    const kind = get('kind');
    if (kind !== undefined) {
      const before = this.issues.length;
      this.matcher(kind, ['kind'], 'kind');
      kinds = this.issues.length === before ? kindsOf(kind) : undefined;
    }
    const op = get('op');
    if (op !== undefined) this.matcher(op, ['op'], 'op');
    const dir = get('dir');
    if (dir !== undefined && dir !== 'in' && dir !== 'out') {
      const s = typeof dir === 'string' ? suggestion(dir, ['in', 'out']) : '';
      this.add(['dir'], `must be one of: in, out${s}`);
    }
    for (const k of ['session', 'pn', 'rule']) {
      const v = get(k);
      if (v !== undefined) this.matcher(v, [k], 'value');
    }
    const fields = get('fields');
    if (fields !== undefined) this.fields(fields, kinds);
    const params = get('params');
    if (params !== undefined) this.params(params);
  }

  private mapping(value: unknown, path: DocPath, what: string): value is object {
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && isPlain(value)) {
      return true;
    }
    this.add(path, `must be a mapping of ${what} to matchers, not ${describe(value)}`);
    return false;
  }

  private fields(value: unknown, kinds: readonly RecordKind[] | undefined): void {
    if (!this.mapping(value, ['fields'], 'field names')) return;
    const known = [...new Set((kinds ?? RECORD_KINDS).flatMap(fieldNamesOf))];
    const frameOnly = kinds?.length === 1 && kinds[0] === 'frame';
    for (const [name, m] of Object.entries(value)) {
      if (!known.includes(name)) {
        const what =
          kinds === undefined
            ? 'field'
            : frameOnly
              ? 'frame field'
              : `field (for kind ${kinds.join(', ')})`;
        this.add(['fields'], `unknown ${what} ${q(name)}${hint(name, known)}`, name);
      }
      this.matcher(m, ['fields', name], FIELD_DOMAINS[name] ?? 'value');
    }
  }

  private params(value: unknown): void {
    if (!this.mapping(value, ['params'], 'parameter codes')) return;
    for (const [code, m] of Object.entries(value)) {
      if (!/^\d{3}$/.test(code)) {
        this.add(
          ['params'],
          `invalid parameter code ${q(code)}: use three digits, e.g. "064"`,
          code,
        );
      }
      this.matcher(m, ['params', code], 'value');
    }
  }

  /** A plain value or a matcher mapping; `domain` says what plain values must name. */
  matcher(m: unknown, path: DocPath, domain: Domain): void {
    if (m === undefined) {
      this.add(path, 'is undefined: give a value or a matcher such as { exists: false }');
      return;
    }
    if (typeof m !== 'object' || m === null) {
      this.plain(m, path, domain);
      return;
    }
    if (m instanceof RegExp) {
      this.add(path, `a RegExp is not a matcher: write { regex: ${q(m.source)} }`);
      return;
    }
    if (Array.isArray(m) || !isPlain(m)) {
      this.add(
        path,
        `must be a value or a matcher mapping with ${MATCHER_KEYS.join(', ')}` +
          (Array.isArray(m) ? '' : ` (got ${describe(m)})`),
      );
      return;
    }
    const entries = present(m);
    if (entries.length === 0) {
      this.add(path, 'empty matcher: write { exists: true } to match any value');
      return;
    }
    const before = this.issues.length;
    for (const [key, v] of entries) this.matcherKey(key, v, path, domain);
    if (this.issues.length > before || domain === 'value') return;
    // Every part is well-formed; a name pattern that fits no operation (or kind) is a typo too.
    const spec = m as MatchSpec;
    const fits =
      domain === 'op'
        ? OPERATIONS.some((o) => matchOp(spec, o.code)) || matchOp(spec, undefined)
        : (domain === 'kind' ? RECORD_KINDS : domain.names).some((k) => matchValue(spec, k)) ||
          matchValue(spec, undefined);
    if (!fits) {
      const what = domain === 'op' ? 'operation' : domain === 'kind' ? 'record kind' : domain.what;
      this.add(path, `matches no ${what}`);
    }
  }

  private matcherKey(key: string, v: unknown, path: DocPath, domain: Domain): void {
    const at = [...path, key];
    switch (key) {
      case 'prefix':
      case 'suffix':
        if (typeof v !== 'string') this.add(at, `must be a string, not ${describe(v)}`);
        return;
      case 'glob':
        if (typeof v !== 'string') this.add(at, `must be a string, not ${describe(v)}`);
        else {
          try {
            globOf(v);
          } catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            this.add(at, `invalid glob: ${reason}`);
          }
        }
        return;
      case 'regex':
        if (typeof v !== 'string') this.add(at, `must be a string, not ${describe(v)}`);
        else {
          try {
            regexOf(v);
          } catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            this.add(at, `invalid regular expression: ${reason}`);
          }
        }
        return;
      case 'in':
        if (!Array.isArray(v)) {
          this.add(at, `must be a list of values, not ${describe(v)}`);
          return;
        }
        v.forEach((x: unknown, i) => {
          if (typeof x === 'string' || typeof x === 'number') this.plain(x, [...at, i], domain);
          else this.add([...at, i], `must be a string or a number, not ${describe(x)}`);
        });
        return;
      case 'min':
      case 'max':
        if (typeof v !== 'number' || Number.isNaN(v)) {
          this.add(
            at,
            `must be a number, not ${describe(v)}` +
              (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))
                ? ' (remove the quotes)'
                : ''),
          );
        }
        return;
      case 'not':
        this.matcher(v, at, domain);
        return;
      case 'exists':
        if (typeof v !== 'boolean') this.add(at, `must be true or false, not ${describe(v)}`);
        return;
      default: {
        const direct = suggestion(key, MATCHER_KEYS);
        const aliasName = direct ? undefined : closest(key, Object.keys(MATCHER_ALIASES));
        const instead = aliasName === undefined ? undefined : MATCHER_ALIASES[aliasName]?.(v);
        const h =
          direct ||
          (instead === undefined
            ? ` (known: ${MATCHER_KEYS.join(', ')})`
            : aliasName === key
              ? ` (${instead})`
              : ` (for ${q(aliasName ?? key)} ${instead})`);
        this.add(path, `unknown matcher ${q(key)}${h}`, key);
      }
    }
  }

  private plain(v: unknown, path: DocPath, domain: Domain): void {
    if (domain === 'value') {
      if (!['string', 'number', 'boolean'].includes(typeof v) && v !== null) {
        this.add(path, `must be a value or a matcher mapping, not ${describe(v)}`);
      }
      return;
    }
    if (domain === 'kind') {
      if (typeof v !== 'string') {
        this.add(path, `must be a record kind such as "frame", not ${describe(v)}`);
      } else if (!(RECORD_KINDS as readonly string[]).includes(v)) {
        this.add(path, `unknown record kind ${q(v)}${hint(v, RECORD_KINDS)}`);
      }
      return;
    }
    if (domain === 'op') {
      const message = opProblem(v);
      if (message !== undefined) this.add(path, message);
      return;
    }
    if (typeof v !== 'string') {
      this.add(
        path,
        `must be a ${domain.what} name (${domain.names.join(', ')}), not ${describe(v)}`,
      );
    } else if (!domain.names.includes(v)) {
      this.add(path, `unknown ${domain.what} ${q(v)}${hint(v, domain.names)}`);
    }
  }
}

function opProblem(v: unknown): string | undefined {
  if (typeof v === 'number' || (typeof v === 'string' && /^\d{1,2}$/.test(v))) {
    const code = Number(v);
    if (Number.isInteger(code) && operationInfo(code) !== undefined) return undefined;
    const nn = Number.isInteger(code) && code >= 0 && code <= 99;
    return (
      `unknown operation code ${String(v)}` +
      (nn ? ` (outside the operation table: write "op-${String(code).padStart(2, '0')}")` : '')
    );
  }
  if (typeof v !== 'string') {
    return `must be an operation name or code such as "submit" or 3, not ${describe(v)}`;
  }
  if (opByName(v) !== undefined) return undefined;
  return `unknown operation ${q(v)}${hint(v, OP_NAMES)}`;
}

function kindsOf(m: unknown): RecordKind[] | undefined {
  const kinds = RECORD_KINDS.filter((k) => matchValue(m as ValueMatcher, k));
  return kinds.length > 0 ? kinds : undefined;
}

/** The mistakes in a selector (a predicate function has none). */
export function selectorIssues(
  selector: unknown,
  options: SelectorCheckOptions = {},
): SelectorIssue[] {
  if (typeof selector === 'function') return [];
  const c = new Checker();
  c.selector(selector, options.defaultKind);
  return c.issues;
}

/** The mistakes in one value matcher (e.g. `statusReportFor`'s `destination`). */
export function matcherIssues(matcher: unknown): SelectorIssue[] {
  const c = new Checker();
  c.matcher(matcher, [], 'value');
  return c.issues;
}

/** The mistakes in an operation given by name or code (`Transcript.requests`). */
export function opIssues(op: unknown): SelectorIssue[] {
  const message = opProblem(op);
  return message === undefined ? [] : [{ path: [], message }];
}

/** The mistakes in a status given by code (0–9) or name (`delivered`). */
export function statusIssues(status: unknown): SelectorIssue[] {
  if (typeof status === 'number') {
    return Number.isInteger(status) && status >= 0 && status <= 9
      ? []
      : [{ path: [], message: `must be a status code 0-9, not ${String(status)}` }];
  }
  if (typeof status === 'string') {
    return STATUS_NAME_LIST.includes(status)
      ? []
      : [{ path: [], message: `unknown status ${q(status)}${hint(status, STATUS_NAME_LIST)}` }];
  }
  return [
    { path: [], message: `must be a status code 0-9 or a status name, not ${describe(status)}` },
  ];
}

/** One issue as a line: `selector.fields: unknown field "destinaton" (did you mean …)`. */
export function formatSelectorIssue(issue: SelectorIssue, root: DocPath = ['selector']): string {
  return `${humanPath([...root, ...issue.path])}: ${issue.message}`;
}

/**
 * The mistakes in a selector as lines naming their path (`selector.op: unknown operation
 * "sumbit" (did you mean "submit"?)`); empty when it is valid or a predicate.
 */
export function validateSelector(selector: unknown, options: SelectorCheckOptions = {}): string[] {
  return selectorIssues(selector, options).map((i) => formatSelectorIssue(i, options.root));
}

/** Throws a {@link SelectorError} listing every mistake unless the selector is valid. */
export function assertValidSelector(selector: unknown, options: SelectorCheckOptions = {}): void {
  throwIf(selectorIssues(selector, options), options.root);
}

/** Throws a {@link SelectorError} for these issues, if any. */
export function throwIf(issues: readonly SelectorIssue[], root: DocPath = ['selector']): void {
  if (issues.length > 0) throw new SelectorError(issues.map((i) => formatSelectorIssue(i, root)));
}
