/**
 * Compiles a schema-valid scenario document into rules the engine runs, and performs the checks
 * a JSON Schema cannot express: exactly one terminal step and last, regexes and globs compile on
 * the linear-time engine, rule ids are unique, status names and operation names exist, templates
 * are known, deliver items carry exactly one of text or hex, time zones exist, and a rule's
 * `afterwards` only uses what the request of every operation it can match provides (templates
 * by `TEMPLATES_BY_OP` in compiled.ts; `statusReport` only after a submit).
 *
 * Over 500 lines on purpose: one `Compiler` walks the document once and every check shares its
 * issue list and YAML paths; the data shapes it produces live in compiled.ts.
 */
import { basename, extname } from 'node:path';
import { OPERATIONS } from '../protocol/operations.js';
import { STATUS_NAMES, statusByName } from '../protocol/status-codes.js';
import { formatTimestamp } from '../protocol/values.js';
import type { Parameter } from '../protocol/frame.js';
import { TEXT_ENCODINGS } from '../protocol/encodings.js';
import type { Afterward, OutboundFault, Step } from '../server/ports.js';
import { STEP_KEYS, TERMINAL_STEP_KEYS } from './actions.js';
import type { AfterwardTemplate, StatusChoice } from './actions.js';
import type {
  AfterwardDoc,
  DeliverDoc,
  NumberMatchDoc,
  RuleDoc,
  ScenarioDocument,
  StatusDoc,
  StepDoc,
  StringMatchDoc,
  WhenDoc,
} from './document.js';
import { MAX_DURATION_MS, durationTooLongMessage, parseDuration } from './durations.js';
import {
  compileConnectionFaults,
  compileFaultStep,
  compileOutboundFault,
  type FaultCompileContext,
} from './fault-steps.js';
import type { ScenarioIssue } from './issues.js';
import {
  compileNumberMatch,
  compileRegex,
  compileStringMatch,
  NUMBER_FIELDS,
  numberFieldMatcher,
  paramMatcher,
  rateMatcher,
  showValue,
  STRING_FIELDS,
  stringFieldMatcher,
} from './matchers.js';
import type { Matcher } from './matchers.js';
import {
  compileLinearGlob,
  MAX_SCENARIO_PROGRAM,
  patternProblem,
  type LinearPattern,
} from './linear-regex.js';
import type { DocPath, ScenarioSource } from './source.js';
import { suggestion } from './validate.js';
import { resolveChecks } from '../judge/checks.js';
import {
  DEFAULT_STATUS_REPORT_DELAY_MS,
  SCHEDULE_TEMPLATE_NAMES,
  TEMPLATE_NAMES,
  templatesFor,
} from './compiled.js';
import type {
  Account,
  CompiledRule,
  CompiledScenario,
  ScheduledItem,
  ServerSettings,
} from './compiled.js';

/** The seven text encodings (docs/protocol.md#text-and-data-coding), as `encoding` values. */
export { TEXT_ENCODINGS };

const q = (s: string): string => JSON.stringify(s);
const OP_NAMES = OPERATIONS.map((o) => o.name);

/** The operation names a `when.op` matcher lists literally (not under `not`). */
function literalOps(doc: StringMatchDoc | undefined): string[] {
  if (doc === undefined) return [];
  if (typeof doc === 'string') return [doc];
  return doc.in ? [...doc.in] : [];
}
const STATUS_NAME_LIST = Object.values(STATUS_NAMES);

class Compiler {
  readonly issues: ScenarioIssue[] = [];
  private readonly source: ScenarioSource;
  private statusReportDelayMs = DEFAULT_STATUS_REPORT_DELAY_MS;
  /** Instructions of the scenario's regexes and globs so far (see MAX_SCENARIO_PROGRAM). */
  private patternInstructions = 0;

  constructor(source: ScenarioSource) {
    this.source = source;
  }

  private fail(path: DocPath, message: string, prefix?: DocPath): void {
    this.issues.push(this.source.issue(path, message, prefix ? { prefix } : {}));
  }

