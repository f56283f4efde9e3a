import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { type MetricSeriesSet, metricSeries, SERIES_MAX_RUNS, type SeriesAxis } from '../api/metrics.ts';
import { chartColors, seriesColor } from '../app/theme.ts';
import { formatNumber } from './format.ts';
import { ErrorMessage } from './status.tsx';

export interface ChartRun {
  id: string;
  name: string;
}

export interface MetricChartProps {
  metricKey: string;
  runs: ChartRun[];
  x: SeriesAxis;
  height?: number;
}

/** Asks for up to SERIES_MAX_RUNS runs per request, all on the first request's range. */
async function loadSeries(
  runs: ChartRun[],
  key: string,
  buckets: number,
  x: SeriesAxis,
  zoom: [number, number] | undefined,
  signal: AbortSignal,
): Promise<MetricSeriesSet> {
  const ids = runs.map((r) => r.id);
  const first = await metricSeries(
    { runIds: ids.slice(0, SERIES_MAX_RUNS), key, buckets, x, from: zoom?.[0], to: zoom?.[1] },
    signal,
  );
  if (ids.length <= SERIES_MAX_RUNS || first.from === null || first.to === null) return first;
  const rest: Promise<MetricSeriesSet>[] = [];
  for (let i = SERIES_MAX_RUNS; i < ids.length; i += SERIES_MAX_RUNS)
    rest.push(
      metricSeries(
        {
          runIds: ids.slice(i, i + SERIES_MAX_RUNS),
          key,
          buckets,
          x,
          from: zoom?.[0] ?? first.from,
          to: zoom?.[1] ?? first.to,
        },
        signal,
      ),
    );
  for (const more of await Promise.all(rest)) first.series.push(...more.series);
  return first;
}

/** uPlot's aligned columns: the union of bucket starts, and per run its min and max (null where empty). */
function alignedData(set: MetricSeriesSet): uPlot.AlignedData {
  const xs = new Set<number>();
  for (const s of set.series) for (const x of s.x) xs.add(x);
  const xAxis = Float64Array.from(xs).sort();
  const index = new Map<number, number>();
  xAxis.forEach((x, i) => {
    index.set(x, i);
  });
  const columns: (number | null)[][] = [];
  const finite = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : null);
  for (const s of set.series) {
    const lo: (number | null)[] = new Array(xAxis.length).fill(null);
    const hi: (number | null)[] = new Array(xAxis.length).fill(null);
    for (let j = 0; j < s.x.length; j++) {
      const i = index.get(s.x[j] as number) as number;
      lo[i] = finite(s.min[j]);
      hi[i] = finite(s.max[j]);
    }
    columns.push(lo, hi);
  }
  return [Array.from(xAxis), ...columns] as uPlot.AlignedData;
}

function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((v) => v + 1);
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    window.addEventListener('cairn-theme', bump);
    media.addEventListener('change', bump);
    return () => {
      window.removeEventListener('cairn-theme', bump);
      media.removeEventListener('change', bump);
    };
  }, []);
  return version;
}

/**
 * One metric of one or more runs, drawn with uPlot from bucketed series: the server cuts the
 * history into as many buckets as the chart has pixels, and each run is drawn as the band
 * between its bucket minima and maxima, so a chart of a million points keeps every spike and
 * arrives in one small answer. Drag to zoom (the zoomed range is asked for again, in full
 * detail); double-click or "Reset zoom" to go back.
 */
