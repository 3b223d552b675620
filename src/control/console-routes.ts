/**
 * The routes behind the web console: its page and files (`GET /`), login and logout, the views
 * of sessions, rules, counters and health it shows, disconnecting a session and checking a
 * scenario without applying it.
 */
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { UnknownSessionError } from '../errors.js';
import { VERSION, type MockSmsc } from '../mock-smsc.js';
import { ScenarioError, loadScenarioText } from '../scenario/index.js';
import { safeNext, type ConsoleAuth } from './console-auth.js';
import {
  HttpError,
  checkQueryKeys,
  invalidQuery,
  parseJsonObject,
  queryOne,
  readBodyText,
  sendJson,
  type RouteRequest,
} from './http-util.js';
import type {
  HealthView,
  RuleView,
  RulesView,
  ScenarioValidation,
  SessionClosed,
  SessionView,
  StatsRates,
} from './inbox-types.js';
import type { Inbox } from './inbox-routes.js';
import { CONSOLE_CSP, pageHeaders, type ConsoleFiles } from './static-console.js';

/** What the console routes need. */
export interface ConsoleContext {
  readonly mock: MockSmsc;
  readonly inbox: Inbox;
  readonly auth: ConsoleAuth;
  readonly files: ConsoleFiles;
  readonly bodyLimit: number;
  /** When the control API started (ms since the epoch). */
  readonly startedAt: number;
}

// ------------------------------------------------------------------- login

const LOGIN_STYLE = `body{font:16px system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;color-scheme:light dark}
form{display:grid;gap:.6rem;min-width:18rem;padding:1.5rem;border:1px solid #8886;border-radius:.5rem}
input,button{font:inherit;padding:.4rem .6rem}.error{color:#d33;margin:0}`;
const LOGIN_CSP = `${CONSOLE_CSP}; style-src 'sha256-${createHash('sha256').update(LOGIN_STYLE).digest('base64')}'`;

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** The login page (no script; its one style block allowed by hash). */
export function loginPage(next: string, error?: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>cimd2-mock · log in</title><style>${LOGIN_STYLE}</style></head>
<body>
<form method="post" action="/login">
<h1>cimd2-mock</h1>
${error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(error)}</p>\n`}<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="${escapeHtml(next)}">
<button type="submit">Log in</button>
</form>
</body>
</html>
`;
}

function sendHtml(res: http.ServerResponse, status: number, html: string, csp: string): void {
  const body = Buffer.from(html, 'utf8');
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': body.length,
    'Cache-Control': 'no-store',
    ...pageHeaders(csp),
  });
  res.end(body);
}

function redirect(res: http.ServerResponse, location: string, cookie?: string): void {
  res.writeHead(303, {
    Location: location,
    'Cache-Control': 'no-store',
    'Content-Length': 0,
    'Referrer-Policy': 'no-referrer',
    ...(cookie !== undefined ? { 'Set-Cookie': cookie } : {}),
  });
  res.end();
}

/** The same path and query without `token`. */
function withoutToken(path: string, query: URLSearchParams): string {
  const rest = new URLSearchParams(query);
  rest.delete('token');
  const q = rest.toString();
  return q === '' ? path : `${path}?${q}`;
}

/**
 * `GET`/`HEAD` of a console page or file, before the usual authentication: `?token=` logs the
 * browser in (cookie, then a redirect without the token); a browser without credentials goes to
 * `/login`. Returns false when `path` is not the console's.
 */
