/**
 * A newcomer finds their way from the README: for each question a new user comes with, a page
 * that answers it under a heading is reachable from README.md within two links (README → page,
 * or README → page → page), following relative links to markdown files.
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Relative links to markdown files outside fenced code, resolved from the repository root. */
function markdownLinks(file: string, text: string): string[] {
  const prose = text.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  const out: string[] = [];
  for (const m of prose.matchAll(/\]\(([^)\s#]+\.md)(?:#[^)\s]*)?\)/g)) {
    const target = m[1] ?? '';
    if (/^[a-z]+:/i.test(target)) continue;
    out.push(normalize(join(dirname(file), target)));
  }
  return out;
}

function headings(text: string): string[] {
  const prose = text.replace(/^```[\s\S]*?^```/gm, '');
  return [...prose.matchAll(/^#{1,6}\s+(.*)$/gm)].map((m) => (m[1] ?? '').replace(/`/g, ''));
}

/** Every markdown page within `depth` links of README.md, with its distance. */
function reachable(depth: number): Map<string, number> {
  const seen = new Map<string, number>([['README.md', 0]]);
  let frontier = ['README.md'];
  for (let d = 1; d <= depth; d++) {
    const next: string[] = [];
    for (const file of frontier) {
      if (!existsSync(join(ROOT, file))) continue;
      for (const target of markdownLinks(file, readFileSync(join(ROOT, file), 'utf8'))) {
        if (seen.has(target) || !existsSync(join(ROOT, target))) continue;
        seen.set(target, d);
        next.push(target);
      }
    }
    frontier = next;
  }
  return seen;
}

const TOPICS: readonly { question: string; heading: RegExp }[] = [
  { question: 'refuse one password', heading: /refuse one password/i },
  { question: 'delay a status report', heading: /delay a status report/i },
  { question: 'send an MO', heading: /send an mo\b/i },
  { question: 'assert in CI', heading: /assert in ci/i },
  { question: 'use it from Python', heading: /python/i },
];

describe('documentation: a newcomer finds their way from the README', () => {
  const pages = reachable(2);

  it('the README is short and links every page of docs/', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme.split('\n').length).to.be.at.most(300);
    const linked = new Set(markdownLinks('README.md', readme));
    const docs = readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`);
    expect(docs.length).to.be.greaterThan(5);
    expect(docs.filter((page) => !linked.has(page))).to.deep.equal([]);
  });

  for (const { question, heading } of TOPICS) {
    it(`"${question}": a page within two links of the README has a heading for it`, () => {
      const hits = [...pages]
        .filter(([, d]) => d >= 1)
        .filter(([file]) =>
          headings(readFileSync(join(ROOT, file), 'utf8')).some((h) => heading.test(h)),
        )
        .map(([file]) => file);
      expect(hits, `no page reachable from README.md has a heading matching ${String(heading)}`).to
        .not.be.empty;
    });
  }
});
