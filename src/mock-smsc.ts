/**
 * The mock SMSC: the SMSC server core driven by a scenario, recorded in a transcript.
 *
 * `createMockSmsc(options)` loads the scenario (a file, YAML text, a compiled scenario, or the
 * built-in default), starts listening, records every transaction, and (with `watch`) reloads the
 * scenario file whenever it changes: a valid edit swaps the rules atomically (rule counters and
 * state start afresh; sessions stay connected), an invalid one keeps the last good scenario and
 * is reported as `file:line:col` issues.
 *
 * `reset()` starts a new epoch (a `reset` record): the default views (`transcript`, `waitFor`)
 * only look at the records after it, so tests in a row do not see each other's traffic. The
 * in-memory transcript is a byte-budgeted ring of JSONL (transcript/memory-ring.ts, 64 MiB by
 * default): the views parse what they return and say `truncated` when records left it.
 *
 * Over 500 lines on purpose: this is the facade, one class whose members are the public API
 * (docs/api.md), each a few lines over the parts that do the work (server core, scenario
 * engine, transcript recorder and ring, control of epochs).
 */
import { randomUUID } from 'node:crypto';
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
  ScenarioError,
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
import type { ActiveFaults, ConnectionFaultSpec } from './server/connection-faults.js';
import { mulberry32 } from './scenario/random.js';
import type { Session } from './server/session.js';
import type { SessionInfo } from './server/ports.js';
// The transcript's modules one by one, not its index: the mock's start-up does not load the
// expectations, assertions, diff and show modules the index also exports.
import { TranscriptError } from './transcript/errors.js';
import { Transcript, type RecordSelector } from './transcript/query.js';
import type { FindingRecord, ScenarioOrigin, TranscriptRecord } from './transcript/record.js';
import { TranscriptRecorder } from './transcript/recorder.js';
import type { TrafficFigures } from './transcript/traffic-tally.js';
import {
  FileSink,
  MemorySink,
  TeeSink,
  type TranscriptFileMode,
  type TranscriptLines,
  type TranscriptSink,
} from './transcript/sinks.js';
import { offsetClock, systemClock, turnClock, type Clock } from './util/clock.js';
import { ClientJudge, DEFAULT_LEVELS, type Severity } from './judge/index.js';
import { FindingStore, type FindingCount } from './judge/store.js';
import { AssertionError } from 'node:assert';

/** Package version, read once from package.json (works from src/ and dist/). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/**
 * A scenario, tagged by what it is (never guessed from the shape of a string):
 * - `{ file }`: a scenario file to read;
 * - `{ yaml, file? }`: YAML text (`file` only names it in issues; default `inline.yaml`);
 * - `{ document, file? }`: a scenario document as a plain object;
 * - a compiled scenario (`loadScenarioText`, `loadScenarioFile`, …).
 */
export type ScenarioInput =
  | { readonly file: string }
  | { readonly yaml: string; readonly file?: string }
  | { readonly document: Readonly<Record<string, unknown>>; readonly file?: string }
  | CompiledScenario;

/** Where the scenario comes from at start: a file path (a string is always a path), or a tagged source. */
export type ScenarioSourceOption = string | ScenarioInput;

/** Options of {@link MockSmsc.reset}. */
export interface ResetOptions {
  /** `keep` (default): connected sessions stay; `close`: every session is closed. */
  readonly sessions?: 'keep' | 'close';
}

/** What {@link MockSmsc.reset} did. */
export interface ResetResult {
  /** Number of the epoch that starts (1 at the first reset). */
  readonly epoch: number;
  /** `seq` of the `reset` record: the epoch holds the records after it. */
  readonly seq: number;
  /** Pending scheduled items cancelled. */
  readonly cancelled: number;
  /** Sessions closed (0 unless `sessions: 'close'`). */
  readonly sessionsClosed: number;
}

