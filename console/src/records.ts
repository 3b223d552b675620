/** The transcript records carried by the events of `GET /events` (no DOM: unit-tested in Node). */
import type { TranscriptRecord } from '../../src/transcript/record.js';

/**
 * The transcript records of an event: the one of a `record` event, the array of a `records`
 * event (`?batch=true`, what the console asks for); none for anything else.
 */
export function recordsOf(event: { event: string; data: string }): TranscriptRecord[] {
  if (event.event !== 'record' && event.event !== 'records' && event.event !== 'message') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(event.data);
  } catch {
    return [];
  }
  const list: unknown[] = event.event === 'records' && Array.isArray(parsed) ? parsed : [parsed];
  return list.filter(isRecord);
}

function isRecord(r: unknown): r is TranscriptRecord {
  if (typeof r !== 'object' || r === null) return false;
  const { seq, kind } = r as { seq?: unknown; kind?: unknown };
  return typeof seq === 'number' && typeof kind === 'string';
}
