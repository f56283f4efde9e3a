import { fmtMs, median } from '../support.ts';
import { percentile } from './http-client.ts';
import type { ConcurrencyResult, LoggingResult, SearchResult } from './workloads.ts';

/** What one server did on one backend. */
export interface Measured {
  startupMs: number;
  logging: LoggingResult;
  /** CPU seconds of the server's processes during the logging workload. */
  loggingCpu: number;
  /** The extra runs of the search workload: over HTTP (Cairn) or written into the database (MLflow). */
  seeding: { runs: number; ms: number; http: boolean };
  search: SearchResult;
  concurrency: ConcurrencyResult;
  concurrencyCpu: number;
  /** CPU seconds of the load generator (this process) during the concurrency workload. */
  generatorCpu: number;
  /** Lines of server output mentioning "database is locked": during the concurrency workload, and in all. */
  lockedLogLines: number;
  lockedLogLinesAll: number;
}

export interface Backend {
  name: 'SQLite' | 'PostgreSQL';
  cairn: Measured;
  mlflow: Measured;
}

export interface ReportInput {
  date: string;
  machine: string;
  mlflowVersion: string;
  mlflowWorkers: number;
  pgVersion: string | undefined;
  load: { before: number[]; after: number[] };
  settings: {
    runs: number;
    searchRuns: number;
    logConcurrency: number;
    clients: number;
    seconds: number;
    mlflowLogSeconds: number;
    searchRequests: number;
    pageSizes: number[];
  };
  expected: string[];
  backends: Backend[];
}

const n = (v: number) => Math.round(v).toLocaleString('en-US');
const rate = (count: number, ms: number) => count / (ms / 1000);
const times = (x: number) => `${x >= 10 ? Math.round(x) : x.toFixed(1)}×`;

