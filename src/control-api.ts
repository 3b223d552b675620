/**
 * The HTTP control API of a running mock SMSC: health, sessions, counters, rule use counts and
 * the live transcript (current epoch, or every record with `?all=true`); MO (op 20) and status
 * report (op 23) injection; scenario read and swap, scenario state read and set, and reset (a
 * new epoch). Plain `node:http`, JSON in and out, JSON errors.
 *
 * The full contract (routes, bodies, errors, auth) is `schemas/control-api.openapi.json`.
 *
 * Over 500 lines on purpose: one handler per route with its body checks, read top to bottom
 * beside the OpenAPI document; the browser rules live in control/http-guard.ts.
 */
import http from 'node:http';
import net from 'node:net';
import {
  ConfigError,
  EncodingError,
  FrameError,
  LimitError,
  SessionClosedError,
  UnknownSessionError,
} from './errors.js';
import type { DeliverRequest, MockSmsc, StatusReportRequest } from './mock-smsc.js';
import { STATUS_NAMES, statusByName } from './protocol/status-codes.js';
import { TEXT_ENCODINGS, type TextEncoding } from './protocol/encodings.js';
import { ScenarioError } from './scenario/index.js';
import { HttpGuard, JSON_TYPES, type GuardRefusal, SCENARIO_TYPES } from './control/http-guard.js';
import { redactScenarioText } from './control/redact-scenario.js';
import { FaultsBodyError, faultsJson, parseFaultsBody } from './control/faults-body.js';
import type { ConnectionFaultSpec } from './server/connection-faults.js';
import { checkIdProblem } from './transcript/finding-checks.js';
import {
  HttpError,
  drained,
  invalid,
  parseJsonObject,
  readBodyText,
  sendJson,
  type RouteRequest,
} from './control/http-util.js';
import { ConsoleAuth, type AuthVia } from './control/console-auth.js';
import {
  LOGIN_TYPES,
  deleteSession,
  getConsole,
  getHealthView,
  getLogin,
  getRuleViews,
  getSessionViews,
  getStatsView,
  postLogin,
  postLogout,
  postScenarioValidate,
  serveConsole,
} from './control/console-routes.js';
import { EventHub, getEvents } from './control/events-sse.js';
import {
  Inbox,
  deleteMessages,
  getMessage,
  getMessages,
  getMo,
  getMoMessage,
} from './control/inbox-routes.js';
import { ConsoleFiles } from './control/static-console.js';

/** Options of {@link startControlApi}. */
export interface ControlApiOptions {
  /** Bind address (default: the mock's host). Beyond loopback a `token` is required. */
  readonly host?: string;
  /** TCP port (default 0 = ephemeral; the real one is in `ControlApi.port`). */
  readonly port?: number;
  /** Bearer token every request must carry (`Authorization: Bearer TOKEN`) when set. */
  readonly token?: string;
  /** Largest request body accepted; bigger ones get 413 (default 1 MiB). */
  readonly bodyLimitBytes?: number;
  /** Called with unexpected errors (bugs), which are answered 500. */
  readonly onError?: (error: Error) => void;
  /**
   * More `Host` names to answer without a token (`NAME` on the bound port, or `NAME:PORT`).
   * Always answered: the bound address, `localhost`, `127.0.0.1`, `[::1]` (without a port or
   * with the bound one). Other names get 421 (DNS rebinding protection). Unused with a token.
   */
  readonly allowHosts?: readonly string[];
  /**
   * The one web origin (`scheme://host[:port]`) allowed to call the API from a browser: it gets
   * `Access-Control-Allow-Origin`, its preflights are answered and it may change state. Without
   * it, no CORS header is ever sent and cross-origin state changes get 403.
   */
  readonly corsOrigin?: string;
  /**
   * Write `***` for passwords in `GET /scenario`'s text (`password:` values and `"011"`
   * parameter values). Default: the mock's own `redactPasswords`.
   */
  readonly redactPasswords?: boolean;
  /**
   * Folder of the web console's built files, listed and read once at start (default: the
   * package's `dist/console/`; when missing, `/` answers a placeholder page).
   */
  readonly consoleDir?: string;
}

/** A running control API. */
export interface ControlApi {
  /** Bound host, as given. */
  readonly host: string;
  /** Bound port (the real one when 0 was asked). */
  readonly port: number;
  /** Base URL, e.g. `http://127.0.0.1:40123` (IPv6 hosts in brackets). */
  readonly url: string;
  /** Stops listening and drops open connections (pending requests are cut). Idempotent. */
  close(): Promise<void>;
}

