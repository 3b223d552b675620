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
import { literal, type JsonBytes } from './json-bytes.js';
import type { ChecksumState, DecisionAction, JsonValue, ParamPair, RecordOf } from './record.js';

/** The members every record starts with; `ts` is an ISO-8601 time (nothing to escape). */
export interface LineHead {
  readonly seq: number;
  readonly ts: string;
  readonly session: string;
}

/** UTF-8 of `text`, which is JSON already. */
function utf8(text: string): Uint8Array {
  return literal(text);
}

const SEQ = literal('{"seq":');
const OPEN_ARRAY = literal('[');
const CLOSE_ARRAY = literal(']');
const COMMA = literal(',');
const CLOSE = literal('}');
const NULL = literal('null');

/**
 * A member whose value repeats from record to record: its key's bytes, then the last value
 * written as JSON, in a buffer kept and rewritten in place when the value changes.
 */
class RepeatedMember {
  private value: string | undefined;
  private buffer: Buffer;
  private readonly keyLength: number;
  /** The member's bytes (a view of `buffer`). */
  bytes: Uint8Array;

  constructor(key: string) {
    this.buffer = Buffer.alloc(128);
    this.keyLength = this.buffer.write(key, 0, 'utf8');
    this.bytes = this.buffer.subarray(0, 0);
  }

  /** The member's bytes with `value` (encoded only when it differs from the last one). */
  of(value: string): Uint8Array {
    if (value === this.value) return this.bytes;
    this.value = value;
    const json = JSON.stringify(value);
    const end = this.keyLength + Buffer.byteLength(json, 'utf8');
    if (end > this.buffer.length) {
      const bigger = Buffer.alloc(2 * end);
      this.buffer.copy(bigger, 0, 0, this.keyLength);
      this.buffer = bigger;
    }
    this.buffer.write(json, this.keyLength, 'utf8');
    this.bytes = this.buffer.subarray(0, end);
    return this.bytes;
  }
}

const tsMember = new RepeatedMember(',"ts":');
/** `,"kind":K,"session":` + the last session written, per kind (a handful of kinds). */
const kindSession = new Map<string, RepeatedMember>();

/**
 * Writes `{"seq":N,"ts":T,"kind":K,"session":S`. The time and the session are encoded only when
 * they differ from the last record's (one session at full speed: once per millisecond), into
 * buffers kept per kind, so that thousands of sessions leave nothing behind (a cache per session
 * churned at scale, and the bytes it held for a while were what young-generation collections had
 * to copy).
 */
function head(w: JsonBytes, h: LineHead, kind: string): void {
  w.lit(SEQ);
  w.num(h.seq);
  w.lit(tsMember.of(h.ts));
  let k = kindSession.get(kind);
  if (k === undefined) {
    k = new RepeatedMember(`,"kind":${JSON.stringify(kind)},"session":`);
    kindSession.set(kind, k);
  }
  w.lit(k.of(h.session));
}

/** `["PPP",` of each parameter code 0–999 (built on first use). */
const PARAM_OPEN: (Uint8Array | undefined)[] = [];

function paramOpen(code: number): Uint8Array {
  const cached = code >= 0 && code < 1000 ? PARAM_OPEN[code] : undefined;
  if (cached !== undefined) return cached;
  const bytes = utf8(`["${paramKey(code)}",`);
  if (code >= 0 && code < 1000 && Number.isInteger(code)) PARAM_OPEN[code] = bytes;
  return bytes;
}

function paramsJsonBytes(w: JsonBytes, params: readonly Parameter[], redact: boolean): void {
  w.lit(OPEN_ARRAY);
  let first = true;
  for (const p of params) {
    if (!first) w.lit(COMMA);
    first = false;
    w.lit(paramOpen(p.code));
    w.str(redact && p.code === Param.Password ? REDACTED : p.value);
    w.lit(CLOSE_ARRAY);
  }
  w.lit(CLOSE_ARRAY);
}

/** `{"key":` and `,"key":` of the `fields` members seen so far. */
const FIELD_KEYS = new Map<string, readonly [Uint8Array, Uint8Array]>();

function fieldKey(key: string, first: boolean): Uint8Array {
  let k = FIELD_KEYS.get(key);
  if (k === undefined) {
    const json = JSON.stringify(key);
    k = [utf8(`{${json}:`), utf8(`,${json}:`)];
    FIELD_KEYS.set(key, k);
  }
  return first ? k[0] : k[1];
}