  /** What the fault compilers (fault-steps.ts) use of this compiler; `doc` holds answer keys. */
  private faultContext(doc?: StepDoc): FaultCompileContext {
    return {
      fail: (path, message) => {
        this.fail(path, message);
      },
      ms: (value, fallback, path) => this.ms(value, fallback, path),
      step: (key, path) => this.step(key, doc ?? {}, path),
    };
  }

  private ms(value: number | string | undefined, fallback: number, path: DocPath): number {
    if (value === undefined) return fallback;
    // The schema already rejected bad durations.
    const ms = parseDuration(value);
    if (ms === undefined) return fallback;
    if (ms > MAX_DURATION_MS) {
      this.fail(path, durationTooLongMessage(JSON.stringify(value)));
      return fallback;
    }
    return ms;
  }

  compile(doc: ScenarioDocument): CompiledScenario {
    const server = this.server(doc);
    const accounts = doc.accounts ? this.accounts(doc) : undefined;
    const rules = (doc.rules ?? []).map((r, i) => this.rule(r, i));
    this.duplicateIds(doc.rules ?? [], rules);
    const schedule = (doc.schedule ?? []).flatMap((item, i): ScheduledItem[] => {
      const path = ['schedule', i];
      const afterMs = this.ms(item.after, 0, [...path, 'after']);
      const faults = compileConnectionFaults(item, path, this.faultContext());
      const actions = [
        item.deliver !== undefined,
        item.disconnect !== undefined,
        faults !== undefined,
      ].filter(Boolean);
      if (actions.length !== 1) {
        this.fail(
          path,
          actions.length === 0
            ? 'needs one action: deliver, disconnect, or connection faults (latency, bandwidth, outage)'
            : 'has more than one of deliver, disconnect and connection faults: use one schedule item each',
        );
        return [];
      }
      if (faults !== undefined)
        return [
          {
            afterMs,
            ...(item.user !== undefined && { user: item.user }),
            action: { kind: 'faults', afterMs, faults },
          },
        ];
      const action: Afterward = item.deliver
        ? this.deliver(
            { ...item.deliver, after: afterMs },
            [...path, 'deliver'],
            SCHEDULE_TEMPLATE_NAMES,
          )
        : { kind: 'disconnect', afterMs };
      return [{ afterMs, ...(item.user !== undefined && { user: item.user }), action }];
    });
    const ext = extname(this.source.file);
    return {
      name: doc.name ?? basename(this.source.file, ext),
      ...(doc.description !== undefined && { description: doc.description }),
      file: this.source.file,
      version: 1,
      server,
      ...(accounts && { accounts }),
      rules,
      schedule,
      ...(doc.checks !== undefined && { checks: resolveChecks(doc.checks) }),
      source: this.source.text,
    };
  }

  private server(doc: ScenarioDocument): ServerSettings {
    const s = doc.server ?? {};
    this.statusReportDelayMs = this.ms(s.statusReportDelay, DEFAULT_STATUS_REPORT_DELAY_MS, [
      'server',
      'statusReportDelay',
    ]);
    if (s.timezone !== undefined) {
      try {
        formatTimestamp(Date.UTC(2024, 0, 1), s.timezone);
      } catch {
        this.fail(
          ['server', 'timezone'],
          `unknown time zone ${q(s.timezone)}: use an IANA name such as Europe/Helsinki`,
        );
      }
    }
    return {
      statusReportDelayMs: this.statusReportDelayMs,
      ...(s.keepAlive !== undefined && {
        keepAliveMs: this.ms(s.keepAlive, 0, ['server', 'keepAlive']),
      }),
      ...(s.throttle !== undefined && { throttle: s.throttle }),
      ...(s.timezone !== undefined && { timezone: s.timezone }),
      ...this.serverFaults(s),
    };
  }

  private serverFaults(s: NonNullable<ScenarioDocument['server']>): Pick<ServerSettings, 'faults'> {
    const faults = compileConnectionFaults(s, ['server'], this.faultContext());
    if (faults === undefined) return {};
    for (const key of ['latency', 'bandwidth', 'outage'] as const)
      if (faults[key] === null)
        this.fail(
          ['server', key],
          `${key}: null ends a fault in a schedule item; here leave it out`,
        );
    if (faults.outage !== undefined && faults.outage !== null && faults.outage.forMs === undefined)
      this.fail(
        ['server', 'outage'],
        'an outage in the server block needs for: (how long after the scenario loads)',
      );
    return { faults };
  }

