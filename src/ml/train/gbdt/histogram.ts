import { BIN_SLOTS } from './binning.ts';

/**
 * Per feature and bin: sum of gradients and sum of hessians. Row counts are not kept: as in
 * LightGBM, a count is estimated from the hessian sum (exact for squared error, whose hessian is
 * 1), which saves a third of the histogram work.
 */
export const SLOT_WIDTH = 2;
export const FEATURE_STRIDE = BIN_SLOTS * SLOT_WIDTH;

/**
 * Fills `hist` with the gradient statistics of rows[start..end); `gh` holds each row's gradient
 * and hessian side by side. Row-major bins keep each row's features together, so one pass over
 * the rows touches each row's bytes once.
 */
export function buildHistogram(
  hist: Float64Array,
  bins: Uint8Array,
  features: number,
  rows: Int32Array,
  start: number,
  end: number,
  gh: Float64Array,
): void {
  hist.fill(0);
  for (let k = start; k < end; k++) {
    const r = rows[k] as number;
    const g = gh[2 * r] as number;
    const h = gh[2 * r + 1] as number;
    const base = r * features;
    for (let f = 0, offset = 0; f < features; f++, offset += FEATURE_STRIDE) {
      const at = offset + (bins[base + f] as number) * SLOT_WIDTH;
      hist[at] = (hist[at] as number) + g;
      hist[at + 1] = (hist[at + 1] as number) + h;
    }
  }
}

/** `parent -= child`: the sibling's histogram, without a pass over its rows. */
export function subtractHistogram(parent: Float64Array, child: Float64Array): void {
  for (let i = 0; i < parent.length; i++) parent[i] = (parent[i] as number) - (child[i] as number);
}
