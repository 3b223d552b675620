/**
 * The JSONL writers of the hot record kinds (`frame`, `decision`, `assembled`; the rare kinds
 * are `JSON.stringify` of their record): each returns exactly `JSON.stringify` of the record the recorder would otherwise build,
 * without building it (no intermediate objects where raw bytes and a few fields suffice).
 * `test/unit/transcript/lines.test.ts` checks every writer against `JSON.stringify` of the
 * corresponding record builder below, over generated inputs.
 */
import { paramKey, type Frame, type Parameter } from '../protocol/frame.js';
import type { FrameFields } from '../protocol/fields.js';
import { opName } from '../protocol/operations.js';
import { Param } from '../protocol/parameters.js';
import type { SubmitCompletedEvent } from '../server/events.js';
import type { Afterward, Decision, Step } from '../server/ports.js';
import { REDACTED } from './frame-fields.js';
import type { ChecksumState, DecisionAction, JsonValue, ParamPair, RecordOf } from './record.js';

/** JSON of a string. */
const q = JSON.stringify as (s: string) => string;

/** JSON of a number (as JSON.stringify: non-finite numbers are null). */
function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/** The members every record starts with; `ts` is an ISO-8601 time (nothing to escape). */
export interface LineHead {
  readonly seq: number;
  readonly ts: string;
  readonly session: string;
}

function head(h: LineHead, kind: string): string {
  return `{"seq":${num(h.seq)},"ts":"${h.ts}","kind":"${kind}","session":${q(h.session)}`;
}

function paramsLine(params: readonly Parameter[], redact: boolean): string {
  let out = '[';
  let first = true;
  for (const p of params) {
    if (!first) out += ',';
    first = false;
    const value = redact && p.code === Param.Password ? REDACTED : p.value;
    out += `["${paramKey(p.code)}",${q(value)}]`;
  }
  return `${out}]`;
}

/** JSON of a `fields` object (strings, numbers and one array of strings), member order kept. */
export function fieldsLine(fields: FrameFields): string {
  let out = '{';
  let first = true;
  for (const key in fields) {
    const v = (fields as Record<string, unknown>)[key];
    let json: string;
    if (typeof v === 'string') json = q(v);
    else if (typeof v === 'number') json = num(v);
    else if (v === undefined) continue;
    else json = JSON.stringify(v);
    out += `${first ? '' : ','}${q(key)}:${json}`;
    first = false;
  }
  return `${out}}`;
}

/** The line of a `frame` record. `raw` is the latin1 text of the bytes (already redacted). */
export function frameLine(
  h: LineHead,
  dir: 'in' | 'out',
  frame: Frame,
  fields: FrameFields,
  checksum: ChecksumState,
  raw: string,
  redact: boolean,
): string {
  return (
    `${head(h, 'frame')},"dir":"${dir}","op":${num(frame.op)},"opName":${q(opName(frame.op))},` +
    `"pn":${num(frame.pn)},"params":${paramsLine(frame.params, redact)},` +
    `"fields":${fieldsLine(fields)},"checksum":"${checksum}","raw":${q(raw)}}`
  );
}

/** The `frame` record {@link frameLine} writes. */
export function frameRecord(
  h: LineHead,
  dir: 'in' | 'out',
  frame: Frame,
  fields: FrameFields,
  checksum: ChecksumState,
  raw: string,
  redact: boolean,
): RecordOf<'frame'> {
  const params: ParamPair[] = frame.params.map((p) => [
    paramKey(p.code),
    redact && p.code === Param.Password ? REDACTED : p.value,
  ]);
  return {
    seq: h.seq,
    ts: h.ts,
    kind: 'frame',
    session: h.session,
    dir,
    op: frame.op,
    opName: opName(frame.op),
    pn: frame.pn,
    params,
    fields,
    checksum,
    raw,
  };
}

function paramsJson(params: readonly Parameter[]): JsonValue[] {
  return params.map((p) => [paramKey(p.code), p.value]);
}

