/**
 * A YAML text parsed with positions, so that a path into its data (or the JSON pointer ajv
 * reports) can be located back at the `file:line:col` of the node it names. Used by every
 * YAML file the mock reads (scenarios, expectations) so their issues read alike.
 */
import { createRequire } from 'node:module';
import type * as YamlModule from 'yaml';
import type { Document, Node, Pair, YAMLMap } from 'yaml';
import { composeYaml, entryOffsets } from './yaml-compose.js';
import type { Composed, MapOffsets, SeqOffsets } from './yaml-compose.js';

/** A path into the document: map keys and sequence indexes, root first. */
export type DocPath = readonly (string | number)[];

/** One problem in a YAML file, located at the offending node (1-based line and column). */
export interface SourceIssue {
  /** The file name as given to the loader (or a label such as `<inline>`). */
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Starts with the readable path of the offending node, e.g. `rules[2].then: …`. */
  readonly message: string;
  /** JSON pointer of the offending node, e.g. `/rules/2/then/0`; `` for the root. */
  readonly path: string;
}

/** Where {@link YamlSource.issue} points and how it labels the message. */
export interface IssueOptions {
  /** `key`: the key of the last map entry of the path (for unknown or misspelled keys). */
  readonly at?: 'value' | 'key';
  /** Readable path put before the message (default: the issue's path). */
  readonly prefix?: DocPath;
}

/** Flow collections (`[…]`, `{…}`) nested deeper than this are refused before parsing. */
export const MAX_FLOW_NESTING = 64;

/**
 * The offset of the first `[` or `{` that opens a flow collection nested deeper than `max`, or
 * undefined. One linear pass that skips quoted scalars and comments; brackets inside plain
 * scalars are counted too, which only matters for text with `max` unclosed brackets.
 */
export function flowNestingOffset(text: string, max: number): number | undefined {
  let depth = 0;
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      lineStart = true;
      continue;
    }
    const afterSpace =
      lineStart || text.charCodeAt(i - 1) === 0x20 || text.charCodeAt(i - 1) === 0x09;
    lineStart = false;
    if (c === 0x23 /* # */ && afterSpace) {
      const end = text.indexOf('\n', i);
      if (end === -1) return undefined;
      i = end - 1;
    } else if (c === 0x27 /* ' */ && (afterSpace || '[{,'.includes(text.charAt(i - 1)))) {
      const end = text.indexOf("'", i + 1);
      if (end === -1) return undefined;
      i = end;
    } else if (c === 0x22 /* " */) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22)
        j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      i = j;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) {
      depth--;
    }
  }
  return undefined;
}

/**
 * Texts up to this many UTF-16 units that the fast parser refuses, or that use what it does not
 * model exactly (explicit tags, directives, collection keys, several documents), are read again by
 * the `yaml` package, so their data and the wording and position of their syntax errors stay
 * those of the reference parser. Its 1–2 s of CPU per MiB keep this at most half a second; a
 * larger text keeps the fast parser's reading.
 */
export const REFERENCE_PARSE_MAX_CHARS = 256 * 1024;

const requireCjs = createRequire(import.meta.url);
let yamlModule: typeof YamlModule | undefined;
/** The `yaml` package, loaded on first use: only the reference reading needs it (start-up time). */
function yaml(): typeof YamlModule {
  return (yamlModule ??= requireCjs('yaml') as typeof YamlModule);
}

/** Line starts of a text, built on the first lookup: offset → 1-based line and column. */
class LineIndex {
  private starts: number[] | undefined;
  private readonly text: string;
  constructor(text: string) {
    this.text = text;
  }

  linePos(offset: number): { line: number; col: number } {
    let starts = this.starts;
    if (!starts) {
      starts = [0];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) {
        starts.push(i + 1);
      }
      this.starts = starts;
    }
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - (starts[lo] ?? 0) + 1 };
  }
}

/** How a parsed text finds the offset of the node at a path. */
type Locator = (path: DocPath, at: 'value' | 'key') => number;

/** A parsed YAML file that can turn document paths into source positions. */
export class YamlSource {
  /** The text as parsed (a leading byte order mark removed). */
  readonly text: string;
  readonly file: string;
  /** The document's plain data: null for an empty file, undefined when there are syntax errors. */
  readonly data: unknown;
  /** YAML syntax errors (duplicate keys included), located; empty when the text parses. */
  readonly syntaxIssues: readonly SourceIssue[];
  private readonly lines: LineIndex;
  private readonly locate: Locator;
  /** The fast parser's offsets per mapping and list (undefined after the reference parser). */
  private readonly table: Map<object, MapOffsets | SeqOffsets> | undefined;

