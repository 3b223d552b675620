/**
 * Actions: the steps of `then` and the side effects of `afterwards` and `schedule`, as the
 * server executes them (see `Step` and `Afterward` in server/ports.ts).
 *
 * A rule answers with zero or more `delay` steps and then exactly one terminal step:
 * - `respond` — the positive response (request op + 50), optionally with extra parameters by
 *   code and a fixed 060 time stamp (for submits the server adds 021 and a unique 060);
 * - `error` {code, text} — the response op + 50 carrying 900 and 901 (docs/protocol.md#error-codes-900);
 * - `nack` — 99 with the request's packet number;
 * - `generalError` {code, text} — 98 carrying 900 and 901;
 * - `drop` — no answer at all, so the client times out;
 * - `disconnect` — the TCP connection is closed without answering.
 *
 * After the terminal step, `afterwards` items run, each timed from the terminal step:
 * - `statusReport` {after, status, errorCode, dischargeTime, target} — a deliver status report
 *   (23) with 061 status (docs/protocol.md#status-codes-061) and optional 062/063; `status` may be a map of
 *   weights, picked with the engine's seeded random generator when the rule answers;
 * - `deliver` {after, from, to, text | hex, encoding, udh, target} — a mobile-originated message
 *   (20); the server encodes it and splits long text;
 * - `disconnect` {after} — closes the session later.
 * String fields may hold `{{…}}` templates, which the server renders when the item fires.
 */
import { errorText, statusName } from '../protocol/status-codes.js';
import { paramKey } from '../protocol/frame.js';
import type { Afterward, Step, TerminalStep } from '../server/ports.js';
import { formatDuration } from './durations.js';
import { showValue } from './matchers.js';
import { explainConnectionFaults, explainFaultStep, outboundFaultWords } from './fault-steps.js';

/** The step keys of `then` that end an answer (everything but `delay`). */
export const TERMINAL_STEP_KEYS = [
  'respond',
  'error',
  'nack',
  'generalError',
  'drop',
  'disconnect',
  'fault',
] as const;

/** Every step key of `then`. */
export const STEP_KEYS = ['delay', ...TERMINAL_STEP_KEYS] as const;

/** True for every step but `delay`. */
export function isTerminal(step: Step): step is TerminalStep {
  return step.kind !== 'delay';
}

/** A 061 status fixed at load time, or weights picked when a rule answers. */
export type StatusChoice =
  | { readonly kind: 'fixed'; readonly status: number }
  | {
      readonly kind: 'weighted';
      readonly options: readonly { readonly status: number; readonly weight: number }[];
    };

type StatusReportAfterward = Extract<Afterward, { kind: 'statusReport' }>;

/** A status report whose status may still be a weighted choice. */
export interface StatusReportTemplate extends Omit<StatusReportAfterward, 'status'> {
  readonly status: StatusChoice;
}

/** An `afterwards` item as compiled: like `Afterward`, but status reports may be weighted. */
export type AfterwardTemplate = StatusReportTemplate | Exclude<Afterward, StatusReportAfterward>;

/** Picks a status from a choice; `random` returns numbers in [0, 1). */
export function pickStatus(choice: StatusChoice, random: () => number): number {
  if (choice.kind === 'fixed') return choice.status;
  const total = choice.options.reduce((sum, o) => sum + o.weight, 0);
  let r = random() * total;
  for (const o of choice.options) {
    if (o.weight > 0 && r < o.weight) return o.status;
    r -= o.weight;
  }
  const last = choice.options.filter((o) => o.weight > 0).at(-1);
  return last?.status ?? 0;
}

/** The concrete item to execute: weighted statuses resolved, templates left for the server. */
export function resolveAfterward(item: AfterwardTemplate, random: () => number): Afterward {
  if (item.kind !== 'statusReport') return item;
  return { ...item, status: pickStatus(item.status, random) };
}

const statusWords = (code: number): string => `${statusName(code)} (${code})`;

function explainStatus(choice: StatusChoice): string {
  if (choice.kind === 'fixed') return statusWords(choice.status);
  const total = choice.options.reduce((sum, o) => sum + o.weight, 0);
  return (
    'randomly ' +
    choice.options
      .map(
        (o) =>
          `${statusWords(o.status)} ${total > 0 ? Math.round((o.weight / total) * 1000) / 10 : 0}%`,
      )
      .join(', ')
  );
}

function withText(code: number, text: string | undefined): string {
  return `${code} (${text ?? errorText(code)})`;
}

/** A step in plain words: `wait 150ms`, `answer error 300 (Incorrect destination address)`. */
export function explainStep(step: Step): string {
  switch (step.kind) {
    case 'delay':
      return `wait ${formatDuration(step.ms)}`;
    case 'respond': {
      const extras: string[] = [];
      for (const p of step.params ?? []) extras.push(`${paramKey(p.code)}:${p.value}`);
      if (step.timestamp !== undefined) extras.push(`060:${step.timestamp}`);
      return extras.length === 0 ? 'answer OK' : `answer OK with ${extras.join(', ')}`;
    }
    case 'error':
      return `answer error ${withText(step.code, step.text)}`;
    case 'nack':
      return 'answer with a NACK (99)';
    case 'generalError':
      return `answer with a general error (98) ${withText(step.code, step.text)}`;
    case 'drop':
      return 'never answer';
    case 'disconnect':
      return 'close the connection without answering';
    case 'fault':
      return explainFaultStep(step, explainStep);
  }
}

const targetWords = (target: 'session' | 'user' | undefined): string =>
  target === 'user' ? ' (to any session of the user)' : '';

/** An `afterwards` item in plain words. */
export function explainAfterward(item: AfterwardTemplate): string {
  const after = `after ${formatDuration(item.afterMs)}`;
  switch (item.kind) {
    case 'statusReport': {
      let s = `${after} send a status report ${explainStatus(item.status)}`;
      if (item.errorCode !== undefined) s += ` with status error ${item.errorCode}`;
      if (item.dischargeTime !== undefined) s += ` discharged ${item.dischargeTime}`;
      if (item.beforeAnswer === true) s = s.replace(after, 'before the answer');
      return s + outboundFaultWords(item) + targetWords(item.target);
    }
    case 'deliver':
      return `${after} ${explainDeliver(item)}${outboundFaultWords(item)}${targetWords(item.target)}`;
    case 'disconnect':
      return `${after} close the connection`;
    case 'faults':
      return `${after} ${explainConnectionFaults(item.faults)}`;
  }
}

/** A deliver (20) in plain words, without timing. */
export function explainDeliver(item: Extract<Afterward, { kind: 'deliver' }>): string {
  const body = item.text !== undefined ? `text ${showValue(item.text)}` : `bytes ${item.hex ?? ''}`;
  let s = `deliver a message from ${showValue(item.from)} to ${showValue(item.to)}, ${body}`;
  if (item.encoding !== undefined) s += ` as ${item.encoding}`;
  if (item.udh !== undefined) s += ` with UDH ${item.udh}`;
  return s;
}
