import { type FeatureBins, MISSING_BIN } from './binning.ts';
import { findSplit, type Split, type SplitRules } from './find-split.ts';
import { FEATURE_STRIDE, subtractHistogram } from './histogram.ts';
import type { HistogramThreads } from './histogram-threads.ts';
import { NUMBER_NODE, type Tree, TreeBuilder } from './tree.ts';

export interface GrowOptions extends SplitRules {
  maxLeafNodes: number;
  /** 0: no limit. */
  maxDepth: number;
  learningRate: number;
}

interface Leaf {
  start: number;
  end: number;
  g: number;
  h: number;
  n: number;
  depth: number;
  hist: Float64Array | undefined;
  split: Split | undefined;
  /** Where the leaf hangs: the parent node and side, or -1 for the root. */
  parent: number;
  side: 'left' | 'right';
}

/** A tree and, for each of its leaves, the rows (a range of `rows`) that ended there. */
export interface GrownTree {
  tree: Tree;
  leafRanges: { start: number; end: number; value: number }[];
}

/**
 * Grows regression trees on gradient statistics, best leaf first (as LightGBM and scikit-learn's
 * HistGradientBoosting): the leaf whose best split gains most is split next, until the tree has
 * `maxLeafNodes` leaves or no split helps. One histogram pass per split, over the smaller child;
 * the larger child's histogram is the parent's minus the smaller's.
 */
export class TreeGrower {
  /** The same bins column by column: partitioning reads one feature for many rows. */
  readonly #columns: Uint8Array[];
  readonly #features: number;
  readonly #featureBins: readonly FeatureBins[];
  readonly #options: GrowOptions;
  readonly #pool: Float64Array[] = [];
  #scratch: Int32Array = new Int32Array(0);
  /** Per bin of the split feature: 1 when its rows go left. */
  readonly #goLeft = new Uint8Array(256);

  readonly #histograms: HistogramThreads;

