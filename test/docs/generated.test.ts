/**
 * The generated parts of docs/scenarios.md and docs/control-api.md agree with their schemas:
 * each page is regenerated in memory (scripts/gen-docs.ts) and must equal the file. Run
 * `npm run docs` after changing a schema.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as AjvModule from 'ajv/dist/2020.js';
import {
  controlApiReference,
  exampleAnchor,
  markers,
  PAGES,
  regenerate,
  ROOT,
  routes,
  scenarioReference,
} from '../../scripts/gen-docs.js';

const read = (file: string): string => readFileSync(`${ROOT}${file}`, 'utf8');
const json = (file: string): Record<string, unknown> =>
  JSON.parse(read(file)) as Record<string, unknown>;

/** GitHub heading anchors of a page (fenced code ignored), duplicates counted. */
function headingAnchors(text: string): string[] {
  let fenced = false;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const h = fenced ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (h) {
      out.push(
        (h[1] ?? '')
          .replace(/`/g, '')
          .toLowerCase()
          .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
          .replace(/ /g, '-'),
      );
    }
  }
  return out;
}

describe('documentation: generated reference', () => {
  for (const page of PAGES) {
    it(`${page.file} holds what npm run docs generates from its schema`, async () => {
      const text = read(page.file);
      const { start, end } = markers(page.name);
      expect(text, `${page.file} has its markers`).to.include(start).and.include(end);
      const regenerated = await regenerate(page, text);
      expect(text === regenerated, `${page.file} is stale: run npm run docs`).to.equal(true);
    });

    it(`${page.file} has no duplicate heading (every anchor links one place)`, () => {
      const anchors = headingAnchors(read(page.file));
      const dupes = anchors.filter((a, i) => anchors.indexOf(a) !== i);
      expect(dupes).to.deep.equal([]);
    });
  }

  it('a changed schema description changes the scenario reference', () => {
    const schema = json('schemas/scenario.schema.json');
    const before = scenarioReference(schema);
    const defs = schema['$defs'] as Record<string, { description: string }>;
    const rule = defs['rule'];
    if (rule === undefined) throw new Error('no rule definition');
    rule.description = 'A changed description.';
    const after = scenarioReference(schema);
    expect(after).to.not.equal(before);
    expect(after).to.include('A changed description.');
  });

  it('every scenario definition and every top-level key is in the scenario reference', () => {
    const schema = json('schemas/scenario.schema.json');
    const reference = scenarioReference(schema);
    for (const name of Object.keys(schema['$defs'] as object)) {
      expect(reference, name).to.include(`\`${name}\``);
    }
    for (const key of Object.keys(schema['properties'] as object)) {
      expect(reference, key).to.include(`| \`${key}\` |`);
    }
  });

  it('every route, its parameters, statuses and the error codes it names are in the control API reference', () => {
    const api = json('schemas/control-api.openapi.json');
    const reference = controlApiReference(api);
    for (const { method, path, op } of routes(api)) {
      expect(reference, `${method} ${path}`).to.include(`### \`${method} ${path}\``);
      for (const p of (op['parameters'] as { name: string }[] | undefined) ?? []) {
        expect(reference, `${method} ${path} ?${p.name}`).to.include(`| \`${p.name}\` |`);
      }
    }
    for (const code of new Set(JSON.stringify(api).match(/ERR_[A-Z0-9_]+/g) ?? [])) {
      expect(reference, code).to.include(code);
    }
  });

  it('docs/control-api.md has a hand-written example for every route, and Try it calls every route', () => {
    const page = read('docs/control-api.md');
    const anchors = new Set(headingAnchors(page));
    const tour = /```sh\ncat > tour\.sh <<'EOF'\n([\s\S]*?)\nEOF\n/.exec(page)?.[1] ?? '';
    expect(tour, 'the Try it script').to.not.equal('');
    const missing: string[] = [];
    for (const { method, path } of routes(json('schemas/control-api.openapi.json'))) {
      if (!anchors.has(exampleAnchor(method, path))) missing.push(`example of ${method} ${path}`);
      // `{id}` in a documented path stands for one path segment (`$ID`, `m42`, …).
      const template = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      const call = tour.split('\n').some((line) => {
        const m = /curl .*"\$ADMIN(\/[^"?\s]*)[?"]/.exec(line);
        const verb = /-X (GET|PUT|POST|DELETE|PATCH)/.exec(line)?.[1] ?? 'GET';
        return m?.[1] !== undefined && template.test(m[1]) && verb === method;
      });
      if (!call) missing.push(`Try it: ${method} ${path}`);
    }
    expect(missing).to.deep.equal([]);
  });

  it('the JSON bodies of the curl examples match their route request schema', () => {
    const { Ajv2020 } = createRequire(import.meta.url)('ajv/dist/2020.js') as typeof AjvModule;
    const api = json('schemas/control-api.openapi.json');
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ ...api, $id: 'api' });
    const page = read('docs/control-api.md');
    let checked = 0;
    for (const { method, path, op } of routes(api)) {
      const content = ((op['requestBody'] as Record<string, unknown> | undefined)?.['content'] ??
        {}) as Record<string, { schema?: { $ref?: string } }>;
      const ref = content['application/json']?.schema?.$ref;
      if (ref === undefined) continue;
      const pattern = new RegExp(
        `-X ${method} "\\$ADMIN${path}"[^\\n]*(?:\\\\\\n)?[^\\n]*-d '([^']*)'`,
        'g',
      );
      for (const m of page.matchAll(pattern)) {
        const body: unknown = JSON.parse(m[1] ?? '');
        const ok = ajv.validate({ $ref: `api${ref}` }, body);
        expect(ok, `${method} ${path} ${m[1] ?? ''}: ${ajv.errorsText()}`).to.equal(true);
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(5);
  });
});
