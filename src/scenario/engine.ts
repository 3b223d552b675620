/**
 * The rule engine: decides the answer to every request from a compiled scenario.
 *
 * ## Rule selection
 *
 * Priority (higher first), then file order; the first matching rule that can still answer (its
 * `times` not used up, its `whenState` current) answers; nothing → the built-in default.
 *
 * A rule *matches* a request when its `whenState` (if any) names the current state and every
 * matcher of its `when` block passes. A rule with `times` can answer that often, then it is used
 * up and requests fall through to the next matching rule. A catch-all placed after specific rules
 * therefore never shadows them. When no rule answers, the built-in default answers (below).
 *
 * When a rule answers, its `setState` (if any) becomes the state for the next request. The state
 * starts as `started`. `reset()` restores the initial state, clears every use counter and the rate
 * history and reseeds the random generator. Loading a new scenario (`use`, hot reload) keeps what
 * still applies: the current state when the new scenario still names it (`started` or any of its
 * `whenState` / `setState` values; else back to `started`), and the use counter of every rule
 * whose `id` and `times` are unchanged; the rate history and the random sequence restart.
 * {@link RuleEngine.ruleUsage} tallies answers by rule id over the whole run, across reloads and
 * resets.
 *
 * ## Built-in default (the answer to requests no rule takes)
 *
 * - login: with `accounts`, an unknown user or wrong password gets error 100 and a login while
 *   `maxSessions` other sessions of the user are logged in gets 102; others are accepted
 *   (explanation `accounts: …`). Without accounts: accepted (`built-in: protocol: …`). A rule
 *   that matches a login wins over the accounts.
 * - submit: accepted; a status report `delivered` follows after `server.statusReportDelay` when
 *   the submit's 056 asks for successful delivery reports (bit 8).
 * - alive, logout, cancel, set, submit-status-report: accepted.
 * - enquire: answered by the server from its message store: 021, 060 and the 061 status last
 *   reported for that message (1 in process until a report went out); an unknown (060, 021)
 *   gets 900:7 (cannot find information).
 * - delivery-request: mode 0 answered with 066:0 (no messages waiting), other modes accepted.
 * - get: 501 answered with the MC time; any other item gets error 900.
 * - deliver / status-report sent by the client: general error 1 (unexpected operation).
 * - responses from the client (deliver-response, status-report-response, alive-response, …):
 *   dropped, since nothing answers a response.
 *
 * ## Unmatched: the scenario did not say
 *
 * A decision carries `unmatched` (the nearest rules and why each failed, e.g.
 * `rule "unknown-number": destination "+358401234567" does not start with "+99"`) only when the
 * scenario did not say how to answer: a submit no rule answered, or a request of an operation
 * that some rule names explicitly in `when.op` (a plain name or an `in` list) when none of them
 * answered. Everything else the protocol itself answers (explanation `built-in: protocol: …`) or
 * the accounts decide (`accounts: …`) is not unmatched; neither is a response.
 *
 * A rule that answers a submit with `respond` and has no explicit `statusReport` in `afterwards`
 * still gets the built-in 056-driven report, so a real client keeps receiving status reports.
 * Explicit `statusReport` items always fire, whatever 056 says.
 *
 * Over 500 lines on purpose: selection, the built-in default and reload carry-over are one state machine read top to
 * bottom beside its doc comment above; the answer steps live in actions.ts.
 *
 * Over 500 lines on purpose: this comment is the rule language's reference; selection, the
 * explanation of every answer (and of near misses), default reports and the state are one
 * decision over the same rule tables.
 */
import { getParam } from '../protocol/frame.js';
import { operationInfo, opByName } from '../protocol/operations.js';
import { errorText, StatusCode, wantsStatusReport } from '../protocol/status-codes.js';
import { formatTimestamp } from '../protocol/values.js';
import type { Afterward, Decision, RequestContext, Responder, Step } from '../server/ports.js';
import { explainStep, resolveAfterward } from './actions.js';
import type { CompiledRule, CompiledScenario } from './compiled.js';
import type { MatchEnv, RateMatcher } from './matchers.js';
import { showValue } from './matchers.js';
import { resolveFaultSteps } from './fault-steps.js';
import { mulberry32 } from './random.js';

/** Options of {@link RuleEngine}. */
export interface RuleEngineOptions {
  /** Seed of the random generator behind weighted statuses. Default: a random seed. */
  readonly seed?: number;
}

/** Use counts of one rule. */
export interface RuleStat {
  readonly id: string;
  readonly uses: number;
  readonly times?: number;
}

