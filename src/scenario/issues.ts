/**
 * Problems found in a scenario file, located in its source, and the error that carries them.
 */
import { Cimd2MockError } from '../errors.js';

/** One problem in a scenario file, located at the offending YAML node (1-based line and column). */
export interface ScenarioIssue {
  /** The file name as given to the loader (or a label such as `<inline>`). */
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Starts with the readable path of the offending node, e.g. `rules[2].then: …`. */
  readonly message: string;
  /** JSON pointer of the offending node in the document, e.g. `/rules/2/then/0`; `` for the root. */
  readonly path: string;
}

/** `file:line:col: message`, the form editors and CI annotate. */
export function formatIssue(issue: ScenarioIssue): string {
  return `${issue.file}:${issue.line}:${issue.col}: ${issue.message}`;
}

/**
 * A scenario that failed to parse, validate or compile. `issues` is never empty; the message is
 * the formatted issues, one per line.
 */
export class ScenarioError extends Cimd2MockError {
  override readonly name = 'ScenarioError';
  readonly code = 'ERR_SCENARIO_INVALID';
  readonly issues: readonly ScenarioIssue[];
  constructor(issues: readonly ScenarioIssue[], options?: ErrorOptions) {
    super(issues.map(formatIssue).join('\n'), options);
    this.issues = issues;
  }
}
