/**
 * Every ```json block of the documentation is valid against its schema: transcript record lines
 * against schemas/transcript.schema.json, or the control API component named by a
 * `<!-- doc-test: json control-api NAME -->` directive; `skip (reason)` leaves one out.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { allBlocks, directiveKind, where, type CodeBlock } from './markdown.js';

const schema = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../schemas/${name}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

const ajv = new Ajv2020({ strict: false, allErrors: true, allowUnionTypes: true });
const transcript = ajv.compile(schema('transcript.schema.json'));
ajv.addSchema({ ...schema('control-api.openapi.json'), $id: 'control-api.json' });

function errorsOf(validate: ReturnType<typeof ajv.compile>, value: unknown): string[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

function check(block: CodeBlock): string[] {
  const directive = block.directive ?? '';
  const api = /^json\s+control-api\s+(\w+)/.exec(directive);
  if (api) {
    const validate = ajv.getSchema(`control-api.json#/components/schemas/${api[1] ?? ''}`);
    if (!validate) return [`${where(block)}: no control API schema ${api[1] ?? ''}`];
    return errorsOf(validate, JSON.parse(block.code)).map((e) => `${where(block)}: ${e}`);
  }
  if (directive !== '') return [`${where(block)}: unknown directive "${directive}"`];
  return block.code
    .split('\n')
    .map((line, i) => ({ line, i }))
    .filter(({ line }) => line.trim() !== '')
    .flatMap(({ line, i }) => {
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch (error) {
        return [
          `${where(block, i)}: not one JSON record per line (${(error as Error).message}); ` +
            'mark other JSON with <!-- doc-test: json control-api NAME --> or skip (reason)',
        ];
      }
      return errorsOf(transcript, record).map((e) => `${where(block, i)}: ${e}`);
    });
}

const blocks = allBlocks().filter((b) => b.lang === 'json' || b.lang === 'jsonl');

describe('documentation: json blocks', () => {
  it('finds the transcript examples of docs/transcript.md', () => {
    expect(blocks.filter((b) => b.file === 'docs/transcript.md').length).to.be.greaterThan(5);
  });

  for (const block of blocks) {
    if (directiveKind(block) === 'skip') continue;
    it(`${where(block)} matches its schema`, () => {
      expect(check(block)).to.deep.equal([]);
    });
  }
});
