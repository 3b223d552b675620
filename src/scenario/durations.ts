/**
 * Durations in scenario files: a number of milliseconds, or a string such as `150ms`, `1s`,
 * `2.5s`, `1m`, `1h`.
 */

/** The pattern the schema applies to duration strings (kept in sync with scenario.schema.json). */
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * Longest duration accepted anywhere (scenario files, CLI flags, the control API): 24 days, in
 * ms. Node fires a timer of 2³¹ ms (~24.9 days) or more after 1 ms, so longer values are
 * refused where they are read rather than silently firing at once.
 */
export const MAX_DURATION_MS = 24 * 86_400_000;

/** {@link MAX_DURATION_MS} in seconds (the unit of the CLI's duration flags). */
export const MAX_DURATION_SECONDS = MAX_DURATION_MS / 1000;

/** The message for a duration over {@link MAX_DURATION_MS}; `shown` is the value as written. */
export function durationTooLongMessage(shown: string): string {
  return `duration ${shown} is too long: at most 24 days (${MAX_DURATION_MS} ms, 576h)`;
}

/**
 * Milliseconds of a duration, rounded to a whole millisecond; undefined when `value` is not a
 * non-negative finite number or a string matching {@link DURATION_PATTERN}.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const m = DURATION_PATTERN.exec(value.trim());
  if (!m) return undefined;
  const unit = m[2] as keyof typeof UNIT_MS;
  return Math.round(Number(m[1]) * UNIT_MS[unit]);
}

/** Short human form of a millisecond count: `0ms`, `150ms`, `1s`, `2.5s`, `1m`, `1.5h`. */
export function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 360_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 6_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 100 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
