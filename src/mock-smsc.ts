/**
 * The mock SMSC: the SMSC server core driven by a scenario, recorded in a transcript.
 *
 * `createMockSmsc(options)` loads the scenario (a file, YAML text, a compiled scenario, or the
 * built-in default), starts listening, records every transaction, and (with `watch`) reloads the
 * scenario file whenever it changes: a valid edit swaps the rules atomically (rule counters and
 * state start afresh; sessions stay connected), an invalid one keeps the last good scenario and
 * is reported as `file:line:col` issues.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { opName } from './protocol/operations.js';
import { statusByName } from './protocol/status-codes.js';
import { hexToBytes } from './protocol/values.js';
import type { TextEncoding } from './protocol/user-data.js';
import { ConfigError, UnknownSessionError } from './errors.js';
import {
  RuleEngine,
  ScenarioWatcher,
  formatIssue,
  loadDefaultScenario,
  loadScenarioFile,
  loadScenarioObject,
  loadScenarioText,
  type CompiledScenario,
  type RuleStat,
  type ScenarioIssue,
  type ScenarioLoadOptions,
} from './scenario/index.js';
import { SmscServer, type DeliverResult, type SmscServerOptions } from './server/smsc-server.js';
import type { Session } from './server/session.js';
import type { SessionInfo } from './server/ports.js';
import {
  FileSink,
  MemorySink,
  TeeSink,
  Transcript,
  TranscriptRecorder,
  type RecordSelector,
  type TranscriptRecord,
  type TranscriptSink,
} from './transcript/index.js';
import { offsetClock, systemClock, type Clock } from './util/clock.js';
import { AssertionError } from 'node:assert';

const SEEN_USERS_LIMIT = 10_000;

/** Package version, read once from package.json (works from src/ and dist/). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** Where the scenario comes from. */
export type ScenarioSourceOption =
  string | CompiledScenario | { readonly yaml: string; readonly file?: string };

export interface MockSmscOptions extends Omit<
  SmscServerOptions,
  'responder' | 'clock' | 'keepAliveInterval' | 'throttleRate' | 'timeZone' | 'statusReportDelayMs'
> {
  /** A scenario file path, YAML text (`{ yaml }`), or a compiled scenario. Default: scenarios/default.yaml. */
  readonly scenario?: ScenarioSourceOption;
  /** Bind address (default 127.0.0.1). */
  readonly host?: string;
  /** TCP port (default 0 = ephemeral; the CLI defaults to 9971). */
  readonly port?: number;
  /** JSONL transcript file; absent = in memory only. */
  readonly transcript?: string;
  /** Records kept in memory for `transcript`, `waitFor` and the control API (default 200 000; older ones are dropped). */
  readonly memoryRecords?: number;
  /** A Clock, or a start time (ISO string, Date, ms) from which the mock's clock runs in real time. */
  readonly clock?: Clock | string | Date | number;
  /** Seed of weighted random choices (reproducible runs). */
  readonly seed?: number;
  /** Reload the scenario file when it changes (file scenarios only; default false). */
  readonly watch?: boolean;
  /** Debounce of the watcher (ms, default 50). */
  readonly watchDebounceMs?: number;
  /** KeepAliveInterval in seconds; overrides the scenario's `server.keepAlive`. */
  readonly keepAlive?: number;
  /** ThrottleRate; overrides the scenario's `server.throttle`. */
  readonly throttle?: number;
  /** Time zone of 060 values; overrides the scenario's `server.timezone`. */
  readonly timeZone?: string;
  /** Replace passwords (011) with *** in the transcript. */
  readonly redactPasswords?: boolean;
  /** Grace period for sessions at stop (ms, default 2000). */
  readonly stopGraceMs?: number;
  /** Scenario files and texts over this many bytes are refused before parsing (default 1 MiB). */
  readonly maxScenarioBytes?: number;
}

/** An MO to inject (control API `POST /deliver`). */
export interface DeliverRequest {
  readonly user?: string;
  readonly session?: string;
  readonly from: string;
  readonly to: string;
  readonly text?: string;
  readonly hex?: string;
  readonly encoding?: TextEncoding;
  readonly udh?: string;
}

/** A status report to inject (control API `POST /status-report`). */
export interface StatusReportRequest {
  readonly user?: string;
  readonly session?: string;
  readonly destination: string;
  /** 060 of the submit. */
  readonly timestamp: string;
  /** Name (delivered, failed, expired, …) or number. */
  readonly status: string | number;
  readonly errorCode?: number;
}

