/**
 * A transcript as a ladder of the conversation, one line per event, for reading a CI failure
 * at a glance:
 *
 * ```
 * 12:00:00.000  c1  ·  connected from 10.0.0.1:40000
 * 12:00:00.001  c1  →  login 001 user=shop  [rule login-ok]
 * 12:00:00.001  c1  ←  login-response 001
 * ```
 *
 * Columns: time (UTC clock time, or `+s.mmm` since the first record), session, direction
 * (`→` client to server, `←` server to client, `✗` a frame that did not decode, `·` other
 * events), then the operation name, packet number and key decoded fields. A request line ends
 * with the rule that decided it (`[default]` for the built-in responder, `[unmatched]` when no
 * rule matched). Decision records are folded into their request line.
 */
import type { Transcript } from './query.js';
import type { DecisionRecord, FrameRecord, TranscriptRecord } from './record.js';
import { faultText, keyFields, pn3, quote } from './summary.js';

/** Options of {@link showTranscript}. */
export interface ShowOptions {
  /** ANSI colours. Default false. */
  readonly color?: boolean;
  /** `clock`: HH:MM:SS.mmm (UTC, default); `relative`: seconds since the first record. */
  readonly time?: 'clock' | 'relative';
}

interface Paint {
  dim(s: string): string;
  in(s: string): string;
  out(s: string): string;
  bad(s: string): string;
  rule(s: string): string;
}

function paint(color: boolean): Paint {
  const wrap =
    (code: string) =>
    (s: string): string =>
      color ? `\x1b[${code}m${s}\x1b[0m` : s;
  return { dim: wrap('2'), in: wrap('36'), out: wrap('32'), bad: wrap('31'), rule: wrap('35') };
}

function msOf(ts: string): number {
  return Date.parse(ts);
}

function clockTime(ts: string): string {
  const t = /T(\d\d:\d\d:\d\d\.\d{3})/.exec(ts);
  return t?.[1] ?? ts;
}

function isErrorAnswer(r: FrameRecord): boolean {
  return (
    r.op === 98 || r.op === 99 || (r.fields.errorCode !== undefined && r.fields.errorCode !== 0)
  );
}

/**
 * The one-line text of a record that is neither a frame nor a decision (undefined for those):
 * shared with the web console's Conversation ladder.
 */
export function eventText(r: TranscriptRecord): string | undefined {
  switch (r.kind) {
    case 'server-start':
      return `server listening on ${r.host}:${r.port}${r.scenario === null ? '' : ` (scenario ${r.scenario})`}`;
    case 'server-stop':
      return `server stopped: ${r.reason}`;
    case 'session-open':
      return `connected from ${r.remote}`;
    case 'session-close':
      return `closed: ${r.reason} (${r.code})`;
    case 'unmatched':
      return `unmatched ${r.opName} ${pn3(r.pn)}: ${r.explanation.split('\n')[0] ?? ''}`;
    case 'scheduled':
      return `scheduled ${r.action.kind} #${r.id} due +${Math.max(0, msOf(r.at) - msOf(r.ts))}ms`;
    case 'fired':
      return r.cancelled !== undefined
        ? `cancelled ${r.action.kind} #${r.id}: ${r.cancelled}`
        : `fired ${r.action.kind} #${r.id}`;
    case 'assembled':
      return `assembled ${r.parts} part(s) to=${r.destination}${
        r.text !== undefined
          ? ` ${quote(r.text)}`
          : r.binary !== undefined
            ? ` hex=${r.binary.slice(0, 32)}`
            : ''
      }`;
    case 'multipart-expired':
      return `multipart ref=${r.reference} to=${r.destination} expired with ${r.received.length}/${r.total} part(s)`;
    case 'ack-timeout':
      return `no answer to ${r.opName} ${pn3(r.pn)} after ${r.attempts} attempt(s)`;
    case 'unexpected-response':
      return `unexpected ${r.opName} ${pn3(r.pn)} (answers nothing outstanding)`;
    case 'finding':
      return `${r.severity} ${r.check}: ${r.message} (frame #${r.frameSeq})`;
    case 'scenario-loaded':
      return `scenario loaded: ${r.file}${r.rules !== undefined ? ` (${r.rules} rules)` : ''}`;
    case 'scenario-rejected': {
      const first = r.issues[0];
      return `scenario rejected: ${r.file}${
        first !== undefined ? ` — ${first.file}:${first.line}:${first.col}: ${first.message}` : ''
      }${r.issues.length > 1 ? ` (+${r.issues.length - 1} more)` : ''}`;
    }
    case 'reset':
      return `reset: epoch ${r.epoch} starts (${r.cancelled} pending item(s) cancelled, sessions ${r.sessions === 'close' ? 'closed' : 'kept'})`;
    case 'fault':
      return faultText(r);
    case 'decision':
    case 'frame':
    case 'frame-error':
      return undefined;
  }
}

