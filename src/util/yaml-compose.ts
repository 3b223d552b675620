/**
 * The fast way from YAML text to plain data with positions: js-yaml's event parser (a flat list
 * of events that point into the text by offset) and one iterative pass over the events that
 * builds the data the `yaml` package's `toJS()` would build (YAML 1.2 core schema, `{}` objects
 * with string keys, `__proto__` as an own key) and records, per mapping and list, the offset of
 * every key and value as the `yaml` package's node ranges place them.
 *
 * Why not the `yaml` package's own parser: its lexer and CST parser alone need 1–2 s of CPU per
 * MiB of YAML, whatever the composition on top; js-yaml's events come in 0.1–0.4 s. Time and
 * memory here are linear in the size of the text: duplicate keys are found with one set per
 * mapping, aliases share the anchored data (never copied), and the data a document would have
 * with its aliases written out is counted, not built (see {@link MAX_ALIAS_EXPANSION}).
 *
 * What this pass does not model exactly is reported as `unusual` (explicit tags other than
 * `!`/`!!str`, `%` directives, collection keys, a second document, an alias without its anchor):
 * the caller then asks the `yaml` package for the reference result when the text is small.
 */
import {
  COLLECTION_STYLE,
  EVENT_ID,
  getScalarValue,
  parseEvents,
  SCALAR_STYLE,
  YAMLException,
  type ScalarEvent,
} from 'js-yaml';

/** Block collections nested deeper than this are refused (the event parser recurses per level). */
export const MAX_BLOCK_NESTING = 1000;

/**
 * Aliases share the data of their anchor, but whatever walks the data as a tree (the schema
 * validator, the compiler) meets it once per alias. The nodes repeated that way may total at most
 * the nodes written in the document or this many, whichever is more: an alias bomb (nine aliases
 * of nine aliases of …) is refused, while repeating a `when` block in every rule is fine.
 */
export const MAX_ALIAS_EXPANSION = 100_000;

/** Offsets (UTF-16 units into the text) of a mapping's keys and values; -1 when unknown. */
export interface MapOffsets {
  readonly kind: 'map';
  /** The keys as written into the data, in the order of the text. */
  readonly keys: string[];
  /** Per key, its offset then its value's offset. */
  readonly offsets: number[];
  /** Position in `keys` by key (the first of equal keys), built on the first lookup. */
  index?: Map<string, number>;
}

/**
 * The offsets of the entry of `key` (the first of equal keys): [key, value], or undefined. The
 * index is built on the first lookup: most mappings are never looked up.
 */
export function entryOffsets(map: MapOffsets, key: string): [number, number] | undefined {
  let index = map.index;
  if (!index) {
    index = new Map();
    for (let i = map.keys.length - 1; i >= 0; i--) index.set(map.keys[i] ?? '', i);
    map.index = index;
  }
  const i = index.get(key);
  return i === undefined ? undefined : [map.offsets[2 * i] ?? -1, map.offsets[2 * i + 1] ?? -1];
}

/** Offsets of a list's items. */
export interface SeqOffsets {
  readonly kind: 'seq';
  readonly items: number[];
}

/** One problem found while composing, at an offset of the text. */
export interface ComposeProblem {
  readonly offset: number;
  readonly message: string;
}

/** The outcome of {@link composeYaml}. */
export type Composed =
  | {
      readonly kind: 'ok';
      /** null for an empty document. */
      readonly data: unknown;
      /** Offset of the document's root node (0 when empty). */
      readonly rootOffset: number;
      /** Offsets of every mapping and list of the data, by identity. */
      readonly offsets: Map<object, MapOffsets | SeqOffsets>;
    }
  | {
      /** `syntax`: the text is not YAML (or breaks a limit); `unusual`: see the module comment. */
      readonly kind: 'syntax' | 'unusual';
      readonly problems: readonly ComposeProblem[];
    }
  | {
      /** Duplicate keys or an alias bomb: the text parses, the data is refused. */
      readonly kind: 'invalid';
      readonly problems: readonly ComposeProblem[];
    };

