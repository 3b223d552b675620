import { expect } from 'chai';
import { mulberry32, pickStatus, RuleEngine } from '../../../src/scenario/index.js';
import type { Decision } from '../../../src/server/ports.js';
import { scenario, submit } from './helpers.js';

/** The decision of a one-rule scenario (matching every submit) for a plain submit. */
function decideWith(rule: string, header = ''): Decision {
  const engine = new RuleEngine(
    scenario(`${header}rules:\n  - id: r\n    when: { op: submit }\n${rule}`),
  );
  return engine.decide(submit('+358401234567', { originator: '12345', text: 'PIN 1234' }));
}

describe('then steps', () => {
  it('respond: a bare positive answer', () => {
    expect(decideWith('    then: [ { respond: {} } ]\n').steps).to.deep.equal([
      { kind: 'respond' },
    ]);
  });

  it('respond: also written with an empty value', () => {
    expect(decideWith('    then:\n      - respond:\n').steps).to.deep.equal([{ kind: 'respond' }]);
  });

  it('respond: extra parameters by code and a fixed 060', () => {
    const d = decideWith(
      '    then: [ { respond: { params: { "064": "5", "067": 9 }, timestamp: "240101120000" } } ]\n',
    );
    expect(d.steps).to.deep.equal([
      {
        kind: 'respond',
        params: [
          { code: 64, value: '5' },
          { code: 67, value: '9' },
        ],
        timestamp: '240101120000',
      },
    ]);
  });

  it('error: code, and text only when given', () => {
    expect(decideWith('    then: [ { error: { code: 300 } } ]\n').steps).to.deep.equal([
      { kind: 'error', code: 300 },
    ]);
    expect(decideWith('    then: [ { error: { code: 10, text: Busy } } ]\n').steps).to.deep.equal([
      { kind: 'error', code: 10, text: 'Busy' },
    ]);
  });

  it('generalError', () => {
    expect(
      decideWith('    then: [ { generalError: { code: 6, text: Down } } ]\n').steps,
    ).to.deep.equal([{ kind: 'generalError', code: 6, text: 'Down' }]);
  });

  it('nack, drop and disconnect', () => {
    expect(decideWith('    then: [ { nack: {} } ]\n').steps).to.deep.equal([{ kind: 'nack' }]);
    expect(decideWith('    then: [ { drop: {} } ]\n').steps).to.deep.equal([{ kind: 'drop' }]);
    expect(decideWith('    then: [ { disconnect: {} } ]\n').steps).to.deep.equal([
      { kind: 'disconnect' },
    ]);
  });

  it('delay steps before the terminal step, in milliseconds', () => {
    expect(
      decideWith(
        '    then: [ { delay: 150ms }, { delay: 1.5s }, { delay: 20 }, { respond: {} } ]\n',
      ).steps,
    ).to.deep.equal([
      { kind: 'delay', ms: 150 },
      { kind: 'delay', ms: 1500 },
      { kind: 'delay', ms: 20 },
      { kind: 'respond' },
    ]);
  });
});

