import { expect } from 'chai';
import { RuleEngine } from '../../../src/scenario/index.js';
import { request, scenario, submit } from './helpers.js';

const OUTAGE = `
rules:
  - { id: outage, times: 3, whenState: down, when: { op: submit }, then: [ { generalError: { code: 6 } } ] }
  - { id: recover, whenState: down, setState: started, when: { op: submit }, then: [ { respond: {} } ] }
  - { id: trigger, setState: down, when: { op: submit, destination: "+0" }, then: [ { respond: {} } ] }
`;

describe('RuleEngine.use: a reload keeps what still applies', () => {
  it('keeps the current state when the new scenario still names it in a whenState', () => {
    const engine = new RuleEngine(scenario(OUTAGE));
    engine.decide(submit('+0'));
    expect(engine.state).to.equal('down');
    engine.use(
      scenario(`
rules:
  - { id: still-down, whenState: down, when: { op: submit }, then: [ { drop: {} } ] }
`),
    );
    expect(engine.state).to.equal('down');
    expect(engine.decide(submit('+1')).ruleId).to.equal('still-down');
  });

  it('keeps the current state when the new scenario only names it in a setState', () => {
    const engine = new RuleEngine(scenario(OUTAGE));
    engine.decide(submit('+0'));
    engine.use(
      scenario(`
rules:
  - { id: go-down, setState: down, when: { op: alive }, then: [ { respond: {} } ] }
`),
    );
    expect(engine.state).to.equal('down');
  });

  it('goes back to "started" when the new scenario no longer names the state', () => {
    const engine = new RuleEngine(scenario(OUTAGE));
    engine.decide(submit('+0'));
    engine.use(
      scenario(`
rules:
  - { id: other, whenState: degraded, when: { op: submit }, then: [ { drop: {} } ] }
`),
    );
    expect(engine.state).to.equal('started');
  });

  it('keeps the use counter of a rule whose id and times are unchanged', () => {
    const engine = new RuleEngine(scenario(OUTAGE));
    engine.decide(submit('+0'));
    expect(engine.decide(submit('+1')).ruleId).to.equal('outage');
    expect(engine.decide(submit('+1')).ruleId).to.equal('outage');
    // Same rules, different answers: the counter of "outage" (2 of 3) carries over.
    engine.use(scenario(OUTAGE.replace('code: 6', 'code: 7')));
    const third = engine.decide(submit('+1'));
    expect(third.ruleId).to.equal('outage');
    expect(third.explanation).to.include('(use 3 of 3)');
    expect(third.steps).to.deep.equal([{ kind: 'generalError', code: 7 }]);
    expect(engine.decide(submit('+1')).ruleId).to.equal('recover');
    expect(engine.state).to.equal('started');
  });

  it('restarts the counter of a rule whose times changed', () => {
    const engine = new RuleEngine(scenario(OUTAGE));
    engine.decide(submit('+0'));
    engine.decide(submit('+1'));
    engine.decide(submit('+1'));
    engine.use(scenario(OUTAGE.replace('times: 3', 'times: 2')));
    expect(engine.ruleStats().find((r) => r.id === 'outage')).to.deep.equal({
      id: 'outage',
      uses: 0,
      times: 2,
    });
    expect([1, 2, 3].map(() => engine.decide(submit('+1')).ruleId)).to.deep.equal([
      'outage',
      'outage',
      'recover',
    ]);
  });

  it('restarts the counter of a renamed rule and matches counters by id, not position', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: a, times: 2, when: { op: submit }, then: [ { error: { code: 10 } } ] }
  - { id: b, times: 2, when: { op: alive }, then: [ { respond: {} } ] }
`),
    );
    engine.decide(submit('+1'));
    engine.decide(request('alive'));
    engine.decide(request('alive'));
    engine.use(
      scenario(`
rules:
  - { id: b, times: 2, when: { op: alive }, then: [ { respond: {} } ] }
  - { id: a2, times: 2, when: { op: submit }, then: [ { error: { code: 10 } } ] }
`),
    );
    expect(engine.ruleStats()).to.deep.equal([
      { id: 'b', uses: 2, times: 2 },
      { id: 'a2', uses: 0, times: 2 },
    ]);
  });

  it('still restores the initial state and every counter on reset()', () => {
    const engine = new RuleEngine(scenario(OUTAGE));
    engine.decide(submit('+0'));
    engine.decide(submit('+1'));
    engine.use(scenario(OUTAGE));
    expect(engine.state).to.equal('down');
    engine.reset();
    expect(engine.state).to.equal('started');
    expect(engine.ruleStats().map((r) => r.uses)).to.deep.equal([0, 0, 0]);
  });
});

describe('RuleEngine.ruleUsage: answers by rule id over the whole run', () => {
  it('lists the rules in first-use order with their answers', () => {
    const engine = new RuleEngine(scenario(OUTAGE));
    expect(engine.ruleUsage()).to.deep.equal([]);
    engine.decide(submit('+0'));
    engine.decide(submit('+1'));
    engine.decide(submit('+1'));
    expect(engine.ruleUsage()).to.deep.equal([
      { id: 'trigger', uses: 1 },
      { id: 'outage', uses: 2 },
    ]);
  });

  it('keeps counting across reloads and resets, including rules the new scenario dropped', () => {
    const engine = new RuleEngine(scenario(OUTAGE));
    engine.decide(submit('+0'));
    engine.use(
      scenario(`
rules:
  - { id: accept, when: { op: submit }, then: [ { respond: {} } ] }
`),
    );
    engine.decide(submit('+1'));
    engine.reset();
    engine.decide(submit('+1'));
    engine.use(scenario(OUTAGE));
    engine.decide(submit('+0'));
    expect(engine.ruleUsage()).to.deep.equal([
      { id: 'trigger', uses: 2 },
      { id: 'accept', uses: 2 },
    ]);
    // The per-scenario statistics start from the reload.
    expect(engine.ruleStats().find((r) => r.id === 'trigger')?.uses).to.equal(1);
  });

  it('does not count built-in answers', () => {
    const engine = new RuleEngine(scenario('rules: []'));
    engine.decide(submit('+1'));
    engine.decide(request('alive'));
    expect(engine.ruleUsage()).to.deep.equal([]);
  });
});
