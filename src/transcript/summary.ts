/**
 * One-line readable summaries of records, shared by assertion messages, diffs and the ladder.
 */
import type { FrameFields, FrameRecord, RecordOf, TranscriptRecord } from './record.js';

/** Quoted and shortened text for one-line output. */
export function quote(s: string, max = 40): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max - 1)}…` : s);
}

/** Three-digit packet number. */
export function pn3(pn: number): string {
  return String(pn).padStart(3, '0');
}

/** The decoded fields worth showing for a frame, as `key=value` words. */
export function keyFields(op: number, f: FrameFields): string[] {
  const out: string[] = [];
  if (f.errorCode !== undefined) {
    out.push(`error=${f.errorCode}`);
    if (f.errorText !== undefined) out.push(quote(f.errorText));
  }
  if (f.user !== undefined) out.push(`user=${f.user}`);
  if (f.originator !== undefined) out.push(`from=${f.originator}`);
  if (f.destinations !== undefined) out.push(`to=${f.destinations.join(',')}`);
  else if (f.destination !== undefined) out.push(`to=${f.destination}`);
  if (f.statusCode !== undefined) {
    out.push(`status=${f.statusName ?? String(f.statusCode)}`);
    if (f.statusErrorCode !== undefined) out.push(`statusError=${f.statusErrorCode}`);
  }
  if (f.timestamp !== undefined && (op === 53 || op === 23)) out.push(`ts=${f.timestamp}`);
  if (f.parts !== undefined && f.parts > 1) out.push(`part=${f.part ?? '?'}/${f.parts}`);
  if (f.encoding !== undefined && f.encoding !== 'gsm7') out.push(`enc=${f.encoding}`);
  if (f.text !== undefined) out.push(quote(f.text));
  else if (f.binary !== undefined) out.push(`hex=${f.binary.slice(0, 32)}`);
  if (f.userDataError !== undefined) out.push(`(bad user data: ${f.userDataError})`);
  return out;
}

function frameLine(r: FrameRecord): string {
  const line = [r.dir, r.opName, pn3(r.pn), ...keyFields(r.op, r.fields)].join(' ');
  return r.fault === undefined ? line : `${line} [fault ${r.fault}]`;
}

/** A `fault` record in words: `fault outage start mode=refuse for=10000ms`. */
export function faultText(r: RecordOf<'fault'>): string {
  const words = ['fault', r.fault];
  if (r.phase !== undefined) words.push(r.phase);
  if (r.opName !== undefined && r.pn !== undefined)
    words.push(`instead of answering ${r.opName} ${pn3(r.pn)}`);
  if (r.mode !== undefined) words.push(`mode=${r.mode}`);
  if (r.forMs !== undefined) words.push(`for=${r.forMs}ms`);
  if (r.closeSessions === true) words.push('closeSessions');
  if (r.baseMs !== undefined) words.push(`base=${r.baseMs}ms`);
  if (r.jitterMs !== undefined) words.push(`jitter=${r.jitterMs}ms`);
  if (r.bytesPerSecond !== undefined) words.push(`${r.bytesPerSecond}B/s`);
  if (r.remote !== undefined) words.push(`from ${r.remote}`);
  return words.join(' ');
}

/** What a record says, without seq and session: `in submit 003 to=+358… "Hello"`. */
export function describeRecord(r: TranscriptRecord): string {
  switch (r.kind) {
    case 'frame':
      return frameLine(r);
    case 'frame-error':
      return `frame-error ${r.error}: ${r.message}`;
    case 'decision':
      return `decision ${r.opName} ${pn3(r.pn)} rule=${r.rule ?? 'default'} [${r.actions
        .map((a) => a.kind)
        .join(', ')}]`;
    case 'unmatched':
      return `unmatched ${r.opName} ${pn3(r.pn)}: ${r.explanation.split('\n')[0] ?? ''}`;
    case 'session-open':
      return `session-open ${r.remote}`;
    case 'session-close':
      return `session-close ${r.code} ${quote(r.reason)}`;
    case 'server-start':
      return `server-start ${r.host}:${r.port}${r.scenario === null ? '' : ` scenario=${r.scenario}`}`;
    case 'server-stop':
      return `server-stop ${r.reason}`;
    case 'scheduled':
      return `scheduled #${r.id} ${r.action.kind}`;
    case 'fired':
      return `fired #${r.id} ${r.action.kind}${r.cancelled !== undefined ? ` cancelled: ${r.cancelled}` : ''}`;
    case 'assembled':
      return `assembled ${r.parts} part(s) to=${r.destination}${r.text !== undefined ? ` ${quote(r.text)}` : ''}`;
    case 'multipart-expired':
      return `multipart-expired ref=${r.reference} got ${r.received.length}/${r.total}`;
    case 'ack-timeout':
      return `ack-timeout ${r.opName} ${pn3(r.pn)} after ${r.attempts} attempt(s)`;
    case 'unexpected-response':
      return `unexpected-response ${r.opName} ${pn3(r.pn)}`;
    case 'finding':
      return `finding ${r.check} ${r.severity}: ${r.message}`;
    case 'scenario-loaded':
      return `scenario-loaded ${r.file}`;
    case 'scenario-rejected':
      return `scenario-rejected ${r.file} (${r.issues.length} issue(s))`;
    case 'reset':
      return `reset epoch ${r.epoch} sessions=${r.sessions} cancelled=${r.cancelled}`;
    case 'fault':
      return faultText(r);
  }
}

/** `#12 c1 in submit 003 to=+358… "Hello"`: seq, session and what the record says. */
export function summarize(r: TranscriptRecord): string {
  const session = 'session' in r ? ` ${r.session}` : '';
  return `#${r.seq}${session} ${describeRecord(r)}`;
}
