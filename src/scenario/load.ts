/**
 * Loading scenarios: text or file → YAML with positions → schema validation → compilation.
 * Every problem comes back as a located {@link ScenarioIssue}; nothing half-valid is ever
 * returned.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as YamlModule from 'yaml';
import { BoundedReadError, readBoundedTextFile } from '../util/bounded-read.js';
import { capIssues } from '../util/yaml-source.js';
import { compileScenario } from './compile.js';
import type { CompiledScenario } from './compiled.js';
import type { ScenarioDocument } from './document.js';
import { ScenarioError } from './issues.js';
import type { ScenarioIssue } from './issues.js';
import { ScenarioSource } from './source.js';
import { schemaIssues } from './validate.js';

/** Location of the built-in scenario (works from `src/` under tsx and from `dist/`). */
const requireCjs = createRequire(import.meta.url);

export const defaultScenarioUrl = new URL('../../scenarios/default.yaml', import.meta.url);

/** File path of `scenarios/default.yaml`, the scenario used when none is given. */
export const defaultScenarioPath = fileURLToPath(defaultScenarioUrl);

/**
 * Largest scenario accepted by default: 1 MiB of UTF-8 (`maxScenarioBytes`). Hand-written
 * scenarios are a few KiB; loading is linear in the size, and any shape of this size loads or is
 * refused within about a second on a small machine (see bench/load-cell.mjs), so a hot reload
 * never stalls traffic for long.
 */
export const DEFAULT_MAX_SCENARIO_BYTES = 1024 * 1024;

/** Options of the scenario loaders. */
export interface ScenarioLoadOptions {
  /** Larger scenarios are refused before parsing (bytes of UTF-8; default 1 MiB). */
  readonly maxBytes?: number;
}

/**
 * SHA-256 (hex) of `scenarios/default.yaml` as shipped. Its tests check that this text passes
 * schema validation (test/unit/scenario/default-scenario.test.ts), so a text with this digest
 * skips the schema step: loading ajv and compiling the schema are most of a start-up without a
 * scenario. Any other text, an edited default included, is validated as usual.
 */
export const DEFAULT_SCENARIO_SHA256 =
  '2d8d9d9a8725383cb20666a39c12b904cccc7b9deadae8f84e8a050e4790a1ac';

function knownValid(text: string): boolean {
  return createHash('sha256').update(text).digest('hex') === DEFAULT_SCENARIO_SHA256;
}

function tooLarge(file: string, bytes: number, max: number): ScenarioIssue {
  const message = `the scenario is ${bytes} bytes, over the limit of ${max} bytes (maxScenarioBytes)`;
  return { file, line: 1, col: 1, message, path: '' };
}

/**
 * Parses, validates and compiles; exactly one of `scenario` and a non-empty `issues` is set.
 * A text over `maxBytes` is refused with one issue at 1:1 before it is parsed. Time is linear in
 * the size of the text; at most 100 issues are listed, then one `… and N more issues`.
 */
export function analyzeScenarioText(
  text: string,
  file: string,
  options: ScenarioLoadOptions = {},
): { readonly scenario?: CompiledScenario; readonly issues: readonly ScenarioIssue[] } {
  const max = options.maxBytes ?? DEFAULT_MAX_SCENARIO_BYTES;
  // UTF-8 needs at most 3 bytes per UTF-16 unit: count exactly only when it could matter.
  if (text.length * 3 > max) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > max) return { issues: [tooLarge(file, bytes, max)] };
  }
  let source: ScenarioSource;
  try {
    source = new ScenarioSource(text, file);
  } catch (error) {
    // The YAML parser's own limits (e.g. an alias bomb over maxAliasCount) throw: an issue too.
    const why = error instanceof Error ? error.message : String(error);
    return { issues: [{ file, line: 1, col: 1, message: `YAML error: ${why}`, path: '' }] };
  }
  if (source.syntaxIssues.length > 0) return { issues: capIssues(source.syntaxIssues) };
  if (source.data === undefined || source.data === null) {
    const message = 'the file is empty: a scenario needs at least "version: 1"';
    return { issues: [{ file, line: 1, col: 1, message, path: '' }] };
  }
  const schema = knownValid(text) ? [] : schemaIssues(source);
  if (schema.length > 0) return { issues: capIssues(schema) };
  const result = compileScenario(source, source.data as ScenarioDocument);
  return result.scenario
    ? result
    : { issues: capIssues([...result.issues].sort((a, b) => a.line - b.line || a.col - b.col)) };
}

