import { setTimeout as sleep } from 'node:timers/promises';
import { CairnError, ERROR_CODES, type ErrorCode, errors } from '../../kernel/errors.ts';
import { errorCodeFromMlflow } from './mlflow-error-codes.ts';
import type { Json } from './mlflow-wire.ts';

export interface MlflowHttpClientOptions {
  /**
   * The server's base URL, e.g. `http://127.0.0.1:5000`; a path prefix (`https://host/mlflow`)
   * is kept. Credentials in the URL (`http://user:pass@host`) are sent as HTTP Basic.
   */
  uri: string;
  /** Sent as `Authorization: Bearer <token>`, like MLFLOW_TRACKING_TOKEN. */
  token?: string;
  /** HTTP Basic, like MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD. */
  username?: string;
  password?: string;
  /**
   * Tries per request, the first included (default 5): when the server answers 429 or 503, when
   * the connection was refused (the request never left), and, for idempotent requests only, when
   * the connection broke after the request was sent.
   */
  maxAttempts?: number;
  /** The first wait before a retry (default 250 ms); it doubles each time, up to 10 s. A Retry-After header wins. */
  backoffMs?: number;
  /** Time allowed for each attempt (default 120 s). */
  timeoutMs?: number;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
}

export type QueryValue = string | number | boolean | readonly (string | number)[] | undefined;

const RETRY_STATUSES = new Set([429, 503]);
/** Failures before a connection existed: the request was never sent, so any request may go again. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * Failures of a connection that existed: the server may have read the request and acted on it
 * before the connection broke, so only a request that can be repeated safely goes again. A
 * `runs/create` sent twice would make two runs.
 */
const BROKEN_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD']);
const MAX_BACKOFF_MS = 10_000;

/**
 * JSON over MLflow's REST API: `GET` with a query string, `POST` (and others) with a JSON body,
 * retries with exponential backoff on 429 / 503 and refused connections (and on broken
 * connections for requests that are idempotent: GETs, and POSTs the caller marks so, such as
 * searches), and MLflow's `{error_code, message}` answers rebuilt as CairnErrors.
 *
 * @example
 * const client = new MlflowHttpClient({ uri: 'http://127.0.0.1:5000', token: process.env.MLFLOW_TRACKING_TOKEN });
 * const { experiment } = await client.get('/api/2.0/mlflow/experiments/get', { experiment_id: '0' });
 */
export class MlflowHttpClient {
  readonly baseUrl: string;
  readonly #authorization: string | undefined;
  readonly #maxAttempts: number;
  readonly #backoffMs: number;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: MlflowHttpClientOptions) {
    let url: URL;
    try {
      url = new URL(options.uri);
    } catch (err) {
      throw errors.invalid(`invalid tracking server URL ${JSON.stringify(options.uri)}`, {
        cause: err,
        hint: 'use http://host:port or https://host/prefix',
      });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw errors.invalid(`tracking server URL ${url.protocol}//… must use http or https`);
    let username = options.username;
    let password = options.password;
    if (url.username !== '') {
      username ??= decodeURIComponent(url.username);
      password ??= decodeURIComponent(url.password);
      url.username = '';
      url.password = '';
    }
    url.search = '';
    url.hash = '';
    this.baseUrl = url.href.replace(/\/+$/, '');
    this.#authorization =
      options.token !== undefined && options.token !== ''
        ? `Bearer ${options.token}`
        : username !== undefined
          ? `Basic ${Buffer.from(`${username}:${password ?? ''}`, 'utf8').toString('base64')}`
          : undefined;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.#backoffMs = Math.max(0, options.backoffMs ?? 250);
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    this.#fetch = options.fetch ?? fetch;
  }

  get<T = Json>(path: string, query: Record<string, QueryValue> = {}): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  /** A POST; `idempotent` when sending it twice does no harm (a search), so a broken connection may retry it. */
  post<T = Json>(path: string, body: Json, options: { idempotent?: boolean } = {}): Promise<T> {
    return this.request<T>('POST', path, { body, ...options });
  }

  /**
   * One call; the answer's JSON (`{}` for an empty body). `idempotent` defaults to true for GET
   * and HEAD and false otherwise.
   */
  async request<T = Json>(
    method: string,
    path: string,
    options: { query?: Record<string, QueryValue>; body?: Json; idempotent?: boolean } = {},
  ): Promise<T> {
    const idempotent = options.idempotent ?? IDEMPOTENT_METHODS.has(method.toUpperCase());
    const url = `${this.baseUrl}${path}${queryString(options.query ?? {})}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#authorization) headers.authorization = this.#authorization;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await this.#fetch(url, {
          method,
          headers,
          ...(body !== undefined ? { body } : {}),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (err) {
        const code = socketCode(err) ?? '';
        const again = NEVER_SENT_CODES.has(code) || (idempotent && BROKEN_CONNECTION_CODES.has(code));
        if (attempt < this.#maxAttempts && again) {
          await sleep(this.#delay(attempt, null));
          continue;
        }
        throw errors.unavailable(`cannot reach the tracking server at ${this.baseUrl}: ${describe(err)}`, {
          cause: err,
          hint: 'check that the server is running and the URL is right',
        });
      }
      const text = await response.text();
      if (response.ok) return (text.trim() === '' ? {} : JSON.parse(text)) as T;
      if (attempt < this.#maxAttempts && RETRY_STATUSES.has(response.status)) {
        await sleep(this.#delay(attempt, response.headers.get('retry-after')));
        continue;
      }
      throw errorFromAnswer(method, path, response.status, text);
    }
  }

  #delay(attempt: number, retryAfter: string | null): number {
    const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_BACKOFF_MS * 3);
    const base = Math.min(this.#backoffMs * 2 ** (attempt - 1), MAX_BACKOFF_MS);
    return base / 2 + Math.random() * (base / 2);
  }
}

function queryString(query: Record<string, QueryValue>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, String(v));
    else params.append(key, String(value));
  }
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

function socketCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } })?.cause;
  const code = cause?.code ?? (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { message?: string } };
  if (e?.name === 'TimeoutError') return 'the request timed out';
  return e?.cause?.message ?? e?.message ?? String(err);
}

/** A CairnError from a non-2xx answer: MLflow's `{error_code, message}` when the body has it. */
export function errorFromAnswer(method: string, path: string, status: number, text: string): CairnError {
  let body: { error_code?: unknown; code?: unknown; message?: unknown } | undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null) body = parsed as typeof body;
  } catch {
    body = undefined;
  }
  // Cairn's own API (/api/v1) answers {code, message}: keep its code as it is.
  const code =
    typeof body?.code === 'string' && body.code in ERROR_CODES
      ? (body.code as ErrorCode)
      : errorCodeFromMlflow(body?.error_code, status);
  const message =
    typeof body?.message === 'string' && body.message !== ''
      ? body.message
      : `${method} ${path} answered HTTP ${status}${text.trim() ? `: ${text.trim().slice(0, 200)}` : ''}`;
  return new CairnError(code, message, {
    details: {
      status,
      ...(typeof body?.error_code === 'string' ? { error_code: body.error_code } : {}),
    },
  });
}