/** Default request body limit: 1 MiB. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/** The text encodings `POST /deliver` accepts (docs/protocol.md#text-and-data-coding). */
export const DELIVER_ENCODINGS: readonly TextEncoding[] = TEXT_ENCODINGS;

/**
 * True for hosts that only this machine can reach: `localhost`, `127.0.0.0/8`, `::1` (also
 * written out or IPv4-mapped). Anything else, including `0.0.0.0` and `::`, is not loopback.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  return net.isIPv4(v4) && v4.startsWith('127.');
}

/**
 * Starts the HTTP control API for `mock` and resolves once it listens.
 *
 * Guarantees: every route of the OpenAPI description answers as described; errors are JSON
 * `{ error, code }` with 400 (bad JSON or fields), 401 (token set and missing or wrong; compared
 * in constant time), 404 (unknown path, unknown session or user), 405 (with `Allow`), 409 (the
 * session closed while an injected frame waited for its answer), 413 (body over the limit);
 * 500 only for bugs. A bad request never takes the process down.
 *
 * Throws ConfigError `ERR_CONFIG_ADMIN_TOKEN` when asked to bind beyond loopback without a
 * token, `ERR_CONFIG_ADMIN_PORT` / `ERR_CONFIG_ADMIN_BODY_LIMIT` for bad options, and
 * `ERR_CONFIG_ADMIN_LISTEN` when the port cannot be bound.
 */
