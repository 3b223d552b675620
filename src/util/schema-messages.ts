/**
 * ajv (JSON Schema 2020-12) errors turned into issues people can act on: each is located at the
 * offending YAML node of a {@link YamlSource} (at the key for unknown keys, at the parent mapping
 * for missing keys) and worded for people rather than with ajv's defaults, with "did you mean"
 * hints for near misses. A schema-specific override can replace any message.
 */
import type { ErrorObject, Options } from 'ajv/dist/2020.js';
import { fromPointer, MAX_REPORTED_ISSUES, sortIssues } from './yaml-source.js';
import type { DocPath, SourceIssue, YamlSource } from './yaml-source.js';

/**
 * The ajv options these messages need: every error at once, and `verbose` so that errors carry
 * the offending `data` and their `parentSchema` (for allowed keys and `$defs` lookups).
 */
export const SCHEMA_AJV_OPTIONS = {
  allErrors: true,
  allowUnionTypes: true,
  verbose: true,
  strict: true,
} as const satisfies Options;

/**
 * A schema-specific message for an error (`path` is its instance path), or undefined for the
 * generic one. For a `pattern` error on a property name, `data` is that name.
 */
export type MessageOverride = (error: ErrorObject, path: DocPath) => string | undefined;

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of two adjacent UTF-16
 * units as one edit each (optimal string alignment), so `alvie` is one edit from `alive`.
 */
export function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(
        (prev[j] ?? 0) + 1,
        (cur[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (before[j - 2] ?? 0) + 1);
      }
      cur.push(d);
    }
    before = prev;
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/**
 * The closest candidate to `word` (ignoring case, first one on ties) when it is within
 * `max(1, floor(word.length / 3))` edits, else undefined.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(word.length / 3))
    ? best
    : undefined;
}

/** ` (did you mean "x"?)` for the {@link closest} candidate, else ``. */
export function suggestion(word: string, candidates: Iterable<string>): string {
  const best = closest(word, candidates);
  return best !== undefined ? ` (did you mean "${best}"?)` : '';
}

const article = (t: string): string =>
  ({
    string: 'a string',
    number: 'a number',
    integer: 'an integer',
    object: 'a mapping',
    array: 'a list',
    null: 'empty',
    boolean: 'true or false',
  })[t] ?? t;

/**
 * `must be a string or a number` for the JSON type(s) expected, in YAML words (`a mapping`,
 * `a list`); explains an unquoted number where a string was wanted and names a non-integer.
 */
export function typeMessage(expected: unknown, value: unknown): string {
  const types = Array.isArray(expected) ? (expected as string[]) : String(expected).split(',');
  let msg = `must be ${types.map(article).join(' or ')}`;
  if (types.includes('string') && typeof value === 'number') {
    msg += ` (YAML read ${String(value)} as a number: put it in quotes)`;
  } else if (types.includes('integer') && typeof value === 'number') {
    msg += `, not ${String(value)}`;
  }
  return msg;
}

/** The keys the failing subschema declares in `properties` (needs ajv's `verbose`). */
export function allowedKeys(error: ErrorObject): string[] {
  const parent = error.parentSchema as { properties?: Record<string, unknown> } | undefined;
  return Object.keys(parent?.properties ?? {});
}

/** The generic message of an error, without the path prefix. */
export function schemaMessage(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      const keys = allowedKeys(error);
      const hint =
        suggestion(key, keys) || (keys.length > 0 ? ` (expected one of: ${keys.join(', ')})` : '');
      return `unknown key "${key}"${hint}`;
    }
    case 'required':
      return `missing required key "${String(params['missingProperty'])}"`;
    case 'type':
      return typeMessage(params['type'], error.data);
    case 'const':
      return `must be ${JSON.stringify(params['allowedValue'])}`;
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map(String);
      return `must be one of: ${allowed.join(', ')}${suggestion(String(error.data), allowed)}`;
    }
    case 'minimum':
      return `must be at least ${String(params['limit'])}`;
    case 'maximum':
      return `must be at most ${String(params['limit'])}`;
    case 'pattern':
      return `${JSON.stringify(error.data)} must match ${String(params['pattern'])}`;
    case 'minProperties':
    case 'minItems':
    case 'minLength':
      return 'must not be empty';
    case 'maxLength':
      return `must be at most ${String(params['limit'])} characters`;
    default:
      return error.message ?? `fails ${error.keyword}`;
  }
}

/**
 * The issue of one ajv error, located in `source` and prefixed with the readable path; undefined
 * for `propertyNames` (its `pattern` sub-error says more). Unknown keys and bad property names
 * point at the key, prefixed with the mapping's path.
 */
