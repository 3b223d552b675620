/**
 * Who may call the control API: the bearer token (as always), or the web console's cookie.
 *
 * The browser gives the token once — the login form (`POST /login`) or `?token=` on a console
 * page — and gets a cookie `cimd2-mock-<admin port>` (HttpOnly, SameSite=Strict, Path=/) holding
 * an HMAC of the token, never the token itself; the answer redirects to a URL without the
 * token, so it stays in no address bar or history. Requests then authenticate with the cookie.
 *
 * A state change authenticated by the cookie alone must also carry `X-Cimd2-Mock: 1`: a custom
 * header no cross-site form or simple request can send (a script on another origin would need
 * a CORS preflight, which is refused). The Origin, Content-Type and Sec-Fetch-Site rules of
 * http-guard.ts apply on top.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { HttpError } from './http-util.js';
import { CSRF_HEADER, consoleCookieName } from './inbox-types.js';

/** How a request was authenticated: no token is set (`open`), the token, or the cookie. */
export type AuthVia = 'open' | 'bearer' | 'cookie';

const CHALLENGE = { headers: { 'WWW-Authenticate': 'Bearer realm="cimd2-mock"' } };

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** The cookies of a request, by name (the first of a repeated name wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (header === undefined) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name !== '' && !out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

/** The token checks of one control API. */
export class ConsoleAuth {
  /** Name of the cookie (per admin port). */
  readonly cookieName: string;
  private readonly tokenDigest: Buffer | undefined;
  private readonly cookieDigest: Buffer | undefined;
  private readonly cookieValue: string | undefined;

  constructor(token: string | undefined, port: number) {
    this.cookieName = consoleCookieName(port);
    if (token !== undefined) {
      this.tokenDigest = sha256(token);
      // Keyed by the token: a new token invalidates every cookie; the cookie cannot be used
      // as a bearer token, and the token cannot be read back from it.
      this.cookieValue = createHmac('sha256', token)
        .update('cimd2-mock console cookie v1')
        .digest('base64url');
      this.cookieDigest = sha256(this.cookieValue);
    }
  }

  /** True when a token is set. */
  get required(): boolean {
    return this.tokenDigest !== undefined;
  }

  /** True for the token (constant time: both sides hashed first). */
  tokenMatches(candidate: string): boolean {
    return this.tokenDigest !== undefined && timingSafeEqual(sha256(candidate), this.tokenDigest);
  }

  /** True when the request carries a valid console cookie. */
  hasCookie(req: http.IncomingMessage): boolean {
    if (this.cookieDigest === undefined) return false;
    const value = parseCookies(req.headers.cookie).get(this.cookieName);
    return value !== undefined && timingSafeEqual(sha256(value), this.cookieDigest);
  }

  /**
   * Authenticates a request: a bearer token when one is given (a wrong one is refused even with
   * a valid cookie), else the cookie. Throws 401 `ERR_CONTROL_UNAUTHORIZED`.
   */
  authenticate(req: http.IncomingMessage): AuthVia {
    if (this.tokenDigest === undefined) return 'open';
    const header = req.headers.authorization;
    if (header !== undefined) {
      const m = /^Bearer +(\S+) *$/i.exec(header);
      if (m?.[1] === undefined || !this.tokenMatches(m[1])) {
        throw new HttpError(401, 'ERR_CONTROL_UNAUTHORIZED', 'invalid bearer token', CHALLENGE);
      }
      return 'bearer';
    }
    if (this.hasCookie(req)) return 'cookie';
    throw new HttpError(401, 'ERR_CONTROL_UNAUTHORIZED', 'missing bearer token', CHALLENGE);
  }

  /**
   * A state change made with the cookie alone must carry `X-Cimd2-Mock: 1`; throws 403
   * `ERR_CONTROL_CSRF` otherwise.
   */
  checkCsrf(req: http.IncomingMessage, via: AuthVia): void {
    if (via !== 'cookie') return;
    const method = req.method ?? '';
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return;
    if (req.headers[CSRF_HEADER.toLowerCase()] !== '1') {
      throw new HttpError(
        403,
        'ERR_CONTROL_CSRF',
        `a state change authenticated by the console cookie must carry the header ${CSRF_HEADER}: 1`,
      );
    }
  }

  /** `Set-Cookie` value that logs the browser in. */
  setCookie(): string {
    return `${this.cookieName}=${this.cookieValue ?? ''}; Path=/; HttpOnly; SameSite=Strict`;
  }

  /** `Set-Cookie` value that logs the browser out. */
  clearCookie(): string {
    return `${this.cookieName}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
  }
}

/** A local path to go back to after login (`/…`, never `//host` or a scheme): else `/`. */
export function safeNext(next: string | null | undefined): string {
  if (next === null || next === undefined) return '/';
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (/[\r\n\t\0]/.test(next)) return '/';
  return next;
}
