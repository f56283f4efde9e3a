/**
 * `npm run bench:tracking`: `cairn server` against `mlflow server` (the server users would run
 * instead), on SQLite and then on PostgreSQL, with the same requests from the same load
 * generator over HTTP on 127.0.0.1, in one run. Prints the tables and writes them to the
 * "bench:tracking" section of docs/benchmarks.md.
 *
 * For each backend, each server in turn (never both at once) gets a fresh store and:
 *  1. logging: BENCH_RUNS runs, each runs/create → one runs/log-batch (20 params, 20 metrics ×
 *     10 steps, 3 tags) → runs/update FINISHED, BENCH_LOG_CONCURRENCY clients at a time. MLflow
 *     starts no run after BENCH_MLFLOW_LOG_SECONDS: its rate is measured on the runs it got;
 *  2. search: BENCH_SEARCH_RUNS runs in the experiment (the extra ones with only params.model
 *     and metrics.acc: over HTTP for Cairn; for MLflow, these and the logging runs it was not
 *     sent are written straight into its database by bench/tracking/mlflow_seed.py, as
 *     HTTP would take it many minutes), then `metrics.acc > 0.8 and params.model = 'x'` ordered by
 *     `metrics.acc DESC`: first-page latency at max_results 1000 and 100 (BENCH_SEARCH_REQUESTS
 *     sequential requests each), the time to page through every result 100 at a time, and the
 *     returned run names checked against the expected ones (and so against each other);
 *  3. concurrency: BENCH_CLIENTS clients for BENCH_CONCURRENCY_SECONDS, each cycling log-batch
 *     (5 metrics), log-parameter, log-batch, set-tag, get-run on its own run; errors counted,
 *     replies and server output searched for "database is locked".
 *
 * Settings (env): BENCH_RUNS (1000), BENCH_SEARCH_RUNS (10000), BENCH_CONCURRENCY_SECONDS (30),
 * BENCH_CLIENTS (64), BENCH_LOG_CONCURRENCY (8), BENCH_SEARCH_REQUESTS (30),
 * BENCH_MLFLOW_WORKERS (4, MLflow's default), BENCH_MLFLOW_LOG_SECONDS (90), BENCH_MLFLOW (path to the mlflow command; default:
 * the project's .venv or next to $CAIRN_TEST_PYTHON), BENCH_PG (1 to require PostgreSQL, 0 to
 * skip it; by default it runs when BENCH_PG_URL or CAIRN_TEST_PG_URL names a server, whose role
 * must be allowed to create databases), BENCH_WRITE_DOCS=0 to leave docs/benchmarks.md alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine, replaceSection } from '../support.ts';
import { BenchClient } from './http-client.ts';
import { writeIntoMlflow } from './mlflow-direct.ts';
import { BenchDatabases } from './pg-databases.ts';
import { type Backend, type Measured, renderReport } from './report.ts';
import { type ServerUnderTest, startCairn, startMlflow } from './servers.ts';
import { expectedSearch, type RunSpec, runSpecs } from './workload-data.ts';
import { createExperiment, hammer, logRuns, searchRuns } from './workloads.ts';

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name}=${raw} is not a whole number`);
  return value;
}

const RUNS = setting('BENCH_RUNS', 1000);
const SEARCH_RUNS = Math.max(RUNS, setting('BENCH_SEARCH_RUNS', 10_000));
const CONCURRENCY_SECONDS = setting('BENCH_CONCURRENCY_SECONDS', 30);
const CLIENTS = setting('BENCH_CLIENTS', 64);
const LOG_CONCURRENCY = setting('BENCH_LOG_CONCURRENCY', 8);
const SEARCH_REQUESTS = setting('BENCH_SEARCH_REQUESTS', 30);
const MLFLOW_WORKERS = setting('BENCH_MLFLOW_WORKERS', 4);
const MLFLOW_LOG_SECONDS = setting('BENCH_MLFLOW_LOG_SECONDS', 90);
const PAGE_SIZES = [1000, 100];
const PAGE_THROUGH_REPEATS = 5;
const REQUEST_TIMEOUT_MS = 120_000;

function findMlflow(): string {
  const py = process.env.CAIRN_TEST_PYTHON;
  const candidates = [
    process.env.BENCH_MLFLOW ?? '',
    py ? join(dirname(py), 'mlflow') : '',
    fileURLToPath(new URL('../../.venv/bin/mlflow', import.meta.url)),
  ];
  const found = candidates.find((c) => c !== '' && existsSync(c));
  if (!found)
    throw new Error(
      'no mlflow command found: run `eval "$(scripts/services/python-venv.sh)"` or set BENCH_MLFLOW',
    );
  return found;
}

function pythonPackageVersion(mlflow: string, pkg: string): string {
  const r = spawnSync(
    join(dirname(mlflow), 'python'),
    ['-c', `import importlib.metadata as m; print(m.version('${pkg}'))`],
    { encoding: 'utf8' },
  );
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

function pgUrl(): string | undefined {
  const url = process.env.BENCH_PG_URL || process.env.CAIRN_TEST_PG_URL;
  if (process.env.BENCH_PG === '0') return undefined;
  if (process.env.BENCH_PG === '1' && !url)
    throw new Error(
      'BENCH_PG=1 but neither BENCH_PG_URL nor CAIRN_TEST_PG_URL is set: run `eval "$(scripts/services/postgres.sh)"`',
    );
  return url;
}

const say = (line: string) => process.stderr.write(`bench:tracking: ${line}\n`);

interface Target {
  server: ServerUnderTest;
  startupMs: number;
  /** MLflow: writes runs straight into its database, for what HTTP would take too long to send. */
  direct?: (experimentId: string, specs: readonly RunSpec[]) => Promise<number>;
}