const EMPTY_OBJECT = literal('{}');

/** Writes a `fields` object (strings, numbers and arrays of strings), member order kept. */
export function writeFields(w: JsonBytes, fields: FrameFields): void {
  let first = true;
  for (const key in fields) {
    const v = (fields as Record<string, unknown>)[key];
    if (v === undefined) continue;
    w.lit(fieldKey(key, first));
    first = false;
    if (typeof v === 'string') w.str(v);
    else if (typeof v === 'number') w.num(v);
    else w.json(JSON.stringify(v));
  }
  w.lit(first ? EMPTY_OBJECT : CLOSE);
}

/** `,"dir":D,"op":O,"opName":N,"pn":` per direction and operation (built on first use). */
const FRAME_OPS: Record<'in' | 'out', Map<number, Uint8Array>> = { in: new Map(), out: new Map() };

function frameOp(dir: 'in' | 'out', op: number): Uint8Array {
  const byOp = FRAME_OPS[dir];
  let bytes = byOp.get(op);
  if (bytes === undefined) {
    bytes = utf8(
      `,"dir":"${dir}","op":${JSON.stringify(op)},"opName":${JSON.stringify(opName(op))},"pn":`,
    );
    byOp.set(op, bytes);
  }
  return bytes;
}

const PARAMS = literal(',"params":');
const FIELDS = literal(',"fields":');
const CHECKSUM: Record<ChecksumState, Uint8Array> = {
  valid: literal(',"checksum":"valid","raw":'),
  absent: literal(',"checksum":"absent","raw":'),
  invalid: literal(',"checksum":"invalid","raw":'),
};

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
  w.lit(frameOp(dir, frame.op));
  w.num(frame.pn);
  w.lit(PARAMS);
  paramsJsonBytes(w, frame.params, redactedRaw !== undefined);
  w.lit(FIELDS);
  writeFields(w, fields);
  const cs = CHECKSUM[checksum] as Uint8Array | undefined;
  if (cs !== undefined) w.lit(cs);
  else {
    w.ascii(',"checksum":');
    w.str(checksum);
    w.ascii(',"raw":');
  }
  if (redactedRaw !== undefined) w.str(redactedRaw);
  else w.latin1(raw);
  if (fault !== undefined) {
    w.ascii(',"fault":');
    w.str(fault);
  }
  w.lit(CLOSE);
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

const RESPOND = literal('{"kind":"respond"');
const STEP_PARAMS = literal(',"params":');
const STEP_TIMESTAMP = literal(',"timestamp":');
const EMPTY_ARRAY = literal('[]');

function writeStep(w: JsonBytes, step: Step): void {
  if (step.kind === 'fault') {
    w.json(JSON.stringify(stepJson(step)));
    return;
  }
  if (step.kind !== 'respond') {
    w.json(JSON.stringify(step));
    return;
  }
  w.lit(RESPOND);
  if (step.params !== undefined) {
    w.lit(STEP_PARAMS);
    paramsJsonBytes(w, step.params, false);
  }
  if (step.timestamp !== undefined) {
    w.lit(STEP_TIMESTAMP);
    w.str(step.timestamp);
  }
  w.lit(CLOSE);
}

/** `,"pn":` … per operation of a decision, then `,"opName":N,"rule":` (built on first use). */
const DECISION_PN = literal(',"pn":');
const DECISION_OP = new Map<number, Uint8Array>();
const AFTERWARDS = literal('],"afterwards":');

function decisionOp(op: number): Uint8Array {
  let bytes = DECISION_OP.get(op);
  if (bytes === undefined) {
    bytes = utf8(`,"op":${JSON.stringify(op)},"opName":${JSON.stringify(opName(op))},"rule":`);
    DECISION_OP.set(op, bytes);
  }
  return bytes;
}

/** `,"explanation":E,"actions":[` of the last explanation (consecutive decisions often repeat it). */
let lastExplanation = '';
let lastExplanationBytes = utf8(',"explanation":"","actions":[');

function explanationBytes(explanation: string): Uint8Array {
  if (explanation !== lastExplanation) {
    lastExplanation = explanation;
    lastExplanationBytes = utf8(`,"explanation":${JSON.stringify(explanation)},"actions":[`);
  }
  return lastExplanationBytes;
}