export interface MockSmscEvents {
  'scenario-loaded': [scenario: CompiledScenario];
  'scenario-rejected': [issues: ScenarioIssue[], file: string];
  record: [record: TranscriptRecord];
  error: [error: Error];
}

/** Counters for `GET /stats` and the shutdown summary. */
export interface MockSmscStats {
  readonly sessionsOpen: number;
  readonly sessionsTotal: number;
  readonly framesIn: Readonly<Record<string, number>>;
  readonly framesOut: Readonly<Record<string, number>>;
  readonly statusReportsSent: number;
  readonly delivers: number;
  readonly unmatched: number;
  readonly frameErrors: number;
  readonly rules: readonly RuleStat[];
}

export class MockSmsc extends EventEmitter<MockSmscEvents> {
  readonly server: SmscServer;
  readonly engine: RuleEngine;
  readonly clock: Clock;
  private readonly options: MockSmscOptions;
  private readonly recorder: TranscriptRecorder;
  private readonly memory: MemorySink;
  private readonly fileSink: FileSink | undefined;
  private watcher: ScenarioWatcher | undefined;
  private addr: { host: string; port: number } = { host: '', port: 0 };
  private readonly seenUsers = new Set<string>();
  private sessionsTotal = 0;
  private readonly framesIn: Record<string, number> = {};
  private readonly framesOut: Record<string, number> = {};
  private stopped: Promise<void> | undefined;
  private scenarioFile: string | undefined;

  private constructor(
    options: MockSmscOptions,
    scenario: CompiledScenario,
    clock: Clock,
    sinks: { memory: MemorySink; file: FileSink | undefined },
  ) {
    super();
    this.options = options;
    this.clock = clock;
    this.engine = new RuleEngine(
      scenario,
      options.seed === undefined ? {} : { seed: options.seed },
    );
    const { keepAlive, throttle, timeZone } = options;
    const serverOptions = pickServerOptions(options);
    const timeZoneValue = timeZone ?? scenario.server.timezone;
    this.server = new SmscServer({
      ...serverOptions,
      clock,
      responder: this.engine,
      keepAliveInterval: keepAlive ?? (scenario.server.keepAliveMs ?? 0) / 1000,
      throttleRate: throttle ?? scenario.server.throttle ?? 0,
      statusReportDelayMs: scenario.server.statusReportDelayMs,
      ...(timeZoneValue !== undefined ? { timeZone: timeZoneValue } : {}),
    });
    this.memory = sinks.memory;
    this.fileSink = sinks.file;
    const sink: TranscriptSink =
      sinks.file === undefined ? sinks.memory : new TeeSink([sinks.memory, sinks.file]);
    this.recorder = new TranscriptRecorder(sink, {
      clock,
      redactPasswords: options.redactPasswords ?? false,
    });
    this.recorder.attach(this.server, { scenario: scenario.file, version: VERSION });
    this.memory.subscribe((r) => this.emit('record', r));
    this.server.on('frame-in', (_s, result) => {
      if (result.ok) bump(this.framesIn, opName(result.frame.op));
    });
    this.server.on('frame-out', (_s, frame) => {
      bump(this.framesOut, opName(frame.op));
    });
    this.server.on('error', (e) => {
      if (this.listenerCount('error') > 0) this.emit('error', e);
    });
    // A transcript write failure (disk full, I/O error) must reach the operator, not vanish.
    sinks.file?.on('error', (e) => {
      if (this.listenerCount('error') > 0) this.emit('error', e);
    });
    this.server.on('session-opened', () => {
      this.sessionsTotal++;
    });
    this.server.on('logged-in', (info) => {
      this.onLogin(info);
    });
  }