/** Answers of one rule id over the whole run (see {@link RuleEngine.ruleUsage}). */
export interface RuleUsage {
  readonly id: string;
  readonly uses: number;
}

/** The state every scenario starts in. */
export const INITIAL_STATE = 'started';

const MAX_RATE_KEYS = 10_000;
const NEAREST_RULES = 3;

/** Every state a scenario names: `started` and its `whenState` / `setState` values. */
function scenarioStates(scenario: CompiledScenario): Set<string> {
  const states = new Set<string>([INITIAL_STATE]);
  for (const r of scenario.rules) {
    for (const s of r.whenState ?? []) states.add(s);
    if (r.setState !== undefined) states.add(r.setState);
  }
  return states;
}

/** Timestamps of recent requests by scope key, bounded in age, count and number of keys. */
class RateHistory {
  private readonly entries = new Map<string, number[]>();
  private windowMs = 0;
  private cap = 0;

  configure(windowMs: number, cap: number): void {
    this.windowMs = windowMs;
    this.cap = cap;
    this.entries.clear();
  }

  get enabled(): boolean {
    return this.cap > 0;
  }

  clear(): void {
    this.entries.clear();
  }

  count(key: string, now: number, perMs: number): number {
    const list = this.entries.get(key);
    if (!list) return 0;
    let n = 0;
    for (const t of list) if (t > now - perMs && t <= now) n++;
    return n;
  }

  record(key: string, now: number): void {
    let list = this.entries.get(key);
    if (!list) {
      if (this.entries.size >= MAX_RATE_KEYS) {
        const oldest = this.entries.keys().next();
        if (!oldest.done) this.entries.delete(oldest.value);
      }
      list = [];
      this.entries.set(key, list);
    }
    list.push(now);
    while (list.length > 0 && ((list[0] ?? now) <= now - this.windowMs || list.length > this.cap)) {
      list.shift();
    }
  }
}

const rateKey = (scope: 'session' | 'user', ctx: RequestContext): string | undefined => {
  if (scope === 'session') return `s\0${ctx.session.id}\0${ctx.opName}`;
  const user = ctx.session.user ?? ctx.fields.user;
  return user === undefined ? undefined : `u\0${user}\0${ctx.opName}`;
};

/** No rule used up (shared: nothing allocated per request). */
const NONE: readonly CompiledRule[] = Object.freeze([]);
/** A decision without afterwards (shared, frozen). */
const NO_AFTERWARDS: readonly Afterward[] = Object.freeze([]);

/**
 * Decides every answer from a compiled scenario (see the selection rules above). `decide()` is
 * synchronous and never throws for peer behaviour; its only effects are rule use counts, the
 * state, and the rate history.
 */
export class RuleEngine implements Responder {
  /** The seed in use (given or drawn), to replay a run with weighted statuses. */
  readonly seed: number;
  private current: CompiledScenario;
  private tiers: CompiledRule[][] = [];
  private uses: number[] = [];
  /** The matching counted rules the last `select` skipped because they were used up. */
  private usedUp: readonly CompiledRule[] = NONE;
  /** The last explanation of each rule (by index) and what it was built from. */
  private explained: ({ before: string; reasons: string[]; text: string } | undefined)[] = [];
  /** Answers by rule id over the run, in first-use order; survives `use()` and `reset()`. */
  private readonly usage = new Map<string, number>();
  /** Operations some rule names explicitly in `when.op`. */
  private namedOps = new Set<string>();
  private stateName = INITIAL_STATE;
  private random: () => number;
  private readonly rates = new RateHistory();
  private readonly env: MatchEnv;

  constructor(scenario: CompiledScenario, options: RuleEngineOptions = {}) {
    this.seed = options.seed ?? Math.floor(Math.random() * 0x1_0000_0000);
    this.random = mulberry32(this.seed);
    this.current = scenario;
    this.env = {
      countRecent: (scope, ctx, perMs) => {
        const key = rateKey(scope, ctx);
        return key === undefined ? 0 : this.rates.count(key, ctx.now, perMs);
      },
    };
    this.prepare();
  }

  /** The scenario in use. */
  get scenario(): CompiledScenario {
    return this.current;
  }

  /** The current state name (initially `started`). */
  get state(): string {
    return this.stateName;
  }