async function measure({ server, startupMs, direct }: Target): Promise<Measured> {
  const client = new BenchClient(server.url, {
    sockets: Math.max(CLIENTS, LOG_CONCURRENCY),
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
  const specs = runSpecs(RUNS, SEARCH_RUNS);
  try {
    const experimentId = await createExperiment(client, 'bench-tracking');
    say(`${server.name}: logging ${RUNS} runs, ${LOG_CONCURRENCY} clients`);
    const cpu0 = server.cpuSeconds();
    const limit = direct ? MLFLOW_LOG_SECONDS * 1000 : Number.POSITIVE_INFINITY;
    const logging = await logRuns(client, experimentId, specs.slice(0, RUNS), LOG_CONCURRENCY, limit);
    const loggingCpu = server.cpuSeconds() - cpu0;
    say(`${server.name}: ${logging.runs} runs at ${(logging.runs / (logging.ms / 1000)).toFixed(1)} runs/s`);
    let seeding: Measured['seeding'];
    if (direct) {
      say(`${server.name}: writing ${SEARCH_RUNS - logging.runs} more runs straight into its database`);
      const ms = await direct(experimentId, specs.slice(logging.runs));
      seeding = { runs: SEARCH_RUNS - logging.runs, ms, http: false };
    } else {
      say(`${server.name}: logging ${SEARCH_RUNS - RUNS} more runs for the search workload`);
      const extra = await logRuns(client, experimentId, specs.slice(RUNS), LOG_CONCURRENCY);
      seeding = { runs: extra.runs, ms: extra.ms, http: true };
    }
    say(`${server.name}: searching`);
    const search = await searchRuns(client, experimentId, PAGE_SIZES, SEARCH_REQUESTS, PAGE_THROUGH_REPEATS);
    say(`${server.name}: ${CLIENTS} clients for ${CONCURRENCY_SECONDS} s`);
    const concurrencyExperiment = await createExperiment(client, 'bench-concurrency');
    const mark = server.mark();
    const cpu1 = server.cpuSeconds();
    const own = process.cpuUsage();
    const concurrency = await hammer(client, concurrencyExperiment, CLIENTS, CONCURRENCY_SECONDS);
    const concurrencyCpu = server.cpuSeconds() - cpu1;
    const used = process.cpuUsage(own);
    const lockedLines = (text: string) =>
      text.split('\n').filter((l) => /database is locked/i.test(l)).length;
    say(
      `${server.name}: ${Math.round(concurrency.requests / (concurrency.ms / 1000))} requests/s, ${concurrency.errors.total} errors`,
    );
    return {
      startupMs,
      logging,
      loggingCpu,
      seeding,
      search,
      concurrency,
      concurrencyCpu,
      generatorCpu: (used.user + used.system) / 1e6,
      lockedLogLines: lockedLines(server.since(mark)),
      lockedLogLinesAll: lockedLines(server.since(0)),
    };
  } finally {
    client.close();
  }
}

async function runBackend(
  backend: Backend['name'],
  stores: { cairn: string; mlflow: string },
  root: string,
  mlflow: string,
): Promise<Backend> {
  const result: Partial<Backend> = { name: backend };
  for (const which of ['cairn', 'mlflow'] as const) {
    const dir = join(root, `${backend}-${which}`);
    mkdirSync(dir, { recursive: true });
    say(`${backend}: starting the ${which} server`);
    const t = performance.now();
    const server =
      which === 'cairn'
        ? await startCairn({
            store: stores.cairn,
            artifacts: pathToFileURL(join(dir, 'artifacts')).href,
            cwd: dir,
          })
        : await startMlflow({
            mlflow,
            store: stores.mlflow,
            artifacts: join(dir, 'artifacts'),
            workers: MLFLOW_WORKERS,
            cwd: dir,
          });
    const startupMs = performance.now() - t;
    const direct =
      which === 'mlflow'
        ? (experimentId: string, specs: readonly RunSpec[]) =>
            writeIntoMlflow({
              python: join(dirname(mlflow), 'python'),
              storeUri: stores.mlflow,
              experimentId,
              specs,
              dir,
            })
        : undefined;
    try {
      result[which] = await measure({ server, startupMs, ...(direct ? { direct } : {}) });
    } finally {
      await server.stop();
    }
  }
  return result as Backend;
}

const root = mkdtempSync(join(tmpdir(), 'cairn-bench-tracking-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const pgAdmin = pgUrl();
const databases = pgAdmin ? new BenchDatabases(pgAdmin) : undefined;
try {
  const mlflow = findMlflow();
  const mlflowVersion = pythonPackageVersion(mlflow, 'mlflow');
  const pgVersion = databases ? await databases.version() : undefined;
  const expected = expectedSearch(runSpecs(RUNS, SEARCH_RUNS));
  const before = loadavg();
  const backends: Backend[] = [];
  backends.push(
    await runBackend(
      'SQLite',
      {
        cairn: `sqlite://${join(root, 'sqlite-cairn', 'cairn.db')}`,
        mlflow: `sqlite:///${join(root, 'sqlite-mlflow', 'mlflow.db')}`,
      },
      root,
      mlflow,
    ),
  );
  if (databases)
    backends.push(
      await runBackend(
        'PostgreSQL',
        {
          cairn: await databases.fresh('cairn_bench_tracking_cairn'),
          // SQLAlchemy 2.1's default PostgreSQL driver is psycopg 3; the venv pins psycopg2.
          mlflow: (await databases.fresh('cairn_bench_tracking_mlflow')).replace(
            /^postgres(ql)?:/,
            'postgresql+psycopg2:',
          ),
        },
        root,
        mlflow,
      ),
    );
  const after = loadavg();
  const body = renderReport({
    date: new Date().toISOString().slice(0, 10),
    machine: machine(),
    mlflowVersion,
    mlflowWorkers: MLFLOW_WORKERS,
    pgVersion,
    load: { before, after },
    settings: {
      runs: RUNS,
      searchRuns: SEARCH_RUNS,
      logConcurrency: LOG_CONCURRENCY,
      clients: CLIENTS,
      seconds: CONCURRENCY_SECONDS,
      mlflowLogSeconds: MLFLOW_LOG_SECONDS,
      searchRequests: SEARCH_REQUESTS,
      pageSizes: PAGE_SIZES,
    },
    expected,
    backends,
  });
  process.stdout.write(`${body}\n`);
  if (process.env.BENCH_WRITE_DOCS !== '0')
    replaceSection(
      fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url)),
      'bench:tracking',
      body,
    );
} finally {
  await databases?.dropAll().catch((err: unknown) => say(`could not drop the benchmark databases: ${err}`));
  rmSync(root, { recursive: true, force: true });
}