function sameOrder(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Runs/s and points/s; for a server measured on the first runs only, the full count extrapolated. */
function loggingCell(r: LoggingResult, total: number): string {
  const runsPerSecond = rate(r.runs, r.ms);
  const measured =
    r.runs < total
      ? `measured on the first ${n(r.runs)} of ${n(total)} runs in ${fmtMs(r.ms)}; all ${n(total)}: ~${fmtMs((total / runsPerSecond) * 1000)} extrapolated`
      : fmtMs(r.ms);
  return `${runsPerSecond.toFixed(1)} runs/s, ${n(rate(r.points, r.ms))} points/s (${measured})`;
}

function retriesNote(name: string, r: LoggingResult): string {
  return r.retries.total
    ? `${name} answered ${n(r.retries.total)} requests with 5xx, retried (${r.retries.summary(1)})`
    : '';
}

function latencyCell(values: readonly number[]): string {
  return `p50 ${fmtMs(percentile(values, 50))}, p95 ${fmtMs(percentile(values, 95))}`;
}

function searchCheck(expected: readonly string[], s: SearchResult, pageSize: number): string {
  const first = expected.slice(0, pageSize);
  const ok = sameOrder(s.allNames, expected) && sameOrder(s.firstPageNames, first);
  return ok
    ? `${n(expected.length)} runs, as expected`
    : `**differs** (${n(s.allNames.length)} runs paged, ${n(s.firstPageNames.length)} on the first page)`;
}

function concurrencyCell(c: ConcurrencyResult): string {
  return `${n(rate(c.requests, c.ms))} req/s (${n(c.requests)} requests), p50 ${fmtMs(percentile(c.latencies, 50))}, p99 ${fmtMs(percentile(c.latencies, 99))}`;
}

function errorsCell(m: Measured): string {
  const c = m.concurrency;
  const locked = c.errors.locked > 0 || m.lockedLogLines > 0;
  const parts = [`${n(c.errors.total)} errors`];
  parts.push(
    locked
      ? `"database is locked": yes (${n(c.errors.locked)} replies, ${n(m.lockedLogLines)} log lines)`
      : '"database is locked": no',
  );
  return parts.join('; ');
}

function backendTable(input: ReportInput, b: Backend): string[] {
  const { settings: s, expected } = input;
  const { cairn: c, mlflow: m } = b;
  const largest = Math.max(...s.pageSizes);
  const smallest = Math.min(...s.pageSizes);
  const ratio = (cairnMs: number, mlflowMs: number) => times(mlflowMs / cairnMs);
  const rows: string[] = [];
  const cpuPerRun = (x: Measured) => fmtMs((x.loggingCpu * 1000) / x.logging.runs);
  const logNotes = [
    `create → 1 log-batch (223 entities) → update; server CPU per run: Cairn ${cpuPerRun(c)}, MLflow ${cpuPerRun(m)}`,
    retriesNote('Cairn', c.logging),
    retriesNote('MLflow', m.logging),
    'ratio of runs/s; goal ≥ 20×',
  ].filter(Boolean);
  rows.push(
    `| logging ${n(s.runs)} runs × (20 params, 20 metrics × 10 steps), ${s.logConcurrency} clients | ${loggingCell(c.logging, s.runs)} | ${loggingCell(m.logging, s.runs)} | ${times(rate(c.logging.runs, c.logging.ms) / rate(m.logging.runs, m.logging.ms))} | ${logNotes.join('; ')} |`,
  );
  for (const size of s.pageSizes) {
    const cs = c.search.firstPage.get(size) ?? [];
    const ms = m.search.firstPage.get(size) ?? [];
    const returned = Math.min(size, expected.length);
    rows.push(
      `| search, first page, max_results=${n(size)} (${n(returned)} of ${n(s.searchRuns)} runs) | ${latencyCell(cs)} | ${latencyCell(ms)} | ${ratio(percentile(cs, 50), percentile(ms, 50))} | ${s.searchRequests} sequential requests; p50 ratio${size === largest ? '; goals: p50 < 50 ms, ≥ 20×' : ''} |`,
    );
  }
  const cp = c.search.pageThrough;
  const mp = m.search.pageThrough;
  rows.push(
    `| search, page through all ${n(expected.length)} results, ${smallest} a page | ${fmtMs(median(cp.ms))} (${cp.pages} pages) | ${fmtMs(median(mp.ms))} (${mp.pages} pages) | ${ratio(median(cp.ms), median(mp.ms))} | median of ${cp.ms.length}, following next_page_token |`,
  );
  const agree =
    sameOrder(c.search.allNames, m.search.allNames) &&
    sameOrder(c.search.firstPageNames, m.search.firstPageNames);
  rows.push(
    `| search results checked | ${searchCheck(expected, c.search, largest)} | ${searchCheck(expected, m.search, largest)} | — | both servers return ${agree ? 'the same runs in the same order' : '**different runs or order**'} (compared by run name, at both page sizes) |`,
  );
  rows.push(
    `| ${s.clients} concurrent clients × ${s.seconds} s | ${concurrencyCell(c.concurrency)} | ${concurrencyCell(m.concurrency)} | ${times(rate(c.concurrency.requests, c.concurrency.ms) / rate(m.concurrency.requests, m.concurrency.ms))} | each client on its own run: log-batch (5 metrics), log-parameter, log-batch, set-tag, get-run; ratio of requests/s |`,
  );
  rows.push(
    `| errors in that workload | ${errorsCell(c)} | ${errorsCell(m)} | — | ${[
      c.concurrency.errors.total ? `Cairn: ${c.concurrency.errors.summary(2)}` : '',
      m.concurrency.errors.total ? `MLflow: ${m.concurrency.errors.summary(2)}` : '',
      'goal for Cairn: none, and no "database is locked"',
    ]
      .filter(Boolean)
      .join('; ')
      .replace(/\|/g, '\\|')} |`,
  );
  const seeded = (name: string, x: Measured) =>
    x.seeding.http
      ? `${name} received them over HTTP at ${n(rate(x.seeding.runs, x.seeding.ms))} runs/s`
      : `${n(x.seeding.runs)} runs (these and the logging runs it was not sent) were written straight into ${name}'s database (${fmtMs(x.seeding.ms)})`;
  return [
    `**${b.name}.** Server start: Cairn ${fmtMs(c.startupMs)}, MLflow ${fmtMs(m.startupMs)}. Search set-up, ${n(s.searchRuns - s.runs)} more runs with only params.model and metrics.acc: ${seeded('Cairn', c)}; ${seeded('MLflow', m)}. CPU time during the concurrency workload: Cairn's server ${c.concurrencyCpu.toFixed(1)} s and the load generator ${c.generatorCpu.toFixed(1)} s; MLflow's server ${m.concurrencyCpu.toFixed(1)} s and the load generator ${m.generatorCpu.toFixed(1)} s (PostgreSQL's own processes not counted).`,
    '',
    '| work | Cairn | MLflow | MLflow time / Cairn time | notes |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ];
}

export function renderReport(input: ReportInput): string {
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
  const lines = [
    `Run on ${input.date}: ${input.machine}; MLflow ${input.mlflowVersion} (uvicorn, ${input.mlflowWorkers} workers); ${input.pgVersion ?? 'PostgreSQL not run'}; load average ${load(input.load.before)} before, ${load(input.load.after)} after.`,
    '',
  ];
  for (const b of input.backends) lines.push(...backendTable(input, b), '');
  return lines.join('\n').trimEnd();
}
