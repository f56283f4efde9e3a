import { errors } from '../../kernel/errors.ts';
import type { CairnSection } from '../package/package-types.ts';
import { type Column, findColumn, type Table } from '../table/table.ts';

/** A model's outputs for a table, by what they mean. */
export interface Prediction {
  rows: number;
  /** Every graph output, as a column named like the output. */
  outputs: Table;
  /** Classification: the predicted class of each row. */
  labels?: Column;
  /** Classification: each class's probability per row, in the order of `classes`. */
  probabilities?: Float64Array[];
  classes?: CairnSection['classes'];
  /** Regression: the predicted value of each row. */
  values?: Float64Array;
}

/** Groups output columns by their role in the package's signature. */
export function predictionOf(cairn: CairnSection, outputs: Table): Prediction {
  const prediction: Prediction = { rows: outputs.rows, outputs };
  const numbers = (name: string): Float64Array => {
    const c = findColumn(outputs, name);
    if (c?.kind !== 'number')
      throw errors.integrity(`the model's output ${name} is missing or not numeric`, {
        details: { output: name },
      });
    return c.values;
  };
  for (const o of cairn.outputs) {
    if (o.role === 'label') prediction.labels = findColumn(outputs, o.name);
    if (o.role === 'prediction') prediction.values = numbers(o.name);
  }
  if (cairn.task !== 'classification') return prediction;
  const classes = cairn.classes ?? [];
  prediction.classes = classes;
  const byClass = new Map<string, Float64Array>();
  for (const o of cairn.outputs)
    if (o.role === 'probability' && o.class !== undefined) byClass.set(String(o.class), numbers(o.name));
  if (byClass.size === classes.length) {
    prediction.probabilities = classes.map((c) => byClass.get(String(c)) as Float64Array);
  } else if (classes.length === 2 && byClass.size === 1) {
    const [known, p] = [...byClass.entries()][0] as [string, Float64Array];
    const q = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) q[i] = 1 - (p[i] as number);
    prediction.probabilities = classes.map((c) => (String(c) === known ? p : q));
  }
  return prediction;
}