  private accounts(doc: ScenarioDocument): Account[] {
    const seen = new Map<string, number>();
    return (doc.accounts ?? []).map((a, i) => {
      const first = seen.get(a.user);
      if (first !== undefined) {
        this.fail(['accounts', i, 'user'], `duplicate user ${q(a.user)} (also accounts[${first}])`);
      } else {
        seen.set(a.user, i);
      }
      return {
        user: a.user,
        password: a.password,
        ...(a.maxSessions !== undefined && { maxSessions: a.maxSessions }),
      };
    });
  }

  private duplicateIds(docs: readonly RuleDoc[], rules: readonly CompiledRule[]): void {
    const seen = new Map<string, number>();
    rules.forEach((r, i) => {
      const first = seen.get(r.id);
      if (first === undefined) {
        seen.set(r.id, i);
        return;
      }
      const path = docs[i]?.id !== undefined ? ['rules', i, 'id'] : ['rules', i];
      this.fail(path, `duplicate rule id ${q(r.id)} (also rules[${first}])`);
    });
  }

  private rule(doc: RuleDoc, index: number): CompiledRule {
    const path = ['rules', index];
    const matchers = this.when(doc.when, [...path, 'when']);
    const steps = this.steps(doc.then, [...path, 'then']);
    const afterwards = (doc.afterwards ?? []).flatMap((a, i) =>
      this.afterward(a, [...path, 'afterwards', i]),
    );
    const id = doc.id ?? `rule-${index + 1}`;
    this.afterwardsFit(doc, id, path);
    const whenState =
      doc.whenState === undefined
        ? undefined
        : typeof doc.whenState === 'string'
          ? [doc.whenState]
          : [...doc.whenState];
    return {
      id,
      index,
      line: this.source.position(path).line,
      ...(doc.description !== undefined && { description: doc.description }),
      priority: doc.priority ?? 0,
      ...(doc.times !== undefined && { times: doc.times }),
      ...(whenState && { whenState }),
      ...(doc.setState !== undefined && { setState: doc.setState }),
      matchers,
      namedOps: literalOps(doc.when?.op),
      steps,
      afterwards,
      hasStatusReport: afterwards.some((a) => a.kind === 'statusReport'),
    };
  }

  /**
   * Checks that every `afterwards` item of a rule works for each operation the rule can match
   * (by its `when.op`; every operation when absent): templates the request provides, and status
   * reports only after a submit.
   */
  private afterwardsFit(doc: RuleDoc, id: string, path: DocPath): void {
    if (!doc.afterwards || doc.afterwards.length === 0) return;
    const opDoc = doc.when?.op;
    let opTest: ((name: string) => boolean) | undefined;
    try {
      if (opDoc !== undefined) {
        const test = compileStringMatch(opDoc);
        opTest = (name) => test.test(name);
      }
    } catch {
      return; // an invalid regex in when.op, reported by when()
    }
    const ops = OP_NAMES.filter((name) => opTest?.(name) ?? true);
    const matchesWhat = (op: string): string =>
      opDoc === undefined ? `op ${op} (it has no when.op)` : `op ${op}`;
    doc.afterwards.forEach((item, i) => {
      const at = [...path, 'afterwards', i];
      if (item.statusReport !== undefined) {
        const other = ops.find((op) => op !== 'submit');
        if (other !== undefined) {
          this.fail(
            [...at, 'statusReport'],
            `statusReport afterwards needs a submit: rule ${q(id)} matches ${matchesWhat(other)}; add op: submit to its when`,
          );
        }
        return;
      }
      if (item.deliver === undefined) return;
      for (const key of ['from', 'to', 'text'] as const) {
        const value = item.deliver[key];
        if (value === undefined) continue;
        for (const m of value.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
          const name = m[1] ?? '';
          if (!(TEMPLATE_NAMES as readonly string[]).includes(name)) continue; // reported already
          const op = ops.find((o) => !templatesFor(o).includes(name));
          if (op === undefined) continue;
          const has = templatesFor(op)
            .map((t) => `{{${t}}}`)
            .join(', ');
          this.fail(
            [...at, 'deliver', key],
            `template {{${name}}} is not available: rule ${q(id)} matches ${matchesWhat(op)}, whose request provides only ${has}`,
          );
          break;
        }
      }
    });
  }

