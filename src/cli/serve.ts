/**
 * `cimd2-mock [serve]`: start the mock, print the readiness lines, stop cleanly on SIGINT,
 * SIGTERM or SIGHUP; SIGUSR1 reopens the transcript file (log rotation).
 *
 * Over 500 lines on purpose: the serve command's flags, start-up order (scenario, transcript, mock, control API and
 * console ports) and signal handling are one sequence, easier to follow in one file.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { byteSize, intIn, isoTime, numberAtLeast, seconds } from './args.js';
import type { ControlApi, ControlApiOptions } from '../control-api.js';
import { ConfigError } from '../errors.js';
import { createMockSmsc, type MockSmsc, type MockSmscOptions } from '../mock-smsc.js';
import { formatIssue } from '../scenario/index.js';
import type { TranscriptFileMode } from '../transcript/index.js';
import {
  CliError,
  createLogger,
  guardStdio,
  writeTo,
  type LogFormat,
  type Logger,
} from './output.js';
import { StdoutTranscript } from './stdout-transcript.js';

export interface ServeOptions {
  scenario?: string;
  host: string;
  port: number;
  transcript?: string;
  transcriptMode?: TranscriptFileMode;
  watch: boolean;
  /** False with `--no-judge`: the client judge is not attached (no finding, no cost). */
  judge?: boolean;
  /** False with `--no-admin`: no control API and no console. */
  admin?: boolean;
  adminPort?: number;
  adminToken?: string;
  adminTokenFile?: string;
  adminAllowHost?: string[];
  adminCors?: string;
  keepalive?: number;
  throttle?: number;
  clock?: string;
  seed?: number;
  readyFile?: string;
  logFormat: LogFormat;
  quiet: boolean;
  redactPasswords?: boolean;
  memoryTranscript?: number;
  maxSessions?: number;
  maxSessionsPerAddress?: number;
  loginTimeout?: number;
  idleTimeout?: number;
  ackTimeout?: number;
  resends?: number;
  window?: number;
}

/** Adds the options shared by `serve` and `run` (`run` defaults to an ephemeral port). */
export function addServeOptions(cmd: Command, defaults: { port?: number } = {}): Command {
  return cmd
    .option(
      '-s, --scenario <file>',
      'scenario YAML file (default: the built-in scenarios/default.yaml)',
    )
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .addOption(
      new Option('-p, --port <port>', 'CIMD2 port (0 = ephemeral)')
        .default(defaults.port ?? 9971)
        .argParser(intIn(0, 65535, 'port')),
    )
    .option(
      '-t, --transcript <file>',
      'write the JSONL transcript to this file (- = stdout, after the readiness lines)',
    )
    .addOption(
      new Option(
        '--transcript-mode <mode>',
        'an existing transcript file: replace it (a new run) or append to it (seq continues)',
      )
        .choices(['replace', 'append'])
        .default('replace'),
    )
    .option('--watch', 'reload the scenario file when it changes (the default)', true)
    .option('--no-watch', 'do not reload the scenario file when it changes')
    .option(
      '--no-judge',
      'do not attach the client judge: no finding is recorded and judging costs nothing (scenario checks: stay unused)',
    )
    .addOption(
      new Option(
        '--admin-port <port>',
        `HTTP control API and web console port (0 = ephemeral; default ${DEFAULT_ADMIN_PORT}, or an ephemeral port when that is taken, the CIMD2 port is ephemeral, or under run)`,
      ).argParser(intIn(0, 65535, 'admin port')),
    )
    .option('--no-admin', 'no HTTP control API and no web console')
    .option(
      '--admin-token <token>',
      `bearer token required by the control API (visible in the process list: prefer --admin-token-file or ${ADMIN_TOKEN_ENV})`,
    )
    .option(
      '--admin-token-file <file>',
      'read the control API bearer token from this file (read once at start, trimmed)',
    )
    .option(
      '--admin-allow-host <name>',
      'another Host name the control API answers without a token: NAME or NAME:PORT (repeatable)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option(
      '--admin-cors <origin>',
      'the one web origin (scheme://host[:port]) allowed to call the control API from a browser',
    )
    .addOption(
      new Option(
        '--keepalive <seconds>',
        'send alive (40) after this many idle seconds; 0 = off',
      ).argParser(seconds('keepalive')),
    )
    .addOption(
      new Option('--throttle <n>', 'server-sent messages per second; 0 = unlimited').argParser(
        numberAtLeast('throttle'),
      ),
    )
    .addOption(
      new Option(
        '--clock <iso-time>',
        "start the mock's clock at this time (reproducible 060 values)",
      ).argParser(isoTime),
    )
    .addOption(
      new Option('--seed <n>', 'seed for weighted random choices').argParser(
        intIn(0, 2 ** 32 - 1, 'seed'),
      ),
    )
    .option('--ready-file <file>', 'write {"host","port","adminPort","pid"} here once listening')
    .option(
      '--redact-passwords',
      'write *** instead of passwords in the transcript, its explanations and GET /scenario',
    )
    .addOption(
      new Option(
        '--memory-transcript <size>',
        'bytes of transcript kept in memory for the control API, e.g. 64MiB (the default); the oldest records leave first',
      ).argParser(byteSize('memory transcript')),
    )
    .addOption(
      new Option(
        '--max-sessions <n>',
        'open connections at once; more are closed at accept (0 = unlimited)',
      ).argParser(intIn(0, 1_000_000, 'max sessions')),
    )
    .addOption(
      new Option(
        '--max-per-address <n>',
        'open connections at once from one remote address (0 = no limit; default 100, loopback only bounded by --max-sessions)',
      ).argParser(intIn(0, 1_000_000, 'max sessions per address')),
    )
    .addOption(
      new Option(
        '--login-timeout <seconds>',
        'close a connection without a successful login after this long (0 = off; default 30)',
      ).argParser(seconds('login timeout')),
    )
    .addOption(
      new Option(
        '--idle-timeout <seconds>',
        'close a session from which no frame came for this long (0 = off; default 600, or 2 × keepalive if longer)',
      ).argParser(seconds('idle timeout')),
    )
    .addOption(
      new Option(
        '--ack-timeout <seconds>',
        'resend a deliver (20) or status report (23) not answered within this long (default 10)',
      ).argParser(seconds('ack timeout', { positive: true })),
    )
    .addOption(
      new Option(
        '--resends <n>',
        'resends of an unanswered deliver or status report before giving up (default 2)',
      ).argParser(intIn(0, 100, 'resends')),
    )
    .addOption(
      new Option(
        '--window <n>',
        'server requests (20, 23) awaiting an answer at once (default 1)',
      ).argParser(intIn(1, 128, 'window')),
    )
    .addOption(
      new Option('--log-format <format>', 'log format on stderr')
        .choices(['text', 'json'])
        .default('text'),
    )
    .option('-q, --quiet', 'log warnings and errors only', false);
}