export async function startControlApi(
  mock: MockSmsc,
  options: ControlApiOptions = {},
): Promise<ControlApi> {
  const host = options.host ?? mock.host;
  const port = options.port ?? 0;
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(
      `admin port must be an integer 0-65535, got ${port}`,
      'ERR_CONFIG_ADMIN_PORT',
    );
  }
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1) {
    throw new ConfigError(
      `admin body limit must be a positive integer, got ${bodyLimit}`,
      'ERR_CONFIG_ADMIN_BODY_LIMIT',
    );
  }
  if (options.token?.length === 0) {
    throw new ConfigError('admin token must not be empty', 'ERR_CONFIG_ADMIN_TOKEN');
  }
  if (options.token === undefined && !isLoopbackHost(host)) {
    throw new ConfigError(
      `refusing to serve the control API on ${host} without a token: set an admin token or bind to 127.0.0.1`,
      'ERR_CONFIG_ADMIN_TOKEN',
    );
  }

  const guardOptions = {
    host,
    allowHosts: options.allowHosts ?? [],
    ...(options.corsOrigin !== undefined ? { corsOrigin: options.corsOrigin } : {}),
    checkHost: options.token === undefined,
  };
  // Checks the options before binding; rebuilt with the real port once bound.
  let guard = new HttpGuard({ ...guardOptions, port });
  const ctx: Context = {
    mock,
    bodyLimit,
    onError: options.onError,
    redactPasswords: options.redactPasswords ?? mock.redactPasswords,
    inbox: new Inbox(mock),
    events: new EventHub(mock),
    files: new ConsoleFiles(options.consoleDir),
    // Rebuilt with the real port once bound (the cookie is named after it).
    auth: new ConsoleAuth(options.token, port),
    startedAt: Date.now(),
  };
  const server = http.createServer((req, res) => {
    handle(ctx, guard, req, res).catch((error: unknown) => {
      // handle() answers its own errors; this is a last resort so a bug never crashes the process.
      const e = error instanceof Error ? error : new Error(String(error));
      options.onError?.(e);
      if (!res.headersSent) sendJson(res, 500, { error: e.message, code: 'ERR_CONTROL_INTERNAL' });
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    const e = error as NodeJS.ErrnoException;
    throw new ConfigError(
      e.code === 'EADDRINUSE'
        ? `admin port ${port} on ${host} is already in use`
        : `cannot serve the control API on ${host}:${port}: ${e.message}`,
      'ERR_CONFIG_ADMIN_LISTEN',
      { cause: error },
    );
  });
  server.on('error', (e) => options.onError?.(e));

  const bound = (server.address() as net.AddressInfo).port;
  guard = new HttpGuard({ ...guardOptions, port: bound });
  ctx.auth = new ConsoleAuth(options.token, bound);
  let closed: Promise<void> | undefined;
  return {
    host,
    port: bound,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        ctx.events.close();
        ctx.inbox.close();
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

// ------------------------------------------------------------------ plumbing

interface Context {
  readonly mock: MockSmsc;
  readonly bodyLimit: number;
  readonly onError: ((error: Error) => void) | undefined;
  readonly redactPasswords: boolean;
  readonly inbox: Inbox;
  readonly events: EventHub;
  readonly files: ConsoleFiles;
  auth: ConsoleAuth;
  readonly startedAt: number;
}

type Request = RouteRequest<Context>;

type Handler = (r: Request) => Promise<void>;

const ROUTES: Readonly<Record<string, Readonly<Partial<Record<string, Handler>>>>> = {
  '/health': { GET: getHealthView },
  '/sessions': { GET: getSessionViews },
  '/stats': { GET: getStatsView },
  '/rules': { GET: getRuleViews },
  '/transcript': { GET: getTranscript },
  '/findings': { GET: getFindings },
  '/deliver': { POST: postDeliver },
  '/status-report': { POST: postStatusReport },
  '/scenario': { GET: getScenario, PUT: putScenario },
  '/state': { GET: getState, PUT: putState },
  '/reset': { POST: postReset },
  '/faults': { GET: getFaults, POST: postFaults, DELETE: deleteFaults },
  // The inbox, events and console (src/control/).
  '/messages': { GET: getMessages, DELETE: deleteMessages },
  '/mo': { GET: getMo },
  '/events': { GET: getEvents },
  '/scenario/validate': { POST: postScenarioValidate },
  '/login': { GET: getLogin, POST: postLogin },
  '/logout': { POST: postLogout },
  '/': { GET: getConsole },
};

/** Routes with an id in their path (`{id}`: one path segment). */
const PATTERN_ROUTES: readonly {
  readonly pattern: RegExp;
  readonly methods: Readonly<Partial<Record<string, Handler>>>;
}[] = [
  { pattern: /^\/messages\/[^/]+$/, methods: { GET: getMessage } },
  { pattern: /^\/mo\/[^/]+$/, methods: { GET: getMoMessage } },
  { pattern: /^\/sessions\/[^/]+$/, methods: { DELETE: deleteSession } },
];

/** Media types of a state change's body, by path. */
function bodyTypes(path: string): readonly string[] {
  if (path === '/scenario' || path === '/scenario/validate') return SCENARIO_TYPES;
  if (path === '/login') return LOGIN_TYPES;
  return JSON_TYPES;
}

/**
 * Order: Host (421, without a token), CORS preflight, the console's pages (their own login
 * rules), token or cookie (401), route (404, 405), Origin and Sec-Fetch-Site of a state change
 * (403), its Content-Type (415), the CSRF header of a cookie-authenticated state change (403),
 * then the route itself.
 */
async function handle(
  ctx: Context,
  guard: HttpGuard,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  try {
    refuse(guard.checkHostHeader(req));
    if (guard.cors(req, res)) return;
    const r: Request = { ctx, req, res, query, path };
    if (serveConsole(r)) return;
    const open = path === '/login' && (req.method === 'GET' || req.method === 'POST');
    const via: AuthVia = open ? 'open' : ctx.auth.authenticate(req);
    const route = Object.hasOwn(ROUTES, path)
      ? ROUTES[path]
      : PATTERN_ROUTES.find((p) => p.pattern.test(path))?.methods;
    if (route === undefined) {
      throw new HttpError(404, 'ERR_CONTROL_NOT_FOUND', `no route ${path}`);
    }
    const handler = route[req.method ?? ''];
    if (handler === undefined) {
      const allow = Object.keys(route).join(', ');
      throw new HttpError(
        405,
        'ERR_CONTROL_METHOD_NOT_ALLOWED',
        `${req.method ?? '?'} is not allowed on ${path} (allowed: ${allow})`,
        { headers: { Allow: allow } },
      );
    }
    refuse(guard.checkStateChange(req, bodyTypes(path)));
    ctx.auth.checkCsrf(req, via);
    await handler(r);
  } catch (error) {
    const e = toHttpError(error);
    if (e.status === 500) ctx.onError?.(error instanceof Error ? error : new Error(String(error)));
    if (res.headersSent) {
      res.destroy();
      return;
    }
    for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
    sendJson(res, e.status, { error: e.message, code: e.code, ...e.extra });
  }
}

function refuse(refusal: GuardRefusal | undefined): void {
  if (refusal !== undefined) throw new HttpError(refusal.status, refusal.code, refusal.message);
}

function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof ScenarioError) {
    return new HttpError(400, error.code, 'invalid scenario', {
      extra: {
        issues: error.issues.map((i) => ({
          file: i.file,
          line: i.line,
          col: i.col,
          message: i.message,
        })),
      },
    });
  }
  if (error instanceof UnknownSessionError) return new HttpError(404, error.code, error.message);
  if (error instanceof SessionClosedError) return new HttpError(409, error.code, error.message);
  // The session's queue of unacknowledged server requests is full: back off and retry.
  if (error instanceof LimitError) return new HttpError(429, error.code, error.message);
  if (error instanceof EncodingError || error instanceof FrameError) {
    return new HttpError(400, error.code, error.message);
  }
  if (error instanceof ConfigError) return new HttpError(400, error.code, error.message);
  const message = error instanceof Error ? error.message : String(error);
  return new HttpError(500, 'ERR_CONTROL_INTERNAL', `internal error: ${message}`);
}

/** Reads the body as UTF-8 text, refusing more than the limit (413). */
function readText(r: Request): Promise<string> {
  return readBodyText(r.req, r.ctx.bodyLimit);
}

/** Reads a JSON object body (an empty body reads as `{}` when `emptyOk`). */
async function readJsonObject(r: Request, emptyOk = false): Promise<Record<string, unknown>> {
  return parseJsonObject(await readText(r), emptyOk);
}

// ------------------------------------------------------------ field checks

function checkKnown(body: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!known.includes(key)) {
      throw invalid(`unknown field ${JSON.stringify(key)} (known: ${known.join(', ')})`);
    }
  }
}

