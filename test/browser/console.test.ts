/**
 * The web console in a real browser (Debian's Chromium through playwright-core): a test
 * client's session shows up live, a submit appears in Messages with its decoded text and status
 * report timeline, "reply as handset" reaches the client, a broken scenario edit is shown at its
 * line while the old rules keep answering, Apply swaps the rules in, and Disconnect closes the
 * client's socket. Screenshots of each view go to test-output/browser (or $CIMD2_SCREENSHOTS:
 * `npm run screenshots` writes the README's). The page may request nothing but its own origin.
 *
 * Skipped, with a message, only when /usr/bin/chromium is absent (CI installs it).
 */
import { expect } from 'chai';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startControlApi, type ControlApi } from '../../src/control-api.js';
import { MockSmsc } from '../../src/mock-smsc.js';
import { CimdClient } from '../../src/testing/cimd-client.js';
import { ROOT } from '../helpers/cli.js';
import {
  CHROMIUM,
  hasChromium,
  launchBrowser,
  screenshotDir,
  startSink,
  type Browser,
  type Sink,
} from './harness.js';

const SCENARIO = `version: 1
name: console-demo
rules:
  - id: accept-login
    when: { op: login }
    then: [ { respond: {} } ]
  - id: unknown-number
    description: Numbers that do not exist.
    when: { op: submit, destination: { prefix: "+99" } }
    then: [ { error: { code: 300 } } ]
  - id: delivered
    description: Accepted; the handset reports delivery 100 ms later.
    when: { op: submit }
    then: [ { respond: {} } ]
    afterwards:
      - statusReport: { after: 100ms, status: delivered }
  - id: answer-alive
    when: { op: alive }
    then: [ { respond: {} } ]
`;

/** The same scenario with a typo on line 7 (`respnd`). */
const BROKEN = SCENARIO.replace('then: [ { error: { code: 300 } } ]', 'then: [ { respnd: {} } ]');
const BROKEN_LINE = SCENARIO.split('\n').findIndex((l) => l.includes('error: { code: 300 }')) + 1;

/** A new rule in front: every submit is refused with 900=103 (Throttling error). */
const THROTTLE = SCENARIO.replace(
  'rules:\n',
  'rules:\n  - id: throttle-all\n    when: { op: submit }\n    then: [ { error: { code: 103 } } ]\n',
);

