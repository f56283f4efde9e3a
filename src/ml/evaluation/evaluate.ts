import { errors } from '../../kernel/errors.ts';
import { binaryMetrics } from '../metrics/binary-metrics.ts';
import {
  type CalibrationCurve,
  type CurvePoints,
  calibrationCurve,
  precisionRecallCurve,
  rocCurve,
} from '../metrics/curves.ts';
import type { MetricSet } from '../metrics/metric-set.ts';
import {
  argmaxClasses,
  type ClassProbabilities,
  confusionMatrix,
  multiclassMetrics,
} from '../metrics/multiclass-metrics.ts';
import { regressionMetrics } from '../metrics/regression-metrics.ts';
import { type SliceColumn, type SliceSpec, sliceGroups } from '../metrics/slices.ts';
import {
  DEFAULT_THRESHOLD,
  resolveThreshold,
  type ThresholdSpec,
  thresholdText,
} from '../metrics/threshold.ts';
import type { ClassificationPredictions, Predictions } from './predictions.ts';

export interface EvaluateOptions {
  /** The target column's name, for messages. */
  target: string;
  /** Binary classification only; default a fixed 0.5. */
  threshold?: ThresholdSpec;
  slices?: { spec: SliceSpec; column: SliceColumn }[];
  /** Bins of the calibration curve (default 10). */
  calibrationBins?: number;
}

export interface SliceMetrics {
  /** The value, the bin `(a, b]`, or `(missing)`. */
  label: string;
  rows: number;
  metrics: MetricSet;
}

export interface SliceResult {
  column: string;
  bins?: number;
  groups: SliceMetrics[];
}

/** Everything `cairn eval` computes on one data set. */
export interface Evaluation {
  task: 'classification' | 'regression';
  rows: number;
  target: string;
  /** Classification: the model's classes; with two, the second is the positive class. */
  classes?: string[];
  positive_class?: string;
  /** Binary classification: the threshold used and how it was chosen. */
  threshold?: { value: number; spec: string };
  metrics: MetricSet;
  confusion_matrix?: { labels: string[]; matrix: number[][] };
  /** Binary classification: the curves of the report (ROC and PR thinned to at most 1,000 points). */
  curves?: { roc: CurvePoints; pr: CurvePoints; calibration: CalibrationCurve };
  slices: SliceResult[];
}

const MAX_CURVE_POINTS = 1000;

/**
 * Computes every metric of the task on all rows and on each group of each slice. Classification
 * needs at least two classes among the labels (one class is an error naming the target); inside a
 * slice, one class only makes the metrics that need two undefined.
 */
export function evaluate(predictions: Predictions, options: EvaluateOptions): Evaluation {
  const rows = predictions.actual.length;
  if (rows === 0)
    throw errors.invalid(`no rows to evaluate: the data has no row with a value for ${options.target}`);
  if (predictions.task === 'regression') {
    const metricsOf = (idx?: Uint32Array) =>
      idx
        ? regressionMetrics(pick(predictions.actual, idx), pick(predictions.predicted, idx))
        : regressionMetrics(predictions.actual, predictions.predicted);
    return {
      task: 'regression',
      rows,
      target: options.target,
      metrics: metricsOf(),
      slices: slicesOf(options, metricsOf),
    };
  }
  return evaluateClassifier(predictions, options);
}

function evaluateClassifier(p: ClassificationPredictions, options: EvaluateOptions): Evaluation {
  const { classes, actual } = p;
  const present = new Set(actual);
  if (present.size < 2)
    throw errors.invalid(
      `target column ${options.target} has one class only (${classes[actual[0] as number]}): classification metrics need at least two`,
      { hint: 'evaluate on data with both positive and negative rows' },
    );
  const base = { task: 'classification' as const, rows: actual.length, target: options.target, classes };
  if (classes.length === 2) {
    const positive = Uint8Array.from(actual, (c) => (c === 1 ? 1 : 0));
    const scores = column(p.probabilities, 1);
    const spec = options.threshold ?? DEFAULT_THRESHOLD;
    const threshold = resolveThreshold(spec, positive, scores);
    const metricsOf = (idx?: Uint32Array) =>
      idx
        ? binaryMetrics(pickBytes(positive, idx), pick(scores, idx), threshold)
        : binaryMetrics(positive, scores, threshold);
    const predicted = Int32Array.from(scores, (s) => (s >= threshold ? 1 : 0));
    return {
      ...base,
      positive_class: classes[1] as string,
      threshold: { value: threshold, spec: thresholdText(spec) },
      metrics: metricsOf(),
      confusion_matrix: { labels: classes, matrix: confusionMatrix(actual, predicted, 2) },
      curves: {
        roc: thin(rocCurve(positive, scores)),
        pr: thin(precisionRecallCurve(positive, scores)),
        calibration: calibrationCurve(positive, scores, options.calibrationBins ?? 10),
      },
      slices: slicesOf(options, metricsOf),
    };
  }
  if (options.threshold && options.threshold.kind !== 'fixed')
    throw errors.invalid('--threshold optimize:f1 applies to binary classifiers only', {
      hint: `the model has ${classes.length} classes; leave --threshold out`,
    });
  const metricsOf = (idx?: Uint32Array) =>
    idx
      ? multiclassMetrics(pickInts(actual, idx), pickRows(p.probabilities, idx))
      : multiclassMetrics(actual, p.probabilities);
  return {
    ...base,
    metrics: metricsOf(),
    confusion_matrix: {
      labels: classes,
      matrix: confusionMatrix(actual, argmaxClasses(p.probabilities), classes.length),
    },
    slices: slicesOf(options, metricsOf),
  };
}

function slicesOf(options: EvaluateOptions, metricsOf: (idx: Uint32Array) => MetricSet): SliceResult[] {
  return (options.slices ?? []).map(({ spec, column }) => ({
    column: spec.column,
    ...(spec.bins !== undefined ? { bins: spec.bins } : {}),
    groups: sliceGroups(spec, column).map((g) => ({
      label: g.label,
      rows: g.rows.length,
      metrics: metricsOf(g.rows),
    })),
  }));
}

/** Column `j` of class probabilities. */
export function column(p: ClassProbabilities, j: number): Float64Array {
  const n = p.values.length / p.k;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = p.values[i * p.k + j] as number;
  return out;
}

function pick(xs: Float64Array, idx: Uint32Array): Float64Array {
  return Float64Array.from(idx, (i) => xs[i] as number);
}
function pickBytes(xs: Uint8Array, idx: Uint32Array): Uint8Array {
  return Uint8Array.from(idx, (i) => xs[i] as number);
}
function pickInts(xs: Int32Array, idx: Uint32Array): Int32Array {
  return Int32Array.from(idx, (i) => xs[i] as number);
}
function pickRows(p: ClassProbabilities, idx: Uint32Array): ClassProbabilities {
  const values = new Float64Array(idx.length * p.k);
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r] as number;
    values.set(p.values.subarray(i * p.k, (i + 1) * p.k), r * p.k);
  }
  return { k: p.k, values };
}

/** At most MAX_CURVE_POINTS points, keeping the first and the last. */
function thin(c: CurvePoints): CurvePoints {
  const n = c.x.length;
  if (n <= MAX_CURVE_POINTS) return c;
  const keep: number[] = [];
  for (let k = 0; k < MAX_CURVE_POINTS; k++) keep.push(Math.round((k * (n - 1)) / (MAX_CURVE_POINTS - 1)));
  return {
    x: keep.map((i) => c.x[i] as number),
    y: keep.map((i) => c.y[i] as number),
  };
}