describe('afterwards items', () => {
  it('statusReport: status by name, error code, discharge time, target', () => {
    const d = decideWith(`    then: [ { respond: {} } ]
    afterwards:
      - statusReport: { after: 3s, status: expired, errorCode: 29, dischargeTime: "240101120000", target: user }
`);
    expect(d.afterwards).to.deep.equal([
      {
        kind: 'statusReport',
        afterMs: 3000,
        status: 2,
        errorCode: 29,
        dischargeTime: '240101120000',
        target: 'user',
      },
    ]);
  });

  it('statusReport: status by number; defaults to delivered after statusReportDelay', () => {
    const d = decideWith(
      `    then: [ { respond: {} } ]
    afterwards: [ { statusReport: { status: 7 } }, { statusReport: {} } ]
`,
      'server: { statusReportDelay: 40ms }\n',
    );
    expect(d.afterwards).to.deep.equal([
      { kind: 'statusReport', afterMs: 40, status: 7 },
      { kind: 'statusReport', afterMs: 40, status: 4 },
    ]);
  });

  it('deliver: every field, templates returned unrendered, hex upper-cased', () => {
    const d = decideWith(`    then: [ { respond: {} } ]
    afterwards:
      - deliver: { after: 2s, from: "{{destination}}", to: "{{originator}}", text: "OK {{text}} {{user}} {{session}} {{timestamp}}", encoding: ucs2, udh: "050003a70201", target: user }
      - deliver: { from: "1", to: "2", hex: "cafe" }
`);
    expect(d.afterwards).to.deep.equal([
      {
        kind: 'deliver',
        afterMs: 2000,
        from: '{{destination}}',
        to: '{{originator}}',
        text: 'OK {{text}} {{user}} {{session}} {{timestamp}}',
        encoding: 'ucs2',
        udh: '050003A70201',
        target: 'user',
      },
      { kind: 'deliver', afterMs: 0, from: '1', to: '2', hex: 'CAFE' },
    ]);
  });

  it('disconnect later', () => {
    const d = decideWith(`    then: [ { respond: {} } ]
    afterwards: [ { disconnect: { after: 1m } }, { disconnect: } ]
`);
    expect(d.afterwards).to.deep.equal([
      { kind: 'disconnect', afterMs: 60_000 },
      { kind: 'disconnect', afterMs: 0 },
    ]);
  });
});

describe('weighted statuses', () => {
  const yaml = `
rules:
  - id: r
    when: { op: submit }
    then: [ { respond: {} } ]
    afterwards: [ { statusReport: { after: 0, status: { delivered: 90, failed: 10 } } } ]
`;
  const run = (seed: number, n: number): number[] => {
    const engine = new RuleEngine(scenario(yaml), { seed });
    return Array.from({ length: n }, () => {
      const a = engine.decide(submit('+1')).afterwards[0];
      return a?.kind === 'statusReport' ? a.status : -1;
    });
  };

  it('repeats the same sequence for the same seed', () => {
    expect(run(42, 50)).to.deep.equal(run(42, 50));
  });

  it('restarts the sequence on reset()', () => {
    const engine = new RuleEngine(scenario(yaml), { seed: 7 });
    const first = Array.from({ length: 20 }, () => engine.decide(submit('+1')).afterwards[0]);
    engine.reset();
    const again = Array.from({ length: 20 }, () => engine.decide(submit('+1')).afterwards[0]);
    expect(again).to.deep.equal(first);
  });

  it('follows the weights roughly and only yields the named statuses', () => {
    const got = run(1, 2000);
    const delivered = got.filter((s) => s === 4).length;
    expect(got.every((s) => s === 4 || s === 3)).to.equal(true);
    expect(delivered).to.be.within(1700, 1900);
  });

  it('exposes the seed it drew when none was given', () => {
    const engine = new RuleEngine(scenario(yaml));
    expect(engine.seed).to.be.a('number');
    const replay = new RuleEngine(scenario(yaml), { seed: engine.seed });
    const a = Array.from({ length: 10 }, () => engine.decide(submit('+1')).afterwards);
    const b = Array.from({ length: 10 }, () => replay.decide(submit('+1')).afterwards);
    expect(b).to.deep.equal(a);
  });

  it('pickStatus maps random numbers onto cumulative weights, skipping zero weights', () => {
    const choice = {
      kind: 'weighted',
      options: [
        { status: 4, weight: 3 },
        { status: 2, weight: 0 },
        { status: 3, weight: 1 },
      ],
    } as const;
    expect(pickStatus(choice, () => 0)).to.equal(4);
    expect(pickStatus(choice, () => 0.74)).to.equal(4);
    expect(pickStatus(choice, () => 0.75)).to.equal(3);
    expect(pickStatus(choice, () => 0.999)).to.equal(3);
  });

  it('mulberry32 is deterministic and in [0, 1)', () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    const xs = Array.from({ length: 100 }, () => a());
    expect(xs).to.deep.equal(Array.from({ length: 100 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).to.equal(true);
    expect(new Set(xs).size).to.equal(100);
  });
});
