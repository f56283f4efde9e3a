import { errors } from '../../../kernel/errors.ts';
import type { EncodedFeatures } from '../features/encode-features.ts';
import { linearWidth } from '../features/feature-spec.ts';
import { type LinearModel, weightOffsets } from './linear-model.ts';

export interface RidgeOptions {
  /** L2 strength, as scikit-learn's Ridge: minimizes ‖y − Xw − b‖² + alpha·‖w‖². */
  alpha: number;
}

/**
 * Ridge regression in closed form: the normal equations of the centred features, solved by
 * Cholesky. One-hot columns are accumulated from category codes, never materialized.
 */
export function fitRidge(x: EncodedFeatures, y: Float64Array, options: RidgeOptions): LinearModel {
  const p = linearWidth(x.specs);
  const n = x.rows;
  const offsets = weightOffsets(x.specs);
  const gram = new Float64Array(p * p);
  const xty = new Float64Array(p);
  const sums = new Float64Array(p);
  let ySum = 0;
  const idx = new Int32Array(x.specs.length);
  const val = new Float64Array(x.specs.length);
  for (let i = 0; i < n; i++) {
    let nnz = 0;
    for (let j = 0; j < x.specs.length; j++) {
      const col = x.columns[j] as Float64Array | Int32Array;
      if (x.specs[j]?.kind === 'number') {
        idx[nnz] = offsets[j] as number;
        val[nnz++] = col[i] as number;
      } else if ((col[i] as number) >= 0) {
        idx[nnz] = (offsets[j] as number) + (col[i] as number);
        val[nnz++] = 1;
      }
    }
    const yi = y[i] as number;
    ySum += yi;
    for (let a = 0; a < nnz; a++) {
      const ia = idx[a] as number;
      const va = val[a] as number;
      sums[ia] = (sums[ia] as number) + va;
      xty[ia] = (xty[ia] as number) + va * yi;
      for (let b = 0; b < nnz; b++) {
        const ib = idx[b] as number;
        gram[ia * p + ib] = (gram[ia * p + ib] as number) + va * (val[b] as number);
      }
    }
  }
  const yMean = ySum / n;
  // Centre: G - n·μμᵀ, Xᵀy - n·μ·ȳ; then add alpha on the diagonal.
  for (let a = 0; a < p; a++) {
    const ma = (sums[a] as number) / n;
    xty[a] = (xty[a] as number) - n * ma * yMean;
    for (let b = 0; b < p; b++)
      gram[a * p + b] = (gram[a * p + b] as number) - n * ma * ((sums[b] as number) / n);
    gram[a * p + a] = (gram[a * p + a] as number) + Math.max(options.alpha, 1e-10);
  }
  const w = choleskySolve(gram, xty, p);
  let b = yMean;
  for (let a = 0; a < p; a++) b -= (w[a] as number) * ((sums[a] as number) / n);
  return { specs: x.specs, outputs: 1, weights: w, intercepts: Float64Array.of(b) };
}

/** Solves A·x = b for a symmetric positive definite A (row-major p×p); A is overwritten. */
function choleskySolve(a: Float64Array, b: Float64Array, p: number): Float64Array {
  for (let j = 0; j < p; j++) {
    let d = a[j * p + j] as number;
    for (let k = 0; k < j; k++) d -= (a[j * p + k] as number) ** 2;
    if (!(d > 0)) throw errors.internal('ridge: the regularized normal equations are not positive definite');
    const l = Math.sqrt(d);
    a[j * p + j] = l;
    for (let i = j + 1; i < p; i++) {
      let s = a[i * p + j] as number;
      for (let k = 0; k < j; k++) s -= (a[i * p + k] as number) * (a[j * p + k] as number);
      a[i * p + j] = s / l;
    }
  }
  const z = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (a[i * p + k] as number) * (z[k] as number);
    z[i] = s / (a[i * p + i] as number);
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = z[i] as number;
    for (let k = i + 1; k < p; k++) s -= (a[k * p + i] as number) * (x[k] as number);
    x[i] = s / (a[i * p + i] as number);
  }
  return x;
}
