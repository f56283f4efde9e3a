import type { FeatureSpec } from '../../train/features/feature-spec.ts';
import { attr, type GraphBuilder } from '../graph-builder.ts';
import { ONNX_TYPES } from '../onnx-types.ts';

/** Declares one graph input per feature column: a 1-D double (numbers) or string (text) tensor. */
export function declareInputs(g: GraphBuilder, specs: readonly FeatureSpec[]): void {
  for (const s of specs) g.input(s.name, s.kind === 'number' ? 'double' : 'string', ['N']);
}

function column(g: GraphBuilder, value: string): string {
  return g.node('Unsqueeze', [value, g.constant('int64', [1], [1], 'axis1')]);
}

/**
 * The linear models' design matrix [N, width] in double: each number imputed with its training
 * mean and standardized ((x − mean) / scale, the same operations the trainer applies), each text
 * column one-hot over its categories (a missing or unseen value sets no column).
 */
export function linearFeatures(g: GraphBuilder, specs: readonly FeatureSpec[]): string {
  const parts = specs.map((s) => {
    if (s.kind === 'number') {
      const mean = g.constant('double', [], [s.mean], `${s.name}_mean`);
      const imputed = g.node('Where', [g.node('IsNaN', [s.name]), mean, s.name]);
      const scaled = g.node('Div', [
        g.node('Sub', [imputed, mean]),
        g.constant('double', [], [s.scale], `${s.name}_scale`),
      ]);
      return column(g, scaled);
    }
    const hot = g.node('OneHotEncoder', [s.name], {
      domain: 'ai.onnx.ml',
      attrs: [attr.strings('cats_strings', s.categories), attr.int('zeros', 1)],
    });
    const asDouble = g.node('Cast', [hot], { attrs: [attr.int('to', ONNX_TYPES.double)] });
    return g.node('Reshape', [asDouble, g.constant('int64', [2], [-1, s.categories.length], 'shape')]);
  });
  return parts.length === 1
    ? (parts[0] as string)
    : g.node('Concat', parts, { attrs: [attr.int('axis', 1)] });
}

/**
 * The tree models' feature matrix [N, features] in double: numbers as given (NaN where missing:
 * the trees route it), text as the index of its category (NaN for a missing or unseen value).
 */
export function treeFeatures(g: GraphBuilder, specs: readonly FeatureSpec[]): string {
  const parts = specs.map((s) => {
    if (s.kind === 'number') return column(g, s.name);
    const code = g.node('LabelEncoder', [s.name], {
      domain: 'ai.onnx.ml',
      attrs: [
        attr.strings('keys_strings', s.categories),
        attr.floats(
          'values_floats',
          s.categories.map((_, i) => i),
        ),
        attr.float('default_float', Number.NaN),
      ],
    });
    return column(g, g.node('Cast', [code], { attrs: [attr.int('to', ONNX_TYPES.double)] }));
  });
  return parts.length === 1
    ? (parts[0] as string)
    : g.node('Concat', parts, { attrs: [attr.int('axis', 1)] });
}