function optString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalid(`"${key}" must be a string`);
  return v;
}

function reqString(body: Record<string, unknown>, key: string): string {
  const v = optString(body, key);
  if (v === undefined) throw invalid(`"${key}" is required`);
  return v;
}

const ADDRESS = /^[0-9+-]{1,20}$/;
const ALPHANUMERIC = /^[\x20-\x7e]{1,11}$/;
const HEX = /^(?:[0-9A-Fa-f]{2})*$/;

function address(body: Record<string, unknown>, key: string): string {
  const v = reqString(body, key);
  if (!ADDRESS.test(v)) {
    throw invalid(
      `"${key}" must be an address of 1-20 digits, '+' or '-' (got ${JSON.stringify(v)})`,
    );
  }
  return v;
}

function hexField(body: Record<string, unknown>, key: string): string | undefined {
  const v = optString(body, key);
  if (v !== undefined && !HEX.test(v)) {
    throw invalid(`"${key}" must be hex digits in pairs (got ${JSON.stringify(v)})`);
  }
  return v;
}

function target(body: Record<string, unknown>): { user?: string; session?: string } {
  const user = optString(body, 'user');
  const session = optString(body, 'session');
  return {
    ...(user !== undefined ? { user } : {}),
    ...(session !== undefined ? { session } : {}),
  };
}

// ------------------------------------------------------------------- routes