/** `~`, `N`/`n` (null), `T`/`t`/`F`/`f` (booleans); every character up to `9` is tested too. */
const FIRST_OF_NON_STRING = new Set([0x7e, 0x4e, 0x6e, 0x54, 0x74, 0x46, 0x66]);
const NULL_RE = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL_RE = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const OCT_RE = /^0o[0-7]+$/;
const INT_RE = /^[-+]?[0-9]+$/;
const HEX_RE = /^0x[0-9a-fA-F]+$/;
const NAN_RE = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const EXP_RE = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT_RE = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** A plain scalar as the YAML 1.2 core schema reads it (the `yaml` package's rules and order). */
export function resolvePlain(s: string): unknown {
  const c = s.charCodeAt(0);
  // Only these first characters can start a null, a boolean or a number: other strings (most
  // keys and words) skip the tests.
  if (s.length > 0 && c > 0x39 && !FIRST_OF_NON_STRING.has(c)) return s;
  if (NULL_RE.test(s)) return null;
  if (BOOL_RE.test(s)) return c === 0x74 || c === 0x54;
  if (OCT_RE.test(s)) return parseInt(s.substring(2), 8);
  if (INT_RE.test(s)) return parseInt(s, 10);
  if (HEX_RE.test(s)) return parseInt(s.substring(2), 16);
  if (NAN_RE.test(s)) {
    if (s.slice(-3).toLowerCase() === 'nan') return NaN;
    return s.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (EXP_RE.test(s) || FLOAT_RE.test(s)) return parseFloat(s);
  return s;
}

const PROTOTYPE_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));

/** A key as the `yaml` package writes it into a `{}` object. */
function keyString(key: string | number | boolean | null): string {
  return key === null ? '' : String(key);
}

interface Anchor {
  value: unknown;
  /** Nodes of the anchored data with its aliases written out; NaN while it is being built. */
  size: number;
}

interface Frame {
  readonly kind: 'map' | 'seq' | 'doc';
  readonly value: Record<string, unknown> | unknown[] | undefined;
  /** Where the node starts: a block mapping at its first key, as the `yaml` package has it. */
  offset: number;
  /** A block mapping that has no key yet. */
  firstKey?: boolean;
  readonly anchor: string | undefined;
  /** Nodes below this one, aliases written out. */
  size: number;
  readonly seqOffsets?: number[];
  readonly mapOffsets?: MapOffsets;
  /** Every key as read (`1` and `"1"` differ), once the mapping has a key that is no string. */
  typed?: Set<unknown>;
  /** A map waiting for the value of this key (as written into the data). */
  key: string | undefined;
}

/**
 * Where the `yaml` package starts a block scalar's range: its `|` or `>` indicator, the first one
 * on the header line after the previous token (js-yaml points at the content's first line).
 */
function blockIndicator(text: string, contentStart: number, after: number): number {
  const headerEnd = text.lastIndexOf('\n', contentStart - 1);
  const lineStart = text.lastIndexOf('\n', headerEnd - 1) + 1;
  for (let i = Math.max(lineStart, after); i < headerEnd; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7c || c === 0x3e) return i;
  }
  return contentStart;
}

const isBlank = (c: number): boolean => c === 0x20 || c === 0x09;

/** The offset after `from` and the spaces and tabs that follow it on its line. */
function skipBlanks(text: string, from: number): number {
  let i = from;
  while (isBlank(text.charCodeAt(i))) i++;
  return i;
}

/**
 * Where the `yaml` package places an empty value (js-yaml gives it no offset): after its
 * properties, or after the `:` of its key or the `-` of its list item, and the blanks that
 * follow on the same line. -1 for a key without a `:` (`{ e }`, `? e`): it has no node there.
 */
