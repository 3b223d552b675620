/**
 * Epochs: a `reset` record (written by `MockSmsc.reset()` and `POST /reset`) ends one epoch and
 * starts the next. The file keeps every record; the default views look at the current epoch only,
 * so two tests in a row separated by a reset each see their own records.
 */
import type { TranscriptRecord } from './record.js';

/** Index of the first record after the last `reset` record (0 when there is none). */
export function epochStart(records: readonly TranscriptRecord[]): number {
  for (let i = records.length - 1; i >= 0; i--) if (records[i]?.kind === 'reset') return i + 1;
  return 0;
}

/** The records after the last `reset` record (every record when there is none). */
export function currentEpoch(records: readonly TranscriptRecord[]): readonly TranscriptRecord[] {
  const start = epochStart(records);
  return start === 0 ? records : records.slice(start);
}
