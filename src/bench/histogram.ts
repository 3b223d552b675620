/**
 * A bounded latency histogram for the load generator: constant memory whatever the run length,
 * about 1.6 % relative precision (64 sub-buckets per power of two, as HdrHistogram with two
 * significant digits), microsecond unit.
 */

const LINEAR = 128;
const SUB = 64;
const MAX_US = 2 ** 31 - 1;
const BUCKETS = LINEAR + 25 * SUB;

function indexOf(us: number): number {
  if (us < LINEAR) return us;
  const e = 31 - Math.clz32(us) - 6;
  return LINEAR + (e - 1) * SUB + ((us >>> e) - SUB);
}

/** Smallest and largest microsecond value that land in bucket `i`. */
function bounds(i: number): [number, number] {
  if (i < LINEAR) return [i, i];
  const e = Math.floor((i - LINEAR) / SUB) + 1;
  const m = ((i - LINEAR) % SUB) + SUB;
  return [m * 2 ** e, (m + 1) * 2 ** e - 1];
}

/** Percentiles and extremes of a {@link LatencyHistogram}, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Records durations and answers percentiles.
 *
 * Guarantees: memory is fixed (about 1 700 counters); values below 128 µs are exact, larger ones
 * are reported as the middle of their bucket, within 1.6 % of the recorded value; `max` and
 * `mean` are exact; negative or non-finite inputs count as 0; values above 35 minutes are
 * clamped.
 */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private n = 0;
  private sumUs = 0;
  private maxUs = 0;

  /** Records one duration given in milliseconds (fractions allowed). */
  recordMs(ms: number): void {
    this.recordUs(ms * 1000);
  }

  /** Records one duration given in microseconds. */
  recordUs(us: number): void {
    const v = Number.isFinite(us) && us > 0 ? Math.min(Math.round(us), MAX_US) : 0;
    const i = indexOf(v);
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.n++;
    this.sumUs += v;
    if (v > this.maxUs) this.maxUs = v;
  }

  /** Adds every value of `other` to this histogram. */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++)
      this.counts[i] = (this.counts[i] ?? 0) + (other.counts[i] ?? 0);
    this.n += other.n;
    this.sumUs += other.sumUs;
    if (other.maxUs > this.maxUs) this.maxUs = other.maxUs;
  }

  /** Number of recorded values. */
  get count(): number {
    return this.n;
  }

  /**
   * The value (ms) below or at which `p` percent of the recordings lie (nearest rank), 0 when
   * empty. `p` is clamped to 0–100; never above `max`.
   */
  percentile(p: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) {
        const [lo, hi] = bounds(i);
        return Math.min((lo + hi) / 2, this.maxUs) / 1000;
      }
    }
    return this.maxUs / 1000;
  }

  /** count, mean, p50, p90, p95, p99 and max in milliseconds. */
  summary(): LatencySummary {
    return {
      count: this.n,
      mean: this.n === 0 ? 0 : this.sumUs / this.n / 1000,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.maxUs / 1000,
    };
  }
}
