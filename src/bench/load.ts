/**
 * The load generator behind `cimd2-mock bench`: N connections, each logged in and keeping up to
 * `window` submits in flight, for a count or a duration, optionally paced to a rate. Requests of
 * one connection that can be sent together go out in one write; latency is measured per request
 * from that write to the processing of the chunk that carried its answer.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { Cimd2MockError } from '../errors.js';
import { cimdProtocol, type CimdLoadOptions } from './cimd.js';
import { LatencyHistogram, type LatencySummary } from './histogram.js';
import type { LoadCodec, LoadProtocol, ResponseSink } from './protocol.js';

/** Options of {@link runLoad}. */
export interface LoadOptions extends CimdLoadOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Concurrent connections (default 1). */
  readonly connections?: number;
  /** Requests in flight per connection, 1 (stop-and-wait, as Kannel) to the protocol's maximum. Default 1. */
  readonly window?: number;
  /** Submits to send in total. Give `count` or `durationMs`; default 10 000 submits. */
  readonly count?: number;
  /** Send for this long, then wait for the answers still due. */
  readonly durationMs?: number;
  /** Pace submits to this many per second over all connections (default: as fast as answered). */
  readonly rate?: number;
  /** A request unanswered this long counts as a `timeout` error and frees its slot (default 10 000). */
  readonly timeoutMs?: number;
  /** Connections opened (and logged in) at once (default 200). */
  readonly connectConcurrency?: number;
  /** The wire protocol (default CIMD2 with `destination` and `text`). */
  readonly protocol?: LoadProtocol;
}

/** What {@link runLoad} measured. */
export interface LoadResult {
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  readonly window: number;
  /** Submits written. */
  readonly sent: number;
  /** Submits answered (positively or not). */
  readonly answered: number;
  /** Positive answers. */
  readonly ok: number;
  /** Negative answers, timeouts, requests lost with their connection, malformed packets. */
  readonly errors: number;
  /** `errors` by kind: `53:300` (op:900 code), `98:6`, `nack`, `timeout`, `disconnected`, `malformed`. */
  readonly errorCounts: Readonly<Record<string, number>>;
  /** Opening and logging in every connection (ms). */
  readonly connectMs: number;
  /** From the first submit to the last answer (ms). */
  readonly elapsedMs: number;
  /** Answered submits per second. */
  readonly throughput: number;
  /** Submit → answer latency (ms). */
  readonly latency: LatencySummary;
  /** CPU time of this process during the run, in percent of one core (shows whether the generator itself was the limit). */
  readonly clientCpuPercent: number;
}

/** The run could not start: a connection or a login failed. */
export class LoadError extends Cimd2MockError {
  override readonly name = 'LoadError';
  readonly code = 'ERR_BENCH_LOAD';
}

const SLOTS = 256;
const MASK = SLOTS - 1;

interface Run {
  readonly protocol: LoadProtocol;
  readonly window: number;
  readonly histogram: LatencyHistogram;
  readonly errorCounts: Record<string, number>;
  readonly timeoutMs: number;
  /** Submits still to issue in count mode; Infinity in duration mode. */
  remaining: number;
  /** performance.now() after which no submit is issued (duration mode). */
  deadline: number;
  sent: number;
  answered: number;
  ok: number;
  errors: number;
  lastAnswerAt: number;
  /** Pacing: ms between two submits of one connection; 0 = unpaced. */
  intervalMs: number;
  started: boolean;
  onProgress: () => void;
}

function countError(run: Run, label: string): void {
  run.errors++;
  run.errorCounts[label] = (run.errorCounts[label] ?? 0) + 1;
}

class LoadConnection implements ResponseSink {
  private readonly run: Run;
  private readonly socket: net.Socket;
  private readonly codec: LoadCodec;
  private readonly sentAt = new Float64Array(SLOTS);
  private readonly busySlot = new Uint8Array(SLOTS);
  private readonly busy = (id: number): boolean => this.busySlot[id & MASK] === 1;
  private inFlight = 0;
  private loginId = -1;
  private login: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private now = 0;
  private pacedSent = 0;
  private pacedStart = 0;
  private pacer: NodeJS.Timeout | undefined;
  closed = false;

