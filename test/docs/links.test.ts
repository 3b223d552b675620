/**
 * Every relative link of the documentation resolves: the file exists, and a `#anchor` (in the same
 * page or another markdown page) is one of that page's GitHub heading anchors.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { anchors, docFiles, links, ROOT, slug } from './markdown.js';

const cache = new Map<string, Set<string>>();
function anchorsOf(file: string): Set<string> {
  let set = cache.get(file);
  if (!set) {
    set = anchors(readFileSync(join(ROOT, file), 'utf8'));
    cache.set(file, set);
  }
  return set;
}

/** The problems of one file's links, as `file:line: message`. */
function broken(file: string, text = readFileSync(join(ROOT, file), 'utf8')): string[] {
  const problems: string[] = [];
  const own = anchors(text);
  for (const { target, line } of links(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: …
    const [path = '', anchor] = target.split('#', 2);
    const resolved = path === '' ? file : normalize(join(dirname(file), decodeURI(path)));
    if (relative(ROOT, join(ROOT, resolved)).startsWith('..')) {
      problems.push(`${file}:${line}: ${target} points outside the repository`);
      continue;
    }
    if (!existsSync(join(ROOT, resolved))) {
      problems.push(`${file}:${line}: ${target}: no such file ${resolved}`);
      continue;
    }
    if (anchor === undefined || !resolved.endsWith('.md')) continue;
    if (!(resolved === file ? own : anchorsOf(resolved)).has(anchor)) {
      problems.push(`${file}:${line}: ${target}: ${resolved} has no heading #${anchor}`);
    }
  }
  return problems;
}

describe('documentation: links', () => {
  it('computes GitHub heading anchors', () => {
    expect(slug('Tested with Kannel 1.4.5')).to.equal('tested-with-kannel-145');
    expect(slug('Server core (component API)')).to.equal('server-core-component-api');
    expect(slug('`server-start`, `server-stop`')).to.equal('server-start-server-stop');
    expect(slug('Reading a transcript: `cimd2-mock show`')).to.equal(
      'reading-a-transcript-cimd2-mock-show',
    );
    expect([
      ...anchors('# A\n## B\n```\n# not a heading\n```\n## B\n<a id="x"></a>\n'),
    ]).to.deep.equal(['a', 'b', 'b-1', 'x']);
  });

  it('reports a missing file and a missing anchor', () => {
    const text = '[a](nowhere.md) [b](#nope) `[c](#in-code)`\n# Title\n[d](#title)\n';
    expect(links(text).map((l) => l.target)).to.deep.equal(['nowhere.md', '#nope', '#title']);
    expect(broken('README.md', text)).to.deep.equal([
      'README.md:1: nowhere.md: no such file nowhere.md',
      'README.md:1: #nope: README.md has no heading #nope',
    ]);
    expect(broken('docs/page.md', '[q](../README.md#quick-start)\n')).to.deep.equal([]);
    expect(broken('docs/page.md', '[q](../README.md#quick-stat)\n')).to.deep.equal([
      'docs/page.md:1: ../README.md#quick-stat: README.md has no heading #quick-stat',
    ]);
  });

  for (const file of docFiles()) {
    it(`${file}: every relative link and anchor resolves`, () => {
      expect(broken(file)).to.deep.equal([]);
    });
  }
});
