/** Logging for the CLI: everything goes to stderr (stdout carries the readiness lines). */
export type LogFormat = 'text' | 'json';
export type LogLevel = 'info' | 'warn' | 'error';

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(options: { format: LogFormat; quiet: boolean }): Logger {
  const write = (level: LogLevel, message: string, fields: Record<string, unknown> = {}): void => {
    if (options.quiet && level === 'info') return;
    const ts = new Date().toISOString();
    if (options.format === 'json') {
      process.stderr.write(`${JSON.stringify({ ts, level, msg: message, ...fields })}\n`);
    } else {
      const extra = Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      process.stderr.write(
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