export function serveConsole(r: RouteRequest<ConsoleContext>): boolean {
  const { req, res, query, path, ctx } = r;
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const file = path === '/index.html' ? '/' : path;
  if (!ctx.files.has(file)) return false;
  const { auth } = ctx;
  const token = query.get('token');
  if (token !== null) {
    if (!auth.required) {
      redirect(res, withoutToken(path, query));
      return true;
    }
    if (!auth.tokenMatches(token)) {
      sendHtml(
        res,
        401,
        loginPage(withoutToken(path, query), 'That token is not right.'),
        LOGIN_CSP,
      );
      return true;
    }
    redirect(res, withoutToken(path, query), auth.setCookie());
    return true;
  }
  if (auth.required) {
    let ok: boolean;
    try {
      auth.authenticate(req);
      ok = true;
    } catch {
      ok = false;
    }
    if (!ok) {
      if (/\btext\/html\b/.test(req.headers.accept ?? '')) {
        const next = withoutToken(path, query);
        redirect(res, next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`);
        return true;
      }
      // Let the usual 401 answer it.
      return false;
    }
  }
  ctx.files.serve(req, res, file);
  return true;
}

/** `GET /`: reached only when {@link serveConsole} passed on (HEAD or authenticated GET are served there). */
export function getConsole(r: RouteRequest<ConsoleContext>): Promise<void> {
  r.ctx.files.serve(r.req, r.res, '/');
  return Promise.resolve();
}

/** `GET /login`. */
export function getLogin(r: RouteRequest<ConsoleContext>): Promise<void> {
  const next = safeNext(r.query.get('next'));
  if (!r.ctx.auth.required) redirect(r.res, next);
  else sendHtml(r.res, 200, loginPage(next), LOGIN_CSP);
  return Promise.resolve();
}

/** Media types `POST /login` accepts. */
export const LOGIN_TYPES: readonly string[] = [
  'application/x-www-form-urlencoded',
  'application/json',
];

/** `POST /login`: a form (answered 303) or JSON (answered 204). */
export async function postLogin(r: RouteRequest<ConsoleContext>): Promise<void> {
  const { req, res, ctx } = r;
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const text = await readBodyText(req, Math.min(ctx.bodyLimit, 16 * 1024));
  const form = type !== 'application/json';
  let token: string | undefined;
  let next = '/';
  if (form) {
    const params = new URLSearchParams(text);
    token = params.get('token') ?? undefined;
    next = safeNext(params.get('next'));
  } else {
    const body = parseJsonObject(text);
    if (typeof body['token'] === 'string') token = body['token'];
    if (typeof body['next'] === 'string') next = safeNext(body['next']);
  }
  if (token === undefined || token === '') {
    if (form) {
      sendHtml(res, 400, loginPage(next, 'Give the admin token.'), LOGIN_CSP);
      return;
    }
    throw new HttpError(400, 'ERR_CONTROL_INVALID_BODY', '"token" is required');
  }
  const { auth } = ctx;
  if (auth.required && !auth.tokenMatches(token)) {
    if (form) {
      sendHtml(res, 401, loginPage(next, 'That token is not right.'), LOGIN_CSP);
      return;
    }
    throw new HttpError(401, 'ERR_CONTROL_UNAUTHORIZED', 'invalid token');
  }
  const cookie = auth.required ? auth.setCookie() : undefined;
  if (form) {
    redirect(res, next, cookie);
    return;
  }
  res.writeHead(204, {
    'Cache-Control': 'no-store',
    ...(cookie !== undefined ? { 'Set-Cookie': cookie } : {}),
  });
  res.end();
}

/** `POST /logout`. */
export function postLogout(r: RouteRequest<ConsoleContext>): Promise<void> {
  r.res.writeHead(204, { 'Cache-Control': 'no-store', 'Set-Cookie': r.ctx.auth.clearCookie() });
  r.res.end();
  return Promise.resolve();
}

// ------------------------------------------------------------------- views

/** `GET /sessions`: every open session with its counters. */
export async function getSessionViews(r: RouteRequest<ConsoleContext>): Promise<void> {
  const { mock, inbox } = r.ctx;
  await inbox.index.catchUp();
  const window = mock.server.options.window;
  const sessions: SessionView[] = [];
  for (const info of mock.sessions()) {
    const s = mock.server.session(info.id);
    if (s === undefined) continue;
    const counters = inbox.index.sessionCounters(info.id);
    sessions.push({
      id: info.id,
      user: s.user ?? null,
      remote: s.remote,
      since: counters?.since ?? new Date(s.openedAt).toISOString(),
      state: s.state,
      framesIn: counters?.framesIn ?? 0,
      framesOut: counters?.framesOut ?? 0,
      outstanding: s.outstanding,
      window,
      pendingAnswers: s.pendingAnswers,
    });
  }
  sendJson(r.res, 200, { sessions });
}

/** `GET /rules`: use counts, `times` left, and what each rule is. */
export function getRuleViews(r: RouteRequest<ConsoleContext>): Promise<void> {
  const { mock } = r.ctx;
  const stats = new Map(mock.rules().map((s) => [s.id, s]));
  const rules: RuleView[] = mock.scenario.rules.map((rule) => {
    const uses = stats.get(rule.id)?.uses ?? 0;
    return {
      id: rule.id,
      uses,
      ...(rule.times !== undefined ? { times: rule.times } : {}),
      timesLeft: rule.times === undefined ? null : Math.max(0, rule.times - uses),
      ...(rule.description !== undefined ? { description: rule.description } : {}),
      whenState: rule.whenState === undefined ? null : [...rule.whenState],
      ...(rule.setState !== undefined ? { setState: rule.setState } : {}),
      ops: [...rule.namedOps],
      line: rule.line,
    };
  });
  const body: RulesView = {
    scenario: mock.scenario.name,
    state: mock.state,
    states: mock.states(),
    rules,
  };
  sendJson(r.res, 200, body);
  return Promise.resolve();
}

/** `GET /stats`: the counters, submits per second over the last minute, errors. */
export function getStatsView(r: RouteRequest<ConsoleContext>): Promise<void> {
  const { mock } = r.ctx;
  const s = mock.stats();
  // Counted as the records were written: a poll reads no transcript (nor the inbox index).
  const c = mock.trafficFigures();
  const rates: StatsRates = {
    submitsPerSecond: c.submitsPerSecond,
    errors: {
      answers: c.errorAnswers,
      frameErrors: s.frameErrors,
      unmatched: s.unmatched,
      ackTimeouts: c.ackTimeouts,
    },
  };
  sendJson(r.res, 200, { ...s, ...rates });
  return Promise.resolve();
}

/** `GET /health`: what the console's header shows. */
export function getHealthView(r: RouteRequest<ConsoleContext>): Promise<void> {
  const { mock } = r.ctx;
  const info = mock.scenarioInfo();
  const body: HealthView = {
    status: 'ok',
    version: VERSION,
    host: mock.host,
    port: mock.port,
    scenario: { name: info.name, file: info.file, source: info.source },
    sessions: mock.sessions().length,
    epoch: mock.epoch,
    lastSeq: mock.lastSeq,
    uptimeMs: Math.max(0, Date.now() - r.ctx.startedAt),
    tokenRequired: r.ctx.auth.required,
  };
  sendJson(r.res, 200, body);
  return Promise.resolve();
}

// ----------------------------------------------------------------- actions

/** `DELETE /sessions/{id}` (`?reset=true`: TCP RST). */
export function deleteSession(r: RouteRequest<ConsoleContext>): Promise<void> {
  checkQueryKeys(r.query, ['reset']);
  const reset = queryOne(r.query, 'reset') ?? 'false';
  if (reset !== 'true' && reset !== 'false') {
    throw invalidQuery(`"reset" must be true or false (got ${JSON.stringify(reset)})`);
  }
  const id = decodeURIComponent(r.path.slice('/sessions/'.length));
  const session = r.ctx.mock.server.session(id);
  if (!session?.isOpen) {
    throw new UnknownSessionError(`no open session ${id}`);
  }
  const how: SessionClosed['how'] = reset === 'true' ? 'reset' : 'close';
  session.close(
    {
      code: how === 'reset' ? -1 : 0,
      text: `closed through the control API${how === 'reset' ? ' (RST)' : ''}`,
    },
    how === 'reset' ? { reset: true } : {},
  );
  const body: SessionClosed = { id, how };
  sendJson(r.res, 200, body);
  return Promise.resolve();
}

/** `POST /scenario/validate`: the issues of a scenario text; nothing is applied or recorded. */
export async function postScenarioValidate(r: RouteRequest<ConsoleContext>): Promise<void> {
  checkQueryKeys(r.query, ['file']);
  const file = queryOne(r.query, 'file') ?? 'inline.yaml';
  const yaml = await readBodyText(r.req, r.ctx.bodyLimit);
  let body: ScenarioValidation;
  try {
    const s = loadScenarioText(yaml, file);
    body = { valid: true, issues: [], name: s.name, rules: s.rules.length };
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    body = {
      valid: false,
      issues: error.issues.map((i) => ({
        file: i.file,
        line: i.line,
        col: i.col,
        message: i.message,
      })),
    };
  }
  sendJson(r.res, 200, body);
}
