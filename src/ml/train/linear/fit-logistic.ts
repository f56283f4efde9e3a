import type { EncodedFeatures } from '../features/encode-features.ts';
import { linearWidth } from '../features/feature-spec.ts';
import { minimizeLbfgs } from '../optimize/lbfgs.ts';
import { accumulateGradient, type LinearModel, linearModelOf, linearScores } from './linear-model.ts';

export interface LogisticOptions {
  /** Inverse regularization strength, as scikit-learn's C: minimizes C·Σloss + ½‖w‖². */
  C: number;
  maxIterations: number;
  tolerance: number;
}

export interface FittedLogistic {
  model: LinearModel;
  iterations: number;
  converged: boolean;
}

/**
 * L2-regularized logistic regression by L-BFGS: binary (one score, the positive class's) when
 * `classCount` is 2, multinomial (softmax over one score per class) otherwise. `y` holds class
 * indices; intercepts are not penalized. Deterministic: no randomness is involved.
 */
export function fitLogistic(
  x: EncodedFeatures,
  y: Int32Array,
  classCount: number,
  options: LogisticOptions,
): FittedLogistic {
  const outputs = classCount === 2 ? 1 : classCount;
  const width = linearWidth(x.specs);
  const n = x.rows;
  const penalty = 1 / (options.C * n);
  const scores = new Float64Array(n * outputs);
  const residual = new Float64Array(n * outputs);

  const objective = (params: Float64Array, grad: Float64Array): number => {
    linearScores(x, params, outputs, scores);
    let loss = 0;
    if (outputs === 1) {
      for (let i = 0; i < n; i++) {
        const s = scores[i] as number;
        const t = y[i] as number;
        // log(1 + e^s) − t·s and σ(s) from one exponential, without overflow.
        const e = Math.exp(-Math.abs(s));
        loss += Math.max(s, 0) + Math.log1p(e) - t * s;
        residual[i] = (s >= 0 ? 1 / (1 + e) : e / (1 + e)) - t;
      }
    } else {
      for (let i = 0; i < n; i++) {
        let max = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < outputs; k++) max = Math.max(max, scores[i * outputs + k] as number);
        let sum = 0;
        for (let k = 0; k < outputs; k++) {
          const e = Math.exp((scores[i * outputs + k] as number) - max);
          residual[i * outputs + k] = e;
          sum += e;
        }
        const t = y[i] as number;
        loss += max + Math.log(sum) - (scores[i * outputs + t] as number);
        for (let k = 0; k < outputs; k++)
          residual[i * outputs + k] = (residual[i * outputs + k] as number) / sum - (k === t ? 1 : 0);
      }
    }
    grad.fill(0);
    accumulateGradient(x, residual, outputs, grad);
    let value = loss / n;
    for (let i = 0; i < grad.length; i++) grad[i] = (grad[i] as number) / n;
    for (let i = 0; i < outputs * width; i++) {
      const w = params[i] as number;
      value += 0.5 * penalty * w * w;
      grad[i] = (grad[i] as number) + penalty * w;
    }
    return value;
  };

  const start = new Float64Array(outputs * width + outputs);
  const counts = new Float64Array(classCount);
  for (let i = 0; i < n; i++) counts[y[i] as number] = (counts[y[i] as number] as number) + 1;
  if (outputs === 1) start[width] = Math.log(((counts[1] as number) + 0.5) / ((counts[0] as number) + 0.5));
  else
    for (let k = 0; k < outputs; k++)
      start[outputs * width + k] = Math.log(((counts[k] as number) + 0.5) / n);
  const result = minimizeLbfgs(objective, start, {
    maxIterations: options.maxIterations,
    tolerance: options.tolerance,
  });
  return {
    model: linearModelOf(x.specs, outputs, result.x),
    iterations: result.iterations,
    converged: result.converged,
  };
}
