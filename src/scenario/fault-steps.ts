/**
 * Faults in scenario files: the `fault` step of `then`, the `fault`/`duplicate`/`beforeAnswer`
 * keys of `statusReport` and `deliver`, and the connection faults (`latency`, `bandwidth`,
 * `outage`) of the `server:` block and of `schedule` items — compiled with the checks a JSON
 * Schema cannot express (which keys fit which kind, an `answer` a reset cannot give, …), and
 * explained in plain words.
 */
import type {
  ConnectionFaultSpec,
  Fault,
  FaultedAnswerStep,
  FaultKind,
  OutboundFault,
  Step,
} from '../server/ports.js';
import type { ConnectionFaultsDoc, DurationValue, FaultDoc } from './document.js';
import type { DocPath } from './source.js';
import { formatDuration } from './durations.js';

/** The fault kinds a server-initiated deliver or status report may carry. */
export const OUTBOUND_FAULT_KINDS = ['bad-checksum', 'split', 'trickle'] as const;

export const DEFAULT_WRONG_PN_OFFSET = 2;
export const DEFAULT_WRONG_OP = 98;
export const DEFAULT_DUPLICATE_COUNT = 2;
export const DEFAULT_GARBAGE_BYTES = 16;
export const DEFAULT_SPLIT_SIZE = 1;
export const DEFAULT_SPLIT_GAP_MS = 5;

/** The keys each fault kind takes besides `kind` (and `answer`, for every kind of a `then` step). */
export const FAULT_KEYS: Readonly<Record<FaultKind, readonly string[]>> = {
  'bad-checksum': [],
  'wrong-packet-number': ['offset'],
  'wrong-operation': ['op'],
  duplicate: ['count'],
  truncate: ['bytes'],
  garbage: ['bytes', 'thenClose'],
  split: ['size', 'gap'],
  trickle: ['bytesPerSecond'],
  reset: [],
  'half-close': [],
};

/** The answer keys a `fault` step's `answer` may hold. */
export const FAULT_ANSWER_KEYS = ['respond', 'error', 'generalError', 'nack'] as const;

/** What the fault compilers need of the scenario compiler. */
export interface FaultCompileContext {
  fail(path: DocPath, message: string): void;
  /** A duration in ms (issues reported), `fallback` when absent. */
  ms(value: DurationValue | undefined, fallback: number, path: DocPath): number;
  /** Compiles one answer step (`respond`, `error`, …) of a fault's `answer`. */
  step(key: (typeof FAULT_ANSWER_KEYS)[number], path: DocPath): Step;
}

/** Reports keys that do not belong to the fault's kind. */
function keysFit(doc: FaultDoc, path: DocPath, ctx: FaultCompileContext, outbound: boolean): void {
  const allowed = FAULT_KEYS[doc.kind];
  for (const key of Object.keys(doc)) {
    if (key === 'kind' || allowed.includes(key)) continue;
    if (key === 'answer' && !outbound) continue;
    const owners = (Object.keys(FAULT_KEYS) as FaultKind[]).filter((k) =>
      FAULT_KEYS[k].includes(key),
    );
    ctx.fail(
      [...path, key],
      key === 'answer'
        ? `a ${doc.kind} fault of a server message has no answer key: the message itself is distorted`
        : `${key} does not apply to a ${doc.kind} fault${owners.length > 0 ? ` (it belongs to ${owners.join(', ')})` : ''}`,
    );
  }
}

