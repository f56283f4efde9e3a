import { type BenchClient, pool, type Reply, TransportError } from './http-client.ts';
import {
  createRunBody,
  finishRunBody,
  logBatchBody,
  METRICS_PER_RUN,
  type RunSpec,
  SEARCH_FILTER,
  SEARCH_ORDER,
  STEPS,
} from './workload-data.ts';

/**
 * The three workloads, written against MLflow's REST API only, so that `cairn server` and
 * `mlflow server` get the same requests.
 */

const LOCKED = /database is locked/i;

/** Counts what went wrong, by a short description. */
export class ErrorTally {
  readonly counts = new Map<string, number>();
  total = 0;
  locked = 0;

  add(what: string): void {
    this.total++;
    if (LOCKED.test(what)) this.locked++;
    const key = what.slice(0, 160);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  summary(limit = 3): string {
    return [...this.counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([what, n]) => `${n}× ${what}`)
      .join('; ');
  }
}

function describe(reply: Reply): string {
  const body = reply.body as { error_code?: string; message?: string } | undefined;
  const message =
    typeof body === 'object' && body?.message ? `${body.error_code}: ${body.message}` : reply.text;
  // SQLAlchemy appends a link to its error catalogue; it says nothing about what went wrong.
  const plain = message.replace(/\s*\(Background on this error at: [^)]*\)?/g, '').replace(/\s+/g, ' ');
  return `HTTP ${reply.status} ${plain.slice(0, 300)}`;
}

/**
 * One call of the set-up and logging workloads. A 5xx or 429 answer is retried with backoff, as
 * MLflow's own client does (the transaction failed, so a retry cannot duplicate data); retries are
 * counted. Any other failure ends the benchmark with the server's answer.
 */
export async function call(
  client: BenchClient,
  endpoint: string,
  body: unknown,
  retries: ErrorTally,
): Promise<Reply> {
  for (let attempt = 0; ; attempt++) {
    const reply = await client.post(endpoint, body);
    if (reply.status === 200) return reply;
    if ((reply.status >= 500 || reply.status === 429) && attempt < 8) {
      retries.add(describe(reply));
      await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
      continue;
    }
    throw new Error(`${endpoint} failed after ${attempt + 1} attempts: ${describe(reply)}`);
  }
}

export async function createExperiment(client: BenchClient, name: string): Promise<string> {
  const reply = await call(client, 'experiments/create', { name }, new ErrorTally());
  return (reply.body as { experiment_id: string }).experiment_id;
}

export interface LoggingResult {
  /** Runs logged: the first `runs` of the specs given. */
  runs: number;
  points: number;
  requests: number;
  ms: number;
  retries: ErrorTally;
}

/**
 * Each run: runs/create → one runs/log-batch with all its data → runs/update FINISHED (full runs;
 * the extra search runs skip the update), `concurrency` runs at a time. With `limitMs`, no run
 * starts after that long (runs in flight finish), so a slow server is measured on the first runs.
 */
export async function logRuns(
  client: BenchClient,
  experimentId: string,
  specs: readonly RunSpec[],
  concurrency: number,
  limitMs = Number.POSITIVE_INFINITY,
): Promise<LoggingResult> {
  const retries = new ErrorTally();
  let requests = 0;
  let points = 0;
  const start = performance.now();
  const runs = await pool(
    specs.length,
    concurrency,
    async (i) => {
      const spec = specs[i] as RunSpec;
      const created = await call(client, 'runs/create', createRunBody(experimentId, spec), retries);
      const runId = (created.body as { run: { info: { run_id: string } } }).run.info.run_id;
      await call(client, 'runs/log-batch', logBatchBody(runId, spec), retries);
      requests += 2;
      points += spec.full ? METRICS_PER_RUN * STEPS : 1;
      if (spec.full) {
        await call(client, 'runs/update', finishRunBody(runId, spec), retries);
        requests++;
      }
    },
    () => performance.now() - start > limitMs,
  );
  return { runs, points, requests, ms: performance.now() - start, retries };
}

interface SearchPage {
  names: string[];
  token: string | undefined;
  ms: number;
}