  /**
   * Swaps the scenario atomically, keeping what still applies: the current state when the new
   * scenario names it (`started`, or any of its `whenState` / `setState` values; else the state
   * goes back to `started`), and the use counter of each rule whose `id` and `times` are
   * unchanged (other rules start at 0). The rate history and the random sequence restart.
   */
  use(scenario: CompiledScenario): void {
    const before = this.current.rules;
    const oldUses = this.uses;
    const state = this.stateName;
    this.current = scenario;
    this.prepare();
    const kept = new Map<string, { times: number | undefined; uses: number }>();
    for (const r of before) kept.set(r.id, { times: r.times, uses: oldUses[r.index] ?? 0 });
    for (const r of scenario.rules) {
      const old = kept.get(r.id);
      if (old !== undefined && old.times === r.times) this.uses[r.index] = old.uses;
    }
    if (scenarioStates(scenario).has(state)) this.stateName = state;
  }

  /** Restarts use counts, state, rate history and the random sequence of the current scenario. */
  reset(): void {
    this.uses = this.current.rules.map(() => 0);
    this.explained = [];
    this.stateName = INITIAL_STATE;
    this.rates.clear();
    this.random = mulberry32(this.seed);
  }

  /** Use counts of every rule, in file order. */
  ruleStats(): RuleStat[] {
    return this.current.rules.map((r) => ({
      id: r.id,
      uses: this.uses[r.index] ?? 0,
      ...(r.times !== undefined && { times: r.times }),
    }));
  }

  /**
   * How often each rule id answered over the whole run, across reloads (`use`) and `reset()`,
   * in the order the ids were first used. Rules that never answered are absent.
   */
  ruleUsage(): RuleUsage[] {
    return [...this.usage].map(([id, uses]) => ({ id, uses }));
  }

  /** Ids of the rules that never answered since the scenario was loaded or reset. */
  unusedRules(): string[] {
    return this.current.rules.filter((r) => (this.uses[r.index] ?? 0) === 0).map((r) => r.id);
  }

  /** Decides the answer to one request. */
  decide(ctx: RequestContext): Decision {
    const rule = this.select(ctx);
    const decision = rule ? this.fromRule(rule, ctx) : this.fallback(ctx, this.usedUp);
    if (this.rates.enabled) {
      this.rates.record(rateKey('session', ctx) ?? '', ctx.now);
      const userKey = rateKey('user', ctx);
      if (userKey !== undefined) this.rates.record(userKey, ctx.now);
    }
    return decision;
  }

  private prepare(): void {
    const byPriority = new Map<number, CompiledRule[]>();
    for (const rule of this.current.rules) {
      const tier = byPriority.get(rule.priority) ?? [];
      tier.push(rule);
      byPriority.set(rule.priority, tier);
    }
    this.tiers = [...byPriority.entries()].sort((a, b) => b[0] - a[0]).map(([, rules]) => rules);
    this.namedOps = new Set(this.current.rules.flatMap((r) => r.namedOps));
    let windowMs = 0;
    let cap = 0;
    for (const rule of this.current.rules) {
      for (const m of rule.matchers) {
        if (m.key === 'rate') {
          const r = m as RateMatcher;
          windowMs = Math.max(windowMs, r.perMs);
          cap = Math.max(cap, r.over);
        }
      }
    }
    this.rates.configure(windowMs, cap);
    this.reset();
  }

  private matches(rule: CompiledRule, ctx: RequestContext): boolean {
    if (rule.whenState && !rule.whenState.includes(this.stateName)) return false;
    return rule.matchers.every((m) => m.test(ctx, this.env));
  }

  /** Priority (higher first), then file order: the first matching rule that can still answer. */
  /**
   * The rule that answers, or undefined; the matching counted rules skipped because they are
   * used up are left in `usedUp` (nothing is allocated for the usual request).
   */
  private select(ctx: RequestContext): CompiledRule | undefined {
    let usedUp: CompiledRule[] | undefined;
    for (const tier of this.tiers) {
      for (const rule of tier) {
        if (!this.matches(rule, ctx)) continue;
        if (rule.times === undefined || (this.uses[rule.index] ?? 0) < rule.times) {
          this.usedUp = usedUp ?? NONE;
          return rule;
        }
        (usedUp ??= []).push(rule);
      }
    }
    this.usedUp = usedUp ?? NONE;
    return undefined;
  }