/** Port of the control API and console when `--admin-port` does not say (serve only). */
export const DEFAULT_ADMIN_PORT = 9972;

/** Environment variable with the control API token (when neither flag gives one). */
export const ADMIN_TOKEN_ENV = 'CIMD2_MOCK_ADMIN_TOKEN';

/**
 * The control API token: `--admin-token`, else the trimmed content of `--admin-token-file`,
 * else `$CIMD2_MOCK_ADMIN_TOKEN`, else none. Throws a usage error (exit 2) for both flags at
 * once, an unreadable or empty file, or an empty variable. Warns when the file is readable by
 * other users.
 */
export function resolveAdminToken(
  opts: Pick<ServeOptions, 'adminToken' | 'adminTokenFile'>,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (opts.adminToken !== undefined && opts.adminTokenFile !== undefined)
    throw new CliError('give the admin token once: --admin-token or --admin-token-file', 2);
  if (opts.adminToken !== undefined) {
    if (opts.adminToken.trim() === '') throw new CliError('--admin-token is empty', 2);
    return opts.adminToken;
  }
  if (opts.adminTokenFile !== undefined) {
    const file = opts.adminTokenFile;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
      throw new CliError(`cannot read admin token file ${file}: ${code}`, 2);
    }
    const token = text.trim();
    if (token === '') throw new CliError(`admin token file ${file} is empty`, 2);
    try {
      if ((statSync(file).mode & 0o004) !== 0)
        log.warn(`admin token file ${file} is readable by every user (chmod 600 it)`);
    } catch {
      /* read above; a stat failure now is not worth stopping for */
    }
    return token;
  }
  const fromEnv = env[ADMIN_TOKEN_ENV];
  if (fromEnv !== undefined) {
    if (fromEnv.trim() === '') throw new CliError(`${ADMIN_TOKEN_ENV} is set but empty`, 2);
    return fromEnv.trim();
  }
  return undefined;
}

/** A running mock with its control API, as `serve` and `run` use it. */
export interface Running {
  readonly mock: MockSmsc;
  readonly admin: ControlApi | undefined;
  readonly log: Logger;
  /** Why the transcript is incomplete (a failed file or stdout write), else undefined. */
  transcriptProblem(): string | undefined;
  stop(reason: string): Promise<void>;
}

