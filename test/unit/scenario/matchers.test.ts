import { expect } from 'chai';
import { RuleEngine } from '../../../src/scenario/index.js';
import { compileNumberMatch, compileStringMatch } from '../../../src/scenario/matchers.js';
import type { RequestContext } from '../../../src/server/ports.js';
import { request, scenario, submit } from './helpers.js';

/** True when a one-rule scenario with this `when` block answers `ctx` with its rule. */
function hits(when: string, ctx: RequestContext): boolean {
  const engine = new RuleEngine(
    scenario(`rules:\n  - { id: r, when: ${when}, then: [ { drop: {} } ] }\n`),
  );
  return engine.decide(ctx).ruleId === 'r';
}

describe('compileStringMatch', () => {
  it('matches a plain string exactly', () => {
    const t = compileStringMatch('+358');
    expect([t.test('+358'), t.test('+3584'), t.test('358')]).to.deep.equal([true, false, false]);
    expect(t.describe()).to.equal('is "+358"');
    expect(t.describeNot()).to.equal('is not "+358"');
  });

  it('matches prefix and suffix', () => {
    const p = compileStringMatch({ prefix: '+99' });
    const s = compileStringMatch({ suffix: '00' });
    expect([p.test('+991'), p.test('+199')]).to.deep.equal([true, false]);
    expect([s.test('+100'), s.test('+001')]).to.deep.equal([true, false]);
    expect(p.describeNot()).to.equal('does not start with "+99"');
    expect(s.describe()).to.equal('ends with "00"');
  });

  it('matches a regex anywhere unless anchored, with Unicode semantics', () => {
    const r = compileStringMatch({ regex: '^PIN \\d{4}$' });
    expect([r.test('PIN 1234'), r.test('PIN 12345'), r.test('my PIN 1234')]).to.deep.equal([
      true,
      false,
      false,
    ]);
    const u = compileStringMatch({ regex: '^.$' });
    expect(u.test('😀')).to.equal(true);
    expect(compileStringMatch({ regex: 'b' }).test('abc')).to.equal(true);
  });

  it('matches a glob against the whole value (* any run, ? one character)', () => {
    const g = compileStringMatch({ glob: '+358*1?' });
    expect([
      g.test('+35840123'),
      g.test('+358401'),
      g.test('+35841x'),
      g.test('x+35812'),
    ]).to.deep.equal([false, false, true, false]);
    expect(compileStringMatch({ glob: 'a.c' }).test('abc')).to.equal(false);
    expect(compileStringMatch({ glob: '*' }).test('line1\nline2')).to.equal(true);
  });

  it('matches one of a list with in', () => {
    const t = compileStringMatch({ in: ['a', 'b'] });
    expect([t.test('a'), t.test('b'), t.test('c')]).to.deep.equal([true, true, false]);
    expect(t.describe()).to.equal('is one of "a", "b"');
  });

  it('negates with not, also nested', () => {
    const n = compileStringMatch({ not: 'secret' });
    expect([n.test('secret'), n.test('other')]).to.deep.equal([false, true]);
    expect(n.describe()).to.equal('is not "secret"');
    expect(n.describeNot()).to.equal('is "secret"');
    const nn = compileStringMatch({ not: { not: { prefix: 'a' } } });
    expect([nn.test('ab'), nn.test('ba')]).to.deep.equal([true, false]);
  });

  it('requires every key of one object to match', () => {
    const t = compileStringMatch({ prefix: '+358', suffix: '7', not: { in: ['+3587'] } });
    expect([t.test('+3584017'), t.test('+3587'), t.test('+3584018')]).to.deep.equal([
      true,
      false,
      false,
    ]);
  });

  it('applies a normalizer to literals (used for uppercase hex)', () => {
    const t = compileStringMatch({ prefix: '0500' }, (s) => s.toUpperCase());
    expect(t.test('050003')).to.equal(true);
    const u = compileStringMatch('05000a', (s) => s.toUpperCase());
    expect(u.test('05000A')).to.equal(true);
  });
});

