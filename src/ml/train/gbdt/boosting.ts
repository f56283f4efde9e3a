import { availableParallelism } from 'node:os';
import type { Table } from '../../table/table.ts';
import type { FeatureSpec } from '../features/feature-spec.ts';
import { SeededRandom } from '../random.ts';
import { binRows, type FeatureBins, fitBins, MISSING_BIN } from './binning.ts';
import { TreeGrower } from './grow-tree.ts';
import { HistogramThreads, PARALLEL_MIN_ROWS, shared } from './histogram-threads.ts';
import { addTreeBinned, type Tree } from './tree.ts';

/**
 * With `threads: 0`, histogram threads start from this many training rows. Below it a pass takes
 * well under a millisecond, and on a busy 2-core machine a second thread measured slower than one
 * on UCI Adult (26,000 rows: 493 ms against 371 ms, docs/benchmarks.md).
 */
export const AUTO_THREADS_MIN_ROWS = 100_000;

export const GBDT_LOSSES = ['logloss', 'squared'] as const;
export type GbdtLoss = (typeof GBDT_LOSSES)[number];

export interface BoostOptions {
  loss: GbdtLoss;
  learningRate: number;
  maxIterations: number;
  maxLeafNodes: number;
  maxDepth: number;
  minSamplesLeaf: number;
  l2: number;
  maxBins: number;
  subsample: number;
  earlyStopping: boolean;
  nIterNoChange: number;
  tol: number;
  seed: number;
  /**
   * Threads building histograms (the calling one included); 0: the cores, at most 4, from
   * AUTO_THREADS_MIN_ROWS training rows, else 1. The model does not depend on it.
   */
  threads: number;
  onIteration?: (done: number, total: number) => void;
}

/** A fitted gradient-boosted ensemble: raw score = baseScore + Σ tree values. */
export interface Booster {
  specs: readonly FeatureSpec[];
  loss: GbdtLoss;
  baseScore: number;
  trees: Tree[];
  /** Validation loss after each iteration (empty without validation rows). */
  validationLoss: number[];
  /** Iterations run before stopping (the trees kept are those up to the best one). */
  iterationsRun: number;
}

/**
 * Gradient boosting of histogram trees (as LightGBM and scikit-learn's HistGradientBoosting):
 * binary log loss or squared error, shrinkage, optional row subsampling per tree, and early
 * stopping on the validation rows, keeping the trees up to the best validation loss.
 * Deterministic for a seed.
 */
export async function fitBooster(
  table: Table,
  specs: readonly FeatureSpec[],
  trainRows: Int32Array,
  validRows: Int32Array,
  target: Float64Array,
  options: BoostOptions,
): Promise<Booster> {
  const featureBins: FeatureBins[] = fitBins(table, specs, trainRows, options.maxBins, options.seed);
  const features = specs.length;
  const n = trainRows.length;
  // Shared with the histogram threads: the bins, the row list the trees partition, the gradients.
  const trainBins = shared(Uint8Array, n * features);
  trainBins.set(binRows(table, specs, featureBins, trainRows));
  const validBins = binRows(table, specs, featureBins, validRows);
  const y = Float64Array.from(trainRows, (r) => target[r] as number);
  const yValid = Float64Array.from(validRows, (r) => target[r] as number);
  const baseScore = initialScore(options.loss, y);
  const scores = new Float64Array(n).fill(baseScore);
  const validScores = new Float64Array(validRows.length).fill(baseScore);
  // Gradient and hessian of each row side by side: the histogram pass reads both.
  const gh = shared(Float64Array, 2 * n);
  const rows = shared(Int32Array, n);
  const automatic = n >= AUTO_THREADS_MIN_ROWS ? Math.min(availableParallelism(), 4) : 1;
  const threads = n < PARALLEL_MIN_ROWS ? 1 : options.threads > 0 ? options.threads : automatic;
  const histograms = new HistogramThreads({ bins: trainBins, rows, gh, features }, threads);
  const grower = new TreeGrower(
    trainBins,
    featureBins,
    {
      maxLeafNodes: options.maxLeafNodes,
      maxDepth: options.maxDepth,
      minSamplesLeaf: options.minSamplesLeaf,
      minHessian: 1e-3,
      l2: options.l2,
      learningRate: options.learningRate,
    },
    histograms,
  );
  const random = new SeededRandom(options.seed);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const sampleSize = Math.max(1, Math.floor(options.subsample * n));
  const trees: Tree[] = [];
  const validationLoss: number[] = [];
  const stopping = options.earlyStopping && validRows.length > 0;
  let best = Number.POSITIVE_INFINITY;
  let bestTrees = 0;
  let it = 0;
  try {
    for (; it < options.maxIterations; it++) {
      gradients(options.loss, y, scores, gh);
      let sample = rows;
      if (sampleSize < n) {
        rows.set(all);
        for (let i = 0; i < sampleSize; i++) {
          const j = i + random.below(n - i);
          const t = rows[i] as number;
          rows[i] = rows[j] as number;
          rows[j] = t;
        }
        sample = rows.subarray(0, sampleSize).sort();
      } else rows.set(all);
      const grown = grower.grow(sample, gh);
      trees.push(grown.tree);
      if (sampleSize < n) addTreeBinned(grown.tree, trainBins, features, n, scores, MISSING_BIN);
      else
        for (const range of grown.leafRanges)
          for (let k = range.start; k < range.end; k++) {
            const r = sample[k] as number;
            scores[r] = (scores[r] as number) + range.value;
          }
      if (validRows.length > 0) {
        addTreeBinned(grown.tree, validBins, features, validRows.length, validScores, MISSING_BIN);
        const loss = meanLoss(options.loss, yValid, validScores);
        validationLoss.push(loss);
        if (loss < best - options.tol) {
          best = loss;
          bestTrees = trees.length;
        }
      }
      options.onIteration?.(it + 1, options.maxIterations);
      if (stopping && trees.length - bestTrees >= options.nIterNoChange) {
        it++;
        break;
      }
    }
  } finally {
    await histograms.close();
  }
  return {
    specs,
    loss: options.loss,
    baseScore,
    trees: stopping ? trees.slice(0, Math.max(1, bestTrees)) : trees,
    validationLoss,
    iterationsRun: it,
  };
}

function initialScore(loss: GbdtLoss, y: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += y[i] as number;
  const mean = sum / y.length;
  if (loss === 'squared') return mean;
  const p = Math.min(Math.max(mean, 1e-12), 1 - 1e-12);
  return Math.log(p / (1 - p));
}

/** Each row's gradient and hessian of the loss at the current scores, into `gh` side by side. */
function gradients(loss: GbdtLoss, y: Float64Array, scores: Float64Array, gh: Float64Array): void {
  if (loss === 'squared') {
    for (let i = 0; i < y.length; i++) {
      gh[2 * i] = (scores[i] as number) - (y[i] as number);
      gh[2 * i + 1] = 1;
    }
    return;
  }
  for (let i = 0; i < y.length; i++) {
    const p = 1 / (1 + Math.exp(-(scores[i] as number)));
    gh[2 * i] = p - (y[i] as number);
    gh[2 * i + 1] = Math.max(p * (1 - p), 1e-16);
  }
}

function meanLoss(loss: GbdtLoss, y: Float64Array, scores: Float64Array): number {
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    const s = scores[i] as number;
    const t = y[i] as number;
    if (loss === 'squared') total += 0.5 * (s - t) ** 2;
    else total += (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - t * s;
  }
  return total / y.length;
}
