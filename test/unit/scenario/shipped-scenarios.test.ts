/**
 * The shipped scenarios behave as their comments say under first-match selection, and the
 * flows a client such as `cimd2-mock send` drives (login, submit, logout) leave nothing unmatched.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { loadScenarioText, RuleEngine } from '../../../src/scenario/index.js';
import type { RequestContext } from '../../../src/server/ports.js';
import { request, submit } from './helpers.js';

const engineFor = (name: string): RuleEngine => {
  const file = `scenarios/${name}.yaml`;
  return new RuleEngine(loadScenarioText(readFileSync(file, 'utf8'), file), { seed: 1 });
};

/** What `cimd2-mock send --user U --password P --to TO --text T` sends: login, submit, logout. */
const sendFlow = (user: string, password: string, to: string, text: string): RequestContext[] => [
  request('login', { user, password }),
  submit(to, { text, statusReportRequest: 14 }, { sessionUser: user }),
  request('logout', {}, { sessionUser: user }),
];

describe('shipped scenarios: a login, submit, logout flow leaves nothing unmatched', () => {
  const flows: [string, RequestContext[]][] = [
    ['default', sendFlow('shop', 'secret', '+358401234567', 'Hello @ €')],
    ['checkout-flow', sendFlow('shop', 'secret', '+447912345678', 'Hello')],
    ['checkout-flow', sendFlow('shop', 'secret', '+358401234567', 'PIN 1234')],
    ['submit-errors', sendFlow('app', 'pw', '+99123', 'Hello')],
    ['delivery-reports', sendFlow('app', 'pw', '+358401234567', 'Hello')],
    ['login-failures', sendFlow('app', 'secret', '+358401234567', 'x').slice(0, 1)],
    ['stateful-outage', sendFlow('app', 'pw', '+358400000000', 'x')],
    ['multipart', sendFlow('app', 'pw', '+358401234567', 'UNICODE')],
    ['throttling', sendFlow('app', 'pw', '+358401234567', 'Hello')],
  ];
  for (const [name, flow] of flows) {
    it(`${name}: ${flow.map((r) => r.opName).join(', ')} to ${flow[1]?.fields.destination ?? '-'}`, () => {
      const engine = engineFor(name);
      const decisions = flow.map((ctx) => engine.decide(ctx));
      expect(
        decisions.map((d) => d.unmatched),
        decisions.map((d) => d.explanation).join('\n'),
      ).to.deep.equal(flow.map(() => undefined));
      expect(decisions[0]!.steps).to.deep.equal([{ kind: 'respond' }]);
    });
  }

  it('checkout-flow: the accounts decide the login and the protocol the logout', () => {
    const [login, , logout] = sendFlow('shop', 'secret', '+447912345678', 'x').map((ctx) =>
      engineFor('checkout-flow').decide(ctx),
    );
    expect(login!.explanation).to.equal('accounts: login of "shop" accepted');
    expect(logout!.explanation).to.equal('built-in: protocol: logout accepted');
  });

  it('checkout-flow: a submit no rule answers is unmatched (the scenario did not say)', () => {
    const d = engineFor('checkout-flow').decide(submit('+358401234567'));
    expect(d.unmatched).to.match(/^no rule matched submit; /);
  });
});

