/**
 * Every ```yaml block of the documentation loads with the real loaders (schema and semantic
 * checks), or is refused with the message its `<!-- doc-test: invalid "…" -->` directive names.
 */
import { expect } from 'chai';
import { parse } from 'yaml';
import { loadScenarioText } from '../../src/scenario/index.js';
import { loadExpectations } from '../../src/transcript/expectations.js';
import { allBlocks, directiveKind, where, type CodeBlock } from './markdown.js';

type YamlKind = 'scenario' | 'expectations';

const indent = (text: string, n: number): string =>
  text
    .split('\n')
    .map((l) => (l === '' ? l : ' '.repeat(n) + l))
    .join('\n');

/** The YAML text to load and what it is, after unwrapping the block's directive. */
function document(block: CodeBlock): { kind: YamlKind; text: string } {
  const kind = directiveKind(block);
  const code = block.code;
  switch (kind) {
    case 'scenario':
    case 'expectations':
      return { kind, text: code };
    case 'scenario-keys':
      return { kind: 'scenario', text: `version: 1\n${code}` };
    case 'scenario-rules':
      return { kind: 'scenario', text: `version: 1\nrules:\n${indent(code, 2)}` };
    case 'scenario-afterwards':
      return {
        kind: 'scenario',
        text: `version: 1\nrules:\n  - when: { op: submit }\n    then: [{ respond: {} }]\n    afterwards:\n${indent(code, 6)}`,
      };
    default:
      break;
  }
  if (/\$schema=\S*scenario\.schema\.json/.test(code)) return { kind: 'scenario', text: code };
  if (/\$schema=\S*expectations\.schema\.json/.test(code)) {
    return { kind: 'expectations', text: code };
  }
  const data: unknown = parse(code);
  if (data !== null && typeof data === 'object' && !Array.isArray(data) && 'version' in data) {
    return { kind: 'scenario', text: code };
  }
  throw new Error(
    `${where(block)}: a yaml block that is neither a scenario nor marked: add <!-- doc-test: ` +
      'scenario | expectations | scenario-keys | scenario-rules | scenario-afterwards | ' +
      'invalid "message" | skip (reason) --> above it',
  );
}

/** The issue lines of a failed load, or [] when the text loads. */
function issuesOf(kind: YamlKind, text: string, file: string): string[] {
  try {
    if (kind === 'scenario') loadScenarioText(text, file);
    else loadExpectations(text, file);
    return [];
  } catch (error) {
    const issues = (error as { issues?: { line: number; col: number; message: string }[] }).issues;
    if (!issues) throw error;
    return issues.map((i) => `${i.line}:${i.col}: ${i.message}`);
  }
}

const blocks = allBlocks().filter((b) => b.lang === 'yaml' || b.lang === 'yml');

describe('documentation: yaml blocks', () => {
  it('finds the yaml blocks of docs/scenarios.md', () => {
    expect(blocks.filter((b) => b.file === 'docs/scenarios.md').length).to.be.greaterThan(5);
  });

  for (const block of blocks) {
    const kind = directiveKind(block);
    if (kind === 'skip') continue;
    const invalid = kind === 'invalid' ? /^invalid\s+"(.*)"/.exec(block.directive ?? '') : null;
    it(`${where(block)} ${invalid ? 'is refused as documented' : 'loads'}`, () => {
      if (kind === 'invalid' && !invalid) {
        throw new Error(`${where(block)}: write the expected message: invalid "…"`);
      }
      const doc: { kind: YamlKind; text: string } = invalid
        ? {
            kind: /\$schema=\S*expectations/.test(block.code) ? 'expectations' : 'scenario',
            text: block.code,
          }
        : document(block);
      const issues = issuesOf(doc.kind, doc.text, block.file);
      if (invalid) {
        const wanted = invalid[1] ?? '';
        expect(
          issues,
          `${where(block)}: expected an issue containing ${JSON.stringify(wanted)}`,
        ).to.satisfy((list: string[]) => list.some((m) => m.includes(wanted)));
      } else {
        expect(issues, `${where(block)} (${doc.kind})`).to.deep.equal([]);
      }
    });
  }
});
