import { expect } from 'chai';
import { explainScenario, formatIssue, validateScenarioText } from '../../../src/scenario/index.js';
import { RuleEngine } from '../../../src/scenario/engine.js';
import { scenario, submit } from './helpers.js';

const issues = (text: string): string[] => validateScenarioText(text, 's.yaml').map(formatIssue);

describe('fault steps in scenarios', () => {
  it('compiles every kind with its defaults', () => {
    const s = scenario(`
rules:
  - { id: a, when: { destination: "1" }, then: [ { fault: { kind: bad-checksum } } ] }
  - { id: b, when: { destination: "2" }, then: [ { fault: { kind: wrong-packet-number } } ] }
  - { id: c, when: { destination: "3" }, then: [ { fault: { kind: wrong-operation } } ] }
  - { id: d, when: { destination: "4" }, then: [ { fault: { kind: duplicate } } ] }
  - { id: e, when: { destination: "5" }, then: [ { fault: { kind: truncate } } ] }
  - { id: f, when: { destination: "6" }, then: [ { fault: { kind: garbage } } ] }
  - { id: g, when: { destination: "7" }, then: [ { fault: { kind: split } } ] }
  - { id: h, when: { destination: "8" }, then: [ { fault: { kind: trickle, bytesPerSecond: 10 } } ] }
  - { id: i, when: { destination: "9" }, then: [ { delay: 1s }, { fault: { kind: reset } } ] }
  - { id: j, then: [ { fault: { kind: half-close } } ] }
`);
    expect(s.rules.map((r) => r.steps.at(-1))).to.deep.equal([
      { kind: 'fault', fault: { kind: 'bad-checksum' } },
      { kind: 'fault', fault: { kind: 'wrong-packet-number', offset: 2 } },
      { kind: 'fault', fault: { kind: 'wrong-operation', op: 98 } },
      { kind: 'fault', fault: { kind: 'duplicate', count: 2 } },
      { kind: 'fault', fault: { kind: 'truncate' } },
      { kind: 'fault', fault: { kind: 'garbage', bytes: 16, thenClose: false } },
      { kind: 'fault', fault: { kind: 'split', size: 1, gapMs: 5 } },
      { kind: 'fault', fault: { kind: 'trickle', bytesPerSecond: 10 } },
      { kind: 'fault', fault: { kind: 'reset' } },
      { kind: 'fault', fault: { kind: 'half-close' } },
    ]);
  });

  it('compiles the answer a fault distorts', () => {
    const s = scenario(`
rules:
  - then: [ { fault: { kind: duplicate, count: 3, answer: { error: { code: 300 } } } } ]
  - then: [ { fault: { kind: split, size: 4, gap: 1s, answer: { respond: { params: { "064": "x" } } } } } ]
`);
    expect(s.rules[0]?.steps[0]).to.deep.equal({
      kind: 'fault',
      fault: { kind: 'duplicate', count: 3 },
      answer: { kind: 'error', code: 300 },
    });
    expect(s.rules[1]?.steps[0]).to.deep.equal({
      kind: 'fault',
      fault: { kind: 'split', size: 4, gapMs: 1000 },
      answer: { kind: 'respond', params: [{ code: 64, value: 'x' }] },
    });
  });

  it('reports keys of another kind, an answer a reset cannot give, a trickle without rate, at their place', () => {
    expect(
      issues(`version: 1
rules:
  - then: [ { fault: { kind: bad-checksum, offset: 3 } } ]
  - then: [ { fault: { kind: reset, answer: { nack: {} } } } ]
  - then: [ { fault: { kind: trickle } } ]
  - then: [ { fault: { kind: wrong-packet-number, offset: 0 } } ]
  - then: [ { fault: { kind: bad-checksum } }, { respond: {} } ]
`),
    ).to.deep.equal([
      's.yaml:3:52: rules[0].then[0].fault.offset: offset does not apply to a bad-checksum fault (it belongs to wrong-packet-number)',
      's.yaml:4:45: rules[1].then[0].fault.answer: a reset fault sends no answer: remove answer',
      's.yaml:5:22: rules[2].then[0].fault: a trickle fault needs bytesPerSecond',
      's.yaml:6:59: rules[3].then[0].fault.offset: offset 0 leaves the packet number as it is',
      's.yaml:7:48: rules[4].then: only one terminal step is allowed, found fault at then[0] and respond at then[1]',
    ]);
  });

  it('an unknown kind is a schema issue naming the kinds', () => {
    expect(
      issues('version: 1\nrules:\n  - then: [ { fault: { kind: corrupt } } ]\n'),
    ).to.deep.equal([
      's.yaml:3:30: rules[0].then[0].fault.kind: must be one of: bad-checksum, wrong-packet-number, wrong-operation, duplicate, truncate, garbage, split, trickle, reset, half-close',
    ]);
  });

  it('checks the faults of server messages and beforeAnswer', () => {
    expect(
      issues(`version: 1
rules:
  - when: { op: submit }
    then: [ { respond: {} } ]
    afterwards:
      - statusReport: { beforeAnswer: true, after: 1s }
      - deliver: { from: "1", to: "2", text: "x", fault: { kind: split, bytesPerSecond: 5 } }
`),
    ).to.deep.equal([
      's.yaml:6:52: rules[0].afterwards[0].statusReport.after: a beforeAnswer report goes out right before the answer: remove after',
      's.yaml:7:89: rules[0].afterwards[1].deliver.fault.bytesPerSecond: bytesPerSecond does not apply to a split fault (it belongs to trickle)',
    ]);
  });

  it('a server message takes only bad-checksum, split and trickle', () => {
    expect(
      issues(
        'version: 1\nrules:\n  - when: { op: submit }\n    then: [ { respond: {} } ]\n    afterwards:\n      - statusReport: { fault: { kind: reset } }\n',
      ),
    ).to.deep.equal([
      's.yaml:6:40: rules[0].afterwards[0].statusReport.fault.kind: must be one of: bad-checksum, split, trickle',
    ]);
  });

  it('checks the connection faults of the server block and of schedule items', () => {
    expect(
      issues(`version: 1
server:
  outage: { mode: refuse }
schedule:
  - after: 1s
    outage: { for: 2s }
    deliver: { from: "1", to: "2", text: "x" }
  - after: 1s
`),
    ).to.deep.equal([
      's.yaml:3:11: server.outage: an outage in the server block needs for: (how long after the scenario loads)',
      's.yaml:5:5: schedule[0]: has more than one of deliver, disconnect and connection faults: use one schedule item each',
      's.yaml:8:5: schedule[1]: needs one action: deliver, disconnect, or connection faults (latency, bandwidth, outage)',
    ]);
  });

  it('explains faults in plain words', () => {
    const s = scenario(`
server:
  latency: { base: 200ms, jitter: 50ms }
  bandwidth: 1000
rules:
  - id: corrupt
    when: { op: submit }
    then: [ { fault: { kind: bad-checksum } } ]
    afterwards:
      - statusReport: { beforeAnswer: true, duplicate: true, fault: { kind: split, size: 5, gap: 10ms } }
  - id: noise
    then: [ { fault: { kind: garbage, bytes: 8, thenClose: true, answer: { nack: {} } } } ]
  - id: gone
    then: [ { delay: 1s }, { fault: { kind: reset } } ]
  - id: twice
    then: [ { fault: { kind: duplicate, count: 3, answer: { error: { code: 300 } } } } ]
schedule:
  - after: 10s
    outage: { for: 30s, mode: blackhole, closeSessions: true }
  - after: 1m
    latency: null
`);
    expect(explainScenario(s).slice(0, 7)).to.deep.equal([
      "server: delay every frame the server sends by 200ms ± 50ms; limit each session's output to 1000 bytes per second",
      'corrupt: when op is "submit", fault: answer OK with a wrong checksum; afterwards before the answer send a status report delivered (4), first sent in pieces of 5 bytes 10 ms apart, then sent again with a new packet number',
      'noise: for every request, instead of answering with a NACK (99), answer replaced by 8 random bytes, then close the connection',
      'gone: for every request, wait 1s, then answer not at all: reset the connection (TCP RST)',
      'twice: for every request, fault: answer error 300 (Incorrect destination address) 3 times',
      'schedule: 10s after the first login, outage: accept new connections and never answer them for 30s, closing the open sessions',
      'schedule: 1m after the first login, end the latency',
    ]);
  });

  it('garbage bytes come from the seeded generator: the same seed gives the same bytes', () => {
    const s = scenario('rules:\n  - then: [ { fault: { kind: garbage, bytes: 6 } } ]\n');
    const hex = (seed: number): string[] => {
      const engine = new RuleEngine(s, { seed });
      return [1, 2].map((pn) => {
        const step = engine.decide(submit('1', {}, { params: [[60 + pn, 'x']] })).steps[0];
        return step?.kind === 'fault' && step.fault.kind === 'garbage'
          ? (step.fault.hex ?? '')
          : '';
      });
    };
    const a = hex(11);
    expect(a[0]).to.match(/^[0-9A-F]{12}$/);
    expect(a[0]).to.not.equal(a[1], 'each answer draws new bytes');
    expect(hex(11)).to.deep.equal(a);
    expect(hex(12)).to.not.deep.equal(a);
  });
});