async function getTranscript(r: Request): Promise<void> {
  const raw = r.query.get('since') ?? '0';
  if (!/^\d{1,15}$/.test(raw)) {
    throw new HttpError(
      400,
      'ERR_CONTROL_INVALID_QUERY',
      `"since" must be a non-negative integer (got ${JSON.stringify(raw)})`,
    );
  }
  const all = r.query.get('all') ?? 'false';
  if (all !== 'true' && all !== 'false') {
    throw new HttpError(
      400,
      'ERR_CONTROL_INVALID_QUERY',
      `"all" must be true or false (got ${JSON.stringify(all)})`,
    );
  }
  const rawLimit = r.query.get('limit') ?? String(TRANSCRIPT_PAGE_DEFAULT);
  const limit = Number(rawLimit);
  if (!/^\d{1,7}$/.test(rawLimit) || limit < 1 || limit > TRANSCRIPT_PAGE_MAX) {
    throw new HttpError(
      400,
      'ERR_CONTROL_INVALID_QUERY',
      `"limit" must be an integer from 1 to ${TRANSCRIPT_PAGE_MAX} (got ${JSON.stringify(rawLimit)})`,
    );
  }
  const since = Number(raw);
  const { mock } = r.ctx;
  // By default only the current epoch: the records after the last reset. The lines are streamed
  // as kept in memory, never parsed and re-serialised.
  const page = mock.transcriptLines(since, { all: all === 'true', limit });
  // Records after `since` that left memory (the --memory-transcript budget): the file has them.
  const truncated = mock.truncatedSince(since, { epoch: all !== 'true' });
  const { res } = r;
  res.writeHead(200, {
    'Content-Type': 'application/x-ndjson; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Last-Seq': String(page.lastSeq),
    'X-More': page.more ? 'true' : 'false',
    'X-Truncated': truncated ? 'true' : 'false',
  });
  // A chunk at a time, waiting for the client to drain and yielding to the event loop between
  // chunks: a large answer (or several at once) never holds up CIMD2 traffic for long, and a slow
  // reader never makes the mock buffer the whole answer.
  for (const chunk of page.chunks) {
    if (!res.write(chunk)) await drained(res);
    if (res.destroyed) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  res.end();
}

/** `GET /findings`: the client judge's findings (docs/judge.md), current epoch unless `all`. */
function getFindings(r: Request): Promise<void> {
  const q = r.query;
  for (const key of q.keys())
    if (!['session', 'check', 'severity', 'all'].includes(key))
      throw new HttpError(
        400,
        'ERR_CONTROL_INVALID_QUERY',
        `unknown query parameter ${JSON.stringify(key)} (known: session, check, severity, all)`,
      );
  const all = q.get('all') ?? 'false';
  if (all !== 'true' && all !== 'false')
    throw new HttpError(
      400,
      'ERR_CONTROL_INVALID_QUERY',
      `"all" must be true or false (got ${JSON.stringify(all)})`,
    );
  const severity = q.get('severity') ?? undefined;
  if (severity !== undefined && severity !== 'error' && severity !== 'warning')
    throw new HttpError(
      400,
      'ERR_CONTROL_INVALID_QUERY',
      `"severity" must be error or warning (got ${JSON.stringify(severity)})`,
    );
  const check = q.get('check') ?? undefined;
  const problem = check === undefined ? undefined : checkIdProblem(check);
  if (problem !== undefined)
    throw new HttpError(400, 'ERR_CONTROL_INVALID_QUERY', `"check": ${problem}`);
  const session = q.get('session') ?? undefined;
  const { mock } = r.ctx;
  const findings = mock.findings({
    ...(session !== undefined ? { session } : {}),
    ...(check !== undefined ? { check } : {}),
    ...(severity !== undefined ? { severity } : {}),
    all: all === 'true',
  });
  sendJson(r.res, 200, { findings, truncated: mock.findingsTruncated(all === 'true') });
  return Promise.resolve();
}

/** Records per `GET /transcript` answer unless `limit` says otherwise; the most it may say. */
export const TRANSCRIPT_PAGE_DEFAULT = 10_000;
export const TRANSCRIPT_PAGE_MAX = 100_000;

const DELIVER_FIELDS = ['user', 'session', 'from', 'to', 'text', 'hex', 'encoding', 'udh'];

async function postDeliver(r: Request): Promise<void> {
  const body = await readJsonObject(r);
  checkKnown(body, DELIVER_FIELDS);
  const sel = target(body);
  const from = reqString(body, 'from');
  if (!ADDRESS.test(from) && !ALPHANUMERIC.test(from)) {
    throw invalid(
      `"from" must be an address of 1-20 digits, '+' or '-', or 1-11 printable ASCII characters (got ${JSON.stringify(from)})`,
    );
  }
  const to = address(body, 'to');
  const text = optString(body, 'text');
  const hex = hexField(body, 'hex');
  if ((text === undefined) === (hex === undefined)) {
    throw invalid('give exactly one of "text" and "hex"');
  }
  const encoding = optString(body, 'encoding');
  if (encoding !== undefined && !(DELIVER_ENCODINGS as readonly string[]).includes(encoding)) {
    throw invalid(`"encoding" must be one of ${DELIVER_ENCODINGS.join(', ')}`);
  }
  const udh = hexField(body, 'udh');
  const request: DeliverRequest = {
    ...sel,
    from,
    to,
    ...(text !== undefined ? { text } : {}),
    ...(hex !== undefined ? { hex } : {}),
    ...(encoding !== undefined ? { encoding: encoding as TextEncoding } : {}),
    ...(udh !== undefined ? { udh } : {}),
  };
  const result = await r.ctx.mock.deliver(request);
  sendJson(r.res, 200, {
    packetNumbers: result.packetNumbers,
    acknowledged: result.acknowledged,
  });
}

const STATUS_REPORT_FIELDS = ['user', 'session', 'destination', 'timestamp', 'status', 'errorCode'];
const STATUS_LIST = Object.values(STATUS_NAMES).join(', ');

async function postStatusReport(r: Request): Promise<void> {
  const body = await readJsonObject(r);
  checkKnown(body, STATUS_REPORT_FIELDS);
  const sel = target(body);
  const destination = address(body, 'destination');
  const timestamp = reqString(body, 'timestamp');
  if (!/^\d{12}$/.test(timestamp)) {
    throw invalid(
      `"timestamp" must be the submit's 060, 12 digits yyMMddHHmmss (got ${JSON.stringify(timestamp)})`,
    );
  }
  const status = statusField(body['status']);
  const errorCode = errorCodeField(body['errorCode']);
  const request: StatusReportRequest = {
    ...sel,
    destination,
    timestamp,
    status,
    ...(errorCode !== undefined ? { errorCode } : {}),
  };
  const result = await r.ctx.mock.statusReport(request);
  sendJson(r.res, 200, {
    packetNumbers: result.packetNumbers,
    acknowledged: result.acknowledged,
  });
}

function statusField(v: unknown): string | number {
  if (v === undefined) throw invalid('"status" is required');
  if (typeof v === 'string' && statusByName(v) !== undefined) return v;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 9) return v;
  throw invalid(`"status" must be one of ${STATUS_LIST}, or an integer 0-9`);
}

