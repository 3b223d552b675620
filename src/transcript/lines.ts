/**
 * The JSONL writers of the hot record kinds (`frame`, `decision`, `assembled`; the rare kinds
 * are `JSON.stringify` of their record): each writes, as UTF-8 bytes into a {@link JsonBytes},
 * exactly `JSON.stringify` of the record the recorder would otherwise build, without building
 * it (no intermediate objects where raw bytes and a few fields suffice).
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
import type { JsonBytes } from './json-bytes.js';
import type { ChecksumState, DecisionAction, JsonValue, ParamPair, RecordOf } from './record.js';

/** The members every record starts with; `ts` is an ISO-8601 time (nothing to escape). */
export interface LineHead {
  readonly seq: number;
  readonly ts: string;
  readonly session: string;
}

/** UTF-8 of `text`, which is JSON already. */
function utf8(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

/** The head's pieces that repeat from record to record, encoded once (the last one of each). */
let tsText = '';
let tsBytes = utf8(',"ts":""');
let sessionText = '';
let sessionBytes = utf8('""');
const kindBytes = new Map<string, Uint8Array>();

function head(w: JsonBytes, h: LineHead, kind: string): void {
  w.ascii('{"seq":');
  w.num(h.seq);
  if (h.ts !== tsText) {
    tsText = h.ts;
    tsBytes = utf8(`,"ts":${JSON.stringify(h.ts)}`);
  }
  w.raw(tsBytes);
  let k = kindBytes.get(kind);
  if (k === undefined) {
    k = utf8(`,"kind":${JSON.stringify(kind)},"session":`);
    kindBytes.set(kind, k);
  }
  w.raw(k);
  if (h.session !== sessionText) {
    sessionText = h.session;
    sessionBytes = utf8(JSON.stringify(h.session));
  }
  w.raw(sessionBytes);
}

function paramsJsonBytes(w: JsonBytes, params: readonly Parameter[], redact: boolean): void {
  w.ascii('[');
  let first = true;
  for (const p of params) {
    w.ascii(first ? '["' : ',["');
    first = false;
    w.ascii(paramKey(p.code));
    w.ascii('",');
    w.str(redact && p.code === Param.Password ? REDACTED : p.value);
    w.ascii(']');
  }
  w.ascii(']');
}

/** Writes a `fields` object (strings, numbers and arrays of strings), member order kept. */
export function writeFields(w: JsonBytes, fields: FrameFields): void {
  w.ascii('{');
  let first = true;
  for (const key in fields) {
    const v = (fields as Record<string, unknown>)[key];
    if (v === undefined) continue;
    w.ascii(first ? '"' : ',"');
    first = false;
    w.ascii(key);
    w.ascii('":');
    if (typeof v === 'string') w.str(v);
    else if (typeof v === 'number') w.num(v);
    else w.json(JSON.stringify(v));
  }
  w.ascii('}');
}

/**
 * Writes the line of a `frame` record: `raw` is the frame's bytes, written as their latin1
 * reading (or `redactedRaw`, the redacted text, when passwords are redacted).
 */
export function writeFrame(
  w: JsonBytes,
  h: LineHead,
  dir: 'in' | 'out',
  frame: Frame,
  fields: FrameFields,
  checksum: ChecksumState,
  raw: Uint8Array,
  redactedRaw?: string,
  fault?: string,
): void {
  head(w, h, 'frame');
  w.ascii(dir === 'in' ? ',"dir":"in","op":' : ',"dir":"out","op":');
  w.num(frame.op);
  w.ascii(',"opName":');
  w.str(opName(frame.op));
  w.ascii(',"pn":');
  w.num(frame.pn);
  w.ascii(',"params":');
  paramsJsonBytes(w, frame.params, redactedRaw !== undefined);
  w.ascii(',"fields":');
  writeFields(w, fields);
  w.ascii(',"checksum":"');
  w.ascii(checksum);
  w.ascii('","raw":');
  if (redactedRaw !== undefined) w.str(redactedRaw);
  else w.latin1(raw);
  if (fault !== undefined) {
    w.ascii(',"fault":');
    w.str(fault);
  }
  w.ascii('}');
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
    case 'fault':
      return {
        kind: 'fault',
        fault: { ...step.fault },
        ...(step.answer !== undefined ? { answer: stepJson(step.answer) } : {}),
      };
  }
}