  /** `histograms` builds over the same bins and over the rows array every `grow` call partitions. */
  constructor(
    bins: Uint8Array,
    featureBins: readonly FeatureBins[],
    options: GrowOptions,
    histograms: HistogramThreads,
  ) {
    this.#histograms = histograms;
    this.#features = featureBins.length;
    this.#columns = featureBins.map((_, f) => {
      const column = new Uint8Array(bins.length / featureBins.length);
      for (let i = 0; i < column.length; i++) column[i] = bins[i * featureBins.length + f] as number;
      return column;
    });
    this.#featureBins = featureBins;
    this.#options = options;
  }

  /** Grows one tree on the rows listed in `rows` (reordered in place, grouped by leaf). */
  grow(rows: Int32Array, gh: Float64Array): GrownTree {
    const o = this.#options;
    if (this.#scratch.length < rows.length) this.#scratch = new Int32Array(rows.length);
    const rootHist = this.#take();
    this.#histograms.build(rootHist, 0, rows.length);
    let g = 0;
    let h = 0;
    for (let k = 0; k < rows.length; k++) {
      g += gh[2 * (rows[k] as number)] as number;
      h += gh[2 * (rows[k] as number) + 1] as number;
    }
    const root: Leaf = {
      start: 0,
      end: rows.length,
      g,
      h,
      n: rows.length,
      depth: 0,
      hist: rootHist,
      split: undefined,
      parent: -1,
      side: 'left',
    };
    this.#evaluate(root);
    const leaves: Leaf[] = [root];
    const builder = new TreeBuilder();
    while (leaves.length < o.maxLeafNodes) {
      let pick = -1;
      for (let i = 0; i < leaves.length; i++) {
        const s = leaves[i]?.split;
        if (s && (pick < 0 || s.gain > (leaves[pick]?.split?.gain as number))) pick = i;
      }
      if (pick < 0) break;
      const leaf = leaves[pick] as Leaf;
      const [left, right] = this.#split(leaf, builder, rows);
      leaves.splice(pick, 1, left, right);
    }
    const leafRanges = leaves.map((leaf) => {
      if (leaf.hist) this.#give(leaf.hist);
      const value = (-leaf.g / (leaf.h + o.l2)) * o.learningRate;
      const ref = builder.leaf(value);
      if (leaf.parent >= 0) builder[leaf.side][leaf.parent] = ref;
      return { start: leaf.start, end: leaf.end, value };
    });
    return { tree: builder.build(), leafRanges };
  }

  #evaluate(leaf: Leaf): void {
    const o = this.#options;
    const canSplit =
      leaf.n >= 2 * o.minSamplesLeaf &&
      (o.maxDepth === 0 || leaf.depth < o.maxDepth) &&
      leaf.hist !== undefined;
    leaf.split = canSplit ? findSplit(leaf.hist as Float64Array, this.#featureBins, leaf, o) : undefined;
    if (!leaf.split && leaf.hist) {
      this.#give(leaf.hist);
      leaf.hist = undefined;
    }
  }

  #split(leaf: Leaf, builder: TreeBuilder, rows: Int32Array): [Leaf, Leaf] {
    const split = leaf.split as Split;
    const fb = this.#featureBins[split.feature] as FeatureBins;
    const members: number[] = [];
    if (split.leftMask) for (let b = 0; b < 256; b++) if (split.leftMask[b] === 1) members.push(b);
    const node = builder.node({
      feature: split.feature,
      kind: split.kind,
      threshold: split.kind === NUMBER_NODE ? (fb.edges[split.splitBin] as number) : Number.NaN,
      splitBin: split.splitBin,
      members: split.leftMask ? Int32Array.from(members) : undefined,
      missingLeft: split.missingLeft,
    });
    if (leaf.parent >= 0) builder[leaf.side][leaf.parent] = node;
    const mid = this.#partition(rows, leaf.start, leaf.end, split);
    const make = (start: number, end: number, g: number, h: number, side: 'left' | 'right'): Leaf => ({
      start,
      end,
      g,
      h,
      n: end - start,
      depth: leaf.depth + 1,
      hist: undefined,
      split: undefined,
      parent: node,
      side,
    });
    const left = make(leaf.start, mid, split.left.g, split.left.h, 'left');
    const right = make(mid, leaf.end, leaf.g - split.left.g, leaf.h - split.left.h, 'right');
    const [small, large] = left.n <= right.n ? [left, right] : [right, left];
    small.hist = this.#take();
    this.#histograms.build(small.hist, small.start, small.end);
    large.hist = leaf.hist as Float64Array;
    subtractHistogram(large.hist, small.hist);
    leaf.hist = undefined;
    this.#evaluate(left);
    this.#evaluate(right);
    return [left, right];
  }

  /** Stable partition of rows[start..end) by the split: left rows first; returns where the right ones begin. */
  #partition(rows: Int32Array, start: number, end: number, split: Split): number {
    const column = this.#columns[split.feature] as Uint8Array;
    const goLeft = this.#goLeft;
    for (let b = 0; b < MISSING_BIN; b++)
      goLeft[b] = split.leftMask ? (split.leftMask[b] as number) : b <= split.splitBin ? 1 : 0;
    goLeft[MISSING_BIN] = split.missingLeft ? 1 : 0;
    const scratch = this.#scratch;
    let l = start;
    let r = 0;
    for (let k = start; k < end; k++) {
      const row = rows[k] as number;
      if (goLeft[column[row] as number] === 1) rows[l++] = row;
      else scratch[r++] = row;
    }
    rows.set(scratch.subarray(0, r), l);
    return l;
  }

  #take(): Float64Array {
    return this.#pool.pop() ?? new Float64Array(this.#features * FEATURE_STRIDE);
  }

  #give(hist: Float64Array): void {
    this.#pool.push(hist);
  }
}