  private when(when: WhenDoc | undefined, path: DocPath): Matcher[] {
    const out: Matcher[] = [];
    const known = (what: string, names: readonly string[]) => (s: string) =>
      names.includes(s)
        ? undefined
        : `unknown ${what} ${q(s)}${suggestion(s, names) || ` (known: ${names.join(', ')})`}`;
    const upper = (s: string): string => s.toUpperCase();
    const strings = (
      key: keyof typeof STRING_FIELDS,
      doc: StringMatchDoc,
      literal?: (s: string) => string | undefined,
      normalize?: (s: string) => string,
    ): void => {
      if (!this.checkStringMatch(doc, [...path, key], literal)) return;
      const f = STRING_FIELDS[key];
      out.push(stringFieldMatcher(key, f.label, f.read, compileStringMatch(doc, normalize)));
    };
    for (const [key, value] of Object.entries(when ?? {}) as [keyof WhenDoc, unknown][]) {
      switch (key) {
        case 'op':
          strings(key, value as StringMatchDoc, known('operation', OP_NAMES));
          break;
        case 'encoding':
          strings(key, value as StringMatchDoc, known('encoding', TEXT_ENCODINGS));
          break;
        case 'udh':
          strings(key, value as StringMatchDoc, undefined, upper);
          break;
        case 'user':
        case 'password':
        case 'destination':
        case 'originator':
        case 'text':
        case 'session':
          strings(key, value as StringMatchDoc);
          break;
        case 'dcs':
        case 'parts': {
          const f = NUMBER_FIELDS[key];
          const t = compileNumberMatch(value as NumberMatchDoc);
          out.push(numberFieldMatcher(key, f.label, f.read, t));
          break;
        }
        case 'param':
          for (const [code, m] of Object.entries(value as Record<string, StringMatchDoc>)) {
            if (this.checkStringMatch(m, [...path, key, code])) {
              out.push(paramMatcher(Number(code), compileStringMatch(m)));
            }
          }
          break;
        case 'rate': {
          const r = value as NonNullable<WhenDoc['rate']>;
          out.push(
            rateMatcher(r.over, this.ms(r.per, 0, [...path, key, 'per']), r.scope ?? 'session'),
          );
          break;
        }
      }
    }
    return out;
  }

  /**
   * Checks regexes and globs (they compile on the linear-time engine) and, with `literal`, the
   * literal strings of a matcher.
   * Returns false when it reported an issue (the matcher must then not be compiled).
   */
  private checkStringMatch(
    doc: StringMatchDoc,
    path: DocPath,
    literal?: (s: string) => string | undefined,
  ): boolean {
    const before = this.issues.length;
    if (typeof doc === 'string') {
      const problem = literal?.(doc);
      if (problem !== undefined) this.fail(path, problem);
      return this.issues.length === before;
    }
    if (doc.regex !== undefined) {
      const at = [...path, 'regex'];
      const regex = doc.regex;
      const problem = patternProblem(() => {
        this.countPattern(at, compileRegex(regex));
      });
      if (problem?.kind === 'invalid') {
        this.fail(at, `invalid regular expression ${showValue(doc.regex)}: ${problem.message}`);
      } else if (problem) this.fail(at, `regex ${showValue(doc.regex)}: ${problem.message}`);
    }
    if (doc.glob !== undefined) {
      const at = [...path, 'glob'];
      const glob = doc.glob;
      const problem = patternProblem(() => {
        this.countPattern(at, compileLinearGlob(glob));
      });
      if (problem) this.fail(at, `glob ${showValue(doc.glob)}: ${problem.message}`);
    }
    if (doc.in !== undefined && literal) {
      doc.in.forEach((s, i) => {
        const problem = literal(s);
        if (problem !== undefined) this.fail([...path, 'in', i], problem);
      });
    }
    if (doc.not !== undefined) this.checkStringMatch(doc.not, [...path, 'not'], literal);
    return this.issues.length === before;
  }