  constructor(run: Run, socket: net.Socket, codec: LoadCodec) {
    this.run = run;
    this.socket = socket;
    this.codec = codec;
    socket.on('data', (chunk: Buffer) => {
      this.now = performance.now();
      this.codec.read(chunk, this);
      if (this.run.started) this.fill();
    });
    socket.on('error', () => {
      // 'close' follows and does the accounting.
    });
    socket.on('close', () => {
      this.onClose();
    });
  }

  get pending(): number {
    return this.inFlight;
  }

  logIn(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.login = { resolve, reject };
      const id = this.codec.nextId(this.busy);
      this.loginId = id;
      this.socket.write(this.codec.login(id));
    });
  }

  start(): void {
    const interval = this.run.intervalMs;
    if (interval > 0) {
      // A random phase spreads the connections' submits evenly over each interval.
      const phase = Math.random() * interval;
      this.pacedStart = performance.now() + phase;
      this.pacer = setTimeout(() => {
        this.fill();
        this.pacer = setInterval(
          () => {
            this.fill();
          },
          Math.max(1, interval),
        );
      }, phase);
      return;
    }
    this.fill();
  }

  /** Issues as many submits as the window, the budget and the pace allow, in one write. */
  fill(): void {
    const run = this.run;
    if (this.closed) return;
    let n = run.window - this.inFlight;
    if (n <= 0) return;
    if (run.remaining < n) n = run.remaining;
    const now = performance.now();
    if (now >= run.deadline) n = 0;
    if (run.intervalMs > 0) {
      // Timers may fire a millisecond or two early (libuv's cached loop time): allow for it.
      const since = now - this.pacedStart + Math.min(5, run.intervalMs / 4);
      if (since < 0) return;
      const due = Math.floor(since / run.intervalMs) + 1 - this.pacedSent;
      if (due < n) n = due;
    }
    if (n <= 0) return;
    const len = this.codec.submitLength;
    const out = Buffer.allocUnsafe(n * len);
    for (let i = 0; i < n; i++) {
      const id = this.codec.nextId(this.busy);
      const slot = id & MASK;
      this.busySlot[slot] = 1;
      this.sentAt[slot] = now;
      this.codec.writeSubmit(out, i * len, id);
    }
    this.inFlight += n;
    this.pacedSent += n;
    run.remaining -= n;
    run.sent += n;
    this.socket.write(out);
  }

  response(id: number, error: string | undefined): void {
    const slot = id & MASK;
    if (id === this.loginId && this.login !== undefined) {
      const l = this.login;
      this.login = undefined;
      this.loginId = -1;
      if (error === undefined) l.resolve();
      else l.reject(new LoadError(`login refused (${error})`));
      return;
    }
    if (this.busySlot[slot] !== 1) return; // late answer after a timeout, or unsolicited
    this.busySlot[slot] = 0;
    this.inFlight--;
    const run = this.run;
    run.answered++;
    run.lastAnswerAt = this.now;
    run.histogram.recordMs(this.now - (this.sentAt[slot] ?? this.now));
    if (error === undefined) run.ok++;
    else countError(run, error);
    if (this.inFlight === 0) run.onProgress();
  }

  reply(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  malformed(): void {
    countError(this.run, 'malformed');
  }

  /** Frees requests older than the timeout; returns how many. */
  expire(now: number): number {
    if (this.inFlight === 0) return 0;
    let n = 0;
    for (let s = 0; s < SLOTS; s++) {
      if (this.busySlot[s] === 1 && now - (this.sentAt[s] ?? now) >= this.run.timeoutMs) {
        this.busySlot[s] = 0;
        this.inFlight--;
        countError(this.run, 'timeout');
        n++;
      }
    }
    if (n > 0) this.fill();
    return n;
  }

  stopPacing(): void {
    clearTimeout(this.pacer);
    this.pacer = undefined;
  }

  end(): Promise<void> {
    this.stopPacing();
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => {
        resolve();
      });
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    });
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopPacing();
    if (this.login !== undefined) {
      this.login.reject(new LoadError('connection closed before the login was answered'));
      this.login = undefined;
    }
    for (let i = 0; i < this.inFlight; i++) countError(this.run, 'disconnected');
    this.inFlight = 0;
    this.busySlot.fill(0);
    this.run.onProgress();
  }
}

