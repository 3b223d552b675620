import { expect } from 'chai';
import {
  defaultScenarioPath,
  formatIssue,
  loadDefaultScenario,
  loadScenarioObject,
  ScenarioError,
  validateScenarioText,
} from '../../../src/scenario/index.js';

const issues = (text: string): string[] => validateScenarioText(text, 's.yaml').map(formatIssue);

describe('validateScenarioText', () => {
  it('returns no issues for a valid scenario', () => {
    expect(issues('version: 1\nrules: []\n')).to.deep.equal([]);
  });

  it('suggests the closest key for a misspelled step', () => {
    expect(issues('version: 1\nrules:\n  - then: [ { respnd: {} } ]\n')).to.deep.equal([
      's.yaml:3:15: rules[0].then[0]: unknown key "respnd" (did you mean "respond"?)',
    ]);
  });

  it('lists the allowed keys when nothing is close', () => {
    expect(issues('version: 1\nserver: { colour: blue }\n')).to.deep.equal([
      's.yaml:2:11: server: unknown key "colour" (expected one of: keepAlive, throttle, statusReportDelay, timezone, latency, bandwidth, outage)',
    ]);
  });

  it('names the allowed values of an enum', () => {
    expect(
      issues(
        'version: 1\nrules:\n  - when: { rate: { over: 1, per: 1s, scope: world } }\n    then: [ { drop: {} } ]\n',
      ),
    ).to.deep.equal(['s.yaml:3:46: rules[0].when.rate.scope: must be one of: session, user']);
  });

  it('explains an empty matcher and an empty step', () => {
    expect(issues('version: 1\nrules:\n  - when: { text: {} }\n    then: [ {} ]\n')).to.deep.equal([
      's.yaml:3:19: rules[0].when.text: empty matcher: give one of prefix, suffix, regex, glob, in, not',
      's.yaml:4:13: rules[0].then[0]: a step needs exactly one key: delay, respond, error, nack, generalError, drop, disconnect, fault',
    ]);
  });

  it('requires at least one step', () => {
    expect(issues('version: 1\nrules:\n  - then: []\n')).to.deep.equal([
      's.yaml:3:11: rules[0].then: needs at least one step: a terminal step such as respond',
    ]);
  });

  it('reports every schema problem at once, ordered by position', () => {
    const got = issues(
      'version: 1\nrules:\n  - id: "bad id"\n    times: 1.5\n    then: [ { delay: 1x }, { respond: {} } ]\n',
    );
    expect(got).to.deep.equal([
      's.yaml:3:9: rules[0].id: invalid id "bad id": use letters, digits and _ . : -',
      's.yaml:4:12: rules[0].times: must be an integer, not 1.5',
      's.yaml:5:22: rules[0].then[0].delay: invalid duration "1x": use a number of milliseconds or a string such as 150ms, 1s, 2.5s, 1m, 1h',
    ]);
  });

  it('checks status codes, error texts and response parameters', () => {
    const got = issues(`version: 1
rules:
  - then: [ { error: { code: 5, text: "Résumé" } } ]
  - then: [ { respond: { params: { "033": "a\\tb" } } } ]
    afterwards: [ { statusReport: { status: 10 } }, { statusReport: { status: { delivered: 0 } } } ]
`);
    expect(got).to.deep.equal([
      's.yaml:5:45: rules[1].afterwards[0].statusReport.status: must be at most 9',
    ]);
    const semantic = issues(`version: 1
rules:
  - then: [ { error: { code: 5, text: "Résumé" } } ]
  - then: [ { respond: { params: { "033": "a\\tb" } } } ]
    afterwards: [ { statusReport: { status: { delivered: 0 } } } ]
`);
    expect(semantic).to.deep.equal([
      's.yaml:3:39: rules[0].then[0].error.text: error text (901) must be printable ASCII',
      's.yaml:4:43: rules[1].then[0].respond.params["033"]: must not contain TAB, control bytes NUL/STX/ETX or characters beyond U+00FF',
      // The rule has no when.op, so it could answer a login: no message for a report to follow.
      's.yaml:5:35: rules[1].afterwards[0].statusReport: statusReport afterwards needs a submit: rule "rule-2" matches op login (it has no when.op); add op: submit to its when',
      's.yaml:5:45: rules[1].afterwards[0].statusReport.status: at least one weight must be above 0',
    ]);
  });

  it('tolerates a byte order mark', () => {
    expect(issues('\uFEFFversion: 1\n')).to.deep.equal([]);
  });

  it('locates YAML syntax errors', () => {
    expect(issues('version: 1\nrules:\n\t- then: []\n')).to.deep.equal([
      's.yaml:3:1: YAML syntax error: Tabs are not allowed as indentation',
    ]);
  });

  it('rejects a document that is not a mapping', () => {
    expect(issues('- version: 1\n')).to.deep.equal(['s.yaml:1:1: must be a mapping']);
  });
});

