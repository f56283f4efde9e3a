import { errors } from '../../kernel/errors.ts';
import type { SqlExecutor } from '../../store/metadata-store.ts';
import {
  type MetricSeries,
  type MetricSeriesOptions,
  type MetricSeriesSet,
  type MetricSummary,
  SERIES_AXES,
  SERIES_MAX_BUCKETS,
  SERIES_MAX_RUNS,
  type SeriesAxis,
} from '../tracking-views.ts';
import { inList } from './run-data.ts';

interface BucketRow {
  [column: string]: unknown;
  run_uuid: string;
  b: number | string;
  lo: number | null;
  hi: number | null;
  n: number | string;
  first: number | null;
  last: number | null;
}

function checkOptions(options: MetricSeriesOptions): SeriesAxis {
  const x = options.x ?? 'step';
  if (!SERIES_AXES.includes(x))
    throw errors.invalid(`invalid x axis "${x}": use ${SERIES_AXES.join(' or ')}`);
  if (options.runIds.length === 0 || options.runIds.length > SERIES_MAX_RUNS)
    throw errors.invalid(`give 1 to ${SERIES_MAX_RUNS} run ids (got ${options.runIds.length})`);
  if (!Number.isSafeInteger(options.buckets) || options.buckets < 1 || options.buckets > SERIES_MAX_BUCKETS)
    throw errors.invalid(`invalid buckets ${options.buckets}: give 1 to ${SERIES_MAX_BUCKETS}`);
  for (const bound of [options.from, options.to])
    if (bound !== undefined && !Number.isSafeInteger(bound))
      throw errors.invalid(
        `invalid range bound ${bound}: give a whole number of ${x === 'step' ? 'steps' : 'milliseconds'}`,
      );
  if (options.from !== undefined && options.to !== undefined && options.from > options.to)
    throw errors.invalid(`invalid range: from ${options.from} is after to ${options.to}`);
  return x;
}

/** The smallest and largest x of the metric over the runs; both ends are index seeks on `step`. */
async function rangeOf(
  db: SqlExecutor,
  runIds: readonly string[],
  key: string,
  x: SeriesAxis,
): Promise<{ from: number; to: number } | undefined> {
  let from: number | undefined;
  let to: number | undefined;
  for (const run of runIds) {
    const row = await db.get<{ lo: number | string | null; hi: number | string | null }>(
      `SELECT (SELECT MIN(${x}) FROM tracking_metrics WHERE run_uuid = ? AND key = ?) AS lo,
              (SELECT MAX(${x}) FROM tracking_metrics WHERE run_uuid = ? AND key = ?) AS hi`,
      [run, key, run, key],
    );
    if (row?.lo === null || row?.lo === undefined || row.hi === null) continue;
    from = Math.min(from ?? Number(row.lo), Number(row.lo));
    to = Math.max(to ?? Number(row.hi), Number(row.hi));
  }
  return from === undefined || to === undefined ? undefined : { from, to };
}

/**
 * Metric histories cut into buckets of equal width in SQL, one statement for every run: the
 * database scans each history once in its primary-key order and returns only per-bucket first,
 * last, min, max and count — a few thousand numbers however long the history. Bucket numbers
 * are integer divisions, so SQLite and PostgreSQL agree exactly. First and last values are then
 * read by index seeks on (run, key, step) within each bucket's step range.
 */