/** A decision step as its record action. */
export function stepJson(step: Step): DecisionAction {
  switch (step.kind) {
    case 'respond': {
      const out: Record<string, JsonValue> = { kind: 'respond' };
      if (step.params !== undefined) out['params'] = paramsJson(step.params);
      if (step.timestamp !== undefined) out['timestamp'] = step.timestamp;
      return out as DecisionAction;
    }
    case 'delay':
    case 'error':
    case 'nack':
    case 'generalError':
    case 'drop':
    case 'disconnect':
      return { ...step };
  }
}

/** An afterward as its record action. */
export function afterwardJson(a: Afterward): DecisionAction {
  return { ...a };
}

function stepLine(step: Step): string {
  if (step.kind !== 'respond') return JSON.stringify(step);
  let out = '{"kind":"respond"';
  if (step.params !== undefined) out += `,"params":${paramsLine(step.params, false)}`;
  if (step.timestamp !== undefined) out += `,"timestamp":${q(step.timestamp)}`;
  return `${out}}`;
}

function listLine<T>(items: readonly T[], line: (item: T) => string): string {
  let out = '';
  for (const item of items) out += (out === '' ? '' : ',') + line(item);
  return `[${out}]`;
}

/** The line of a `decision` record. */
export function decisionLine(h: LineHead, frame: Frame, decision: Decision): string {
  const rule = decision.ruleId === null ? 'null' : q(decision.ruleId);
  return (
    `${head(h, 'decision')},"pn":${num(frame.pn)},"op":${num(frame.op)},` +
    `"opName":${q(opName(frame.op))},"rule":${rule},"explanation":${q(decision.explanation)},` +
    `"actions":${listLine(decision.steps, stepLine)},` +
    `"afterwards":${listLine(decision.afterwards, (a) => JSON.stringify(a))}}`
  );
}

/** The `decision` record {@link decisionLine} writes. */
export function decisionRecord(
  h: LineHead,
  frame: Frame,
  decision: Decision,
): RecordOf<'decision'> {
  return {
    seq: h.seq,
    ts: h.ts,
    kind: 'decision',
    session: h.session,
    pn: frame.pn,
    op: frame.op,
    opName: opName(frame.op),
    rule: decision.ruleId,
    explanation: decision.explanation,
    actions: decision.steps.map(stepJson),
    afterwards: decision.afterwards.map(afterwardJson),
  };
}

/** The line of an `assembled` record (session = the event's clientId). */
export function assembledLine(seq: number, ts: string, e: SubmitCompletedEvent): string {
  let out = head({ seq, ts, session: e.clientId }, 'assembled');
  if (e.user !== undefined) out += `,"user":${q(e.user)}`;
  out += `,"destination":${q(e.destination)}`;
  if (e.originator !== undefined) out += `,"originator":${q(e.originator)}`;
  if (e.text !== undefined) out += `,"text":${q(e.text)}`;
  else if (e.bytes !== undefined) out += `,"binary":"${e.bytes.toString('hex').toUpperCase()}"`;
  out += `,"encoding":${q(e.encoding)},"parts":${num(e.parts)}`;
  if (e.reference !== undefined) out += `,"reference":${num(e.reference)}`;
  out += `,"packetNumbers":${listLine(e.packetNumbers, num)}`;
  out += `,"timestamps":${listLine(e.timestamps, (t) => (t === undefined ? 'null' : q(t)))}}`;
  return out;
}

/** The `assembled` record {@link assembledLine} writes. */
export function assembledRecord(
  seq: number,
  ts: string,
  e: SubmitCompletedEvent,
): RecordOf<'assembled'> {
  const r: Record<string, unknown> = { seq, ts, kind: 'assembled', session: e.clientId };
  if (e.user !== undefined) r['user'] = e.user;
  r['destination'] = e.destination;
  if (e.originator !== undefined) r['originator'] = e.originator;
  if (e.text !== undefined) r['text'] = e.text;
  else if (e.bytes !== undefined) r['binary'] = e.bytes.toString('hex').toUpperCase();
  r['encoding'] = e.encoding;
  r['parts'] = e.parts;
  if (e.reference !== undefined) r['reference'] = e.reference;
  r['packetNumbers'] = [...e.packetNumbers];
  r['timestamps'] = e.timestamps.map((t) => t ?? null);
  return r as unknown as RecordOf<'assembled'>;
}
