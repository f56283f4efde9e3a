import { errors } from '../../kernel/errors.ts';
import { type ExportedGraph, exportLinear } from '../onnx/export/export-linear.ts';
import type { ClassLabel } from '../package/package-types.ts';
import type { Table } from '../table/table.ts';
import { encodeFeatures } from './features/encode-features.ts';
import type { FeatureSpec } from './features/feature-spec.ts';
import { fitLogistic } from './linear/fit-logistic.ts';
import { fitRidge } from './linear/fit-ridge.ts';
import { predictLinear } from './linear/predict-linear.ts';
import type { TrainModel } from './train-params.ts';

/** What a trainer hands back: the exported graph, and its own predictions for checks. */
export interface FittedModel {
  exported: ExportedGraph;
  /**
   * The TypeScript model's predictions on rows of a table: class probabilities (row-major, one
   * per class) or regression values. For tests and training-time checks only.
   */
  predict(table: Table, rows?: Int32Array): Float64Array;
  /** Facts about the fit worth recording (iterations, trees, …). */
  info: Record<string, number>;
}

export interface FitRequest {
  model: TrainModel;
  table: Table;
  specs: FeatureSpec[];
  train: Int32Array;
  valid: Int32Array;
  classes?: ClassLabel[];
  classIndex?: Int32Array;
  values?: Float64Array;
  params: Record<string, number | boolean | string>;
  seed: number;
}

function gather<T extends Int32Array | Float64Array>(source: T, rows: Int32Array): T {
  const out = new (source.constructor as new (n: number) => T)(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = source[rows[k] as number] as number;
  return out;
}

/** Fits the requested model on the training rows. */
export async function fitModel(request: FitRequest): Promise<FittedModel> {
  const { table, specs, train, classes, params } = request;
  switch (request.model) {
    case 'logistic': {
      if (!classes || !request.classIndex)
        throw errors.invalid('--model logistic is for classification', {
          hint: 'use --model linear or gbdt for regression',
        });
      const x = encodeFeatures(table, specs, 'linear', train);
      const fit = fitLogistic(x, gather(request.classIndex, train), classes.length, {
        C: params.C as number,
        maxIterations: params.max_iter as number,
        tolerance: params.tol as number,
      });
      return {
        exported: exportLinear(fit.model, classes),
        predict: (t, rows) =>
          predictLinear(fit.model, encodeFeatures(t, specs, 'linear', rows), classes.length),
        info: { iterations: fit.iterations, converged: fit.converged ? 1 : 0 },
      };
    }
    case 'linear': {
      if (!request.values)
        throw errors.invalid('--model linear is ridge regression', {
          hint: 'use --model logistic or gbdt for classification',
        });
      const x = encodeFeatures(table, specs, 'linear', train);
      const model = fitRidge(x, gather(request.values, train), { alpha: params.alpha as number });
      return {
        exported: exportLinear(model, undefined),
        predict: (t, rows) => predictLinear(model, encodeFeatures(t, specs, 'linear', rows)),
        info: {},
      };
    }
    case 'gbdt':
      throw errors.invalid('--model gbdt is not available yet');
  }
}
