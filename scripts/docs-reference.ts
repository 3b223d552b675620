/**
 * Generates the reference parts of docs/scenarios.md (from schemas/scenario.schema.json) and
 * docs/control-api.md (from schemas/control-api.openapi.json). Each page keeps its hand-written
 * text; the generated part sits between `<!-- generated:start -->` and `<!-- generated:end -->`.
 *
 *   npx tsx scripts/docs-reference.ts          rewrite the generated parts
 *   npx tsx scripts/docs-reference.ts --check  exit 1 when a page differs from its schema
 *
 * test/docs/reference.test.ts runs the check in `npm test`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const START = '<!-- generated:start -->';
const END = '<!-- generated:end -->';

type Json = Record<string, unknown>;

function readJson(path: string): Json {
  return JSON.parse(readFileSync(`${ROOT}${path}`, 'utf8')) as Json;
}

const obj = (v: unknown): Json =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n+/g, ' ');

// ---------------------------------------------------------------------------------------------
// Scenario schema

/** Sections of the scenario reference: a $defs name (or '' for the top level) and its title. */
const SCENARIO_SECTIONS: readonly [string, string][] = [
  ['', 'Top level'],
  ['server', '`server`'],
  ['account', '`accounts[]`'],
  ['rule', '`rules[]`'],
  ['when', '`when`'],
  ['stringMatch', 'String matcher'],
  ['numberMatch', 'Number matcher'],
  ['rate', '`rate`'],
  ['step', '`then[]` steps'],
  ['errorBody', '`error` and `generalError`'],
  ['afterward', '`afterwards[]`'],
  ['statusReport', '`statusReport`'],
  ['deliver', '`deliver`'],
  ['scheduleItem', '`schedule[]`'],
  ['scheduledDeliver', '`schedule[].deliver`'],
];

/** Value types without their own section, described inline. */
const SCALARS: Readonly<Record<string, string>> = {
  duration: 'duration',
  hex: 'hex',
  udhHex: 'UDH hex',
  ruleId: 'rule id',
  paramCode: 'parameter code',
  timestamp: 'time stamp',
  errorCode: 'error code',
  empty: '`{}`',
  status: 'status',
};