  private fromRule(rule: CompiledRule, ctx: RequestContext): Decision {
    const uses = (this.uses[rule.index] ?? 0) + 1;
    this.uses[rule.index] = uses;
    this.usage.set(rule.id, (this.usage.get(rule.id) ?? 0) + 1);
    let afterwards: readonly Afterward[] =
      rule.afterwards.length === 0
        ? NO_AFTERWARDS
        : rule.afterwards.map((a) => resolveAfterward(a, this.random));
    const terminal = rule.steps.at(-1);
    if (ctx.opName === 'submit' && terminal?.kind === 'respond' && !rule.hasStatusReport) {
      const report = this.defaultReport(ctx);
      if (report) afterwards = [...afterwards, report];
    }
    const reasons: string[] = [];
    if (rule.whenState) reasons.push(`state is ${showValue(this.stateName)}`);
    for (const m of rule.matchers) reasons.push(m.why(ctx, this.env));
    const before = this.stateName;
    if (rule.setState !== undefined) this.stateName = rule.setState;
    const explanation = this.explain(rule, uses, reasons, before);
    const steps = resolveFaultSteps(rule.steps, this.random);
    return { steps, afterwards, ruleId: rule.id, explanation };
  }

  /**
   * The explanation of a rule's answer. Without `times` it depends only on the reasons and the
   * state before, so the last one of each rule is reused while they repeat (the same string:
   * every submit of a load explains alike, and the recorder encodes an explanation once).
   */
  private explain(rule: CompiledRule, uses: number, reasons: string[], before: string): string {
    const memo = rule.times === undefined ? this.explained[rule.index] : undefined;
    if (
      memo?.before === before &&
      memo.reasons.length === reasons.length &&
      memo.reasons.every((r, i) => r === reasons[i])
    )
      return memo.text;
    let explanation = `rule ${showValue(rule.id)}`;
    if (rule.times !== undefined) explanation += ` (use ${uses} of ${rule.times})`;
    explanation += `: ${reasons.length > 0 ? reasons.join(', ') : 'matches every request'}`;
    explanation += ` → ${rule.steps.map(explainStep).join(', then ')}`;
    if (rule.setState !== undefined)
      explanation += `; state ${showValue(before)} → ${showValue(rule.setState)}`;
    if (rule.times === undefined)
      this.explained[rule.index] = { before, reasons, text: explanation };
    return explanation;
  }

  private defaultReport(ctx: RequestContext): Afterward | undefined {
    const bits = ctx.fields.statusReportRequest ?? 0;
    if (!wantsStatusReport(bits, StatusCode.DeliverySuccessful)) return undefined;
    return {
      kind: 'statusReport',
      afterMs: this.current.server.statusReportDelayMs,
      status: StatusCode.DeliverySuccessful,
    };
  }

  /**
   * The built-in answer. It is `unmatched` only when the scenario did not say: a submit, or an
   * operation some rule names explicitly. Otherwise the protocol answers (`built-in: protocol:`)
   * or, for logins with `accounts`, the accounts do (`accounts:`).
   */
  private fallback(ctx: RequestContext, usedUp: readonly CompiledRule[]): Decision {
    const info = operationInfo(opByName(ctx.opName) ?? -1);
    const respond: Step = { kind: 'respond' };
    const unsaid = !info?.isResponse && (ctx.opName === 'submit' || this.namedOps.has(ctx.opName));
    const answer = (steps: Step[], why: string, afterwards: Afterward[] = []): Decision => {
      if (!unsaid) {
        return { steps, afterwards, ruleId: null, explanation: `built-in: protocol: ${why}` };
      }
      const explanation = `built-in default: ${why}`;
      return {
        steps,
        afterwards,
        ruleId: null,
        explanation,
        unmatched: this.nearMiss(ctx, usedUp),
      };
    };
    if (info?.isResponse) return answer([{ kind: 'drop' }], `${ctx.opName} needs no answer`);
    switch (ctx.opName) {
      case 'login':
        return this.current.accounts
          ? this.accountsLogin(ctx)
          : answer([respond], 'login accepted (no accounts)');
      case 'submit': {
        const report = this.defaultReport(ctx);
        return answer(
          [respond],
          report ? 'submit accepted, status report requested by 056' : 'submit accepted',
          report ? [report] : [],
        );
      }
      case 'enquire':
        return answer([respond], 'enquire answered with the status the mock last reported');
      case 'delivery-request': {
        const mode = getParam(ctx.frame, 68);
        return mode === '0'
          ? answer([{ kind: 'respond', params: [{ code: 66, value: '0' }] }], 'no messages waiting')
          : answer([respond], 'delivery request accepted');
      }
      case 'get':
        return this.defaultGet(ctx, answer);
      case 'deliver':
      case 'status-report':
        return answer(
          [{ kind: 'generalError', code: 1 }],
          `${ctx.opName} is sent by the SMSC, not the client: ${errorText(1)}`,
        );
      default:
        return answer([respond], `${ctx.opName} accepted`);
    }
  }

