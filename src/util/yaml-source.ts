/**
 * A YAML text parsed with positions, so that a path into its data (or the JSON pointer ajv
 * reports) can be located back at the `file:line:col` of the node it names. Used by every
 * YAML file the mock reads (scenarios, expectations) so their issues read alike.
 */
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node, Pair, YAMLMap } from 'yaml';

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

/** A parsed YAML file that can turn document paths into source positions. */
export class YamlSource {
  /** The text as parsed (a leading byte order mark removed). */
  readonly text: string;
  readonly file: string;
  /** The document's plain data: null for an empty file, undefined when there are syntax errors. */
  readonly data: unknown;
  /** YAML syntax errors (duplicate keys included), located; empty when the text parses. */
  readonly syntaxIssues: readonly SourceIssue[];
  private readonly doc: Document.Parsed;
  private readonly lines: LineCounter;

  /** Parses `text`; never throws (problems land in {@link YamlSource.syntaxIssues}). */
  constructor(text: string, file: string) {
    this.text = text.startsWith('\uFEFF') ? text.slice(1) : text;
    this.file = file;
    this.lines = new LineCounter();
    // Duplicate keys are found by one pass below: the parser's own check (`uniqueKeys`) compares
    // each key with every earlier one, quadratic in the size of a mapping.
    this.doc = parseDocument(this.text, {
      lineCounter: this.lines,
      prettyErrors: false,
      uniqueKeys: false,
    });
    const errors = this.doc.errors.map((e) => ({ offset: e.pos[0], message: e.message }));
    for (const offset of duplicateKeyOffsets(this.doc)) {
      errors.push({ offset, message: 'Map keys must be unique' });
    }
    errors.sort((a, b) => a.offset - b.offset);
    this.syntaxIssues = errors.map((e) => {
      const { line, col } = this.lines.linePos(e.offset);
      return {
        file,
        line,
        col,
        message: `YAML syntax error: ${e.message.split('\n')[0] ?? e.message}`,
        path: '',
      };
    });
    this.data = this.syntaxIssues.length === 0 ? this.doc.toJS({ maxAliasCount: 100 }) : undefined;
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
    return this.lines.linePos(this.offsetOf(path, at));
  }

  private offsetOf(path: DocPath, at: 'value' | 'key'): number {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      if (isAlias(node)) node = node.resolve(this.doc);
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
}

/** Per mapping, its pairs by key (the first of equal keys): one lookup per path segment. */
const pairIndexes = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairByKey(map: YAMLMap, key: string): Pair | undefined {
  let index = pairIndexes.get(map);
  if (!index) {
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
  return isNode(node) ? (node as Node).range?.[0] : undefined;
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