/**
 * Starts the control API and console: on `--admin-port` (a busy one is an error), else on
 * {@link DEFAULT_ADMIN_PORT} for `serve` with a fixed CIMD2 port, else (run, `--port 0`, the
 * default port taken) on an ephemeral port. Without a token, a default console never binds
 * beyond loopback. Returns the API and what the console line adds in parentheses.
 */
async function startAdmin(
  mock: MockSmsc,
  opts: ServeOptions,
  token: string | undefined,
  mode: 'serve' | 'run',
): Promise<{ admin: ControlApi | undefined; note: string | undefined }> {
  if (opts.admin === false) {
    if (opts.adminPort !== undefined)
      throw new CliError('give --admin-port or --no-admin, not both', 2);
    return { admin: undefined, note: undefined };
  }
  // Loaded here, not with the CLI: a mock started with --no-admin (or `validate`, `send` …)
  // never needs the control API and the console.
  const { isLoopbackHost, startControlApi } = await import('../control-api.js');
  const base: ControlApiOptions = {
    ...(token !== undefined ? { token } : {}),
    ...(opts.adminAllowHost !== undefined ? { allowHosts: opts.adminAllowHost } : {}),
    ...(opts.adminCors !== undefined ? { corsOrigin: opts.adminCors } : {}),
    redactPasswords: opts.redactPasswords === true,
  };
  if (opts.adminPort !== undefined) {
    return {
      admin: await startControlApi(mock, { ...base, port: opts.adminPort }),
      note: undefined,
    };
  }
  const notes: string[] = [];
  let host = mock.host;
  if (token === undefined && !isLoopbackHost(host)) {
    host = '127.0.0.1';
    notes.push(`loopback only: set an admin token to serve it on ${mock.host}`);
  }
  const say = (): string | undefined => (notes.length === 0 ? undefined : notes.join('; '));
  if (mode === 'run' || opts.port === 0) {
    notes.push(mode === 'run' ? 'ephemeral port' : 'ephemeral port: the CIMD2 port is ephemeral');
    return { admin: await startControlApi(mock, { ...base, host, port: 0 }), note: say() };
  }
  try {
    return {
      admin: await startControlApi(mock, { ...base, host, port: DEFAULT_ADMIN_PORT }),
      note: say(),
    };
  } catch (error) {
    // A busy default port never stops the mock: the console moves to an ephemeral port.
    if (!(error instanceof ConfigError) || error.code !== 'ERR_CONFIG_ADMIN_LISTEN') throw error;
    const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
    notes.push(
      code === 'EADDRINUSE'
        ? `ephemeral port: ${DEFAULT_ADMIN_PORT} is in use`
        : `ephemeral port: ${DEFAULT_ADMIN_PORT} cannot be used (${code ?? 'error'})`,
    );
    return { admin: await startControlApi(mock, { ...base, host, port: 0 }), note: say() };
  }
}

/**
 * Starts the mock and prints the readiness lines; `onReady` runs just before the first one (the
 * control API and the console may still be starting then, see below).
 */
