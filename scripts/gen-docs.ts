/**
 * Generates the reference parts of the documentation from the schemas:
 *
 * - docs/scenarios.md, between `<!-- generated:scenario-reference:start -->` and `…:end -->`,
 *   from the descriptions of schemas/scenario.schema.json;
 * - docs/control-api.md, between `<!-- generated:control-api-reference:start -->` and `…:end -->`,
 *   from schemas/control-api.openapi.json.
 *
 * Everything outside the markers is hand-written and kept as it is.
 *
 *   npm run docs                          rewrite the generated parts
 *   npx tsx scripts/gen-docs.ts --check   exit 1 when a page and its schema disagree
 *
 * test/docs/generated.test.ts regenerates in memory and compares, so `npm test` fails while a
 * schema changed and its page was not regenerated.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, type Options } from 'prettier';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));

type Json = Record<string, unknown>;

const obj = (v: unknown): Json =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);
/** Text for one table cell: pipes escaped, line breaks joined. */
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s*\n+\s*/g, ' ');

function readJson(path: string): Json {
  return obj(JSON.parse(readFileSync(`${ROOT}${path}`, 'utf8')));
}

/** The marker pair of a generated part. */
export function markers(name: string): { start: string; end: string } {
  return { start: `<!-- generated:${name}:start -->`, end: `<!-- generated:${name}:end -->` };
}

// ---------------------------------------------------------------------------------------------
// Scenario schema

const DEF = '#/$defs/';

function refName(schema: Json): string | undefined {
  const ref = str(schema['$ref']);
  return ref.startsWith(DEF) ? ref.slice(DEF.length) : undefined;
}

/** A definition gets its own section when it has properties; else it is a value type. */
function hasSection(def: Json): boolean {
  return Object.keys(obj(def['properties'])).length > 0;
}

/** The limits of a schema that apply to values of JSON type `type`, in words. */
function limits(schema: Json, type: string): string {
  const n = (k: string): number | undefined =>
    typeof schema[k] === 'number' ? schema[k] : undefined;
  const range = (lo: number | undefined, hi: number | undefined, unit: string): string => {
    if (lo !== undefined && hi !== undefined) return `${lo}–${hi}${unit}`;
    if (lo !== undefined) return lo === 1 && unit !== '' ? `not empty` : `≥ ${lo}${unit}`;
    if (hi !== undefined) return `at most ${hi}${unit}`;
    return '';
  };
  if (type === 'number' || type === 'integer') return range(n('minimum'), n('maximum'), '');
  if (type === 'string') {
    const lo = n('minLength');
    return range(lo === 0 ? undefined : lo, n('maxLength'), ' characters');
  }
  if (type === 'array') {
    const lo = n('minItems');
    return range(lo === 0 ? undefined : lo, n('maxItems'), ' items');
  }
  if (type === 'object') {
    const lo = n('minProperties');
    const hi = n('maxProperties');
    return lo === 1 && hi === 1 ? 'one key' : '';
  }
  return '';
}

const withLimits = (text: string, limit: string): string =>
  limit === '' ? text : `${text} (${limit})`;

/** The type column of a property. */
function typeOf(schema: Json, defs: Json): string {
  const ref = refName(schema);
  if (ref !== undefined) {
    return hasSection(obj(defs[ref]))
      ? `[${ref}](#${ref.toLowerCase()})`
      : `[${ref}](#value-types)`;
  }
  if ('const' in schema) return `\`${JSON.stringify(schema['const'])}\``;
  if (Array.isArray(schema['enum'])) {
    return list(schema['enum'])
      .map((v) => `\`${String(v)}\``)
      .join(', ');
  }
  const type = schema['type'];
  const types = Array.isArray(type) ? (type as string[]) : typeof type === 'string' ? [type] : [];
  const parts = types.map((t) => {
    if (t === 'array') {
      const items = obj(schema['items']);
      const of = Object.keys(items).length > 0 ? typeOf(items, defs) : 'values';
      return withLimits(`list of ${of}`, limits(schema, t));
    }
    if (t === 'null') return 'empty';
    return withLimits(t, limits(schema, t));
  });
  const anyOf = list(schema['anyOf'] ?? schema['oneOf']).map((s) => typeOf(obj(s), defs));
  return [...parts, ...anyOf].filter((p) => p !== '').join(' or ') || 'any';
}

/** Rows of a property table; inline objects add rows for their own properties (`a.b`). */
function rows(def: Json, defs: Json, prefix = ''): string[] {
  const required = new Set(list(def['required']).map(str));
  const out: string[] = [];
  for (const [key, value] of Object.entries(obj(def['properties']))) {
    const p = obj(value);
    const name = `${prefix}${key}`;
    out.push(
      `| \`${name}\` | ${cell(typeOf(p, defs))} | ${required.has(key) ? 'yes' : 'no'} | ${cell(str(p['description']))} |`,
    );
    if (refName(p) === undefined && hasSection(p)) out.push(...rows(p, defs, `${name}.`));
  }
  return out;
}

