/**
 * docs/troubleshooting.md names every error code the source can throw or answer with, so a user
 * who meets one finds it on the page.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './markdown.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every complete `ERR_…` code written as a string literal in src/. */
function codes(): string[] {
  const found = new Set<string>();
  for (const file of sources(join(ROOT, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/['`](ERR_[A-Z0-9_]*[A-Z0-9])['`]/g)) {
      found.add(m[1] ?? '');
    }
  }
  return [...found].sort();
}

describe('documentation: docs/troubleshooting.md', () => {
  it('finds the error codes of the source', () => {
    expect(codes()).to.include.members(['ERR_CONFIG_LISTEN', 'ERR_SCENARIO_INVALID']);
  });

  it('names every error code the source uses', () => {
    const page = readFileSync(join(ROOT, 'docs/troubleshooting.md'), 'utf8');
    expect(codes().filter((c) => !page.includes(c))).to.deep.equal([]);
  });
});
