import type { ClassLabel, SignatureOutput } from '../../package/package-types.ts';
import type { Booster } from '../../train/gbdt/boosting.ts';
import { NUMBER_NODE } from '../../train/gbdt/tree.ts';
import { attr, GraphBuilder, tensor } from '../graph-builder.ts';
import type { ExportedGraph } from './export-linear.ts';
import { declareInputs, treeFeatures } from './feature-graph.ts';
import { binaryOutputs, regressionOutputs } from './prediction-outputs.ts';

/** TreeEnsemble (ai.onnx.ml 5) node modes. */
const BRANCH_LEQ = 0;
const BRANCH_MEMBER = 6;

/**
 * A boosted ensemble as one ai.onnx.ml TreeEnsemble (opset 5): thresholds, category sets and leaf
 * weights are doubles, compared with the double features, so ONNX Runtime takes every branch the
 * TypeScript trees take (no float32 rounding of thresholds). Number nodes are `x <= threshold`,
 * category nodes `code in set`; a missing value (NaN, also an unseen category) follows the side
 * the tree learned for it. Trees that are a single leaf are folded into the base score.
 */
export function exportBooster(booster: Booster, classes: readonly ClassLabel[] | undefined): ExportedGraph {
  const g = new GraphBuilder('cairn_gbdt');
  declareInputs(g, booster.specs);
  const x = treeFeatures(g, booster.specs);
  let base = booster.baseScore;
  const roots: number[] = [];
  const modes: number[] = [];
  const featureIds: number[] = [];
  const splits: number[] = [];
  const trueIds: number[] = [];
  const trueLeafs: number[] = [];
  const falseIds: number[] = [];
  const falseLeafs: number[] = [];
  const missingTrue: number[] = [];
  const members: number[] = [];
  const leafWeights: number[] = [];
  for (const tree of booster.trees) {
    if (tree.feature.length === 0) {
      base += tree.values[0] as number;
      continue;
    }
    const nodeBase = modes.length;
    const leafBase = leafWeights.length;
    roots.push(nodeBase);
    const child = (ref: number): [number, number] => (ref < 0 ? [leafBase + ~ref, 1] : [nodeBase + ref, 0]);
    for (let i = 0; i < tree.feature.length; i++) {
      const number = tree.kind[i] === NUMBER_NODE;
      modes.push(number ? BRANCH_LEQ : BRANCH_MEMBER);
      featureIds.push(tree.feature[i] as number);
      splits.push(number ? (tree.threshold[i] as number) : Number.NaN);
      const [t, tl] = child(tree.left[i] as number);
      const [f, fl] = child(tree.right[i] as number);
      trueIds.push(t);
      trueLeafs.push(tl);
      falseIds.push(f);
      falseLeafs.push(fl);
      missingTrue.push(tree.missingLeft[i] as number);
      if (!number) members.push(...(tree.members[i] as Int32Array), Number.NaN);
    }
    leafWeights.push(...tree.values);
  }
  let raw: string;
  if (roots.length === 0)
    raw = g.node('Mul', [g.node('Slice', [x, ...sliceFirstColumn(g)]), g.constant('double', [], [0])]);
  else
    raw = g.node('TreeEnsemble', [x], {
      domain: 'ai.onnx.ml',
      attrs: [
        attr.int('aggregate_function', 1),
        attr.int('post_transform', 0),
        attr.int('n_targets', 1),
        attr.ints('tree_roots', roots),
        attr.tensor('nodes_modes', tensor('uint8', [modes.length], modes)),
        attr.ints('nodes_featureids', featureIds),
        attr.tensor('nodes_splits', tensor('double', [splits.length], splits)),
        attr.ints('nodes_truenodeids', trueIds),
        attr.ints('nodes_trueleafs', trueLeafs),
        attr.ints('nodes_falsenodeids', falseIds),
        attr.ints('nodes_falseleafs', falseLeafs),
        attr.ints('nodes_missing_value_tracks_true', missingTrue),
        ...(members.length > 0
          ? [attr.tensor('membership_values', tensor('double', [members.length], members))]
          : []),
        attr.ints(
          'leaf_targetids',
          leafWeights.map(() => 0),
        ),
        attr.tensor('leaf_weights', tensor('double', [leafWeights.length], leafWeights)),
      ],
    });
  const score = g.node('Add', [raw, g.constant('double', [1], [base], 'base_score')]);
  const outputs: SignatureOutput[] = classes ? binaryOutputs(g, score, classes) : regressionOutputs(g, score);
  return { model: g.model(), outputs };
}

/** Slice inputs taking column 0 of a [N, F] matrix: an all-leaf ensemble still answers one value per row. */
function sliceFirstColumn(g: GraphBuilder): string[] {
  return [
    g.constant('int64', [1], [0], 'starts'),
    g.constant('int64', [1], [1], 'ends'),
    g.constant('int64', [1], [1], 'axes'),
  ];
}