/** The fault of a `fault` step or of a deliver's / status report's `fault`, defaults applied. */
export function compileFault(
  doc: FaultDoc,
  path: DocPath,
  ctx: FaultCompileContext,
  outbound = false,
): Fault {
  keysFit(doc, path, ctx, outbound);
  switch (doc.kind) {
    case 'wrong-packet-number': {
      const offset = doc.offset ?? DEFAULT_WRONG_PN_OFFSET;
      if (offset % 256 === 0)
        ctx.fail([...path, 'offset'], `offset ${offset} leaves the packet number as it is`);
      return { kind: doc.kind, offset };
    }
    case 'wrong-operation':
      return { kind: doc.kind, op: doc.op ?? DEFAULT_WRONG_OP };
    case 'duplicate':
      return { kind: doc.kind, count: doc.count ?? DEFAULT_DUPLICATE_COUNT };
    case 'truncate':
      return { kind: doc.kind, ...(doc.bytes !== undefined ? { bytes: doc.bytes } : {}) };
    case 'garbage':
      return {
        kind: doc.kind,
        bytes: doc.bytes ?? DEFAULT_GARBAGE_BYTES,
        thenClose: doc.thenClose ?? false,
      };
    case 'split':
      return {
        kind: doc.kind,
        size: doc.size ?? DEFAULT_SPLIT_SIZE,
        gapMs: ctx.ms(doc.gap, DEFAULT_SPLIT_GAP_MS, [...path, 'gap']),
      };
    case 'trickle':
      if (doc.bytesPerSecond === undefined) {
        ctx.fail(path, 'a trickle fault needs bytesPerSecond');
        return { kind: doc.kind, bytesPerSecond: 1 };
      }
      return { kind: doc.kind, bytesPerSecond: doc.bytesPerSecond };
    case 'bad-checksum':
    case 'reset':
    case 'half-close':
      return { kind: doc.kind };
  }
}

/** A `fault` step of `then`: the fault and the answer it distorts. */
export function compileFaultStep(doc: FaultDoc, path: DocPath, ctx: FaultCompileContext): Step {
  const fault = compileFault(doc, path, ctx);
  const answerDoc = doc.answer;
  if (answerDoc === undefined) return { kind: 'fault', fault };
  const at = [...path, 'answer'];
  if (fault.kind === 'reset' || fault.kind === 'half-close') {
    ctx.fail(at, `a ${fault.kind} fault sends no answer: remove answer`);
    return { kind: 'fault', fault };
  }
  const keys = FAULT_ANSWER_KEYS.filter((k) => answerDoc[k] !== undefined);
  if (keys.length !== 1) {
    ctx.fail(
      at,
      keys.length === 0
        ? `answer needs one of ${FAULT_ANSWER_KEYS.join(', ')}`
        : `answer has ${keys.join(' and ')}: give one`,
    );
    return { kind: 'fault', fault };
  }
  const key = keys[0] ?? 'respond';
  const answer = ctx.step(key, [...at, key]) as FaultedAnswerStep;
  return { kind: 'fault', fault, answer };
}

/** The fault of a deliver or status report (bad-checksum, split, trickle only). */
export function compileOutboundFault(
  doc: FaultDoc,
  path: DocPath,
  ctx: FaultCompileContext,
): OutboundFault | undefined {
  if (!(OUTBOUND_FAULT_KINDS as readonly string[]).includes(doc.kind)) {
    ctx.fail(
      [...path, 'kind'],
      `a server message cannot have a ${doc.kind} fault (these can: ${OUTBOUND_FAULT_KINDS.join(', ')})`,
    );
    return undefined;
  }
  return compileFault(doc, path, ctx, true) as OutboundFault;
}

/** Connection faults of the `server:` block or of a `schedule` item (`null` ends one). */
export function compileConnectionFaults(
  doc: ConnectionFaultsDoc,
  path: DocPath,
  ctx: FaultCompileContext,
): ConnectionFaultSpec | undefined {
  const spec: {
    latency?: NonNullable<ConnectionFaultSpec['latency']> | null;
    bandwidth?: number | null;
    outage?: NonNullable<ConnectionFaultSpec['outage']> | null;
  } = {};
  if (doc.latency !== undefined)
    spec.latency =
      doc.latency === null
        ? null
        : {
            baseMs: ctx.ms(doc.latency.base, 0, [...path, 'latency', 'base']),
            jitterMs: ctx.ms(doc.latency.jitter, 0, [...path, 'latency', 'jitter']),
          };
  if (doc.bandwidth !== undefined) spec.bandwidth = doc.bandwidth;
  if (doc.outage !== undefined) {
    const o = doc.outage;
    spec.outage =
      o === null
        ? null
        : {
            mode: o.mode ?? 'refuse',
            ...(o.for !== undefined ? { forMs: ctx.ms(o.for, 0, [...path, 'outage', 'for']) } : {}),
            ...(o.closeSessions !== undefined ? { closeSessions: o.closeSessions } : {}),
          };
  }
  return Object.keys(spec).length === 0 ? undefined : spec;
}

/**
 * The steps a rule answers with now: a garbage fault gets its bytes from the engine's seeded
 * generator (so a run with the same seed sends the same bytes).
 */
