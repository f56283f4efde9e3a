/**
 * The one way the UI talks to the server: same-origin fetch with the session cookie, JSON in and
 * out, the CSRF token on every request that writes, and errors as ApiError with the server's
 * code and message (Cairn's `{code, message}` or MLflow's `{error_code, message}`).
 */

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

let csrfToken: string | undefined;
const unauthenticatedListeners = new Set<() => void>();

/** The CSRF token of the signed-in session (from GET or POST /api/v1/session). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called whenever the server answers 401: the session ended or was never there. */
export function onUnauthenticated(listener: () => void): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

export function withQuery(path: string, query: Query | undefined): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = {
    accept: 'application/json',
    'x-requested-with': 'XMLHttpRequest',
  };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(withQuery(path, options.query), {
    method,
    headers,
    credentials: 'same-origin',
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (!res.ok) throw await errorOf(res);
  const text = await res.text();
  return (text ? JSON.parse(text) : {}) as T;
}

async function errorOf(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = res.statusText || `the server answered ${res.status}`;
  try {
    const body = (await res.json()) as { code?: string; error_code?: string; message?: string };
    code = body.code ?? body.error_code ?? code;
    message = body.message ?? message;
  } catch {
    // Not JSON: keep the status line.
  }
  if (res.status === 401) for (const listener of unauthenticatedListeners) listener();
  return new ApiError(res.status, code, message);
}

/** MLflow's REST API, as the web UI of `mlflow server` calls it. */
export const mlflow = (path: string, options?: RequestOptions) =>
  request<unknown>(`/ajax-api/2.0/mlflow/${path}`, options);

/** Cairn's own API. */
export const cairn = <T>(path: string, options?: RequestOptions) => request<T>(`/api/v1/${path}`, options);

/** JSON numbers as the API writes non-finite ones ("NaN", "Infinity", "-Infinity"). */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return Number.NaN;
}
