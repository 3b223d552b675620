/**
 * Value matchers for transcript queries and expectations, in the same shape as scenario
 * matchers: a plain value matches exactly; an object combines its keys with "and".
 */
import { opByName, opName } from '../protocol/operations.js';
import { compileLinearGlob, compileLinearRegex, type LinearPattern } from '../util/linear-regex.js';

/**
 * A plain string, number, boolean or null matches that value (a number and its decimal string
 * are the same value, so `errorCode: "300"` matches 300). An object is a {@link MatchSpec}.
 * Against a list (e.g. every 021 of a frame) a matcher matches when any element does.
 */
export type ValueMatcher = string | number | boolean | null | MatchSpec;

/** Conditions on one value; every key present must hold. */
export interface MatchSpec {
  readonly prefix?: string;
  readonly suffix?: string;
  /**
   * JavaScript regular expression (with the `u` flag), unanchored, run on the linear-time engine
   * of scenario regexes: no lookaround, no backreferences.
   */
  readonly regex?: string;
  /** `*` any run of characters, `?` one character; anchored at both ends. */
  readonly glob?: string;
  /** The value is one of these. */
  readonly in?: readonly (string | number)[];
  readonly min?: number;
  readonly max?: number;
  /** The inner matcher does not match (a missing value still never matches). */
  readonly not?: ValueMatcher;
  /** `true`: the value is present (any value); `false`: it is absent. */
  readonly exists?: boolean;
}

const patternCache = new Map<string, LinearPattern>();

function cached(key: string, make: () => LinearPattern): LinearPattern {
  let pattern = patternCache.get(key);
  if (pattern === undefined) {
    pattern = make();
    if (patternCache.size > 500) patternCache.clear();
    patternCache.set(key, pattern);
  }
  return pattern;
}

/**
 * `glob` (anchored at both ends) on the linear-time engine of scenario globs (cached).
 * @throws PatternError when it is over the engine's instruction limit.
 */
export function globOf(glob: string): LinearPattern {
  return cached(`g:${glob}`, () => compileLinearGlob(glob));
}

/**
 * `pattern` (JavaScript syntax, flag `u`, unanchored) on the linear-time engine of scenario
 * regexes (cached): matching takes time linear in the value, whatever the pattern, so an
 * expectations file cannot hang `assert`.
 * @throws SyntaxError (JavaScript's wording) when it does not compile; PatternError when the
 * engine cannot run it (lookaround, backreferences, over the instruction limit).
 */
export function regexOf(pattern: string): LinearPattern {
  return cached(`r:${pattern}`, () => {
    new RegExp(pattern, 'u'); // JavaScript's own syntax error and wording; runs nothing
    return compileLinearRegex(pattern);
  });
}

/** True for a {@link MatchSpec} (as opposed to a plain value). */
export function isMatchSpec(m: unknown): m is MatchSpec {
  return typeof m === 'object' && m !== null && !Array.isArray(m);
}

function samePlain(m: string | number | boolean | null, v: unknown): boolean {
  if (v === m) return true;
  if (typeof m === 'number' && typeof v === 'string') return v !== '' && Number(v) === m;
  if (typeof m === 'string' && typeof v === 'number') return m !== '' && Number(m) === v;
  return false;
}

function matchOne(m: ValueMatcher, v: unknown): boolean {
  if (!isMatchSpec(m)) return samePlain(m, v);
  if (m.exists !== undefined && !m.exists) return false;
  const s = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
  if (m.prefix !== undefined && !(s?.startsWith(m.prefix) ?? false)) return false;
  if (m.suffix !== undefined && !(s?.endsWith(m.suffix) ?? false)) return false;
  if (m.regex !== undefined && (s === undefined || !regexOf(m.regex).test(s))) return false;
  if (m.glob !== undefined && (s === undefined || !globOf(m.glob).test(s))) return false;
  if (m.in !== undefined && !m.in.some((x) => samePlain(x, v))) return false;
  const n = typeof v === 'number' ? v : s !== undefined && s !== '' ? Number(s) : NaN;
  if (m.min !== undefined && !(n >= m.min)) return false;
  if (m.max !== undefined && !(n <= m.max)) return false;
  if (m.not !== undefined && matchValue(m.not, v)) return false;
  return true;
}

/**
 * True when `value` satisfies `matcher`. An absent value (undefined) matches only
 * `{ exists: false }`; an array matches when any element does.
 */
export function matchValue(matcher: ValueMatcher, value: unknown): boolean {
  if (value === undefined) return isMatchSpec(matcher) && matcher.exists === false;
  if (Array.isArray(value)) return value.some((v) => matchOne(matcher, v));
  return matchOne(matcher, value);
}

function opOf(m: string | number | boolean | null): number | undefined {
  if (typeof m === 'number') return m;
  if (typeof m !== 'string') return undefined;
  return /^\d{1,2}$/.test(m) ? Number(m) : opByName(m);
}

/**
 * Matches an operation by name (`submit`, `status-report`), code (3, "03") or a spec: `in`
 * mixes names and codes; `prefix`/`suffix`/`regex`/`glob` test the name; `min`/`max` the code.
 */
export function matchOp(matcher: ValueMatcher, op: number | undefined): boolean {
  if (op === undefined) return isMatchSpec(matcher) && matcher.exists === false;
  if (!isMatchSpec(matcher)) return opOf(matcher) === op;
  if (matcher.exists !== undefined && !matcher.exists) return false;
  const name = opName(op);
  if (matcher.prefix !== undefined && !name.startsWith(matcher.prefix)) return false;
  if (matcher.suffix !== undefined && !name.endsWith(matcher.suffix)) return false;
  if (matcher.regex !== undefined && !regexOf(matcher.regex).test(name)) return false;
  if (matcher.glob !== undefined && !globOf(matcher.glob).test(name)) return false;
  if (matcher.in !== undefined && !matcher.in.some((x) => opOf(x) === op)) return false;
  if (matcher.min !== undefined && op < matcher.min) return false;
  if (matcher.max !== undefined && op > matcher.max) return false;
  if (matcher.not !== undefined && matchOp(matcher.not, op)) return false;
  return true;
}

/** Readable form of a matcher for messages: `"abc"`, `{prefix: "+99"}`. */
export function describeMatcher(m: ValueMatcher): string {
  if (!isMatchSpec(m)) return JSON.stringify(m);
  const parts = Object.entries(m).map(
    ([k, v]) =>
      `${k}: ${k === 'not' ? describeMatcher(v as ValueMatcher) : JSON.stringify(v as unknown)}`,
  );
  return `{${parts.join(', ')}}`;
}