/** An afterward as its record action. */
export function afterwardJson(a: Afterward): DecisionAction {
  return { ...a };
}

function writeStep(w: JsonBytes, step: Step): void {
  if (step.kind === 'fault') {
    w.json(JSON.stringify(stepJson(step)));
    return;
  }
  if (step.kind !== 'respond') {
    w.json(JSON.stringify(step));
    return;
  }
  w.ascii('{"kind":"respond"');
  if (step.params !== undefined) {
    w.ascii(',"params":');
    paramsJsonBytes(w, step.params, false);
  }
  if (step.timestamp !== undefined) {
    w.ascii(',"timestamp":');
    w.str(step.timestamp);
  }
  w.ascii('}');
}

/** Writes the line of a `decision` record (`explanation`: the decision's, or its redacted form). */
export function writeDecision(
  w: JsonBytes,
  h: LineHead,
  frame: Frame,
  decision: Decision,
  explanation: string = decision.explanation,
): void {
  head(w, h, 'decision');
  w.ascii(',"pn":');
  w.num(frame.pn);
  w.ascii(',"op":');
  w.num(frame.op);
  w.ascii(',"opName":');
  w.str(opName(frame.op));
  w.ascii(',"rule":');
  if (decision.ruleId === null) w.ascii('null');
  else w.str(decision.ruleId);
  w.ascii(',"explanation":');
  w.str(explanation);
  w.ascii(',"actions":[');
  let first = true;
  for (const step of decision.steps) {
    if (!first) w.ascii(',');
    first = false;
    writeStep(w, step);
  }
  w.ascii('],"afterwards":');
  w.json(JSON.stringify(decision.afterwards));
  w.ascii('}');
}

/** The `decision` record {@link decisionLine} writes. */
export function decisionRecord(
  h: LineHead,
  frame: Frame,
  decision: Decision,
  explanation: string = decision.explanation,
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
    explanation,
    actions: decision.steps.map(stepJson),
    afterwards: decision.afterwards.map(afterwardJson),
  };
}

/** Writes the line of an `assembled` record (session = the event's clientId). */
export function writeAssembled(
  w: JsonBytes,
  seq: number,
  ts: string,
  e: SubmitCompletedEvent,
): void {
  head(w, { seq, ts, session: e.clientId }, 'assembled');
  if (e.user !== undefined) {
    w.ascii(',"user":');
    w.str(e.user);
  }
  w.ascii(',"destination":');
  w.str(e.destination);
  if (e.originator !== undefined) {
    w.ascii(',"originator":');
    w.str(e.originator);
  }
  if (e.text !== undefined) {
    w.ascii(',"text":');
    w.str(e.text);
  } else if (e.bytes !== undefined) {
    w.ascii(',"binary":"');
    w.ascii(e.bytes.toString('hex').toUpperCase());
    w.ascii('"');
  }
  w.ascii(',"encoding":');
  w.str(e.encoding);
  w.ascii(',"parts":');
  w.num(e.parts);
  if (e.reference !== undefined) {
    w.ascii(',"reference":');
    w.num(e.reference);
  }
  w.ascii(',"packetNumbers":[');
  let first = true;
  for (const pn of e.packetNumbers) {
    if (!first) w.ascii(',');
    first = false;
    w.num(pn);
  }
  w.ascii('],"timestamps":[');
  first = true;
  for (const t of e.timestamps) {
    if (!first) w.ascii(',');
    first = false;
    if (t === undefined) w.ascii('null');
    else w.str(t);
  }
  w.ascii(']}');
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
