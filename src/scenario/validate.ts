/**
 * Schema validation of scenario files: `schemas/scenario.schema.json` (JSON Schema 2020-12) is
 * compiled once with ajv, and every ajv error becomes a {@link ScenarioIssue} located at the
 * offending YAML node (at the key for unknown keys, at the parent mapping for missing keys), with
 * a message written for people rather than ajv's defaults.
 *
 * ajv is loaded and the schema compiled on the first validation, not at import: together they
 * are most of a start-up with the built-in scenario, which does not need them (see load.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as AjvModule from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import {
  allowedKeys,
  floodIssues,
  schemaIssues as locateSchemaErrors,
  SCHEMA_AJV_OPTIONS,
  splitUnknownKeys,
} from '../util/schema-messages.js';
import type { SourceIssue } from '../util/yaml-source.js';
import type { ScenarioIssue } from './issues.js';
import type { DocPath, ScenarioSource } from './source.js';

/** Re-exported for the compiler's "did you mean" hints. */
export { suggestion } from '../util/schema-messages.js';

/** Location of the scenario JSON Schema (works from `src/` under tsx and from `dist/`). */
export const scenarioSchemaUrl = new URL('../../schemas/scenario.schema.json', import.meta.url);

/** File path of the scenario JSON Schema. */
export const scenarioSchemaPath = fileURLToPath(scenarioSchemaUrl);

let validator: ValidateFunction | undefined;
/** Validators of the items of the top-level lists, by key (`rules` → `$defs/rule`). */
const itemValidators = new Map<string, ValidateFunction>();
const defNames = new Map<unknown, string>();

const requireCjs = createRequire(import.meta.url);

// The shipped schema is meta-validated by its tests, not on every compile (a third of the time).
const SCENARIO_AJV_OPTIONS = { ...SCHEMA_AJV_OPTIONS, validateSchema: false } as const;

function getValidator(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(scenarioSchemaUrl, 'utf8')) as Record<string, unknown>;
    const { Ajv2020 } = requireCjs('ajv/dist/2020.js') as typeof AjvModule;
    const ajv = new Ajv2020(SCENARIO_AJV_OPTIONS);
    for (const [name, def] of Object.entries((schema['$defs'] ?? {}) as Record<string, unknown>)) {
      defNames.set(def, name);
    }
    validator = ajv.compile(schema);
    const properties = (schema['properties'] ?? {}) as Record<
      string,
      { items?: { $ref?: string } }
    >;
    for (const [key, property] of Object.entries(properties)) {
      const ref = property.items?.$ref;
      const item = ref?.startsWith('#/')
        ? ajv.getSchema(`${String(schema['$id'])}${ref}`)
        : undefined;
      if (item) itemValidators.set(key, item);
    }
  }
  return validator;
}

/**
 * The schema's errors for a document. The items of the top-level lists (`rules`, `accounts`,
 * `schedule`) are validated one by one: ajv gathers the errors of a referenced schema by copying
 * every error so far (`concat`), so one pass over thousands of invalid rules would take time
 * quadratic in their number. A flood of unknown top-level keys is found without the validator
 * ({@link splitUnknownKeys}); the keys past the fully worded ones come back as counted issues.
 */
function documentErrors(
  source: ScenarioSource,
  data: unknown,
): { errors: ErrorObject[]; counted: SourceIssue[] } {
  const validate = getValidator();
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { errors: validate(data) ? [] : [...(validate.errors ?? [])], counted: [] };
  }
  const flood = splitUnknownKeys(
    source,
    [],
    '',
    data as Record<string, unknown>,
    validate.schema as { properties?: Record<string, unknown> },
  );
  const doc = flood?.known ?? (data as Record<string, unknown>);
  const outer: Record<string, unknown> = { ...doc };
  const lists: [string, unknown[], ValidateFunction][] = [];
  for (const [key, item] of itemValidators) {
    const list = doc[key];
    if (Array.isArray(list) && Object.hasOwn(doc, key)) {
      lists.push([key, list as unknown[], item]);
      outer[key] = [];
    }
  }
  const out = validate(outer) ? [] : [...(validate.errors ?? [])];
  for (const [key, list, item] of lists) {
    list.forEach((x, i) => {
      if (item(x)) return;
      for (const e of item.errors ?? []) {
        out.push({ ...e, instancePath: `/${key}/${i}${e.instancePath}` });
      }
    });
  }
  return flood ? floodIssues(source, [flood], out) : { errors: out, counted: [] };
}

/** The parsed scenario JSON Schema (for tooling such as documentation generators). */
export function scenarioSchema(): Readonly<Record<string, unknown>> {
  return getValidator().schema as Record<string, unknown>;
}

/** Which `$defs` entry an error comes from (needs ajv's `verbose` for `parentSchema`). */
function defName(error: ErrorObject): string | undefined {
  return defNames.get(error.parentSchema);
}

function patternMessage(error: ErrorObject): string | undefined {
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
      return undefined;
  }
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

/** The scenario's own wording where the generic message would be vague. */
function scenarioMessage(error: ErrorObject, path: DocPath): string | undefined {
  switch (error.keyword) {
    case 'pattern':
      return patternMessage(error);
    case 'minProperties':
    case 'maxProperties': {
      const one = exactlyOneMessage(error, path);
      if (one !== undefined) return one;
      if (defName(error) === 'stringMatch' || defName(error) === 'numberMatch') {
        return `empty matcher: give one of ${allowedKeys(error).join(', ')}`;
      }
      return undefined;
    }
    case 'minimum':
      return path.at(-1) === 'times'
        ? `must be at least ${String((error.params as { limit?: unknown }).limit)} (leave times out for no limit)`
        : undefined;
    case 'minItems':
      return path.at(-1) === 'then'
        ? 'needs at least one step: a terminal step such as respond'
        : undefined;
    default:
      return undefined;
  }
}

/** Validates a parsed source against the schema; empty when valid. Sorted by position. */
export function schemaIssues(source: ScenarioSource): ScenarioIssue[] {
  const { errors, counted } = documentErrors(source, source.data ?? null);
  if (errors.length === 0 && counted.length === 0) return [];
  return [...locateSchemaErrors(source, errors, scenarioMessage), ...counted];
}
