/** The query checks of the inbox and the console's auth helpers, in memory. */
import { expect } from 'chai';
import { parseCookies, safeNext } from '../../../src/control/console-auth.js';
import {
  parseInboxQuery,
  parseWait,
  textMatcher,
  MAX_WAIT_MS,
} from '../../../src/control/inbox-routes.js';
import { HttpError } from '../../../src/control/http-util.js';

function refusal(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('no refusal');
}

describe('inbox query', () => {
  it('parses wait as ms, s or bare seconds, up to the maximum', () => {
    expect(parseWait('500ms')).to.equal(500);
    expect(parseWait('5s')).to.equal(5000);
    expect(parseWait('2.5')).to.equal(2500);
    expect(parseWait('60s')).to.equal(MAX_WAIT_MS);
    for (const bad of ['61s', '-1s', '5m', 's', '1e3']) {
      expect(refusal(() => parseWait(bad)).code, bad).to.equal('ERR_CONTROL_INVALID_QUERY');
    }
  });

  it('text: a case-insensitive substring, or a regex with i/m/s flags that never backtracks', () => {
    expect(textMatcher('ORDER')('your order 42')).to.equal(true);
    expect(textMatcher('/^your/')('Your order')).to.equal(false);
    expect(textMatcher('/^your/i')('Your order')).to.equal(true);
    expect(textMatcher('/a.b/s')('a\nb')).to.equal(true);
    expect(textMatcher('/a.b/')('a\nb')).to.equal(false);
    expect(textMatcher('/^b$/m')('a\nb')).to.equal(true);
    // The classic catastrophic pattern runs in linear time on the RE2 engine.
    const start = Date.now();
    expect(textMatcher('/(a+)+$/')(`${'a'.repeat(5000)}!`)).to.equal(false);
    expect(Date.now() - start).to.be.lessThan(500);
    expect(refusal(() => textMatcher('/(a)\\1/')).message).to.match(/backreferences/);
  });

  it('checks status values by kind, cursors by kind, limit bounds, unknown keys', () => {
    const q = parseInboxQuery(new URLSearchParams('status=delivered,rejected&limit=5'), 'mt');
    expect([...(q.status ?? [])]).to.deep.equal(['delivered', 'rejected']);
    expect(q.limit).to.equal(5);
    expect(
      refusal(() => parseInboxQuery(new URLSearchParams('status=delivered'), 'mo')).message,
    ).to.match(/unknown status "delivered"/);
    expect(parseInboxQuery(new URLSearchParams('cursor=mo12'), 'mo').before).to.equal(12);
    expect(() => parseInboxQuery(new URLSearchParams('cursor=mo12'), 'mt')).to.throw(HttpError);
    expect(() => parseInboxQuery(new URLSearchParams('limit=1001'), 'mt')).to.throw(HttpError);
    expect(() => parseInboxQuery(new URLSearchParams('sort=asc'), 'mt')).to.throw(/unknown query/);
    const to = parseInboxQuery(new URLSearchParams('to=4670*'), 'mt').to;
    expect([to?.('46701'), to?.('4671'), to?.(null)]).to.deep.equal([true, false, false]);
  });
});

describe('console auth helpers', () => {
  it('safeNext keeps local paths only', () => {
    expect(safeNext('/#/messages')).to.equal('/#/messages');
    expect(safeNext('/login?x=1')).to.equal('/login?x=1');
    for (const bad of ['//evil.example', '/\\evil', 'https://evil.example', 'x', '/a\r\nb', null]) {
      expect(safeNext(bad), String(bad)).to.equal('/');
    }
  });

  it('parseCookies reads name=value pairs, the first of a repeated name wins', () => {
    const c = parseCookies('a=1; cimd2-mock-9972=abc; a=2;broken; b = x ');
    expect([...c.entries()]).to.deep.equal([
      ['a', '1'],
      ['cimd2-mock-9972', 'abc'],
      ['b', 'x'],
    ]);
  });
});