  /** Adds a pattern's program to the scenario's total; the pattern that crosses the limit fails. */
  private countPattern(path: DocPath, pattern: LinearPattern): void {
    const before = this.patternInstructions;
    this.patternInstructions += pattern.size;
    if (before <= MAX_SCENARIO_PROGRAM && this.patternInstructions > MAX_SCENARIO_PROGRAM) {
      this.fail(
        path,
        `the regexes and globs of this scenario come to over ${MAX_SCENARIO_PROGRAM} instructions (linear-time engine): matching one request against them all could take over 10 ms`,
      );
    }
  }

  private steps(docs: readonly StepDoc[], path: DocPath): Step[] {
    const steps: Step[] = [];
    let terminal: { key: string; index: number } | undefined;
    docs.forEach((doc, i) => {
      const key = STEP_KEYS.find((k) => doc[k] !== undefined);
      if (key === undefined) return;
      steps.push(this.step(key, doc, [...path, i, key]));
      const isTerminal = key !== 'delay';
      if (terminal !== undefined) {
        this.fail(
          [...path, i],
          isTerminal
            ? `only one terminal step is allowed, found ${terminal.key} at then[${terminal.index}] and ${key} at then[${i}]`
            : `the terminal step (${terminal.key}) must come last, found ${key} after it`,
          path,
        );
      } else if (isTerminal) {
        terminal = { key, index: i };
      }
    });
    if (terminal === undefined && docs.length > 0) {
      this.fail(path, `needs a terminal step (${TERMINAL_STEP_KEYS.join(', ')}) after the delays`);
    }
    return steps;
  }

  private step(key: (typeof STEP_KEYS)[number], doc: StepDoc, path: DocPath): Step {
    switch (key) {
      case 'delay':
        return { kind: 'delay', ms: this.ms(doc.delay, 0, path) };
      case 'respond': {
        const r = doc.respond ?? {};
        const params: Parameter[] = Object.entries(r.params ?? {}).map(([code, value]) => {
          const text = String(value);
          // Values travel as latin1 byte strings; NUL, STX, ETX and TAB would break the frame.
          if (/[\0\x02\x03\t]|[^\0-\xFF]/u.test(text)) {
            this.fail(
              [...path, 'params', code],
              'must not contain TAB, control bytes NUL/STX/ETX or characters beyond U+00FF',
            );
          }
          return { code: Number(code), value: text };
        });
        return {
          kind: 'respond',
          ...(params.length > 0 && { params }),
          ...(r.timestamp !== undefined && { timestamp: r.timestamp }),
        };
      }
      case 'error':
      case 'generalError': {
        const e = doc[key] ?? { code: 0 };
        if (e.text !== undefined && !/^[\x20-\x7E]*$/.test(e.text)) {
          this.fail([...path, 'text'], 'error text (901) must be printable ASCII');
        }
        return { kind: key, code: e.code, ...(e.text !== undefined && { text: e.text }) };
      }
      case 'nack':
      case 'drop':
      case 'disconnect':
        return { kind: key };
      case 'fault': {
        const f = doc.fault ?? { kind: 'bad-checksum' };
        return compileFaultStep(f, path, this.faultContext(f.answer));
      }
    }
  }

  private afterward(doc: AfterwardDoc, path: DocPath): AfterwardTemplate[] {
    if (doc.statusReport !== undefined) {
      const s = doc.statusReport;
      const at = [...path, 'statusReport'];
      const status = this.status(s.status ?? 'delivered', [...at, 'status']);
      if (s.beforeAnswer === true && s.after !== undefined)
        this.fail(
          [...at, 'after'],
          'a beforeAnswer report goes out right before the answer: remove after',
        );
      const fault =
        s.fault === undefined
          ? undefined
          : compileOutboundFault(s.fault, [...at, 'fault'], this.faultContext());
      if (!status) return [];
      return [
        {
          kind: 'statusReport',
          afterMs:
            s.beforeAnswer === true
              ? 0
              : this.ms(s.after, this.statusReportDelayMs, [...at, 'after']),
          status,
          ...(s.errorCode !== undefined && { errorCode: s.errorCode }),
          ...(s.dischargeTime !== undefined && { dischargeTime: s.dischargeTime }),
          ...(s.target !== undefined && { target: s.target }),
          ...(s.beforeAnswer === true && { beforeAnswer: true }),
          ...(s.duplicate === true && { duplicate: true }),
          ...(fault !== undefined && { fault }),
        },
      ];
    }
    if (doc.deliver !== undefined) {
      return [this.deliver(doc.deliver, [...path, 'deliver'], TEMPLATE_NAMES)];
    }
    return [
      {
        kind: 'disconnect',
        afterMs: this.ms(doc.disconnect?.after, 0, [...path, 'disconnect', 'after']),
      },
    ];
  }

