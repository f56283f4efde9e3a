import { canonicalJson } from '../../pipeline/run/param-values.ts';
import { type Direction, metricDirection } from './metric-direction.ts';
import type { DatasetState, ReportSide } from './report-side.ts';

export interface ParamRow {
  key: string;
  base?: unknown;
  head?: unknown;
}

export interface MetricRow {
  /** The stage whose metrics file holds it, or `run` for a metric only the tracked run has. */
  stage: string;
  key: string;
  base?: number;
  head?: number;
  /** head − base. */
  delta?: number;
  direction?: Direction;
  /** Whether the change is for the better, by the metric's direction. */
  verdict?: 'better' | 'worse' | 'same';
}

export interface DatasetRow {
  path: string;
  change: 'added' | 'removed' | 'modified';
  base?: DatasetState & { rows?: number };
  head?: DatasetState & { rows?: number };
}

export interface Comparison {
  params: ParamRow[];
  metrics: MetricRow[];
  datasets: DatasetRow[];
  /** No metric of the change could be compared: the base has none. */
  noBaseMetrics: boolean;
}

const same = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null);

/** What changed from `base` to `head`: params, every stage's metrics (with deltas), data sets. */
export function compareSides(base: ReportSide, head: ReportSide): Comparison {
  const params: ParamRow[] = [];
  for (const key of [...new Set([...base.params.keys(), ...head.params.keys()])].sort()) {
    const b = base.params.get(key);
    const h = head.params.get(key);
    if (base.params.has(key) && head.params.has(key) && same(b, h)) continue;
    params.push({
      key,
      ...(base.params.has(key) ? { base: b } : {}),
      ...(head.params.has(key) ? { head: h } : {}),
    });
  }

  const metrics: MetricRow[] = [];
  const inFiles = new Set<string>();
  const stages = [...new Set([...head.metrics.keys(), ...base.metrics.keys()])];
  for (const stage of stages) {
    const h = head.metrics.get(stage) ?? new Map<string, number>();
    const b = base.metrics.get(stage);
    for (const key of [...new Set([...h.keys(), ...(b?.keys() ?? [])])].sort()) {
      inFiles.add(key);
      metrics.push(row(stage, key, b?.get(key) ?? (b ? undefined : base.runMetrics.get(key)), h.get(key)));
    }
  }
  const runKeys = [...new Set([...head.runMetrics.keys(), ...base.runMetrics.keys()])].filter(
    (k) => !inFiles.has(k),
  );
  for (const key of runKeys.sort())
    metrics.push(row('run', key, base.runMetrics.get(key), head.runMetrics.get(key)));

  const datasets: DatasetRow[] = [];
  for (const path of [...new Set([...base.datasets.keys(), ...head.datasets.keys()])].sort()) {
    const b = base.datasets.get(path);
    const h = head.datasets.get(path);
    if (b && h && b.hash === h.hash) continue;
    datasets.push({
      path,
      change: !b ? 'added' : !h ? 'removed' : 'modified',
      ...(b ? { base: { ...b } } : {}),
      ...(h ? { head: { ...h } } : {}),
    });
  }
  return {
    params,
    metrics,
    datasets,
    noBaseMetrics: metrics.length > 0 && metrics.every((m) => m.base === undefined),
  };
}

function row(stage: string, key: string, base: number | undefined, head: number | undefined): MetricRow {
  const direction = metricDirection(key);
  const out: MetricRow = {
    stage,
    key,
    ...(base !== undefined ? { base } : {}),
    ...(head !== undefined ? { head } : {}),
    ...(direction ? { direction } : {}),
  };
  if (base !== undefined && head !== undefined) {
    out.delta = head - base;
    if (direction) {
      const tolerance = 1e-12 * Math.max(1, Math.abs(base));
      out.verdict =
        Math.abs(out.delta) <= tolerance
          ? 'same'
          : out.delta > 0 === (direction === 'higher')
            ? 'better'
            : 'worse';
    }
  }
  return out;
}
