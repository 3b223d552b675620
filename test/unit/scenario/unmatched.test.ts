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

  it('says when no rule handles submits at all', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: a, when: { op: alive }, then: [ { respond: {} } ] }
`),
    );
    expect(engine.decide(submit('+1')).unmatched).to.equal('no rule for submit');
  });

  it('says when the scenario has no rules', () => {
    const engine = new RuleEngine(scenario('rules: []'));
    expect(engine.decide(submit('+1')).unmatched).to.equal(
      'no rule for submit: the scenario has no rules',
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

describe('unmatched means the scenario did not say', () => {
  const noRules = (): RuleEngine => new RuleEngine(scenario('rules: []'));

  it('is not set for requests the protocol answers, explained as built-in: protocol', () => {
    const engine = noRules();
    const cases: [string, ReturnType<typeof request>, string][] = [
      ['logout', request('logout'), 'built-in: protocol: logout accepted'],
      ['alive', request('alive'), 'built-in: protocol: alive accepted'],
      ['cancel', request('cancel'), 'built-in: protocol: cancel accepted'],
      ['set', request('set'), 'built-in: protocol: set accepted'],
      ['enquire', request('enquire'), 'built-in: protocol: enquire answered with the status'],
      [
        'delivery-request',
        request('delivery-request', {}, { params: [[68, '0']] }),
        'built-in: protocol: no messages waiting',
      ],
      ['get', request('get', {}, { params: [[500, '501']] }), 'built-in: protocol: MC time'],
      ['deliver', request('deliver'), 'built-in: protocol: deliver is sent by the SMSC'],
      ['status-report', request('status-report'), 'built-in: protocol: status-report is sent'],
      ['response', request('deliver-response'), 'built-in: protocol: deliver-response needs no'],
      [
        'login',
        request('login', { user: 'u', password: 'p' }),
        'built-in: protocol: login accepted (no accounts)',
      ],
    ];
    for (const [name, ctx, explanation] of cases) {
      const d = engine.decide(ctx);
      expect(d.unmatched, name).to.equal(undefined);
      expect(d.explanation, name).to.match(new RegExp(`^${explanation.replace(/[()]/g, '\\$&')}`));
    }
  });

  it('is not set for a login the accounts accept or refuse, explained as accounts', () => {
    const engine = new RuleEngine(
      scenario(`
accounts: [ { user: shop, password: secret, maxSessions: 1 } ]
rules:
  - { id: locked, when: { op: login, user: locked }, then: [ { error: { code: 103 } } ] }
`),
    );
    const ok = engine.decide(request('login', { user: 'shop', password: 'secret' }));
    const wrong = engine.decide(request('login', { user: 'shop', password: 'guess' }));
    const busy = engine.decide(
      request('login', { user: 'shop', password: 'secret' }, { userSessions: 1 }),
    );
    expect([ok, wrong, busy].map((d) => d.unmatched)).to.deep.equal([
      undefined,
      undefined,
      undefined,
    ]);
    expect(ok.explanation).to.equal('accounts: login of "shop" accepted');
    expect(wrong.explanation).to.equal(
      'accounts: wrong password for "shop": error 100 (Invalid login)',
    );
    expect(busy.explanation).to.match(/^accounts: "shop" already has 1 of 1 sessions: error 102/);
  });

  it('is set for a submit no rule answered, even when no rule names submit', () => {
    const d = noRules().decide(submit('+1'));
    expect(d.explanation).to.equal('built-in default: submit accepted');
    expect(d.unmatched).to.equal('no rule for submit: the scenario has no rules');
  });

  it('is set for an operation a rule names in when.op when none matched, with the near misses', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: slow-alive, whenState: down, when: { op: alive }, then: [ { delay: 1s }, { respond: {} } ] }
  - { id: refuse-guest, when: { op: { in: [login, set] }, user: guest }, then: [ { error: { code: 100 } } ] }
`),
    );
    const alive = engine.decide(request('alive'));
    expect(alive.steps).to.deep.equal([{ kind: 'respond' }]);
    expect(alive.explanation).to.equal('built-in default: alive accepted');
    expect(alive.unmatched).to.equal(
      'no rule matched alive; rule "slow-alive": state is "started", rule needs "down"',
    );
    const login = engine.decide(request('login', { user: 'app', password: 'x' }));
    expect(login.unmatched).to.equal(
      'no rule matched login; rule "refuse-guest": user "app" is not "guest"',
    );
    expect(engine.decide(request('set', { user: 'app' })).unmatched).to.be.a('string');
    // logout is named by no rule: the protocol answers it.
    expect(engine.decide(request('logout')).unmatched).to.equal(undefined);
  });

  it('does not count an op matched only by a pattern or under not as named', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: not-submit, when: { op: { not: submit }, user: nobody }, then: [ { drop: {} } ] }
  - { id: any-get, when: { op: { glob: "g*" }, user: nobody }, then: [ { drop: {} } ] }
`),
    );
    expect(engine.decide(request('alive')).unmatched).to.equal(undefined);
    expect(engine.decide(request('get', {}, { params: [[500, '501']] })).unmatched).to.equal(
      undefined,
    );
  });

  it('is never set for a response, even when a rule names its op', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: hang-up, when: { op: deliver-response, user: x }, then: [ { disconnect: {} } ] }
`),
    );
    const d = engine.decide(request('deliver-response', { user: 'y' }));
    expect(d.steps).to.deep.equal([{ kind: 'drop' }]);
    expect(d.unmatched).to.equal(undefined);
  });
});
