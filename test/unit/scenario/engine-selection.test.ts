import { expect } from 'chai';
import { RuleEngine } from '../../../src/scenario/index.js';
import { request, scenario, submit } from './helpers.js';

const ids = (engine: RuleEngine, n: number, dest = '+358401234567'): (string | null)[] =>
  Array.from({ length: n }, () => engine.decide(submit(dest)).ruleId);

describe('RuleEngine selection: priority (higher first, default 0)', () => {
  it('lets a higher-priority rule win over an earlier rule with the default priority', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: plain, when: { op: submit }, then: [ { respond: {} } ] }
  - { id: urgent, priority: 5, when: { op: submit }, then: [ { error: { code: 10 } } ] }
`),
    );
    expect(ids(engine, 2)).to.deep.equal(['urgent', 'urgent']);
  });

  it('lets a negative priority lose to the default priority even when it comes last', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: normal, when: { op: submit }, then: [ { respond: {} } ] }
  - { id: fallback, priority: -1, when: { op: submit }, then: [ { drop: {} } ] }
`),
    );
    expect(ids(engine, 1)).to.deep.equal(['normal']);
  });

  it('falls through to a lower priority once the higher rules are used up', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: low, when: { op: submit }, then: [ { respond: {} } ] }
  - { id: high, priority: 1, times: 2, when: { op: submit }, then: [ { error: { code: 10 } } ] }
`),
    );
    expect(ids(engine, 4)).to.deep.equal(['high', 'high', 'low', 'low']);
  });

  it('ignores a higher-priority rule that does not match', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: low, when: { op: submit }, then: [ { respond: {} } ] }
  - { id: high, priority: 9, when: { op: submit, destination: "+1" }, then: [ { drop: {} } ] }
`),
    );
    expect(ids(engine, 1)).to.deep.equal(['low']);
  });
});

describe('RuleEngine selection: the first matching rule with times left wins', () => {
  it('takes counted rules in file order, each for its number of times', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: first, times: 1, when: { op: submit }, then: [ { error: { code: 10 } } ] }
  - { id: second, times: 2, when: { op: submit }, then: [ { error: { code: 9 } } ] }
`),
    );
    expect(ids(engine, 3)).to.deep.equal(['first', 'second', 'second']);
  });

  it('takes an earlier rule without times over a later counted one: file order decides', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: always, when: { op: submit }, then: [ { respond: {} } ] }
  - { id: flaky, times: 2, when: { op: submit }, then: [ { error: { code: 10 } } ] }
`),
    );
    expect(ids(engine, 3)).to.deep.equal(['always', 'always', 'always']);
    expect(engine.unusedRules()).to.deep.equal(['flaky']);
  });

  it('counts only the requests a rule answered, not the ones it merely matched', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: first, times: 1, when: { op: submit }, then: [ { respond: {} } ] }
  - { id: second, times: 1, when: { op: submit }, then: [ { respond: {} } ] }
`),
    );
    engine.decide(submit('+1'));
    expect(engine.ruleStats()).to.deep.equal([
      { id: 'first', uses: 1, times: 1 },
      { id: 'second', uses: 0, times: 1 },
    ]);
  });

  it('does not use up a counted rule for requests it does not match', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: flaky, times: 1, when: { op: submit, destination: "+2" }, then: [ { error: { code: 10 } } ] }
`),
    );
    engine.decide(submit('+1'));
    expect(engine.decide(submit('+2')).ruleId).to.equal('flaky');
  });
});

describe('RuleEngine selection: the first matching rule that can still answer wins', () => {
  it('never lets a catch-all placed after a specific rule shadow it', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: specific, when: { op: submit, destination: { prefix: "+99" } }, then: [ { error: { code: 300 } } ] }
  - { id: catch-all, when: { op: submit }, then: [ { respond: {} } ] }
`),
    );
    expect(engine.decide(submit('+991')).ruleId).to.equal('specific');
    expect(engine.decide(submit('+358')).ruleId).to.equal('catch-all');
    expect(engine.decide(submit('+992')).ruleId).to.equal('specific');
  });

  it('lets a catch-all placed before a specific rule answer everything (file order)', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: catch-all, when: { op: submit }, then: [ { respond: {} } ] }
  - { id: specific, when: { op: submit, destination: { prefix: "+99" } }, then: [ { error: { code: 300 } } ] }
`),
    );
    expect(engine.decide(submit('+991')).ruleId).to.equal('catch-all');
  });

  it('still lets a higher priority win over file order', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: catch-all, when: { op: submit }, then: [ { respond: {} } ] }
  - { id: specific, priority: 1, when: { op: submit, destination: { prefix: "+99" } }, then: [ { error: { code: 300 } } ] }
`),
    );
    expect(engine.decide(submit('+991')).ruleId).to.equal('specific');
    expect(engine.decide(submit('+358')).ruleId).to.equal('catch-all');
  });

  it('falls through from a used-up counted rule to the next matching rule in file order', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: counted, times: 1, when: { op: submit }, then: [ { error: { code: 10 } } ] }
  - { id: next, when: { op: submit }, then: [ { drop: {} } ] }
  - { id: later, when: { op: submit }, then: [ { respond: {} } ] }
`),
    );
    expect(ids(engine, 3)).to.deep.equal(['counted', 'next', 'next']);
    expect(engine.unusedRules()).to.deep.equal(['later']);
  });

  it('skips a rule whose whenState is not current and takes the next matching one', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: while-down, whenState: down, when: { op: submit }, then: [ { generalError: { code: 6 } } ] }
  - { id: go-down, setState: down, when: { op: submit, destination: "+0" }, then: [ { respond: {} } ] }
  - { id: normal, when: { op: submit }, then: [ { respond: {} } ] }
