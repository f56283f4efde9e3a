import { errors } from '../../kernel/errors.ts';
import { type ExportedGraph, exportLinear } from '../onnx/export/export-linear.ts';
import { exportBooster } from '../onnx/export/export-trees.ts';
import type { ClassLabel } from '../package/package-types.ts';
import type { Table } from '../table/table.ts';
import { encodeFeatures } from './features/encode-features.ts';
import type { FeatureSpec } from './features/feature-spec.ts';
import { fitBooster } from './gbdt/boosting.ts';
import { predictBooster } from './gbdt/predict-booster.ts';
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
  /** Validation loss per boosting iteration. */
  validationLoss?: number[];
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
  /** Boosting progress. */
  onIteration?: (done: number, total: number) => void;
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
    case 'gbdt': {
      if (classes && classes.length !== 2)
        throw errors.invalid(
          `--model gbdt supports binary classification and regression; the target has ${classes.length} classes`,
          {
            hint: 'use --model logistic for more than two classes',
          },
        );
      const target = classes
        ? Float64Array.from(request.classIndex as Int32Array)
        : (request.values as Float64Array);
      const booster = await fitBooster(table, specs, train, request.valid, target, {
        loss: classes ? 'logloss' : 'squared',
        learningRate: params.learning_rate as number,
        maxIterations: params.max_iter as number,
        maxLeafNodes: params.max_leaf_nodes as number,
        maxDepth: params.max_depth as number,
        minSamplesLeaf: params.min_samples_leaf as number,
        l2: params.l2_regularization as number,
        maxBins: params.max_bins as number,
        subsample: params.subsample as number,
        earlyStopping: params.early_stopping as boolean,
        nIterNoChange: params.n_iter_no_change as number,
        tol: params.tol as number,
        seed: request.seed,
        threads: params.threads as number,
        ...(request.onIteration ? { onIteration: request.onIteration } : {}),
      });
      return {
        exported: exportBooster(booster, classes),
        predict: (t, rows) => predictBooster(booster, t, rows),
        info: { trees: booster.trees.length, iterations: booster.iterationsRun },
        validationLoss: booster.validationLoss,
      };
    }
  }
}