/** Definitions in the order a reader meets them: depth first from the top level. */
function definitionOrder(schema: Json): string[] {
  const defs = obj(schema['$defs']);
  const seen: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    const o = obj(node);
    const ref = refName(o);
    if (ref !== undefined && !seen.includes(ref)) {
      seen.push(ref);
      visit(defs[ref]);
    }
    for (const [k, v] of Object.entries(o)) if (k !== '$defs') visit(v);
  };
  visit({ ...schema, $defs: undefined });
  // Definitions nothing refers to still get documented, after the others.
  return [...seen, ...Object.keys(defs).filter((d) => !seen.includes(d))];
}

/** Where each definition is used, as `section.key` names. */
function usedBy(schema: Json, order: readonly string[]): Map<string, string[]> {
  const defs = obj(schema['$defs']);
  const uses = new Map<string, string[]>();
  const scan = (owner: string, def: Json, prefix: string): void => {
    for (const [key, value] of Object.entries(obj(def['properties']))) {
      const p = obj(value);
      const target = refName(p) ?? refName(obj(p['items']));
      if (target !== undefined) {
        const at = `${owner}${prefix}${key}`;
        uses.set(target, [...(uses.get(target) ?? []), at]);
      } else if (hasSection(p)) scan(owner, p, `${prefix}${key}.`);
    }
  };
  scan('', schema, '');
  for (const name of order) scan(`${name}.`, obj(defs[name]), '');
  return uses;
}

