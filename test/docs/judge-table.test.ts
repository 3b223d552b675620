/**
 * The checks table of docs/judge.md agrees with the judge's own table (src/judge/checks.ts), and
 * the scenario schema's `checks:` block lists exactly those ids: a row missing, added or worded
 * differently on either side fails.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKS } from '../../src/judge/index.js';
import { ROOT } from './markdown.js';

const page = readFileSync(join(ROOT, 'docs/judge.md'), 'utf8');

/** The table rows (cells trimmed, header and rule left out) of the section under `heading`. */
function rows(heading: string): string[][] {
  const start = page.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/judge.md has no heading "${heading}"`);
  const rest = page.slice(start + heading.length + 2);
  const end = rest.search(/\n#{1,6} /);
  const lines = (end < 0 ? rest : rest.slice(0, end)).split('\n').filter((l) => l.startsWith('|'));
  return lines.slice(2).map((l) =>
    l
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replaceAll('\\|', '|')),
  );
}

describe('documentation: docs/judge.md checks table matches the judge', () => {
  it('one row per check: id, severity, explanation, rule', () => {
    const expected = CHECKS.map((c) => [`\`${c.id}\``, c.severity, c.explanation, c.rule]);
    expect(rows('## Checks')).to.deep.equal(expected);
  });

  it('the scenario schema lists every check id under checks:, plus all', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/scenario.schema.json'), 'utf8')) as {
      properties: { checks: { properties: Record<string, unknown> } };
    };
    expect(Object.keys(schema.properties.checks.properties)).to.deep.equal([
      'all',
      ...CHECKS.map((c) => c.id),
    ]);
  });
});
