/** The HTTP control API over real HTTP against a real MockSmsc and a real CIMD2 client. */
import { expect } from 'chai';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { createMockSmsc, type MockSmsc, type MockSmscOptions } from '../../src/mock-smsc.js';
import {
  isLoopbackHost,
  startControlApi,
  type ControlApi,
  type ControlApiOptions,
} from '../../src/control-api.js';
import { ConfigError } from '../../src/errors.js';
import { loadScenarioFile } from '../../src/scenario/index.js';
import { CimdClient } from '../../src/testing/cimd-client.js';
import { ManualClock } from '../../src/testing/manual-clock.js';

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: unknown;
}

interface ErrorBody {
  readonly error: string;
  readonly code: string;
}

const openapi = JSON.parse(
  readFileSync(new URL('../../schemas/control-api.openapi.json', import.meta.url), 'utf8'),
) as { paths: Record<string, Record<string, unknown>> };
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ ...openapi, $id: 'openapi.json' });

function matchesSchema(body: unknown, name: string): boolean {
  const validate = ajv.getSchema(`openapi.json#/components/schemas/${name}`);
  if (validate === undefined) throw new Error(`no schema ${name} in the OpenAPI description`);
  return validate(body) === true;
}

/** Asserts `body` matches `#/components/schemas/<name>` of the OpenAPI description. */
function expectSchema(body: unknown, name: string): void {
  const validate = ajv.getSchema(`openapi.json#/components/schemas/${name}`);
  if (validate === undefined) throw new Error(`no schema ${name} in the OpenAPI description`);
  const ok = validate(body);
  expect(ok, `${name}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body)}`).to.equal(
    true,
  );
}

const requireCjs = createRequire(import.meta.url);

/**
 * Records every path handed to the usual file-reading functions of `node:fs` and
 * `node:fs/promises` (ESM imports included, through syncBuiltinESMExports) until `restore()`.
 */
function spyOnFileAccess(): { readonly paths: string[]; restore(): void } {
  const paths: string[] = [];
  const modules = [
    [
      requireCjs('node:fs') as Record<string, unknown>,
      [
        'readFile',
        'readFileSync',
        'stat',
        'statSync',
        'open',
        'openSync',
        'existsSync',
        'access',
        'accessSync',
        'createReadStream',
      ],
    ],
    [
      requireCjs('node:fs/promises') as Record<string, unknown>,
      ['readFile', 'stat', 'open', 'access', 'lstat'],
    ],
  ] as const;
  const originals: [Record<string, unknown>, string, unknown][] = [];
  for (const [mod, names] of modules) {
    for (const name of names) {
      const original = mod[name];
      if (typeof original !== 'function') continue;
      originals.push([mod, name, original]);
      mod[name] = function (this: unknown, ...args: unknown[]): unknown {
        paths.push(String(args[0]));
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      };
    }
  }
  syncBuiltinESMExports();
  return {
    paths,
    restore(): void {
      for (const [mod, name, original] of originals) mod[name] = original;
      syncBuiltinESMExports();
    },
  };
}

