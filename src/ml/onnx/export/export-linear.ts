import type { ClassLabel, SignatureOutput } from '../../package/package-types.ts';
import { linearWidth } from '../../train/features/feature-spec.ts';
import type { LinearModel } from '../../train/linear/linear-model.ts';
import { GraphBuilder } from '../graph-builder.ts';
import type { OnnxModel } from '../onnx-types.ts';
import { declareInputs, linearFeatures } from './feature-graph.ts';
import { binaryOutputs, multiclassOutputs, regressionOutputs } from './prediction-outputs.ts';

export interface ExportedGraph {
  model: OnnxModel;
  outputs: SignatureOutput[];
}

/**
 * A linear model as an ONNX graph in double precision: preprocessing, then scores = X·Wᵀ + b
 * (MatMul, Add), then the task's outputs. `classes` is undefined for regression.
 */
export function exportLinear(model: LinearModel, classes: readonly ClassLabel[] | undefined): ExportedGraph {
  const g = new GraphBuilder(classes ? 'cairn_logistic' : 'cairn_linear');
  declareInputs(g, model.specs);
  const x = linearFeatures(g, model.specs);
  const width = linearWidth(model.specs);
  // MatMul wants W as [width, outputs]: the transpose of the row-major weights.
  const wt = new Float64Array(width * model.outputs);
  for (let k = 0; k < model.outputs; k++)
    for (let j = 0; j < width; j++) wt[j * model.outputs + k] = model.weights[k * width + j] as number;
  const scores = g.node('Add', [
    g.node('MatMul', [x, g.constant('double', [width, model.outputs], wt, 'weights')]),
    g.constant('double', [model.outputs], model.intercepts, 'intercepts'),
  ]);
  let outputs: SignatureOutput[];
  if (!classes) outputs = regressionOutputs(g, scores);
  else if (classes.length === 2) outputs = binaryOutputs(g, scores, classes);
  else outputs = multiclassOutputs(g, scores, classes);
  return { model: g.model(), outputs };
}
