/**
 * Errors of the transcript area (`ERR_TRANSCRIPT_*`). The operator sees these: an unwritable
 * transcript path at startup, a corrupt transcript file, an invalid expectations file.
 */
import { Cimd2MockError } from '../errors.js';

/**
 * A transcript file could not be opened, written or closed. `code` says which
 * (`ERR_TRANSCRIPT_OPEN`, `ERR_TRANSCRIPT_WRITE`, `ERR_TRANSCRIPT_CLOSED`); the message names
 * the path and the operating system's reason.
 */
export class TranscriptError extends Cimd2MockError {
  override readonly name: string = 'TranscriptError';
  readonly code: `ERR_TRANSCRIPT_${string}`;
  /** The file the error is about. */
  readonly path: string;
  constructor(
    message: string,
    code: `ERR_TRANSCRIPT_${string}`,
    path: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = code;
    this.path = path;
  }
}

/**
 * A transcript line that is not a record. `line` is 1-based. A truncated last line is not an
 * error (an interrupted writer leaves one); any other bad line is.
 */
export class TranscriptParseError extends Cimd2MockError {
  override readonly name = 'TranscriptParseError';
  readonly code = 'ERR_TRANSCRIPT_PARSE';
  /** File name or label (`<text>`). */
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, reason: string, options?: ErrorOptions) {
    super(`${file}:${line}: not a transcript record: ${reason}`, options);
    this.file = file;
    this.line = line;
  }
}

/** One problem in an expectations file, located at its YAML node (1-based line and column). */
export interface ExpectationIssue {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
  /** JSON pointer of the offending node, e.g. `/2/count/match`. */
  readonly path: string;
}

/** An expectations file that does not parse or validate; `issues` is never empty. */
export class ExpectationsError extends Cimd2MockError {
  override readonly name = 'ExpectationsError';
  readonly code = 'ERR_TRANSCRIPT_EXPECTATIONS';
  readonly issues: readonly ExpectationIssue[];
  constructor(issues: readonly ExpectationIssue[], options?: ErrorOptions) {
    super(issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.message}`).join('\n'), options);
    this.issues = issues;
  }
}