  /** Starts a mock SMSC (see {@link createMockSmsc}). */
  static async start(options: MockSmscOptions = {}): Promise<MockSmsc> {
    const scenario = await resolveScenario(options.scenario, scenarioLimit(options));
    const clock = resolveClock(options.clock);
    const memory = new MemorySink({ limit: options.memoryRecords ?? 200_000 });
    const file =
      options.transcript === undefined ? undefined : await openTranscript(options.transcript);
    const mock = new MockSmsc(options, scenario, clock, { memory, file });
    mock.scenarioFile = typeof options.scenario === 'string' ? options.scenario : undefined;
    try {
      mock.addr = await mock.server.listen({
        host: options.host ?? '127.0.0.1',
        port: options.port ?? 0,
      });
    } catch (error) {
      await file?.close();
      const e = error as NodeJS.ErrnoException;
      throw new ConfigError(
        e.code === 'EADDRINUSE'
          ? `port ${options.port ?? 0} on ${options.host ?? '127.0.0.1'} is already in use`
          : `cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 0}: ${e.message}`,
        'ERR_CONFIG_LISTEN',
        { cause: error },
      );
    }
    mock.recorder.record('scenario-loaded', {
      file: scenario.file,
      name: scenario.name,
      rules: scenario.rules.length,
    });
    if (options.watch === true && mock.scenarioFile !== undefined)
      await mock.watch(mock.scenarioFile);
    return mock;
  }

  /** Bound host. */
  get host(): string {
    return this.addr.host;
  }

  /** Bound port (the real one when 0 was asked). */
  get port(): number {
    return this.addr.port;
  }

  /** The scenario in force. */
  get scenario(): CompiledScenario {
    return this.engine.scenario;
  }

  /** The live transcript (records kept in memory). */
  get transcript(): Transcript {
    return new Transcript(this.memory.records);
  }

  /** Records with seq > `since`, oldest first. */
  recordsSince(since = 0): readonly TranscriptRecord[] {
    return this.memory.records.filter((r) => r.seq > since);
  }

