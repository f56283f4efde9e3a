import { Agent, request } from 'node:http';

/**
 * The load generator's HTTP client: node:http with one keep-alive agent per server, so both
 * servers receive byte-identical requests over reused loopback connections. node:http rather
 * than fetch because the generator shares the machine's cores with the server it measures, and
 * node:http costs less CPU per request.
 */

export interface Reply {
  status: number;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
  text: string;
  ms: number;
}

/** A request that got no HTTP answer (refused, reset, timed out). */
export class TransportError extends Error {
  override name = 'TransportError';
}

export class BenchClient {
  readonly #agent: Agent;
  readonly #host: string;
  readonly #port: number;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, options: { sockets: number; timeoutMs: number }) {
    const url = new URL(baseUrl);
    if (url.hostname !== '127.0.0.1') throw new Error(`benchmark traffic stays on 127.0.0.1, not ${baseUrl}`);
    this.#host = url.hostname;
    this.#port = Number(url.port);
    this.#timeoutMs = options.timeoutMs;
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: options.sockets,
      maxFreeSockets: options.sockets,
    });
  }

  /** POST to `/api/2.0/mlflow/<endpoint>` with a JSON body. */
  post(endpoint: string, body: unknown): Promise<Reply> {
    return this.#send('POST', `/api/2.0/mlflow/${endpoint}`, JSON.stringify(body));
  }

  /** GET `/api/2.0/mlflow/<endpoint>?<query>`. */
  get(endpoint: string, query: Record<string, string>): Promise<Reply> {
    return this.#send('GET', `/api/2.0/mlflow/${endpoint}?${new URLSearchParams(query)}`);
  }

  /** GET of any path (health checks). */
  raw(path: string): Promise<Reply> {
    return this.#send('GET', path);
  }

  close(): void {
    this.#agent.destroy();
  }

  #send(method: string, path: string, payload?: string): Promise<Reply> {
    const start = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent: this.#agent,
          host: this.#host,
          port: this.#port,
          method,
          path,
          headers:
            payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
          timeout: this.#timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(new TransportError(`${method} ${path}: ${err.message}`)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            try {
              body = JSON.parse(text);
            } catch {}
            resolve({ status: res.statusCode ?? 0, body, text, ms: performance.now() - start });
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(new TransportError(`${method} ${path}: no answer within ${this.#timeoutMs} ms`)),
      );
      req.on('error', (err) =>
        reject(err instanceof TransportError ? err : new TransportError(`${method} ${path}: ${err.message}`)),
      );
      req.end(payload);
    });
  }
}

/**
 * Runs `task(i)` for i in [0, count) in order, with at most `concurrency` in flight, and starts no
 * new task once `stop()` says so; rejects on the first failure. Resolves to how many tasks ran
 * (always the first ones: i in [0, ran)).
 */
export async function pool(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<number> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < count && !stop()) {
      const i = next++;
      try {
        await task(i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return next;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}