/** Resolves once `check` holds (polled every 50 ms), rejects after `timeoutMs`. */
async function until(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('web console in Chromium', function () {
  this.timeout(60_000);
  let mock: MockSmsc;
  let api: ControlApi;
  let sink: Sink;
  let browser: Browser;
  let page: Page;
  let client: CimdClient;
  let origin: string;
  let shots: string;
  const cleanup: (() => Promise<void>)[] = [];

  before(async function () {
    if (!hasChromium()) {
      process.stderr.write(
        `\n  SKIPPED: the browser suite needs Debian's Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)\n\n`,
      );
      this.skip();
    }
    shots = screenshotDir(ROOT);
    mock = await MockSmsc.start({
      port: 0,
      scenario: { yaml: SCENARIO, file: 'console-demo.yaml' },
    });
    cleanup.push(() => mock.stop());
    api = await startControlApi(mock, { port: 0 });
    cleanup.push(() => api.close());
    origin = api.url;
    sink = await startSink();
    cleanup.push(() => sink.close());
    browser = await launchBrowser(sink);
    cleanup.push(() => browser.close());
    page = await browser.newPage();
  });

  after(async () => {
    // In reverse order of opening; only what before() got to open.
    for (const close of cleanup.reverse()) await close().catch(() => undefined);
  });

  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: join(shots, `console-${name}.png`) });
  }

  it('renders the console within 1 s of navigation', async () => {
    await page.goto(`${origin}/#/sessions`);
    await page.waitForSelector('header.top [data-testid="listen-address"]', { timeout: 2000 });
    // Navigation start to the first render of the page (the console's own performance mark).
    const rendered = await page.evaluate<number>(
      "performance.getEntriesByName('console-rendered')[0]?.startTime ?? Infinity",
    );
    expect(rendered).to.be.below(1000);
    await page.waitForSelector('.conn.live', { timeout: 5000 });
    expect(await page.textContent('[data-testid="listen-address"]')).to.equal(
      `127.0.0.1:${mock.port}`,
    );
  });

  it('shows a client that logs in within 1 s', async () => {
    client = await CimdClient.connect({ port: mock.port });
    cleanup.push(() => client.close());
    const t0 = Date.now();
    await client.login('shop', 'secret');
    await page.waitForSelector('tr[data-session="c1"] >> text=shop', { timeout: 1000 });
    expect(Date.now() - t0).to.be.below(1000);
    const row = await page.textContent('tr[data-session="c1"]');
    expect(row).to.contain('authenticated').and.contain('127.0.0.1:');
    expect(await page.textContent('[data-testid="session-count"]')).to.equal('1');
  });

  it('lists a submit in Messages with its decoded text, answer, rule and status report timeline', async () => {
    await page.goto(`${origin}/#/messages`);
    // Some traffic first: a refused number, binary data, a two-part text.
    await client.submit({ destination: '+99123', originator: 'Shop', text: 'To nowhere' });
    await client.submit({
      destination: '+358402222222',
      bytes: Uint8Array.from([0xca, 0xfe, 0x01]),
    });
    await client.submit({
      destination: '+358403333333',
      originator: '+358409999999',
      text: 'Your order 4711 has shipped. '.repeat(7).trim(),
    });
    const report = client.nextStatusReport();
    const sent = await client.submit({
      destination: '+358401234567',
      originator: '+358409999999',
      text: 'Hyvää päivää €',
      statusReportRequest: 14,
    });
    await report;
    const row = page.locator('#message-list .msg-row', { hasText: 'Hyvää päivää €' });
    await row.waitFor({ timeout: 3000 });
    await row.click();
    const detail = page.locator('[data-testid="message-detail"]');
    await detail.waitFor();
    expect(await page.textContent('[data-testid="message-text"]')).to.equal('Hyvää päivää €');
    expect(await page.textContent('[data-testid="message-rule"]')).to.equal('delivered');
    expect(await page.textContent('[data-testid="message-answer"]')).to.contain(
      `OK, 060 ${sent.timestamp ?? '?'}`,
    );
    const timeline = page.locator('[data-testid="report-timeline"]');
    await timeline.locator('li.acknowledged').waitFor({ timeout: 3000 });
    const steps = await timeline.locator('li strong').allTextContents();
    expect(steps).to.deep.equal(['scheduled', 'sent', 'acknowledged']);
    expect(await timeline.textContent()).to.contain('delivered');
    // Every parameter by name, and the raw frames as CIMD text and hex.
    expect(await detail.textContent())
      .to.contain('Destination address')
      .and.contain('+358401234567');
    await detail.locator('details.frame summary').first().click();
    expect(await detail.locator('pre.raw').first().textContent()).to.match(/^<STX>03:\d{3}<TAB>/);
    await shot('messages');
  });

  it('"reply as handset" delivers an MO that the test client receives', async () => {
    const received = client.nextMessage();
    await page.click('button:has-text("Reply as handset")');
    await page.fill('form[aria-label="Reply as handset"] input', 'Kiitos, sain viestin');
    await page.click('form[aria-label="Reply as handset"] button[type="submit"]');
    const mo = await received;
    expect(mo.text).to.equal('Kiitos, sain viestin');
    expect(mo.originator).to.equal('+358401234567');
    expect(mo.destination).to.equal('+358409999999');
    await page.waitForSelector('form[aria-label="Reply as handset"] >> text=acknowledged');
  });

  it('draws the conversation ladder with the deciding rule of each request', async () => {
    const nobody = await client.submit({ destination: '+9912345', text: 'nobody' });
    expect(nobody.errorCode).to.equal(300);
    await page.goto(`${origin}/#/conversation/c1`);
    // It follows the newest line: the refused submit and its answer are in view.
    await page.waitForSelector('.ladder-row >> text=[rule unknown-number]', { timeout: 3000 });
    const newest = await page.locator('.ladder-row').allTextContents();
    expect(newest.some((l) => /submit-response \d{3} error=300/.test(l))).to.equal(true);
    await shot('conversation');
    // Home goes to the oldest kept line: the login, with the rule that accepted it.
    await page.locator('#ladder').focus();
    await page.keyboard.press('Home');
    await page.waitForSelector('.ladder-row >> text=[rule accept-login]');
    const oldest = await page.locator('.ladder-row').allTextContents();
    expect(oldest.some((l) => /login 001 user=shop.*\[rule accept-login\]/.test(l))).to.equal(true);
    expect(oldest[0]).to.match(/connected from 127\.0\.0\.1:\d+/);
  });

  it('shows a scenario error at its line as you type, and the old rules keep answering', async () => {
    await page.goto(`${origin}/#/scenario`);
    const editor = page.locator('textarea[aria-label="Scenario YAML"]');
    await editor.waitFor();
    await until(async () => (await editor.inputValue()).includes('console-demo'));
    await editor.fill(BROKEN);
    await page.waitForSelector(`.gutter .ln.has-issue[data-line="${BROKEN_LINE}"]`, {
      timeout: 3000,
    });
    const issue = await page.textContent(`.issues li[data-line="${BROKEN_LINE}"]`);
    expect(issue).to.contain(`line ${BROKEN_LINE}:`);
    expect(await page.isDisabled('button:has-text("Apply")')).to.equal(true);
    // Nothing was applied: the rule in force still refuses +99 numbers with 300.
    const refused = await client.submit({ destination: '+9900001', text: 'x' });
    expect(refused.ok).to.equal(false);
    expect(refused.errorCode).to.equal(300);
    await shot('scenario');
  });

  it('Apply swaps the new rules in: the next submit gets the new answer', async () => {
    const editor = page.locator('textarea[aria-label="Scenario YAML"]');
    await editor.fill(THROTTLE);
    await page.waitForSelector('[data-testid="validity"] >> text=valid', { timeout: 3000 });
    await page.click('button:has-text("Apply")');
    await page.waitForSelector('.status >> text=applied', { timeout: 3000 });
    const refused = await client.submit({ destination: '+358401234567', text: 'y' });
    expect(refused.ok).to.equal(false);
    expect(refused.errorCode).to.equal(103);
    // Its hit count in the rule list (columns: rule, state, hits, times left).
    const hits = page.locator('tr[data-rule="throttle-all"] td:nth-child(3)');
    await until(async () => (await hits.textContent()) === '1');
  });

  it('Compose sends an MO to the chosen session', async () => {
    await page.goto(`${origin}/#/compose?session=c1`);
    const received = client.nextMessage();
    await page.fill('#f-from', '+358401112222');
    await page.fill('#f-to', '12345');
    await page.fill('#f-body', 'From the compose view');
    await shot('compose');
    await page.click('form[aria-labelledby="mo-title"] button[type="submit"]');
    const mo = await received;
    expect(mo.text).to.equal('From the compose view');
    expect(mo.originator).to.equal('+358401112222');
  });

  it('Disconnect closes the client socket', async () => {
    const other = await CimdClient.connect({ port: mock.port });
    cleanup.push(() => other.close());
    await other.login('billing', 'secret', { window: 8 });
    await page.goto(`${origin}/#/sessions`);
    await page.waitForSelector('tr[data-session="c2"] >> text=billing');
    await shot('sessions');
    const closed = client.whenClosed();
    await page.click('button[aria-label="Disconnect c1"]');
    await closed;
    expect(client.closed).to.equal(true);
    await page.waitForSelector('tr[data-session="c1"] >> text=closed', { timeout: 3000 });
    // The other session is untouched.
    expect(other.closed).to.equal(false);
    expect(await page.textContent('tr[data-session="c2"]')).to.contain('authenticated');
  });

  it('is keyboard reachable and fits a narrow window', async () => {
    await page.goto(`${origin}/#/messages`);
    await page.waitForSelector('#message-list .msg-row');
    await page.locator('#message-list').focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="message-detail"]');
    await page.keyboard.press('2');
    await page.waitForSelector('#sessions-title');
    expect(page.url()).to.match(/#\/sessions$/);
    await page.setViewportSize({ width: 480, height: 800 });
    for (const view of ['messages', 'sessions', 'conversation', 'scenario', 'compose']) {
      await page.goto(`${origin}/#/${view}`);
      await page.waitForSelector('main .view');
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - document.documentElement.clientWidth',
      );
      expect(overflow, `${view} scrolls sideways at 480 px`).to.be.at.most(0);
    }
    await shot('narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('asked nothing of any origin but its own', () => {
    expect(browser.requests.length).to.be.above(10);
    const foreign = browser.requests.filter((u) => new URL(u).origin !== origin);
    expect(foreign).to.deep.equal([]);
  });
});
