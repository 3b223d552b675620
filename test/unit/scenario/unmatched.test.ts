import { expect } from 'chai';
import { RuleEngine } from '../../../src/scenario/index.js';
import { request, scenario, submit } from './helpers.js';

describe('unmatched explanations', () => {
  it('names each near rule with the condition that failed and the value seen', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: unknown-number, when: { op: submit, destination: { prefix: "+99" } }, then: [ { error: { code: 300 } } ] }
`),
    );
    expect(engine.decide(submit('+358401234567')).unmatched).to.equal(
      'no rule matched submit; rule "unknown-number": destination "+358401234567" does not start with "+99"',
    );
  });

  it('lists every failing condition of a rule', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: r, when: { op: submit, destination: "+1", text: { glob: "A*" }, dcs: 8 }, then: [ { drop: {} } ] }
`),
    );
    expect(engine.decide(submit('+2', { text: 'hello', dcs: 0 })).unmatched).to.equal(
      'no rule matched submit; rule "r": destination "+2" is not "+1", text "hello" does not match glob "A*", dcs 0 is not 8',
    );
  });

  it('reports absent values', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: r, when: { op: submit, udh: { prefix: "05" } }, then: [ { drop: {} } ] }
`),
    );
    expect(engine.decide(submit('+1')).unmatched).to.include('rule "r": udh is absent');
  });

  it('reports a state mismatch', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: outage, whenState: down, when: { op: submit }, then: [ { drop: {} } ] }
`),
    );
    expect(engine.decide(submit('+1')).unmatched).to.include(
      'rule "outage": state is "started", rule needs "down"',
    );
  });

  it('leaves out rules for other operations and keeps the three nearest, fewest failures first', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: login-rule, when: { op: login, user: x }, then: [ { drop: {} } ] }
  - { id: two-off, when: { op: submit, destination: "+9", text: nope }, then: [ { drop: {} } ] }
  - { id: one-off-a, when: { op: submit, destination: "+8" }, then: [ { drop: {} } ] }
  - { id: three-off, when: { op: submit, destination: "+7", text: no, dcs: 4 }, then: [ { drop: {} } ] }
  - { id: one-off-b, when: { op: submit, text: bye }, then: [ { drop: {} } ] }
`),
    );
    const u = engine.decide(submit('+1', { text: 'hello', dcs: 0 })).unmatched ?? '';
    const named = [...u.matchAll(/rule "([^"]+)"/g)].map((m) => m[1]);
    expect(named).to.deep.equal(['one-off-a', 'one-off-b', 'two-off']);
  });

  it('says when no rule handles the operation at all', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: s, when: { op: submit }, then: [ { respond: {} } ] }
`),
    );
    expect(engine.decide(request('alive')).unmatched).to.equal('no rule for alive');
  });

  it('says when the scenario has no rules', () => {
    const engine = new RuleEngine(scenario('rules: []'));
    expect(engine.decide(request('alive')).unmatched).to.equal(
      'no rule for alive: the scenario has no rules',
    );
  });

  it('is absent when a rule answers, whose explanation gives the reasons', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: r, times: 3, when: { op: submit, destination: { prefix: "+99" } }, then: [ { delay: 1s }, { error: { code: 300 } } ] }
`),
    );
    const d = engine.decide(submit('+991'));
    expect(d.unmatched).to.equal(undefined);
    expect(d.explanation).to.equal(
      'rule "r" (use 1 of 3): op "submit" is "submit", destination "+991" starts with "+99" → wait 1s, then answer error 300 (Incorrect destination address)',
    );
  });
});