function emptyOffset(
  text: string,
  event: ScalarEvent,
  parent: Frame | undefined,
  lastEnd: number,
): number {
  const props = Math.max(event.tagEnd, event.anchorEnd);
  if (props >= 0) return skipBlanks(text, props);
  if (parent?.kind === 'map' && parent.key !== undefined) {
    const colon = skipBlanks(text, lastEnd);
    return text.charCodeAt(colon) === 0x3a ? skipBlanks(text, colon + 1) : -1;
  }
  if (parent?.kind === 'doc') {
    const marker = /^---/m.exec(text);
    return marker ? skipBlanks(text, marker.index + 3) : 0;
  }
  if (parent?.kind === 'seq') {
    // The next `-` after the previous item (past the brackets that closed it and comments).
    let i = parent.seqOffsets?.length === 0 ? parent.offset : lastEnd;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x2d) return skipBlanks(text, i + 1);
      if (c === 0x23) {
        const eol = text.indexOf('\n', i);
        if (eol === -1) break;
        i = eol;
      } else if (!(isBlank(c) || c === 0x0a || c === 0x0d || c === 0x5d || c === 0x7d)) break;
    }
  }
  return -1;
}

/**
 * Parses `text` (one YAML document) into plain data with the offset of every node. Never throws:
 * parse errors come back as `syntax` problems. With `exact`, what this pass does not model exactly
 * comes back as `unusual` (for the caller to ask the `yaml` package); without, it is read as
 * close to the `yaml` package as is cheap: tags other than the core ones keep the scalar as a
 * string, `%` directives are ignored, and a collection used as a key, a second document or an
 * alias without its anchor is a `syntax` problem at its position.
 */
