/**
 * What preprocessing learned from the training rows, per input column, and carries into the ONNX
 * graph: numbers are imputed with the training mean (and, for linear models, standardized);
 * text is one-hot encoded over the categories seen (a missing or unseen value sets none).
 */
export interface NumberFeature {
  kind: 'number';
  name: string;
  /** Training mean: the value a missing number is replaced with, and the centre for scaling. */
  mean: number;
  /** Training standard deviation (population), 1 where the column does not vary. */
  scale: number;
  /** Missing values seen in training. */
  missing: number;
  /** DuckDB's type of the column in the training data. */
  sourceType: string;
}

export interface StringFeature {
  kind: 'string';
  name: string;
  /** The categories kept, sorted; their index is the one-hot position and the tree code. */
  categories: string[];
  missing: number;
  /** Distinct values seen beyond the kept ones (treated like unseen values). */
  dropped: number;
  sourceType: string;
}

export type FeatureSpec = NumberFeature | StringFeature;

/** The linear models' weight layout: one weight per number, one per category of each text column. */
export function linearWidth(specs: readonly FeatureSpec[]): number {
  return specs.reduce((n, s) => n + (s.kind === 'number' ? 1 : s.categories.length), 0);
}