async function searchPage(
  client: BenchClient,
  experimentId: string,
  maxResults: number,
  pageToken?: string,
): Promise<SearchPage> {
  const body = {
    experiment_ids: [experimentId],
    filter: SEARCH_FILTER,
    order_by: [SEARCH_ORDER],
    max_results: maxResults,
    ...(pageToken ? { page_token: pageToken } : {}),
  };
  const reply = await client.post('runs/search', body);
  if (reply.status !== 200) throw new Error(`runs/search failed: ${describe(reply)}`);
  const { runs = [], next_page_token } = reply.body as {
    runs?: { info: { run_name: string } }[];
    next_page_token?: string;
  };
  return { names: runs.map((r) => r.info.run_name), token: next_page_token || undefined, ms: reply.ms };
}

export interface SearchResult {
  /** First-page latencies by page size. */
  firstPage: Map<number, number[]>;
  /** Wall times of paging through every result, and how many pages that took. */
  pageThrough: { pageSize: number; ms: number[]; pages: number };
  /** The run names of the first page at the largest size, and of paging through at the smallest. */
  firstPageNames: string[];
  allNames: string[];
}

/** `requests` sequential first-page searches per page size (after 2 warm-ups), then `repeats` full page-throughs. */
export async function searchRuns(
  client: BenchClient,
  experimentId: string,
  pageSizes: readonly number[],
  requests: number,
  repeats: number,
): Promise<SearchResult> {
  const firstPage = new Map<number, number[]>();
  let firstPageNames: string[] = [];
  for (const size of pageSizes) {
    for (let w = 0; w < 2; w++) firstPageNames = (await searchPage(client, experimentId, size)).names;
    const times: number[] = [];
    for (let r = 0; r < requests; r++) times.push((await searchPage(client, experimentId, size)).ms);
    firstPage.set(size, times);
  }
  const pageSize = Math.min(...pageSizes);
  firstPageNames = (await searchPage(client, experimentId, Math.max(...pageSizes))).names;
  const ms: number[] = [];
  let allNames: string[] = [];
  let pages = 0;
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    const names: string[] = [];
    let token: string | undefined;
    pages = 0;
    do {
      const page = await searchPage(client, experimentId, pageSize, token);
      names.push(...page.names);
      token = page.token;
      pages++;
    } while (token);
    ms.push(performance.now() - start);
    allNames = names;
  }
  return { firstPage, pageThrough: { pageSize, ms, pages }, firstPageNames, allNames };
}

export interface ConcurrencyResult {
  clients: number;
  requests: number;
  ms: number;
  latencies: number[];
  errors: ErrorTally;
}

/**
 * `clients` concurrent clients, each on its own run, for `seconds`: a repeating cycle of
 * log-batch (5 metrics), log-parameter, log-batch, set-tag, get-run. No retries: every failed
 * request counts as an error.
 */
export async function hammer(
  client: BenchClient,
  experimentId: string,
  clients: number,
  seconds: number,
): Promise<ConcurrencyResult> {
  const setup = new ErrorTally();
  const runIds: string[] = [];
  await pool(clients, 8, async (i) => {
    const reply = await call(
      client,
      'runs/create',
      { experiment_id: experimentId, run_name: `client-${i}`, start_time: Date.now() },
      setup,
    );
    runIds[i] = (reply.body as { run: { info: { run_id: string } } }).run.info.run_id;
  });
  const errors = new ErrorTally();
  const latencies: number[] = [];
  let requests = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const worker = async (i: number) => {
    const runId = runIds[i] as string;
    for (let n = 0; performance.now() < deadline; n++) {
      let request: Promise<Reply>;
      switch (n % 5) {
        case 0:
        case 2: {
          const timestamp = Date.now();
          const metrics = Array.from({ length: 5 }, (_, m) => ({
            key: `m${m}`,
            value: Math.sin(n + m),
            timestamp,
            step: n,
          }));
          request = client.post('runs/log-batch', { run_id: runId, metrics });
          break;
        }
        case 1:
          request = client.post('runs/log-parameter', {
            run_id: runId,
            key: `p${n % 50}`,
            value: `v${n % 50}`,
          });
          break;
        case 3:
          request = client.post('runs/set-tag', { run_id: runId, key: `t${n % 10}`, value: String(n) });
          break;
        default:
          request = client.get('runs/get', { run_id: runId });
      }
      requests++;
      try {
        const reply = await request;
        latencies.push(reply.ms);
        if (reply.status !== 200) errors.add(describe(reply));
      } catch (err) {
        if (!(err instanceof TransportError)) throw err;
        errors.add(err.message);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => worker(i)));
  return { clients, requests, ms: performance.now() - start, latencies, errors };
}
