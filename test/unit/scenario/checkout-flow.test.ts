import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { loadScenarioText, RuleEngine } from '../../../src/scenario/index.js';
import type { CompiledScenario } from '../../../src/scenario/index.js';
import { request, submit } from './helpers.js';

const FILE = 'scenarios/checkout-flow.yaml';

describe('the checkout-flow example of the scenario issue', () => {
  let compiled: CompiledScenario;
  let engine: RuleEngine;

  before(() => {
    compiled = loadScenarioText(readFileSync(FILE, 'utf8'), FILE);
  });
  beforeEach(() => {
    engine = new RuleEngine(compiled, { seed: 1 });
  });

  it('compiles its server settings, accounts and schedule', () => {
    expect(compiled.name).to.equal('checkout-flow');
    expect(compiled.server).to.deep.equal({
      keepAliveMs: 60_000,
      throttle: 0,
      statusReportDelayMs: 100,
    });
    expect(compiled.accounts).to.deep.equal([{ user: 'shop', password: 'secret', maxSessions: 2 }]);
    expect(compiled.schedule).to.deep.equal([
      {
        afterMs: 5000,
        user: 'shop',
        action: {
          kind: 'deliver',
          afterMs: 5000,
          from: '+358409999999',
          to: '12345',
          text: 'Hello from the network: _ @ € ü',
        },
      },
    ]);
    expect(compiled.rules.map((r) => r.id)).to.deep.equal([
      'wrong-password',
      'outage',
      'unknown-number',
      'flaky-first-two',
      'pin-reply',
      'expire-slowly',
      'black-hole',
      'go-down',
    ]);
  });

  it('accepts shop with the right password (built-in login, accounts)', () => {
    const d = engine.decide(request('login', { user: 'shop', password: 'secret' }));
    expect(d.ruleId).to.equal(null);
    expect(d.steps).to.deep.equal([{ kind: 'respond' }]);
  });

  it('wrong-password: answers 100 to shop with another password', () => {
    const d = engine.decide(request('login', { user: 'shop', password: 'guess' }));
    expect(d.ruleId).to.equal('wrong-password');
    expect(d.steps).to.deep.equal([{ kind: 'error', code: 100 }]);
  });

  it('accounts: answers 100 to a user that is not listed', () => {
    const d = engine.decide(request('login', { user: 'mallory', password: 'secret' }));
    expect(d.steps).to.deep.equal([{ kind: 'error', code: 100 }]);
  });

  it('accounts: a 3rd concurrent session of shop gets 102', () => {
    const creds = { user: 'shop', password: 'secret' };
    expect(engine.decide(request('login', creds, { userSessions: 0 })).steps[0]!.kind).to.equal(
      'respond',
    );
    expect(engine.decide(request('login', creds, { userSessions: 1 })).steps[0]!.kind).to.equal(
      'respond',
    );
    expect(engine.decide(request('login', creds, { userSessions: 2 })).steps).to.deep.equal([
      { kind: 'error', code: 102 },
    ]);
  });

  it('unknown-number: waits 150 ms, then answers 300', () => {
    const d = engine.decide(submit('+99123456'));
    expect(d.ruleId).to.equal('unknown-number');
    expect(d.steps).to.deep.equal([
      { kind: 'delay', ms: 150 },
      { kind: 'error', code: 300 },
    ]);
    expect(d.afterwards).to.deep.equal([]);
  });

  it('flaky-first-two: answers 10 twice, then the rule is used up', () => {
    const decisions = [1, 2, 3].map(() =>
      engine.decide(submit('+358401111111', { statusReportRequest: 14 })),
    );
    expect(decisions[0]!.steps).to.deep.equal([
      { kind: 'error', code: 10, text: 'Temporary congestion' },
    ]);
    expect(decisions[1]!.steps).to.deep.equal([
      { kind: 'error', code: 10, text: 'Temporary congestion' },
    ]);
    expect(decisions[2]!.ruleId).to.equal(null);
    expect(decisions[2]!.steps).to.deep.equal([{ kind: 'respond' }]);
    expect(decisions[2]!.afterwards).to.deep.equal([
      { kind: 'statusReport', afterMs: 100, status: 4 },
    ]);
  });

  it('pin-reply: accepts, reports delivered after 1 s and replies after 2 s (templates unrendered)', () => {
    const d = engine.decide(
      submit('+358401234567', { originator: '12345', text: 'PIN 1234', statusReportRequest: 14 }),
    );
    expect(d.ruleId).to.equal('pin-reply');
    expect(d.steps).to.deep.equal([{ kind: 'respond' }]);
    expect(d.afterwards).to.deep.equal([
      { kind: 'statusReport', afterMs: 1000, status: 4 },
      {
        kind: 'deliver',
        afterMs: 2000,
        from: '{{destination}}',
        to: '{{originator}}',
        text: 'OK {{text}}',
      },
    ]);
  });

  it('pin-reply: does not take texts that only contain a PIN', () => {
    expect(engine.decide(submit('+358401234567', { text: 'My PIN 1234' })).ruleId).to.equal(null);
  });

  it('expire-slowly: reports in-process after 500 ms, then expired (29) after 3 s', () => {
    const d = engine.decide(submit('+447912345678', { statusReportRequest: 14 }));
    expect(d.ruleId).to.equal('expire-slowly');
    expect(d.afterwards).to.deep.equal([
      { kind: 'statusReport', afterMs: 500, status: 1 },
      { kind: 'statusReport', afterMs: 3000, status: 2, errorCode: 29 },
    ]);
  });

  it('black-hole: never answers +000', () => {
    const d = engine.decide(submit('+000'));
    expect(d.ruleId).to.equal('black-hole');
    expect(d.steps).to.deep.equal([{ kind: 'drop' }]);
  });

  it('answers other submits with the built-in default and explains the near misses', () => {
    const d = engine.decide(submit('+358401234567', { statusReportRequest: 14 }));
    expect(d.ruleId).to.equal(null);
    expect(d.steps).to.deep.equal([{ kind: 'respond' }]);
    expect(d.afterwards).to.deep.equal([{ kind: 'statusReport', afterMs: 100, status: 4 }]);
    expect(d.unmatched).to.include(
      'rule "unknown-number": destination "+358401234567" does not start with "+99"',
    );
    expect(d.unmatched).to.include(
      'rule "flaky-first-two": destination "+358401234567" is not "+358401111111"',
    );
  });

  it('go-down then outage: the state machine moves to down and every submit gets 98 code 6', () => {
    expect(engine.decide(submit('+358401234567')).ruleId).to.equal(null);
    const down = engine.decide(submit('+358400000000'));
    expect(down.ruleId).to.equal('go-down');
    expect(down.steps).to.deep.equal([{ kind: 'respond' }]);
    expect(engine.state).to.equal('down');
    const out = engine.decide(submit('+358401234567'));
    expect(out.ruleId).to.equal('outage');
    expect(out.steps).to.deep.equal([{ kind: 'generalError', code: 6 }]);
    // outage is the first submit rule, so while down it answers before every specific rule,
    expect(engine.decide(submit('+99123')).ruleId).to.equal('outage');
    expect(engine.decide(submit('+358401111111')).ruleId).to.equal('outage');
    expect(engine.decide(submit('+358401234567', { text: 'PIN 1234' })).ruleId).to.equal('outage');
    expect(engine.decide(submit('+000')).ruleId).to.equal('outage');
    // go-down's own number included.
    expect(engine.decide(submit('+358400000000')).ruleId).to.equal('outage');
    expect(engine.ruleStats().find((r) => r.id === 'flaky-first-two')?.uses).to.equal(0);
  });

  it('leaves non-submit traffic to the built-in defaults', () => {
    expect(engine.decide(request('alive')).steps).to.deep.equal([{ kind: 'respond' }]);
    expect(engine.decide(request('deliver-response')).steps).to.deep.equal([{ kind: 'drop' }]);
  });
});
