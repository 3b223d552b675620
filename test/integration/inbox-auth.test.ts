/**
 * The console's login and cookie, CSRF refusals, the console's static files, and the routes the
 * console needs beyond the inbox (sessions, rules, stats, disconnect, scenario validation).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startControlApi, type ControlApi } from '../../src/control-api.js';
import type {
  RulesView,
  ScenarioValidation,
  SessionList,
  StatsRates,
} from '../../src/control/inbox-types.js';
import { createMockSmsc, type MockSmsc } from '../../src/mock-smsc.js';
import { CimdClient } from '../../src/testing/cimd-client.js';

const TOKEN = 'c0nsole-T0ken';

describe('console login, cookie and CSRF', () => {
  let mock: MockSmsc;
  let api: ControlApi;
  let cookie: string;

  const req = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${api.url}${path}`, { redirect: 'manual', ...init });

  before(async () => {
    mock = await createMockSmsc({ port: 0, stopGraceMs: 0 });
    api = await startControlApi(mock, { port: 0, token: TOKEN });
    cookie = `cimd2-mock-${api.port}`;
  });

  after(async () => {
    await api.close();
    await mock.stop();
  });

  async function login(): Promise<string> {
    const res = await req('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: TOKEN, next: '/' }).toString(),
    });
    expect(res.status).to.equal(303);
    const set = res.headers.get('set-cookie') ?? '';
    return set.split(';')[0] ?? '';
  }

  it('answers 401 without credentials, on the API and on the console files', async () => {
    for (const path of ['/messages', '/mo', '/events', '/sessions', '/health']) {
      const res = await req(path);
      expect(res.status, path).to.equal(401);
      expect(res.headers.get('www-authenticate')).to.equal('Bearer realm="cimd2-mock"');
    }
    // A script (no text/html) asking for the page gets a 401 too; a browser is sent to /login.
    expect((await req('/')).status).to.equal(401);
    const page = await req('/', { headers: { accept: 'text/html' } });
    expect(page.status).to.equal(303);
    expect(page.headers.get('location')).to.equal('/login');
  });

  it('serves a login page without authentication: no script, a strict CSP', async () => {
    const res = await req('/login?next=%2F%23%2Fmessages');
    expect(res.status).to.equal(200);
    const html = await res.text();
    expect(html).to.include('<form method="post" action="/login">');
    expect(html).to.include('name="next" value="/#/messages"');
    expect(html).to.not.include('<script');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).to.match(/default-src 'self'/);
    expect(csp).to.match(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
  });

  it('logs in with the form: an HttpOnly SameSite=Strict cookie, a redirect without the token, never the token itself', async () => {
    const res = await req('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: TOKEN, next: '/#/sessions' }).toString(),
    });
    expect(res.status).to.equal(303);
    expect(res.headers.get('location')).to.equal('/#/sessions');
    const set = res.headers.get('set-cookie') ?? '';
    expect(set).to.match(new RegExp(`^${cookie}=[A-Za-z0-9_-]{20,};`));
    expect(set).to.include('HttpOnly');
    expect(set).to.include('SameSite=Strict');
    expect(set).to.include('Path=/');
    expect(set).to.not.include(TOKEN);
    const c = set.split(';')[0] ?? '';
    expect((await req('/messages', { headers: { cookie: c } })).status).to.equal(200);
    // The cookie is not a bearer token.
    const value = c.split('=')[1] ?? '';
    expect(
      (await req('/messages', { headers: { authorization: `Bearer ${value}` } })).status,
    ).to.equal(401);
  });

  it('?token= on a console URL sets the cookie and redirects to the same URL without it', async () => {
    const res = await req(`/?token=${TOKEN}&view=messages`);
    expect(res.status).to.equal(303);
    expect(res.headers.get('location')).to.equal('/?view=messages');
    expect(res.headers.get('location')).to.not.include(TOKEN);
    expect(res.headers.get('referrer-policy')).to.equal('no-referrer');
    const c = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const page = await req('/?view=messages', { headers: { cookie: c } });
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/^text\/html/);
  });

  it('refuses a wrong token (form, JSON, ?token=) and a redirect off this server', async () => {
    const form = await req('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=nope',
    });
    expect(form.status).to.equal(401);
    expect(form.headers.get('set-cookie')).to.equal(null);
    const json = await req('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'nope' }),
    });
    expect(json.status).to.equal(401);
    expect((await req('/?token=nope')).status).to.equal(401);
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
      const res = await req('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: TOKEN, next }).toString(),
      });
      expect(res.headers.get('location'), next).to.equal('/');
    }
    const ok = await req('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: TOKEN }),
    });
    expect(ok.status).to.equal(204);
    expect(ok.headers.get('set-cookie')).to.match(new RegExp(`^${cookie}=`));
  });

  it('a cookie-authenticated state change needs X-Cimd2-Mock: 1 (403 ERR_CONTROL_CSRF without)', async () => {
    const c = await login();
    const epoch = mock.epoch;
    const without = await req('/reset', { method: 'POST', headers: { cookie: c } });
    expect(without.status).to.equal(403);
    expect(((await without.json()) as { code: string }).code).to.equal('ERR_CONTROL_CSRF');
    expect(mock.epoch, 'nothing changed').to.equal(epoch);
    const withHeader = await req('/reset', {
      method: 'POST',
      headers: { cookie: c, 'x-cimd2-mock': '1' },
    });
    expect(withHeader.status).to.equal(200);
    expect(mock.epoch).to.equal(epoch + 1);
    // The bearer token needs no such header.
    const bearer = await req('/messages', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(bearer.status).to.equal(200);
  });

  it('refuses the cross-site attempts a page could make with the cookie', async () => {
    const c = await login();
    const before = mock.epoch;
    // A form post from another site: wrong type, foreign Origin, cross-site fetch metadata.
    const formPost = await req('/reset', {
      method: 'POST',
      headers: {
        cookie: c,
        origin: 'https://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'sessions=close',
    });
    expect(formPost.status).to.equal(403);
    const crossSite = await req('/reset', {
      method: 'POST',
      headers: { cookie: c, 'x-cimd2-mock': '1', 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).to.equal(403);
    expect(((await crossSite.json()) as { code: string }).code).to.equal('ERR_CONTROL_ORIGIN');
    const textPlain = await req('/messages', {
      method: 'DELETE',
      headers: { cookie: c, 'x-cimd2-mock': '1', 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(textPlain.status).to.equal(415);
    // A login from another site is refused too.
    const crossLogin = await req('/login', {
      method: 'POST',
      headers: {
        origin: 'https://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: TOKEN }).toString(),
    });
    expect(crossLogin.status).to.equal(403);
    expect(mock.epoch).to.equal(before);
  });

  it('a wrong bearer token is refused even with a valid cookie; a cookie of another port is ignored', async () => {
    const c = await login();
    const wrong = await req('/messages', {
      headers: { cookie: c, authorization: 'Bearer wrong' },
    });
    expect(wrong.status).to.equal(401);
    const value = c.split('=')[1] ?? '';
    const other = await req('/messages', {
      headers: { cookie: `cimd2-mock-${api.port + 1}=${value}` },
    });
    expect(other.status).to.equal(401);
  });

  it('POST /logout clears the cookie', async () => {
    const c = await login();
    const res = await req('/logout', {
      method: 'POST',
      headers: { cookie: c, 'x-cimd2-mock': '1' },
    });
    expect(res.status).to.equal(204);
    expect(res.headers.get('set-cookie')).to.match(new RegExp(`^${cookie}=;.*Max-Age=0`));
  });
});

describe('console files', () => {
  let mock: MockSmsc;
  let dir: string;
  const apis: ControlApi[] = [];

  before(async () => {
    mock = await createMockSmsc({ port: 0, stopGraceMs: 0 });
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cimd2-console-'));
  });

  afterEach(async () => {
    await Promise.all(apis.splice(0).map((a) => a.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  after(async () => {
    await mock.stop();
  });

  async function start(consoleDir: string): Promise<ControlApi> {
    const a = await startControlApi(mock, { port: 0, consoleDir });
    apis.push(a);
    return a;
  }

  it('serves a placeholder page at / when the console is not built', async () => {
    const a = await start(join(dir, 'missing'));
    const res = await fetch(`${a.url}/`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).to.match(/^default-src 'self'/);
    expect(await res.text()).to.include('npm run build');
  });

  it('serves the files listed at start with their types, CSP, cache headers, ETag and gzip, read once', async () => {
    const js = `console.log(${JSON.stringify('x'.repeat(4000))});\n`;
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><script src="/assets/app-3f9a1c2b.js"></script>',
    );
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'assets', 'app-3f9a1c2b.js'), js);
    writeFileSync(join(dir, 'assets', 'style.css'), 'body{color:red}');
    writeFileSync(join(dir, 'assets', 'notes.exe'), 'MZ');
    const a = await start(dir);
    // Every file was read at start: removing the folder changes nothing.
    rmSync(dir, { recursive: true, force: true });

    const index = await fetch(`${a.url}/`);
    expect(index.status).to.equal(200);
    expect(index.headers.get('cache-control')).to.equal('no-cache');
    expect(index.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(await index.text()).to.include('app-3f9a1c2b.js');
    expect((await fetch(`${a.url}/index.html`)).status).to.equal(200);

    const app = await fetch(`${a.url}/assets/app-3f9a1c2b.js`, {
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(app.headers.get('content-type')).to.equal('text/javascript; charset=utf-8');
    expect(app.headers.get('cache-control')).to.equal('public, max-age=31536000, immutable');
    expect(app.headers.get('content-security-policy')).to.match(/^default-src 'self'/);
    expect(await app.text()).to.equal(js);
    const raw = await rawGet(a, '/assets/app-3f9a1c2b.js', { 'accept-encoding': 'gzip' });
    expect(raw.headers['content-encoding']).to.equal('gzip');
    expect(gunzipSync(raw.body).toString('utf8')).to.equal(js);

    const css = await fetch(`${a.url}/assets/style.css`);
    expect(css.headers.get('content-type')).to.equal('text/css; charset=utf-8');
    const etag = css.headers.get('etag') ?? '';
    expect(etag).to.match(/^"[A-Za-z0-9_-]+"$/);
    const again = await fetch(`${a.url}/assets/style.css`, { headers: { 'if-none-match': etag } });
    expect(again.status).to.equal(304);

    // Not in the manifest: never served.
    expect((await fetch(`${a.url}/assets/notes.exe`)).status).to.equal(404);
  });

  it('never maps a request path onto the folder: traversal and encoded names are 404', async () => {
    writeFileSync(join(dir, 'index.html'), 'console');
    const a = await start(dir);
    for (const path of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/assets/../index.html',
      '/index.html%00',
      '//etc/passwd',
      '/INDEX.HTML',
    ]) {
      const res = await rawGet(a, path, {});
      expect(res.status, path).to.be.oneOf([400, 404]);
      expect(res.body.toString('utf8'), path).to.not.include('console"');
    }
  });
});

describe('console routes: sessions, rules, stats, disconnect, validate', () => {
  let mock: MockSmsc;
  let api: ControlApi;
  const clients: CimdClient[] = [];

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the body's type
  const call = async <T>(
    path: string,
    init: RequestInit = {},
  ): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${api.url}${path}`, init);
    const text = await res.text();
    return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  };

  beforeEach(async () => {
    mock = await createMockSmsc({
      port: 0,
      stopGraceMs: 0,
      window: 3,
      scenario: {
        yaml: [
          'version: 1',
          'name: console',
          'rules:',
          '  - id: login',
          '    when: { op: login }',
          '    then: [ { respond: {} } ]',
          '  - id: twice',
          '    description: answers twice, then the next rule',
          '    when: { op: submit }',
          '    times: 2',
          '    setState: busy',
          '    then: [ { error: { code: 11 } } ]',
          '  - id: later',
          '    when: { op: submit }',
          '    whenState: [busy]',
          '    then: [ { respond: {} } ]',
          '',
        ].join('\n'),
      },
    });
    api = await startControlApi(mock, { port: 0 });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await api.close();
    await mock.stop();
  });

  async function client(): Promise<CimdClient> {
    const c = await CimdClient.connect({ port: mock.port, responseTimeoutMs: 2000 });
    clients.push(c);
    return c;
  }

  it('GET /sessions: user, remote, since, frames in/out, outstanding, window, state', async () => {
    const c = await client();
    await c.login('shop', 'pw');
    await c.submit({ destination: '1', text: 'a' });
    await client();
    const { body } = await call<SessionList>('/sessions');
    expect(body.sessions).to.have.length(2);
    const [a, b] = body.sessions;
    expect(a).to.deep.include({
      id: 'c1',
      user: 'shop',
      state: 'authenticated',
      framesIn: 2,
      framesOut: 2,
      outstanding: 0,
      window: 3,
      pendingAnswers: 0,
    });
    expect(a!.remote).to.match(/^127\.0\.0\.1:\d+$/);
    expect(Date.parse(a!.since)).to.be.closeTo(Date.now(), 10_000);
    expect(b).to.deep.include({ id: 'c2', user: null, state: 'connected', framesIn: 0 });
  });

  it('GET /rules: uses, times left, description, whenState, setState, ops, line, and the state', async () => {
    const c = await client();
    await c.login('shop', 'pw');
    await c.submit({ destination: '1', text: 'a' });
    const { body } = await call<RulesView>('/rules');
    expect(body.state).to.equal('busy');
    expect(body.states).to.deep.equal(['busy', 'started']);
    expect(body.rules[1]).to.deep.equal({
      id: 'twice',
      uses: 1,
      times: 2,
      timesLeft: 1,
      description: 'answers twice, then the next rule',
      whenState: null,
      setState: 'busy',
      ops: ['submit'],
      line: 7,
    });
    expect(body.rules[2]).to.deep.include({ id: 'later', whenState: ['busy'], timesLeft: null });
  });

  it('GET /stats: submits per second over the last minute and error counts', async () => {
    const c = await client();
    await c.login('shop', 'pw');
    await c.submit({ destination: '1', text: 'a' });
    await c.submit({ destination: '1', text: 'b' });
    await c.submit({ destination: '1', text: 'c' });
    const { body } = await call<StatsRates & { sessionsOpen: number }>('/stats');
    expect(body.submitsPerSecond).to.have.length(60);
    expect(body.submitsPerSecond.reduce((x, y) => x + y, 0)).to.equal(3);
    expect(body.errors).to.deep.equal({ answers: 2, frameErrors: 0, unmatched: 0, ackTimeouts: 0 });
    expect(body.sessionsOpen).to.equal(1);
  });

  it('DELETE /sessions/{id} closes a session; ?reset=true aborts it with a TCP RST', async () => {
    const a = await client();
    await a.login('a', 'pw');
    const closed = await call<{ id: string; how: string }>('/sessions/c1', { method: 'DELETE' });
    expect(closed).to.deep.equal({ status: 200, body: { id: 'c1', how: 'close' } });
    await a.whenClosed();
    const b = await client();
    await b.login('b', 'pw');
    const errors: NodeJS.ErrnoException[] = [];
    b.on('error', (e) => errors.push(e as NodeJS.ErrnoException));
    const reset = await call<{ how: string }>('/sessions/c2?reset=true', { method: 'DELETE' });
    expect(reset.body.how).to.equal('reset');
    await b.whenClosed();
    expect(errors.map((e) => e.code)).to.include('ECONNRESET');
    const rec = mock.transcriptAll.records.filter((r) => r.kind === 'session-close');
    expect(rec.map((r) => (r as { reason: string }).reason)).to.deep.equal([
      'closed through the control API',
      'closed through the control API (RST)',
    ]);
    const unknown = await call<{ code: string }>('/sessions/c9', { method: 'DELETE' });
    expect(unknown.status).to.equal(404);
    expect(unknown.body.code).to.equal('ERR_SESSION_UNKNOWN');
    expect((await call('/sessions/c1?reset=maybe', { method: 'DELETE' })).status).to.equal(400);
  });

  it('POST /scenario/validate: issues with line and column, nothing applied or recorded', async () => {
    const before = mock.lastSeq;
    const bad = await call<ScenarioValidation>('/scenario/validate?file=edit.yaml', {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: 'version: 1\nrules:\n  - id: x\n    when: { op: sbumit }\n    then: [ { respond: {} } ]\n',
    });
    expect(bad.status).to.equal(200);
    expect(bad.body.valid).to.equal(false);
    expect(bad.body.issues[0]).to.deep.include({ file: 'edit.yaml', line: 4 });
    expect(bad.body.issues[0]!.col).to.be.greaterThan(1);
    const good = await call<ScenarioValidation>('/scenario/validate', {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: 'version: 1\nname: next\nrules:\n  - when: { op: submit }\n    then: [ { respond: {} } ]\n',
    });
    expect(good.body).to.deep.equal({ valid: true, issues: [], name: 'next', rules: 1 });
    expect(mock.scenario.name).to.equal('console');
    expect(mock.lastSeq, 'nothing recorded').to.equal(before);
  });
});

/** A GET with exact control of the path and headers (fetch normalises paths). */
async function rawGet(
  api: ControlApi,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const r = http.request(
      {
        host: '127.0.0.1',
        port: api.port,
        path,
        headers: { host: `127.0.0.1:${api.port}`, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers as Record<string, string>,
            body: Buffer.concat(chunks),
          });
        });
      },
    );
    r.on('error', reject);
    r.end();
  });
}
