/**
 * Password redaction of a scenario's YAML text (for `GET /scenario` with `redactPasswords`):
 * every scalar under a `password` key (an account's password, a `when.password` matcher with
 * its `prefix`, `regex`, `in` … values) or a `"011"` key (`when.param: { "011": … }`) becomes
 * `"***"`, in place: keys, comments and line numbers stay as they were.
 */
import { createRequire } from 'node:module';
import type * as YamlModule from 'yaml';
import type { Node } from 'yaml';
import { REDACTED } from '../transcript/index.js';

const requireCjs = createRequire(import.meta.url);

const SECRET_KEYS = new Set(['password', '011']);

/** The text with every password value replaced by `"***"` (see the module comment). */
export function redactScenarioText(text: string): string {
  // Loaded on first use, not when the control API starts (start-up time).
  const { isAlias, isPair, isScalar, parseDocument, visit } = requireCjs(
    'yaml',
  ) as typeof YamlModule;
  const doc = parseDocument(text, { uniqueKeys: false });
  const ranges: [number, number][] = [];
  const redactNode = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    visit(node as Node, {
      Scalar(key, scalar) {
        if (key === 'key' || scalar.range === undefined || scalar.range === null) return;
        ranges.push([scalar.range[0], scalar.range[1]]);
      },
      Alias(_key, alias) {
        const target = alias.resolve(doc);
        if (isScalar(target) && target.range !== undefined && target.range !== null) {
          ranges.push([target.range[0], target.range[1]]);
        }
      },
    });
  };
  visit(doc, {
    Pair(_key, pair) {
      if (!isPair(pair)) return;
      const k = isScalar(pair.key) ? pair.key.value : undefined;
      if (typeof k !== 'string' && typeof k !== 'number') return;
      if (!SECRET_KEYS.has(String(k)) && !(typeof k === 'number' && k === 11)) return;
      if (isAlias(pair.value)) {
        const target = pair.value.resolve(doc);
        if (target !== undefined) redactNode(target);
      } else redactNode(pair.value);
    },
  });
  if (doc.errors.length > 0 && ranges.length === 0) return redactLines(text);
  // Right to left, so earlier offsets stay valid; overlapping ranges (aliases) once.
  ranges.sort((a, b) => b[0] - a[0]);
  let out = text;
  let floor = Infinity;
  for (const [start, end] of ranges) {
    if (end > floor) continue;
    out = `${out.slice(0, start)}"${REDACTED}"${out.slice(end)}`;
    floor = start;
  }
  return out;
}

/** Fallback for text that does not parse: the rest of each `password:` line. */
function redactLines(text: string): string {
  return text.replace(/(\bpassword["']?\s*:\s*)[^\n,}]*/g, `$1"${REDACTED}"`);
}
