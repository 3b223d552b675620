/**
 * Checks on the client judge's findings (docs/judge.md): `noFindings` and `findings: { check,
 * max }`, for expectations files and the programmatic assertion API.
 */
import { CHECK_IDS, isCheckId } from '../judge/checks.js';
import { suggestion } from '../util/schema-messages.js';
import { assertionErrorOf, type CheckResult } from './assertions.js';
import type { Transcript } from './query.js';
import type { FindingRecord, TranscriptRecord } from './record.js';
import { summarize } from './summary.js';

/** Most findings listed in a message. */
const LIST_MAX = 5;

/** Options of {@link checkNoFindings}: `severity: 'error'` lets warnings pass. */
export interface NoFindingsSpec {
  readonly severity?: 'error' | 'warning';
}

/** `findings: { check, max }`: at most `max` findings of `check` (default 0). */
export interface FindingsSpec {
  readonly check: string;
  readonly max?: number;
}

function findingsOf(t: Transcript): FindingRecord[] {
  return t.records.filter((r: TranscriptRecord): r is FindingRecord => r.kind === 'finding');
}

function listed(found: readonly FindingRecord[]): string {
  const shown = found.slice(0, LIST_MAX).map((r) => `\n  ${summarize(r)} (frame #${r.frameSeq})`);
  const more = found.length > LIST_MAX ? `\n  … and ${found.length - LIST_MAX} more` : '';
  return shown.join('') + more;
}

/**
 * No finding of the client judge (with `severity: 'error'`, no error-severity finding: warnings
 * pass).
 */
export function checkNoFindings(t: Transcript, spec: NoFindingsSpec = {}): CheckResult {
  const onlyErrors = spec.severity === 'error';
  const found = findingsOf(t).filter((f) => !onlyErrors || f.severity === 'error');
  const what = onlyErrors ? 'error-severity findings' : 'findings';
  if (found.length === 0)
    return { ok: true, message: '', actual: [], expected: [], operator: 'noFindings', nearest: [] };
  return {
    ok: false,
    message: `expected no ${what}, found ${found.length}:${listed(found)}`,
    actual: found.map(summarize),
    expected: [],
    operator: 'noFindings',
    nearest: found.slice(0, LIST_MAX),
  };
}

/** Throws an AssertionError listing the findings (see {@link checkNoFindings}). */
export function expectNoFindings(t: Transcript, spec: NoFindingsSpec = {}): void {
  const r = checkNoFindings(t, spec);
  if (!r.ok) throw assertionErrorOf(r);
}

/** The problem with a check id, or undefined for a known one. */
export function checkIdProblem(id: unknown): string | undefined {
  if (isCheckId(id)) return undefined;
  if (typeof id !== 'string') return 'must be a check id (docs/judge.md#checks)';
  return `unknown check ${JSON.stringify(id)}${suggestion(id, CHECK_IDS) || ` (known: ${CHECK_IDS.join(', ')})`}`;
}

/** At most `max` (default 0) findings of `check`. Throws TypeError for an unknown check id. */
export function checkFindings(t: Transcript, spec: FindingsSpec): CheckResult {
  const problem = checkIdProblem(spec.check);
  if (problem !== undefined) throw new TypeError(`findings.check: ${problem}`);
  const max = spec.max ?? 0;
  const found = findingsOf(t).filter((f) => f.check === spec.check);
  if (found.length <= max)
    return {
      ok: true,
      message: '',
      actual: found.length,
      expected: max,
      operator: 'findings',
      nearest: [],
    };
  return {
    ok: false,
    message: `expected at most ${max} ${spec.check} finding${max === 1 ? '' : 's'}, found ${found.length}:${listed(found)}`,
    actual: found.length,
    expected: max,
    operator: 'findings',
    nearest: found.slice(0, LIST_MAX),
  };
}

/** Throws an AssertionError when more than `max` findings of `check` were recorded. */
export function expectFindings(t: Transcript, spec: FindingsSpec): void {
  const r = checkFindings(t, spec);
  if (!r.ok) throw assertionErrorOf(r);
}
