/**
 * Browser safety of the HTTP control API: what a web page the user visits must not be able to
 * do to a mock listening on loopback.
 *
 * - DNS rebinding: a page on `evil.example` whose name later resolves to 127.0.0.1 reaches the
 *   API with `Host: evil.example`. Without a token, only the API's own names are answered (the
 *   bound address, `localhost`, `127.0.0.1`, `[::1]`, and `allowHosts`); others get 421.
 * - Cross-site requests: a page can POST `text/plain`, form or empty bodies to any origin
 *   without a preflight. State changes (POST, PUT, PATCH, DELETE) need a JSON (or, for
 *   `PUT /scenario`, YAML) `Content-Type` (415 otherwise, unless there is no body at all), and
 *   an `Origin`, when present, must be this server itself or the configured CORS origin (403),
 *   and a browser's `Sec-Fetch-Site: cross-site` is refused unless it is that CORS origin.
 * - CORS: no `Access-Control-*` headers at all unless a CORS origin is configured; then exactly
 *   that origin is echoed, and its preflights (`OPTIONS`) are answered.
 */
import type http from 'node:http';
import net from 'node:net';
import { ConfigError } from '../errors.js';

/** Options of {@link HttpGuard}. */
export interface HttpGuardOptions {
  /** The address the API is bound to (as given: `127.0.0.1`, `::1`, `localhost`, `0.0.0.0`, …). */
  readonly host: string;
  /** The bound port. */
  readonly port: number;
  /** Extra accepted `Host` names: `NAME` (on the bound port) or `NAME:PORT`. */
  readonly allowHosts?: readonly string[];
  /** The one cross-origin web origin allowed, e.g. `http://localhost:5173`. */
  readonly corsOrigin?: string;
  /** Check `Host` (off when a token is set: a rebound page cannot supply the token). */
  readonly checkHost: boolean;
}

/** A refusal: HTTP status, error code and message. */
export interface GuardRefusal {
  readonly status: 403 | 415 | 421;
  readonly code: 'ERR_CONTROL_ORIGIN' | 'ERR_CONTROL_CONTENT_TYPE' | 'ERR_CONTROL_HOST';
  readonly message: string;
}

/** The media types a body may be declared as, by route kind. */
export const JSON_TYPES: readonly string[] = ['application/json'];
/** `PUT /scenario`: YAML (JSON is YAML too). */
export const SCENARIO_TYPES: readonly string[] = [
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
  'text/x-yaml',
  'application/json',
];

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const WILDCARDS = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0']);
const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/;

interface HostPort {
  readonly name: string;
  readonly port: number | undefined;
}

/** Parses `name`, `name:port`, `[v6]`, `[v6]:port`; lower-cases the name. undefined if bad. */
export function parseHostPort(value: string): HostPort | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+))(?::(\d{1,5}))?$/.exec(value.trim());
  if (m === null) return undefined;
  const name = (m[1] ?? m[2] ?? '').toLowerCase();
  if (m[1] !== undefined ? !net.isIPv6(name) : !(net.isIPv4(name) || HOST_NAME.test(name))) {
    return undefined;
  }
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && port > 65535) return undefined;
  return { name, port };
}

/** Checks an `--admin-cors` value: a serialised origin `scheme://host[:port]`, nothing more. */
export function parseCorsOrigin(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.origin !== value.replace(/\/$/, '')
  ) {
    throw new ConfigError(
      `admin CORS origin must be scheme://host[:port] with nothing after it, got ${JSON.stringify(value)}`,
      'ERR_CONFIG_ADMIN_CORS',
    );
  }
  return url.origin;
}

/** Applies the rules above to each request. */
export class HttpGuard {
  private readonly names: Set<string>;
  private readonly exact: Set<string>;
  private readonly port: number;
  private readonly corsOrigin: string | undefined;
  private readonly checkHost: boolean;

  constructor(options: HttpGuardOptions) {
    this.port = options.port;
    this.checkHost = options.checkHost;
    this.corsOrigin =
      options.corsOrigin === undefined ? undefined : parseCorsOrigin(options.corsOrigin);
    const bound = parseHostPort(options.host.includes(':') ? `[${options.host}]` : options.host);
    this.names = new Set(LOOPBACK_NAMES);
    if (bound !== undefined && !WILDCARDS.has(bound.name)) this.names.add(bound.name);
    this.exact = new Set();
    for (const entry of options.allowHosts ?? []) {
      const hp = parseHostPort(entry);
      if (hp === undefined || entry.trim() === '') {
        throw new ConfigError(
          `admin allowed host must be NAME or NAME:PORT (IPv6 in brackets), got ${JSON.stringify(entry)}`,
          'ERR_CONFIG_ADMIN_ALLOW_HOST',
        );
      }
      if (hp.port === undefined) this.names.add(hp.name);
      else this.exact.add(`${hp.name}|${hp.port}`);
    }
  }

