/**
 * Reading the project's markdown for the doc tests: which files are documentation, their fenced
 * code blocks with the `<!-- doc-test: … -->` directive written above each, and their headings
 * and links.
 *
 * A directive is an HTML comment on the lines just above the opening fence (blank lines and other
 * HTML comments such as `<!-- prettier-ignore -->` may stand between). Its words:
 *
 * - `skip (reason)` — not checked at all;
 * - `manual (reason)` — a shell block that needs something the tests cannot give (a real client,
 *   a process that runs until stopped, two terminals);
 * - `invalid "message"` — a YAML block that must be refused with an issue containing `message`;
 * - `scenario`, `expectations` — what a YAML block is (else told by its `$schema` comment or by
 *   its content);
 * - `scenario-keys`, `scenario-rules`, `scenario-afterwards` — a YAML fragment: top-level keys of
 *   a scenario (`version: 1` is added), a list of rules, or a list of `afterwards` items of a
 *   submit rule;
 * - `json control-api NAME` — a JSON block is an instance of that component schema of
 *   `schemas/control-api.openapi.json` (else every line is a transcript record);
 * - `declare …` — TypeScript declarations a `ts` block needs and does not show (the rest of the
 *   comment is put above the block);
 * - `with-mock` — a shell block runs while a mock the harness started listens.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');

/** The documentation files the doc tests read, relative to the repository root. */
export function docFiles(): string[] {
  const files = ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', 'bench/README.md'].filter((f) =>
    exists(join(ROOT, f)),
  );
  const docs = join(ROOT, 'docs');
  if (exists(docs)) files.push(...walk(docs).map((f) => relative(ROOT, f)));
  return files;
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return walk(path);
      return e.name.endsWith('.md') ? [path] : [];
    });
}

/** One fenced code block. */
export interface CodeBlock {
  /** Repository-relative file. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The info string's first word, lowercased (`yaml`, `ts`, `sh`, … or ''). */
  readonly lang: string;
  /** The block's text, without the fences, ending with a newline. */
  readonly code: string;
  /** The directive above the block (text after `doc-test:`), or undefined. */
  readonly directive: string | undefined;
}

/** `file:line` of a block, for messages. */
export function where(block: CodeBlock, offset = 0): string {
  return `${block.file}:${block.line + 1 + offset}`;
}

const FENCE = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)/;
const DIRECTIVE = /^<!--\s*doc-test:\s*([\s\S]*?)\s*-->$/;

/** Every fenced code block of a markdown text. */
export function codeBlocks(file: string, text: string): CodeBlock[] {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) continue;
    const fence = open[2] ?? '```';
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j] ?? '';
      if (l.trimStart().startsWith(fence) && l.trim().replace(/[`~]/g, '') === '') break;
      body.push(l);
    }
    blocks.push({
      file,
      line: i + 1,
      lang: (open[3] ?? '').toLowerCase(),
      code: body.length > 0 ? `${body.join('\n')}\n` : '',
      directive: directiveAbove(lines, i),
    });
    i = j;
  }
  return blocks;
}

function directiveAbove(lines: readonly string[], fence: number): string | undefined {
  for (let k = fence - 1; k >= 0; k--) {
    const l = (lines[k] ?? '').trim();
    if (l === '') continue;
    if (!l.startsWith('<!--')) return undefined;
    const m = DIRECTIVE.exec(l);
    if (m) return m[1];
  }
  return undefined;
}

/** Every fenced block of every documentation file. */
export function allBlocks(): CodeBlock[] {
  return docFiles().flatMap((f) => codeBlocks(f, readFileSync(join(ROOT, f), 'utf8')));
}

/** The first word of a directive (`skip`, `manual`, `invalid`, …), or ''. */
export function directiveKind(block: CodeBlock): string {
  return block.directive?.split(/\s+/)[0] ?? '';
}

/** The markdown with fenced code blocks and inline code spans blanked (same line count). */
export function proseOnly(text: string): string {
  const lines = text.split('\n');
  let fence: string | undefined;
  return lines
    .map((l) => {
      const open = FENCE.exec(l);
      if (fence !== undefined) {
        if (l.trimStart().startsWith(fence) && l.trim().replace(/[`~]/g, '') === '')
          fence = undefined;
        return '';
      }
      if (open) {
        fence = open[2];
        return '';
      }
      return l;
    })
    .join('\n');
}

/** GitHub's anchor for a heading text: lowercase, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/`/g, '')
    .replace(/<[^>]+>/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a markdown file offers: heading slugs (duplicates get -1, -2 …) and `<a id>`s. */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of proseOnly(text).split('\n')) {
    const h = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = slug(h[1] ?? '');
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const a of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) out.add(a[1] ?? '');
  }
  return out;
}

/** A link found in prose: its target as written and its 1-based line. */
export interface Link {
  readonly target: string;
  readonly line: number;
}

/** Inline links and images `[text](target)` outside code. */
export function links(text: string): Link[] {
  const out: Link[] = [];
  proseOnly(text)
    .split('\n')
    .forEach((line, i) => {
      const prose = line.replace(/`[^`]*`/g, '');
      for (const m of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        out.push({ target: m[1] ?? '', line: i + 1 });
      }
    });
  return out;
}
