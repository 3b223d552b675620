/**
 * The console's only way out: same-origin `fetch` to the control API that served it. The
 * session cookie goes along (`credentials: 'same-origin'`); every state change also carries the
 * CSRF header, which a cross-site form or `fetch` without a preflight cannot set.
 */

/** Header every state-changing request carries (the server refuses them without it). */
export const CSRF_HEADER = 'X-Cimd2-Mock';

/** One problem of a scenario, at its line and column. */
export interface Issue {
  readonly file?: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

/** A non-2xx answer: `{ error, code, issues? }`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly issues: readonly Issue[];
  constructor(status: number, code: string, message: string, issues: readonly Issue[] = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.issues = issues;
  }
}

type UnauthorizedListener = () => void;
const unauthorized = new Set<UnauthorizedListener>();

/** Called whenever the API answers 401 (no cookie yet, or it expired). */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorized.add(listener);
  return () => unauthorized.delete(listener);
}

interface RequestOptions {
  readonly body?: unknown;
  /** Send `body` as this text type instead of JSON. */
  readonly text?: { readonly type: string; readonly value: string };
  readonly signal?: AbortSignal;
}

/** Calls the API; resolves with the parsed JSON (or text) body, rejects with ApiError. */
export async function api<T>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: string | undefined;
  if (options.text !== undefined) {
    headers['Content-Type'] = options.text.type;
    body = options.text.value;
  } else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  if (method !== 'GET' && method !== 'HEAD') headers[CSRF_HEADER] = '1';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    ...(body !== undefined ? { body } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  const type = res.headers.get('content-type') ?? '';
  const payload: unknown = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) {
    if (res.status === 401) for (const l of unauthorized) l();
    const p = (typeof payload === 'object' && payload !== null ? payload : {}) as {
      error?: unknown;
      code?: unknown;
      issues?: unknown;
    };
    throw new ApiError(
      res.status,
      typeof p.code === 'string' ? p.code : `HTTP_${res.status}`,
      typeof p.error === 'string' ? p.error : `${method} ${path}: HTTP ${res.status}`,
      Array.isArray(p.issues) ? (p.issues as Issue[]) : [],
    );
  }
  return payload as T;
}

/** The error's message for a status line. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
