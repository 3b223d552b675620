/**
 * The findings of one run, for `GET /findings`, the facade's `findings()` and the shutdown
 * summary: exact counts per check and severity over the whole run, and the finding records
 * themselves up to a bound (the transcript keeps every one).
 */
import type { FindingRecord } from '../transcript/record.js';
import type { Severity } from './checks.js';

/** Finding records kept in memory (the oldest leave first; counts stay exact). */
export const MAX_KEPT_FINDINGS = 10_000;

/** Findings of one check over the run. */
export interface FindingCount {
  readonly check: string;
  readonly errors: number;
  readonly warnings: number;
}

/** A filter of {@link FindingStore.list}. */
export interface FindingFilter {
  readonly session?: string;
  readonly check?: string;
  readonly severity?: Severity;
  /** Only findings with seq > `afterSeq` (the current epoch: the last reset's seq). */
  readonly afterSeq?: number;
}

export class FindingStore {
  private readonly kept: FindingRecord[] = [];
  private head = 0;
  private readonly counts = new Map<string, { errors: number; warnings: number }>();
  private dropped = 0;
  private readonly max: number;

  constructor(max = MAX_KEPT_FINDINGS) {
    this.max = max;
  }

  add(record: FindingRecord): void {
    let c = this.counts.get(record.check);
    if (c === undefined) {
      c = { errors: 0, warnings: 0 };
      this.counts.set(record.check, c);
    }
    if (record.severity === 'error') c.errors++;
    else c.warnings++;
    this.kept.push(record);
    if (this.kept.length - this.head > this.max) {
      this.head++;
      this.dropped = this.kept[this.head - 1]?.seq ?? this.dropped;
      if (this.head > 1024 && this.head * 2 > this.kept.length) {
        this.kept.splice(0, this.head);
        this.head = 0;
      }
    }
  }

  /** Kept findings matching `filter`, oldest first. */
  list(filter: FindingFilter = {}): FindingRecord[] {
    const out: FindingRecord[] = [];
    const after = filter.afterSeq ?? 0;
    for (let i = this.head; i < this.kept.length; i++) {
      const f = this.kept[i];
      if (f === undefined || f.seq <= after) continue;
      if (filter.session !== undefined && f.session !== filter.session) continue;
      if (filter.check !== undefined && f.check !== filter.check) continue;
      if (filter.severity !== undefined && f.severity !== filter.severity) continue;
      out.push(f);
    }
    return out;
  }

  /** True when findings with seq > `afterSeq` left memory (more than the kept bound). */
  truncatedAfter(afterSeq = 0): boolean {
    return this.dropped > afterSeq;
  }

  /** Counts per check over the run, in first-found order. */
  totals(): FindingCount[] {
    return [...this.counts].map(([check, c]) => ({
      check,
      errors: c.errors,
      warnings: c.warnings,
    }));
  }

  /** Error-severity findings over the run. */
  get errors(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c.errors;
    return n;
  }
}
