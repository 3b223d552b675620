/**
 * The control API within a browser's reach: crafted requests (explicit Host, Origin and
 * Content-Type headers, as a web page or a DNS-rebinding page would send them) against a real
 * MockSmsc and control API over TCP on 127.0.0.1.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { createMockSmsc, type MockSmsc } from '../../src/mock-smsc.js';
import { startControlApi, type ControlApi, type ControlApiOptions } from '../../src/control-api.js';
import { ConfigError } from '../../src/errors.js';

interface RawAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  readonly body: { error?: string; code?: string } & Record<string, unknown>;
}

interface RawRequest {
  readonly method?: string;
  readonly path?: string;
  /** Exact headers (Node adds Host only when none is given). */
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** One request with exactly the headers given. */
function raw(api: ControlApi, r: RawRequest): Promise<RawAnswer> {
  const headers: Record<string, string> = { ...r.headers };
  if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: api.port,
        method: r.method ?? 'GET',
        path: r.path ?? '/health',
        headers,
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          const json = (res.headers['content-type'] ?? '').startsWith('application/json');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            body: json ? (JSON.parse(text) as RawAnswer['body']) : {},
          });
        });
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}

const corsHeaders = (a: RawAnswer): string[] =>
  Object.keys(a.headers).filter((h) => h.startsWith('access-control-'));

