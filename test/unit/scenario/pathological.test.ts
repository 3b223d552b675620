/**
 * The pathological scenarios corpus (test/fixtures/pathological): regexes and globs that
 * backtrack badly in JavaScript (in scenarios and in expectations), and scenarios and expectations
 * files of every shape at the size limit (1 MiB). Matching and loading run in a child process, so
 * that a regression (a backtracking engine, a quadratic loader) fails at the child's timeout
 * instead of freezing the test run.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MAX_SCENARIO_BYTES, validateScenarioText } from '../../../src/scenario/load.js';
import { ExpectationsError } from '../../../src/transcript/errors.js';
import { loadExpectations, MAX_EXPECTATIONS_BYTES } from '../../../src/transcript/expectations.js';
import { matchValue } from '../../../src/transcript/matcher.js';
import { compileRegex } from '../../../src/scenario/matchers.js';
import {
  MAX_SCENARIO_PROGRAM,
  compileLinearGlob,
  MAX_PATTERN_PROGRAM,
  PATTERN_ENGINE,
} from '../../../src/scenario/linear-regex.js';
import { oneRule, REDOS_GLOBS, REDOS_REGEXES } from '../../fixtures/pathological/corpus.js';

interface Row {
  readonly name: string;
  readonly ms: number;
  readonly cpuMs?: number;
  readonly loaded: boolean;
  readonly issues: number;
  readonly first?: string;
  readonly last?: string;
  readonly matched?: boolean;
}

const runner = fileURLToPath(new URL('../../fixtures/pathological/run.ts', import.meta.url));

function runCorpus(
  mode: 'match' | 'expect' | 'load' | 'load-expectations',
  timeoutMs: number,
): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', runner, mode],
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 20 },
      (error, stdout) => {
        if (error)
          reject(new Error(`corpus ${mode} did not finish in ${timeoutMs} ms: ${error.message}`));
        else resolve(JSON.parse(stdout) as Row[]);
      },
    );
  });
}

const issuesOf = (regex: string): string[] =>
  validateScenarioText(oneRule(JSON.stringify({ regex })), 'p.yaml').map(
    (i) => `${i.file}:${i.line}:${i.col}: ${i.message}`,
  );

describe('pathological scenarios: matching', function () {
  this.timeout(60_000);

  it('compiles every regex and glob to the linear-time engine', () => {
    for (const { regex } of REDOS_REGEXES)
      expect(compileRegex(regex).engine).to.equal(PATTERN_ENGINE);
    for (const { glob } of REDOS_GLOBS)
      expect(compileLinearGlob(glob).engine).to.equal(PATTERN_ENGINE);
    expect(PATTERN_ENGINE).to.equal('re2js');
  });

  it('loads the ReDoS corpus and answers a 4 KB value per pattern within the budget', async () => {
    // A backtracking engine takes seconds to years here; the child is killed after 20 s.
    const rows = await runCorpus('match', 20_000);
    expect(rows.map((r) => r.name)).to.have.length(REDOS_REGEXES.length + REDOS_GLOBS.length);
    for (const row of rows) {
      expect(row, row.name).to.include({ loaded: true, issues: 0, matched: false });
      // The budget is 10 ms; the bound is generous for a shared, loaded machine.
      expect(row.ms, row.name).to.be.below(100);
    }
  });

  it('still matches what it should, with the semantics of the JavaScript syntax', () => {
    expect(compileRegex('^(aa?)+$').test('aaaa')).to.equal(true);
    expect(compileRegex('^PIN \\d{4}$').test('PIN 1234')).to.equal(true);
    expect(compileRegex('^\\u00e9.$').test('é😀')).to.equal(true);
    expect(compileRegex('^(?<code>\\d{3})$').test('064')).to.equal(true);
    expect(compileLinearGlob('*a*a*a*a*b').test('xaxaxaxaxb')).to.equal(true);
    expect(compileLinearGlob('+358.?*').test('+358.1 2')).to.equal(true);
    expect(compileLinearGlob('+358.?*').test('+3580')).to.equal(false);
  });

  it('refuses lookahead, lookbehind and backreferences at load, at the regex line:col', () => {
    expect(issuesOf('^(?=a)b')).to.deep.equal([
      'p.yaml:3:40: rules[0].when.text.regex: regex "^(?=a)b": lookahead is not supported (linear-time engine)',
    ]);
    expect(issuesOf('(?<!a)b')[0]).to.match(
      /regex "\(\?<!a\)b": lookbehind is not supported \(linear-time engine\)$/,
    );
    expect(issuesOf('(a)\\1')[0]).to.match(
      /backreferences are not supported \(linear-time engine\)$/,
    );
    expect(issuesOf('(?<n>a)\\k<n>')[0]).to.match(/named backreferences are not supported/);
    // A plain syntax error keeps JavaScript's wording.
    expect(issuesOf('^(PIN')[0]).to.match(
      /invalid regular expression "\^\(PIN": Unterminated group$/,
    );
  });

  it('refuses 30,000 nested groups and oversized programs at load instead of throwing at match time', () => {
    const nested = `${'('.repeat(30_000)}a${')'.repeat(30_000)}`;
    expect(issuesOf(nested)[0]).to.match(
      /: regex "\(\(\(.*\.\.\.": expression nests too deeply \(linear-time engine\)$/,
    );
    expect(issuesOf('(?:a?){1000}a{1000}')[0]).to.match(
      new RegExp(
        `too large: \\d+ instructions, over the limit of ${MAX_PATTERN_PROGRAM} \\(linear-time engine\\)$`,
      ),
    );
    const glob = validateScenarioText(
      oneRule(JSON.stringify({ glob: '?'.repeat(5000) })),
      'g.yaml',
    );
    expect(glob.map((i) => i.message)).to.deep.equal([
      `rules[0].when.text.glob: glob "${'?'.repeat(57)}...": too large: 5004 instructions, over the limit of ${MAX_PATTERN_PROGRAM} (linear-time engine)`,
    ]);
  });
});

describe('pathological scenarios: the matching work of a whole scenario is bounded', () => {
  it('refuses the pattern that takes the scenario over its instruction budget, at its line', () => {
    // Each regex is under the per-pattern limit; together they would make every unmatched request
    // (its near-miss explanation tries every rule) cost their sum.
    const rules = Array.from(
      { length: 30 },
      (_, i) =>
        `  - id: r${i}\n    when: { op: submit, text: { regex: "(?:a?){320}a{320}${'x'.repeat(i % 3)}" } }\n    then: [ { respond: {} } ]`,
    );
    const text = ['version: 1', 'rules:', ...rules, ''].join('\n');
    const issues = validateScenarioText(text, 'many.yaml');
    expect(issues).to.have.length(1);
    const [issue] = issues;
    expect(issue?.message).to.match(
      new RegExp(
        `^rules\\[(\\d+)\\]\\.when\\.text\\.regex: the regexes and globs of this scenario come to over ${MAX_SCENARIO_PROGRAM} instructions`,
      ),
    );
    const index = Number(/rules\[(\d+)\]/.exec(issue?.message ?? '')?.[1]);
    expect(index).to.be.within(19, 22); // ~962 instructions each: the 21st crosses 20,000
    expect(issue?.line).to.equal(4 + 3 * index); // the `when` line of that rule
    expect(
      validateScenarioText(
        ['version: 1', 'rules:', ...rules.slice(0, 15), ''].join('\n'),
        'ok.yaml',
      ),
    ).to.deep.equal([]);
  });
});

describe('pathological expectations: user patterns run on the linear-time engine', function () {
  this.timeout(60_000);

  it('answers each ReDoS regex and glob over a 4 KB field promptly and rightly', async () => {
    // A backtracking engine takes seconds to years on the first value; the child is killed after 20 s.
    const rows = await runCorpus('expect', 20_000);
    expect(rows).to.have.length(REDOS_REGEXES.length + REDOS_GLOBS.length);
    for (const row of rows) {
      // `count … equals: 1`: the 4 KB value that backtracks does not match, the other one does.
      expect(row, row.name).to.include({ matched: true });
      expect(row.ms, row.name).to.be.below(100);
    }
  });

  it('matches transcript values with the semantics of the JavaScript syntax', () => {
    expect(matchValue({ regex: '^(aa?)+$' }, 'aaaa')).to.equal(true);
    expect(matchValue({ regex: '^(aa?)+$' }, `${'a'.repeat(4095)}b`)).to.equal(false);
    expect(matchValue({ regex: 'Order \\d+ confirmed' }, 'Your Order 12 confirmed')).to.equal(true);
    expect(matchValue({ glob: '+358*' }, '+358401234567')).to.equal(true);
    expect(matchValue({ glob: '+358*' }, '+359401234567')).to.equal(false);
  });

  it('refuses what the engine cannot run as a located error of the expectations file', () => {
    const issuesOf = (matcher: string): string[] => {
      try {
        loadExpectations(
          `- count:\n    match: { op: submit, fields: { text: ${matcher} } }\n    equals: 0\n`,
          'e.yaml',
        );
      } catch (error) {
        if (error instanceof ExpectationsError)
          return error.issues.map(
            (i) => error.message && `${i.file}:${i.line}:${i.col}: ${i.message}`,
          );
        throw error;
      }
      return [];
    };
    expect(issuesOf('{ regex: "(?=a)b" }')).to.deep.equal([
      'e.yaml:2:51: [0].count.match.fields.text.regex: invalid regular expression: lookahead is not supported (linear-time engine)',
    ]);
    expect(issuesOf('{ regex: "(a)\\\\1" }')[0]).to.match(
      /^e\.yaml:2:51: .*regex: invalid regular expression: backreferences are not supported \(linear-time engine\)$/,
    );
    expect(issuesOf(`{ glob: "${'?'.repeat(2000)}" }`)).to.deep.equal([
      `e.yaml:2:50: [0].count.match.fields.text.glob: invalid glob: too large: 2004 instructions, over the limit of ${MAX_PATTERN_PROGRAM} (linear-time engine)`,
    ]);
    // A plain syntax error keeps JavaScript's wording.
    expect(issuesOf('{ regex: "([" }')[0]).to.match(
      /regex: invalid regular expression: Invalid regular expression: \/\(\[\/u: /,
    );
  });
});

describe('pathological scenarios: loading the default limit (1 MiB) of every shape', function () {
  this.timeout(300_000);

  it('is the limit of scenarios and expectations files', () => {
    expect(DEFAULT_MAX_SCENARIO_BYTES).to.equal(1024 * 1024);
    expect(MAX_EXPECTATIONS_BYTES).to.equal(1024 * 1024);
  });

  it('loads or refuses each scenario shape in time linear in its size, listing at most 100 issues', async () => {
    // Before the one-pass duplicate check and the key index, 60,000 keys took 99 s; the yaml
    // package's parser alone needed 1.5–2.2 s per MiB.
    const rows = await runCorpus('load', 280_000);
    const by = new Map(rows.map((r) => [r.name, r]));
    expect(rows).to.have.length(18);
    for (const row of rows) {
      expect(row.issues, row.name).to.be.at.most(101);
      // The budget is 1 s on an idle machine (bench/load-cell.mjs measures it); the bound is
      // generous for a shared, loaded one.
      expect(row.ms, row.name).to.be.below(10_000);
      expect(row.first ?? '', row.name).not.to.match(/over the limit/);
    }
    for (const name of [
      'many rules',
      'many rules (block style)',
      'many anchors and aliases',
      'comment flood',
      'one huge line (valid rules)',
      'long string',
      'long plain string',
      'long block string',
    ]) {
      expect(by.get(name), name).to.include({ loaded: true, issues: 0 });
    }
    expect(by.get('key flood (one mapping, valid)')?.first).to.match(/unknown key "x"/);
    expect(by.get('many flow maps')?.first).to.match(/unknown key "x"/);
    expect(by.get('one huge line (key flood)')?.first).to.match(/unknown key "x"/);
    expect(by.get('key flood (top level)')?.issues).to.equal(101);
    expect(by.get('key flood (top level)')?.last).to.match(/^… and \d{5,} more issues$/);
    expect(by.get('many rule issues')?.first).to.match(/unknown key "destinaton" \(did you mean/);
    expect(by.get('many rule issues')?.last).to.match(/^… and \d{4,} more issues$/);
    expect(by.get('duplicate keys')?.first).to.equal('YAML syntax error: Map keys must be unique');
    expect(by.get('duplicate keys')?.last).to.match(/^… and \d{5,} more issues$/);
    expect(by.get('alias chain')?.first).to.equal(
      'YAML error: Excessive alias count indicates a resource exhaustion attack',
    );
    expect(by.get('deep nesting (flow)')?.first).to.equal(
      'YAML error: flow collections nested more than 64 deep',
    );
    expect(by.get('deep nesting (block)')?.first).to.equal(
      'YAML error: collections nested more than 1000 deep',
    );
    expect(by.get('many documents')?.first).to.match(
      /^YAML syntax error: Source contains multiple documents/,
    );
  });

  it('loads or refuses each expectations shape in time linear in its size', async () => {
    const rows = await runCorpus('load-expectations', 280_000);
    const by = new Map(rows.map((r) => [r.name, r]));
    expect(rows.map((r) => r.name)).to.deep.equal([
      'many checks',
      'many check issues',
      'key flood',
    ]);
    for (const row of rows) expect(row.ms, row.name).to.be.below(10_000);
    expect(by.get('many checks')).to.include({ loaded: true, issues: 0 });
    expect(by.get('many check issues')?.issues).to.equal(101);
    expect(by.get('many check issues')?.last).to.match(/^… and \d{4,} more issues$/);
    expect(by.get('key flood')?.first).to.match(/^\[0\]: unknown key "k0"/);
    expect(by.get('key flood')?.last).to.match(/^… and \d{5,} more issues$/);
  });
});
