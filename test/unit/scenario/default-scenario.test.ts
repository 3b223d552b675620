import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'chai';
import {
  analyzeScenarioText,
  defaultScenarioPath,
  formatIssue,
  loadDefaultScenario,
  scenarioSchemaPath,
  validateScenarioText,
} from '../../../src/scenario/index.js';
import { DEFAULT_SCENARIO_SHA256 } from '../../../src/scenario/load.js';
import { ScenarioSource } from '../../../src/scenario/source.js';
import { schemaIssues } from '../../../src/scenario/validate.js';
import { SCHEMA_AJV_OPTIONS } from '../../../src/util/schema-messages.js';

const defaultText = readFileSync(defaultScenarioPath, 'utf8');

describe('the built-in default scenario at start-up', () => {
  it('is the text whose digest skips schema validation (update DEFAULT_SCENARIO_SHA256 after editing it)', () => {
    const digest = createHash('sha256').update(defaultText).digest('hex');
    expect(
      digest,
      `scenarios/default.yaml changed: check it validates, then set DEFAULT_SCENARIO_SHA256 in src/scenario/load.ts to ${digest}`,
    ).to.equal(DEFAULT_SCENARIO_SHA256);
  });

  it('passes the schema, so skipping the schema step for it changes nothing', () => {
    expect(schemaIssues(new ScenarioSource(defaultText, 'default.yaml'))).to.deep.equal([]);
  });

  it('still validates a text that differs from the default by one line', () => {
    const edited = `${defaultText}colour: blue\n`;
    const issues = validateScenarioText(edited, 'edited.yaml').map(formatIssue);
    expect(issues).to.have.length(1);
    expect(issues[0]).to.match(/^edited\.yaml:\d+:1: unknown key "colour"/);
  });

  it('compiles the same rules as a copy with the schema step run', () => {
    const skipped = analyzeScenarioText(defaultText, 'a.yaml').scenario;
    const validated = analyzeScenarioText(`${defaultText}# a comment\n`, 'a.yaml').scenario;
    expect(skipped?.rules.map((r) => r.id)).to.deep.equal([
      'accept-login',
      'accept-submit',
      'answer-alive',
      'answer-logout',
    ]);
    expect(skipped?.rules.map((r) => r.id)).to.deep.equal(validated?.rules.map((r) => r.id));
    expect(skipped?.server).to.deep.equal(validated?.server);
    expect(skipped?.name).to.equal('default');
  });

  it('loads without loading ajv (most of a start-up used to be its schema compile)', async function () {
    this.timeout(30_000);
    const loadUrl = new URL('../../../src/scenario/load.ts', import.meta.url).href;
    const script = `
      import { createRequire } from 'node:module';
      const { loadDefaultScenario } = await import(${JSON.stringify(loadUrl)});
      const s = await loadDefaultScenario();
      const cache = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify({ rules: s.rules.length, ajv: cache.some((k) => k.includes('/ajv/')) }));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: fileURLToPath(new URL('../../..', import.meta.url)) },
    );
    expect(JSON.parse(stdout.trim())).to.deep.equal({ rules: 4, ajv: false });
    expect((await loadDefaultScenario()).rules).to.have.length(4);
  });
});

describe('the scenario schema', () => {
  it('is a valid JSON Schema 2020-12 under strict mode (it is not meta-validated at run time)', () => {
    const schema = JSON.parse(readFileSync(scenarioSchemaPath, 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv2020(SCHEMA_AJV_OPTIONS);
    expect(ajv.validateSchema(schema), ajv.errorsText()).to.equal(true);
    expect(() => ajv.compile(schema)).not.to.throw();
  });
});