export async function queryMetricSeries(
  db: SqlExecutor,
  options: MetricSeriesOptions,
): Promise<MetricSeriesSet> {
  const x = checkOptions(options);
  const runIds = [...new Set(options.runIds)];
  const found =
    options.from !== undefined && options.to !== undefined
      ? { from: options.from, to: options.to }
      : await rangeOf(db, runIds, options.key, x);
  const empty = (from: number | null, to: number | null): MetricSeriesSet => ({
    key: options.key,
    x,
    from,
    to,
    width: 1,
    series: runIds.map((run_id) => ({ run_id, x: [], first: [], last: [], min: [], max: [], count: [] })),
  });
  if (!found) return empty(null, null);
  const from = options.from ?? found.from;
  const to = options.to ?? found.to;
  if (from > to) return empty(from, to);
  const width = Math.max(1, Math.ceil((to - from + 1) / options.buckets));
  const runs = inList(runIds);
  // For the step axis a bucket is a step range; for time, the steps inside a time bucket still
  // bound the seek for its first and last point (histories are written in step order). The
  // grouping sorts every point once: measured on SQLite, that sort is most of the time of a
  // million-point history (the scan alone is a quarter of it), so it carries no column it does
  // not need.
  const order = x === 'step' ? 'step, timestamp' : 'timestamp, step';
  const pick = (bound: 's0' | 's1', t: 't0' | 't1', direction: 'ASC' | 'DESC') =>
    `(SELECT CASE WHEN f.is_nan = 1 THEN NULL ELSE f.value END FROM tracking_metrics f
      WHERE f.run_uuid = g.run_uuid AND f.key = ? AND ${
        x === 'step' ? `f.step = g.${bound}` : `f.step BETWEEN g.s0 AND g.s1 AND f.timestamp = g.${t}`
      }
      ORDER BY ${order
        .split(', ')
        .map((c) => `f.${c} ${direction}`)
        .join(', ')}, f.is_nan ${direction}, f.value ${direction} LIMIT 1)`;
  const sql = `WITH g AS (
      SELECT run_uuid, (${x} - CAST(? AS BIGINT)) / CAST(? AS BIGINT) AS b,
             MIN(step) AS s0, MAX(step) AS s1${x === 'timestamp' ? ', MIN(timestamp) AS t0, MAX(timestamp) AS t1' : ''},
             MIN(CASE WHEN is_nan = 0 THEN value END) AS lo, MAX(CASE WHEN is_nan = 0 THEN value END) AS hi,
             COUNT(*) AS n
      FROM tracking_metrics
      WHERE run_uuid ${runs.sql} AND key = ? AND ${x} >= ? AND ${x} <= ?
      GROUP BY run_uuid, b
    )
    SELECT g.run_uuid, g.b, g.lo, g.hi, g.n, ${pick('s0', 't0', 'ASC')} AS first, ${pick('s1', 't1', 'DESC')} AS last
    FROM g ORDER BY g.run_uuid, g.b`;
  const rows = await db.all<BucketRow>(sql, [
    from,
    width,
    ...runs.params,
    options.key,
    from,
    to,
    options.key,
    options.key,
  ]);
  const byRun = new Map<string, MetricSeries>(
    runIds.map((run_id) => [run_id, { run_id, x: [], first: [], last: [], min: [], max: [], count: [] }]),
  );
  const num = (v: number | null) => (v === null ? Number.NaN : Number(v));
  for (const row of rows) {
    const s = byRun.get(row.run_uuid);
    if (!s) continue;
    s.x.push(from + Number(row.b) * width);
    s.first.push(num(row.first));
    s.last.push(num(row.last));
    s.min.push(num(row.lo));
    s.max.push(num(row.hi));
    s.count.push(Number(row.n));
  }
  return { key: options.key, x, from, to, width, series: [...byRun.values()] };
}

/** Each metric of a run: its latest value and its min, max and count over the whole history. */
export async function queryMetricSummaries(db: SqlExecutor, runId: string): Promise<MetricSummary[]> {
  const [latest, stats] = await Promise.all([
    db.all<{ key: string; value: number; is_nan: number; step: number | string; timestamp: number | string }>(
      'SELECT key, value, is_nan, step, timestamp FROM tracking_latest_metrics WHERE run_uuid = ? ORDER BY key',
      [runId],
    ),
    db.all<{ key: string; lo: number | null; hi: number | null; n: number | string }>(
      `SELECT key, MIN(CASE WHEN is_nan = 0 THEN value END) AS lo, MAX(CASE WHEN is_nan = 0 THEN value END) AS hi,
              COUNT(*) AS n
       FROM tracking_metrics WHERE run_uuid = ? GROUP BY key`,
      [runId],
    ),
  ]);
  const statsOf = new Map(stats.map((s) => [s.key, s]));
  return latest.map((m) => {
    const s = statsOf.get(m.key);
    return {
      key: m.key,
      last: Number(m.is_nan) === 1 ? Number.NaN : Number(m.value),
      step: Number(m.step),
      timestamp: Number(m.timestamp),
      min: s?.lo === null || s?.lo === undefined ? Number.NaN : Number(s.lo),
      max: s?.hi === null || s?.hi === undefined ? Number.NaN : Number(s.hi),
      count: Number(s?.n ?? 0),
    };
  });
}
