import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { expect } from 'chai';
import {
  formatIssue,
  loadScenarioFile,
  loadScenarioText,
  ScenarioError,
  scenarioSchema,
  validateScenarioText,
} from '../../../src/scenario/index.js';

const yamlFiles = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));

interface ExpectedIssue {
  readonly path: string;
  readonly line: number;
  readonly col: number;
  /** A fragment the message must contain. */
  readonly message: string;
}

describe('scenario schema contract: shipped scenarios', () => {
  const files = yamlFiles('scenarios');

  it('ships the documented examples', () => {
    const names = files.map((f) => basename(f, '.yaml'));
    expect(names).to.include.members([
      'default',
      'login-failures',
      'submit-errors',
      'delivery-reports',
      'multipart',
      'stateful-outage',
      'checkout-flow',
    ]);
  });

  for (const file of files) {
    it(`${file} validates and compiles, named after its file`, async () => {
      expect(validateScenarioText(readFileSync(file, 'utf8'), file)).to.deep.equal([]);
      const s = await loadScenarioFile(file);
      expect(s.name).to.equal(basename(file, '.yaml'));
      expect(s.file).to.equal(file);
    });

    it(`${file} points editors at the schema`, () => {
      expect(readFileSync(file, 'utf8')).to.match(
        /^# yaml-language-server: \$schema=\.\.\/schemas\/scenario\.schema\.json$/m,
      );
    });
  }
});

describe('scenario schema contract: documentation', () => {
  it('docs/scenarios.md shows scenarios/checkout-flow.yaml verbatim', () => {
    const doc = readFileSync('docs/scenarios.md', 'utf8');
    const block = /### A complete example\n\n<!-- prettier-ignore -->\n```yaml\n([\s\S]*?)```/.exec(
      doc,
    );
    expect(block?.[1]).to.equal(readFileSync('scenarios/checkout-flow.yaml', 'utf8'));
  });
});

describe('scenario schema contract: valid fixtures', () => {
  for (const file of yamlFiles('test/fixtures/scenarios/valid')) {
    it(`${file} validates and compiles`, async () => {
      expect(validateScenarioText(readFileSync(file, 'utf8'), file)).to.deep.equal([]);
      await loadScenarioFile(file);
    });
  }
});

describe('scenario schema contract: invalid fixtures', () => {
  const files = yamlFiles('test/fixtures/scenarios/invalid');

  it('has at least the twelve required cases', () => {
    expect(files.map((f) => basename(f, '.yaml'))).to.include.members([
      'bad-yaml',
      'unknown-key',
      'missing-then',
      'terminal-not-last',
      'two-terminals',
      'bad-regex',
      'unsafe-regex',
      'duplicate-id',
      'unknown-status',
      'times-zero',
      'bad-duration',
      'unknown-op',
    ]);
  });

  for (const file of files) {
    it(`${file} fails with exactly the issues of its .issues.json`, () => {
      const expected = JSON.parse(
        readFileSync(file.replace(/\.yaml$/, '.issues.json'), 'utf8'),
      ) as ExpectedIssue[];
      const actual = validateScenarioText(readFileSync(file, 'utf8'), file);
      expect(
        actual.map((i) => [i.path, i.line, i.col]),
        formatAll(actual),
      ).to.deep.equal(expected.map((e) => [e.path, e.line, e.col]));
      actual.forEach((issue, i) => {
        expect(issue.file).to.equal(file);
        expect(issue.message).to.include(expected[i]!.message);
      });
    });
  }

  it('throws a ScenarioError whose message lists file:line:col per issue', () => {
    const file = 'test/fixtures/scenarios/invalid/unknown-op.yaml';
    let error: unknown;
    try {
      loadScenarioText(readFileSync(file, 'utf8'), file);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ScenarioError);
    const se = error as ScenarioError;
    expect(se.code).to.equal('ERR_SCENARIO_INVALID');
    expect(se.name).to.equal('ScenarioError');
    expect(se.issues).to.have.length(2);
    expect(se.message.split('\n')).to.deep.equal(se.issues.map(formatIssue));
    expect(se.message).to.match(
      /^test\/fixtures\/scenarios\/invalid\/unknown-op\.yaml:4:17: rules\[0\]\.when\.op: unknown operation "sumbit"/,
    );
  });

  it('loadScenarioFile reports an unreadable file as an issue at 1:1', async () => {
    const missing = 'test/fixtures/scenarios/does-not-exist.yaml';
    try {
      await loadScenarioFile(missing);
      expect.fail('should throw');
    } catch (e) {
      expect(e).to.be.instanceOf(ScenarioError);
      expect((e as ScenarioError).issues[0]).to.include({ file: missing, line: 1, col: 1 });
      expect((e as ScenarioError).message).to.include('cannot read scenario file');
    }
  });
});

function formatAll(
  issues: readonly { file: string; line: number; col: number; message: string }[],
): string {
  return issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.message}`).join('\n');
}

describe('scenario schema contract: the schema itself', () => {
  const schema = scenarioSchema();

  it('is JSON Schema 2020-12 with an $id', () => {
    expect(schema['$schema']).to.equal('https://json-schema.org/draft/2020-12/schema');
    expect(schema['$id']).to.match(/^https:\/\/.+scenario\.schema\.json$/);
  });

  it('forbids unknown keys and describes every property, everywhere', () => {
    const problems: string[] = [];
    const visit = (node: unknown, where: string): void => {
      if (typeof node !== 'object' || node === null) return;
      if (Array.isArray(node)) {
        node.forEach((n, i) => {
          visit(n, `${where}/${i}`);
        });
        return;
      }
      const obj = node as Record<string, unknown>;
      const types = ([] as unknown[]).concat(obj['type'] ?? []);
      if (obj['properties'] !== undefined && obj['additionalProperties'] !== false) {
        problems.push(`${where}: additionalProperties must be false`);
      }
      if (types.includes('object') && obj['additionalProperties'] === undefined) {
        problems.push(`${where}: object without additionalProperties`);
      }
      for (const [key, prop] of Object.entries(
        (obj['properties'] ?? {}) as Record<string, unknown>,
      )) {
        if (typeof (prop as { description?: unknown }).description !== 'string') {
          problems.push(`${where}/properties/${key}: no description`);
        }
      }
      for (const [key, value] of Object.entries(obj)) visit(value, `${where}/${key}`);
    };
    visit(schema, '#');
    expect(problems).to.deep.equal([]);
  });

  it('is the file shipped in schemas/', () => {
    expect(schema).to.deep.equal(JSON.parse(readFileSync('schemas/scenario.schema.json', 'utf8')));
  });
});
