/**
 * Hot reload: watches a scenario file and reports every change as a freshly compiled scenario
 * (`loaded`) or as the issues that keep it from loading (`rejected`). It never swaps anything
 * itself; the owner decides (the facade calls `engine.use(scenario)` on `loaded`, and keeps the
 * last good scenario running on `rejected`).
 */
import { EventEmitter } from 'node:events';
import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import { systemClock } from '../util/clock.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { CompiledScenario } from './compiled.js';
import { ScenarioError } from './issues.js';
import type { ScenarioIssue } from './issues.js';
import { analyzeScenarioText, readScenarioFile } from './load.js';

/** chokidar ignores further change events of a file for this long after one (chokidar 5). */
const CHOKIDAR_CHANGE_THROTTLE_MS = 50;

/** Events of {@link ScenarioWatcher}. */
export interface ScenarioWatcherEvents {
  /** The file changed and compiled. */
  loaded: [scenario: CompiledScenario];
  /** The file changed (or vanished) and does not load; each issue reads `file:line:col`. */
  rejected: [issues: ScenarioIssue[], file: string];
  /** The watcher itself failed (only emitted when someone listens). */
  error: [error: Error];
}

/** Options of {@link ScenarioWatcher}. */
export interface ScenarioWatcherOptions {
  /** Quiet time after the last change event before the file is read. Default 50 ms. */
  readonly debounceMs?: number;
  /** Clock for the debounce timer. Default: the system clock. */
  readonly clock?: Clock;
  /** A file over this many bytes is rejected unparsed (default 1 MiB, see `analyzeScenarioText`). */
  readonly maxBytes?: number;
}

/**
 * Watches one scenario file with chokidar. Editors that save by writing a temporary file and
 * renaming it over the original are handled (chokidar's `atomic` mode turns the unlink + add
 * into a change). Changes are debounced, then the file is read, validated and compiled; a burst
 * of writes yields one event for the final content. Because chokidar swallows a change that
 * follows another within 50 ms, the file is read once more shortly after every burst and
 * reported again only if its content differs from the last read.
 */
export class ScenarioWatcher extends EventEmitter<ScenarioWatcherEvents> {
  readonly file: string;
  private readonly debounceMs: number;
  private readonly clock: Clock;
  private readonly maxBytes: number | undefined;
  private watcher: FSWatcher | undefined;
  private timer: TimerHandle | undefined;
  private trailing: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private pending: 'always' | 'if-changed' | undefined;
  private lastText: string | null | undefined;
  private closed = false;

  constructor(file: string, options: ScenarioWatcherOptions = {}) {
    super();
    this.file = file;
    this.debounceMs = options.debounceMs ?? 50;
    this.clock = options.clock ?? systemClock;
    this.maxBytes = options.maxBytes;
  }

  /** Starts watching; resolves once chokidar is ready, so later writes are seen. */
  start(): Promise<void> {
    if (this.watcher) return Promise.resolve();
    const watcher = watch(this.file, { ignoreInitial: true, atomic: 40, persistent: true });
    this.watcher = watcher;
    watcher.on('all', (event) => {
      if (event === 'add' || event === 'change' || event === 'unlink') this.onEvent();
    });
    watcher.on('error', (error) => {
      if (this.listenerCount('error') > 0) {
        this.emit('error', error instanceof Error ? error : new Error(String(error)));
      }
    });
    return new Promise((resolve) =>
      watcher.once('ready', () => {
        resolve();
      }),
    );
  }

  /** Stops watching; pending reloads are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of [this.timer, this.trailing]) if (t) this.clock.clearTimeout(t);
    this.timer = undefined;
    this.trailing = undefined;
    const watcher = this.watcher;
    this.watcher = undefined;
    await watcher?.close();
    await this.running;
  }

  private onEvent(): void {
    if (this.closed) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    if (this.trailing) this.clock.clearTimeout(this.trailing);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.reload('always');
    }, this.debounceMs);
    // chokidar drops a second change event within 50 ms of the first (leading-edge throttle), so
    // a write landing in that window has no event of its own: look once more after it.
    this.trailing = this.clock.setTimeout(
      () => {
        this.trailing = undefined;
        this.reload('if-changed');
      },
      Math.max(this.debounceMs, CHOKIDAR_CHANGE_THROTTLE_MS) + 20,
    );
  }

  private reload(mode: 'always' | 'if-changed'): void {
    if (this.closed) return;
    if (this.running) {
      if (this.pending !== 'always') this.pending = mode;
      return;
    }
    this.running = this.readAndReport(mode).finally(() => {
      this.running = undefined;
      const next = this.pending;
      this.pending = undefined;
      if (next) this.reload(next);
    });
  }

  private async readAndReport(mode: 'always' | 'if-changed'): Promise<void> {
    const limit = this.maxBytes === undefined ? {} : { maxBytes: this.maxBytes };
    let text: string | null;
    let failure: ScenarioIssue[] = [];
    try {
      // Bounded: a file over the limit, a device or a FIFO is refused without reading it.
      text = await readScenarioFile(this.file, limit);
    } catch (cause) {
      text = null;
      failure =
        cause instanceof ScenarioError
          ? [...cause.issues]
          : [{ file: this.file, line: 1, col: 1, message: String(cause), path: '' }];
    }
    if (this.closed || (mode === 'if-changed' && text === this.lastText)) return;
    this.lastText = text;
    if (text === null) {
      this.emit('rejected', failure, this.file);
      return;
    }
    const result = analyzeScenarioText(text, this.file, limit);
    if (result.scenario) this.emit('loaded', result.scenario);
    else this.emit('rejected', [...result.issues], this.file);
  }
}