function connect(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    const onError = (e: Error): void => {
      reject(new LoadError(`cannot connect to ${host}:${port}: ${e.message}`));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

function positiveInt(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new LoadError(`${name} must be an integer from 1 to ${max}, got ${String(value)}`);
  }
  return value;
}

/**
 * Opens the connections, logs each in, sends submits until `count` were sent or `durationMs`
 * passed, waits for the answers still due (at most `timeoutMs`), closes the connections and
 * reports throughput, latency percentiles and errors.
 *
 * Guarantees: at most `window` requests are in flight on a connection; every submit sent is
 * counted once as answered, `timeout` or `disconnected`; the generator never throws for what
 * the server answers (negative answers are counted in `errorCounts`).
 *
 * @throws LoadError when an option is out of range, a connection cannot be opened or a login
 *   is refused (every connection opened so far is closed first).
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const protocol = options.protocol ?? cimdProtocol(options);
  const host = options.host ?? '127.0.0.1';
  const connections = positiveInt('connections', options.connections ?? 1, 100_000);
  const window = positiveInt('window', options.window ?? 1, protocol.maxWindow);
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (options.count !== undefined && options.durationMs !== undefined) {
    throw new LoadError('give count or durationMs, not both');
  }
  const count =
    options.durationMs === undefined ? positiveInt('count', options.count ?? 10_000) : Infinity;
  if (options.durationMs !== undefined && !(options.durationMs > 0)) {
    throw new LoadError(`durationMs must be above 0, got ${String(options.durationMs)}`);
  }
  if (options.rate !== undefined && !(options.rate > 0)) {
    throw new LoadError(`rate must be above 0, got ${String(options.rate)}`);
  }
  let settle: () => void = () => undefined;
  const run: Run = {
    protocol,
    window,
    histogram: new LatencyHistogram(),
    errorCounts: {},
    timeoutMs,
    remaining: count,
    deadline: Infinity,
    sent: 0,
    answered: 0,
    ok: 0,
    errors: 0,
    lastAnswerAt: 0,
    intervalMs: options.rate === undefined ? 0 : (connections * 1000) / options.rate,
    started: false,
    onProgress: () => {
      settle();
    },
  };

  const conns: LoadConnection[] = [];
  const connectStart = performance.now();
  try {
    const concurrency = Math.max(1, options.connectConcurrency ?? 200);
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (!failed && next < connections) {
        next++;
        const socket = await connect(host, options.port);
        const conn = new LoadConnection(
          run,
          socket,
          protocol.connection({ user: options.user, password: options.password, window }),
        );
        conns.push(conn);
        await conn.logIn();
      }
    };
    const outcomes = await Promise.allSettled(
      Array.from({ length: Math.min(concurrency, connections) }, async () => {
        try {
          await worker();
        } catch (error) {
          failed = true;
          throw error;
        }
      }),
    );
    const failure = outcomes.find((o) => o.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
  } catch (error) {
    await Promise.all(conns.map((c) => c.end()));
    throw error;
  }
  const connectMs = performance.now() - connectStart;

  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  run.lastAnswerAt = start;
  if (options.durationMs !== undefined) run.deadline = start + options.durationMs;
  run.started = true;
  await new Promise<void>((resolve) => {
    const done = (): boolean => {
      const now = performance.now();
      const issuing = run.remaining > 0 && now < run.deadline;
      return conns.every((c) => c.closed || (c.pending === 0 && !issuing));
    };
    const sweep = setInterval(
      () => {
        const now = performance.now();
        for (const c of conns) c.expire(now);
        if (now >= run.deadline) for (const c of conns) c.stopPacing();
        if (done()) finish();
      },
      Math.max(5, Math.min(100, timeoutMs / 4)),
    );
    const finish = (): void => {
      clearInterval(sweep);
      settle = () => undefined;
      resolve();
    };
    settle = () => {
      if (done()) finish();
    };
    for (const c of conns) c.start();
    settle();
  });
  const end = Math.max(run.lastAnswerAt, start);
  const cpu = process.cpuUsage(cpuBefore);
  await Promise.all(conns.map((c) => c.end()));
  const elapsedMs = end - start;
  return {
    protocol: protocol.name,
    host,
    port: options.port,
    connections,
    window,
    sent: run.sent,
    answered: run.answered,
    ok: run.ok,
    errors: run.errors,
    errorCounts: { ...run.errorCounts },
    connectMs,
    elapsedMs,
    throughput: elapsedMs > 0 ? (run.answered * 1000) / elapsedMs : 0,
    latency: run.histogram.summary(),
    clientCpuPercent: elapsedMs > 0 ? ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100 : 0,
  };
}