  /**
   * Resolves with the first record (already recorded or future) matching `filter`; rejects with
   * an AssertionError after `timeoutMs` (alias `timeout`; default 5000 ms).
   */
  waitFor(
    filter: RecordSelector,
    options: { timeoutMs?: number; timeout?: number } = {},
  ): Promise<TranscriptRecord> {
    const test =
      typeof filter === 'function'
        ? filter
        : (r: TranscriptRecord): boolean => new Transcript([r]).filter(filter).length > 0;
    const found = this.memory.records.find(test);
    if (found !== undefined) return Promise.resolve(found);
    const timeoutMs = options.timeoutMs ?? options.timeout ?? 5000;
    return new Promise((resolve, reject) => {
      const unsubscribe = this.memory.subscribe((r) => {
        if (!test(r)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(r);
      });
      const timer = setTimeout(() => {
        unsubscribe();
        reject(
          new AssertionError({
            message: `no transcript record matched within ${timeoutMs} ms: ${JSON.stringify(filter)}`,
          }),
        );
      }, timeoutMs);
    });
  }

  /** Open sessions. */
  sessions(): SessionInfo[] {
    return this.server.sessions();
  }

  private pickSession(sel: { user?: string; session?: string }): Session {
    if (sel.session !== undefined) {
      const s = this.server.session(sel.session);
      if (s === undefined) throw new UnknownSessionError(`no open session ${sel.session}`);
      return s;
    }
    if (sel.user !== undefined) {
      const s = this.server.sessionsOf(sel.user)[0];
      if (s === undefined)
        throw new UnknownSessionError(`user ${sel.user} has no logged-in session`);
      return s;
    }
    for (const info of this.server.sessions()) {
      const s = this.server.session(info.id);
      if (s?.user !== undefined) return s;
    }
    throw new UnknownSessionError('no logged-in session to deliver to');
  }

  /** Injects an MO (op 20) to a user's (or session's) connection; resolves once acknowledged or given up. */
  async deliver(request: DeliverRequest): Promise<DeliverResult> {
    const session = this.pickSession(request);
    return this.server.sendDeliverMessage(session.id, {
      destination: request.to,
      originator: request.from,
      ...(request.text !== undefined ? { text: request.text } : {}),
      ...(request.hex !== undefined ? { bytes: hexToBytes(request.hex) } : {}),
      ...(request.encoding !== undefined ? { encoding: request.encoding } : {}),
      ...(request.udh !== undefined ? { udh: hexToBytes(request.udh) } : {}),
    });
  }

  /** Injects a status report (op 23). */
  async statusReport(request: StatusReportRequest): Promise<DeliverResult> {
    const status =
      typeof request.status === 'number' ? request.status : statusByName(request.status);
    if (status === undefined || !Number.isInteger(status) || status < 0 || status > 9) {
      throw new ConfigError(
        `unknown status ${JSON.stringify(request.status)}`,
        'ERR_CONFIG_STATUS',
      );
    }
    const session = this.pickSession(request);
    return this.server.sendDeliverStatusReport(session.id, {
      messageTimestamp: request.timestamp,
      destination: request.destination,
      status,
      ...(request.errorCode !== undefined ? { statusErrorCode: request.errorCode } : {}),
    });
  }

  /**
   * Swaps the scenario, with the same validation as files: a file path (a string ending in
   * `.yaml`/`.yml` without a line break), YAML text (any other string), `{ file }`, a scenario
   * document as a plain object, or a compiled scenario. Throws ScenarioError (with
   * file:line:col issues) and keeps the old scenario on error.
   */
  async useScenario(
    source: string | { file: string } | CompiledScenario | Readonly<Record<string, unknown>>,
    file = 'inline.yaml',
  ): Promise<CompiledScenario> {
    const limit = scenarioLimit(this.options);
    let scenario: CompiledScenario;
    if (typeof source === 'string') {
      scenario =
        /\.ya?ml$/i.test(source) && !source.includes('\n')
          ? await loadScenarioFile(source, limit)
          : loadScenarioText(source, file, limit);
    } else if (isCompiled(source)) {
      scenario = source;
    } else if (fileOnly(source) !== undefined) {
      scenario = await loadScenarioFile(fileOnly(source) ?? '', limit);
    } else {
      scenario = loadScenarioObject(source, file, limit);
    }
    this.apply(scenario);
    return scenario;
  }

  private apply(scenario: CompiledScenario): void {
    this.engine.use(scenario);
    if (this.options.keepAlive === undefined)
      this.server.keepAliveInterval = (scenario.server.keepAliveMs ?? 0) / 1000;
    if (this.options.throttle === undefined)
      this.server.throttleRate = scenario.server.throttle ?? 0;
    this.recorder.record('scenario-loaded', {
      file: scenario.file,
      name: scenario.name,
      rules: scenario.rules.length,
    });
    this.emit('scenario-loaded', scenario);
  }

  /** Rule counters and state start afresh (the scenario stays). */
  reset(): void {
    this.engine.reset();
  }

  /** Use counts of every rule. */
  rules(): RuleStat[] {
    return this.engine.ruleStats();
  }

  /** Throws AssertionError listing the rules no request used. */
  assertAllRulesUsed(): void {
    const unused = this.engine.unusedRules();
    if (unused.length > 0) {
      throw new AssertionError({
        message: `scenario rules never used: ${unused.join(', ')}`,
        actual: unused,
        expected: [],
        operator: 'allRulesUsed',
      });
    }
  }

  /** Counters for the control API and the shutdown summary. */
  stats(): MockSmscStats {
    const c = this.recorder.counts();
    return {
      sessionsOpen: this.server.sessions().length,
      sessionsTotal: this.sessionsTotal,
      framesIn: { ...this.framesIn },
      framesOut: { ...this.framesOut },
      statusReportsSent: this.framesOut['status-report'] ?? 0,
      delivers: this.framesOut['deliver'] ?? 0,
      unmatched: c.unmatched,
      frameErrors: c.frameErrors,
      rules: this.engine.ruleStats(),
    };
  }

  /** Records that could not be written to the transcript file (0 when healthy). */
  get transcriptWriteErrors(): number {
    return this.fileSink?.errors.length ?? 0;
  }

  /**
   * Stops: no new connections, sessions get the grace period, the transcript is flushed and
   * closed with a `server-stop` record. Idempotent.
   */
  stop(reason = 'stopped'): Promise<void> {
    this.stopped ??= (async () => {
      await this.watcher?.close();
      await this.server.close({ graceMs: this.options.stopGraceMs ?? 2000 });
      this.recorder.serverStop(reason);
      await this.recorder.close();
    })();
    return this.stopped;
  }

  /** Writes pending transcript records synchronously (signal handlers). */
  flushSync(): void {
    this.recorder.flushSync();
  }

  private async watch(file: string): Promise<void> {
    const watcher = new ScenarioWatcher(file, {
      debounceMs: this.options.watchDebounceMs ?? 50,
      ...scenarioLimit(this.options),
    });
    watcher.on('loaded', (scenario) => {
      this.apply(scenario);
    });
    watcher.on('rejected', (issues, f) => {
      this.recorder.record('scenario-rejected', {
        file: f,
        issues: issues.map((i) => ({ file: i.file, line: i.line, col: i.col, message: i.message })),
      });
      this.emit('scenario-rejected', issues, f);
    });
    watcher.on('error', (e) => {
      if (this.listenerCount('error') > 0) this.emit('error', e);
    });
    await watcher.start();
    this.watcher = watcher;
  }

  private onLogin(info: SessionInfo): void {
    const user = info.user;
    if (user === undefined || this.seenUsers.has(user)) return;
    const items = this.engine.scenario.schedule.filter(
      (i) => i.user === undefined || i.user === user,
    );
    if (items.length === 0) return;
    this.seenUsers.add(user);
    // Bounded: only users a schedule applies to are kept, at most SEEN_USERS_LIMIT of them (a
    // forgotten user's next first login starts its schedule again).
    if (this.seenUsers.size > SEEN_USERS_LIMIT) {
      const oldest = this.seenUsers.values().next();
      if (oldest.done !== true) this.seenUsers.delete(oldest.value);
    }
    for (const item of items) {
      const first = this.server.session(info.id);
      if (first === undefined) continue;
      // A scheduled deliver goes to the user's oldest logged-in session when it fires.
      const action =
        item.action.kind === 'disconnect'
          ? item.action
          : { ...item.action, target: 'user' as const };
      this.server.schedule(first, action, { user, session: info.id });
    }
  }
}

/** Starts a mock SMSC: loads the scenario, listens, records. */
export function createMockSmsc(options: MockSmscOptions = {}): Promise<MockSmsc> {
  return MockSmsc.start(options);
}

const SERVER_OPTION_KEYS = [
  'aliveTimeoutMs',
  'window',
  'ackTimeoutMs',
  'maxResends',
  'maxFrameLength',
  'checksum',
  'maxSessionsPerUser',
  'replaceOldestSession',
  'multipartTtlMs',
  'maxPendingRequests',
  'maxWriteBufferBytes',
  'maxSessions',
  'loginTimeoutMs',
  'idleTimeoutMs',
  'maxOutstanding',
  'maxScheduledItems',
  'maxMultipartSets',
  'lingerMs',
] as const satisfies readonly (keyof SmscServerOptions)[];

/** The SmscServer options among the facade's options. */
function pickServerOptions(options: MockSmscOptions): SmscServerOptions {
  const out: Record<string, unknown> = {};
  for (const key of SERVER_OPTION_KEYS) if (options[key] !== undefined) out[key] = options[key];
  return out;
}

/** The path of a `{ file }` object (and nothing else), else undefined. */
function fileOnly(x: object): string | undefined {
  const file = (x as { file?: unknown }).file;
  return typeof file === 'string' && Object.keys(x).length === 1 ? file : undefined;
}

/** Opens the transcript file, creating its folder first (`--transcript out/t.jsonl` just works). */
async function openTranscript(path: string): Promise<FileSink> {
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch {
    // FileSink.open reports the path and the OS reason.
  }
  return FileSink.open(path);
}

function isCompiled(x: object): x is CompiledScenario {
  return 'source' in x && 'schedule' in x && 'rules' in x && 'server' in x;
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function scenarioLimit(options: MockSmscOptions): ScenarioLoadOptions {
  return options.maxScenarioBytes === undefined ? {} : { maxBytes: options.maxScenarioBytes };
}

async function resolveScenario(
  source: ScenarioSourceOption | undefined,
  limit: ScenarioLoadOptions,
): Promise<CompiledScenario> {
  if (source === undefined) return loadDefaultScenario();
  if (typeof source === 'string') return loadScenarioFile(source, limit);
  if ('yaml' in source) return loadScenarioText(source.yaml, source.file ?? 'inline.yaml', limit);
  return source;
}

function resolveClock(clock: MockSmscOptions['clock']): Clock {
  if (clock === undefined) return systemClock;
  if (typeof clock === 'object' && !(clock instanceof Date)) return clock;
  const start =
    clock instanceof Date ? clock.getTime() : typeof clock === 'number' ? clock : Date.parse(clock);
  if (!Number.isFinite(start))
    throw new ConfigError(`--clock: not a time: ${String(clock)}`, 'ERR_CONFIG_CLOCK');
  return offsetClock(start);
}

export { formatIssue };
