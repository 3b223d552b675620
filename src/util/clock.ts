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

/** Real time. Timers are unref'd so they never keep the process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
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