/**
 * Every issue of a scenario text: YAML syntax first; when the YAML parses, schema violations;
 * when the schema passes, semantic problems. Empty when the scenario loads.
 */
export function validateScenarioText(text: string, file: string): ScenarioIssue[] {
  return [...analyzeScenarioText(text, file).issues];
}

/**
 * Compiles a scenario from YAML text. `file` names it in issues and becomes the default name.
 * @throws ScenarioError (ERR_SCENARIO_INVALID) carrying every issue.
 */
export function loadScenarioText(
  text: string,
  file: string,
  options: ScenarioLoadOptions = {},
): CompiledScenario {
  const result = analyzeScenarioText(text, file, options);
  if (!result.scenario) throw new ScenarioError(result.issues);
  return result.scenario;
}

/**
 * Compiles a scenario given as a plain object (the programmatic equivalent of a file). It goes
 * through the same validation as files: the object is written out as YAML, so issues carry
 * line:col positions within that YAML text and `label` as their file, and `maxBytes` applies
 * to that text.
 * @throws ScenarioError carrying every issue.
 */
export function loadScenarioObject(
  doc: unknown,
  label = '<object>',
  options: ScenarioLoadOptions = {},
): CompiledScenario {
  // The `yaml` writer is loaded here, not at start-up: only scenario objects need it.
  const { stringify } = requireCjs('yaml') as typeof YamlModule;
  let text: string;
  try {
    text = stringify(doc);
  } catch (cause) {
    // A cycle or a nesting too deep for the writer (stack overflow): an issue, not a crash.
    const why = cause instanceof Error ? cause.message : String(cause);
    const message = `cannot write the scenario object as YAML: ${why}`;
    throw new ScenarioError([{ file: label, line: 1, col: 1, message, path: '' }], { cause });
  }
  return loadScenarioText(text, label, options);
}

/**
 * Reads and compiles a scenario file (UTF-8, BOM tolerated). A file over `maxBytes` is refused
 * before it is read, and a path that is not a regular file without reading it.
 * @throws ScenarioError, also when the file cannot be read (the issue is at 1:1).
 */
export async function loadScenarioFile(
  path: string,
  options: ScenarioLoadOptions = {},
): Promise<CompiledScenario> {
  const text = await readScenarioFile(path, options);
  return loadScenarioText(text, path, options);
}

/**
 * Reads a scenario file for the loaders, the watcher and the CLI: a regular file of at most
 * `maxBytes` (checked with fstat before reading; the read stops past the limit). A device, a
 * FIFO or a directory (also behind a symlink) is refused without being read.
 * @throws ScenarioError with one issue at 1:1.
 */
export async function readScenarioFile(
  path: string,
  options: ScenarioLoadOptions = {},
): Promise<string> {
  const max = options.maxBytes ?? DEFAULT_MAX_SCENARIO_BYTES;
  try {
    return await readBoundedTextFile(path, max, 'maxScenarioBytes', 'scenario');
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    const message =
      cause instanceof BoundedReadError && cause.reason === 'size'
        ? why
        : `cannot read scenario file: ${why}`;
    throw new ScenarioError([{ file: path, line: 1, col: 1, message, path: '' }], { cause });
  }
}

/** Loads `scenarios/default.yaml`, the behaviour of a mock started without a scenario. */
export function loadDefaultScenario(): Promise<CompiledScenario> {
  return loadScenarioFile(defaultScenarioPath);
}
