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

export function createLogger(options: { format: LogFormat; quiet: boolean }): Logger {
  const write = (level: LogLevel, message: string, fields: Record<string, unknown> = {}): void => {
    if (options.quiet && level === 'info') return;
    const ts = new Date().toISOString();
    if (options.format === 'json') {
      writeTo(process.stderr, `${JSON.stringify({ ts, level, msg: message, ...fields })}\n`);
    } else {
      const extra = Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      writeTo(
        process.stderr,
        `${ts} ${level.padEnd(5)} ${message}${extra === '' ? '' : ` ${extra}`}\n`,
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
