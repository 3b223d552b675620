/**
 * A cheap guard against catastrophic backtracking in scenario regexes: a repeated group that
 * itself contains a repeated element (star height above one, as in `(a+)+`, `(\w*)*`, `(x+y){2,}`)
 * is rejected. This is a heuristic in the spirit of safe-regex: it may refuse some harmless
 * patterns and does not catch overlapping alternations such as `(a|a)*`.
 */

interface Quantifier {
  /** True when the quantifier can repeat its atom more than once. */
  readonly repeats: boolean;
  readonly length: number;
}

function quantifierAt(p: string, i: number): Quantifier | undefined {
  const c = p[i];
  let q: Quantifier | undefined;
  if (c === '*' || c === '+') q = { repeats: true, length: 1 };
  else if (c === '?') q = { repeats: false, length: 1 };
  else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i));
    if (m) {
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      q = { repeats: max > 1, length: m[0].length };
    }
  }
  if (q && p[i + q.length] === '?') q = { repeats: q.repeats, length: q.length + 1 };
  return q;
}

/**
 * Why `pattern` is considered unsafe, or undefined when it passes the nested-quantifier check.
 * Assumes the pattern already compiles.
 */
export function unsafeRegexReason(pattern: string): string | undefined {
  const groups: { repeatsInside: boolean }[] = [{ repeatsInside: false }];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    const top = groups[groups.length - 1];
    if (top === undefined) return undefined;
    if (c === '\\') {
      i += 2;
    } else if (c === '[') {
      i++;
      while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '(') {
      groups.push({ repeatsInside: false });
      i++;
    } else if (c === ')') {
      const group = groups.pop();
      const parent = groups[groups.length - 1];
      const q = quantifierAt(pattern, i + 1);
      if (group && q?.repeats && group.repeatsInside) {
        return 'a repeated group contains a repeated element (nested quantifiers can take exponential time)';
      }
      if (parent && group) parent.repeatsInside ||= group.repeatsInside || (q?.repeats ?? false);
      i += 1 + (q?.length ?? 0);
    } else {
      const q = quantifierAt(pattern, i);
      if (q) {
        top.repeatsInside ||= q.repeats;
        i += q.length;
      } else {
        i++;
      }
    }
  }
  return undefined;
}