export function resolveFaultSteps(steps: readonly Step[], random: () => number): readonly Step[] {
  const last = steps.at(-1);
  if (last?.kind !== 'fault' || last.fault.kind !== 'garbage') return steps;
  const fault = { ...last.fault, hex: randomHex(last.fault.bytes, random) };
  return [...steps.slice(0, -1), { ...last, fault }];
}

/** A `fault` step in plain words. */
export function explainFaultStep(
  step: Extract<Step, { kind: 'fault' }>,
  explainStep: (s: Step) => string,
): string {
  const f = step.fault;
  if (f.kind === 'reset' || f.kind === 'half-close') return `answer ${explainFault(f)}`;
  const answer = explainStep(step.answer ?? { kind: 'respond' }).replace(/^answer /, '');
  if (f.kind === 'garbage') return `instead of answering ${answer}, answer ${explainFault(f)}`;
  return `fault: answer ${answer} ${explainFault(f)}`;
}

/** The `fault`/`duplicate` words of a deliver or status report. */
export function outboundFaultWords(item: {
  readonly fault?: OutboundFault;
  readonly duplicate?: boolean;
}): string {
  let s = '';
  if (item.fault !== undefined) s += `, first sent ${explainFault(item.fault)}`;
  if (item.duplicate === true) s += ', then sent again with a new packet number';
  return s;
}

/** Connection faults in plain words. */
export function explainConnectionFaults(spec: ConnectionFaultSpec): string {
  const parts: string[] = [];
  if (spec.latency === null) parts.push('end the latency');
  else if (spec.latency !== undefined)
    parts.push(
      `delay every frame the server sends by ${formatDuration(spec.latency.baseMs)}${spec.latency.jitterMs > 0 ? ` ± ${formatDuration(spec.latency.jitterMs)}` : ''}`,
    );
  if (spec.bandwidth === null) parts.push('end the bandwidth limit');
  else if (spec.bandwidth !== undefined)
    parts.push(`limit each session's output to ${spec.bandwidth} bytes per second`);
  if (spec.outage === null) parts.push('end the outage');
  else if (spec.outage !== undefined) {
    const o = spec.outage;
    const what =
      o.mode === 'refuse'
        ? 'refuse new connections'
        : o.mode === 'accept-then-close'
          ? 'accept new connections and close them at once'
          : 'accept new connections and never answer them';
    parts.push(
      `outage: ${what}${o.forMs !== undefined ? ` for ${formatDuration(o.forMs)}` : ' until cleared'}${o.closeSessions === true ? ', closing the open sessions' : ''}`,
    );
  }
  return parts.join('; ');
}

/** `count` random bytes as uppercase hex; `random` returns numbers in [0, 1). */
export function randomHex(count: number, random: () => number): string {
  let s = '';
  for (let i = 0; i < count; i++)
    s += Math.floor(random() * 256)
      .toString(16)
      .padStart(2, '0');
  return s.toUpperCase();
}

/** A fault in plain words (for `explain` and decision explanations). */
export function explainFault(fault: Fault): string {
  switch (fault.kind) {
    case 'bad-checksum':
      return 'with a wrong checksum';
    case 'wrong-packet-number':
      return `with packet number ${fault.offset >= 0 ? '+' : ''}${fault.offset}`;
    case 'wrong-operation':
      return fault.op === 98
        ? 'replaced by a general error 98 (900:1)'
        : `with operation ${String(fault.op).padStart(2, '0')} instead`;
    case 'duplicate':
      return `${fault.count} times`;
    case 'truncate':
      return `cut to its first ${fault.bytes === undefined ? 'half' : `${fault.bytes} bytes`}, then close the connection`;
    case 'garbage':
      return `replaced by ${fault.bytes} random bytes${fault.thenClose ? ', then close the connection' : ''}`;
    case 'split':
      return `in pieces of ${fault.size} byte${fault.size === 1 ? '' : 's'} ${fault.gapMs} ms apart`;
    case 'trickle':
      return `at ${fault.bytesPerSecond} bytes per second`;
    case 'reset':
      return 'not at all: reset the connection (TCP RST)';
    case 'half-close':
      return 'not at all: end the server side of the connection (FIN) and keep reading';
  }
}
