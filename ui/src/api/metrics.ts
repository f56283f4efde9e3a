import { cairn, toNumber } from './http.ts';

export type SeriesAxis = 'step' | 'timestamp';

/** One run's buckets: start x, first, last, min, max, count (see GET /api/v1/metrics/series). */
export interface MetricSeries {
  run_id: string;
  x: number[];
  first: number[];
  last: number[];
  min: number[];
  max: number[];
  count: number[];
}

export interface MetricSeriesSet {
  key: string;
  x: SeriesAxis;
  from: number | null;
  to: number | null;
  width: number;
  series: MetricSeries[];
}

export interface SeriesQuery {
  runIds: string[];
  key: string;
  buckets: number;
  x: SeriesAxis;
  from?: number | undefined;
  to?: number | undefined;
}

/** Most runs one request may name; more are asked for in several requests. */
export const SERIES_MAX_RUNS = 100;

export async function metricSeries(q: SeriesQuery, signal?: AbortSignal): Promise<MetricSeriesSet> {
  const body = await cairn<MetricSeriesSet>('metrics/series', {
    query: {
      run_id: q.runIds,
      key: q.key,
      buckets: q.buckets,
      x: q.x,
      ...(q.from !== undefined ? { from: q.from } : {}),
      ...(q.to !== undefined ? { to: q.to } : {}),
    },
    ...(signal ? { signal } : {}),
  });
  const numbers = (list: unknown[]) =>
    list.every((v) => typeof v === 'number') ? (list as number[]) : list.map(toNumber);
  for (const s of body.series) {
    s.first = numbers(s.first);
    s.last = numbers(s.last);
    s.min = numbers(s.min);
    s.max = numbers(s.max);
  }
  return body;
}