/** A GitHub anchor of a section title. */
function anchor(title: string): string {
  return title
    .replace(/`/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

function refName(schema: Json): string | undefined {
  const ref = str(schema['$ref']);
  return ref.startsWith('#/$defs/') ? ref.slice('#/$defs/'.length) : undefined;
}

/** The type column: a link to a section, a scalar kind, or the JSON types. */
function typeOf(schema: Json): string {
  const ref = refName(schema);
  if (ref !== undefined) {
    const section = SCENARIO_SECTIONS.find(([name]) => name === ref);
    if (section) return `[${section[1].replace(/`|\[\]/g, '')}](#${anchor(section[1])})`;
    return `[${SCALARS[ref] ?? ref}](#value-types)`;
  }
  if ('const' in schema) return `\`${JSON.stringify(schema['const'])}\``;
  if (Array.isArray(schema['enum'])) {
    return (schema['enum'] as unknown[]).map((v) => `\`${String(v)}\``).join(', ');
  }
  const type = schema['type'];
  const types = Array.isArray(type) ? (type as string[]) : typeof type === 'string' ? [type] : [];
  const items = obj(schema['items']);
  return types
    .map((t) => {
      if (t === 'array')
        return `list of ${Object.keys(items).length > 0 ? typeOf(items) : 'values'}`;
      if (t === 'object' && Object.keys(obj(schema['properties'])).length > 0) return 'mapping';
      return t === 'null' ? 'empty' : t;
    })
    .join(' or ');
}

/** Range and length limits of a property, for the table. */
function limits(schema: Json): string {
  const out: string[] = [];
  const n = (k: string): number | undefined =>
    typeof schema[k] === 'number' ? schema[k] : undefined;
  const [min, max] = [n('minimum'), n('maximum')];
  if (min !== undefined && max !== undefined) out.push(`${min}–${max}`);
  else if (min !== undefined) out.push(`≥ ${min}`);
  else if (max !== undefined) out.push(`≤ ${max}`);
  const [minLen, maxLen] = [n('minLength'), n('maxLength')];
  if (maxLen !== undefined) out.push(`at most ${maxLen} characters`);
  else if (minLen !== undefined && minLen > 0) out.push('not empty');
  return out.join(', ');
}

function propertyTable(def: Json): string[] {
  const props = obj(def['properties']);
  const required = new Set(Array.isArray(def['required']) ? (def['required'] as string[]) : []);
  if (Object.keys(props).length === 0) return [];
  const rows = Object.entries(props).map(([key, value]) => {
    const p = obj(value);
    const limit = limits(p);
    const type = typeOf(p) + (limit === '' ? '' : ` (${limit})`);
    return `| \`${key}\` | ${required.has(key) ? 'yes' : 'no'} | ${cell(type)} | ${cell(str(p['description']))} |`;
  });
  return ['| Key | Required | Type | Meaning |', '| --- | --- | --- | --- |', ...rows];
}

/** The generated reference of docs/scenarios.md. */
export function scenarioReference(schema: Json = readJson('schemas/scenario.schema.json')): string {
  const defs = obj(schema['$defs']);
  const lines: string[] = [];
  for (const [name, title] of SCENARIO_SECTIONS) {
    const def = name === '' ? schema : obj(defs[name]);
    lines.push(`### ${title}`, '', str(def['description']), '');
    const table = propertyTable(def);
    if (table.length > 0) lines.push(...table, '');
  }
  lines.push('### Value types', '', '| Type | Meaning |', '| --- | --- |');
  for (const [name, label] of Object.entries(SCALARS)) {
    const def = obj(defs[name]);
    lines.push(`| ${label} | ${cell(str(def['description']))} |`);
  }
  lines.push('');
  const covered = new Set([...SCENARIO_SECTIONS.map(([n]) => n), ...Object.keys(SCALARS)]);
  const missing = Object.keys(defs).filter((d) => !covered.has(d));
  if (missing.length > 0) {
    throw new Error(
      `scenario schema $defs without a section in the reference: ${missing.join(', ')}`,
    );
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Control API

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** Request bodies of the curl examples (checked against the route's schema by the doc tests). */
export const BODY_EXAMPLES: Readonly<Record<string, unknown>> = {
  'POST /deliver': { user: 'shop', from: '+358401112222', to: '12345', text: 'Hello @ €' },
  'POST /status-report': {
    destination: '+358401234567',
    timestamp: '261125120000',
    status: 'failed',
    errorCode: 1,
  },
  'PUT /state': { state: 'down' },
  'POST /reset': { sessions: 'close' },
};

/** Query strings of the curl examples. */
const QUERY_EXAMPLES: Readonly<Record<string, string>> = {
  'GET /transcript': '?since=120',
  'PUT /scenario': '?file=submit-errors.yaml',
};

/** A curl example for one route. */
function curl(method: string, path: string, op: Json): string {
  const key = `${method.toUpperCase()} ${path}`;
  const parts = ['curl -s'];
  if (method !== 'get') parts.push(`-X ${method.toUpperCase()}`);
  const content = obj(obj(op['requestBody'])['content']);
  const example = BODY_EXAMPLES[key];
  if (example !== undefined) {
    parts.push(`-H 'content-type: application/json' -d '${JSON.stringify(example)}'`);
  } else if (Object.keys(content).some((type) => type.includes('yaml'))) {
    parts.push('--data-binary @scenarios/submit-errors.yaml');
  }
  parts.push(`"$ADMIN${path}${QUERY_EXAMPLES[key] ?? ''}"`);
  return parts.join(' ');
}

/** The generated reference of docs/control-api.md. */
export function controlApiReference(
  api: Json = readJson('schemas/control-api.openapi.json'),
): string {
  const lines: string[] = [];
  for (const [path, item] of Object.entries(obj(api['paths']))) {
    for (const method of METHODS) {
      const op = obj(obj(item)[method]);
      if (Object.keys(op).length === 0) continue;
      lines.push(`### \`${method.toUpperCase()} ${path}\``, '');
      const summary = str(op['summary']);
      const description = str(op['description']);
      if (summary !== '')
        lines.push(`**${summary.replace(/\.$/, '')}.** ${description}`.trim(), '');
      else if (description !== '') lines.push(description, '');
      const params = (Array.isArray(op['parameters']) ? (op['parameters'] as unknown[]) : []).map(
        obj,
      );
      if (params.length > 0) {
        lines.push('| Parameter | In | Meaning |', '| --- | --- | --- |');
        for (const p of params) {
          lines.push(
            `| \`${str(p['name'])}\` | ${str(p['in'])} | ${cell(str(p['description']))} |`,
          );
        }
        lines.push('');
      }
      lines.push('| Status | Meaning |', '| --- | --- |');
      for (const [status, response] of Object.entries(obj(op['responses']))) {
        let r = obj(response);
        const ref = str(r['$ref']);
        if (ref !== '')
          r = obj(obj(obj(api['components'])['responses'])[ref.split('/').pop() ?? '']);
        lines.push(`| ${status} | ${cell(str(r['description']))} |`);
      }
      lines.push('', '```sh', curl(method, path, op), '```', '');
    }
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Pages

export const PAGES: readonly { file: string; generate: () => string }[] = [
  { file: 'docs/scenarios.md', generate: () => scenarioReference() },
  { file: 'docs/control-api.md', generate: () => controlApiReference() },
];

/** The page with its generated part replaced by `generated`. */
export function withGenerated(page: string, generated: string): string {
  const start = page.indexOf(START);
  const end = page.indexOf(END);
  if (start < 0 || end < start) throw new Error(`no ${START} … ${END} block`);
  return `${page.slice(0, start + START.length)}\n\n${generated.trim()}\n\n${page.slice(end)}`;
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const { format } = await import('prettier');
  let stale = 0;
  for (const { file, generate } of PAGES) {
    const page = readFileSync(`${ROOT}${file}`, 'utf8');
    const next = await format(withGenerated(page, generate()), {
      parser: 'markdown',
      ...prettierOptions(),
    });
    if (next === page) continue;
    if (check) {
      stale++;
      process.stderr.write(
        `${file} differs from its schema: run npx tsx scripts/docs-reference.ts\n`,
      );
    } else {
      writeFileSync(`${ROOT}${file}`, next);
      process.stdout.write(`wrote ${file}\n`);
    }
  }
  process.exitCode = stale > 0 ? 1 : 0;
}

/** The repository's Prettier options. */
export function prettierOptions(): Json {
  return readJson('.prettierrc.json');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
