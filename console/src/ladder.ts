/**
 * The ladder of `cimd2-mock show` as rows for the Conversation view: one row per frame or event
 * of a session, decisions folded into their request (`[rule id]`, `[default]`, `[unmatched]`),
 * and each line of an unmatched request's near-miss explanation as its own row beneath it. Events
 * read as in `show` (the same `eventText`).
 */
import type { DecisionRecord, FrameRecord, TranscriptRecord } from '../../src/transcript/record.js';
import { eventText } from '../../src/transcript/show.js';
import { keyFields, pn3 } from '../../src/transcript/summary.js';

export type LadderDir = 'in' | 'out' | 'bad' | 'event' | 'explain';

export interface LadderRow {
  readonly seq: number;
  readonly ts: string;
  readonly dir: LadderDir;
  readonly text: string;
  /** `rule id`, `default`, `unmatched`, or undefined. */
  readonly tag?: string;
  readonly error?: boolean;
  readonly record: TranscriptRecord;
}

function isErrorAnswer(r: FrameRecord): boolean {
  return (
    r.op === 98 || r.op === 99 || (r.fields.errorCode !== undefined && r.fields.errorCode !== 0)
  );
}

/** Ladder rows of one session's records (oldest first). */
export function ladderRows(records: readonly TranscriptRecord[]): LadderRow[] {
  const ruleOf = new Map<FrameRecord, string | null>();
  const waiting = new Map<string, FrameRecord>();
  const decided = new Map<string, FrameRecord>();
  const orphan = new Set<DecisionRecord>();
  const explanationOf = new Map<FrameRecord, string>();
  for (const r of records) {
    if (r.kind === 'frame' && r.dir === 'in') waiting.set(`${r.pn}|${r.op}`, r);
    else if (r.kind === 'decision') {
      const key = `${r.pn}|${r.op}`;
      const req = waiting.get(key);
      if (req === undefined) orphan.add(r);
      else {
        ruleOf.set(req, r.rule);
        waiting.delete(key);
        decided.set(key, req);
      }
    } else if (r.kind === 'unmatched') {
      const req = decided.get(`${r.pn}|${r.op}`);
      if (req !== undefined) explanationOf.set(req, r.explanation);
    }
  }
  const rows: LadderRow[] = [];
  for (const r of records) {
    const base = { seq: r.seq, ts: r.ts, record: r };
    if (r.kind === 'frame') {
      const text = [r.opName, pn3(r.pn), ...keyFields(r.op, r.fields)].join(' ');
      const rule = ruleOf.get(r);
      const explanation = explanationOf.get(r);
      const tag =
        explanation !== undefined
          ? 'unmatched'
          : rule === undefined
            ? undefined
            : rule === null
              ? 'default'
              : `rule ${rule}`;
      rows.push({
        ...base,
        dir: r.dir,
        text,
        ...(tag !== undefined ? { tag } : {}),
        error: isErrorAnswer(r),
      });
      if (explanation !== undefined) {
        for (const line of explanation.split('\n')) {
          if (line.trim() !== '') rows.push({ ...base, dir: 'explain', text: line });
        }
      }
      continue;
    }
    if (r.kind === 'frame-error') {
      const answer =
        'close' in r.answer
          ? 'connection closed'
          : `answered ${r.answer.opName}${'errorCode' in r.answer ? ` error=${r.answer.errorCode}` : ''}`;
      const what =
        r.opName !== undefined ? ` ${r.opName}${r.pn !== undefined ? ` ${pn3(r.pn)}` : ''}` : '';
      rows.push({
        ...base,
        dir: 'bad',
        text: `bad frame${what}: ${r.message} (${answer})`,
        error: true,
      });
      continue;
    }
    if (r.kind === 'decision') {
      if (orphan.has(r)) {
        rows.push({
          ...base,
          dir: 'event',
          text: `decision for ${r.opName} ${pn3(r.pn)}`,
          tag: r.rule === null ? 'default' : `rule ${r.rule}`,
        });
      }
      continue;
    }
    if (r.kind === 'unmatched') continue;
    const text = eventText(r);
    if (text === undefined) continue;
    const error = r.kind === 'finding' ? r.severity === 'error' : r.kind === 'fault';
    rows.push({ ...base, dir: 'event', text, ...(error ? { error } : {}) });
  }
  return rows;
}