/** Options of {@link MockSmsc.waitFor}. */
export interface WaitForOptions {
  /** Rejects with an AssertionError after this many ms (default 5000). */
  readonly timeoutMs?: number;
  /** Alias of `timeoutMs`. */
  readonly timeout?: number;
  /**
   * Also consider records already recorded with `seq` > `since` (within the current epoch:
   * `since: 0` is the whole epoch). Default: only records recorded after the call.
   */
  readonly since?: number;
}

/** The scenario in force and where it came from (`GET /scenario`). */
export interface ScenarioInfo {
  readonly source: ScenarioOrigin;
  readonly file: string;
  readonly name: string;
  readonly rules: number;
  /** The YAML text it was compiled from. */
  readonly text: string;
}

export interface MockSmscOptions extends Omit<
  SmscServerOptions,
  'responder' | 'clock' | 'keepAliveInterval' | 'throttleRate' | 'timeZone' | 'statusReportDelayMs'
> {
  /**
   * Attach the client judge (default true), which records a `finding` for every protocol rule the
   * client breaks (docs/judge.md). `false`: nothing is judged, no finding is recorded, judging
   * costs nothing, and a scenario's `checks:` has no effect (`checks: { all: off }` keeps the judge
   * attached, so a reload can turn checks back on).
   */
  readonly judge?: boolean;
  /** A scenario file path, or a tagged source (`{ file }`, `{ yaml }`, `{ document }`, compiled). Default: scenarios/default.yaml. */
  readonly scenario?: ScenarioSourceOption;
  /** Bind address (default 127.0.0.1). */
  readonly host?: string;
  /** TCP port (default 0 = ephemeral; the CLI defaults to 9971). */
  readonly port?: number;
  /** JSONL transcript file; absent = in memory only. */
  readonly transcript?: string;
  /**
   * What to do with a transcript file already at `transcript`: `replace` (default) starts it
   * afresh; `append` keeps its records and continues their `seq` (refused when the file holds
   * no record to continue from).
   */
  readonly transcriptMode?: TranscriptFileMode;
  /**
   * Byte budget of the transcript kept in memory for `transcript`, `waitFor` and the control
   * API (default 64 MiB of JSONL); the oldest records leave first and views that lost records
   * say `truncated` (the file keeps everything).
   */
  readonly memoryTranscriptBytes?: number;
  /** Also keep at most about this many records in memory (default: only the byte budget). */
  readonly memoryRecords?: number;
  /** A Clock, or a start time (ISO string, Date, ms) from which the mock's clock runs in real time. */
  readonly clock?: Clock | string | Date | number;
  /** Seed of weighted random choices (reproducible runs). */
  readonly seed?: number;
  /** Reload the scenario file when it changes (a path or `{ file }` scenario only; default false). */
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
  'scenario-loaded': [scenario: CompiledScenario, source: ScenarioOrigin];
  'scenario-rejected': [issues: ScenarioIssue[], file: string, source: ScenarioOrigin];
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
  /**
   * Bytes the in-memory transcript holds now (at most `memoryTranscriptBytes`): JSONL lines,
   * and frames and completed messages in their packed form until read.
   */
  readonly transcriptMemoryBytes: number;
}