export function composeYaml(text: string, exact = true): Composed {
  let events;
  try {
    events = parseEvents(text, { maxDepth: MAX_BLOCK_NESTING });
  } catch (error) {
    if (error instanceof YAMLException) {
      const reason = error.reason;
      const message = reason.startsWith('nesting exceeded maxDepth')
        ? `YAML error: collections nested more than ${MAX_BLOCK_NESTING} deep`
        : `YAML syntax error: ${reason.charAt(0).toUpperCase()}${reason.slice(1)}`;
      return { kind: 'syntax', problems: [{ offset: error.mark?.position ?? 0, message }] };
    }
    const message =
      error instanceof RangeError
        ? 'YAML error: collections nested too deeply'
        : `YAML error: ${error instanceof Error ? error.message : String(error)}`;
    return { kind: 'syntax', problems: [{ offset: 0, message }] };
  }

  // A Map, not a WeakMap: the source keeps its data anyway, and tens of thousands of weak entries
  // slow every garbage collection down.
  const offsets = new Map<object, MapOffsets | SeqOffsets>();
  const anchors = new Map<string, Anchor>();
  const duplicates: ComposeProblem[] = [];
  const stack: Frame[] = [];
  let documents = 0;
  let root: unknown = null;
  let rootOffset = 0;
  let written = 0;
  let repeated = 0;
  /** End of the last scalar seen (for finding a block scalar's indicator). */
  let lastEnd = 0;
  const unusual = (offset: number, message: string): Composed => ({
    kind: exact ? 'unusual' : 'syntax',
    problems: [{ offset: Math.max(0, offset), message }],
  });

  /** Adds a finished node (scalar, alias, or collection) to the collection being built. */
  const add = (value: unknown, offset: number, size: number, isScalar: boolean): boolean => {
    const top = stack[stack.length - 1];
    if (!top) return true;
    top.size += size;
    if (top.kind === 'doc') {
      root = value;
      rootOffset = offset;
      return true;
    }
    if (top.kind === 'seq') {
      (top.value as unknown[]).push(value);
      top.seqOffsets?.push(offset);
      return true;
    }
    const map = top.value as Record<string, unknown>;
    if (top.key === undefined) {
      if (!isScalar) return false;
      if (top.firstKey === true) {
        // js-yaml starts the mapping at the first key's anchor or tag, `yaml` at its text (or
        // at the `?` of an explicit key, as js-yaml does).
        if (text.charCodeAt(top.offset) !== 0x3f) top.offset = offset;
        top.firstKey = false;
      }
      const mapOffsets = top.mapOffsets;
      if (!mapOffsets) return false;
      const key = keyString(value as string | number | boolean | null);
      // Keys are equal when their values are (the `yaml` package's check): while every key is a
      // string, when their names are, and the data object itself answers that.
      let duplicate: boolean;
      if (top.typed === undefined && typeof value === 'string') duplicate = Object.hasOwn(map, key);
      else {
        top.typed ??= new Set(mapOffsets.keys);
        duplicate = top.typed.has(value);
        top.typed.add(value);
      }
      if (duplicate) {
        duplicates.push({ offset, message: 'YAML syntax error: Map keys must be unique' });
      }
      mapOffsets.keys.push(key);
      mapOffsets.offsets.push(offset, -1);
      top.key = key;
      return true;
    }
    const key = top.key;
    top.key = undefined;
    if (PROTOTYPE_KEYS.has(key)) {
      // `__proto__` and the like become own keys, never the object's prototype.
      Object.defineProperty(map, key, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    } else map[key] = value;
    const offsets = top.mapOffsets?.offsets;
    if (offsets) offsets[offsets.length - 1] = offset;
    return true;
  };

  const anchorOf = (start: number, end: number): string | undefined =>
    start >= 0 ? text.slice(start, end) : undefined;

  for (const event of events) {
    switch (event.type) {
      case EVENT_ID.DOCUMENT: {
        documents++;
        if (documents > 1) {
          const next = text.indexOf('\n---', lastEnd);
          return unusual(
            next === -1 ? lastEnd : next + 1,
            'YAML syntax error: Source contains multiple documents; please use YAML.parseAllDocuments()',
          );
        }
        if (exact && event.directives.length > 0) return unusual(0, 'directives');
        stack.push({
          kind: 'doc',
          value: undefined,
          offset: 0,
          anchor: undefined,
          size: 0,
          key: undefined,
        });
        break;
      }
      case EVENT_ID.SCALAR: {
        const value = scalarValue(text, event, exact);
        if (value === UNUSUAL) return unusual(event.tagStart, 'tag');
        // Where the `yaml` package starts the node: at the quote, at the `|` or `>`.
        let offset: number;
        const style = event.style;
        if (style === SCALAR_STYLE.SINGLE_QUOTED || style === SCALAR_STYLE.DOUBLE_QUOTED) {
          offset = event.valueStart - 1;
          lastEnd = event.valueEnd + 1;
        } else if (style === SCALAR_STYLE.LITERAL_BLOCK || style === SCALAR_STYLE.FOLDED_BLOCK) {
          const after = Math.max(lastEnd, event.tagEnd, event.anchorEnd);
          offset = blockIndicator(text, event.valueStart, after);
          lastEnd = event.valueEnd;
        } else if (event.valueStart >= 0) {
          offset = event.valueStart;
          lastEnd = event.valueEnd;
        } else {
          offset = emptyOffset(text, event, stack[stack.length - 1], lastEnd);
          if (offset >= 0) lastEnd = offset;
        }
        written++;
        const anchor = anchorOf(event.anchorStart, event.anchorEnd);
        if (anchor !== undefined) anchors.set(anchor, { value, size: 1 });
        add(value, offset, 1, true);
        break;
      }
      case EVENT_ID.ALIAS: {
        const name = text.slice(event.anchorStart, event.anchorEnd);
        const offset = event.anchorStart - 1;
        lastEnd = event.anchorEnd;
        const anchor = anchors.get(name);
        if (anchor === undefined) {
          const why = `Unresolved alias (the anchor must be set before the alias): ${name}`;
          return unusual(offset, `YAML error: ${why}`);
        }
        if (Number.isNaN(anchor.size)) {
          return unusual(offset, `YAML error: the alias *${name} is inside its own anchor`);
        }
        written++;
        repeated += anchor.size;
        const isScalar = typeof anchor.value !== 'object' || anchor.value === null;
        if (!add(anchor.value, offset, anchor.size, isScalar))
          return unusual(offset, COLLECTION_KEY);
        break;
      }
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        const top = stack[stack.length - 1];
        if (top?.kind === 'map' && top.key === undefined)
          return unusual(event.start, COLLECTION_KEY);
        written++;
        const anchor = anchorOf(event.anchorStart, event.anchorEnd);
        const isMap = event.type === EVENT_ID.MAPPING;
        const value: Record<string, unknown> | unknown[] = isMap ? {} : [];
        if (anchor !== undefined) anchors.set(anchor, { value, size: NaN });
        if (exact && event.tagStart >= 0) {
          const tag = text.slice(event.tagStart, event.tagEnd);
          if (tag !== '!' && tag !== (isMap ? '!!map' : '!!seq'))
            return unusual(event.tagStart, 'tag');
        }
        if (isMap) {
          const mapOffsets: MapOffsets = { kind: 'map', keys: [], offsets: [] };
          offsets.set(value, mapOffsets);
          stack.push({
            kind: 'map',
            value,
            offset: event.start,
            anchor,
            size: 1,
            mapOffsets,
            key: undefined,
            firstKey: event.style === COLLECTION_STYLE.BLOCK,
          });
        } else {
          const items: number[] = [];
          offsets.set(value, { kind: 'seq', items });
          stack.push({
            kind: 'seq',
            value,
            offset: event.start,
            anchor,
            size: 1,
            seqOffsets: items,
            key: undefined,
          });
        }
        break;
      }
      case EVENT_ID.POP: {
        const frame = stack.pop();
        if (!frame || frame.kind === 'doc') break;
        if (frame.anchor !== undefined) {
          const anchor = anchors.get(frame.anchor);
          // A later node may have reused the name: only the node's own entry is finished here.
          if (anchor !== undefined && anchor.value === frame.value) anchor.size = frame.size;
        }
        add(frame.value, frame.offset, frame.size, false);
        break;
      }
    }
  }
  if (duplicates.length > 0) return { kind: 'invalid', problems: duplicates };
  if (repeated > Math.max(MAX_ALIAS_EXPANSION, written)) {
    const message = 'YAML error: Excessive alias count indicates a resource exhaustion attack';
    return { kind: 'invalid', problems: [{ offset: 0, message }] };
  }
  return { kind: 'ok', data: root, rootOffset, offsets };
}

const UNUSUAL = Symbol('unusual');
const COLLECTION_KEY = 'YAML error: a mapping key must be a string or a number, not a collection';

const CORE_TYPES: Readonly<Record<string, (v: unknown) => boolean>> = {
  '!!null': (v) => v === null,
  '!!bool': (v) => typeof v === 'boolean',
  '!!int': (v) => Number.isInteger(v),
  '!!float': (v) => typeof v === 'number',
};

/**
 * The value of a scalar event. With `exact`, UNUSUAL for a tag other than `!` and `!!str`;
 * without, a core tag (`!!int`, …) reads the scalar as a plain one when it has that type, and any
 * other tag keeps the string (as the `yaml` package does with a tag it does not know).
 */
function scalarValue(text: string, event: ScalarEvent, exact: boolean): unknown {
  const source = getScalarValue(text, event);
  if (event.tagStart >= 0) {
    const tag = text.slice(event.tagStart, event.tagEnd);
    if (tag === '!' || tag === '!!str') return source;
    if (exact) return UNUSUAL;
    const resolved = resolvePlain(source);
    return CORE_TYPES[tag]?.(resolved) === true ? resolved : source;
  }
  return event.style === SCALAR_STYLE.PLAIN ? resolvePlain(source) : source;
}