describe('compileNumberMatch', () => {
  it('matches an integer exactly, in a list, within min/max, and negated', () => {
    expect(compileNumberMatch(8).test(8)).to.equal(true);
    expect(compileNumberMatch(8).test(0)).to.equal(false);
    expect(compileNumberMatch({ in: [0, 8] }).test(8)).to.equal(true);
    const range = compileNumberMatch({ min: 2, max: 4 });
    expect([1, 2, 4, 5].map((n) => range.test(n))).to.deep.equal([false, true, true, false]);
    expect(compileNumberMatch({ not: { in: [0] } }).test(0)).to.equal(false);
    expect(range.describe()).to.equal('is at least 2 and is at most 4');
  });
});

describe('when matchers on requests', () => {
  it('op', () => {
    expect(hits('{ op: submit }', submit('+1'))).to.equal(true);
    expect(hits('{ op: submit }', request('alive'))).to.equal(false);
    expect(hits('{ op: { in: [alive, logout] } }', request('logout'))).to.equal(true);
  });

  it('user: the login identity, or the session user for later requests', () => {
    expect(hits('{ user: shop }', request('login', { user: 'shop', password: 'x' }))).to.equal(
      true,
    );
    expect(hits('{ user: shop }', submit('+1', {}, { sessionUser: 'shop' }))).to.equal(true);
    expect(hits('{ user: shop }', submit('+1', {}, { sessionUser: 'other' }))).to.equal(false);
  });

  it('password', () => {
    expect(
      hits('{ password: { not: secret } }', request('login', { user: 'u', password: 'guess' })),
    ).to.equal(true);
    expect(
      hits('{ password: { not: secret } }', request('login', { user: 'u', password: 'secret' })),
    ).to.equal(false);
  });

  it('never matches an absent value, not even under not', () => {
    expect(hits('{ password: { not: secret } }', request('login', { user: 'u' }))).to.equal(false);
    expect(
      hits(
        '{ text: { not: hello } }',
        request('submit', { destination: '+1', binary: 'CAFE' }, { sessionUser: 'app' }),
      ),
    ).to.equal(false);
  });

  it('destination: any of several 021 destinations', () => {
    expect(hits('{ destination: "+2" }', submit('+1', { destinations: ['+1', '+2'] }))).to.equal(
      true,
    );
    expect(hits('{ destination: "+3" }', submit('+1', { destinations: ['+1', '+2'] }))).to.equal(
      false,
    );
  });

  it('originator', () => {
    expect(
      hits('{ originator: { glob: "SHOP*" } }', submit('+1', { originator: 'SHOPX' })),
    ).to.equal(true);
  });

  it('text', () => {
    expect(
      hits('{ text: { regex: "^PIN \\\\d{4}$" } }', submit('+1', { text: 'PIN 1234' })),
    ).to.equal(true);
  });

  it('encoding', () => {
    expect(hits('{ encoding: ucs2 }', submit('+1', { encoding: 'ucs2' }))).to.equal(true);
    expect(hits('{ encoding: ucs2 }', submit('+1', { encoding: 'gsm7' }))).to.equal(false);
  });

  it('dcs', () => {
    expect(hits('{ dcs: 8 }', submit('+1', { dcs: 8 }))).to.equal(true);
    expect(hits('{ dcs: { in: [0, 241] } }', submit('+1', { dcs: 8 }))).to.equal(false);
  });

  it('udh, compared as uppercase hex', () => {
    expect(hits('{ udh: { prefix: "050003a7" } }', submit('+1', { udh: '050003A70201' }))).to.equal(
      true,
    );
  });

  it('parts', () => {
    expect(hits('{ parts: { min: 2 } }', submit('+1', { parts: 3 }))).to.equal(true);
    expect(hits('{ parts: { min: 2 } }', submit('+1', { parts: 1 }))).to.equal(false);
  });

  it('session', () => {
    expect(hits('{ session: c2 }', submit('+1', {}, { session: 'c2' }))).to.equal(true);
    expect(hits('{ session: c2 }', submit('+1', {}, { session: 'c1' }))).to.equal(false);
  });

  it('param by three-digit code', () => {
    expect(hits('{ param: { "064": "5" } }', submit('+1', {}, { params: [[64, '5']] }))).to.equal(
      true,
    );
    expect(hits('{ param: { "064": "5" } }', submit('+1', {}, { params: [[64, '6']] }))).to.equal(
      false,
    );
    expect(hits('{ param: { "064": "5" } }', submit('+1'))).to.equal(false);
  });

  it('requires every key of the when block', () => {
    const when = '{ op: submit, destination: "+1", text: hello }';
    expect(hits(when, submit('+1', { text: 'hello' }))).to.equal(true);
    expect(hits(when, submit('+1', { text: 'bye' }))).to.equal(false);
  });

  it('an absent when block matches every request', () => {
    const engine = new RuleEngine(scenario('rules:\n  - { id: r, then: [ { respond: {} } ] }\n'));
    expect(engine.decide(request('alive')).ruleId).to.equal('r');
    expect(engine.decide(request('login', { user: 'x', password: 'y' })).ruleId).to.equal('r');
  });
});