export function MetricChart({ metricKey, runs, x, height = 240 }: MetricChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const legendRef = useRef<HTMLUListElement>(null);
  const [width, setWidth] = useState(0);
  const [zoom, setZoom] = useState<[number, number] | undefined>(undefined);
  const theme = useThemeVersion();

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => {
      const w = Math.floor(entry?.contentRect.width ?? 0);
      setWidth((old) => (Math.abs(old - w) > 8 ? w : old));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const buckets = Math.max(50, Math.min(4000, width - 60));
  const runKey = runs.map((r) => r.id).join(',');
  const series = useQuery({
    queryKey: ['series', metricKey, runKey, x, buckets, zoom],
    queryFn: ({ signal }) => loadSeries(runs, metricKey, buckets, x, zoom, signal),
    enabled: width > 0 && runs.length > 0,
    staleTime: 30_000,
  });
  const data = useMemo(() => (series.data ? alignedData(series.data) : undefined), [series.data]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a theme change redraws with the new colours
  useEffect(() => {
    const el = box.current;
    if (!el || !data || !series.data || width === 0) return;
    const colors = chartColors();
    const order = new Map(runs.map((r, i) => [r.id, i]));
    const seriesOpts: uPlot.Series[] = [{}];
    const bands: uPlot.Band[] = [];
    series.data.series.forEach((s, i) => {
      const color = seriesColor(order.get(s.run_id) ?? i);
      const name = runs[order.get(s.run_id) ?? i]?.name ?? s.run_id;
      // Few values: each is drawn as a point too, or a run logged once would show nothing.
      const points = { show: s.x.length <= 60, size: 5, fill: color, stroke: color };
      seriesOpts.push(
        { label: `${name} (min)`, stroke: color, width: 1, spanGaps: true, points },
        { label: name, stroke: color, width: 1, spanGaps: true, points },
      );
      bands.push({ series: [2 * i + 2, 2 * i + 1], fill: `${color}55` });
    });
    const axis = {
      stroke: colors.text,
      grid: { stroke: colors.grid, width: 1 },
      ticks: { stroke: colors.axis },
    };
    const opts: uPlot.Options = {
      width,
      height,
      ms: 1,
      series: seriesOpts,
      bands,
      legend: { show: false },
      scales: { x: { time: x === 'timestamp' } },
      axes: [
        x === 'step' ? { ...axis, values: (_u, vals) => vals.map((v) => formatNumber(v)) } : axis,
        { ...axis, size: 60, values: (_u, vals) => vals.map((v) => formatNumber(v)) },
      ],
      cursor: { drag: { x: true, y: false, setScale: false }, sync: { key: 'cairn-charts' } },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 4) return;
            const lo = Math.floor(u.posToVal(u.select.left, 'x'));
            const hi = Math.ceil(u.posToVal(u.select.left + u.select.width, 'x'));
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            if (hi > lo) setZoom([lo, hi]);
          },
        ],
        setCursor: [
          (u) => {
            const list = legendRef.current;
            const idx = u.cursor.idx;
            if (!list) return;
            series.data?.series.forEach((_s, i) => {
              const out = list.children[i]?.querySelector('output');
              if (!out) return;
              if (idx === null || idx === undefined) {
                out.textContent = '';
                return;
              }
              const lo = u.data[2 * i + 1]?.[idx];
              const hi = u.data[2 * i + 2]?.[idx];
              out.textContent =
                lo === null || lo === undefined
                  ? ''
                  : lo === hi
                    ? formatNumber(lo)
                    : `${formatNumber(lo)} – ${formatNumber(hi ?? undefined)}`;
            });
          },
        ],
        draw: [() => el.setAttribute('data-drawn', String(Date.now()))],
      },
    };
    plotRef.current?.destroy();
    el.removeAttribute('data-drawn');
    const plot = new uPlot(opts, data, el);
    plotRef.current = plot;
    const reset = () => setZoom(undefined);
    plot.over.addEventListener('dblclick', reset);
    return () => {
      plot.over.removeEventListener('dblclick', reset);
      plot.destroy();
      if (plotRef.current === plot) plotRef.current = null;
    };
  }, [data, series.data, width, height, x, runs, theme]);

  const set = series.data;
  const points = set?.series.reduce((n, s) => n + s.count.reduce((a, b) => a + b, 0), 0) ?? 0;
  return (
    <figure className="chart">
      <figcaption>
        <span className="chart-title">{metricKey}</span>
        {set && set.from !== null ? (
          <span className="muted small">
            {points.toLocaleString('en')} points
            {set.width > 1
              ? `, ${set.width.toLocaleString('en')} ${x === 'step' ? 'steps' : 'ms'} per pixel`
              : ''}
          </span>
        ) : null}
        {zoom ? (
          <button type="button" className="small" onClick={() => setZoom(undefined)}>
            Reset zoom
          </button>
        ) : null}
      </figcaption>
      <div
        ref={box}
        className="chart-canvas"
        role="img"
        aria-label={`${metricKey} by ${x} for ${runs.length} run${runs.length === 1 ? '' : 's'}${set?.from !== null && set ? `, ${x} ${set.from} to ${set.to}` : ''}`}
        style={{ minHeight: height }}
        data-metric={metricKey}
      />
      {series.error ? <ErrorMessage error={series.error} /> : null}
      {set && set.from === null ? <p className="muted small">No values logged.</p> : null}
      <ul ref={legendRef} className="chart-legend">
        {runs.map((r, i) => (
          <li key={r.id}>
            <span className="swatch" style={{ background: seriesColor(i) }} aria-hidden="true" />
            {r.name} <output className="muted" />
          </li>
        ))}
      </ul>
    </figure>
  );
}

export default MetricChart;
