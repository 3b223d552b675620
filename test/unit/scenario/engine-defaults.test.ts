import { expect } from 'chai';
import { RuleEngine } from '../../../src/scenario/index.js';
import { request, scenario, submit } from './helpers.js';

const empty = (): RuleEngine => new RuleEngine(scenario('rules: []'));

describe('RuleEngine built-in default: login', () => {
  it('accepts every login when the scenario has no accounts', () => {
    const d = empty().decide(request('login', { user: 'anyone', password: 'x' }));
    expect(d.steps).to.deep.equal([{ kind: 'respond' }]);
    expect(d.ruleId).to.equal(null);
  });

  describe('with accounts', () => {
    const engine = (): RuleEngine =>
      new RuleEngine(
        scenario(`
accounts:
  - { user: shop, password: secret, maxSessions: 2 }
  - { user: free, password: pw }
`),
      );

    it('accepts a listed user with the right password', () => {
      const d = engine().decide(request('login', { user: 'shop', password: 'secret' }));
      expect(d.steps).to.deep.equal([{ kind: 'respond' }]);
    });

    it('answers error 100 to an unknown user', () => {
      const d = engine().decide(request('login', { user: 'bob', password: 'secret' }));
      expect(d.steps).to.deep.equal([{ kind: 'error', code: 100 }]);
      expect(d.explanation).to.include('unknown user "bob"');
    });

    it('answers error 100 to a wrong password', () => {
      const d = engine().decide(request('login', { user: 'shop', password: 'guess' }));
      expect(d.steps).to.deep.equal([{ kind: 'error', code: 100 }]);
      expect(d.explanation).to.include('wrong password');
    });

    it('answers error 100 to a login without a password', () => {
      const d = engine().decide(request('login', { user: 'shop' }));
      expect(d.steps).to.deep.equal([{ kind: 'error', code: 100 }]);
    });

    it('answers error 102 once maxSessions other sessions of the user are logged in', () => {
      const e = engine();
      const creds = { user: 'shop', password: 'secret' };
      expect(e.decide(request('login', creds, { userSessions: 1 })).steps[0]!.kind).to.equal(
        'respond',
      );
      expect(e.decide(request('login', creds, { userSessions: 2 })).steps).to.deep.equal([
        { kind: 'error', code: 102 },
      ]);
    });

    it('does not limit sessions of an account without maxSessions', () => {
      const d = engine().decide(
        request('login', { user: 'free', password: 'pw' }, { userSessions: 50 }),
      );
      expect(d.steps).to.deep.equal([{ kind: 'respond' }]);
    });

    it('lets a rule that matches a login win over the accounts', () => {
      const e = new RuleEngine(
        scenario(`
accounts: [ { user: shop, password: secret } ]
rules:
  - { id: backdoor, when: { op: login, user: admin }, then: [ { respond: {} } ] }
`),
      );
      const d = e.decide(request('login', { user: 'admin', password: 'none' }));
      expect(d.ruleId).to.equal('backdoor');
      expect(d.steps).to.deep.equal([{ kind: 'respond' }]);
    });
  });
});

describe('RuleEngine built-in default: submit and 056 status reports', () => {
  it('accepts a submit without a report when 056 is absent', () => {
    const d = empty().decide(submit('+1'));
    expect(d.steps).to.deep.equal([{ kind: 'respond' }]);
    expect(d.afterwards).to.deep.equal([]);
  });

  it("sends a delivered report after statusReportDelay when 056 asks for it (Kannel's 14)", () => {
    const engine = new RuleEngine(scenario('server: { statusReportDelay: 250ms }'));
    const d = engine.decide(submit('+1', { statusReportRequest: 14 }));
    expect(d.afterwards).to.deep.equal([{ kind: 'statusReport', afterMs: 250, status: 4 }]);
  });

  it('uses 100 ms when the scenario sets no statusReportDelay', () => {
    const d = empty().decide(submit('+1', { statusReportRequest: 8 }));
    expect(d.afterwards).to.deep.equal([{ kind: 'statusReport', afterMs: 100, status: 4 }]);
  });

  it('sends no report when 056 asks only for failures (bits 1, 2, 4, 16, 32)', () => {
    for (const bits of [0, 1, 2, 4, 16, 32, 55]) {
      expect(empty().decide(submit('+1', { statusReportRequest: bits })).afterwards, `056:${bits}`)
        .to.be.empty;
    }
  });

  it('adds the 056-driven report to a rule that accepts a submit without its own statusReport', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - id: ok
    when: { op: submit }
    then: [ { delay: 1s }, { respond: {} } ]
    afterwards: [ { deliver: { from: "1", to: "2", text: hi } } ]
`),
    );
    const d = engine.decide(submit('+1', { statusReportRequest: 14 }));
    expect(d.afterwards).to.deep.equal([
      { kind: 'deliver', afterMs: 0, from: '1', to: '2', text: 'hi' },
      { kind: 'statusReport', afterMs: 100, status: 4 },
    ]);
  });

  it('replaces the default report with the explicit ones, whatever 056 says', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - id: fail
    when: { op: submit }
    then: [ { respond: {} } ]
    afterwards: [ { statusReport: { after: 2s, status: failed } } ]
`),
    );
    expect(engine.decide(submit('+1', { statusReportRequest: 14 })).afterwards).to.deep.equal([
      { kind: 'statusReport', afterMs: 2000, status: 3 },
    ]);
    expect(engine.decide(submit('+1', { statusReportRequest: 0 })).afterwards).to.deep.equal([
      { kind: 'statusReport', afterMs: 2000, status: 3 },
    ]);
  });

  it('adds no report to a rule that does not accept the submit', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: e, when: { op: submit, destination: "+1" }, then: [ { error: { code: 300 } } ] }
  - { id: d, when: { op: submit, destination: "+2" }, then: [ { drop: {} } ] }
