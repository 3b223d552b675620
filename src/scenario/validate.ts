/**
 * Schema validation of scenario files: `schemas/scenario.schema.json` (JSON Schema 2020-12) is
 * compiled once with ajv, and every ajv error becomes a {@link ScenarioIssue} located at the
 * offending YAML node (at the key for unknown keys, at the parent mapping for missing keys), with
 * a message written for people rather than ajv's defaults.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { ScenarioIssue } from './issues.js';
import { fromPointer } from './source.js';
import type { DocPath, ScenarioSource } from './source.js';

/** Location of the scenario JSON Schema (works from `src/` under tsx and from `dist/`). */
export const scenarioSchemaUrl = new URL('../../schemas/scenario.schema.json', import.meta.url);

/** File path of the scenario JSON Schema. */
export const scenarioSchemaPath = fileURLToPath(scenarioSchemaUrl);

let validator: ValidateFunction | undefined;
const defNames = new Map<unknown, string>();

function getValidator(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(scenarioSchemaUrl, 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv2020({
      allErrors: true,
      allowUnionTypes: true,
      verbose: true,
      strict: true,
    });
    for (const [name, def] of Object.entries((schema['$defs'] ?? {}) as Record<string, unknown>)) {
      defNames.set(def, name);
    }
    validator = ajv.compile(schema);
  }
  return validator;
}

/** The parsed scenario JSON Schema (for tooling such as documentation generators). */
export function scenarioSchema(): Readonly<Record<string, unknown>> {
  return getValidator().schema as Record<string, unknown>;
}

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] ?? 0;
      row[j] = Math.min(cur + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] ?? 0;
}

/** ` (did you mean "x"?)` for the closest candidate within a small distance, else ``. */
export function suggestion(word: string, candidates: Iterable<string>): string {
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
    ? ` (did you mean "${best}"?)`
    : '';
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

function typeMessage(expected: unknown, value: unknown): string {
  const types = Array.isArray(expected) ? (expected as string[]) : [String(expected)];
  let msg = `must be ${types.map(article).join(' or ')}`;
  if (types.includes('string') && typeof value === 'number') {
    msg += ` (YAML read ${String(value)} as a number: put it in quotes)`;
  } else if (types.includes('integer') && typeof value === 'number') {
    msg += `, not ${String(value)}`;
  }
  return msg;
}

/** Which `$defs` entry an error comes from (needs ajv's `verbose` for `parentSchema`). */
function defName(error: ErrorObject): string | undefined {
  return defNames.get(error.parentSchema);
}

function patternMessage(error: ErrorObject): string {
  const value = JSON.stringify(error.data);
  switch (defName(error) ?? '') {
    case 'duration':
      return `invalid duration ${value}: use a number of milliseconds or a string such as 150ms, 1s, 2.5s, 1m, 1h`;
    case 'hex':
    case 'udhHex':
      return `invalid hex ${value}: use pairs of hex digits, e.g. 050003A70201`;
    case 'ruleId':
      return `invalid id ${value}: use letters, digits and _ . : -`;
    case 'paramCode':
      return `invalid parameter code ${value}: use three digits, e.g. "064"`;
    case 'timestamp':
      return `invalid time stamp ${value}: use 12 digits yymmddhhmmss`;
    default:
      if (error.schemaPath.endsWith('/dischargeTime/pattern')) {
        return `invalid discharge time ${value}: use 12 digits yymmddhhmmss or {{timestamp}}`;
      }
      return `must match ${String((error.params as { pattern?: string }).pattern)}`;
  }
}

function allowedKeys(error: ErrorObject): string[] {
  const parent = error.parentSchema as { properties?: Record<string, unknown> } | undefined;
  return Object.keys(parent?.properties ?? {});
}

function exactlyOneMessage(error: ErrorObject, path: DocPath): string | undefined {
  const keys = allowedKeys(error);
  const last = path.at(-2);
  const what =
    last === 'then' ? 'a step' : last === 'afterwards' ? 'an afterwards item' : undefined;
  if (what === undefined) return undefined;
  const present = Object.keys(error.data ?? {});
  if (error.keyword === 'minProperties') {
    return `${what} needs exactly one key: ${keys.join(', ')}`;
  }
  return `${what} has exactly one key, found ${present.length} (${present.join(', ')}): write each as its own list item`;
}

function issueFor(source: ScenarioSource, error: ErrorObject): ScenarioIssue | undefined {
  const path = fromPointer(error.instancePath, source.data);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      const keys = allowedKeys(error);
      const hint =
        suggestion(key, keys) || (keys.length > 0 ? ` (expected one of: ${keys.join(', ')})` : '');
      return source.issue([...path, key], `unknown key "${key}"${hint}`, {
        at: 'key',
        prefix: path,
      });
    }
    case 'required':
      return source.issue(path, `missing required key "${String(params['missingProperty'])}"`);
    case 'type':
      return source.issue(path, typeMessage(params['type'], error.data));
    case 'const':
      return source.issue(path, `must be ${JSON.stringify(params['allowedValue'])}`);
    case 'enum':
      return source.issue(
        path,
        `must be one of: ${(params['allowedValues'] as unknown[]).map(String).join(', ')}${suggestion(String(error.data), (params['allowedValues'] as unknown[]).map(String))}`,
      );
    case 'minimum': {
      const extra = path.at(-1) === 'times' ? ' (leave times out for no limit)' : '';
      return source.issue(path, `must be at least ${String(params['limit'])}${extra}`);
    }
    case 'maximum':
      return source.issue(path, `must be at most ${String(params['limit'])}`);
    case 'pattern':
      if (typeof error.propertyName === 'string') {
        return source.issue(
          [...path, error.propertyName],
          patternMessage({ ...error, data: error.propertyName }),
          { at: 'key', prefix: path },
        );
      }
      return source.issue(path, patternMessage(error));
    case 'propertyNames':
      return undefined;
    case 'minProperties':
    case 'maxProperties': {
      const one = exactlyOneMessage(error, path);
      if (one !== undefined) return source.issue(path, one);
      if (defName(error) === 'stringMatch' || defName(error) === 'numberMatch') {
        return source.issue(path, `empty matcher: give one of ${allowedKeys(error).join(', ')}`);
      }
      return source.issue(
        path,
        error.keyword === 'minProperties' ? 'must not be empty' : (error.message ?? 'invalid'),
      );
    }
    case 'minItems':
      return source.issue(
        path,
        path.at(-1) === 'then'
          ? 'needs at least one step: a terminal step such as respond'
          : 'must not be empty',
      );
    case 'minLength':
      return source.issue(path, 'must not be empty');
    case 'maxLength':
      return source.issue(path, `must be at most ${String(params['limit'])} characters`);
    default:
      return source.issue(path, error.message ?? `fails ${error.keyword}`);
  }
}

/** Validates a parsed source against the schema; empty when valid. Sorted by position. */
export function schemaIssues(source: ScenarioSource): ScenarioIssue[] {
  const validate = getValidator();
  if (validate(source.data ?? null)) return [];
  const seen = new Set<string>();
  const issues: ScenarioIssue[] = [];
  for (const error of validate.errors ?? []) {
    const issue = issueFor(source, error);
    if (!issue) continue;
    const key = `${issue.path}\0${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return sortIssues(issues);
}

/** Orders issues by line, then column. */
export function sortIssues(issues: ScenarioIssue[]): ScenarioIssue[] {
  return issues.sort((a, b) => a.line - b.line || a.col - b.col);
}
