/**
 * Plumbing shared by the control API's handlers (control-api.ts and the route files beside this
 * one): the error type answered as JSON, JSON answers, bounded body reading, query checks.
 */
import type http from 'node:http';

/** An answer other than 2xx, as `{ error, code, ...extra }`. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly extra: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    status: number,
    code: string,
    message: string,
    more: { extra?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = more.extra ?? {};
    this.headers = more.headers ?? {};
  }
}

/** 400 `ERR_CONTROL_INVALID_BODY`. */
export const invalid = (message: string): HttpError =>
  new HttpError(400, 'ERR_CONTROL_INVALID_BODY', message);

/** 400 `ERR_CONTROL_INVALID_QUERY`. */
export const invalidQuery = (message: string): HttpError =>
  new HttpError(400, 'ERR_CONTROL_INVALID_QUERY', message);

/** What a route handler gets. */
export interface RouteRequest<C> {
  readonly ctx: C;
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  readonly query: URLSearchParams;
  /** The request path, without the query. */
  readonly path: string;
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads the body as UTF-8 text, refusing more than `limit` bytes (413). */
export async function readBodyText(req: http.IncomingMessage, limit: number): Promise<string> {
  const tooLarge = (): HttpError =>
    new HttpError(413, 'ERR_CONTROL_BODY_TOO_LARGE', `body larger than ${limit} bytes`, {
      headers: { Connection: 'close' },
    });
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) throw tooLarge();
  const bytes = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge());
      } else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      resolve(Buffer.concat(chunks));
    });
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete) reject(new HttpError(400, 'ERR_CONTROL_ABORTED', 'request aborted'));
    });
  });
  try {
    return utf8.decode(bytes);
  } catch {
    throw new HttpError(400, 'ERR_CONTROL_BAD_ENCODING', 'body is not valid UTF-8');
  }
}

/** Parses a JSON object body (an empty body reads as `{}` when `emptyOk`). */
export function parseJsonObject(text: string, emptyOk = false): Record<string, unknown> {
  if (emptyOk && text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HttpError(
      400,
      'ERR_CONTROL_BAD_JSON',
      `body is not valid JSON: ${(error as Error).message}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** Refuses query parameters a route does not know (a typo must not silently match everything). */
export function checkQueryKeys(query: URLSearchParams, known: readonly string[]): void {
  for (const key of query.keys()) {
    if (!known.includes(key)) {
      throw invalidQuery(
        `unknown query parameter ${JSON.stringify(key)} (known: ${known.join(', ')})`,
      );
    }
  }
}

/** The one value of a query parameter; 400 when it is given more than once. */
export function queryOne(query: URLSearchParams, key: string): string | undefined {
  const all = query.getAll(key);
  if (all.length > 1) throw invalidQuery(`"${key}" given ${all.length} times`);
  return all[0];
}

/** Waits until `res` can take more data, or closed. */
export function drained(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
