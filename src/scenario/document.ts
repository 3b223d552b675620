/**
 * The shape of a scenario file after YAML parsing and schema validation. These types mirror
 * `schemas/scenario.schema.json`, which is the source of truth; the compiler only ever sees
 * documents the schema accepted.
 */
import type { ChecksSpec } from '../judge/checks.js';
import type { FaultKind, OutageMode, TextEncoding } from '../server/ports.js';

/** A number of milliseconds or a string such as `150ms`, `1s`, `2.5s`, `1m`, `1h`. */
export type DurationValue = number | string;

/** A string matcher: a plain string matches exactly; an object combines its keys with "and". */
export type StringMatchDoc =
  | string
  | {
      readonly prefix?: string;
      readonly suffix?: string;
      readonly regex?: string;
      readonly glob?: string;
      readonly in?: readonly string[];
      readonly not?: StringMatchDoc;
    };

/** A number matcher: a plain integer matches exactly; an object combines its keys with "and". */
export type NumberMatchDoc =
  | number
  | {
      readonly in?: readonly number[];
      readonly min?: number;
      readonly max?: number;
      readonly not?: NumberMatchDoc;
    };

/** Request-rate matcher: true once `over` requests of the same op were seen within `per`. */
export interface RateDoc {
  readonly over: number;
  readonly per: DurationValue;
  readonly scope?: 'session' | 'user';
}

/** The `when` block of a rule: every key present must match. */
export interface WhenDoc {
  readonly op?: StringMatchDoc;
  readonly user?: StringMatchDoc;
  readonly password?: StringMatchDoc;
  readonly destination?: StringMatchDoc;
  readonly originator?: StringMatchDoc;
  readonly text?: StringMatchDoc;
  readonly encoding?: StringMatchDoc;
  readonly dcs?: NumberMatchDoc;
  readonly udh?: StringMatchDoc;
  readonly parts?: NumberMatchDoc;
  readonly session?: StringMatchDoc;
  readonly param?: Readonly<Record<string, StringMatchDoc>>;
  readonly rate?: RateDoc;
}

/** A parameterless step may be written `{}` or left empty (`drop:`). */
export type EmptyDoc = Readonly<Record<string, never>> | null;

export interface RespondDoc {
  readonly params?: Readonly<Record<string, string | number>>;
  readonly timestamp?: string;
}

export interface ErrorDoc {
  readonly code: number;
  readonly text?: string;
}

/** The answer a `fault` step distorts: one of these keys (default: the positive answer). */
export interface FaultAnswerDoc {
  readonly respond?: RespondDoc | null;
  readonly error?: ErrorDoc;
  readonly generalError?: ErrorDoc;
  readonly nack?: EmptyDoc;
}

/** A fault: `kind` and the keys of that kind (see fault-steps.ts FAULT_KEYS). */
export interface FaultDoc {
  readonly kind: FaultKind;
  readonly offset?: number;
  readonly op?: number;
  readonly count?: number;
  readonly bytes?: number;
  readonly thenClose?: boolean;
  readonly size?: number;
  readonly gap?: DurationValue;
  readonly bytesPerSecond?: number;
  readonly answer?: FaultAnswerDoc;
}

export interface LatencyDoc {
  readonly base: DurationValue;
  readonly jitter?: DurationValue;
}

export interface OutageDoc {
  readonly for?: DurationValue;
  readonly mode?: OutageMode;
  readonly closeSessions?: boolean;
}

/** Connection faults (`server:` block, `schedule` items); `null` ends one (schedule). */
export interface ConnectionFaultsDoc {
  readonly latency?: LatencyDoc | null;
  readonly bandwidth?: number | null;
  readonly outage?: OutageDoc | null;
}

/** One entry of `then`: exactly one key. */
export interface StepDoc {
  readonly delay?: DurationValue;
  readonly respond?: RespondDoc | null;
  readonly error?: ErrorDoc;
  readonly nack?: EmptyDoc;
  readonly generalError?: ErrorDoc;
  readonly drop?: EmptyDoc;
  readonly disconnect?: EmptyDoc;
  readonly fault?: FaultDoc;
}

/** A status by name (`delivered`), by 061 code (0–9), or a map of names to random weights. */
export type StatusDoc = string | number | Readonly<Record<string, number>>;

export interface StatusReportDoc {
  readonly after?: DurationValue;
  readonly status?: StatusDoc;
  readonly errorCode?: number;
  readonly dischargeTime?: string;
  readonly target?: 'session' | 'user';
  readonly beforeAnswer?: boolean;
  readonly duplicate?: boolean;
  readonly fault?: FaultDoc;
}

export interface DeliverDoc {
  readonly after?: DurationValue;
  readonly from: string;
  readonly to: string;
  readonly text?: string;
  readonly hex?: string;
  readonly encoding?: TextEncoding;
  readonly udh?: string;
  readonly target?: 'session' | 'user';
  readonly duplicate?: boolean;
  readonly fault?: FaultDoc;
}

export interface DisconnectLaterDoc {
  readonly after?: DurationValue;
}

/** One entry of `afterwards`: exactly one key. */
export interface AfterwardDoc {
  readonly statusReport?: StatusReportDoc;
  readonly deliver?: DeliverDoc;
  readonly disconnect?: DisconnectLaterDoc | null;
}

export interface RuleDoc {
  readonly id?: string;
  readonly description?: string;
  readonly priority?: number;
  readonly times?: number;
  readonly whenState?: string | readonly string[];
  readonly setState?: string;
  readonly when?: WhenDoc;
  readonly then: readonly StepDoc[];
  readonly afterwards?: readonly AfterwardDoc[];
}

/**
 * A schedule item: `after` plus exactly one of `deliver` or `disconnect`, or connection faults
 * (`latency`, `bandwidth`, `outage`, together as one item).
 */
export interface ScheduleDoc extends ConnectionFaultsDoc {
  readonly after: DurationValue;
  readonly user?: string;
  readonly deliver?: Omit<DeliverDoc, 'after'>;
  readonly disconnect?: EmptyDoc;
}

export interface AccountDoc {
  readonly user: string;
  readonly password: string;
  readonly maxSessions?: number;
}

export interface ServerDoc extends ConnectionFaultsDoc {
  readonly keepAlive?: DurationValue;
  readonly throttle?: number;
  readonly statusReportDelay?: DurationValue;
  readonly timezone?: string;
}

/** A whole scenario file. */
export interface ScenarioDocument {
  readonly version: 1;
  readonly name?: string;
  readonly description?: string;
  readonly server?: ServerDoc;
  readonly accounts?: readonly AccountDoc[];
  readonly rules?: readonly RuleDoc[];
  readonly schedule?: readonly ScheduleDoc[];
  /** The client judge's checks: off, on, or another severity, by id (docs/judge.md). */
  readonly checks?: ChecksSpec;
}