describe('loadScenarioObject', () => {
  it('compiles a plain object through the same validation as files', () => {
    const s = loadScenarioObject({
      version: 1,
      rules: [{ id: 'x', when: { op: 'submit' }, then: [{ respond: {} }] }],
    });
    expect(s.rules.map((r) => r.id)).to.deep.equal(['x']);
    expect(s.file).to.equal('<object>');
  });

  it('throws a ScenarioError naming the label', () => {
    expect(() => loadScenarioObject({ version: 1, rules: [{ then: [] }] }, 'api')).to.throw(
      ScenarioError,
      /^api:\d+:\d+: rules\[0\]\.then: needs at least one step/,
    );
  });
});

describe('validateScenarioText format messages', () => {
  it('explains bad hex, time stamps and discharge times', () => {
    const got = issues(`version: 1
rules:
  - then: [ { respond: { timestamp: "2401011200" } } ]
    afterwards:
      - deliver: { from: "1", to: "2", hex: "ABC", udh: "" }
      - statusReport: { dischargeTime: "now" }
`);
    expect(got).to.deep.equal([
      's.yaml:3:37: rules[0].then[0].respond.timestamp: invalid time stamp "2401011200": use 12 digits yymmddhhmmss',
      's.yaml:5:45: rules[0].afterwards[0].deliver.hex: invalid hex "ABC": use pairs of hex digits, e.g. 050003A70201',
      's.yaml:5:57: rules[0].afterwards[0].deliver.udh: invalid hex "": use pairs of hex digits, e.g. 050003A70201',
      's.yaml:6:40: rules[0].afterwards[1].statusReport.dischargeTime: invalid discharge time "now": use 12 digits yymmddhhmmss or {{timestamp}}',
    ]);
  });
});

describe('loadDefaultScenario', () => {
  it('loads scenarios/default.yaml from next to the sources', async () => {
    const s = await loadDefaultScenario();
    expect(s.name).to.equal('default');
    expect(s.file).to.equal(defaultScenarioPath);
    expect(s.rules.map((r) => r.id)).to.include.members(['accept-login', 'accept-submit']);
  });
});

describe('afterwards checked against the operations a rule can match', () => {
  it('accepts templates every matched operation provides', () => {
    expect(
      issues(`version: 1
rules:
  - when: { op: login }
    then: [ { respond: {} } ]
    afterwards: [ { deliver: { from: "1", to: "{{user}}", text: "hello {{ session }}" } } ]
  - when: { op: { in: [submit, enquire] } }
    then: [ { respond: {} } ]
    afterwards: [ { deliver: { from: "1", to: "{{destination}}", text: "x" } } ]
  - when: { op: { regex: "^submit$" } }
    then: [ { respond: {} } ]
    afterwards:
      - statusReport: { status: delivered, dischargeTime: "{{timestamp}}" }
      - deliver: { from: "{{destination}}", to: "{{originator}}", text: "{{text}} {{timestamp}}" }
`),
    ).to.deep.equal([]);
  });

  it('refuses {{timestamp}} for a login rule: only a submit answer has a 060', () => {
    expect(
      issues(`version: 1
rules:
  - when: { op: login }
    then: [ { respond: {} } ]
    afterwards: [ { deliver: { from: "1", to: "2", text: "at {{timestamp}}" } } ]
`),
    ).to.deep.equal([
      's.yaml:5:58: rules[0].afterwards[0].deliver.text: template {{timestamp}} is not available: rule "rule-1" matches op login, whose request provides only {{user}}, {{session}}',
    ]);
  });

  it('refuses a statusReport on a rule matching a pattern of operations beyond submit', () => {
    expect(
      issues(`version: 1
rules:
  - id: s-ops
    when: { op: { prefix: "s" } }
    then: [ { respond: {} } ]
    afterwards: [ { statusReport: { status: delivered } } ]
`),
    ).to.deep.equal([
      's.yaml:6:35: rules[0].afterwards[0].statusReport: statusReport afterwards needs a submit: rule "s-ops" matches op set; add op: submit to its when',
    ]);
  });
});
