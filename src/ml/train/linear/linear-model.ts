import type { EncodedFeatures } from '../features/encode-features.ts';
import { type FeatureSpec, linearWidth } from '../features/feature-spec.ts';

/**
 * A fitted linear model over the linear feature layout (one weight per number column, one per
 * category): `outputs` rows of weights, each with an intercept. Binary logistic regression and
 * ridge have one output; multinomial logistic regression one per class.
 */
export interface LinearModel {
  specs: readonly FeatureSpec[];
  outputs: number;
  /** outputs × width, row-major. */
  weights: Float64Array;
  intercepts: Float64Array;
}

/** The first weight index of each spec in the layout. */
export function weightOffsets(specs: readonly FeatureSpec[]): Int32Array {
  const offsets = new Int32Array(specs.length);
  let at = 0;
  specs.forEach((s, j) => {
    offsets[j] = at;
    at += s.kind === 'number' ? 1 : s.categories.length;
  });
  return offsets;
}

/**
 * Linear scores (outputs per row, row-major) of weights `w` (outputs × width, then the
 * intercepts) on encoded rows.
 */
export function linearScores(
  x: EncodedFeatures,
  w: Float64Array,
  outputs: number,
  into?: Float64Array,
): Float64Array {
  const width = linearWidth(x.specs);
  const n = x.rows;
  const scores = into ?? new Float64Array(n * outputs);
  const offsets = weightOffsets(x.specs);
  for (let k = 0; k < outputs; k++) {
    const base = k * width;
    const b = w[outputs * width + k] as number;
    for (let i = 0; i < n; i++) scores[i * outputs + k] = b;
    x.specs.forEach((spec, j) => {
      const col = x.columns[j] as Float64Array | Int32Array;
      const off = base + (offsets[j] as number);
      if (spec.kind === 'number') {
        const wj = w[off] as number;
        for (let i = 0; i < n; i++)
          scores[i * outputs + k] = (scores[i * outputs + k] as number) + wj * (col[i] as number);
      } else {
        for (let i = 0; i < n; i++) {
          const c = col[i] as number;
          if (c >= 0) scores[i * outputs + k] = (scores[i * outputs + k] as number) + (w[off + c] as number);
        }
      }
    });
  }
  return scores;
}

/** Adds `coef * residual[i*outputs+k]` times each row's features into the gradient `grad`. */
export function accumulateGradient(
  x: EncodedFeatures,
  residual: Float64Array,
  outputs: number,
  grad: Float64Array,
): void {
  const width = linearWidth(x.specs);
  const n = x.rows;
  const offsets = weightOffsets(x.specs);
  for (let k = 0; k < outputs; k++) {
    const base = k * width;
    let bias = 0;
    for (let i = 0; i < n; i++) bias += residual[i * outputs + k] as number;
    grad[outputs * width + k] = (grad[outputs * width + k] as number) + bias;
    x.specs.forEach((spec, j) => {
      const col = x.columns[j] as Float64Array | Int32Array;
      const off = base + (offsets[j] as number);
      if (spec.kind === 'number') {
        let s = 0;
        for (let i = 0; i < n; i++) s += (residual[i * outputs + k] as number) * (col[i] as number);
        grad[off] = (grad[off] as number) + s;
      } else {
        for (let i = 0; i < n; i++) {
          const c = col[i] as number;
          if (c >= 0) grad[off + c] = (grad[off + c] as number) + (residual[i * outputs + k] as number);
        }
      }
    });
  }
}

/** The model from a flat parameter vector (weights, then intercepts). */
export function linearModelOf(
  specs: readonly FeatureSpec[],
  outputs: number,
  params: Float64Array,
): LinearModel {
  const width = linearWidth(specs);
  return {
    specs,
    outputs,
    weights: params.slice(0, outputs * width),
    intercepts: params.slice(outputs * width, outputs * width + outputs),
  };
}

/** The flat parameter vector of a model: weights, then intercepts. */
export function paramsOf(model: LinearModel): Float64Array {
  const out = new Float64Array(model.weights.length + model.outputs);
  out.set(model.weights);
  out.set(model.intercepts, model.weights.length);
  return out;
}