  /**
   * Parses `text`; never throws (problems land in {@link YamlSource.syntaxIssues}). Time and
   * memory are linear in the length of the text. `parser: 'reference'` reads it with the `yaml`
   * package only (for tests that compare the two readings).
   */
  constructor(text: string, file: string, options: { readonly parser?: 'reference' } = {}) {
    this.text = text.startsWith('\uFEFF') ? text.slice(1) : text;
    this.file = file;
    this.lines = new LineIndex(this.text);
    const at = (offset: number, message: string): SourceIssue => ({
      file,
      ...this.lines.linePos(offset),
      message,
      path: '',
    });
    const nowhere: Locator = () => 0;
    const tooDeep = flowNestingOffset(this.text, MAX_FLOW_NESTING);
    if (tooDeep !== undefined) {
      // Refused before parsing: the parsers recurse per level (and no scenario or expectations
      // file nests collections that deep).
      const message = `YAML error: flow collections nested more than ${MAX_FLOW_NESTING} deep`;
      this.syntaxIssues = [at(tooDeep, message)];
      this.data = undefined;
      this.locate = nowhere;
      return;
    }
    const small = this.text.length <= REFERENCE_PARSE_MAX_CHARS;
    const composed: Composed =
      options.parser === 'reference'
        ? { kind: 'unusual', problems: [] }
        : composeYaml(this.text, small);
    if (composed.kind === 'ok') {
      this.syntaxIssues = [];
      this.data = composed.data;
      this.locate = offsetsLocator(composed.data, composed.rootOffset, composed.offsets);
      this.table = composed.offsets;
      return;
    }
    if (composed.kind === 'invalid' || (!small && options.parser !== 'reference')) {
      this.syntaxIssues = composed.problems.map((p) => at(p.offset, p.message));
      this.data = undefined;
      this.locate = nowhere;
      return;
    }
    const reference = referenceParse(this.text);
    this.syntaxIssues = reference.problems.map((p) => at(p.offset, p.message));
    this.data = reference.data;
    this.locate = reference.locate;
  }

  /**
   * An issue located at the node of `path`. With `at: 'key'` the position is the key of the last
   * map entry. When the path does not exist, the deepest existing ancestor is used (a missing key
   * points at its parent mapping). The message is prefixed with the readable form of `prefix`
   * (default: `path`) unless that is the root; `path` becomes the issue's JSON pointer.
   */
  issue(path: DocPath, message: string, options: IssueOptions = {}): SourceIssue {
    const { line, col } = this.position(path, options.at);
    const human = humanPath(options.prefix ?? path);
    return {
      file: this.file,
      line,
      col,
      message: human === '' ? message : `${human}: ${message}`,
      path: toPointer(path),
    };
  }

  /** 1-based line and column of the node at `path` (or of its deepest existing ancestor). */
  position(path: DocPath, at: 'value' | 'key' = 'value'): { line: number; col: number } {
    return this.lines.linePos(this.locate(path, at));
  }

  /** Offset in {@link YamlSource.text} of the node {@link YamlSource.position} locates. */
  offset(path: DocPath, at: 'value' | 'key' = 'value'): number {
    return this.locate(path, at);
  }

  /** 1-based line and column of an offset in {@link YamlSource.text}. */
  linePos(offset: number): { line: number; col: number } {
    return this.lines.linePos(offset);
  }

  /**
   * The keys of a mapping of {@link YamlSource.data} in the order of the text, each followed in
   * `offsets` by its offset and its value's (-1 when unknown); undefined when the fast parser did
   * not read the text (see {@link YamlSource.offset} then).
   */
  entries(
    mapping: object,
  ): { readonly keys: readonly string[]; readonly offsets: readonly number[] } | undefined {
    const entry = this.table?.get(mapping);
    return entry?.kind === 'map' ? entry : undefined;
  }
}

/**
 * Offsets from the fast parser's tables: per mapping and list of the data (found by identity, so
 * an alias leads to its anchor's nodes), the offset of each key, value and item.
 */
function offsetsLocator(
  data: unknown,
  rootOffset: number,
  table: Map<object, MapOffsets | SeqOffsets>,
): Locator {
  return (path, at) => {
    let node: unknown = data;
    let offset = rootOffset;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const entry = typeof node === 'object' && node !== null ? table.get(node) : undefined;
      if (entry?.kind === 'map') {
        const key = String(seg);
        const pair = entryOffsets(entry, key);
        if (!pair) return offset;
        if (at === 'key' && i === path.length - 1) return pair[0];
        node = (node as Record<string, unknown>)[key];
        // `key:` with no value: stay on the key.
        offset = pair[1] >= 0 ? pair[1] : pair[0];
      } else if (entry?.kind === 'seq') {
        const index = Number(seg);
        const item = entry.items[index];
        if (item === undefined) return offset;
        node = (node as unknown[])[index];
        if (item >= 0) offset = item;
      } else {
        return offset;
      }
    }
    return offset;
  };
}

/**
 * The reference reading of a text by the `yaml` package (linear in its size, but 1–2 s of CPU per
 * MiB): its data, its syntax errors (duplicate keys found in one pass) and its node ranges.
 */
