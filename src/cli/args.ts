/** Argument parsers shared by the CLI commands: each names the option in its error. */
import { InvalidArgumentError } from 'commander';
import { MAX_DURATION_SECONDS } from '../scenario/durations.js';

/** An integer in [min, max]. */
export function intIn(min: number, max: number, what: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`${what} must be an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

/** A finite number ≥ 0 (or > 0 with `positive`). */
export function numberAtLeast(
  what: string,
  options: { positive?: boolean } = {},
): (value: string) => number {
  return (value) => {
    const n = Number(value);
    const bad =
      value.trim() === '' || !Number.isFinite(n) || n < 0 || (options.positive === true && n === 0);
    if (bad)
      throw new InvalidArgumentError(
        `${what} must be a number ${options.positive === true ? 'above 0' : '≥ 0'}.`,
      );
    return n;
  };
}

/**
 * A duration in seconds: a finite number ≥ 0 (or > 0 with `positive`) and at most
 * {@link MAX_DURATION_SECONDS} (24 days; Node would fire a longer timer at once).
 */
export function seconds(
  what: string,
  options: { positive?: boolean } = {},
): (value: string) => number {
  const atLeast = numberAtLeast(what, options);
  return (value) => {
    const n = atLeast(value);
    if (n > MAX_DURATION_SECONDS)
      throw new InvalidArgumentError(
        `${what} must be at most ${MAX_DURATION_SECONDS} seconds (24 days).`,
      );
    return n;
  };
}

/** An ISO-8601 time. */
export function isoTime(value: string): string {
  if (!Number.isFinite(Date.parse(value))) {
    throw new InvalidArgumentError('expected an ISO-8601 time such as 2026-01-01T12:00:00Z.');
  }
  return value;
}