describe('rate matcher', () => {
  const yaml = (scope: string): string => `
rules:
  - id: throttled
    when: { op: submit, rate: { over: 2, per: 1s${scope} } }
    then: [ { error: { code: 10 } } ]
`;
  const at = (now: number, session = 'c1', user = 'app'): RequestContext =>
    submit('+1', {}, { now, session, sessionUser: user });

  it('matches once `over` earlier requests fall in the sliding window', () => {
    const engine = new RuleEngine(scenario(yaml('')));
    const t0 = 1_700_000_000_000;
    const got = [t0, t0 + 100, t0 + 200, t0 + 300].map((t) => engine.decide(at(t)).ruleId);
    expect(got).to.deep.equal([null, null, 'throttled', 'throttled']);
  });

  it('forgets requests older than the window', () => {
    const engine = new RuleEngine(scenario(yaml('')));
    const t0 = 1_700_000_000_000;
    engine.decide(at(t0));
    engine.decide(at(t0 + 10));
    expect(engine.decide(at(t0 + 1000)).ruleId).to.equal(null);
    expect(engine.decide(at(t0 + 1005)).ruleId).to.equal('throttled');
  });

  it('counts per session by default', () => {
    const engine = new RuleEngine(scenario(yaml('')));
    const t0 = 1_700_000_000_000;
    engine.decide(at(t0, 'c1'));
    engine.decide(at(t0, 'c1'));
    expect(engine.decide(at(t0 + 1, 'c2')).ruleId).to.equal(null);
    expect(engine.decide(at(t0 + 1, 'c1')).ruleId).to.equal('throttled');
  });

  it('counts every session of the user with scope user', () => {
    const engine = new RuleEngine(scenario(yaml(', scope: user')));
    const t0 = 1_700_000_000_000;
    engine.decide(at(t0, 'c1', 'app'));
    engine.decide(at(t0, 'c2', 'app'));
    expect(engine.decide(at(t0 + 1, 'c3', 'other')).ruleId).to.equal(null);
    expect(engine.decide(at(t0 + 1, 'c3', 'app')).ruleId).to.equal('throttled');
  });

  it('counts only requests of the same operation', () => {
    const engine = new RuleEngine(scenario(yaml('')));
    const t0 = 1_700_000_000_000;
    engine.decide(request('alive', {}, { now: t0 }));
    engine.decide(request('alive', {}, { now: t0 }));
    expect(engine.decide(at(t0 + 1)).ruleId).to.equal(null);
  });

  it('stays exact after many requests although it keeps only the latest `over` per key', () => {
    const engine = new RuleEngine(scenario(yaml('')));
    const t0 = 1_700_000_000_000;
    for (let i = 0; i < 1000; i++) engine.decide(at(t0));
    expect(engine.decide(at(t0)).ruleId).to.equal('throttled');
    expect(engine.decide(at(t0 + 1000)).ruleId).to.equal(null);
  });

  it('explains the count in an unmatched report', () => {
    const engine = new RuleEngine(scenario(yaml('')));
    const d = engine.decide(at(1_700_000_000_000));
    expect(d.unmatched).to.include(
      'rate: 0 earlier submit requests within 1s in session c1 (needs 2)',
    );
  });
});