describe('control API in reach of a browser (Host, Origin, Content-Type, CORS)', () => {
  let mock: MockSmsc;
  let api: ControlApi;
  const apis: ControlApi[] = [];

  async function startApi(options: ControlApiOptions = {}): Promise<ControlApi> {
    const a = await startControlApi(mock, { port: 0, ...options });
    apis.push(a);
    return a;
  }

  beforeEach(async () => {
    mock = await createMockSmsc({ port: 0, stopGraceMs: 0 });
    api = await startApi();
  });

  afterEach(async () => {
    for (const a of apis.splice(0)) await a.close();
    await mock.stop();
  });

  const resetJson = (origin?: string): RawRequest => ({
    method: 'POST',
    path: '/reset',
    headers: {
      'content-type': 'application/json',
      ...(origin !== undefined ? { origin } : {}),
    },
    body: '{}',
  });

  describe('Host (DNS rebinding)', () => {
    it("answers the server's own names: the bound address, localhost, 127.0.0.1, [::1], with or without the port", async () => {
      for (const host of [
        `127.0.0.1:${api.port}`,
        '127.0.0.1',
        `localhost:${api.port}`,
        'LOCALHOST',
        `[::1]:${api.port}`,
        '[::1]',
      ]) {
        const a = await raw(api, { headers: { host } });
        expect(a.status, host).to.equal(200);
        expect(a.body).to.deep.include({ status: 'ok' });
      }
    });

    it('answers 421 ERR_CONTROL_HOST to a foreign Host, on every route, and reveals nothing', async () => {
      for (const path of ['/health', '/transcript', '/scenario', '/sessions', '/stats']) {
        const a = await raw(api, { path, headers: { host: `evil.example:${api.port}` } });
        expect(a.status, path).to.equal(421);
        expect(a.body.code).to.equal('ERR_CONTROL_HOST');
        expect(a.body.error).to.include(
          `Host "evil.example:${api.port}" is not a name of this server`,
        );
        expect(a.text).to.not.include('server-start');
        expect(a.text).to.not.include('rules');
      }
      const reset = await raw(api, {
        ...resetJson(),
        headers: { host: 'evil.example', 'content-type': 'application/json' },
      });
      expect(reset.status).to.equal(421);
      expect(mock.epoch).to.equal(0);
    });

    it('refuses a loopback name on another port, look-alike names and garbage', async () => {
      for (const host of [
        `127.0.0.1:${api.port + 1 === 65536 ? 1 : api.port + 1}`,
        `localhost.evil.example:${api.port}`,
        `127.0.0.1.nip.io:${api.port}`,
        `127.0.0.2:${api.port}`,
        'local host',
        `[::2]:${api.port}`,
      ]) {
        const a = await raw(api, { headers: { host } });
        expect(a.status, JSON.stringify(host)).to.equal(421);
        expect(a.body.code).to.equal('ERR_CONTROL_HOST');
      }
    });

    it('answers the names given in allowHosts: NAME on the bound port, NAME:PORT exactly', async () => {
      const a = await startApi({ allowHosts: ['smsc.test', 'proxy.test:8080'] });
      expect((await raw(a, { headers: { host: `smsc.test:${a.port}` } })).status).to.equal(200);
      expect((await raw(a, { headers: { host: 'SMSC.test' } })).status).to.equal(200);
      expect((await raw(a, { headers: { host: 'proxy.test:8080' } })).status).to.equal(200);
      expect((await raw(a, { headers: { host: `proxy.test:${a.port}` } })).status).to.equal(421);
      expect((await raw(a, { headers: { host: 'smsc.test:8080' } })).status).to.equal(421);
    });

    it('accepts an HTTP/1.0 request without Host (browsers always send one)', async () => {
      const socket = net.connect(api.port, '127.0.0.1');
      socket.end('GET /health HTTP/1.0\r\n\r\n');
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (text += d));
      await once(socket, 'close');
      expect(text).to.match(/^HTTP\/1\.1 200 /);
      expect(text).to.include('{"status":"ok",');
    });

    it('with a token, any Host carrying the token is answered (a rebound page cannot send it)', async () => {
      const a = await startApi({ token: 't0ken' });
      const foreign = { host: 'evil.example' };
      const none = await raw(a, { headers: foreign });
      expect(none.status).to.equal(401);
      const ok = await raw(a, { headers: { ...foreign, authorization: 'Bearer t0ken' } });
      expect(ok.status).to.equal(200);
    });
  });

  describe('Content-Type of state changes', () => {
    it('answers 415 to the bodies a page can send without a preflight, and changes nothing', async () => {
      for (const type of [
        'text/plain',
        'text/plain;charset=UTF-8',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
      ]) {
        const a = await raw(api, {
          method: 'POST',
          path: '/reset',
          headers: { 'content-type': type },
          body: '{"sessions":"close"}',
        });
        expect(a.status, type).to.equal(415);
        expect(a.body.code).to.equal('ERR_CONTROL_CONTENT_TYPE');
        expect(a.body.error).to.include('send application/json');
      }
      const deliver = await raw(api, {
        method: 'POST',
        path: '/deliver',
        headers: { 'content-type': 'text/plain' },
        body: '{"from":"1","to":"2","text":"hi"}',
      });
      expect(deliver.status).to.equal(415);
      const state = await raw(api, {
        method: 'PUT',
        path: '/state',
        headers: { 'content-type': 'application/yaml' },
        body: '{"state":"started"}',
      });
      expect(state.status).to.equal(415);
      expect(mock.epoch).to.equal(0);
      expect(mock.transcriptAll.records.filter((r) => r.kind === 'reset')).to.have.length(0);
    });

    it('answers 415 to a body without a Content-Type', async () => {
      const a = await raw(api, { method: 'POST', path: '/reset', body: '{}' });
      expect(a.status).to.equal(415);
      expect(a.body.error).to.equal(
        'Content-Type (none) is not accepted here: send application/json',
      );
    });

    it('accepts application/json (with parameters) and a POST without any body (curl -X POST)', async () => {
      const a = await raw(api, {
        method: 'POST',
        path: '/reset',
        headers: { 'content-type': 'Application/JSON; charset=utf-8' },
        body: '{}',
      });
      expect(a.status).to.equal(200);
      const b = await raw(api, { method: 'POST', path: '/reset' });
      expect(b.status).to.equal(200);
      expect(mock.epoch).to.equal(2);
    });

    it('PUT /scenario takes YAML types and JSON, and refuses text/plain', async () => {
      const yaml = (name: string): string => `version: 1\nname: ${name}\nrules: []\n`;
      for (const type of ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml']) {
        const name = `t-${type.replace(/\W/g, '-')}`;
        const a = await raw(api, {
          method: 'PUT',
          path: '/scenario',
          headers: { 'content-type': type },
          body: yaml(name),
        });
        expect(a.status, type).to.equal(200);
        expect(mock.scenario.name).to.equal(name);
      }
      const json = await raw(api, {
        method: 'PUT',
        path: '/scenario',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ version: 1, name: 'as-json', rules: [] }),
      });
      expect(json.status).to.equal(200);
      expect(mock.scenario.name).to.equal('as-json');
      const plain = await raw(api, {
        method: 'PUT',
        path: '/scenario',
        headers: { 'content-type': 'text/plain' },
        body: yaml('plain'),
      });
      expect(plain.status).to.equal(415);
      expect(plain.body.error).to.include('application/yaml');
      expect(mock.scenario.name).to.equal('as-json');
    });

    it('routes first: an unknown path is 404 and a wrong method 405, whatever the type', async () => {
      const a = await raw(api, {
        method: 'POST',
        path: '/nope',
        headers: { 'content-type': 'text/plain' },
        body: 'x',
      });
      expect(a.body.code).to.equal('ERR_CONTROL_NOT_FOUND');
      const b = await raw(api, {
        method: 'POST',
        path: '/state',
        headers: { 'content-type': 'text/plain' },
        body: 'x',
      });
      expect(b.body.code).to.equal('ERR_CONTROL_METHOD_NOT_ALLOWED');
    });
  });

  describe('Origin of state changes', () => {
    it('answers 403 ERR_CONTROL_ORIGIN to a cross-origin POST, even with the right type', async () => {
      for (const origin of [
        'http://evil.example',
        'null',
        `http://localhost:${api.port === 3000 ? 3001 : 3000}`,
        `https://127.0.0.1:${api.port}`,
        `http://127.0.0.1`,
      ]) {
        const a = await raw(api, resetJson(origin));
        expect(a.status, origin).to.equal(403);
        expect(a.body.code).to.equal('ERR_CONTROL_ORIGIN');
        expect(a.body.error).to.include(`from ${JSON.stringify(origin)} refused`);
        expect(corsHeaders(a)).to.deep.equal([]);
      }
      expect(mock.epoch).to.equal(0);
    });

    it('refuses the text/plain CSRF POST of a web page (Origin checked first: 403)', async () => {
      const a = await raw(api, {
        method: 'POST',
        path: '/deliver',
        headers: { origin: 'http://evil.example', 'content-type': 'text/plain;charset=UTF-8' },
        body: '{"from":"1","to":"2","text":"injected"}',
      });
      expect(a.status).to.equal(403);
      expect(mock.stats().delivers).to.equal(0);
    });

    it("accepts the server's own origin and no Origin at all (curl, scripts)", async () => {
      for (const origin of [`http://127.0.0.1:${api.port}`, `http://localhost:${api.port}`]) {
        expect((await raw(api, resetJson(origin))).status, origin).to.equal(200);
      }
      expect((await raw(api, resetJson())).status).to.equal(200);
      expect(mock.epoch).to.equal(3);
    });

    it('leaves reads alone (the browser cannot read the answer without CORS headers)', async () => {
      const a = await raw(api, { path: '/stats', headers: { origin: 'http://evil.example' } });
      expect(a.status).to.equal(200);
      expect(corsHeaders(a)).to.deep.equal([]);
    });
  });

  describe('CORS', () => {
    it('sends no Access-Control header by default, not even to a preflight', async () => {
      const pre = await raw(api, {
        method: 'OPTIONS',
        path: '/reset',
        headers: {
          origin: 'http://localhost:5173',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(pre.status).to.equal(405);
      expect(corsHeaders(pre)).to.deep.equal([]);
      const get = await raw(api, { path: '/health', headers: { origin: 'http://localhost:5173' } });
      expect(corsHeaders(get)).to.deep.equal([]);
    });

    it('with corsOrigin: answers its preflight, echoes exactly it, and lets it change state', async () => {
      const app = 'http://localhost:5173';
      const a = await startApi({ corsOrigin: app });
      const pre = await raw(a, {
        method: 'OPTIONS',
        path: '/reset',
        headers: {
          origin: app,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(pre.status).to.equal(204);
      expect(pre.headers['access-control-allow-origin']).to.equal(app);
      expect(pre.headers['access-control-allow-methods']).to.equal('GET, POST, PUT, DELETE');
      expect(pre.headers['access-control-allow-headers']).to.equal(
        'Authorization, Content-Type, X-Cimd2-Mock, Last-Event-ID',
      );
      expect(pre.headers.vary).to.equal('Origin');
      const post = await raw(a, resetJson(app));
      expect(post.status).to.equal(200);
      expect(post.headers['access-control-allow-origin']).to.equal(app);
      const read = await raw(a, { path: '/transcript', headers: { origin: app } });
      expect(read.headers['access-control-allow-origin']).to.equal(app);
      expect(read.headers['access-control-expose-headers']).to.equal('X-Last-Seq');
      expect(mock.epoch).to.equal(1);
    });

    it('with corsOrigin: another origin gets no CORS header, 403 on its preflight and state changes', async () => {
      const a = await startApi({ corsOrigin: 'http://localhost:5173' });
      const pre = await raw(a, {
        method: 'OPTIONS',
        path: '/reset',
        headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(pre.status).to.not.equal(204);
      expect(corsHeaders(pre)).to.deep.equal([]);
      const post = await raw(a, resetJson('http://evil.example'));
      expect(post.status).to.equal(403);
      expect(corsHeaders(post)).to.deep.equal([]);
      const read = await raw(a, { path: '/health', headers: { origin: 'http://evil.example' } });
      expect(corsHeaders(read)).to.deep.equal([]);
      expect(mock.epoch).to.equal(0);
    });

    it('with a token, the preflight is answered without one (browsers never send it) but requests still need it', async () => {
      const app = 'https://dashboard.example';
      const a = await startApi({ corsOrigin: app, token: 't0ken' });
      const pre = await raw(a, {
        method: 'OPTIONS',
        path: '/deliver',
        headers: { origin: app, 'access-control-request-method': 'POST' },
      });
      expect(pre.status).to.equal(204);
      expect((await raw(a, resetJson(app))).status).to.equal(401);
      const ok = await raw(a, {
        ...resetJson(app),
        headers: { origin: app, 'content-type': 'application/json', authorization: 'Bearer t0ken' },
      });
      expect(ok.status).to.equal(200);
    });

    it('refuses bad corsOrigin and allowHosts values with a ConfigError', async () => {
      for (const corsOrigin of ['http://x.example/app', '*', 'localhost:5173', 'ftp://x.example']) {
        const error = await startControlApi(mock, { port: 0, corsOrigin }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, corsOrigin).to.be.instanceOf(ConfigError);
        expect((error as ConfigError).code).to.equal('ERR_CONFIG_ADMIN_CORS');
      }
      for (const host of ['', 'a b', 'http://x.example', 'x.example:99999', 'x/y']) {
        const error = await startControlApi(mock, { port: 0, allowHosts: [host] }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, host).to.be.instanceOf(ConfigError);
        expect((error as ConfigError).code).to.equal('ERR_CONFIG_ADMIN_ALLOW_HOST');
      }
    });
  });

  it('the OpenAPI description documents 421 on every operation, 403 and 415 on state changes', () => {
    const openapi = JSON.parse(
      readFileSync(new URL('../../schemas/control-api.openapi.json', import.meta.url), 'utf8'),
    ) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    for (const [path, ops] of Object.entries(openapi.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const codes = Object.keys(op.responses);
        expect(codes, `${method} ${path}`).to.include('421');
        if (method !== 'get') expect(codes, `${method} ${path}`).to.include.members(['403', '415']);
      }
    }
  });

  describe('GET /scenario with redactPasswords', () => {
    const SCENARIO = [
      'version: 1',
      'name: secrets',
      'accounts:',
      '  - user: shop',
      '    password: "acc-Pw1"   # a comment stays',
      '  - { user: other, password: acc-Pw2 }',
      'rules:',
      '  - id: by-password',
      '    when: { op: login, password: { prefix: rule-Pw3, in: [rule-Pw4, "rule-Pw5"] } }',
      '    then: [{ respond: {} }]',
      '  - id: by-param',
      '    when:',
      '      op: login',
      '      param: { "011": rule-Pw6 }',
      '    then: [{ respond: {} }]',
      '',
    ].join('\n');
    const SECRETS = ['acc-Pw1', 'acc-Pw2', 'rule-Pw3', 'rule-Pw4', 'rule-Pw5', 'rule-Pw6'];

    it('writes *** for every password value, keeping the rest of the text and its lines', async () => {
      await mock.useScenario({ yaml: SCENARIO, file: 'secrets.yaml' });
      const a = await startApi({ redactPasswords: true });
      const answer = await raw(a, { path: '/scenario' });
      const text = answer.body['text'] as string;
      for (const s of SECRETS) expect(text).to.not.include(s);
      expect(text.split('\n')).to.have.length(SCENARIO.split('\n').length);
      expect(text).to.include('    password: "***"   # a comment stays');
      expect(text).to.include('  - { user: other, password: "***" }');
      expect(text).to.include('password: { prefix: "***", in: ["***", "***"] }');
      expect(text).to.include('param: { "011": "***" }');
      expect(text).to.include('user: shop');
      // Without redaction the text is the file as given.
      const plain = await raw(api, { path: '/scenario' });
      expect(plain.body['text']).to.equal(SCENARIO);
    });

    it("follows the mock's own redactPasswords by default", async () => {
      const m = await createMockSmsc({ port: 0, stopGraceMs: 0, redactPasswords: true });
      try {
        await m.useScenario({ yaml: SCENARIO, file: 'secrets.yaml' });
        const a = await startControlApi(m, { port: 0 });
        apis.push(a);
        const text = (await raw(a, { path: '/scenario' })).body['text'] as string;
        for (const s of SECRETS) expect(text).to.not.include(s);
      } finally {
        for (const x of apis.splice(0)) await x.close();
        await m.stop();
      }
    });
  });
});
