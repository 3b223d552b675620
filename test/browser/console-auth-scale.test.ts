/**
 * The web console behind a token, and with a large inbox, in Chromium:
 * - `?token=` logs the browser in and leaves the address bar at once; the login page's form
 *   does the same; when the cookie goes away mid-session the console asks for the token itself
 *   and carries on;
 * - 3,000 messages: the count is right, the list keeps only the rows in view in the page, and
 *   scrolling to the end loads the next (older) page.
 *
 * Skipped, with a message, only when /usr/bin/chromium is absent (CI installs it).
 */
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { startControlApi, type ControlApi } from '../../src/control-api.js';
import { MockSmsc } from '../../src/mock-smsc.js';
import { CimdClient } from '../../src/testing/cimd-client.js';
import { CHROMIUM, hasChromium, launchBrowser, startSink, type Browser } from './harness.js';

const TOKEN = 'open-sesame-4711';
const BULK = 3000;

describe('web console in Chromium: login and a large inbox', function () {
  this.timeout(120_000);
  let mock: MockSmsc;
  let api: ControlApi;
  let browser: Browser;
  let page: Page;
  let origin: string;
  const cleanup: (() => Promise<void>)[] = [];

  before(async function () {
    if (!hasChromium()) {
      process.stderr.write(
        `\n  SKIPPED: the browser suite needs Debian's Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)\n\n`,
      );
      this.skip();
    }
    mock = await MockSmsc.start({ port: 0 });
    cleanup.push(() => mock.stop());
    api = await startControlApi(mock, { port: 0, token: TOKEN });
    cleanup.push(() => api.close());
    origin = api.url;
    const sink = await startSink();
    cleanup.push(() => sink.close());
    browser = await launchBrowser(sink);
    cleanup.push(() => browser.close());
    page = await browser.newPage();
  });

  after(async () => {
    for (const close of cleanup.reverse()) await close().catch(() => undefined);
  });

  it('?token= logs in and the token leaves the address bar', async () => {
    await page.goto(`${origin}/?token=${TOKEN}#/sessions`);
    await page.waitForSelector('.conn.live', { timeout: 5000 });
    expect(page.url()).to.equal(`${origin}/#/sessions`);
    const history = await page.evaluate<number>('history.length');
    expect(history).to.be.at.most(2);
  });

  it('without the cookie a console page sends the browser to the login page', async () => {
    await browser.context.clearCookies();
    await page.goto(`${origin}/`);
    expect(new URL(page.url()).pathname).to.equal('/login');
    expect(await page.isVisible('input[name="token"]')).to.equal(true);
  });

  // The login page is served with `Referrer-Policy: same-origin`: under `no-referrer` Chromium
  // sends `Origin: null` with the form's POST, which the guard refuses as cross-origin.
  it('the login page form logs the browser in', async () => {
    await page.goto(`${origin}/login`);
    await page.fill('input[name="token"]', TOKEN);
    await page.click('button[type="submit"]');
    await page.waitForSelector('.conn.live', { timeout: 5000 });
    expect(page.url()).to.equal(`${origin}/`);
  });

  it('asks for the token itself when the cookie goes away mid-session, then carries on', async () => {
    await page.goto(`${origin}/?token=${TOKEN}#/sessions`);
    await page.waitForSelector('.conn.live', { timeout: 5000 });
    await browser.context.clearCookies();
    // The next poll gets 401: the console shows its own login form. A wrong token is refused.
    await page.waitForSelector('#login-token', { timeout: 5000 });
    await page.fill('#login-token', 'wrong');
    await page.click('form.login button[type="submit"]');
    await page.waitForSelector('form.login [role="alert"] >> text=token', { timeout: 5000 });
    await page.fill('#login-token', TOKEN);
    await page.click('form.login button[type="submit"]');
    await page.waitForSelector('.conn.live', { timeout: 5000 });
    const cookies = await browser.context.cookies();
    expect(cookies.map((c) => [c.httpOnly, c.sameSite])).to.deep.equal([[true, 'Strict']]);
    expect(cookies[0]?.value).not.to.contain(TOKEN);
  });

  it(`pages a ${BULK}-message inbox: right count, few rows in the page, older pages on scroll`, async () => {
    const client = await CimdClient.connect({ port: mock.port });
    cleanup.push(() => client.close());
    await client.login('bulk', 'secret');
    await Promise.all(
      Array.from({ length: BULK }, (_, i) =>
        client.submit({ destination: `+3584${String(i).padStart(6, '0')}`, text: `bulk ${i}` }),
      ),
    );
    await page.goto(`${origin}/#/messages`);
    const count = page.locator('[data-testid="message-count"]');
    await page.waitForSelector(`[data-testid="message-count"] >> text=${BULK} messages`, {
      timeout: 5000,
    });
    expect(await count.textContent()).to.equal(`${BULK} messages`);
    // Newest first.
    await page.waitForSelector(`#message-list .msg-row >> text=bulk ${BULK - 1}`);
    const rows = await page.locator('#message-list .vrow').count();
    expect(rows).to.be.within(10, 80);
    // End: the last loaded row, whose coming into view loads the next page.
    await page.locator('#message-list').focus();
    await page.keyboard.press('End');
    await page.waitForSelector(`#message-list .msg-row >> text=bulk ${BULK - 101}`, {
      timeout: 5000,
    });
    await page.keyboard.press('End');
    await page.waitForSelector(`#message-list .msg-row >> text=bulk ${BULK - 201}`, {
      timeout: 5000,
    });
    expect(await page.locator('#message-list .vrow').count()).to.be.below(80);
  });
});
