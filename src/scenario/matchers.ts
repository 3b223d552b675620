/**
 * Request matchers of the `when` block. Each matcher tests one aspect of a request, explains
 * itself in plain words (`explain()`, for `cimd2-mock explain`), and says why a given request
 * passed or failed (`why()`, for unmatched-request reports). A matcher on a value the request
 * does not carry never matches, not even under `not`.
 */
import { getParam, paramKey } from '../protocol/frame.js';
import type { RequestContext } from '../server/ports.js';
import { formatDuration } from './durations.js';
import type { NumberMatchDoc, StringMatchDoc } from './document.js';
import { compileLinearGlob, compileLinearRegex } from './linear-regex.js';
import type { LinearPattern } from './linear-regex.js';

/** A compiled test on one string value. */
export interface StringTest {
  test(value: string): boolean;
  /** Positive phrase: `starts with "+99"`. */
  describe(): string;
  /** Negative phrase: `does not start with "+99"`. */
  describeNot(): string;
}

/** A compiled test on one number. */
export interface NumberTest {
  test(value: number): boolean;
  describe(): string;
  describeNot(): string;
}

const q = (s: string): string => JSON.stringify(s);

/** Quoted value for messages, shortened when long. */
export function showValue(s: string): string {
  return q(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}

function phrase(describe: string, describeNot: string, test: (v: string) => boolean): StringTest {
  return { test, describe: () => describe, describeNot: () => describeNot };
}

/**
 * The linear-time form of a scenario regex (RE2, see linear-regex.ts).
 * @throws PatternError when it does not compile or cannot run in linear time.
 */
export function compileRegex(pattern: string): LinearPattern {
  return compileLinearRegex(pattern);
}

function allOf(tests: StringTest[]): StringTest {
  if (tests.length === 1 && tests[0]) return tests[0];
  return {
    test: (v) => tests.every((t) => t.test(v)),
    describe: () => tests.map((t) => t.describe()).join(' and '),
    describeNot: () => `does not satisfy (${tests.map((t) => t.describe()).join(' and ')})`,
  };
}

/**
 * Compiles a string matcher. The document must already be valid (regexes and globs compile on
 * the linear-time engine); `normalize`
 * is applied to literal strings (e.g. uppercasing hex).
 */
export function compileStringMatch(
  doc: StringMatchDoc,
  normalize: (s: string) => string = (s) => s,
): StringTest {
  if (typeof doc === 'string') {
    const want = normalize(doc);
    return phrase(`is ${q(want)}`, `is not ${q(want)}`, (v) => v === want);
  }
  const tests: StringTest[] = [];
  if (doc.prefix !== undefined) {
    const p = normalize(doc.prefix);
    tests.push(
      phrase(`starts with ${q(p)}`, `does not start with ${q(p)}`, (v) => v.startsWith(p)),
    );
  }
  if (doc.suffix !== undefined) {
    const s = normalize(doc.suffix);
    tests.push(phrase(`ends with ${q(s)}`, `does not end with ${q(s)}`, (v) => v.endsWith(s)));
  }
  if (doc.regex !== undefined) {
    const re = compileRegex(doc.regex);
    tests.push(
      phrase(`matches /${doc.regex}/`, `does not match /${doc.regex}/`, (v) => re.test(v)),
    );
  }
  if (doc.glob !== undefined) {
    const re = compileLinearGlob(doc.glob);
    tests.push(
      phrase(`matches glob ${q(doc.glob)}`, `does not match glob ${q(doc.glob)}`, (v) =>
        re.test(v),
      ),
    );
  }
  if (doc.in !== undefined) {
    const set = new Set(doc.in.map(normalize));
    const list = [...set].map(q).join(', ');
    tests.push(phrase(`is one of ${list}`, `is not one of ${list}`, (v) => set.has(v)));
  }
  if (doc.not !== undefined) {
    const inner = compileStringMatch(doc.not, normalize);
    tests.push({
      test: (v) => !inner.test(v),
      describe: () => inner.describeNot(),
      describeNot: () => inner.describe(),
    });
  }
  return allOf(tests);
}

/** Compiles a number matcher (the document must already be valid). */
export function compileNumberMatch(doc: NumberMatchDoc): NumberTest {
  if (typeof doc === 'number') {
    return {
      test: (v) => v === doc,
      describe: () => `is ${doc}`,
      describeNot: () => `is not ${doc}`,
    };
  }
  const tests: NumberTest[] = [];
  if (doc.in !== undefined) {
    const set = new Set(doc.in);
    const list = [...set].join(', ');
    tests.push({
      test: (v) => set.has(v),
      describe: () => `is one of ${list}`,
      describeNot: () => `is not one of ${list}`,
    });
  }
  if (doc.min !== undefined) {
    const min = doc.min;
    tests.push({
      test: (v) => v >= min,
      describe: () => `is at least ${min}`,
      describeNot: () => `is less than ${min}`,
    });
  }
  if (doc.max !== undefined) {
    const max = doc.max;
    tests.push({
      test: (v) => v <= max,
      describe: () => `is at most ${max}`,
      describeNot: () => `is more than ${max}`,
    });
  }
  if (doc.not !== undefined) {
    const inner = compileNumberMatch(doc.not);
    tests.push({
      test: (v) => !inner.test(v),
      describe: () => inner.describeNot(),
      describeNot: () => inner.describe(),
    });
  }
  if (tests.length === 1 && tests[0]) return tests[0];
  return {
    test: (v) => tests.every((t) => t.test(v)),
    describe: () => tests.map((t) => t.describe()).join(' and '),
    describeNot: () => `does not satisfy (${tests.map((t) => t.describe()).join(' and ')})`,
  };
}

/** What matchers may ask the engine: counts of earlier requests for `rate`. */
export interface MatchEnv {
  /** Earlier requests of `op` in the window `(now - perMs, now]`, by session or by user. */
  countRecent(scope: 'session' | 'user', ctx: RequestContext, perMs: number): number;
}

/** One condition of a rule's `when` block. */
export interface Matcher {
  /** The `when` key it came from: `op`, `destination`, `param`, `rate`, … */
  readonly key: string;
  test(ctx: RequestContext, env: MatchEnv): boolean;
  /** Why this request passes or fails, e.g. `destination "+3584…" does not start with "+99"`. */
  why(ctx: RequestContext, env: MatchEnv): string;
  /** The condition in plain words, e.g. `destination starts with "+99"`. */
  explain(): string;
}

/** Reads the string values a matcher looks at; an empty array means "absent". */
export type StringField = (ctx: RequestContext) => readonly string[];

/** A matcher over one (or several, for repeated 021) string values of the request. */
export function stringFieldMatcher(
  key: string,
  label: string,
  read: StringField,
  t: StringTest,
): Matcher {
  // The last single value explained and its explanation: the test is pure, so a request with
  // the same value (every submit of a load, for `op`) gets the very same string back.
  let lastValue: string | undefined;
  let lastWhy = '';
  return {
    key,
    test: (ctx) => read(ctx).some((v) => t.test(v)),
    why(ctx) {
      const values = read(ctx);
      if (values.length === 0) return `${label} is absent`;
      if (values.length === 1 && values[0] === lastValue) return lastWhy;
      if (values.length === 1) {
        const v = values[0] ?? '';
        lastWhy = t.test(v)
          ? `${label} ${showValue(v)} ${t.describe()}`
          : `${label} ${showValue(v)} ${t.describeNot()}`;
        lastValue = v;
        return lastWhy;
      }
      const hit = values.find((v) => t.test(v));
      if (hit !== undefined) return `${label} ${showValue(hit)} ${t.describe()}`;
      if (values.length === 1) return `${label} ${showValue(values[0] ?? '')} ${t.describeNot()}`;
      return `none of ${label} ${values.map(showValue).join(', ')} ${t.describe()}`;
    },
    explain: () => `${label} ${t.describe()}`,
  };
}

/** A matcher over a number of the request. */
export function numberFieldMatcher(
  key: string,
  label: string,
  read: (ctx: RequestContext) => number | undefined,
  t: NumberTest,
): Matcher {
  return {
    key,
    test(ctx) {
      const v = read(ctx);
      return v !== undefined && t.test(v);
    },
    why(ctx) {
      const v = read(ctx);
      if (v === undefined) return `${label} is absent`;
      return `${label} ${v} ${t.test(v) ? t.describe() : t.describeNot()}`;
    },
    explain: () => `${label} ${t.describe()}`,
  };
}

const one = (v: string | undefined): readonly string[] => (v === undefined ? [] : [v]);

/** Readers of the string fields a `when` block can name (docs/protocol.md#parameters-of-each-operation, #parameters). */
export const STRING_FIELDS = {
  op: { label: 'op', read: (ctx: RequestContext) => [ctx.opName] },
  user: { label: 'user', read: (ctx: RequestContext) => one(ctx.fields.user ?? ctx.session.user) },
  password: { label: 'password', read: (ctx: RequestContext) => one(ctx.fields.password) },
  destination: {
    label: 'destination',
    read: (ctx: RequestContext) =>
      ctx.fields.destinations && ctx.fields.destinations.length > 0
        ? ctx.fields.destinations
        : one(ctx.fields.destination),
  },
  originator: { label: 'originator', read: (ctx: RequestContext) => one(ctx.fields.originator) },
  text: { label: 'text', read: (ctx: RequestContext) => one(ctx.fields.text) },
  encoding: { label: 'encoding', read: (ctx: RequestContext) => one(ctx.fields.encoding) },
  udh: { label: 'udh', read: (ctx: RequestContext) => one(ctx.fields.udh) },
  session: { label: 'session', read: (ctx: RequestContext) => [ctx.session.id] },
} as const satisfies Record<string, { label: string; read: StringField }>;

/** Readers of the number fields a `when` block can name. */
export const NUMBER_FIELDS = {
  dcs: { label: 'dcs', read: (ctx: RequestContext) => ctx.fields.dcs },
  parts: { label: 'parts', read: (ctx: RequestContext) => ctx.fields.parts },
} as const;

/** `param: { "064": … }`: the first value of a parameter by code. */
export function paramMatcher(code: number, t: StringTest): Matcher {
  return stringFieldMatcher(
    'param',
    `parameter ${paramKey(code)}`,
    (ctx) => one(getParam(ctx.frame, code)),
    t,
  );
}

/** The `rate` condition: true once `over` earlier requests of the same op fall in the window. */
export interface RateMatcher extends Matcher {
  readonly key: 'rate';
  readonly over: number;
  readonly perMs: number;
  readonly scope: 'session' | 'user';
}

/** Builds the `rate` matcher. */
export function rateMatcher(over: number, perMs: number, scope: 'session' | 'user'): RateMatcher {
  const where = (ctx: RequestContext): string =>
    scope === 'session'
      ? `in session ${ctx.session.id}`
      : `for user ${showValue(ctx.session.user ?? ctx.fields.user ?? '')}`;
  const window = formatDuration(perMs);
  return {
    key: 'rate',
    over,
    perMs,
    scope,
    test: (ctx, env) => env.countRecent(scope, ctx, perMs) >= over,
    why(ctx, env) {
      const n = env.countRecent(scope, ctx, perMs);
      return `rate: ${n} earlier ${ctx.opName} request${n === 1 ? '' : 's'} within ${window} ${where(ctx)} (${n >= over ? 'at least' : 'needs'} ${over})`;
    },
    explain: () =>
      `at least ${over} earlier request${over === 1 ? '' : 's'} of the same operation within ${window} (per ${scope})`,
  };
}