export function schemaIssue(
  source: YamlSource,
  error: ErrorObject,
  override?: MessageOverride,
): SourceIssue | undefined {
  if (error.keyword === 'propertyNames') return undefined;
  const path = fromPointer(error.instancePath, source.data);
  let key: string | undefined;
  let e = error;
  if (error.keyword === 'additionalProperties') {
    key = String((error.params as Record<string, unknown>)['additionalProperty']);
  } else if (error.keyword === 'pattern' && typeof error.propertyName === 'string') {
    key = error.propertyName;
    e = { ...error, data: key };
  }
  const message = override?.(e, path) ?? schemaMessage(e);
  return key === undefined
    ? source.issue(path, message)
    : source.issue([...path, key], message, { at: 'key', prefix: path });
}

/** Drops undefined entries and repeats (same path and message), then sorts by position. */
export function distinctIssues(issues: Iterable<SourceIssue | undefined>): SourceIssue[] {
  const seen = new Set<string>();
  const out: SourceIssue[] = [];
  for (const issue of issues) {
    if (!issue) continue;
    const key = `${issue.path}\0${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(issue);
  }
  return sortIssues(out);
}

/**
 * The errors without the "missing required key" ones that a misspelt key in the same mapping
 * explains: `{ mach: … }` where `match` is required is one mistake, reported once, as the unknown
 * key with its "did you mean".
 */
export function withoutMisspeltRequired(errors: readonly ErrorObject[]): ErrorObject[] {
  const unknownKeys = new Map<string, string[]>();
  for (const e of errors) {
    if (e.keyword !== 'additionalProperties') continue;
    const key = String((e.params as Record<string, unknown>)['additionalProperty']);
    const list = unknownKeys.get(e.instancePath) ?? [];
    list.push(key);
    unknownKeys.set(e.instancePath, list);
  }
  if (unknownKeys.size === 0) return [...errors];
  return errors.filter((e) => {
    if (e.keyword !== 'required') return true;
    const missing = String((e.params as Record<string, unknown>)['missingProperty']);
    const keys = unknownKeys.get(e.instancePath) ?? [];
    return !keys.some((k) => closest(k, [missing]) !== undefined);
  });
}

/**
 * Every ajv error as a located issue: {@link schemaIssue} then {@link distinctIssues}. With many
 * errors (a flood of unknown keys) only the first ones by position are worded in full — a "did
 * you mean" costs an edit distance per key — and the rest, which the reported list only counts
 * (`capIssues`), are located and told apart cheaply: by offset, and by instance path, key and
 * keyword, with the keyword as message.
 */
export function schemaIssues(
  source: YamlSource,
  errors: readonly ErrorObject[],
  override?: MessageOverride,
): SourceIssue[] {
  const list = withoutMisspeltRequired(errors);
  if (list.length <= FULLY_WORDED) {
    return distinctIssues(list.map((e) => schemaIssue(source, e, override)));
  }
  const quick: { error: ErrorObject; offset: number; key: string | undefined }[] = [];
  const seen = new Set<string>();
  let parentPointer: string | undefined;
  let parentPath: DocPath = [];
  for (const error of list) {
    if (error.keyword === 'propertyNames') continue;
    const key = errorKey(error);
    const id = `${error.instancePath}\0${key ?? ''}\0${error.keyword}`;
    if (seen.has(id)) continue;
    seen.add(id);
    // Errors of one mapping come together: its path is read once.
    if (error.instancePath !== parentPointer) {
      parentPointer = error.instancePath;
      parentPath = fromPointer(error.instancePath, source.data);
    }
    const offset =
      key === undefined ? source.offset(parentPath) : source.offset([...parentPath, key], 'key');
    quick.push({ error, offset, key });
  }
  quick.sort((a, b) => a.offset - b.offset);
  const worded = distinctIssues(
    quick.slice(0, FULLY_WORDED).map((q) => schemaIssue(source, q.error, override)),
  );
  const counted = quick.slice(FULLY_WORDED).map(({ error, offset, key }) => ({
    file: source.file,
    ...source.linePos(offset),
    message: error.keyword,
    path:
      key === undefined
        ? error.instancePath
        : `${error.instancePath}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`,
  }));
  return [...worded, ...counted];
}

/** The key an error is about (an unknown key, a bad property name), else undefined. */
function errorKey(error: ErrorObject): string | undefined {
  if (error.keyword === 'additionalProperties') {
    return String((error.params as Record<string, unknown>)['additionalProperty']);
  }
  if (error.keyword === 'pattern' && typeof error.propertyName === 'string') {
    return error.propertyName;
  }
  return undefined;
}

/** How many schema errors (first by position) get their full wording. */
const FULLY_WORDED = 4 * MAX_REPORTED_ISSUES;

/** A mapping's unknown keys found without the validator ({@link splitUnknownKeys}). */
export interface UnknownKeyFlood {
  /** The mapping without its unknown keys, for the validator. */
  readonly known: Record<string, unknown>;
  /** Instance path of the mapping (JSON pointer). */
  readonly pointer: string;
  /**
   * `additionalProperties` errors (as ajv's `verbose` ones) for the first unknown keys by
   * position: as many as {@link schemaIssues} words in full.
   */
  readonly errors: ErrorObject[];
  /** The other unknown keys, by position; {@link floodIssues} locates and counts them. */
  readonly restKeys: readonly string[];
  /** The offsets of {@link UnknownKeyFlood.restKeys}. */
  readonly restOffsets: readonly number[];
  /** The error of one unknown key. */
  readonly error: (key: string) => ErrorObject;
}

/**
 * A flood of unknown keys in one mapping whose schema allows no other keys
 * (`additionalProperties: false` over `properties`), found by comparing the keys with
 * `properties` rather than by the validator with `allErrors`, which builds, copies and gathers an
 * error object per key. Undefined when the mapping has no more unknown keys than get their full
 * wording. The validator then checks {@link UnknownKeyFlood.known}, and {@link floodIssues} turns
 * its errors and the flood into issues.
 */
export function splitUnknownKeys(
  source: YamlSource,
  path: DocPath,
  pointer: string,
  data: Record<string, unknown>,
  schema: { readonly properties?: Record<string, unknown> },
): UnknownKeyFlood | undefined {
  const properties = schema.properties ?? {};
  let node: unknown = source.data;
  for (const seg of path) node = (node as Record<string | number, unknown> | undefined)?.[seg];
  // The mapping as parsed (`data` may be a copy with the same keys).
  const entries = typeof node === 'object' && node !== null ? source.entries(node) : undefined;
  let keys: string[] = [];
  let offsets: number[] = [];
  if (entries) {
    // The fast parser's keys come in the order of the text, with their offsets.
    for (let i = 0; i < entries.keys.length; i++) {
      const key = entries.keys[i] ?? '';
      if (Object.hasOwn(properties, key)) continue;
      keys.push(key);
      offsets.push(entries.offsets[2 * i] ?? 0);
    }
    if (keys.length <= FULLY_WORDED) return undefined;
  } else {
    for (const key of Object.keys(data)) if (!Object.hasOwn(properties, key)) keys.push(key);
    if (keys.length <= FULLY_WORDED) return undefined;
    // Keys come in the order of the text, except integer-like ones (JavaScript lists them first).
    const located = keys.map((key) => ({ key, offset: source.offset([...path, key], 'key') }));
    located.sort((a, b) => a.offset - b.offset);
    keys = located.map((l) => l.key);
    offsets = located.map((l) => l.offset);
  }
  const known: Record<string, unknown> = {};
  for (const key of Object.keys(properties)) {
    if (Object.hasOwn(data, key)) known[key] = data[key];
  }
  const error = (key: string): ErrorObject => ({
    keyword: 'additionalProperties',
    instancePath: pointer,
    schemaPath: '#/additionalProperties',
    params: { additionalProperty: key },
    message: 'must NOT have additional properties',
    schema: false,
    parentSchema: schema,
    data,
  });
  return {
    known,
    pointer,
    errors: keys.slice(0, FULLY_WORDED).map(error),
    restKeys: keys.slice(FULLY_WORDED),
    restOffsets: offsets.slice(FULLY_WORDED),
    error,
  };
}

/**
 * The validator's errors (for data whose floods of unknown keys were split off) with the floods'
 * errors, as {@link schemaIssues} would have them from the validator alone: a `required` error
 * that an unknown key of the same mapping misspells keeps that key's error beside it (so
 * {@link withoutMisspeltRequired} drops it). Returns the errors to word and the issues of the
 * remaining unknown keys, located and counted only, as {@link schemaIssues} counts.
 */
export function floodIssues(
  source: YamlSource,
  floods: readonly UnknownKeyFlood[],
  errors: readonly ErrorObject[],
): { errors: ErrorObject[]; counted: SourceIssue[] } {
  const all = [...errors];
  const counted: SourceIssue[] = [];
  const byPointer = new Map(floods.map((f) => [f.pointer, f]));
  const moved = new Set<string>();
  for (const e of errors) {
    const flood = e.keyword === 'required' ? byPointer.get(e.instancePath) : undefined;
    if (!flood) continue;
    const missing = String((e.params as Record<string, unknown>)['missingProperty']);
    for (const key of flood.restKeys) {
      if (closest(key, [missing]) !== undefined) moved.add(`${flood.pointer}\0${key}`);
    }
  }
  for (const flood of floods) {
    all.push(...flood.errors);
    const { restKeys, restOffsets, pointer } = flood;
    for (let i = 0; i < restKeys.length; i++) {
      const key = restKeys[i] ?? '';
      if (moved.size > 0 && moved.has(`${pointer}\0${key}`)) {
        all.push(flood.error(key));
        continue;
      }
      const { line, col } = source.linePos(restOffsets[i] ?? 0);
      const escaped =
        key.includes('~') || key.includes('/')
          ? key.replaceAll('~', '~0').replaceAll('/', '~1')
          : key;
      counted.push({
        file: source.file,
        line,
        col,
        message: 'additionalProperties',
        path: `${pointer}/${escaped}`,
      });
    }
  }
  return { errors: all, counted };
}
