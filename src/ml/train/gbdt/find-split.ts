import { type FeatureBins, MISSING_BIN } from './binning.ts';
import { FEATURE_STRIDE, SLOT_WIDTH } from './histogram.ts';
import { CATEGORY_NODE, NUMBER_NODE } from './tree.ts';

export interface SplitRules {
  minSamplesLeaf: number;
  /** Smallest hessian sum a child may have. */
  minHessian: number;
  l2: number;
}

/** The best split of one leaf. */
export interface Split {
  gain: number;
  feature: number;
  kind: number;
  /** Number splits: bins ≤ splitBin go left. */
  splitBin: number;
  /** Category splits: leftMask[bin] = 1 for the bins that go left. */
  leftMask: Uint8Array | undefined;
  missingLeft: boolean;
  left: { g: number; h: number; n: number };
}

/** Smoothing of a category's gradient ratio when ordering categories, as LightGBM's cat_smooth. */
const CATEGORY_SMOOTHING = 10;

/** Scratch for ordering categories, reused by every call (the search runs for every leaf of every tree). */
const catsBuffer: number[] = [];
const ratios = new Float64Array(256);

/**
 * The split with the largest gain over every feature of a leaf, or undefined when none helps.
 * The scan allocates nothing per candidate: it runs for every leaf of every tree.
 */
export function findSplit(
  hist: Float64Array,
  featureBins: readonly FeatureBins[],
  total: { g: number; h: number; n: number },
  rules: SplitRules,
): Split | undefined {
  const G = total.g;
  const H = total.h;
  const N = total.n;
  const lambda = rules.l2;
  const minLeaf = rules.minSamplesLeaf;
  const minHess = rules.minHessian;
  const parentScore = (G * G) / (H + lambda);
  // Rows per unit of hessian: turns a bin's hessian sum into its (estimated) row count.
  const perHessian = N / H;
  let bestGain = 1e-12;
  let bestFeature = -1;
  let bestBin = -1;
  let bestMissingLeft = false;
  let bestGl = 0;
  let bestHl = 0;
  let bestNl = 0;
  let bestCats: number[] | undefined;
  /** The gain of sending (gl, hl, nl) left, or -Infinity when a child would be too small. */
  const gainOf = (gl: number, hl: number, nl: number): number => {
    const hr = H - hl;
    if (nl < minLeaf || N - nl < minLeaf || hl < minHess || hr < minHess) return Number.NEGATIVE_INFINITY;
    const gr = G - gl;
    return (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parentScore;
  };
  const cats = catsBuffer;
  for (let f = 0; f < featureBins.length; f++) {
    const fb = featureBins[f] as FeatureBins;
    const base = f * FEATURE_STRIDE;
    const m = base + MISSING_BIN * SLOT_WIDTH;
    const gm = hist[m] as number;
    const hm = hist[m + 1] as number;
    const nm = hm * perHessian;
    if (fb.kind === 'number') {
      let gl = 0;
      let hl = 0;
      let nl = 0;
      const last = fb.bins - 1;
      for (let b = 0, at = base; b < last; b++, at += SLOT_WIDTH) {
        const h = hist[at + 1] as number;
        // An empty bin moves no row: the split after it is the one already considered.
        if (h === 0) continue;
        gl += hist[at] as number;
        hl += h;
        nl += h * perHessian;
        if (N - nl < minLeaf) break;
        let gain = gainOf(gl, hl, nl);
        let missingLeft = nm === 0 && nl >= N - nl;
        if (nm > 0) {
          const withMissing = gainOf(gl + gm, hl + hm, nl + nm);
          if (withMissing > gain) {
            gain = withMissing;
            missingLeft = true;
          }
        }
        if (gain > bestGain) {
          bestGain = gain;
          bestFeature = f;
          bestBin = b;
          bestMissingLeft = missingLeft;
          bestCats = undefined;
          bestGl = missingLeft && nm > 0 ? gl + gm : gl;
          bestHl = missingLeft && nm > 0 ? hl + hm : hl;
          bestNl = missingLeft && nm > 0 ? nl + nm : nl;
        }
      }
    } else {
      // Order the categories present (and the missing bin) by gradient ratio; every prefix is a candidate set.
      cats.length = 0;
      for (let b = 0; b < fb.bins; b++) {
        const at = base + b * SLOT_WIDTH;
        if ((hist[at + 1] as number) > 0) {
          cats.push(b);
          ratios[b] = (hist[at] as number) / ((hist[at + 1] as number) + CATEGORY_SMOOTHING);
        }
      }
      if (nm > 0) {
        cats.push(MISSING_BIN);
        ratios[MISSING_BIN] = gm / (hm + CATEGORY_SMOOTHING);
      }
      if (cats.length < 2) continue;
      cats.sort((a, b) => (ratios[a] as number) - (ratios[b] as number) || a - b);
      let gl = 0;
      let hl = 0;
      let nl = 0;
      let missingIn = false;
      for (let i = 0; i + 1 < cats.length; i++) {
        const b = cats[i] as number;
        const at = base + b * SLOT_WIDTH;
        gl += hist[at] as number;
        hl += hist[at + 1] as number;
        nl += (hist[at + 1] as number) * perHessian;
        if (b === MISSING_BIN) missingIn = true;
        const gain = gainOf(gl, hl, nl);
        if (gain > bestGain) {
          bestGain = gain;
          bestFeature = f;
          bestBin = -1;
          if (i === 0 && b === MISSING_BIN) {
            // Missing alone on the left: state it the other way round (every category present on
            // the left, missing values right), since a category set may not be empty.
            bestMissingLeft = false;
            bestCats = cats.slice(1);
            bestGl = G - gl;
            bestHl = H - hl;
            bestNl = N - nl;
          } else {
            bestMissingLeft = nm > 0 ? missingIn : nl >= N - nl;
            bestCats = cats.slice(0, i + 1);
            bestGl = gl;
            bestHl = hl;
            bestNl = nl;
          }
        }
      }
    }
  }
  if (bestFeature < 0) return undefined;
  let leftMask: Uint8Array | undefined;
  if (bestCats) {
    leftMask = new Uint8Array(256);
    for (const b of bestCats) if (b !== MISSING_BIN) leftMask[b] = 1;
  }
  return {
    gain: bestGain,
    feature: bestFeature,
    kind: bestCats ? CATEGORY_NODE : NUMBER_NODE,
    splitBin: bestBin,
    leftMask,
    missingLeft: bestMissingLeft,
    left: { g: bestGl, h: bestHl, n: bestNl },
  };
}