  /** True when `name[:port]` names this server (no port: the request's own, so accepted). */
  private allowed(hp: HostPort): boolean {
    if (hp.port !== undefined && this.exact.has(`${hp.name}|${hp.port}`)) return true;
    return this.names.has(hp.name) && (hp.port === undefined || hp.port === this.port);
  }

  /** Refuses a request whose `Host` is not one of this server's names (without a token). */
  checkHostHeader(req: http.IncomingMessage): GuardRefusal | undefined {
    if (!this.checkHost) return undefined;
    const header = req.headers.host;
    // HTTP/1.1 requires Host (Node answers 400 without it); an HTTP/1.0 client may omit it,
    // and no browser does.
    if (header === undefined) return undefined;
    const hp = parseHostPort(header);
    if (hp !== undefined && this.allowed(hp)) return undefined;
    return {
      status: 421,
      code: 'ERR_CONTROL_HOST',
      message: `Host ${JSON.stringify(header)} is not a name of this server (use ${this.someName()}, or allow the name with --admin-allow-host)`,
    };
  }

  private someName(): string {
    return `127.0.0.1:${this.port} or localhost:${this.port}`;
  }

  /** True when the request carries the configured CORS origin. */
  private corsMatch(req: http.IncomingMessage): boolean {
    return this.corsOrigin !== undefined && req.headers.origin === this.corsOrigin;
  }

  /**
   * Adds the CORS headers for the configured origin (none otherwise). Returns true when the
   * request was a preflight and has been answered.
   */
  cors(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (this.corsOrigin === undefined) return false;
    res.setHeader('Vary', 'Origin');
    if (!this.corsMatch(req)) return false;
    res.setHeader('Access-Control-Allow-Origin', this.corsOrigin);
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Cimd2-Mock, Last-Event-ID',
        'Access-Control-Max-Age': '600',
        'Content-Length': '0',
      });
      res.end();
      return true;
    }
    res.setHeader('Access-Control-Expose-Headers', 'X-Last-Seq');
    return false;
  }

  /**
   * For state-changing methods: the `Origin` (when present) must be this server or the CORS
   * origin, and a body must be declared with one of `types`.
   */
  checkStateChange(req: http.IncomingMessage, types: readonly string[]): GuardRefusal | undefined {
    if (!STATE_CHANGING.has(req.method ?? '')) return undefined;
    // Browsers say where a request comes from; a cross-site state change is never the console's.
    if (req.headers['sec-fetch-site'] === 'cross-site' && !this.corsMatch(req)) {
      return {
        status: 403,
        code: 'ERR_CONTROL_ORIGIN',
        message: `cross-site ${req.method ?? ''} refused (Sec-Fetch-Site: cross-site; see --admin-cors)`,
      };
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.corsMatch(req) && !this.sameOrigin(origin)) {
      return {
        status: 403,
        code: 'ERR_CONTROL_ORIGIN',
        message: `cross-origin ${req.method ?? ''} from ${JSON.stringify(origin)} refused (only this server's own origin${this.corsOrigin === undefined ? '' : ` and ${this.corsOrigin}`} may change state; see --admin-cors)`,
      };
    }
    const declared = req.headers['content-type'];
    if (declared === undefined && !hasBody(req)) return undefined;
    const type = (declared ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!types.includes(type)) {
      return {
        status: 415,
        code: 'ERR_CONTROL_CONTENT_TYPE',
        message: `Content-Type ${declared === undefined ? '(none)' : JSON.stringify(declared)} is not accepted here: send ${types.join(', ')}`,
      };
    }
    return undefined;
  }

  /** An `Origin` whose host:port names this server (an opaque `null` origin never does). */
  private sameOrigin(origin: string): boolean {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.protocol !== 'http:') return false;
    const hp = parseHostPort(url.host);
    return hp !== undefined && this.allowed({ name: hp.name, port: hp.port ?? 80 });
  }
}

/** True when the request has a body: a non-zero Content-Length or a Transfer-Encoding. */
function hasBody(req: http.IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}