`),
    );
    expect(engine.decide(submit('+1', { statusReportRequest: 14 })).afterwards).to.be.empty;
    expect(engine.decide(submit('+2', { statusReportRequest: 14 })).afterwards).to.be.empty;
  });
});

describe('RuleEngine built-in default: other operations', () => {
  it('accepts alive, logout, cancel and set', () => {
    for (const op of ['alive', 'logout', 'cancel', 'set']) {
      expect(empty().decide(request(op)).steps, op).to.deep.equal([{ kind: 'respond' }]);
    }
  });

  it('leaves an enquire to the server (a plain respond: the server answers from its message store)', () => {
    const d = empty().decide(
      request('enquire', { destination: '+358401234567' }, { params: [[60, '240601120000']] }),
    );
    expect(d.steps).to.deep.equal([{ kind: 'respond' }]);
    expect(d.explanation).to.match(/status the mock last reported/);
  });

  it('answers a delivery request in mode 0 with message count 0', () => {
    const d = empty().decide(request('delivery-request', {}, { params: [[68, '0']] }));
    expect(d.steps).to.deep.equal([{ kind: 'respond', params: [{ code: 66, value: '0' }] }]);
    const d1 = empty().decide(request('delivery-request', {}, { params: [[68, '1']] }));
    expect(d1.steps).to.deep.equal([{ kind: 'respond' }]);
  });

  it('answers get 501 with the MC time in UTC, or in server.timezone', () => {
    const now = Date.UTC(2024, 0, 15, 10, 20, 30);
    const ctx = request('get', {}, { params: [[500, '501']], now });
    expect(empty().decide(ctx).steps).to.deep.equal([
      { kind: 'respond', params: [{ code: 501, value: '240115102030' }] },
    ]);
    const helsinki = new RuleEngine(scenario('server: { timezone: Europe/Helsinki }'));
    expect(helsinki.decide(ctx).steps).to.deep.equal([
      { kind: 'respond', params: [{ code: 501, value: '240115122030' }] },
    ]);
  });

  it('answers get of any other item with error 900', () => {
    const d = empty().decide(request('get', {}, { params: [[500, '777']] }));
    expect(d.steps).to.deep.equal([{ kind: 'error', code: 900 }]);
  });

  it('answers a deliver sent by the client with general error 1', () => {
    expect(empty().decide(request('deliver')).steps).to.deep.equal([
      { kind: 'generalError', code: 1 },
    ]);
  });

  it('drops responses from the client without recording them as unmatched', () => {
    for (const op of ['deliver-response', 'status-report-response', 'alive-response']) {
      const d = empty().decide(request(op));
      expect(d.steps, op).to.deep.equal([{ kind: 'drop' }]);
      expect(d.unmatched, op).to.equal(undefined);
    }
  });

  it('lets a rule answer a response op', () => {
    const engine = new RuleEngine(
      scenario(`
rules:
  - { id: hang-up, when: { op: deliver-response }, then: [ { disconnect: {} } ] }
`),
    );
    expect(engine.decide(request('deliver-response')).steps).to.deep.equal([
      { kind: 'disconnect' },
    ]);
  });
});