/**
 * The bytes after `"pn":N` of the last decision without afterwards: the next one of the same
 * operation, rule, explanation and steps (the rule's own array, unchanged) repeats them, as
 * every submit of a load answered by one rule does.
 */
let lastTail:
  | {
      readonly op: number;
      readonly rule: string | null;
      readonly explanation: string;
      readonly steps: readonly Step[];
      readonly bytes: Uint8Array;
    }
  | undefined;

/** Writes the line of a `decision` record (`explanation`: the decision's, or its redacted form). */
export function writeDecision(
  w: JsonBytes,
  h: LineHead,
  frame: Frame,
  decision: Decision,
  explanation: string = decision.explanation,
): void {
  head(w, h, 'decision');
  w.lit(DECISION_PN);
  w.num(frame.pn);
  const repeat = decision.afterwards.length === 0;
  const t = lastTail;
  if (
    repeat &&
    t?.steps === decision.steps &&
    t.op === frame.op &&
    t.rule === decision.ruleId &&
    t.explanation === explanation
  ) {
    w.lit(t.bytes);
    return;
  }
  const from = w.lineEnd - w.lineStart; // (the line may move to a bigger buffer meanwhile)
  writeDecisionTail(w, frame, decision, explanation);
  if (repeat)
    lastTail = {
      op: frame.op,
      rule: decision.ruleId,
      explanation,
      steps: decision.steps,
      bytes: new Uint8Array(w.buffer.subarray(w.lineStart + from, w.lineEnd)),
    };
}

function writeDecisionTail(
  w: JsonBytes,
  frame: Frame,
  decision: Decision,
  explanation: string,
): void {
  w.lit(decisionOp(frame.op));
  if (decision.ruleId === null) w.lit(NULL);
  else w.str(decision.ruleId);
  w.lit(explanationBytes(explanation));
  let first = true;
  for (const step of decision.steps) {
    if (!first) w.lit(COMMA);
    first = false;
    writeStep(w, step);
  }
  w.lit(AFTERWARDS);
  if (decision.afterwards.length === 0) w.lit(EMPTY_ARRAY);
  else w.json(JSON.stringify(decision.afterwards));
  w.lit(CLOSE);
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

const A_USER = literal(',"user":');
const A_DESTINATION = literal(',"destination":');
const A_ORIGINATOR = literal(',"originator":');
const A_TEXT = literal(',"text":');
const A_ENCODING = literal(',"encoding":');
const A_PARTS = literal(',"parts":');
const A_REFERENCE = literal(',"reference":');
const A_PACKET_NUMBERS = literal(',"packetNumbers":[');
const A_TIMESTAMPS = literal('],"timestamps":[');
const A_END = literal(']}');

/** Writes the line of an `assembled` record (session = the event's clientId). */
export function writeAssembled(
  w: JsonBytes,
  seq: number,
  ts: string,
  e: SubmitCompletedEvent,
): void {
  head(w, { seq, ts, session: e.clientId }, 'assembled');
  if (e.user !== undefined) {
    w.lit(A_USER);
    w.str(e.user);
  }
  w.lit(A_DESTINATION);
  w.str(e.destination);
  if (e.originator !== undefined) {
    w.lit(A_ORIGINATOR);
    w.str(e.originator);
  }
  if (e.text !== undefined) {
    w.lit(A_TEXT);
    w.str(e.text);
  } else if (e.bytes !== undefined) {
    w.ascii(',"binary":"');
    w.ascii(e.bytes.toString('hex').toUpperCase());
    w.ascii('"');
  }
  w.lit(A_ENCODING);
  w.str(e.encoding);
  w.lit(A_PARTS);
  w.num(e.parts);
  if (e.reference !== undefined) {
    w.lit(A_REFERENCE);
    w.num(e.reference);
  }
  w.lit(A_PACKET_NUMBERS);
  let first = true;
  for (const pn of e.packetNumbers) {
    if (!first) w.lit(COMMA);
    first = false;
    w.num(pn);
  }
  w.lit(A_TIMESTAMPS);
  first = true;
  for (const t of e.timestamps) {
    if (!first) w.lit(COMMA);
    first = false;
    if (t === undefined) w.lit(NULL);
    else w.str(t);
  }
  w.lit(A_END);
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