export class MockSmsc extends EventEmitter<MockSmscEvents> {
  readonly server: SmscServer;
  readonly engine: RuleEngine;
  readonly clock: Clock;
  private readonly options: MockSmscOptions;
  private readonly recorder: TranscriptRecorder;
  /** The client judge's findings (docs/judge.md). */
  private readonly findingStore = new FindingStore();
  private readonly memorySink: MemorySink;
  /**
   * The in-memory transcript, once the events a session holds until its answers are written
   * have been recorded (a read from inside an event handler sees them).
   */
  private get memory(): MemorySink {
    this.server.flushHeldEvents();
    return this.memorySink;
  }
  private readonly fileSink: FileSink | undefined;
  private watcher: ScenarioWatcher | undefined;
  private addr: { host: string; port: number } = { host: '', port: 0 };
  private sessionsTotal = 0;
  private readonly framesIn: Record<string, number> = {};
  private readonly framesOut: Record<string, number> = {};
  private stopped: Promise<void> | undefined;
  private scenarioFile: string | undefined;
  /** Id of this run, written in `server-start` (`runId`). */
  readonly runId: string = randomUUID();
  private scenarioOrigin: ScenarioOrigin = 'file';
  private epochNumber = 0;
  /** `seq` of the last `reset` record (0: no reset yet). */
  private epochStartSeq = 0;

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
    this.memorySink = sinks.memory;
    this.fileSink = sinks.file;
    const sink: TranscriptSink =
      sinks.file === undefined ? sinks.memory : new TeeSink([sinks.memory, sinks.file]);
    this.recorder = new TranscriptRecorder(sink, {
      clock,
      redactPasswords: options.redactPasswords ?? false,
      seqBase: sinks.file?.lastSeq ?? 0,
    });
    this.recorder.attach(this.server, {
      scenario: scenario.file,
      version: VERSION,
      runId: this.runId,
    });
    // The client judge, attached after the recorder: a frame's record is written when it looks.
    if (options.judge !== false)
      new ClientJudge({
        clock,
        lastSeq: () => this.recorder.lastSeq,
        report: (session, finding) => {
          this.findingStore.add(this.recorder.record('finding', finding, session));
        },
        levels: () => this.engine.scenario.checks ?? DEFAULT_LEVELS,
        keepAliveMs: () => this.server.keepAliveInterval * 1000,
        ackTimeoutMs: options.ackTimeoutMs ?? 10_000,
        aliveTimeoutMs: options.aliveTimeoutMs ?? 10_000,
        multipartTtlMs: options.multipartTtlMs ?? 600_000,
      }).attach(this.server);
    // `record` events are parsed from the kept lines only while someone listens.
    let unsubscribe: (() => void) | undefined;
    const emitter = this as EventEmitter;
    emitter.on('newListener', (event: string | symbol) => {
      if (event === 'record') unsubscribe ??= this.memory.subscribe((r) => this.emit('record', r));
    });
    emitter.on('removeListener', (event: string | symbol) => {
      if (event === 'record' && this.listenerCount('record') === 0) {
        unsubscribe?.();
        unsubscribe = undefined;
      }
    });
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
    // Latency jitter follows the engine's seed, so a run can be replayed.
    this.server.faults.useRandom(mulberry32(this.engine.seed ^ 0x5eed));
    // The scenario's `schedule` starts at each user's first login (the server's Scheduler).
    this.server.useLoginSchedule(() => this.engine.scenario.schedule);
  }

  /** Starts a mock SMSC (see {@link createMockSmsc}). */
  static async start(options: MockSmscOptions = {}): Promise<MockSmsc> {
    const limit = scenarioLimit(options);
    const scenario =
      options.scenario === undefined
        ? await loadDefaultScenario()
        : await loadScenarioInput(
            typeof options.scenario === 'string' ? { file: options.scenario } : options.scenario,
            limit,
          );
    const clock = resolveClock(options.clock);
    const memory = new MemorySink({
      ...(options.memoryTranscriptBytes !== undefined
        ? { maxBytes: options.memoryTranscriptBytes }
        : {}),
      ...(options.memoryRecords !== undefined ? { limit: options.memoryRecords } : {}),
    });
    const file =
      options.transcript === undefined
        ? undefined
        : await openTranscript(options.transcript, options.transcriptMode ?? 'replace');
    const mock = new MockSmsc(options, scenario, clock, { memory, file });
    mock.scenarioFile = scenarioPath(options.scenario);
    mock.scenarioOrigin =
      options.scenario === undefined || mock.scenarioFile !== undefined ? 'file' : 'api';
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
    mock.server.flushHeldEvents();
    mock.recorder.record('scenario-loaded', {
      file: scenario.file,
      source: mock.scenarioOrigin,
      name: scenario.name,
      rules: scenario.rules.length,
    });
    if (scenario.server.faults !== undefined) mock.server.faults.apply(scenario.server.faults);
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

  /** True when passwords are written as `***` (`redactPasswords`). */
  get redactPasswords(): boolean {
    return this.options.redactPasswords ?? false;
  }

  /** The scenario in force. */
  get scenario(): CompiledScenario {
    return this.engine.scenario;
  }

  /** The scenario in force, its YAML text, and who set it (the file, or the API). */
  scenarioInfo(): ScenarioInfo {
    const s = this.engine.scenario;
    return {
      source: this.scenarioOrigin,
      file: s.file,
      name: s.name,
      rules: s.rules.length,
      text: s.source,
    };
  }

  /**
   * The live transcript of the current epoch: the records kept in memory after the last
   * `reset` record (all of them before the first reset). `truncated` when records of the epoch
   * left memory (the `memoryTranscriptBytes` budget).
   */
  get transcript(): Transcript {
    return this.memory.transcript(this.epochStartSeq);
  }

  /** The live transcript across every epoch (every record kept in memory, resets included). */
  get transcriptAll(): Transcript {
    return this.memory.transcript();
  }

  /**
   * True when records with seq > `since` left memory (the byte budget; the file keeps them);
   * with `epoch`, only records of the current epoch count.
   */
  truncatedSince(since = 0, options: { epoch?: boolean } = {}): boolean {
    const after = options.epoch === true ? Math.max(since, this.epochStartSeq) : since;
    return this.memory.evictedThroughSeq > after;
  }

  /**
   * The JSONL lines (raw, unparsed) of at most `limit` kept records with seq > `since`, of the
   * current epoch unless `all`: what `GET /transcript` streams.
   */
  transcriptLines(since: number, options: { all?: boolean; limit: number }): TranscriptLines {
    const after = options.all === true ? since : Math.max(since, this.epochStartSeq);
    return this.memory.linesAfter(after, options.limit);
  }

  /**
   * The JSONL of the kept records with seq > `since` (every epoch) as whole-line slices of the
   * kept bytes, about `maxBytes` in all, lines not read one by one: what `GET /events` frames.
   * Valid only until the next record is written: copy them at once.
   */
  transcriptBytes(since: number, maxBytes: number): ReturnType<MemorySink['bytesAfter']> {
    return this.memory.bytesAfter(since, maxBytes);
  }

  /**
   * Records of the current epoch with seq > `since`, oldest first: only the kept chunks that can
   * hold them are parsed.
   */
  epochRecordsSince(since = 0): readonly TranscriptRecord[] {
    return this.memory.recordsAfter(Math.max(since, this.epochStartSeq));
  }

  /** The current epoch: 0 until the first `reset()`, then 1, 2, … */
  get epoch(): number {
    return this.epochNumber;
  }

  /** `seq` of the last record written (0 before the first); a mark for `waitFor({ since })`. */
  get lastSeq(): number {
    return this.recorder.lastSeq;
  }

  /** Records with seq > `since`, oldest first, across epochs (seq never restarts). */
  recordsSince(since = 0): readonly TranscriptRecord[] {
    return this.memory.recordsAfter(since);
  }

  /** Records of the current epoch (the memory sink's records are in seq order). */
  private epochRecords(): readonly TranscriptRecord[] {
    return this.memory.recordsAfter(this.epochStartSeq);
  }

  /**
   * Resolves with the first record matching `filter` recorded after the call (with `since`:
   * also those already recorded with seq > since in the current epoch); rejects with an
   * AssertionError after `timeoutMs` (alias `timeout`; default 5000 ms), and at once for an
   * invalid filter.
   */
  waitFor(filter: RecordSelector, options: WaitForOptions = {}): Promise<TranscriptRecord> {
    try {
      // Checks the filter up front, so a typo fails now rather than as a timeout.
      new Transcript([]).filter(filter);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const { since } = options;
    if (since !== undefined && !(Number.isInteger(since) && since >= 0)) {
      return Promise.reject(
        new RangeError(`waitFor: since must be a non-negative integer seq, got ${String(since)}`),
      );
    }
    const test = typeof filter === 'function' ? filter : Transcript.predicate(filter);
    if (since !== undefined) {
      const after = Math.max(since, this.epochStartSeq);
      const found = this.epochRecords().find((r) => r.seq > after && test(r));
      if (found !== undefined) return Promise.resolve(found);
    }
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
   * Swaps the scenario, with the same validation as files. The source is tagged: `{ file }`,
   * `{ yaml, file? }`, `{ document, file? }` or a compiled scenario; a plain string is refused
   * (ConfigError `ERR_CONFIG_SCENARIO_SOURCE`), as text and path cannot be told apart safely.
   * Recorded as `scenario-loaded` with `source: "api"`; with `watch`, the next change of the
   * watched file replaces it again. An invalid scenario throws ScenarioError (with
   * file:line:col issues), is recorded as `scenario-rejected` and emitted as such, and the old
   * scenario stays.
   */
  async useScenario(source: ScenarioInput): Promise<CompiledScenario> {
    let scenario: CompiledScenario;
    try {
      scenario = await loadScenarioInput(source, scenarioLimit(this.options));
    } catch (error) {
      if (error instanceof ScenarioError) this.rejected(error.issues, labelOf(source), 'api');
      throw error;
    }
    this.apply(scenario, 'api');
    return scenario;
  }

  private apply(scenario: CompiledScenario, origin: ScenarioOrigin): void {
    this.engine.use(scenario);
    this.scenarioOrigin = origin;
    if (this.options.keepAlive === undefined)
      this.server.keepAliveInterval = (scenario.server.keepAliveMs ?? 0) / 1000;
    if (this.options.throttle === undefined)
      this.server.throttleRate = scenario.server.throttle ?? 0;
    this.server.flushHeldEvents();
    this.recorder.record('scenario-loaded', {
      file: scenario.file,
      source: origin,
      name: scenario.name,
      rules: scenario.rules.length,
    });
    // The scenario's latency and bandwidth replace the ones in force; its outage starts now.
    const faults = scenario.server.faults ?? {};
    const active = this.server.faults.active();
    this.server.faults.apply({
      ...(faults.latency !== undefined || active.latency !== undefined
        ? { latency: faults.latency ?? null }
        : {}),
      ...(faults.bandwidth !== undefined || active.bandwidth !== undefined
        ? { bandwidth: faults.bandwidth ?? null }
        : {}),
      ...(faults.outage !== undefined ? { outage: faults.outage } : {}),
    });
    this.emit('scenario-loaded', scenario, origin);
  }

  private rejected(issues: readonly ScenarioIssue[], file: string, origin: ScenarioOrigin): void {
    this.server.flushHeldEvents();
    this.recorder.record('scenario-rejected', {
      file,
      source: origin,
      issues: issues.map((i) => ({ file: i.file, line: i.line, col: i.col, message: i.message })),
    });
    this.emit('scenario-rejected', [...issues], file, origin);
  }

  /**
   * Starts a new epoch, so the next test starts clean: pending scheduled items (status reports,
   * delivers, disconnects) are cancelled (each recorded as `fired` with `cancelled: "reset"`),
   * with `sessions: 'close'` every session is closed, then rule counters (`times`), the state,
   * the rate history and the random sequence restart, `schedule` items run again on each user's
   * next login, and a `reset` record marks the boundary. The scenario stays. From then on
   * `transcript`, `waitFor`, `GET /transcript` and `cimd2-mock assert` look at the records after
   * it (`transcriptAll`, `recordsSince`, `?all=true` and `assert --all` reach across).
   */
  reset(options: ResetOptions = {}): ResetResult {
    const sessions = options.sessions ?? 'keep';
    if (!RESET_SESSIONS.includes(sessions)) {
      throw new ConfigError(
        `reset: sessions must be "keep" or "close", got ${JSON.stringify(sessions)}`,
        'ERR_CONFIG_RESET',
      );
    }
    const cancelled = this.server.cancelScheduled('reset');
    let sessionsClosed = 0;
    if (sessions === 'close') {
      sessionsClosed = this.server.sessionCount;
      // Each session closes (and is recorded) synchronously; the sockets finish on their own.
      this.server.closeAllConnections('closed by reset').catch((e: unknown) => {
        if (this.listenerCount('error') > 0)
          this.emit('error', e instanceof Error ? e : new Error(String(e)));
      });
    }
    this.engine.reset();
    this.server.forgetLogins();
    const epoch = ++this.epochNumber;
    this.server.flushHeldEvents();
    const record = this.recorder.record('reset', { epoch, sessions, cancelled });
    this.epochStartSeq = record.seq;
    return { epoch, seq: record.seq, cancelled, sessionsClosed };
  }

  /**
   * Changes the connection faults: `latency` {baseMs, jitterMs} on every frame the server
   * sends, `bandwidth` (bytes per second per session), `outage` {mode, forMs, closeSessions}. A
   * key left out stays as it is, `null` ends that fault; each change is a `fault` record.
   * Returns the faults now in force.
   */
  setFaults(spec: ConnectionFaultSpec): ActiveFaults {
    return this.server.faults.apply(spec);
  }

  /** The connection faults in force (`GET /faults`). */
  get activeFaults(): ActiveFaults {
    return this.server.faults.active();
  }

  /** Ends every connection fault (an outage ends at once: the listener accepts again). */
  clearFaults(): ActiveFaults {
    return this.server.faults.clear();
  }

  /** The current state of the scenario (initially `started`). */
  get state(): string {
    return this.engine.state;
  }

  /** Every state the scenario names (`started`, each `whenState` and `setState`), sorted. */
  states(): string[] {
    return this.engine.states();
  }

  /**
   * Sets the scenario state (as a rule's `setState` would).
   * @throws ConfigError `ERR_CONFIG_STATE` for a state the scenario never names.
   */
  setState(name: string): void {
    try {
      this.engine.setState(name);
    } catch (error) {
      if (error instanceof RangeError)
        throw new ConfigError(error.message, 'ERR_CONFIG_STATE', { cause: error });
      throw error;
    }
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

  /**
   * The client judge's findings (docs/judge.md) of the current epoch, oldest first; `all`
   * includes earlier epochs. Filters by session, check id and severity. At most the last
   * 10 000 findings are kept in memory (the transcript has every one).
   */
  findings(
    filter: { session?: string; check?: string; severity?: Severity; all?: boolean } = {},
  ): FindingRecord[] {
    const { all, ...rest } = filter;
    return this.findingStore.list({ ...rest, afterSeq: all === true ? 0 : this.epochStartSeq });
  }

  /** Findings per check over the whole run (every epoch), for the shutdown summary. */
  findingCounts(): FindingCount[] {
    return this.findingStore.totals();
  }

  /** Error-severity findings over the whole run (`run --fail-on-findings`). */
  get findingErrors(): number {
    return this.findingStore.errors;
  }

  /** True when findings of the current epoch (all: of the run) left memory. */
  findingsTruncated(all = false): boolean {
    return this.findingStore.truncatedAfter(all ? 0 : this.epochStartSeq);
  }

  /** Counters for the control API and the shutdown summary. */
  stats(): MockSmscStats {
    const c = this.recorder.counts();
    return {
      sessionsOpen: this.server.sessionCount,
      sessionsTotal: this.sessionsTotal,
      framesIn: { ...this.framesIn },
      framesOut: { ...this.framesOut },
      statusReportsSent: this.framesOut['status-report'] ?? 0,
      delivers: this.framesOut['deliver'] ?? 0,
      unmatched: c.unmatched,
      frameErrors: c.frameErrors,
      transcriptMemoryBytes: this.memory.bytes,
      rules: this.engine.ruleStats(),
    };
  }

  /**
   * Submit frames received in each of the last 60 seconds up to the clock's now (oldest first),
   * error answers sent and ack timeouts, since the start: the traffic figures of `GET /stats`.
   */
  trafficFigures(): TrafficFigures {
    return this.recorder.traffic.figures(this.clock.now());
  }

  /** The transcript file's sink (undefined without `transcript`): `reopen()`, `'reopened'`. */
  get transcriptFile(): FileSink | undefined {
    return this.fileSink;
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
      this.apply(scenario, 'file');
    });
    watcher.on('rejected', (issues, f) => {
      this.rejected(issues, f, 'file');
    });
    watcher.on('error', (e) => {
      if (this.listenerCount('error') > 0) this.emit('error', e);
    });
    await watcher.start();
    this.watcher = watcher;
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
  'maxSessionsPerAddress',
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

const RESET_SESSIONS: readonly string[] = ['keep', 'close'];

const SOURCE_FORMS = '{ file }, { yaml, file? }, { document, file? } or a compiled scenario';

function sourceError(message: string): ConfigError {
  return new ConfigError(message, 'ERR_CONFIG_SCENARIO_SOURCE');
}

/** Loads a tagged scenario source (see {@link ScenarioInput}); nothing is guessed. */
async function loadScenarioInput(
  input: ScenarioInput,
  limit: ScenarioLoadOptions,
): Promise<CompiledScenario> {
  const raw: unknown = input;
  if (typeof raw === 'string') {
    throw sourceError(
      `a scenario source must be ${SOURCE_FORMS}, not a string: pass { file: path } for a file or { yaml: text } for YAML text`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw sourceError(`a scenario source must be ${SOURCE_FORMS}, got ${typeof raw}`);
  }
  if (isCompiled(raw)) return raw;
  const o = raw as Record<string, unknown>;
  const tag = 'yaml' in o ? 'yaml' : 'document' in o ? 'document' : 'file';
  const allowed = tag === 'file' ? ['file'] : [tag, 'file'];
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length > 0 || !(tag in o)) {
    throw sourceError(
      `a scenario source must be ${SOURCE_FORMS}; got the key(s) ${Object.keys(o).join(', ') || 'none'}`,
    );
  }
  const file = o['file'];
  if (file !== undefined && typeof file !== 'string') throw sourceError('"file" must be a string');
  const label = file ?? 'inline.yaml';
  switch (tag) {
    case 'yaml': {
      const yaml = o['yaml'];
      if (typeof yaml !== 'string') throw sourceError('"yaml" must be a string of YAML text');
      return loadScenarioText(yaml, label, limit);
    }
    case 'document': {
      const doc = o['document'];
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
        throw sourceError('"document" must be a scenario document (a plain object)');
      return loadScenarioObject(doc, label, limit);
    }
    case 'file':
      if (file === undefined) throw sourceError('"file" must be a string');
      return loadScenarioFile(file, limit);
  }
}

/** The name a source goes by in a `scenario-rejected` record. */
function labelOf(input: ScenarioInput): string {
  const file = (input as { file?: unknown }).file;
  return typeof file === 'string' ? file : 'inline.yaml';
}

/** The file behind a start-up scenario option (a path or `{ file }`), else undefined. */
function scenarioPath(option: ScenarioSourceOption | undefined): string | undefined {
  if (typeof option === 'string') return option;
  if (option === undefined || isCompiled(option)) return undefined;
  return 'yaml' in option || 'document' in option ? undefined : option.file;
}

/** Opens the transcript file, creating its folder first (`--transcript out/t.jsonl` just works). */
async function openTranscript(path: string, mode: TranscriptFileMode): Promise<FileSink> {
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch {
    // FileSink.open reports the path and the OS reason.
  }
  const sink = await FileSink.open(path, { mode });
  if (mode === 'append' && sink.previousBytes > 0 && sink.lastSeq === undefined) {
    await sink.close();
    throw new TranscriptError(
      `cannot append to transcript file "${path}": no transcript record (a JSON line with a seq) near its end; use --transcript-mode replace or another path`,
      'ERR_TRANSCRIPT_OPEN',
      path,
    );
  }
  return sink;
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

function resolveClock(clock: MockSmscOptions['clock']): Clock {
  if (clock === undefined) return turnClock(systemClock);
  if (typeof clock === 'object' && !(clock instanceof Date)) return clock;
  const start =
    clock instanceof Date ? clock.getTime() : typeof clock === 'number' ? clock : Date.parse(clock);
  if (!Number.isFinite(start))
    throw new ConfigError(`--clock: not a time: ${String(clock)}`, 'ERR_CONFIG_CLOCK');
  return turnClock(offsetClock(start));
}

export { formatIssue };
