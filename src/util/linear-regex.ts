/**
 * Scenario regexes and globs, and those of transcript matchers, run on RE2 (the `re2js` port): its
 * matching time is linear in the input for every pattern, so no rule can freeze the event loop,
 * whatever it says. The price is
 * RE2's syntax: no lookaround and no backreferences. Patterns are written in JavaScript syntax
 * (flag `u`); each must pass JavaScript's own syntax check (so the wording of plain syntax errors
 * stays the familiar one), must not use what RE2 cannot run, must compile on RE2 (not nested
 * too deeply, repeat counts at most 1000) and must stay under {@link MAX_PATTERN_PROGRAM}
 * instructions, which bounds the constant of the linear time. Every refusal is a load error;
 * nothing here throws at match time.
 */
import { RE2JS } from 're2js';

/** The matching engine of scenario regexes and globs (for tests and `explain`). */
export const PATTERN_ENGINE = 're2js';

/**
 * Largest compiled RE2 program accepted, in instructions. Real matchers need tens; the limit keeps
 * the worst case (RE2 falling back from its DFA to its NFA on a 4 KB value) in the low
 * milliseconds per pattern.
 */
export const MAX_PATTERN_PROGRAM = 1000;

/**
 * Instructions of all the regexes and globs of one scenario together. A request may be matched
 * against every pattern (the near-miss explanation of an unmatched request tries them all), so
 * this bounds the matching work per request: about 10 ms for a 4 KB value on a small machine.
 */
export const MAX_SCENARIO_PROGRAM = 20_000;

/** A compiled regex or glob; `test` is linear in the length of the value and never throws. */
export interface LinearPattern {
  readonly engine: typeof PATTERN_ENGINE;
  /** Instructions of the compiled program: the cost of a match per character of the value. */
  readonly size: number;
  test(value: string): boolean;
}

/** Why a regex or glob cannot be used; the message is the reason only (no pattern). */
export class PatternError extends Error {
  override readonly name = 'PatternError';
  /** `invalid` for a JavaScript syntax error, `unsupported` for what RE2 cannot run. */
  readonly kind: 'invalid' | 'unsupported';
  constructor(kind: 'invalid' | 'unsupported', message: string) {
    super(message);
    this.kind = kind;
  }
}

const LINEAR = '(linear-time engine)';

/** The first construct of a (syntactically valid, `u`) JavaScript regex that RE2 cannot run. */
function unsupportedConstruct(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && /[1-9]/.test(next)) return 'backreferences are not supported';
      if (!inClass && next === 'k') return 'named backreferences are not supported';
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '(' && pattern[i + 1] === '?') {
      const ahead = pattern.slice(i + 2, i + 4);
      if (ahead.startsWith('=') || ahead.startsWith('!')) return 'lookahead is not supported';
      if (ahead === '<=' || ahead === '<!') return 'lookbehind is not supported';
    }
  }
  return undefined;
}

// Each pattern is compiled when the scenario is checked and again when its matcher is built.
const compiled = new Map<string, LinearPattern>();
const MAX_CACHED = 10_000;

function compileRe2(source: string, flags: number): LinearPattern {
  const key = `${flags}/${source}`;
  const hit = compiled.get(key);
  if (hit) return hit;
  if (compiled.size >= MAX_CACHED) compiled.clear();
  let re: RE2JS;
  try {
    re = RE2JS.compile(source, flags);
  } catch (error) {
    // RE2's own refusals (nesting depth, repeat counts, size) or a stack overflow in its parser.
    const why =
      error instanceof RangeError
        ? 'expression nests too deeply'
        : error instanceof Error
          ? error.message.replace(/^error parsing regexp: /, '')
          : String(error);
    throw new PatternError('unsupported', `${why} ${LINEAR}`);
  }
  const size = re.programSize();
  if (size > MAX_PATTERN_PROGRAM) {
    throw new PatternError(
      'unsupported',
      `too large: ${size} instructions, over the limit of ${MAX_PATTERN_PROGRAM} ${LINEAR}`,
    );
  }
  const pattern: LinearPattern = {
    engine: PATTERN_ENGINE,
    size,
    test: (value) => re.test(value),
  };
  compiled.set(key, pattern);
  return pattern;
}

/**
 * Compiles a scenario regex (JavaScript syntax, flag `u`, unanchored) to a linear-time matcher.
 * @throws PatternError when it does not compile or cannot run in linear time.
 */
export function compileLinearRegex(pattern: string): LinearPattern {
  try {
    // Syntax only: V8 compiles lazily, so this runs nothing and cannot backtrack.
    new RegExp(pattern, 'u');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PatternError('invalid', message.split(': ').at(-1) ?? message);
  }
  const unsupported = unsupportedConstruct(pattern);
  if (unsupported !== undefined) throw new PatternError('unsupported', `${unsupported} ${LINEAR}`);
  return compileRe2(RE2JS.translateRegExp(pattern), 0);
}

/**
 * Compiles a glob (`*` any run of characters, `?` one character, the rest literal) that must
 * match the whole value, to a linear-time matcher.
 * @throws PatternError when the glob is too large.
 */
export function compileLinearGlob(glob: string): LinearPattern {
  let source = '';
  let literal = '';
  const flush = (): void => {
    if (literal !== '') source += RE2JS.quote(literal);
    literal = '';
  };
  for (const ch of glob) {
    if (ch === '*' || ch === '?') {
      flush();
      // Runs of `*` are one `*`: same language, smaller program.
      if (ch === '?') source += '.';
      else if (!source.endsWith('.*')) source += '.*';
    } else literal += ch;
  }
  flush();
  return compileRe2(`^${source}$`, RE2JS.DOTALL);
}

/** The {@link PatternError} that `compile` throws, or undefined when it compiles. */
export function patternProblem(compile: () => unknown): PatternError | undefined {
  try {
    compile();
    return undefined;
  } catch (error) {
    if (error instanceof PatternError) return error;
    throw error;
  }
}
