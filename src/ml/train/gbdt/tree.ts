/**
 * A regression tree over the features, stored flat. An internal node either compares a number
 * (`x <= threshold` goes left) or tests a category (`code in set` goes left); a missing value (or
 * an unseen category) goes left when `missingLeft` is set. A child reference ≥ 0 is a node, < 0
 * is the leaf ~ref.
 */
export interface Tree {
  feature: Int32Array;
  /** 0: number (`<=`), 1: category membership. */
  kind: Uint8Array;
  threshold: Float64Array;
  /** Number nodes: the split's bin (bins ≤ it go left), for binned traversal. */
  splitBin: Int32Array;
  /** Category nodes: the category indices that go left, sorted. */
  members: (Int32Array | undefined)[];
  missingLeft: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  /** Leaf values (already scaled by the learning rate). */
  values: Float64Array;
}

export const NUMBER_NODE = 0;
export const CATEGORY_NODE = 1;

/** A tree under construction; `build()` freezes it into typed arrays. */
export class TreeBuilder {
  readonly feature: number[] = [];
  readonly kind: number[] = [];
  readonly threshold: number[] = [];
  readonly splitBin: number[] = [];
  readonly members: (Int32Array | undefined)[] = [];
  readonly missingLeft: number[] = [];
  readonly left: number[] = [];
  readonly right: number[] = [];
  readonly values: number[] = [];

  /** Adds an internal node with placeholder children; returns its index. */
  node(split: {
    feature: number;
    kind: number;
    threshold: number;
    splitBin: number;
    members: Int32Array | undefined;
    missingLeft: boolean;
  }): number {
    this.feature.push(split.feature);
    this.kind.push(split.kind);
    this.threshold.push(split.threshold);
    this.splitBin.push(split.splitBin);
    this.members.push(split.members);
    this.missingLeft.push(split.missingLeft ? 1 : 0);
    this.left.push(-1);
    this.right.push(-1);
    return this.feature.length - 1;
  }

  /** Adds a leaf; returns its child reference. */
  leaf(value: number): number {
    this.values.push(value);
    return ~(this.values.length - 1);
  }

  build(): Tree {
    return {
      feature: Int32Array.from(this.feature),
      kind: Uint8Array.from(this.kind),
      threshold: Float64Array.from(this.threshold),
      splitBin: Int32Array.from(this.splitBin),
      members: this.members,
      missingLeft: Uint8Array.from(this.missingLeft),
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      values: Float64Array.from(this.values),
    };
  }
}

function inSorted(set: Int32Array, v: number): boolean {
  let lo = 0;
  let hi = set.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const m = set[mid] as number;
    if (m === v) return true;
    if (m < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/**
 * The leaf value for one row of raw features: numbers (NaN = missing) and category indices
 * (−1 = missing or unseen), as the ONNX graph sees them.
 */
export function treeValue(tree: Tree, row: (f: number) => number): number {
  if (tree.feature.length === 0) return tree.values[0] as number;
  let at = 0;
  for (;;) {
    const f = tree.feature[at] as number;
    const v = row(f);
    let goLeft: boolean;
    if (tree.kind[at] === NUMBER_NODE)
      goLeft = Number.isNaN(v) ? tree.missingLeft[at] === 1 : v <= (tree.threshold[at] as number);
    else goLeft = v < 0 ? tree.missingLeft[at] === 1 : inSorted(tree.members[at] as Int32Array, v);
    const next = goLeft ? (tree.left[at] as number) : (tree.right[at] as number);
    if (next < 0) return tree.values[~next] as number;
    at = next;
  }
}

/** The leaf index of each binned row (row-major bins, `features` per row), added into `scores`. */
export function addTreeBinned(
  tree: Tree,
  bins: Uint8Array,
  features: number,
  rows: number,
  scores: Float64Array,
  missingBin: number,
): void {
  if (tree.feature.length === 0) {
    const v = tree.values[0] as number;
    for (let i = 0; i < rows; i++) scores[i] = (scores[i] as number) + v;
    return;
  }
  for (let i = 0; i < rows; i++) {
    const base = i * features;
    let at = 0;
    for (;;) {
      const b = bins[base + (tree.feature[at] as number)] as number;
      let goLeft: boolean;
      if (b === missingBin) goLeft = tree.missingLeft[at] === 1;
      else if (tree.kind[at] === NUMBER_NODE) goLeft = b <= (tree.splitBin[at] as number);
      else goLeft = inSorted(tree.members[at] as Int32Array, b);
      const next = goLeft ? (tree.left[at] as number) : (tree.right[at] as number);
      if (next < 0) {
        scores[i] = (scores[i] as number) + (tree.values[~next] as number);
        break;
      }
      at = next;
    }
  }
}
