/**
 * docs/scenarios.md and docs/control-api.md hold reference tables generated from their schemas by
 * scripts/docs-reference.ts: a page that no longer matches its schema fails here. The control API
 * page's request bodies are valid against the routes' schemas.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { format } from 'prettier';
import {
  BODY_EXAMPLES,
  PAGES,
  prettierOptions,
  scenarioReference,
  withGenerated,
} from '../../scripts/docs-reference.js';
import { ROOT } from './markdown.js';

const openapi = JSON.parse(
  readFileSync(join(ROOT, 'schemas/control-api.openapi.json'), 'utf8'),
) as {
  paths: Record<
    string,
    Record<string, { requestBody?: { content?: Record<string, { schema?: unknown }> } }>
  >;
};

describe('documentation: generated references', function () {
  this.timeout(30_000);

  for (const { file, generate } of PAGES) {
    it(`${file} matches its schema (npx tsx scripts/docs-reference.ts rewrites it)`, async () => {
      const page = readFileSync(join(ROOT, file), 'utf8');
      const expected = await format(withGenerated(page, generate()), {
        parser: 'markdown',
        ...prettierOptions(),
      });
      expect(page === expected, `${file} is out of date`).to.equal(true);
    });
  }

  it('a schema change shows in the scenario reference', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/scenario.schema.json'), 'utf8')) as {
      $defs: { server: { properties: Record<string, { description: string }> } };
    };
    const throttle = schema.$defs.server.properties['throttle'];
    if (throttle) throttle.description = 'Changed for the test.';
    expect(scenarioReference(schema)).to.include(
      '| `throttle` | no | number (≥ 0) | Changed for the test. |',
    );
  });

  it('every JSON request body of the control API has a curl example that is valid for the route', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ ...openapi, $id: 'openapi.json' });
    const problems: string[] = [];
    for (const [path, item] of Object.entries(openapi.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const json = op.requestBody?.content?.['application/json'];
        if (!json) continue;
        const key = `${method.toUpperCase()} ${path}`;
        const example = BODY_EXAMPLES[key];
        if (example === undefined) {
          problems.push(`${key}: no example body`);
          continue;
        }
        const pointer = `openapi.json#/paths/${path.replace(/\//g, '~1')}/${method}/requestBody/content/application~1json/schema`;
        const validate = ajv.getSchema(pointer);
        if (!validate) problems.push(`${key}: no schema at ${pointer}`);
        else if (!validate(example)) problems.push(`${key}: ${ajv.errorsText(validate.errors)}`);
      }
    }
    expect(problems).to.deep.equal([]);
  });
});