`),
    );
    expect(ids(engine, 1)).to.deep.equal(['normal']);
    expect(engine.decide(submit('+0')).ruleId).to.equal('go-down');
    expect(ids(engine, 2)).to.deep.equal(['while-down', 'while-down']);
    expect(engine.decide(submit('+0')).ruleId).to.equal('while-down');
  });

  it('keeps answering with a rule without times, never using it up', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: only, when: { op: submit }, then: [ { respond: {} } ] }
`),
    );
    expect(ids(engine, 5)).to.deep.equal(['only', 'only', 'only', 'only', 'only']);
    expect(engine.ruleStats()).to.deep.equal([{ id: 'only', uses: 5 }]);
  });
});

describe('RuleEngine selection: the built-in default answers when no rule can', () => {
  it('answers with the default once every matching rule is used up', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: flaky, times: 2, when: { op: submit }, then: [ { error: { code: 10 } } ] }
`),
    );
    const decisions = [1, 2, 3].map(() => engine.decide(submit('+1')));
    expect(decisions.map((d) => d.ruleId)).to.deep.equal(['flaky', 'flaky', null]);
    expect(decisions[2]!.steps).to.deep.equal([{ kind: 'respond' }]);
    expect(decisions[2]!.unmatched).to.include(
      'rule "flaky": matches but is used up (2 of 2 times)',
    );
  });

  it('answers with the default when nothing matches, recording it as unmatched', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: other, when: { op: submit, destination: "+2" }, then: [ { drop: {} } ] }
`),
    );
    const d = engine.decide(submit('+1'));
    expect(d.ruleId).to.equal(null);
    expect(d.steps).to.deep.equal([{ kind: 'respond' }]);
    expect(d.explanation).to.match(/^built-in default: submit accepted/);
    expect(d.unmatched).to.be.a('string');
  });
});

describe('RuleEngine selection: whenState and setState', () => {
  const yaml = `
rules:
  - { id: down, whenState: down, when: { op: submit }, then: [ { generalError: { code: 6 } } ] }
  - { id: go-down, setState: down, when: { op: submit, destination: "+0" }, then: [ { respond: {} } ] }
  - { id: go-up, whenState: [down, degraded], setState: started, when: { op: alive }, then: [ { respond: {} } ] }
`;

  it('starts in the state "started"', () => {
    expect(new RuleEngine(scenario(yaml)).state).to.equal('started');
  });

  it('skips a whenState rule until a rule moves the state there', () => {
    const engine = new RuleEngine(scenario(yaml));
    expect(engine.decide(submit('+1')).ruleId).to.equal(null);
    expect(engine.decide(submit('+0')).ruleId).to.equal('go-down');
    expect(engine.state).to.equal('down');
    const d = engine.decide(submit('+1'));
    expect(d.ruleId).to.equal('down');
    expect(d.steps).to.deep.equal([{ kind: 'generalError', code: 6 }]);
  });

  it('matches any state of a whenState list, and setState moves back', () => {
    const engine = new RuleEngine(scenario(yaml));
    expect(engine.decide(request('alive')).ruleId).to.equal(null);
    engine.decide(submit('+0'));
    expect(engine.decide(request('alive')).ruleId).to.equal('go-up');
    expect(engine.state).to.equal('started');
  });

  it('says in the explanation how the state moved', () => {
    const engine = new RuleEngine(scenario(yaml));
    expect(engine.decide(submit('+0')).explanation).to.include('state "started" → "down"');
  });
});

describe('RuleEngine selection: reset, use and statistics', () => {
  const yaml = `
rules:
  - { id: once, times: 1, setState: used, when: { op: submit }, then: [ { error: { code: 10 } } ] }
  - { id: never, when: { op: cancel }, then: [ { respond: {} } ] }
`;

  it('restarts counters and state on reset()', () => {
    const engine = new RuleEngine(scenario(yaml));
    expect(engine.decide(submit('+1')).ruleId).to.equal('once');
    expect(engine.decide(submit('+1')).ruleId).to.equal(null);
    expect(engine.state).to.equal('used');
    engine.reset();
    expect(engine.state).to.equal('started');
    expect(engine.decide(submit('+1')).ruleId).to.equal('once');
  });

  it('swaps the scenario with use(), restarting counters and state', () => {
    const engine = new RuleEngine(scenario(yaml));
    engine.decide(submit('+1'));
    const next = scenario(`
rules:
  - { id: replacement, when: { op: submit }, then: [ { drop: {} } ] }
`);
    engine.use(next);
    expect(engine.scenario).to.equal(next);
    expect(engine.state).to.equal('started');
    expect(engine.decide(submit('+1')).ruleId).to.equal('replacement');
    expect(engine.ruleStats()).to.deep.equal([{ id: 'replacement', uses: 1 }]);
  });

  it('lists the rules that never answered', () => {
    const engine = new RuleEngine(scenario(yaml));
    expect(engine.unusedRules()).to.deep.equal(['once', 'never']);
    engine.decide(submit('+1'));
    expect(engine.unusedRules()).to.deep.equal(['never']);
  });

  it('names rules without an id rule-N by position', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { when: { op: alive }, then: [ { respond: {} } ] }
  - { when: { op: submit }, then: [ { respond: {} } ] }
`),
    );
    expect(engine.decide(submit('+1')).ruleId).to.equal('rule-2');
  });
});