function errorCodeField(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 999) return v;
  throw invalid('"errorCode" must be an integer 0-999');
}

function getScenario(r: Request): Promise<void> {
  const info = r.ctx.mock.scenarioInfo();
  sendJson(
    r.res,
    200,
    r.ctx.redactPasswords ? { ...info, text: redactScenarioText(info.text) } : info,
  );
  return Promise.resolve();
}

/**
 * The body is always scenario text: it is never taken as a path, and `?file=` only names the
 * scenario in issues and records (nothing is read from disk).
 */
async function putScenario(r: Request): Promise<void> {
  const yaml = await readText(r);
  const file = r.query.get('file') ?? 'inline.yaml';
  const scenario = await r.ctx.mock.useScenario({ yaml, file });
  sendJson(r.res, 200, { name: scenario.name, file: scenario.file, rules: scenario.rules.length });
}

function stateBody(mock: MockSmsc): { state: string; states: string[] } {
  return { state: mock.state, states: mock.states() };
}

function getState(r: Request): Promise<void> {
  sendJson(r.res, 200, stateBody(r.ctx.mock));
  return Promise.resolve();
}

async function putState(r: Request): Promise<void> {
  const body = await readJsonObject(r);
  checkKnown(body, ['state']);
  const state = reqString(body, 'state');
  r.ctx.mock.setState(state);
  sendJson(r.res, 200, stateBody(r.ctx.mock));
}

async function postReset(r: Request): Promise<void> {
  const body = await readJsonObject(r, true);
  checkKnown(body, ['sessions']);
  const sessions = optString(body, 'sessions');
  if (sessions !== undefined && sessions !== 'keep' && sessions !== 'close') {
    throw invalid(`"sessions" must be "keep" or "close" (got ${JSON.stringify(sessions)})`);
  }
  const result = r.ctx.mock.reset(sessions === undefined ? {} : { sessions });
  sendJson(r.res, 200, { status: 'ok', ...result });
}

// ------------------------------------------------------------------ faults

function getFaults(r: Request): Promise<void> {
  sendJson(r.res, 200, faultsJson(r.ctx.mock.activeFaults));
  return Promise.resolve();
}

async function postFaults(r: Request): Promise<void> {
  const body = await readJsonObject(r);
  let spec: ConnectionFaultSpec;
  try {
    spec = parseFaultsBody(body);
  } catch (error) {
    if (error instanceof FaultsBodyError) throw invalid(error.message);
    throw error;
  }
  sendJson(r.res, 200, faultsJson(r.ctx.mock.setFaults(spec)));
}

function deleteFaults(r: Request): Promise<void> {
  sendJson(r.res, 200, faultsJson(r.ctx.mock.clearFaults()));
  return Promise.resolve();
}
