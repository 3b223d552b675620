import { expect } from 'chai';
import { explainRule, explainScenario } from '../../../src/scenario/index.js';
import { scenario } from './helpers.js';

describe('explainScenario', () => {
  const s = scenario(`
name: demo
accounts: [ { user: shop, password: secret } ]
rules:
  - id: slow-error
    description: Numbers that do not exist.
    times: 2
    priority: 1
    whenState: started
    setState: broken
    when: { op: submit, destination: { prefix: "+99" }, parts: { min: 2 } }
    then: [ { delay: 150ms }, { error: { code: 300 } } ]
    afterwards:
      - statusReport: { after: 1s, status: { delivered: 3, failed: 1 }, errorCode: 1, target: user }
      - deliver: { after: 2s, from: "{{destination}}", to: "{{originator}}", text: "OK" }
      - disconnect: { after: 1m }
  - id: everything
    then: [ { respond: { params: { "064": "5" } } } ]
schedule:
  - after: 5s
    user: shop
    deliver: { from: "+1", to: "2", hex: "CAFE" }
  - after: 1m
    disconnect: {}
`);

  it('describes each rule in plain words', () => {
    expect(explainRule(s.rules[0]!)).to.equal(
      'slow-error: when in state "started" and op is "submit" and destination starts with "+99" and parts is at least 2, wait 150ms, then answer error 300 (Incorrect destination address); afterwards after 1s send a status report randomly delivered (4) 75%, failed (3) 25% with status error 1 (to any session of the user); after 2s deliver a message from "{{destination}}" to "{{originator}}", text "OK"; after 1m close the connection; then the state becomes "broken" (2 times, then used up) [priority 1] — Numbers that do not exist.',
    );
    expect(explainRule(s.rules[1]!)).to.equal(
      'everything: for every request, answer OK with 064:5',
    );
  });

  it('lists rules, then schedule items, then the fallback', () => {
    const lines = explainScenario(s);
    expect(lines).to.have.length(5);
    expect(lines[2]).to.equal(
      'schedule: 5s after "shop" first logs in, deliver a message from "+1" to "2", bytes CAFE to "shop"\'s oldest session',
    );
    expect(lines[3]).to.equal('schedule: 1m after the first login, close the oldest session');
    expect(lines[4]).to.match(/^otherwise: logins of the 1 listed account\(s\) are accepted/);
  });
});
