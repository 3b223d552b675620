/**
 * What a compiled scenario is — the shapes the engine runs and the facade reports — and the
 * template names each operation's request provides to `afterwards`. The compiler that builds
 * them is compile.ts.
 */
import type { CheckLevels } from '../judge/checks.js';
import type { Afterward, ConnectionFaultSpec, Step } from '../server/ports.js';
import type { AfterwardTemplate } from './actions.js';
import type { Matcher } from './matchers.js';

/** Template names a rule's `afterwards` strings may use. */
export const TEMPLATE_NAMES = [
  'destination',
  'originator',
  'text',
  'user',
  'timestamp',
  'session',
] as const;

/**
 * Template names an `afterwards` item may use, by the operation of the request that triggered
 * it: what that request (and its answer) carries. A submit provides all of them (`timestamp` is
 * the 060 of the submit's answer); every request provides `user` (the session's user; for a login
 * the user it logs in as) and `session`. Operations not listed provide `user` and `session` only.
 */
export const TEMPLATES_BY_OP: Readonly<Record<string, readonly (typeof TEMPLATE_NAMES)[number][]>> =
  {
    submit: TEMPLATE_NAMES,
    enquire: ['destination', 'user', 'session'],
    deliver: ['destination', 'originator', 'text', 'user', 'session'],
    'status-report': ['destination', 'user', 'session'],
  };

/** Template names available after a request of `op` (see {@link TEMPLATES_BY_OP}). */
export function templatesFor(op: string): readonly string[] {
  return TEMPLATES_BY_OP[op] ?? ['user', 'session'];
}

/** Template names a `schedule` item may use (there is no request to take values from). */
export const SCHEDULE_TEMPLATE_NAMES = ['user', 'session'] as const;

/** Default delay of a status report when neither the rule nor `server` says (ms). */
export const DEFAULT_STATUS_REPORT_DELAY_MS = 100;

/** An account allowed to log in (only enforced by the built-in login answer). */
export interface Account {
  readonly user: string;
  readonly password: string;
  readonly maxSessions?: number;
}

/** Server settings from the scenario; command-line flags override them. */
export interface ServerSettings {
  readonly keepAliveMs?: number;
  /** Server-initiated messages per second; 0 = unlimited. */
  readonly throttle?: number;
  readonly statusReportDelayMs: number;
  /** IANA zone for 060/063 time stamps; absent = UTC. */
  readonly timezone?: string;
  /** Connection faults (latency, bandwidth, outage) set when the scenario loads. */
  readonly faults?: ConnectionFaultSpec;
}

/**
 * A server-initiated item of `schedule`. `afterMs` counts from the first login of `user` (or of
 * any user when absent); a deliver goes to that user's oldest logged-in session. `action.afterMs`
 * equals `afterMs`.
 */
export interface ScheduledItem {
  readonly afterMs: number;
  readonly user?: string;
  readonly action: Afterward;
}

/** One rule, ready to run. */
export interface CompiledRule {
  /** The rule's `id`, or `rule-N` (N = position in the file, from 1). */
  readonly id: string;
  /** Position in the file, from 0. */
  readonly index: number;
  /** Source line of the rule. */
  readonly line: number;
  readonly description?: string;
  readonly priority: number;
  readonly times?: number;
  readonly whenState?: readonly string[];
  readonly setState?: string;
  /** Every matcher must pass; none means every request matches. */
  readonly matchers: readonly Matcher[];
  /**
   * Operations the rule names explicitly in `when.op` (a plain name or the names of an `in`
   * list): a request of one of them that no rule answers is unmatched.
   */
  readonly namedOps: readonly string[];
  /** Zero or more delays, then exactly one terminal step (checked at compile time). */
  readonly steps: readonly Step[];
  readonly afterwards: readonly AfterwardTemplate[];
  /** True when `afterwards` has a statusReport, which replaces the built-in 056-driven one. */
  readonly hasStatusReport: boolean;
}

/** A validated, compiled scenario: what the engine runs and the facade reports. */
export interface CompiledScenario {
  readonly name: string;
  readonly description?: string;
  readonly file: string;
  readonly version: 1;
  readonly server: ServerSettings;
  readonly accounts?: readonly Account[];
  readonly rules: readonly CompiledRule[];
  readonly schedule: readonly ScheduledItem[];
  /** The client judge's levels from `checks:` (absent: every check on at its default severity). */
  readonly checks?: CheckLevels;
  /** The YAML text it was compiled from. */
  readonly source: string;
}
