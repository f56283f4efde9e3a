/** What the HTML report draws: chart-library-neutral descriptions of each plot. */

export interface Series {
  label: string;
  /** [x, y] pairs in drawing order. */
  points: [number, number][];
}

export interface LinePlot {
  kind: 'line';
  title: string;
  /** Where the data came from: a file path, or `metric history`. */
  source: string;
  x: string;
  y: string;
  series: Series[];
  /** Both axes span 0..1 with a dashed diagonal (an ROC curve). */
  unitSquare?: boolean;
  /** Set when points were thinned out for the report. */
  note?: string;
}

export interface ConfusionPlot {
  kind: 'confusion';
  title: string;
  source: string;
  labels: string[];
  /** matrix[actual][predicted] counts. */
  matrix: number[][];
}

export interface ImagePlot {
  kind: 'image';
  title: string;
  source: string;
  mime: string;
  base64: string;
}

/** A plot file that could not be drawn, with the reason. */
export interface PlotProblem {
  kind: 'problem';
  title: string;
  source: string;
  message: string;
}

export type PlotSpec = LinePlot | ConfusionPlot | ImagePlot | PlotProblem;

/** Most points one series keeps in the report (min and max of each bucket beyond that). */
export const MAX_POINTS = 4000;

/**
 * Thins a long series to at most MAX_POINTS, keeping the lowest and highest point of each
 * bucket so that spikes stay visible.
 */
export function thin(points: readonly [number, number][]): { points: [number, number][]; thinned: boolean } {
  if (points.length <= MAX_POINTS) return { points: [...points], thinned: false };
  const buckets = MAX_POINTS / 2;
  const size = points.length / buckets;
  const out: [number, number][] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(points.length, Math.floor((b + 1) * size));
    let lo = start;
    let hi = start;
    for (let i = start; i < end; i++) {
      if ((points[i] as [number, number])[1] < (points[lo] as [number, number])[1]) lo = i;
      if ((points[i] as [number, number])[1] > (points[hi] as [number, number])[1]) hi = i;
    }
    for (const i of lo <= hi ? [lo, hi] : [hi, lo])
      if (out.at(-1) !== points[i]) out.push(points[i] as [number, number]);
  }
  return { points: out, thinned: true };
}
