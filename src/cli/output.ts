/** Logging for the CLI: everything goes to stderr (stdout carries the readiness lines). */
export type LogFormat = 'text' | 'json';
export type LogLevel = 'info' | 'warn' | 'error';

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const dead = new WeakSet<NodeJS.WriteStream>();
let guarded = false;

/**
 * Keeps a closed stdout or stderr (a reader that stopped: `| head -1`, a harness done after the
 * readiness line) from killing the process: the stream's write errors are caught, and once it
 * failed nothing more is written to it ({@link writeTo}). Idempotent.
 */
export function guardStdio(): void {
  if (guarded) return;
  guarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', () => {
      // EPIPE, EBADF or any other: log output must never be the reason the mock dies.
      dead.add(stream);
    });
  }
}

/** True once `stream` failed (its reader is gone). */
export function streamGone(stream: NodeJS.WriteStream): boolean {
  return dead.has(stream) || stream.destroyed || !stream.writable;
}

/** Writes `text` to `stream` unless it failed before; never throws. */
export function writeTo(stream: NodeJS.WriteStream, text: string): void {
  if (streamGone(stream)) return;
  try {
    stream.write(text);
  } catch {
    dead.add(stream);
  }
}

/** C0 controls, DEL and C1 controls (ESC, CSI … included): what could forge or colour a line. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * One log line's worth of `value`: `\n`, `\r`, `\t` become `\\n`, `\\r`, `\\t`, every other
 * control character (C0, DEL, C1; ESC included) `\\xNN`, and the Unicode line and paragraph
 * separators `\\u2028`, `\\u2029`. Backslashes are left as they are.
 */
export function escapeControl(value: string): string {
  return value.replace(
    CONTROL,
    (c) =>
      NAMED[c] ??
      (c.charCodeAt(0) > 0xff
        ? `\\u${c.charCodeAt(0).toString(16)}`
        : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`),
  );
}

/** JSON.stringify escapes C0 already; DEL, C1 (U+009B is a terminal's CSI), U+2028/9 are escaped too. */
const C1 = /[\u007f-\u009f\u2028\u2029]/g;
function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(
    C1,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A field value as text (JSON for non-strings; `undefined` as the word). */
function show(v: unknown): string {
  if (typeof v === 'string') return v;
  return v === undefined ? 'undefined' : JSON.stringify(v);
}

/**
 * A logger on stderr. Every interpolated value is escaped (see {@link escapeControl}), so one
 * call is always exactly one line, whatever a client or an API caller put in a name or path.
 */
export function createLogger(options: { format: LogFormat; quiet: boolean }): Logger {
  const write = (level: LogLevel, message: string, fields: Record<string, unknown> = {}): void => {
    if (options.quiet && level === 'info') return;
    const ts = new Date().toISOString();
    if (options.format === 'json') {
      writeTo(process.stderr, `${jsonLine({ ts, level, msg: message, ...fields })}\n`);
    } else {
      const extra = Object.entries(fields)
        .map(([k, v]) => `${escapeControl(k)}=${escapeControl(show(v))}`)
        .join(' ');
      writeTo(
        process.stderr,
        `${ts} ${level.padEnd(5)} ${escapeControl(message)}${extra === '' ? '' : ` ${extra}`}\n`,
      );
    }
  };
  return {
    info: (m, f) => {
      write('info', m, f);
    },
    warn: (m, f) => {
      write('warn', m, f);
    },
    error: (m, f) => {
      write('error', m, f);
    },
  };
}

/** A CLI failure with its exit code (1 failure, 2 usage or configuration). */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}