export async function startServing(
  opts: ServeOptions,
  mode: 'serve' | 'run' = 'serve',
  onReady?: (mock: MockSmsc) => void,
): Promise<Running> {
  // A reader that goes away (`| head -1`) must not kill the mock through its own log output.
  guardStdio();
  const log = createLogger({ format: opts.logFormat, quiet: opts.quiet });
  const adminToken = resolveAdminToken(opts, log);
  const fileTranscript =
    opts.transcript !== undefined && opts.transcript !== '-' ? opts.transcript : undefined;
  const options: MockSmscOptions = {
    host: opts.host,
    port: opts.port,
    watch: opts.watch,
    ...(opts.judge === false ? { judge: false } : {}),
    ...(opts.scenario !== undefined ? { scenario: opts.scenario } : {}),
    ...(fileTranscript !== undefined
      ? { transcript: fileTranscript, transcriptMode: opts.transcriptMode ?? 'replace' }
      : {}),
    ...(opts.keepalive !== undefined ? { keepAlive: opts.keepalive } : {}),
    ...(opts.throttle !== undefined ? { throttle: opts.throttle } : {}),
    ...(opts.clock !== undefined ? { clock: opts.clock } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.redactPasswords === true ? { redactPasswords: true } : {}),
    ...(opts.memoryTranscript !== undefined
      ? { memoryTranscriptBytes: opts.memoryTranscript }
      : {}),
    ...(opts.maxSessions !== undefined ? { maxSessions: opts.maxSessions } : {}),
    ...(opts.maxSessionsPerAddress !== undefined
      ? { maxSessionsPerAddress: opts.maxSessionsPerAddress }
      : {}),
    ...(opts.loginTimeout !== undefined ? { loginTimeoutMs: opts.loginTimeout * 1000 } : {}),
    ...(opts.idleTimeout !== undefined ? { idleTimeoutMs: opts.idleTimeout * 1000 } : {}),
    ...(opts.ackTimeout !== undefined
      ? { ackTimeoutMs: Math.max(1, Math.round(opts.ackTimeout * 1000)) }
      : {}),
    ...(opts.resends !== undefined ? { maxResends: opts.resends } : {}),
    ...(opts.window !== undefined ? { window: opts.window } : {}),
  };
  const mock = await createMockSmsc(options);
  const stdoutTranscript = opts.transcript === '-' ? new StdoutTranscript(mock) : undefined;
  const file = mock.transcriptFile;
  if (file !== undefined) {
    if (opts.transcriptMode !== 'append' && file.previousBytes > 0)
      log.info(
        `transcript file ${file.path} replaced (it held ${file.previousBytes} bytes of an earlier run; --transcript-mode append keeps them)`,
      );
    file.on('reopened', (why) => {
      log.info(
        why === 'requested'
          ? `transcript file ${file.path} reopened (SIGUSR1)`
          : `transcript file ${file.path} was ${why} under the mock: writing to the file now at the path`,
      );
    });
  }
  const allInterfaces = mock.host === '0.0.0.0' || mock.host === '::';
  const readinessLine = `cimd2-mock listening on ${hostPort(mock.host, mock.port)}${allInterfaces ? ' (all interfaces)' : ''}\n`;
  // The readiness line comes as soon as the CIMD2 port listens when what follows cannot fail the
  // start: a console on the default or an ephemeral port (a busy default port moves it to an
  // ephemeral one), with no option of its own to check and no ready file to complete with its
  // port. The control API and the console (their modules too) then start after it. Otherwise
  // (`--admin-port`, `--admin-allow-host`, `--admin-cors`, `--ready-file`) it waits for them,
  // so that a failing control API stops the mock before any readiness line.
  // (`serve` only: `run` starts its command once everything is up anyway.)
  const early =
    mode === 'serve' &&
    opts.admin !== false &&
    opts.adminPort === undefined &&
    opts.adminAllowHost === undefined &&
    opts.adminCors === undefined &&
    opts.readyFile === undefined;
  const ready = (): void => {
    // `onReady` first: whoever reads the line may signal the process at once.
    onReady?.(mock);
    writeTo(process.stdout, readinessLine);
    // The log follows the mock from the readiness line on: a client may connect at once.
    log.info('scenario loaded', {
      scenario: mock.scenario.file,
      name: mock.scenario.name,
      rules: mock.scenario.rules.length,
    });
    mock.on('scenario-loaded', (s, source) => {
      log.info('scenario reloaded', { scenario: s.file, rules: s.rules.length, source });
    });
    mock.on('scenario-rejected', (issues, _file, source) => {
      for (const i of issues)
        log.warn(`scenario rejected (${source}), keeping the previous one: ${formatIssue(i)}`);
    });
    mock.on('error', (e) => {
      log.error(e.message);
    });
    mock.server.on('session-opened', (s) => {
      log.info('session opened', { session: s.id, remote: s.remote });
    });
    mock.server.on('session-closed', (s, r) => {
      log.info('session closed', { session: s.id, reason: r.text, code: r.code });
    });
    mock.server.on('limit-reached', (e) => {
      log.warn(`limit reached: ${e.limit} (${e.value}): ${e.detail}`, {
        ...(e.clientId !== undefined ? { session: e.clientId } : {}),
      });
    });
  };
  if (early) ready();
  let admin: ControlApi | undefined;
  let adminNote: string | undefined;
  try {
    ({ admin, note: adminNote } = await startAdmin(mock, opts, adminToken, mode));
  } catch (error) {
    await mock.stop('control API failed to start');
    throw error;
  }
  // The ready file first: whoever sees the readiness line may read it at once.
  if (opts.readyFile !== undefined) {
    writeFileSync(
      opts.readyFile,
      `${JSON.stringify({ host: mock.host, port: mock.port, adminPort: admin?.port ?? null, pid: process.pid })}\n`,
    );
  }
  if (!early) ready();
  if (admin !== undefined) {
    writeTo(process.stdout, `cimd2-mock admin on ${admin.url}\n`);
    writeTo(
      process.stdout,
      `cimd2-mock console on ${admin.url}/${adminNote === undefined ? '' : ` (${adminNote})`}\n`,
    );
  }
  // From here on stdout carries the JSONL transcript only (with `--transcript -`).
  stdoutTranscript?.release();
  let stopping: Promise<void> | undefined;
  return {
    mock,
    admin,
    log,
    transcriptProblem: () => {
      if (stdoutTranscript?.error !== undefined)
        return `the transcript on stdout is incomplete (${stdoutTranscript.error.message})`;
      if (mock.transcriptWriteErrors > 0)
        return `the transcript file ${opts.transcript ?? ''} is incomplete (write failed, see above)`;
      return undefined;
    },
    stop: (reason) =>
      (stopping ??= (async () => {
        await admin?.close();
        await mock.stop(reason);
      })()),
  };
}

