/**
 * The web console's files, served from a fixed manifest.
 *
 * At start the files of the console folder (`dist/console/` of the package) are listed and read
 * once into memory (bounded: {@link MAX_FILES} files, {@link MAX_TOTAL_BYTES} in all); a request
 * is answered from that table by exact path only. No request path is ever joined onto a folder
 * and no file is read because a request named it. When the folder is missing, `/` answers a
 * short placeholder page saying how to build the console.
 *
 * Headers: the content type by extension (files of other types are not served), a strict
 * Content-Security-Policy (`default-src 'self'`), `X-Content-Type-Options: nosniff`,
 * `Referrer-Policy: same-origin` (a no-referrer page makes Chromium send `Origin: null` with its own form, which the guard refuses), an ETag (304 on `If-None-Match`); the page itself `no-cache`,
 * files with a content hash in their name immutable for a year; gzip when the client accepts it.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import type http from 'node:http';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** Where the package's built console is (from src/control or dist/control alike). */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url));
export const MAX_FILES = 500;
export const MAX_TOTAL_BYTES = 32 * 1024 * 1024;

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = /^(text\/|application\/json|image\/svg)/;
/** A content hash in a file name: `app-3f9a1c2b.js`, `index.4F9A1C2B0D.css`. */
const HASHED = /[.-][A-Za-z0-9_]{8,}\.[a-z0-9]+$/;

/** The Content-Security-Policy of the console's files. */
export const CONSOLE_CSP =
  "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'";

/** Security headers of every HTML answer. */
export function pageHeaders(csp: string = CONSOLE_CSP): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
  };
}

interface Asset {
  readonly path: string;
  readonly type: string;
  readonly body: Buffer;
  gzip: Buffer | undefined;
  readonly etag: string;
  readonly cache: string;
}

function asset(path: string, type: string, body: Buffer, immutable: boolean): Asset {
  return {
    path,
    type,
    body,
    gzip: undefined,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    cache: immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  };
}

const PLACEHOLDER = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>cimd2-mock</title></head>
<body>
<h1>cimd2-mock</h1>
<p>The web console is not built in this copy (no <code>dist/console/</code>): run <code>npm run build</code>.</p>
<p>The control API answers here: <a href="/health">/health</a>, <a href="/sessions">/sessions</a>,
<a href="/messages">/messages</a>, <a href="/mo">/mo</a>, <a href="/rules">/rules</a>,
<a href="/stats">/stats</a>, <a href="/scenario">/scenario</a>; live records: <code>curl -N /events</code>.</p>
</body>
</html>
`;

/** The console's files, read once. */
export class ConsoleFiles {
  private readonly assets = new Map<string, Asset>();
  /** True when the built console was found (else `/` is the placeholder). */
  readonly built: boolean;
  /** Files left out (over the bounds, or of a type not served), for a warning. */
  readonly skipped: string[] = [];

  /** Lists and reads `dir` (default: the package's `dist/console/`). */
  constructor(dir: string = DEFAULT_CONSOLE_DIR) {
    let files: string[];
    try {
      files = listFiles(dir);
    } catch {
      files = [];
    }
    let total = 0;
    for (const file of files) {
      const rel = relative(dir, file).split(sep).join('/');
      const dot = rel.lastIndexOf('.');
      const type = dot < 0 ? undefined : TYPES[rel.slice(dot).toLowerCase()];
      if (type === undefined || this.assets.size >= MAX_FILES || !/^[\w./@~-]+$/.test(rel)) {
        this.skipped.push(rel);
        continue;
      }
      let body: Buffer;
      try {
        if (statSync(file).size + total > MAX_TOTAL_BYTES) {
          this.skipped.push(rel);
          continue;
        }
        body = readFileSync(file);
      } catch {
        this.skipped.push(rel);
        continue;
      }
      total += body.length;
      const path = `/${rel}`;
      this.assets.set(path, asset(path, type, body, rel !== 'index.html' && HASHED.test(rel)));
    }
    const index = this.assets.get('/index.html');
    this.built = index !== undefined;
    this.assets.set(
      '/',
      index ?? asset('/', TYPES['.html'] ?? 'text/html', Buffer.from(PLACEHOLDER, 'utf8'), false),
    );
  }

  /** True when `path` is one of the console's files (`/` included). */
  has(path: string): boolean {
    return this.assets.has(path);
  }

  /** The URL paths served, sorted. */
  get paths(): string[] {
    return [...this.assets.keys()].sort();
  }

  /** Answers a GET or HEAD of `path` (which {@link has} accepted). */
  serve(req: http.IncomingMessage, res: http.ServerResponse, path: string): void {
    const a = this.assets.get(path);
    if (a === undefined) throw new Error(`not a console file: ${path}`);
    const headers: Record<string, string | number> = {
      'Content-Type': a.type,
      'Cache-Control': a.cache,
      ETag: a.etag,
      Vary: 'Accept-Encoding',
      ...pageHeaders(),
    };
    if (req.headers['if-none-match'] === a.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    let body = a.body;
    const gzip =
      COMPRESSIBLE.test(a.type) &&
      a.body.length > 1024 &&
      /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    if (gzip) {
      a.gzip ??= gzipSync(a.body);
      body = a.gzip;
      headers['Content-Encoding'] = 'gzip';
    }
    headers['Content-Length'] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

/** Every regular file under `dir` (symbolic links are not followed). */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number): void => {
    if (depth > 8 || out.length > MAX_FILES * 2) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.isFile()) out.push(p);
    }
  };
  walk(dir, 0);
  return out.sort();
}
