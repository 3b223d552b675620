/**
 * The time port. Everything time-driven (keepalive, throttle, delays, scheduled deliveries,
 * reassembly expiry) goes through a Clock, so tests advance a ManualClock instead of sleeping.
 */
export type TimerHandle = object;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * Longest delay one Node timer can hold: 2³¹ − 1 ms (~24.9 days). Node fires a longer one after
 * 1 ms (with a TimeoutOverflowWarning), so {@link systemClock} splits longer delays.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The timer primitives {@link longTimeout} arms (Node's, or a test double). */
export interface TimerPrimitives<T> {
  set(fn: () => void, ms: number): T;
  clear(timer: T): void;
}

/** A timer that may span several primitive timers; cancel it with `cancel()`. */
export interface LongTimer {
  cancel(): void;
}

/**
 * Runs `fn` once `ms` ms have passed, never earlier: a delay above {@link MAX_TIMER_MS} is
 * armed as a chain of timers of at most that length. A negative or NaN delay counts as 0; an
 * infinite one never fires.
 */
export function longTimeout<T>(timers: TimerPrimitives<T>, fn: () => void, ms: number): LongTimer {
  let left = Number.isNaN(ms) ? 0 : Math.max(0, ms);
  let current: T | undefined;
  let cancelled = false;
  const arm = (): void => {
    const step = Math.min(left, MAX_TIMER_MS);
    left -= step;
    current = timers.set(() => {
      current = undefined;
      if (cancelled) return;
      if (left > 0) arm();
      else fn();
    }, step);
  };
  arm();
  return {
    cancel: () => {
      cancelled = true;
      if (current !== undefined) timers.clear(current);
      current = undefined;
    },
  };
}

/** Node's timers, unref'd so they never keep the process alive. */
const nodeTimers: TimerPrimitives<NodeJS.Timeout> = {
  set: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clear: (t) => {
    clearTimeout(t);
  },
};

class LongHandle {
  readonly timer: LongTimer;
  constructor(timer: LongTimer) {
    this.timer = timer;
  }
}

/** Real time. Timers are unref'd so they never keep the process alive; long ones never fire early. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    if (ms <= MAX_TIMER_MS) return nodeTimers.set(fn, Number.isNaN(ms) ? 0 : Math.max(0, ms));
    return new LongHandle(longTimeout(nodeTimers, fn, ms));
  },
  clearTimeout(handle) {
    if (handle instanceof LongHandle) handle.timer.cancel();
    else clearTimeout(handle as NodeJS.Timeout);
  },
};

/**
 * Real time, shifted so that `now()` starts at `start` (ms since epoch) and then runs at
 * wall-clock speed. Used for `--clock`, reproducible 060 time stamps.
 */
export function offsetClock(start: number, base: Clock = systemClock): Clock {
  const offset = start - base.now();
  return {
    now: () => base.now() + offset,
    setTimeout: (fn, ms) => base.setTimeout(fn, ms),
    clearTimeout: (h) => {
      base.clearTimeout(h);
    },
  };
}

/**
 * `base` read once per job of the event loop: `now()` returns the same value until the current
 * callback and its microtasks have run, then reads `base` afresh. The frames of one socket read,
 * their decisions, answers and transcript records are handled in one job, so they share one
 * time, as they arrived together (reading the system clock costs ~0.1 µs a call here, and a
 * submit asked for it about ten times). Timers are `base`'s. A job is short (one read of a
 * socket; a long one would read a stale time for its own duration only).
 */
export function turnClock(base: Clock = systemClock): Clock {
  let cached = NaN;
  const forget = (): void => {
    cached = NaN;
  };
  return {
    now() {
      if (Number.isNaN(cached)) {
        cached = base.now();
        queueMicrotask(forget);
      }
      return cached;
    },
    setTimeout: (fn, ms) => base.setTimeout(fn, ms),
    clearTimeout: (handle) => {
      base.clearTimeout(handle);
    },
  };
}