/** `host:port`, with brackets around IPv6 hosts. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The shutdown summary printed to stderr. "rules used" lists every rule that answered during the
 * run (across hot reloads and resets, in first-use order); "rules unused" the rules of the
 * current scenario that never did.
 */
export function summary(mock: MockSmsc): string {
  const s = mock.stats();
  const ops = (m: Readonly<Record<string, number>>): string =>
    Object.entries(m)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  // Over the whole run: rules used before a reload or reset count too.
  const usage = mock.engine.ruleUsage();
  const used = usage.map((r) => `${r.id} ×${r.uses}`);
  const everUsed = new Set(usage.map((r) => r.id));
  const unused = mock.engine.scenario.rules.filter((r) => !everUsed.has(r.id)).map((r) => r.id);
  return [
    'cimd2-mock summary',
    `  sessions: ${s.sessionsTotal}`,
    `  frames in: ${ops(s.framesIn)}`,
    `  frames out: ${ops(s.framesOut)}`,
    `  status reports sent: ${s.statusReportsSent}`,
    `  rules used: ${used.join(', ') || 'none'}`,
    `  rules unused: ${unused.join(', ') || 'none'}`,
    `  unmatched requests: ${s.unmatched}`,
    `  frame errors: ${s.frameErrors}`,
    `  findings: ${findingsLine(mock)}`,
  ].join('\n');
}

/** `window-exceeded 2 errors, close-without-logout 1 warning` over the run (docs/judge.md). */
function findingsLine(mock: MockSmsc): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const parts = mock.findingCounts().map((c) => {
    const kinds = [
      ...(c.errors > 0 ? [plural(c.errors, 'error')] : []),
      ...(c.warnings > 0 ? [plural(c.warnings, 'warning')] : []),
    ];
    return `${c.check} ${kinds.join(' + ')}`;
  });
  return parts.join(', ') || 'none';
}

/** Signals that stop `serve` as SIGTERM does (flush, `server-stop`, summary, exit code). */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * `serve`: run until SIGINT, SIGTERM or SIGHUP, then stop, print the summary and exit 0 (1 when
 * the transcript is incomplete). SIGUSR1 reopens the transcript file (after a log rotation).
 */
export async function serve(opts: ServeOptions): Promise<void> {
  // The signals are handled from the readiness line on (the control API may still be starting
  // then: a stop signal in that time stops the mock as soon as it is up).
  let pending: NodeJS.Signals | undefined;
  let stopping = (signal: NodeJS.Signals): void => {
    pending ??= signal;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    stopping(signal);
  };
  let onReopen: (() => void) | undefined;
  let running: Running;
  try {
    running = await startServing(opts, 'serve', (mock) => {
      onReopen = () => {
        mock.transcriptFile?.reopen();
      };
      process.on('SIGUSR1', onReopen);
      for (const s of STOP_SIGNALS) process.on(s, onSignal);
    });
  } catch (error) {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
    if (onReopen !== undefined) process.off('SIGUSR1', onReopen);
    throw error;
  }
  await new Promise<void>((resolve) => {
    stopping = (signal) => {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
      running.log.info(`${signal} received, stopping`);
      // Records already made reach the file even if the stop below is interrupted.
      running.mock.flushSync();
      running.stop(signal).then(resolve, (error: unknown) => {
        running.log.error(`stop failed: ${error instanceof Error ? error.message : String(error)}`);
        resolve();
      });
    };
    if (pending !== undefined) stopping(pending);
  });
  if (onReopen !== undefined) process.off('SIGUSR1', onReopen);
  writeTo(process.stderr, `${summary(running.mock)}\n`);
  const problem = running.transcriptProblem();
  if (problem !== undefined) {
    // The run's record is incomplete: a CI job must not pass on it.
    writeTo(process.stderr, `cimd2-mock: ${problem}\n`);
    process.exitCode = 1;
  }
}