describe('shipped scenarios behave as their comments say', () => {
  it('stateful-outage: the trigger takes the SMSC down, three submits fail, the fourth recovers', () => {
    const engine = engineFor('stateful-outage');
    const answers = (dest: string, n: number): (string | null)[] =>
      Array.from({ length: n }, () => engine.decide(submit(dest)).ruleId);
    expect(engine.decide(submit('+358400000000')).ruleId).to.equal('trigger-outage');
    expect(engine.state).to.equal('down');
    // Even the trigger number fails while down: outage comes first.
    expect([...answers('+358400000000', 1), ...answers('+1', 2)]).to.deep.equal([
      'outage',
      'outage',
      'outage',
    ]);
    expect(answers('+1', 1)).to.deep.equal(['recover']);
    expect(engine.state).to.equal('started');
    // A second outage recovers at once: the use count of outage is not reset by the state.
    expect(answers('+358400000000', 1)).to.deep.equal(['trigger-outage']);
    expect(answers('+1', 1)).to.deep.equal(['recover']);
    // reset() rearms it.
    engine.reset();
    expect([...answers('+358400000000', 1), ...answers('+1', 1)]).to.deep.equal([
      'trigger-outage',
      'outage',
    ]);
  });

  it('stateful-outage: keep-alives are slow while down and answered by a rule otherwise', () => {
    const engine = engineFor('stateful-outage');
    const normal = engine.decide(request('alive'));
    expect(normal.ruleId).to.equal('alive');
    expect(normal.steps).to.deep.equal([{ kind: 'respond' }]);
    engine.decide(submit('+358400000000'));
    const down = engine.decide(request('alive'));
    expect(down.ruleId).to.equal('alive-while-down');
    expect(down.steps[0]).to.deep.equal({ kind: 'delay', ms: 1000 });
  });

  it('multipart: more than 4 parts are refused, even a long reply request', () => {
    const engine = engineFor('multipart');
    const d = engine.decide(submit('+1', { text: 'LONG text', parts: 5, udh: '0500030A0501' }));
    expect(d.ruleId).to.equal('too-long');
    expect(d.steps).to.deep.equal([{ kind: 'error', code: 302, text: 'Message too long' }]);
  });

  it('multipart: a multipart LONG message gets the long reply, also with a 16-bit reference', () => {
    const engine = engineFor('multipart');
    const eight = engine.decide(submit('+1', { text: 'LONG a', parts: 2, udh: '0500030A0201' }));
    const sixteen = engine.decide(
      submit('+1', { text: 'LONG b', parts: 2, udh: '0608040A0B0201' }),
    );
    expect([eight.ruleId, sixteen.ruleId]).to.deep.equal(['long-reply', 'long-reply']);
    expect(sixteen.afterwards.map((a) => a.kind)).to.deep.equal(['deliver']);
    const plain16 = engine.decide(submit('+1', { text: 'part', parts: 2, udh: '0608040A0B0201' }));
    expect(plain16.ruleId).to.equal('16-bit-reference');
  });

  it('login-failures: rules for locked and flaky users, accounts for everyone else', () => {
    const engine = engineFor('login-failures');
    const login = (user: string, password = 'secret'): string =>
      engine.decide(request('login', { user, password })).explanation;
    expect(login('locked')).to.match(/^rule "locked-account"/);
    expect(login('flaky')).to.match(/^rule "flaky-first-login" \(use 1 of 1\)/);
    expect(login('flaky')).to.equal('accounts: login of "flaky" accepted');
    expect(login('app', 'wrong')).to.match(/^accounts: wrong password for "app"/);
    expect(login('guest')).to.match(/^rule "hang-up-on-guest"/);
  });

  it('submit-errors: the first matching rule answers, later ones do not override it', () => {
    const engine = engineFor('submit-errors');
    // Both bad-destination and bad-user-data match: bad-destination comes first.
    expect(engine.decide(submit('+99123', { text: 'malformed' })).ruleId).to.equal(
      'bad-destination',
    );
    expect(engine.decide(submit('+358401234567', { text: 'malformed' })).ruleId).to.equal(
      'bad-user-data',
    );
  });
});

describe('throttling.yaml: the catch-all comes last and never shadows the limits', () => {
  it('accepts submits until the 11th within a second in one session gets 10', () => {
    const engine = engineFor('throttling');
    const now = Date.UTC(2024, 5, 1, 12, 0, 0);
    const ids = Array.from(
      { length: 12 },
      (_, i) => engine.decide(submit('+1', {}, { now: now + i })).ruleId,
    );
    expect(ids.slice(0, 10)).to.deep.equal(Array.from({ length: 10 }, () => 'accept'));
    expect(ids.slice(10)).to.deep.equal(['per-session-limit', 'per-session-limit']);
  });
});
