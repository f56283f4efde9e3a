import { errors } from '../../kernel/errors.ts';
import type { SliceSpec } from '../metrics/slices.ts';
import type { ThresholdSpec } from '../metrics/threshold.ts';
import type { OnnxRuntime } from '../runtime/onnx-runtime.ts';
import type { Prediction } from '../runtime/prediction.ts';
import { type Column, findColumn, type Table } from '../table/table.ts';
import { type Evaluation, evaluate } from './evaluate.ts';
import { checkedProbabilities, classIndices, type Predictions } from './predictions.ts';

export interface EvaluateModelOptions {
  target: string;
  /** The data file as the user named it, for messages. */
  data: string;
  threshold?: ThresholdSpec;
  slices?: readonly SliceSpec[];
}

/**
 * Evaluates a model on a table: checks the target and slice columns, predicts every row through
 * ONNX Runtime, and computes the metrics of the model's task (src/ml/metrics) on all rows and on
 * each slice. Every error names the file and the column.
 *
 * @example
 * const model = await OnnxRuntime.open('models/income');
 * const { table } = await readTable('data/test.csv');
 * const e = await evaluateModel(model, table, { target: 'income', data: 'data/test.csv', slices: [{ column: 'sex' }] });
 */
export async function evaluateModel(
  runtime: OnnxRuntime,
  table: Table,
  options: EvaluateModelOptions,
): Promise<Evaluation> {
  const target = requireColumn(table, options.target, options.data, 'target column');
  const slices = (options.slices ?? []).map((spec) => {
    const column = requireColumn(table, spec.column, options.data, 'slice column');
    return { spec, column: { name: column.name, numeric: column.kind === 'number', values: column.values } };
  });
  for (const input of runtime.inputs)
    if (!findColumn(table, input.name))
      throw errors.invalid(`${options.data} has no column ${input.name}, which the model takes as input`, {
        details: { path: options.data, column: input.name },
        hint: `the model's inputs are ${runtime.inputs.map((i) => i.name).join(', ')}`,
      });
  const prediction = await runtime.predict(table);
  return evaluate(predictionsOf(runtime, prediction, target, options.data), {
    target: options.target,
    ...(options.threshold ? { threshold: options.threshold } : {}),
    slices,
  });
}

/** The column `name` of the table, or an error naming the file, the column and what it is for. */
export function requireColumn(table: Table, name: string, data: string, what: string): Column {
  const column = findColumn(table, name);
  if (column) return column;
  throw errors.invalid(`${data} has no ${what} ${name}`, {
    details: { path: data, column: name },
    hint: `its columns are ${table.columns.map((c) => c.name).join(', ')}`,
  });
}

/** The labels next to what the model predicted, in the shape src/ml/metrics takes. */
export function predictionsOf(
  runtime: OnnxRuntime,
  prediction: Prediction,
  target: Column,
  data: string,
): Predictions {
  const cairn = runtime.package.cairn;
  const model = `the model in ${runtime.package.dir}`;
  if (cairn.task === 'regression') {
    if (!prediction.values) throw errors.integrity(`${model} gave no prediction output`);
    if (target.kind !== 'number')
      throw errors.invalid(
        `target column ${target.name} of ${data} holds text; a regression model is evaluated on numbers`,
      );
    const missing = target.values.findIndex((v) => Number.isNaN(v));
    if (missing >= 0)
      throw errors.invalid(`target column ${target.name} of ${data} is empty on row ${missing + 1}`, {
        hint: 'drop the rows without a label before evaluating',
      });
    return { task: 'regression', actual: target.values, predicted: prediction.values };
  }
  const classes = (cairn.classes ?? []).map(String);
  const probabilities = prediction.probabilities;
  if (!probabilities || probabilities.length !== classes.length)
    throw errors.integrity(`${model} gives no probability for each of its classes (${classes.join(', ')})`);
  const k = classes.length;
  const values = new Float64Array(prediction.rows * k);
  for (let j = 0; j < k; j++) {
    const p = probabilities[j] as Float64Array;
    for (let i = 0; i < prediction.rows; i++) values[i * k + j] = p[i] as number;
  }
  const labels =
    target.kind === 'number' ? Array.from(target.values, (v) => (Number.isNaN(v) ? null : v)) : target.values;
  return {
    task: 'classification',
    classes,
    actual: classIndices(`${target.name} of ${data}`, labels, classes),
    probabilities: checkedProbabilities({ k, values }, model),
  };
}

/**
 * Per row, the numbers a prediction is made of: the positive class's probability (binary), every
 * class's probability (multiclass), or the value (regression) — what invariance compares.
 */
export function predictionScores(runtime: OnnxRuntime, prediction: Prediction): Float64Array[] {
  if (runtime.package.cairn.task === 'regression') return [prediction.values as Float64Array];
  const probabilities = prediction.probabilities ?? [];
  return probabilities.length === 2 ? [probabilities[1] as Float64Array] : probabilities;
}
