/**
 * Hot reload: watches a scenario file and reports every change as a freshly compiled scenario
 * (`loaded`) or as the issues that keep it from loading (`rejected`). It never swaps anything
 * itself; the owner decides (the facade calls `engine.use(scenario)` on `loaded`, and keeps the
 * last good scenario running on `rejected`).
 */
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import { systemClock } from '../util/clock.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { CompiledScenario } from './compile.js';
import type { ScenarioIssue } from './issues.js';
import { analyzeScenarioText } from './load.js';

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
}

/**
 * Watches one scenario file with chokidar. Editors that save by writing a temporary file and
 * renaming it over the original are handled (chokidar's `atomic` mode turns the unlink + add
 * into a change). Changes are debounced, then the file is read, validated and compiled; a burst
 * of writes yields one event for the final content.
 */
export class ScenarioWatcher extends EventEmitter<ScenarioWatcherEvents> {
  readonly file: string;
  private readonly debounceMs: number;
  private readonly clock: Clock;
  private watcher: FSWatcher | undefined;
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(file: string, options: ScenarioWatcherOptions = {}) {
    super();
    this.file = file;
    this.debounceMs = options.debounceMs ?? 50;
    this.clock = options.clock ?? systemClock;
  }

  /** Starts watching; resolves once chokidar is ready, so later writes are seen. */
  start(): Promise<void> {
    if (this.watcher) return Promise.resolve();
    const watcher = watch(this.file, { ignoreInitial: true, atomic: 40, persistent: true });
    this.watcher = watcher;
    watcher.on('all', (event) => {
      if (event === 'add' || event === 'change' || event === 'unlink') this.schedule();
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
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const watcher = this.watcher;
    this.watcher = undefined;
    await watcher?.close();
    await this.running;
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.reload();
    }, this.debounceMs);
  }

  private reload(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.readAndReport().finally(() => {
      this.running = undefined;
      if (this.again && !this.closed) {
        this.again = false;
        this.reload();
      }
    });
  }

  private async readAndReport(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      if (!this.closed) {
        this.emit(
          'rejected',
          [
            {
              file: this.file,
              line: 1,
              col: 1,
              message: `cannot read scenario file: ${why}`,
              path: '',
            },
          ],
          this.file,
        );
      }
      return;
    }
    if (this.closed) return;
    const result = analyzeScenarioText(text, this.file);
    if (result.scenario) this.emit('loaded', result.scenario);
    else this.emit('rejected', [...result.issues], this.file);
  }
}