/** The generated reference of docs/scenarios.md. */
export function scenarioReference(schema: Json = readJson('schemas/scenario.schema.json')): string {
  const defs = obj(schema['$defs']);
  const order = definitionOrder(schema);
  const uses = usedBy(schema, order);
  const header = ['| Key | Type | Required | Meaning |', '| --- | --- | --- | --- |'];
  const usedLine = (name: string): string[] => {
    const at = uses.get(name) ?? [];
    return at.length > 0 ? [`Used by: ${at.map((u) => `\`${u}\``).join(', ')}.`, ''] : [];
  };
  const lines: string[] = [
    `### Top level`,
    '',
    str(schema['description']),
    '',
    ...header,
    ...rows(schema, defs),
    '',
  ];
  for (const name of order.filter((d) => hasSection(obj(defs[d])))) {
    const def = obj(defs[name]);
    lines.push(`### \`${name}\``, '', str(def['description']), '', ...usedLine(name));
    lines.push(...header, ...rows(def, defs), '');
  }
  lines.push(
    '### Value types',
    '',
    '| Type | Accepts | Meaning | Used by |',
    '| --- | --- | --- | --- |',
  );
  for (const name of order.filter((d) => !hasSection(obj(defs[d])))) {
    const def = obj(defs[name]);
    const at = (uses.get(name) ?? []).map((u) => `\`${u}\``).join(', ');
    lines.push(
      `| \`${name}\` | ${cell(typeOf({ ...def, description: undefined }, defs))} | ${cell(str(def['description']))} | ${cell(at)} |`,
    );
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Control API

export const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** Every route of the OpenAPI description, in file order. */
export function routes(api: Json): { method: string; path: string; op: Json }[] {
  const out: { method: string; path: string; op: Json }[] = [];
  for (const [path, item] of Object.entries(obj(api['paths']))) {
    for (const method of METHODS) {
      const op = obj(obj(item)[method]);
      if (Object.keys(op).length > 0) out.push({ method: method.toUpperCase(), path, op });
    }
  }
  return out;
}

/** The heading anchor of a route's hand-written example (`### Example: GET /health`). */
export function exampleAnchor(method: string, path: string): string {
  return `example-${method}-${path}`
    .toLowerCase()
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

function resolve(api: Json, node: Json): Json {
  const ref = str(node['$ref']);
  if (!ref.startsWith('#/')) return node;
  let at: unknown = api;
  for (const part of ref.slice(2).split('/')) at = obj(at)[part];
  return obj(at);
}

function schemaName(schema: Json): string | undefined {
  const ref = str(schema['$ref']);
  return ref.startsWith('#/components/schemas/')
    ? ref.slice('#/components/schemas/'.length)
    : undefined;
}

/** A body's schema in words: a link to its component schema, or its type. */
function bodyType(schema: Json): string {
  const name = schemaName(schema);
  if (name !== undefined) return `[\`${name}\`](#${name.toLowerCase()})`;
  const alternatives = list(schema['oneOf'] ?? schema['anyOf']);
  if (alternatives.length > 0) return alternatives.map((s) => bodyType(obj(s))).join(' or ');
  const type = str(schema['type']);
  return type === '' ? 'any' : type;
}

function contentLines(api: Json, content: Json): string[] {
  return Object.entries(content).map(([type, media]) => {
    const schema = obj(obj(media)['schema']);
    const described = str(schema['description']);
    return `\`${type}\`: ${bodyType(resolve(api, schema))}${described === '' ? '' : ` — ${described}`}`;
  });
}

/** The stable error codes a response description names, e.g. `ERR_SESSION_UNKNOWN`. */
function errorCodes(text: string): string[] {
  return [...new Set([...text.matchAll(/\bERR_[A-Z0-9_]+\b/g)].map((m) => m[0]))];
}

function routeSection(api: Json, method: string, path: string, op: Json): string[] {
  const lines = [`### \`${method} ${path}\``, ''];
  const summary = str(op['summary']).replace(/\.$/, '');
  lines.push(`**${summary}.** ${str(op['description'])}`.trim(), '');
  lines.push(`Example: [${method} ${path}](#${exampleAnchor(method, path)}).`, '');
  const params = list(op['parameters']).map((p) => resolve(api, obj(p)));
  if (params.length > 0) {
    lines.push('| Parameter | In | Type | Required | Meaning |', '| --- | --- | --- | --- | --- |');
    for (const p of params) {
      const schema = obj(p['schema']);
      const type = Array.isArray(schema['enum'])
        ? list(schema['enum'])
            .map((v) => `\`${String(v)}\``)
            .join(', ')
        : str(schema['pattern']) !== ''
          ? `${str(schema['type'])} \`${str(schema['pattern'])}\``
          : str(schema['type']);
      lines.push(
        `| \`${str(p['name'])}\` | ${str(p['in'])} | ${cell(type)} | ${p['required'] === true ? 'yes' : 'no'} | ${cell(str(p['description']))} |`,
      );
    }
    lines.push('');
  }
  const body = obj(op['requestBody']);
  if (Object.keys(body).length > 0) {
    const required = body['required'] === true ? 'required' : 'optional';
    lines.push(`Request body (${required}):`, '');
    for (const l of contentLines(api, obj(body['content']))) lines.push(`- ${l}`);
    lines.push('');
  }
  lines.push('| Status | Meaning | Body |', '| --- | --- | --- |');
  for (const [status, raw] of Object.entries(obj(op['responses']))) {
    const r = resolve(api, obj(raw));
    const description = str(r['description']);
    const headers = Object.entries(obj(r['headers'])).map(([h, v]) => {
      const d = str(obj(v)['description']);
      return `header \`${h}\`${d === '' ? '' : `: ${d}`}`;
    });
    const bodies = contentLines(api, obj(r['content']));
    lines.push(
      `| ${status} | ${cell([description, ...headers].join('; '))} | ${cell(bodies.join('; '))} |`,
    );
  }
  lines.push('');
  return lines;
}

function schemaSection(api: Json, name: string, schema: Json): string[] {
  const lines = [`### \`${name}\``, ''];
  const description = str(schema['description']);
  if (description !== '') lines.push(description, '');
  const props = obj(schema['properties']);
  const alternatives = list(schema['oneOf'] ?? schema['anyOf']).map(obj);
  const exactlyOne = alternatives
    .map((a) => list(a['required']).map(str))
    .filter((r) => r.length === 1)
    .map((r) => `\`${r[0] ?? ''}\``);
  if (exactlyOne.length === alternatives.length && exactlyOne.length > 1) {
    lines.push(`Exactly one of ${exactlyOne.join(', ')}.`, '');
  }
  if (Object.keys(props).length === 0) {
    lines.push(`Type: ${typeOfApi(schema)}.`, '');
    return lines;
  }
  const required = new Set(list(schema['required']).map(str));
  lines.push('| Field | Type | Required | Meaning |', '| --- | --- | --- | --- |');
  for (const [key, value] of Object.entries(props)) {
    const p = obj(value);
    lines.push(
      `| \`${key}\` | ${cell(typeOfApi(p))} | ${required.has(key) ? 'yes' : 'no'} | ${cell(str(p['description']))} |`,
    );
  }
  lines.push('');
  return lines;
}

function typeOfApi(schema: Json): string {
  const name = schemaName(schema);
  if (name !== undefined) return `[\`${name}\`](#${name.toLowerCase()})`;
  if ('const' in schema) return `\`${JSON.stringify(schema['const'])}\``;
  if (Array.isArray(schema['enum'])) {
    return list(schema['enum'])
      .map((v) => `\`${JSON.stringify(v)}\``)
      .join(', ');
  }
  const type = schema['type'];
  const types = Array.isArray(type) ? (type as string[]) : typeof type === 'string' ? [type] : [];
  const parts = types.map((t) => {
    if (t === 'array') return `list of ${typeOfApi(obj(schema['items']))}`;
    if (t === 'object') {
      const values = obj(schema['additionalProperties']);
      return Object.keys(values).length > 0 ? `map of ${typeOfApi(values)}` : 'object';
    }
    return withLimits(t, limits(schema, t));
  });
  const alternatives = list(schema['oneOf'] ?? schema['anyOf']).map((s) => typeOfApi(obj(s)));
  return [...parts, ...alternatives.filter((a) => a !== 'any')].join(' or ') || 'any';
}

/** The generated reference of docs/control-api.md. */
export function controlApiReference(
  api: Json = readJson('schemas/control-api.openapi.json'),
): string {
  const lines: string[] = [];
  const all = routes(api);
  const info = obj(api['info']);
  lines.push(`### ${str(info['title'])}`, '', str(info['description']), '');
  lines.push('### Routes', '', '| Route | Summary |', '| --- | --- |');
  for (const { method, path, op } of all) {
    const anchor = `${method} ${path}`
      .toLowerCase()
      .replace(/[^\p{L}\p{N} -]/gu, '')
      .replace(/ /g, '-');
    lines.push(`| [\`${method} ${path}\`](#${anchor}) | ${cell(str(op['summary']))} |`);
  }
  lines.push('');
  for (const { method, path, op } of all) lines.push(...routeSection(api, method, path, op));

  // Every stable error code, with the statuses and routes that answer it.
  const codes = new Map<string, { statuses: Set<string>; routes: Set<string> }>();
  for (const { method, path, op } of all) {
    const answers = Object.entries(obj(op['responses'])).map(
      ([status, raw]) => [status, str(resolve(api, obj(raw))['description'])] as const,
    );
    // Codes only the route's own description names: their status is in that description.
    const own: (readonly [string, string])[] = errorCodes(str(op['description'])).map(
      (c) => [c, ''] as const,
    );
    for (const [status, description] of answers) {
      for (const code of errorCodes(description)) own.push([code, status]);
    }
    for (const [code, status] of own) {
      const entry = codes.get(code) ?? { statuses: new Set(), routes: new Set() };
      if (status !== '') entry.statuses.add(status);
      entry.routes.add(`\`${method} ${path}\``);
      codes.set(code, entry);
    }
  }
  lines.push(
    '### Error codes by route',
    '',
    'Every error answer is an [`Error`](#error) body (`{ "error", "code" }`). The codes the',
    'routes and their answers name (every code, with its meaning: [Errors](#errors)):',
    '',
    '| Code | Status | Routes |',
    '| --- | --- | --- |',
  );
  for (const [code, { statuses, routes: at }] of [...codes].sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    lines.push(
      `| \`${code}\` | ${[...statuses].join(', ') || 'see the route'} | ${[...at].join(', ')} |`,
    );
  }
  lines.push('', '### Bodies', '');
  for (const [name, schema] of Object.entries(obj(obj(api['components'])['schemas']))) {
    lines.push(...schemaSection(api, name, obj(schema)));
  }
  const security = obj(obj(api['components'])['securitySchemes']);
  if (Object.keys(security).length > 0) {
    lines.push('### Authentication', '');
    for (const [name, scheme] of Object.entries(security)) {
      const s = obj(scheme);
      lines.push(
        `- \`${name}\` (${str(s['type'])}${str(s['scheme']) === '' ? '' : ` ${str(s['scheme'])}`}): ${str(s['description'])}`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Pages

export interface GeneratedPage {
  readonly file: string;
  readonly name: string;
  readonly generate: () => string;
}

export const PAGES: readonly GeneratedPage[] = [
  { file: 'docs/scenarios.md', name: 'scenario-reference', generate: () => scenarioReference() },
  {
    file: 'docs/control-api.md',
    name: 'control-api-reference',
    generate: () => controlApiReference(),
  },
];

/** The page with its generated part replaced by `generated`, formatted as the repository does. */
export async function regenerate(page: GeneratedPage, text: string): Promise<string> {
  const { start, end } = markers(page.name);
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${page.file}: no ${start} … ${end} block`);
  const next = `${text.slice(0, from + start.length)}\n\n${page.generate().trim()}\n\n${text.slice(to)}`;
  const options = readJson('.prettierrc.json') as Options;
  return format(next, { ...options, parser: 'markdown' });
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const page of PAGES) {
    const text = readFileSync(`${ROOT}${page.file}`, 'utf8');
    const next = await regenerate(page, text);
    if (next === text) continue;
    if (check) {
      stale++;
      process.stderr.write(`${page.file} disagrees with its schema: run npm run docs\n`);
    } else {
      writeFileSync(`${ROOT}${page.file}`, next);
      process.stdout.write(`wrote ${page.file}\n`);
    }
  }
  process.exitCode = stale > 0 ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
