/**
 * Durations in scenario files: a number of milliseconds, or a string such as `150ms`, `1s`,
 * `2.5s`, `1m`, `1h`.
 */

/** The pattern the schema applies to duration strings (kept in sync with scenario.schema.json). */
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

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