/** The ladder lines of a transcript (see the module comment). */
export function showTranscript(t: Transcript, options: ShowOptions = {}): string[] {
  const p = paint(options.color ?? false);
  const records = t.records;
  const first = records[0];
  const t0 = first === undefined ? 0 : msOf(first.ts);
  const sessionWidth = Math.max(0, ...t.sessions().map((s) => s.length));
  const relWidth = Math.max(
    0,
    ...records.map((r) => ((msOf(r.ts) - t0) / 1000).toFixed(3).length + 2),
  );
  const time = (r: TranscriptRecord): string =>
    options.time === 'relative'
      ? `+${((msOf(r.ts) - t0) / 1000).toFixed(3)}s`.padStart(relWidth)
      : clockTime(r.ts);

  // Rule of each inbound request: the decision (and unmatched) that follows it.
  const ruleOf = new Map<FrameRecord, string | null>();
  const unmatched = new Set<FrameRecord>();
  const orphanDecisions = new Set<DecisionRecord>();
  const waiting = new Map<string, FrameRecord>();
  const decided = new Map<string, FrameRecord>();
  for (const r of records) {
    if (r.kind === 'frame' && r.dir === 'in') waiting.set(`${r.session}|${r.pn}|${r.op}`, r);
    else if (r.kind === 'decision') {
      const key = `${r.session}|${r.pn}|${r.op}`;
      const req = waiting.get(key);
      if (req === undefined) orphanDecisions.add(r);
      else {
        ruleOf.set(req, r.rule);
        waiting.delete(key);
        decided.set(key, req);
      }
    } else if (r.kind === 'unmatched') {
      const req = decided.get(`${r.session}|${r.pn}|${r.op}`);
      if (req !== undefined) unmatched.add(req);
    }
  }

  const lines: string[] = [];
  for (const r of records) {
    const session = ('session' in r ? r.session : '').padEnd(sessionWidth);
    const head = `${p.dim(time(r))}  ${session}`;
    if (r.kind === 'frame') {
      const arrow = r.dir === 'in' ? p.in('→') : p.out('←');
      let text = [r.opName, pn3(r.pn), ...keyFields(r.op, r.fields)].join(' ');
      if (isErrorAnswer(r)) text = p.bad(text);
      if (r.fault !== undefined) text += `  ${p.bad(`[fault ${r.fault}]`)}`;
      const rule = ruleOf.get(r);
      const tag = unmatched.has(r)
        ? `  ${p.bad('[unmatched]')}`
        : rule === undefined
          ? ''
          : `  ${p.rule(rule === null ? '[default]' : `[rule ${rule}]`)}`;
      lines.push(`${head}  ${arrow}  ${text}${tag}`);
      continue;
    }
    if (r.kind === 'frame-error') {
      const answer =
        'close' in r.answer
          ? 'connection closed'
          : `answered ${r.answer.opName}${'errorCode' in r.answer ? ` error=${r.answer.errorCode}` : ''}`;
      const what =
        r.opName !== undefined ? ` ${r.opName}${r.pn !== undefined ? ` ${pn3(r.pn)}` : ''}` : '';
      lines.push(`${head}  ${p.bad('✗')}  ${p.bad(`bad frame${what}: ${r.message}`)} (${answer})`);
      continue;
    }
    if (r.kind === 'decision') {
      if (!orphanDecisions.has(r)) continue;
      lines.push(
        `${head}  ·  decision for ${r.opName} ${pn3(r.pn)}: ${p.rule(r.rule === null ? '[default]' : `[rule ${r.rule}]`)}`,
      );
      continue;
    }
    const text = eventText(r);
    if (text !== undefined)
      lines.push(`${head}  ·  ${r.kind === 'unmatched' ? p.bad(text) : text}`);
  }
  return lines;
}