function referenceParse(text: string): {
  data: unknown;
  problems: { offset: number; message: string }[];
  locate: Locator;
} {
  // Duplicate keys are found by one pass below: the parser's own check (`uniqueKeys`) compares
  // each key with every earlier one, quadratic in the size of a mapping.
  const doc = yaml().parseDocument(text, { prettyErrors: false, uniqueKeys: false });
  const errors = doc.errors.map((e) => ({ offset: e.pos[0], message: e.message }));
  for (const offset of duplicateKeyOffsets(doc)) {
    errors.push({ offset, message: 'Map keys must be unique' });
  }
  errors.sort((a, b) => a.offset - b.offset);
  const problems = errors.map((e) => ({
    offset: e.offset,
    message: `YAML syntax error: ${e.message.split('\n')[0] ?? e.message}`,
  }));
  let data: unknown;
  if (problems.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // An alias bomb over maxAliasCount, an alias without its anchor.
      const why = error instanceof Error ? error.message : String(error);
      problems.push({ offset: 0, message: `YAML error: ${why}` });
    }
  }
  return { data, problems, locate: (path, at) => documentOffset(doc, path, at) };
}

function documentOffset(doc: Document.Parsed, path: DocPath, at: 'value' | 'key'): number {
  const { isAlias, isMap, isPair, isSeq } = yaml();
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = pairByKey(node, String(seg));
      if (!pair) return offset;
      if (at === 'key' && i === path.length - 1) return rangeStart(pair.key) ?? offset;
      node = pair.value;
      // `key:` with no value has a null value node without a range: stay on the key.
      offset = rangeStart(node) ?? rangeStart(pair.key) ?? offset;
    } else if (isSeq(node)) {
      const item: unknown = node.items[Number(seg)];
      if (item === undefined) return offset;
      node = isPair(item) ? item.value : item;
      offset = rangeStart(node) ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

/** Per mapping, its pairs by key (the first of equal keys): one lookup per path segment. */
const pairIndexes = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairByKey(map: YAMLMap, key: string): Pair | undefined {
  let index = pairIndexes.get(map);
  if (!index) {
    const { isScalar } = yaml();
    index = new Map();
    for (const pair of map.items) {
      if (!isScalar(pair.key)) continue;
      const k = String(pair.key.value);
      if (!index.has(k)) index.set(k, pair);
    }
    pairIndexes.set(map, index);
  }
  return index.get(key);
}

/**
 * Offsets of every scalar key equal to an earlier key of the same mapping (what the parser's
 * `uniqueKeys` reports), in one iterative walk: linear in the size of the document, and no
 * recursion however deep it nests.
 */
function duplicateKeyOffsets(doc: Document.Parsed): number[] {
  const { isMap, isNode, isPair, isScalar, isSeq } = yaml();
  const out: number[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        if (isScalar(pair.key)) {
          if (seen.has(pair.key.value)) out.push(rangeStart(pair.key) ?? 0);
          else seen.add(pair.key.value);
        } else if (isNode(pair.key)) stack.push(pair.key);
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) {
        if (isPair(item)) stack.push(item.key, item.value);
        else stack.push(item);
      }
    }
  }
  return out;
}

function rangeStart(node: unknown): number | undefined {
  return yaml().isNode(node) ? (node as Node).range?.[0] : undefined;
}

/** JSON pointer (RFC 6901) of a path: `/rules/2/then/0`; `` for the root. */
export function toPointer(path: DocPath): string {
  return path.map((s) => '/' + String(s).replaceAll('~', '~0').replaceAll('/', '~1')).join('');
}

/**
 * Inverse of {@link toPointer}, typed against the data: segments that index an array become
 * numbers, so `/when/param/064` stays a key while `/rules/2` is an index.
 */
export function fromPointer(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let node: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(node)) {
      out.push(Number(seg));
      node = node[Number(seg)] as unknown;
    } else {
      out.push(seg);
      node =
        typeof node === 'object' && node !== null
          ? (node as Record<string, unknown>)[seg]
          : undefined;
    }
  }
  return out;
}

/** Readable path for messages: `rules[2].then[0].error`, `when.param["064"]`; empty for the root. */
export function humanPath(path: DocPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Sorts issues in place by line, then column (stable: equal positions keep their order). */
export function sortIssues<T extends { readonly line: number; readonly col: number }>(
  issues: T[],
): T[] {
  return issues.sort((a, b) => a.line - b.line || a.col - b.col);
}

/** Most issues a loader reports; the rest are counted in one last issue. */
export const MAX_REPORTED_ISSUES = 100;

/**
 * The first `max` issues, then (when there are more) one issue `… and N more issues` at the
 * position of the first one left out.
 */
export function capIssues(
  issues: readonly SourceIssue[],
  max: number = MAX_REPORTED_ISSUES,
): SourceIssue[] {
  if (issues.length <= max) return [...issues];
  const next = issues[max];
  const more = issues.length - max;
  return [
    ...issues.slice(0, max),
    {
      file: next?.file ?? '',
      line: next?.line ?? 1,
      col: next?.col ?? 1,
      message: `… and ${more} more issue${more === 1 ? '' : 's'}`,
      path: '',
    },
  ];
}