describe('control API', () => {
  let mock: MockSmsc;
  let api: ControlApi;
  const mocks: MockSmsc[] = [];
  const apis: ControlApi[] = [];
  const clients: CimdClient[] = [];

  async function startMock(options: MockSmscOptions = {}): Promise<MockSmsc> {
    const m = await createMockSmsc({ port: 0, stopGraceMs: 0, ...options });
    mocks.push(m);
    return m;
  }

  async function startApi(m: MockSmsc, options: ControlApiOptions = {}): Promise<ControlApi> {
    const a = await startControlApi(m, { port: 0, ...options });
    apis.push(a);
    return a;
  }

  async function client(
    m: MockSmsc = mock,
    options: { autoAck?: boolean } = {},
  ): Promise<CimdClient> {
    const c = await CimdClient.connect({ port: m.port, responseTimeoutMs: 3000, ...options });
    clients.push(c);
    return c;
  }

  async function loggedIn(user = 'shop', m: MockSmsc = mock): Promise<CimdClient> {
    const c = await client(m);
    await c.login(user, 'secret');
    return c;
  }

  async function call(
    path: string,
    init: RequestInit & { json?: unknown } = {},
    on: ControlApi = api,
  ): Promise<Answer> {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (json !== undefined) headers.set('content-type', 'application/json');
    // Typed as a real client would: state changes refuse text/plain (see control-api-browser).
    else if (rest.body !== undefined && rest.body !== null && !headers.has('content-type'))
      headers.set(
        'content-type',
        path.startsWith('/scenario') ? 'application/yaml' : 'application/json',
      );
    const res = await fetch(`${on.url}${path}`, {
      ...rest,
      headers,
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    return {
      status: res.status,
      headers: res.headers,
      text,
      body: type.startsWith('application/json') ? JSON.parse(text) : undefined,
    };
  }

  function expectError(a: Answer, status: number, code: string, message?: string | RegExp): void {
    expect(a.status, a.text).to.equal(status);
    expect(a.headers.get('content-type')).to.match(/^application\/json/);
    expectSchema(a.body, 'Error');
    const body = a.body as ErrorBody;
    expect(body.code).to.equal(code);
    if (typeof message === 'string') expect(body.error).to.equal(message);
    else if (message !== undefined) expect(body.error).to.match(message);
  }

  beforeEach(async () => {
    mock = await startMock();
    api = await startApi(mock);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(apis.splice(0).map((a) => a.close()));
    await Promise.all(mocks.splice(0).map((m) => m.stop()));
  });

  describe('startControlApi', () => {
    it('listens on the mock host on an ephemeral port and reports its URL', () => {
      expect(api.host).to.equal('127.0.0.1');
      expect(api.port).to.be.greaterThan(0);
      expect(api.port).to.not.equal(mock.port);
      expect(api.url).to.equal(`http://127.0.0.1:${api.port}`);
    });

    it('refuses to bind 0.0.0.0 without a token', async () => {
      let error: unknown;
      try {
        await startApi(mock, { host: '0.0.0.0' });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).code).to.equal('ERR_CONFIG_ADMIN_TOKEN');
      expect((error as Error).message).to.include('0.0.0.0');
    });

    it('binds 0.0.0.0 when a token is set', async () => {
      const open = await startApi(mock, { host: '0.0.0.0', token: 't0ken' });
      expect(open.port).to.be.greaterThan(0);
      const a = await fetch(`http://127.0.0.1:${open.port}/health`, {
        headers: { authorization: 'Bearer t0ken' },
      });
      expect(a.status).to.equal(200);
    });

    it('rejects an empty token and a bad port as configuration errors', async () => {
      for (const [options, code] of [
        [{ token: '' }, 'ERR_CONFIG_ADMIN_TOKEN'],
        [{ port: 70000 }, 'ERR_CONFIG_ADMIN_PORT'],
        [{ bodyLimitBytes: 0 }, 'ERR_CONFIG_ADMIN_BODY_LIMIT'],
      ] as const) {
        let error: unknown;
        try {
          await startApi(mock, options);
        } catch (e) {
          error = e;
        }
        expect((error as ConfigError | undefined)?.code).to.equal(code);
      }
    });

    it('reports a port in use as ERR_CONFIG_ADMIN_LISTEN', async () => {
      let error: unknown;
      try {
        await startApi(mock, { port: api.port });
      } catch (e) {
        error = e;
      }
      expect((error as ConfigError | undefined)?.code).to.equal('ERR_CONFIG_ADMIN_LISTEN');
      expect((error as Error).message).to.equal(
        `admin port ${api.port} on 127.0.0.1 is already in use`,
      );
    });

    it('stops listening on close, and close is idempotent', async () => {
      await api.close();
      await api.close();
      let failed = false;
      try {
        await fetch(`${api.url}/health`);
      } catch {
        failed = true;
      }
      expect(failed).to.equal(true);
    });
  });

  describe('isLoopbackHost', () => {
    it('accepts localhost, 127.0.0.0/8 and ::1', () => {
      for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '::1', '[::1]']) {
        expect(isLoopbackHost(h), h).to.equal(true);
      }
      expect(isLoopbackHost('::ffff:127.0.0.1')).to.equal(true);
    });

    it('rejects wildcard and other addresses', () => {
      for (const h of [
        '0.0.0.0',
        '::',
        '',
        '10.0.0.1',
        '128.0.0.1',
        '127.0.0.256',
        'example.com',
      ]) {
        expect(isLoopbackHost(h), h).to.equal(false);
      }
    });
  });

  describe('read-only routes', () => {
    it('GET /health answers 200 {"status":"ok"} with what the console header shows', async () => {
      const a = await call('/health');
      expect(a.status).to.equal(200);
      expectSchema(a.body, 'Health');
      expect(a.body).to.deep.include({
        status: 'ok',
        host: '127.0.0.1',
        port: mock.port,
        scenario: { name: 'default', file: mock.scenario.file, source: 'file' },
        sessions: 0,
        epoch: 0,
        lastSeq: mock.lastSeq,
        tokenRequired: false,
      });
    });

    it('GET /sessions lists open sessions with their user', async () => {
      expect((await call('/sessions')).body).to.deep.equal({ sessions: [] });
      await loggedIn('shop');
      await client();
      const a = await call('/sessions');
      expect(a.status).to.equal(200);
      expectSchema(a.body, 'SessionList');
      const sessions = (a.body as { sessions: { id: string; user: string | null }[] }).sessions;
      expect(sessions.map((s) => [s.id, s.user])).to.deep.equal([
        ['c1', 'shop'],
        ['c2', null],
      ]);
    });

    it('GET /stats counts sessions and frames by operation', async () => {
      const c = await loggedIn();
      await c.submit({ destination: '+358401234567', text: 'hi' });
      const a = await call('/stats');
      expect(a.status).to.equal(200);
      expectSchema(a.body, 'Stats');
      const s = a.body as { sessionsOpen: number; sessionsTotal: number; framesIn: object };
      expect(s.sessionsOpen).to.equal(1);
      expect(s.sessionsTotal).to.equal(1);
      expect(s.framesIn).to.include({ login: 1, submit: 1 });
    });

    it('GET /rules gives the use count of every rule', async () => {
      const c = await loggedIn();
      await c.submit({ destination: '+358401234567', text: 'one' });
      await c.submit({ destination: '+358401234567', text: 'two' });
      const a = await call('/rules');
      expect(a.status).to.equal(200);
      expectSchema(a.body, 'Rules');
      const body = a.body as { scenario: string; rules: { id: string; uses: number }[] };
      expect(body.scenario).to.equal('default');
      expect(body.rules.map((r) => ({ id: r.id, uses: r.uses }))).to.deep.equal([
        { id: 'accept-login', uses: 1 },
        { id: 'accept-submit', uses: 2 },
        { id: 'answer-alive', uses: 0 },
        { id: 'answer-logout', uses: 0 },
      ]);
    });
  });

  describe('GET /transcript', () => {
    function lines(a: Answer): { seq: number; kind: string; op?: number; dir?: string }[] {
      expect(a.text.endsWith('\n') || a.text === '').to.equal(true);
      return a.text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { seq: number; kind: string });
    }

    it('returns every record as JSON lines', async () => {
      const a = await call('/transcript');
      expect(a.status).to.equal(200);
      expect(a.headers.get('content-type')).to.match(/^application\/x-ndjson/);
      const records = lines(a);
      expect(records.map((r) => r.kind)).to.deep.equal(['server-start', 'scenario-loaded']);
      expect(records.map((r) => r.seq)).to.deep.equal([1, 2]);
      expect(a.headers.get('x-last-seq')).to.equal('2');
    });

    it('with since=SEQ returns only newer records', async () => {
      const before = lines(await call('/transcript'));
      const last = before.at(-1)!.seq;
      await loggedIn();
      const a = await call(`/transcript?since=${last}`);
      const after = lines(a);
      expect(after.length).to.be.greaterThan(0);
      expect(after.every((r) => r.seq > last)).to.equal(true);
      expect(after[0]!.seq).to.equal(last + 1);
      expect(after.some((r) => r.kind === 'frame' && r.dir === 'in' && r.op === 1)).to.equal(true);
      expect(a.headers.get('x-last-seq')).to.equal(String(after.at(-1)!.seq));
      const none = await call(`/transcript?since=${after.at(-1)!.seq}`);
      expect(none.status).to.equal(200);
      expect(none.text).to.equal('');
    });

    it('after POST /reset returns only the current epoch; all=true reaches across', async () => {
      const c = await loggedIn();
      await c.submit({ destination: '+9', text: 'test A' });
      const reset = await call('/reset', { method: 'POST' });
      expect(reset.status, reset.text).to.equal(200);
      const boundary = (reset.body as { seq: number }).seq;
      await c.submit({ destination: '+9', text: 'test B' });
      const texts = (a: Answer): unknown[] =>
        (lines(a) as { kind: string; dir?: string; op?: number; fields?: { text?: string } }[])
          .filter((r) => r.kind === 'frame' && r.dir === 'in' && r.op === 3)
          .map((r) => r.fields?.text);

      const epoch = await call('/transcript');
      expect(texts(epoch)).to.deep.equal(['test B']);
      expect(lines(epoch)[0]!.seq).to.equal(boundary + 1);
      expect(lines(epoch).some((r) => r.kind === 'session-open' || r.kind === 'reset')).to.equal(
        false,
      );

      const all = await call('/transcript?all=true');
      expect(texts(all)).to.deep.equal(['test A', 'test B']);
      expect(
        lines(all)
          .filter((r) => r.kind === 'reset')
          .map((r) => r.seq),
      ).to.deep.equal([boundary]);
      expect(lines(all)[0]!.seq).to.equal(1);
      // since still works within the epoch and across it.
      expect(texts(await call(`/transcript?since=1`))).to.deep.equal(['test B']);
      expect(texts(await call(`/transcript?since=1&all=true`))).to.deep.equal(['test A', 'test B']);
      expect(texts(await call('/transcript?all=false'))).to.deep.equal(['test B']);
    });

    it('pages with limit: X-More says more follow, since=X-Last-Seq reads the next page', async () => {
      await loggedIn();
      const every = lines(await call('/transcript'));
      expect(every.length).to.be.greaterThan(3);
      const first = await call('/transcript?limit=2');
      expect(lines(first).map((r) => r.seq)).to.deep.equal(every.slice(0, 2).map((r) => r.seq));
      expect(first.headers.get('x-more')).to.equal('true');
      expect(first.headers.get('x-last-seq')).to.equal(String(every[1]!.seq));
      const rest = await call(`/transcript?since=${every[1]!.seq}&limit=100000`);
      expect(lines(rest).map((r) => r.seq)).to.deep.equal(every.slice(2).map((r) => r.seq));
      expect(rest.headers.get('x-more')).to.equal('false');
      for (const bad of ['0', '100001', 'x', '-1']) {
        expectError(
          await call(`/transcript?limit=${bad}`),
          400,
          'ERR_CONTROL_INVALID_QUERY',
          `"limit" must be an integer from 1 to 100000 (got ${JSON.stringify(bad)})`,
        );
      }
    });

    it('answers 400 for an all that is not true or false', async () => {
      expectError(
        await call('/transcript?all=yes'),
        400,
        'ERR_CONTROL_INVALID_QUERY',
        '"all" must be true or false (got "yes")',
      );
    });

    it('answers 400 for a since that is not a non-negative integer', async () => {
      expectError(
        await call('/transcript?since=-1'),
        400,
        'ERR_CONTROL_INVALID_QUERY',
        '"since" must be a non-negative integer (got "-1")',
      );
      expectError(await call('/transcript?since=abc'), 400, 'ERR_CONTROL_INVALID_QUERY');
    });
  });

  describe('POST /deliver', () => {
    it('injects a GSM text with special characters that the client decodes exactly', async () => {
      const c = await loggedIn();
      const text = 'Hi @£$¥èé! {[~]} €\\ |^ ÆØÅ _"#%&\'()*+,-./:;<=>?';
      const json = { from: '+358409999999', to: '12345', text };
      expectSchema(json, 'DeliverRequest');
      const a = await call('/deliver', { method: 'POST', json });
      expect(a.status, a.text).to.equal(200);
      expectSchema(a.body, 'InjectResult');
      expect((a.body as { acknowledged: boolean }).acknowledged).to.equal(true);
      const m = await c.nextMessage();
      expect(m.text).to.equal(text);
      expect(m.encoding).to.equal('gsm7');
      expect(m.originator).to.equal('+358409999999');
      expect(m.destination).to.equal('12345');
    });

    it('injects a UCS2 text and answers with the packet number used', async () => {
      const c = await loggedIn();
      const text = 'Привет, 世界 👋';
      const a = await call('/deliver', {
        method: 'POST',
        json: { from: 'Shop', to: '12345', text, encoding: 'ucs2' },
      });
      expect(a.status, a.text).to.equal(200);
      const d = await c.nextDeliver();
      expect(a.body).to.deep.equal({ packetNumbers: [d.frame.pn], acknowledged: true });
      expect(d.encoding).to.equal('ucs2');
      expect(d.text).to.equal(text);
      expect(d.originator).to.equal('Shop');
    });

    it('injects binary user data given as hex', async () => {
      const c = await loggedIn();
      const a = await call('/deliver', {
        method: 'POST',
        json: { from: '123', to: '456', hex: '00FF10' },
      });
      expect(a.status, a.text).to.equal(200);
      const d = await c.nextDeliver();
      expect([...(d.bytes ?? [])]).to.deep.equal([0x00, 0xff, 0x10]);
    });

    it('splits a long text into parts, one packet number each', async () => {
      const c = await loggedIn();
      const text = 'x'.repeat(200);
      const a = await call('/deliver', { method: 'POST', json: { from: '1', to: '2', text } });
      expect(a.status, a.text).to.equal(200);
      expect((a.body as { packetNumbers: number[] }).packetNumbers).to.have.length(2);
      expect((await c.nextMessage()).text).to.equal(text);
    });

    it('targets the session or user asked for', async () => {
      const a1 = await loggedIn('alice');
      const b1 = await loggedIn('bob');
      const r = await call('/deliver', {
        method: 'POST',
        json: { user: 'bob', from: '1', to: '2', text: 'for bob' },
      });
      expect(r.status, r.text).to.equal(200);
      expect((await b1.nextMessage()).text).to.equal('for bob');
      const r2 = await call('/deliver', {
        method: 'POST',
        json: { session: 'c1', from: '1', to: '2', text: 'for c1' },
      });
      expect(r2.status, r2.text).to.equal(200);
      expect((await a1.nextMessage()).text).to.equal('for c1');
    });

    it('answers acknowledged false when the client never answers', async () => {
      const m = await startMock({ ackTimeoutMs: 30, maxResends: 0 });
      const a = await startApi(m);
      const c = await client(m, { autoAck: false });
      await c.login('shop', 'secret');
      const r = await call(
        '/deliver',
        { method: 'POST', json: { from: '1', to: '2', text: 'anyone?' } },
        a,
      );
      expect(r.status, r.text).to.equal(200);
      expect((r.body as { acknowledged: boolean }).acknowledged).to.equal(false);
    });

    it('answers 409 when the session closes while the MO waits for its answer', async () => {
      const m = await startMock({ ackTimeoutMs: 5000 });
      const a = await startApi(m);
      const c = await client(m, { autoAck: false });
      await c.login('shop', 'secret');
      const pending = call(
        '/deliver',
        { method: 'POST', json: { from: '1', to: '2', text: 'bye' } },
        a,
      );
      await c.nextDeliver();
      await c.close();
      expectError(await pending, 409, 'ERR_SESSION_CLOSED');
    });

    it('answers 404 with the UnknownSessionError message for an unknown user or session', async () => {
      expectError(
        await call('/deliver', { method: 'POST', json: { from: '1', to: '2', text: 'x' } }),
        404,
        'ERR_SESSION_UNKNOWN',
        'no logged-in session to deliver to',
      );
      await loggedIn('shop');
      expectError(
        await call('/deliver', {
          method: 'POST',
          json: { user: 'ghost', from: '1', to: '2', text: 'x' },
        }),
        404,
        'ERR_SESSION_UNKNOWN',
        'user ghost has no logged-in session',
      );
      expectError(
        await call('/deliver', {
          method: 'POST',
          json: { session: 'c99', from: '1', to: '2', text: 'x' },
        }),
        404,
        'ERR_SESSION_UNKNOWN',
        'no open session c99',
      );
    });

    it('answers 400 with a specific message for each bad field', async () => {
      await loggedIn();
      const cases: [unknown, string][] = [
        [{ from: 42, to: '2', text: 'x' }, '"from" must be a string'],
        [{ to: '2', text: 'x' }, '"from" is required'],
        [{ from: '1', text: 'x' }, '"to" is required'],
        [
          { from: '1', to: 'abc', text: 'x' },
          `"to" must be an address of 1-20 digits, '+' or '-' (got "abc")`,
        ],
        [{ from: '1', to: '2' }, 'give exactly one of "text" and "hex"'],
        [{ from: '1', to: '2', text: 'x', hex: '00' }, 'give exactly one of "text" and "hex"'],
        [{ from: '1', to: '2', hex: '0G' }, '"hex" must be hex digits in pairs (got "0G")'],
        [
          { from: '1', to: '2', text: 'x', udh: '050' },
          '"udh" must be hex digits in pairs (got "050")',
        ],
        [{ from: '1', to: '2', text: 'x', user: 7 }, '"user" must be a string'],
        [
          { from: '1', to: '2', text: 'x', encoding: 'utf8' },
          '"encoding" must be one of gsm7, binary, ucs2, iso-8859-1, iso-8859-5, iso-8859-8, wap-push',
        ],
        [
          { from: '1', to: '2', txt: 'x' },
          'unknown field "txt" (known: user, session, from, to, text, hex, encoding, udh)',
        ],
        [[1, 2], 'body must be a JSON object'],
        [null, 'body must be a JSON object'],
      ];
      for (const [json, message] of cases) {
        expectError(
          await call('/deliver', { method: 'POST', json }),
          400,
          'ERR_CONTROL_INVALID_BODY',
          message,
        );
        expect(matchesSchema(json, 'DeliverRequest'), JSON.stringify(json)).to.equal(false);
      }
    });

    it('answers 400 for a text the chosen encoding cannot carry', async () => {
      await loggedIn();
      expectError(
        await call('/deliver', {
          method: 'POST',
          json: { from: '1', to: '2', text: 'Ж', encoding: 'gsm7' },
        }),
        400,
        'ERR_CIMD_ENCODING',
      );
    });

    it('answers 400 for a body that is not JSON', async () => {
      expectError(
        await call('/deliver', { method: 'POST', body: '{"from":' }),
        400,
        'ERR_CONTROL_BAD_JSON',
        /^body is not valid JSON: /,
      );
      expectError(
        await call('/deliver', { method: 'POST', body: new Uint8Array([0x7b, 0xff, 0x7d]) }),
        400,
        'ERR_CONTROL_BAD_ENCODING',
        'body is not valid UTF-8',
      );
    });
  });

  describe('POST /status-report', () => {
    it('injects a status report by name that the client receives', async () => {
      const c = await loggedIn();
      const json = { destination: '+358401234567', timestamp: '250102030405', status: 'delivered' };
      expectSchema(json, 'StatusReportRequest');
      const a = await call('/status-report', { method: 'POST', json });
      expect(a.status, a.text).to.equal(200);
      expectSchema(a.body, 'InjectResult');
      const r = await c.nextStatusReport();
      expect(a.body).to.deep.equal({ packetNumbers: [r.frame.pn], acknowledged: true });
      expect(r.status).to.equal(4);
      expect(r.statusName).to.equal('delivered');
      expect(r.destination).to.equal('+358401234567');
      expect(r.timestamp).to.equal('250102030405');
      expect(r.statusErrorCode).to.equal(undefined);
    });

    it('injects a status report by number with an error code', async () => {
      const c = await loggedIn();
      const a = await call('/status-report', {
        method: 'POST',
        json: { destination: '1', timestamp: '250102030405', status: 3, errorCode: 11 },
      });
      expect(a.status, a.text).to.equal(200);
      const r = await c.nextStatusReport();
      expect(r.status).to.equal(3);
      expect(r.statusErrorCode).to.equal(11);
    });

    it('answers 400 for a bad status, timestamp or error code', async () => {
      await loggedIn();
      const base = { destination: '1', timestamp: '250102030405', status: 'delivered' };
      const cases: [unknown, string][] = [
        [
          { ...base, status: 'arrived' },
          '"status" must be one of unknown, in-process, expired, failed, delivered, no-response, last-no-response, cancelled, deleted, deleted-by-cancel, or an integer 0-9',
        ],
        [{ ...base, status: 10 }, /^"status" must be one of/.source],
        [{ destination: '1', timestamp: '250102030405' }, '"status" is required'],
        [
          { ...base, timestamp: '2501' },
          `"timestamp" must be the submit's 060, 12 digits yyMMddHHmmss (got "2501")`,
        ],
        [{ ...base, errorCode: 1000 }, '"errorCode" must be an integer 0-999'],
        [{ ...base, errorCode: '11' }, '"errorCode" must be an integer 0-999'],
      ];
      for (const [json, message] of cases) {
        expect(matchesSchema(json, 'StatusReportRequest'), JSON.stringify(json)).to.equal(false);
        const a = await call('/status-report', { method: 'POST', json });
        expectError(
          a,
          400,
          'ERR_CONTROL_INVALID_BODY',
          message.startsWith('^') ? new RegExp(message) : message,
        );
      }
    });

    it('answers 429 when the session already has maxOutstanding unacknowledged requests', async () => {
      const m = await startMock({ maxOutstanding: 1, ackTimeoutMs: 60_000 });
      const a = await startApi(m);
      const c = await client(m, { autoAck: false });
      await c.login('shop', 'secret');
      const json = { destination: '1', timestamp: '250102030405', status: 4 };
      const first = call('/status-report', { method: 'POST', json }, a);
      await c.nextStatusReport();
      expectError(
        await call('/status-report', { method: 'POST', json }, a),
        429,
        'ERR_SESSION_LIMIT',
      );
      await c.close();
      expectError(await first, 409, 'ERR_SESSION_CLOSED');
    });

    it('answers 404 for an unknown user', async () => {
      expectError(
        await call('/status-report', {
          method: 'POST',
          json: { user: 'nobody', destination: '1', timestamp: '250102030405', status: 4 },
        }),
        404,
        'ERR_SESSION_UNKNOWN',
        'user nobody has no logged-in session',
      );
    });
  });

  describe('PUT /scenario', () => {
    const REJECT_300 = [
      'version: 1',
      'name: outage',
      'rules:',
      '  - id: bad-number',
      '    when: { op: submit, destination: "+35840000300" }',
      '    then: [ { error: { code: 300 } } ]',
      '  - id: accept-submit',
      '    when: { op: submit }',
      '    then: [ { respond: {} } ]',
      '',
    ].join('\n');

    it('swaps the rules: the next submit gets the new answer', async () => {
      const c = await loggedIn();
      expect((await c.submit({ destination: '+35840000300', text: 'a' })).ok).to.equal(true);
      const a = await call('/scenario', {
        method: 'PUT',
        body: REJECT_300,
        headers: { 'content-type': 'application/yaml' },
      });
      expect(a.status, a.text).to.equal(200);
      expectSchema(a.body, 'ScenarioLoaded');
      expect(a.body).to.deep.equal({ name: 'outage', file: 'inline.yaml', rules: 2 });
      const r = await c.submit({ destination: '+35840000300', text: 'b' });
      expect(r.ok).to.equal(false);
      expect(r.errorCode).to.equal(300);
      expect((await c.submit({ destination: '+35840000301', text: 'c' })).ok).to.equal(true);
      const rules = (await call('/rules')).body as {
        scenario: string;
        rules: { id: string; uses: number }[];
      };
      expect(rules.scenario).to.equal('outage');
      // accept-submit is unchanged from the default scenario: its count carries over the swap.
      expect(rules.rules.map((r) => ({ id: r.id, uses: r.uses }))).to.deep.equal([
        { id: 'bad-number', uses: 1 },
        { id: 'accept-submit', uses: 2 },
      ]);
    });

    it('answers 400 with file:line:col issues for an invalid scenario and keeps the old one', async () => {
      const yaml = [
        'version: 1',
        'rules:',
        '  - id: x',
        '    when: { op: nosuchop }',
        '    then: [ { respond: {} } ]',
        '',
      ].join('\n');
      const a = await call('/scenario?file=bad.yaml', { method: 'PUT', body: yaml });
      expect(a.status, a.text).to.equal(400);
      expectSchema(a.body, 'ScenarioInvalid');
      const body = a.body as {
        code: string;
        issues: { file: string; line: number; col: number; message: string }[];
      };
      expect(body.code).to.equal('ERR_SCENARIO_INVALID');
      expect(body.issues).to.have.length.greaterThan(0);
      // `    when: { op: nosuchop }`: the value starts in column 17 of line 4.
      expect(body.issues[0]).to.include({ file: 'bad.yaml', line: 4, col: 17 });
      expect(body.issues[0]!.message).to.match(
        /^rules\[0\]\.when\.op: unknown operation "nosuchop"/,
      );
      expect((await call('/rules')).body).to.have.property('scenario', 'default');
    });

    it('answers 400 with the location of a YAML syntax error', async () => {
      const a = await call('/scenario', {
        method: 'PUT',
        body: 'version: 1\nrules: [\n  { id: a\n',
      });
      expect(a.status, a.text).to.equal(400);
      expectSchema(a.body, 'ScenarioInvalid');
      const issue = (
        a.body as { issues: { file: string; line: number; col: number; message: string }[] }
      ).issues[0]!;
      expect(issue.file).to.equal('inline.yaml');
      // The flow collections are still open at the end of input: line 4, column 1.
      expect(issue).to.include({ line: 4, col: 1 });
      expect(issue.message).to.match(/^YAML syntax error: /);
    });
  });

  describe('PUT /scenario is never a path', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'cimd2-mock-put-'));
    });
    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('treats a body naming an existing scenario file as YAML text, without opening the file', async () => {
      const file = join(dir, 'valid.yaml');
      writeFileSync(
        file,
        'version: 1\nname: from-disk\nrules:\n  - when: { op: submit }\n    then: [ { error: { code: 301 } } ]\n',
      );
      const missing = join(dir, 'missing.yaml');
      const spy = spyOnFileAccess();
      let existing: Answer;
      let absent: Answer;
      try {
        existing = await call('/scenario', { method: 'PUT', body: file });
        absent = await call('/scenario', { method: 'PUT', body: missing });
        expect(spy.paths.filter((p) => p.startsWith(dir))).to.deep.equal([]);
        // The spy does see a real read of the same file.
        await loadScenarioFile(file);
        expect(spy.paths).to.include(file);
      } finally {
        spy.restore();
      }
      for (const a of [existing, absent]) {
        expect(a.status, a.text).to.equal(400);
        expectSchema(a.body, 'ScenarioInvalid');
      }
      // The same answer whether the path exists or not: nothing about the disk leaks.
      expect(existing.body).to.deep.equal(absent.body);
      expect(existing.body).to.deep.equal({
        error: 'invalid scenario',
        code: 'ERR_SCENARIO_INVALID',
        issues: [{ file: 'inline.yaml', line: 1, col: 1, message: 'must be a mapping' }],
      });
      expect((await call('/scenario')).body).to.deep.include({ name: 'default', source: 'file' });
    });

    it('takes ?file= as a label only', async () => {
      const file = join(dir, 'label.yaml');
      writeFileSync(file, 'version: 1\nname: from-disk\nrules: []\n');
      const spy = spyOnFileAccess();
      let a: Answer;
      try {
        a = await call(`/scenario?file=${encodeURIComponent(file)}`, {
          method: 'PUT',
          body: 'version: 1\nname: from-body\nrules: []\n',
        });
        expect(spy.paths.filter((p) => p.startsWith(dir))).to.deep.equal([]);
      } finally {
        spy.restore();
      }
      expect(a.status, a.text).to.equal(200);
      expect(a.body).to.deep.equal({ name: 'from-body', file, rules: 0 });
    });
  });

  describe('GET /scenario', () => {
    it('returns the text, file, name and source of the scenario in force', async () => {
      const a = await call('/scenario');
      expect(a.status, a.text).to.equal(200);
      expectSchema(a.body, 'ScenarioInfo');
      expect(a.body).to.deep.include({ source: 'file', name: 'default', rules: 4 });
      expect((a.body as { text: string }).text).to.equal(mock.scenario.source);
      expect((a.body as { file: string }).file).to.match(/scenarios[\\/]default\.yaml$/);

      const yaml = 'version: 1\nname: swapped\nrules: []\n';
      await call('/scenario?file=swap.yaml', { method: 'PUT', body: yaml });
      const b = await call('/scenario');
      expectSchema(b.body, 'ScenarioInfo');
      expect(b.body).to.deep.equal({
        source: 'api',
        file: 'swap.yaml',
        name: 'swapped',
        rules: 0,
        text: yaml,
      });
    });

    it('records PUTs as scenario-loaded / scenario-rejected with source "api", and emits the rejection', async () => {
      const rejected = once(mock, 'scenario-rejected', { signal: AbortSignal.timeout(3000) });
      const bad = await call('/scenario?file=bad.yaml', { method: 'PUT', body: 'rules: 3\n' });
      expect(bad.status).to.equal(400);
      const [issues, file, source] = (await rejected) as [{ message: string }[], string, string];
      expect([file, source]).to.deep.equal(['bad.yaml', 'api']);
      expect(issues.length).to.be.greaterThan(0);
      await call('/scenario?file=good.yaml', { method: 'PUT', body: 'version: 1\nrules: []\n' });
      const records = mock.transcript.records.filter(
        (r) => r.kind === 'scenario-loaded' || r.kind === 'scenario-rejected',
      );
      expect(records.map((r) => [r.kind, r.file, r.source])).to.deep.equal([
        ['scenario-loaded', mock.transcript.ofKind('scenario-loaded')[0]!.file, 'file'],
        ['scenario-rejected', 'bad.yaml', 'api'],
        ['scenario-loaded', 'good.yaml', 'api'],
      ]);
    });

    it('the watched file wins again at its next change after a PUT', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cimd2-mock-watch-'));
      try {
        const file = join(dir, 's.yaml');
        writeFileSync(file, 'version: 1\nname: on-disk\nrules: []\n');
        const m = await startMock({ scenario: file, watch: true });
        const a = await startApi(m);
        await call('/scenario', { method: 'PUT', body: 'version: 1\nname: put\nrules: []\n' }, a);
        expect((await call('/scenario', {}, a)).body).to.deep.include({
          source: 'api',
          name: 'put',
        });
        const reloaded = once(m, 'scenario-loaded', { signal: AbortSignal.timeout(5000) });
        writeFileSync(file, 'version: 1\nname: edited\nrules: []\n');
        await reloaded;
        expect((await call('/scenario', {}, a)).body).to.deep.include({
          source: 'file',
          name: 'edited',
          file,
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('GET and PUT /state', () => {
    const STATEFUL = [
      'version: 1',
      'rules:',
      '  - id: recover',
      '    whenState: down',
      '    when: { op: submit, destination: "+0" }',
      '    setState: up',
      '    then: [ { respond: {} } ]',
      '  - id: outage',
      '    whenState: down',
      '    when: { op: submit }',
      '    then: [ { error: { code: 300 } } ]',
      '',
    ].join('\n');

    it('GET returns the current state and the states the scenario names', async () => {
      const a = await call('/state');
      expect(a.status, a.text).to.equal(200);
      expectSchema(a.body, 'State');
      expect(a.body).to.deep.equal({ state: 'started', states: ['started'] });
      await call('/scenario', { method: 'PUT', body: STATEFUL });
      expect((await call('/state')).body).to.deep.equal({
        state: 'started',
        states: ['down', 'started', 'up'],
      });
    });

    it('PUT sets the state the next request sees', async () => {
      await call('/scenario', { method: 'PUT', body: STATEFUL });
      const c = await loggedIn();
      expect((await c.submit({ destination: '+1', text: 'x' })).ok).to.equal(true);
      const a = await call('/state', { method: 'PUT', json: { state: 'down' } });
      expect(a.status, a.text).to.equal(200);
      expectSchema(a.body, 'State');
      expect(a.body).to.deep.equal({ state: 'down', states: ['down', 'started', 'up'] });
      expect((await c.submit({ destination: '+1', text: 'x' })).errorCode).to.equal(300);
      expect((await c.submit({ destination: '+0', text: 'x' })).ok).to.equal(true);
      expect((await call('/state')).body).to.have.property('state', 'up');
    });

    it('answers 400 for a state the scenario never names, and keeps the state', async () => {
      await call('/scenario', { method: 'PUT', body: STATEFUL });
      expectError(
        await call('/state', { method: 'PUT', json: { state: 'dwon' } }),
        400,
        'ERR_CONFIG_STATE',
        'state "dwon" is not named by the scenario (states: down, started, up)',
      );
      expect((await call('/state')).body).to.have.property('state', 'started');
    });

    it('answers 400 for a bad body', async () => {
      expectError(
        await call('/state', { method: 'PUT', json: {} }),
        400,
        'ERR_CONTROL_INVALID_BODY',
        '"state" is required',
      );
      expectError(
        await call('/state', { method: 'PUT', json: { state: 1 } }),
        400,
        'ERR_CONTROL_INVALID_BODY',
        '"state" must be a string',
      );
      expectError(
        await call('/state', { method: 'PUT', json: { state: 'started', x: 1 } }),
        400,
        'ERR_CONTROL_INVALID_BODY',
      );
      expectError(
        await call('/state', { method: 'PUT', body: 'started' }),
        400,
        'ERR_CONTROL_BAD_JSON',
      );
    });
  });

  describe('POST /reset', () => {
    it('zeroes the rule counters, keeps the scenario and starts a new epoch', async () => {
      const c = await loggedIn();
      await c.submit({ destination: '1', text: 'x' });
      const a = await call('/reset', { method: 'POST' });
      expect(a.status, a.text).to.equal(200);
      expectSchema(a.body, 'ResetResult');
      expect(a.body).to.deep.equal({
        status: 'ok',
        epoch: 1,
        seq: mock.transcriptAll.ofKind('reset')[0]!.seq,
        cancelled: 0,
        sessionsClosed: 0,
      });
      const rules = (await call('/rules')).body as { scenario: string; rules: { uses: number }[] };
      expect(rules.scenario).to.equal('default');
      expect(rules.rules.map((r) => r.uses)).to.deep.equal([0, 0, 0, 0]);
      expect(mock.sessions()).to.have.length(1);
      const b = await call('/reset', { method: 'POST', json: { sessions: 'keep' } });
      expect(b.body).to.deep.include({ epoch: 2 });
    });

    it('with {"sessions":"close"} closes every session', async () => {
      const c = await loggedIn();
      const a = await call('/reset', { method: 'POST', json: { sessions: 'close' } });
      expect(a.status, a.text).to.equal(200);
      expect(a.body).to.deep.include({ sessionsClosed: 1 });
      await c.whenClosed();
      expect((await call('/sessions')).body).to.deep.equal({ sessions: [] });
    });

    it('cancels a pending status report and records the cancellation', async () => {
      const clock = new ManualClock(Date.UTC(2026, 0, 1));
      const m = await startMock({ clock });
      const a = await startApi(m);
      const c = await loggedIn('shop', m);
      await c.submit({ destination: '+358401234567', text: 'x', statusReportRequest: 14 });
      expect(m.server.pendingItems).to.equal(1);
      const r = await call('/reset', { method: 'POST' }, a);
      expect(r.body).to.deep.include({ cancelled: 1 });
      const all = await call('/transcript?all=true', {}, a);
      const fired = all.text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { kind: string; cancelled?: string })
        .filter((x) => x.kind === 'fired');
      expect(fired.map((x) => x.cancelled)).to.deep.equal(['reset']);
      await clock.advance(60_000);
      expect(m.transcriptAll.frames({ op: 'status-report' })).to.deep.equal([]);
    });

    it('answers 400 for a bad body', async () => {
      expectError(
        await call('/reset', { method: 'POST', json: { sessions: 'drop' } }),
        400,
        'ERR_CONTROL_INVALID_BODY',
        '"sessions" must be "keep" or "close" (got "drop")',
      );
      expectError(
        await call('/reset', { method: 'POST', json: { session: 'close' } }),
        400,
        'ERR_CONTROL_INVALID_BODY',
      );
      expectError(
        await call('/reset', { method: 'POST', body: 'close' }),
        400,
        'ERR_CONTROL_BAD_JSON',
      );
      expect(mock.epoch).to.equal(0);
    });
  });

  describe('robustness', () => {
    it('answers 500 for a bug, reports it to onError, and keeps serving', async () => {
      const errors: Error[] = [];
      const broken = {
        host: '127.0.0.1',
        port: 1,
        epoch: 0,
        lastSeq: 0,
        sessions: () => [],
        scenarioInfo: () => ({ name: 'x', file: 'x.yaml', source: 'api' }),
        stats(): never {
          throw new TypeError('boom');
        },
      } as unknown as MockSmsc;
      const a = await startApi(broken, { onError: (e) => errors.push(e) });
      expectError(await call('/stats', {}, a), 500, 'ERR_CONTROL_INTERNAL', 'internal error: boom');
      expect(errors.map((e) => e.message)).to.deep.equal(['boom']);
      expect((await call('/health', {}, a)).status).to.equal(200);
    });

    it('keeps serving after a request aborted while its MO waits', async () => {
      const c = await client(mock, { autoAck: false });
      await c.login('shop', 'secret');
      const abort = new AbortController();
      const pending = fetch(`${api.url}/deliver`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: '1', to: '2', text: 'x' }),
        signal: abort.signal,
      }).catch((e: unknown) => e);
      await c.nextDeliver();
      abort.abort();
      expect(await pending).to.be.instanceOf(Error);
      expect((await call('/health')).status).to.equal(200);
    });
  });

  describe('routing', () => {
    it('answers 404 for an unknown path', async () => {
      expectError(await call('/nope'), 404, 'ERR_CONTROL_NOT_FOUND', 'no route /nope');
      expectError(await call('/health/'), 404, 'ERR_CONTROL_NOT_FOUND');
    });

    it('answers 405 with an Allow header for a known path and the wrong method', async () => {
      const a = await call('/sessions', { method: 'DELETE' });
      expectError(a, 405, 'ERR_CONTROL_METHOD_NOT_ALLOWED');
      expect(a.headers.get('allow')).to.equal('GET');
      const b = await call('/deliver');
      expectError(
        b,
        405,
        'ERR_CONTROL_METHOD_NOT_ALLOWED',
        'GET is not allowed on /deliver (allowed: POST)',
      );
      expect(b.headers.get('allow')).to.equal('POST');
      expect(
        (await call('/scenario', { method: 'POST', body: 'x' })).headers.get('allow'),
      ).to.equal('GET, PUT');
      expect((await call('/state', { method: 'DELETE' })).headers.get('allow')).to.equal(
        'GET, PUT',
      );
    });

    it('serves exactly the paths and methods of the OpenAPI description', async () => {
      const documented = Object.entries(openapi.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
      );
      expect(documented.sort()).to.deep.equal(
        [
          'GET /faults',
          'POST /faults',
          'DELETE /faults',
          'GET /health',
          'GET /sessions',
          'GET /stats',
          'GET /rules',
          'GET /transcript',
          'GET /findings',
          'POST /deliver',
          'POST /status-report',
          'GET /scenario',
          'PUT /scenario',
          'GET /state',
          'PUT /state',
          'POST /reset',
          'GET /messages',
          'DELETE /messages',
          'GET /messages/{id}',
          'GET /mo',
          'GET /mo/{id}',
          'GET /events',
          'DELETE /sessions/{id}',
          'POST /scenario/validate',
          'GET /login',
          'POST /login',
          'POST /logout',
          'GET /',
        ].sort(),
      );
      for (const entry of documented) {
        const [method, path] = entry.split(' ') as [string, string];
        if (path === '/events') {
          // A stream that never ends: its headers are the answer.
          const ac = new AbortController();
          const res = await fetch(`${api.url}${path}`, { signal: ac.signal });
          expect(res.status, entry).to.equal(200);
          ac.abort();
          continue;
        }
        const a = await call(path, { method, ...(method === 'GET' ? {} : { body: '{}' }) });
        const code = (a.body as Partial<ErrorBody> | undefined)?.code;
        expect(code, `${entry}: ${a.text}`).to.not.be.oneOf([
          'ERR_CONTROL_NOT_FOUND',
          'ERR_CONTROL_METHOD_NOT_ALLOWED',
        ]);
      }
    });
  });

  describe('body limit', () => {
    it('answers 413 for a declared body over the limit', async () => {
      const small = await startApi(mock, { bodyLimitBytes: 64 });
      const a = await call(
        '/deliver',
        { method: 'POST', json: { from: '1', to: '2', text: 'x'.repeat(100) } },
        small,
      );
      expectError(a, 413, 'ERR_CONTROL_BODY_TOO_LARGE', 'body larger than 64 bytes');
    });

    it('answers 413 for a streamed body that grows over the limit', async () => {
      const small = await startApi(mock, { bodyLimitBytes: 1024 });
      const chunk = new TextEncoder().encode('x'.repeat(512));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 4) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const a = await call('/scenario', { method: 'PUT', body: stream, duplex: 'half' }, small);
      expectError(a, 413, 'ERR_CONTROL_BODY_TOO_LARGE');
    });

    it('accepts a body of exactly the limit', async () => {
      const small = await startApi(mock, { bodyLimitBytes: 64 });
      const a = await call('/reset', { method: 'POST', body: ' '.repeat(64) }, small);
      expect(a.status).to.equal(200);
    });
  });

  describe('bearer token', () => {
    let secured: ControlApi;
    beforeEach(async () => {
      secured = await startApi(mock, { token: 's3cret-token' });
    });

    it('answers 401 without a token', async () => {
      const a = await call('/health', {}, secured);
      expectError(a, 401, 'ERR_CONTROL_UNAUTHORIZED', 'missing bearer token');
      expect(a.headers.get('www-authenticate')).to.equal('Bearer realm="cimd2-mock"');
    });

    it('answers 401 with a wrong token, also one of another length', async () => {
      for (const token of ['s3cret-tokem', 'x', 's3cret-token-longer']) {
        const a = await call('/health', { headers: { authorization: `Bearer ${token}` } }, secured);
        expectError(a, 401, 'ERR_CONTROL_UNAUTHORIZED', 'invalid bearer token');
      }
      const basic = await call(
        '/health',
        { headers: { authorization: 'Basic czNjcmV0' } },
        secured,
      );
      expectError(basic, 401, 'ERR_CONTROL_UNAUTHORIZED', 'invalid bearer token');
    });

    it('answers 401 before routing, so unknown paths do not leak', async () => {
      expectError(await call('/nope', {}, secured), 401, 'ERR_CONTROL_UNAUTHORIZED');
    });

    it('answers 200 with the right token', async () => {
      const auth = { authorization: 'Bearer s3cret-token' };
      expect((await call('/health', { headers: auth }, secured)).status).to.equal(200);
      const c = await loggedIn();
      const a = await call(
        '/deliver',
        { method: 'POST', headers: auth, json: { from: '1', to: '2', text: 'authorised' } },
        secured,
      );
      expect(a.status, a.text).to.equal(200);
      expect((await c.nextMessage()).text).to.equal('authorised');
    });
  });
});
