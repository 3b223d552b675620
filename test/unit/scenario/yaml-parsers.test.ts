/**
 * The fast YAML reading (js-yaml's events and one composing pass) against the reference (the
 * `yaml` package): same data, same syntax issues, and the same line:col for every key and value
 * of every file the project ships or tests, of edge cases, and of generated documents.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { YamlSource, type DocPath } from '../../../src/util/yaml-source.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function* yamlFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.') || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* yamlFiles(path);
    else if (/\.ya?ml$/.test(name)) yield path;
  }
}

/** Every path of the data (each node once: aliases share theirs). */
function paths(
  value: unknown,
  path: DocPath = [],
  out: DocPath[] = [],
  seen = new Set(),
): DocPath[] {
  out.push(path);
  if (typeof value === 'object' && value !== null && !seen.has(value)) {
    seen.add(value);
    for (const [k, v] of Object.entries(value)) {
      paths(v, [...path, Array.isArray(value) ? Number(k) : k], out, seen);
    }
  }
  return out;
}

function sameReading(text: string, label: string): void {
  const fast = new YamlSource(text, 'f.yaml');
  const reference = new YamlSource(text, 'f.yaml', { parser: 'reference' });
  const issues = (s: YamlSource): string[] =>
    s.syntaxIssues.map((i) => `${i.line}:${i.col} ${i.message}`);
  expect(issues(fast), label).to.deep.equal(issues(reference));
  expect(fast.data, label).to.deep.equal(reference.data);
  if (reference.data === undefined) return;
  for (const path of paths(reference.data)) {
    for (const at of ['value', 'key'] as const) {
      expect(fast.position(path, at), `${label} ${JSON.stringify(path)} ${at}`).to.deep.equal(
        reference.position(path, at),
      );
    }
  }
}

const EDGE_CASES = [
  'a:\nb: 1',
  'a:   # c\nb: 1',
  '- \n- x',
  '-\n- x',
  '{ e, f: 1 }',
  '[ a: ]',
  '? k\nz: 1',
  'a: !!null\nb: 1',
  'a: &x\nb: 1',
  '{ a: , b: 1 }',
  '- a:\n  b: 1',
  '---\n',
  '',
  '# only\n',
  'a: &x\n  k: v\nb: *x\nc: !!str 12\n',
  'a: |\n  x\n  y\nb: >-\n  z\n',
  '- |\n  x\n- >\n  y\n- "q"\n- \'r\'',
  'a: 0o17\nb: 0x1F\nc: 1e3\nd: .inf\ne: -.INF\ng: ~\nh: Null\ni: TRUE\nj: yes\nk: 012\nl: +12\nm: 1.50\n',
  '1: a\n1.0: b\n',
  '"1": a\n1: b\n',
  '__proto__: {x: 1}\ntoString: 2\n',
  'null: a\n~: b\n',
  'a: b\n---\nc: d\n',
  '%YAML 1.1\n---\na: yes\n',
  'a: !foo bar\n',
  '? [a, b]\n: c\n',
  'a: *missing\n',
  'a: b: c\n',
  'a:\n\t- x\n',
  "a: 'unterminated\n",
  'a: [1, 2\n',
  'a: multi\n  line\n  plain\n',
  'x:\n  - &anc {a: 1}\n  - *anc\n',
  '- [a]\n-\n- {b: 1}\n- \n',
  '&r a: 1\n',
  'a: 1\na: 2\n',
  '- {a: 1, a: 1}\n- a: 2\n  a: 2\n',
];

describe('YAML reading: fast parser against the reference', function () {
  this.timeout(120_000);

  it('reads every YAML file of the project alike', () => {
    const files = [...yamlFiles(join(root, 'scenarios')), ...yamlFiles(join(root, 'test'))];
    expect(files.length).to.be.above(10);
    for (const file of files) sameReading(readFileSync(file, 'utf8'), file);
  });

  it('reads edge cases alike: empty values, styles, scalars, keys, aliases, errors', () => {
    for (const text of EDGE_CASES) sameReading(text, JSON.stringify(text));
  });

  it('reads generated documents alike, in block and flow style (fast-check seed 7, 300 runs)', () => {
    const scalar = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double({ noNaN: true }),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom('true', 'null', '0o17', '1e3', '~', 'a: b', '- x', '#c', "it's"),
    );
    const doc = fc.letrec((tie) => ({
      node: fc.oneof({ maxDepth: 4 }, scalar, tie('list'), tie('map')),
      list: fc.array(tie('node'), { maxLength: 4 }),
      map: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), tie('node'), { maxKeys: 4 }),
    })).map;
    fc.assert(
      fc.property(
        doc,
        fc.boolean(),
        fc.constantFrom('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE'),
        (data, flow, style) => {
          const text = stringify(
            { version: 1, data },
            {
              defaultStringType: style as 'PLAIN',
              collectionStyle: flow ? 'flow' : 'block',
            },
          );
          sameReading(text, text);
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });
});
