/**
 * Scenarios in plain words, for `cimd2-mock explain` and logs.
 */
import { explainAfterward, explainDeliver, explainStep } from './actions.js';
import type { CompiledRule, CompiledScenario, ScheduledItem } from './compiled.js';
import { formatDuration } from './durations.js';
import { explainConnectionFaults, outboundFaultWords } from './fault-steps.js';

const q = (s: string): string => JSON.stringify(s);

/** One rule in plain words: conditions, answer, side effects, limits and state changes. */
export function explainRule(rule: CompiledRule): string {
  const conditions = [
    ...(rule.whenState ? [`in state ${rule.whenState.map(q).join(' or ')}`] : []),
    ...rule.matchers.map((m) => m.explain()),
  ];
  let s = `${rule.id}: `;
  s += conditions.length > 0 ? `when ${conditions.join(' and ')}` : 'for every request';
  s += `, ${rule.steps.map(explainStep).join(', then ')}`;
  if (rule.afterwards.length > 0)
    s += `; afterwards ${rule.afterwards.map(explainAfterward).join('; ')}`;
  if (rule.setState !== undefined) s += `; then the state becomes ${q(rule.setState)}`;
  if (rule.times !== undefined)
    s += ` (${rule.times === 1 ? 'once' : `${rule.times} times`}, then used up)`;
  if (rule.priority !== 0) s += ` [priority ${rule.priority}]`;
  if (rule.description !== undefined) s += ` — ${rule.description}`;
  return s;
}

function explainScheduled(item: ScheduledItem): string {
  const who = item.user !== undefined ? `${q(item.user)}'s` : 'the';
  const when = `${formatDuration(item.afterMs)} after ${item.user !== undefined ? `${q(item.user)} first logs in` : 'the first login'}`;
  const what =
    item.action.kind === 'deliver'
      ? `${explainDeliver(item.action)}${outboundFaultWords(item.action)} to ${who} oldest session`
      : item.action.kind === 'faults'
        ? explainConnectionFaults(item.action.faults)
        : `close ${who} oldest session`;
  return `schedule: ${when}, ${what}`;
}

/**
 * The scenario in plain words: one line per rule (file order), one per schedule item, then a
 * line saying what happens to requests no rule answers.
 */
export function explainScenario(scenario: CompiledScenario): string[] {
  const lines = scenario.rules.map(explainRule);
  if (scenario.server.faults !== undefined)
    lines.unshift(`server: ${explainConnectionFaults(scenario.server.faults)}`);
  lines.push(...scenario.schedule.map(explainScheduled));
  const login = scenario.accounts
    ? `logins of the ${scenario.accounts.length} listed account(s) are accepted (others get error 100, extra sessions 102)`
    : 'logins are accepted';
  lines.push(
    `otherwise: ${login}, submits are accepted with a status report after ${formatDuration(scenario.server.statusReportDelayMs)} when 056 asks for one (recorded as unmatched), and other requests get the protocol's answer`,
  );
  return lines;
}