  private status(doc: StatusDoc, path: DocPath): StatusChoice | undefined {
    const byName = (name: string, at: DocPath, atKey: boolean): number | undefined => {
      const code = /^\d$/.test(name) ? Number(name) : statusByName(name);
      if (code === undefined) {
        this.issues.push(
          this.source.issue(
            at,
            `unknown status ${q(name)}${suggestion(name, STATUS_NAME_LIST) || ` (known: ${STATUS_NAME_LIST.join(', ')})`}`,
            atKey ? { at: 'key', prefix: path } : {},
          ),
        );
      }
      return code;
    };
    if (typeof doc === 'number') return { kind: 'fixed', status: doc };
    if (typeof doc === 'string') {
      const code = byName(doc, path, false);
      return code === undefined ? undefined : { kind: 'fixed', status: code };
    }
    const options: { status: number; weight: number }[] = [];
    let bad = false;
    for (const [name, weight] of Object.entries(doc)) {
      const code = byName(name, [...path, name], true);
      if (code === undefined) bad = true;
      else options.push({ status: code, weight });
    }
    if (bad) return undefined;
    if (!options.some((o) => o.weight > 0)) {
      this.fail(path, 'at least one weight must be above 0');
      return undefined;
    }
    return { kind: 'weighted', options };
  }

  private deliverFault(doc: DeliverDoc, path: DocPath): { fault?: OutboundFault } {
    if (doc.fault === undefined) return {};
    const fault = compileOutboundFault(doc.fault, [...path, 'fault'], this.faultContext());
    return fault === undefined ? {} : { fault };
  }

  private deliver(
    doc: DeliverDoc,
    path: DocPath,
    templates: readonly string[],
  ): Extract<Afterward, { kind: 'deliver' }> {
    if ((doc.text === undefined) === (doc.hex === undefined)) {
      this.fail(
        path,
        doc.text === undefined ? 'needs text or hex' : 'has both text and hex: give one',
      );
    }
    for (const key of ['from', 'to', 'text'] as const) {
      const value = doc[key];
      if (value === undefined) continue;
      for (const m of value.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
        const name = m[1] ?? '';
        if (!templates.includes(name)) {
          this.fail(
            [...path, key],
            `unknown template {{${name}}}${suggestion(name, templates) || ''} (known here: ${templates.map((t) => `{{${t}}}`).join(', ')})`,
          );
        }
      }
    }
    return {
      kind: 'deliver',
      afterMs: this.ms(doc.after, 0, [...path, 'after']),
      from: doc.from,
      to: doc.to,
      ...(doc.text !== undefined && { text: doc.text }),
      ...(doc.hex !== undefined && { hex: doc.hex.toUpperCase() }),
      ...(doc.encoding !== undefined && { encoding: doc.encoding }),
      ...(doc.udh !== undefined && { udh: doc.udh.toUpperCase() }),
      ...(doc.target !== undefined && { target: doc.target }),
      ...(doc.duplicate === true && { duplicate: true }),
      ...this.deliverFault(doc, path),
    };
  }
}

/**
 * Compiles a schema-valid document. Returns the scenario only when there are no issues; issues
 * are located in `source`.
 */
export function compileScenario(
  source: ScenarioSource,
  doc: ScenarioDocument,
): { readonly scenario?: CompiledScenario; readonly issues: readonly ScenarioIssue[] } {
  const compiler = new Compiler(source);
  const scenario = compiler.compile(doc);
  return compiler.issues.length === 0 ? { scenario, issues: [] } : { issues: compiler.issues };
}