  /** A login no rule answered, decided by the scenario's `accounts` (never unmatched). */
  private accountsLogin(ctx: RequestContext): Decision {
    const answer = (step: Step, why: string): Decision => ({
      steps: [step],
      afterwards: [],
      ruleId: null,
      explanation: `accounts: ${why}`,
    });
    const account = this.current.accounts?.find((a) => a.user === ctx.fields.user);
    if (!account || account.password !== ctx.fields.password) {
      const why = account
        ? `wrong password for ${showValue(account.user)}`
        : `unknown user ${showValue(ctx.fields.user ?? '')}`;
      return answer({ kind: 'error', code: 100 }, `${why}: error 100 (${errorText(100)})`);
    }
    if (account.maxSessions !== undefined && ctx.userSessions >= account.maxSessions) {
      return answer(
        { kind: 'error', code: 102 },
        `${showValue(account.user)} already has ${ctx.userSessions} of ${account.maxSessions} sessions: error 102 (${errorText(102)})`,
      );
    }
    return answer({ kind: 'respond' }, `login of ${showValue(account.user)} accepted`);
  }

  private defaultGet(
    ctx: RequestContext,
    answer: (steps: Step[], why: string) => Decision,
  ): Decision {
    const item = getParam(ctx.frame, 500);
    if (item === '501') {
      try {
        const time = formatTimestamp(ctx.now, this.current.server.timezone ?? 'UTC');
        return answer([{ kind: 'respond', params: [{ code: 501, value: time }] }], 'MC time');
      } catch {
        return answer([{ kind: 'error', code: 9 }], 'the clock cannot be written as a CIMD2 time');
      }
    }
    return answer([{ kind: 'error', code: 900 }], `unsupported item ${showValue(item ?? '')}`);
  }

  /** Why no rule answered: the nearest rules and their failing conditions. */
  private nearMiss(ctx: RequestContext, usedUp: readonly CompiledRule[]): string {
    const rules = this.current.rules;
    if (rules.length === 0) return `no rule for ${ctx.opName}: the scenario has no rules`;
    const candidates: { rule: CompiledRule; failures: string[]; opFailed: boolean }[] = [];
    for (const rule of rules) {
      if (usedUp.includes(rule)) {
        candidates.push({
          rule,
          failures: [
            `matches but is used up (${this.uses[rule.index] ?? 0} of ${rule.times ?? 0} times)`,
          ],
          opFailed: false,
        });
        continue;
      }
      const failures: string[] = [];
      let opFailed = false;
      if (rule.whenState && !rule.whenState.includes(this.stateName)) {
        failures.push(
          `state is ${showValue(this.stateName)}, rule needs ${rule.whenState.map(showValue).join(' or ')}`,
        );
      }
      for (const m of rule.matchers) {
        if (m.test(ctx, this.env)) continue;
        if (m.key === 'op') opFailed = true;
        failures.push(m.why(ctx, this.env));
      }
      candidates.push({ rule, failures, opFailed });
    }
    const sameOp = candidates.filter((c) => !c.opFailed);
    if (sameOp.length === 0) return `no rule for ${ctx.opName}`;
    const nearest = sameOp
      .sort((a, b) => a.failures.length - b.failures.length || a.rule.index - b.rule.index)
      .slice(0, NEAREST_RULES)
      .map((c) => `rule ${showValue(c.rule.id)}: ${c.failures.join(', ')}`);
    return `no rule matched ${ctx.opName}; ${nearest.join('; ')}`;
  }

  // ---------------------------------------------------------- state API (control API /state)

  /** Every state the scenario names (`started`, each `whenState` and `setState`), sorted. */
  states(): string[] {
    const names = new Set<string>([INITIAL_STATE]);
    for (const rule of this.current.rules) {
      for (const s of rule.whenState ?? []) names.add(s);
      if (rule.setState !== undefined) names.add(rule.setState);
    }
    return [...names].sort();
  }

  /**
   * Sets the current state, as a rule's `setState` would (counters stay).
   * @throws RangeError for a state the scenario never names (see {@link states}).
   */
  setState(name: string): void {
    const known = this.states();
    if (!known.includes(name)) {
      throw new RangeError(
        `state ${JSON.stringify(name)} is not named by the scenario (states: ${known.join(', ')})`,
      );
    }
    this.stateName = name;
  }
}
