import { errors } from '../../kernel/errors.ts';
import type { ClassProbabilities } from '../metrics/multiclass-metrics.ts';

/** What a classifier predicted for each row, next to the labels. */
export interface ClassificationPredictions {
  task: 'classification';
  /** The model's classes, in the order of the probability columns; for two, the second is positive. */
  classes: string[];
  /** Each row's true class, as an index into `classes`. */
  actual: Int32Array;
  probabilities: ClassProbabilities;
}

/** What a regressor predicted for each row, next to the true values. */
export interface RegressionPredictions {
  task: 'regression';
  actual: Float64Array;
  predicted: Float64Array;
}

export type Predictions = ClassificationPredictions | RegressionPredictions;

/** Probabilities a little outside [0, 1] from float32 arithmetic are clamped; more is an error. */
const SLACK = 1e-6;

/**
 * The class index of each target value. Values are matched to the model's classes as text
 * (`1` matches `1`, `>50K` matches `>50K`); a value the model does not know is an error naming
 * the column, as is a missing one.
 */
export function classIndices(
  target: string,
  values: ArrayLike<unknown>,
  classes: readonly string[],
): Int32Array {
  const index = new Map(classes.map((c, i) => [c, i]));
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined)
      throw errors.invalid(`target column ${target} is empty on row ${i + 1}`, {
        hint: 'drop the rows without a label before evaluating',
      });
    const j = index.get(typeof v === 'boolean' ? String(Number(v)) : String(v));
    if (j === undefined)
      throw errors.invalid(
        `target column ${target} has the value ${JSON.stringify(String(v))} (row ${i + 1}), which is not one of the model's classes (${classes.join(', ')})`,
        { hint: 'evaluate on data labelled like the training data' },
      );
    out[i] = j;
  }
  return out;
}

/** Checks probabilities lie in [0, 1] (clamping float32 round-off) and returns them. */
export function checkedProbabilities(p: ClassProbabilities, model: string): ClassProbabilities {
  const values = p.values;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    if (x >= 0 && x <= 1) continue;
    if (x >= -SLACK && x <= 1 + SLACK) values[i] = Math.min(1, Math.max(0, x));
    else
      throw errors.invalid(
        `${model} gave the probability ${x} (row ${Math.floor(i / p.k) + 1}), outside [0, 1]`,
        { hint: 'the model must output class probabilities' },
      );
  }
  return p;
}
