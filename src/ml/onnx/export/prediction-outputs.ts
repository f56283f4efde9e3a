import type { ClassLabel, SignatureOutput } from '../../package/package-types.ts';
import { attr, type GraphBuilder } from '../graph-builder.ts';

/** Output names: `label`, `probability` (binary: the positive class), `probability:<class>`, `prediction`. */
export const OUTPUT_NAMES = { label: 'label', probability: 'probability', prediction: 'prediction' } as const;

export function probabilityOutputName(label: ClassLabel): string {
  return `${OUTPUT_NAMES.probability}:${label}`;
}

function flatten(g: GraphBuilder, value: string, output?: string): string {
  return g.node(
    'Reshape',
    [value, g.constant('int64', [1], [-1], 'flat')],
    output ? { outputs: [output] } : {},
  );
}

function labelConstant(g: GraphBuilder, labels: readonly ClassLabel[], dims: number[]): string {
  return typeof labels[0] === 'number'
    ? g.constant('int64', dims, labels as number[], 'classes')
    : g.constant('string', dims, labels.map(String), 'classes');
}

function labelType(classes: readonly ClassLabel[]): 'long' | 'string' {
  return typeof classes[0] === 'number' ? 'long' : 'string';
}

/**
 * Binary classification outputs from a score [N, 1] (log-odds of `classes[1]`): `label` (the
 * positive class when its probability is at least 0.5) and `probability` (of the positive class).
 */
export function binaryOutputs(
  g: GraphBuilder,
  score: string,
  classes: readonly ClassLabel[],
): SignatureOutput[] {
  const p = flatten(g, g.node('Sigmoid', [score]), OUTPUT_NAMES.probability);
  const positive = g.node('GreaterOrEqual', [p, g.constant('double', [], [0.5], 'threshold')]);
  g.node(
    'Where',
    [
      positive,
      labelConstant(g, [classes[1] as ClassLabel], []),
      labelConstant(g, [classes[0] as ClassLabel], []),
    ],
    {
      outputs: [OUTPUT_NAMES.label],
    },
  );
  const type = labelType(classes);
  g.output(OUTPUT_NAMES.label, type === 'long' ? 'int64' : 'string', ['N']);
  g.output(OUTPUT_NAMES.probability, 'double', ['N']);
  return [
    { name: OUTPUT_NAMES.label, type, role: 'label' },
    { name: OUTPUT_NAMES.probability, type: 'double', role: 'probability', class: classes[1] as ClassLabel },
  ];
}

/**
 * Multiclass outputs from scores [N, K]: `label` (the most probable class, the first on a tie)
 * and one `probability:<class>` per class (softmax), each 1-D so that MLflow's pyfunc can put
 * every output in a column of its DataFrame.
 */
export function multiclassOutputs(
  g: GraphBuilder,
  scores: string,
  classes: readonly ClassLabel[],
): SignatureOutput[] {
  const k = classes.length;
  const probs = g.node('Softmax', [scores], { attrs: [attr.int('axis', 1)] });
  const best = g.node('ArgMax', [probs], { attrs: [attr.int('axis', 1), attr.int('keepdims', 0)] });
  g.node('Gather', [labelConstant(g, classes, [k]), best], { outputs: [OUTPUT_NAMES.label] });
  const type = labelType(classes);
  g.output(OUTPUT_NAMES.label, type === 'long' ? 'int64' : 'string', ['N']);
  const parts = g.nodeOutputs('Split', [probs], k, [attr.int('axis', 1), attr.int('num_outputs', k)]);
  const outputs: SignatureOutput[] = [{ name: OUTPUT_NAMES.label, type, role: 'label' }];
  classes.forEach((c, i) => {
    const name = probabilityOutputName(c);
    flatten(g, parts[i] as string, name);
    g.output(name, 'double', ['N']);
    outputs.push({ name, type: 'double', role: 'probability', class: c });
  });
  return outputs;
}

/** Regression output from a value [N, 1]: `prediction`. */
export function regressionOutputs(g: GraphBuilder, value: string): SignatureOutput[] {
  flatten(g, value, OUTPUT_NAMES.prediction);
  g.output(OUTPUT_NAMES.prediction, 'double', ['N']);
  return [{ name: OUTPUT_NAMES.prediction, type: 'double', role: 'prediction' }];
}
