/**
 * Every ```ts block of the documentation compiles against the package's own types: each block is
 * written as a module into a scratch folder of the repository, where `cimd2-mock`,
 * `cimd2-mock/protocol` and `cimd2-mock/testing` resolve to src/ through tsconfig paths, and one
 * `tsc --noEmit` checks them all. Names a block uses without showing them come from its
 * `<!-- doc-test: declare … -->` directive; `skip (reason)` leaves a block out.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allBlocks, directiveKind, ROOT, where, type CodeBlock } from './markdown.js';

const SCRATCH = join(ROOT, '.doc-test', 'ts');

interface Written {
  readonly block: CodeBlock;
  readonly name: string;
  /** Lines put above the block's first line. */
  readonly prelude: number;
}

function write(blocks: readonly CodeBlock[]): Written[] {
  rmSync(SCRATCH, { recursive: true, force: true });
  mkdirSync(SCRATCH, { recursive: true });
  const tsconfig = {
    extends: '../../tsconfig.json',
    compilerOptions: {
      rootDir: '../..',
      noEmit: true,
      types: ['node', 'mocha'],
      // A style option of this repository, not something a user's project must have.
      noPropertyAccessFromIndexSignature: false,
      paths: {
        'cimd2-mock': ['../../src/index.ts'],
        'cimd2-mock/protocol': ['../../src/protocol/index.ts'],
        'cimd2-mock/testing': ['../../src/testing/index.ts'],
      },
    },
    include: ['*.ts'],
  };
  writeFileSync(join(SCRATCH, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  return blocks.map((block) => {
    const name = `${block.file.replace(/[^\w]+/g, '_')}_${block.line}.ts`;
    const declare = /^declare\s+([\s\S]*)$/.exec(block.directive ?? '');
    const head = ['export {};', ...(declare ? [`declare ${declare[1] ?? ''}`] : [])];
    writeFileSync(join(SCRATCH, name), `${head.join('\n')}\n${block.code}`);
    return { block, name, prelude: head.length };
  });
}

const blocks = allBlocks().filter(
  (b) => ['ts', 'typescript', 'mts'].includes(b.lang) && directiveKind(b) !== 'skip',
);

describe('documentation: ts blocks', function () {
  this.timeout(180_000);

  it('finds the TypeScript examples of docs/api.md', () => {
    expect(blocks.filter((b) => b.file === 'docs/api.md').length).to.be.greaterThan(5);
  });

  it('compile against the package types (one tsc run for all blocks)', () => {
    const written = write(blocks);
    const tsc = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(SCRATCH, 'tsconfig.json')],
      { cwd: ROOT, encoding: 'utf8' },
    );
    const byName = new Map(written.map((w) => [w.name, w]));
    // Point each diagnostic at the markdown line it comes from.
    const errors = `${tsc.stdout}${tsc.stderr}`
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const m = /(?:^|\/)([\w.]+\.ts)\((\d+),(\d+)\): (.*)$/.exec(l);
        const w = m ? byName.get(m[1] ?? '') : undefined;
        if (!m || !w) return l;
        const line = Number(m[2]) - w.prelude;
        return `${where(w.block, line - 1)}:${m[3] ?? ''}: ${m[4] ?? ''}`;
      });
    expect(errors, errors.join('\n')).to.deep.equal([]);
    expect(tsc.status).to.equal(0);
    rmSync(join(ROOT, '.doc-test'), { recursive: true, force: true });
  });
});
