/**
 * Distances between distributions: Wasserstein-1 between empirical distributions (SciPy's
 * `wasserstein_distance`), and Jensen–Shannon, Kullback–Leibler, PSI and Hellinger between
 * discrete distributions given as aligned arrays of shares.
 */
import type { Empirical } from './empirical.ts';

/**
 * ∫ |F_u − F_v| dx, the first Wasserstein distance between two weighted empirical distributions
 * (counts are weights; they need not be integers).
 */
export function wassersteinDistance(u: Empirical, v: Empirical): number {
  let i = 0;
  let j = 0;
  let cu = 0;
  let cv = 0;
  let sum = 0;
  let previous = Number.NaN;
  const nu = u.values.length;
  const nv = v.values.length;
  while (i < nu || j < nv) {
    const a = i < nu ? (u.values[i] as number) : Number.POSITIVE_INFINITY;
    const b = j < nv ? (v.values[j] as number) : Number.POSITIVE_INFINITY;
    const x = Math.min(a, b);
    // The distribution functions are constant on [previous, x).
    if (!Number.isNaN(previous)) sum += Math.abs(cu / u.total - cv / v.total) * (x - previous);
    if (a === x) cu += u.counts[i++] as number;
    if (b === x) cv += v.counts[j++] as number;
    previous = x;
  }
  return sum;
}

/** SciPy's `rel_entr(x, y)`: x·ln(x/y), 0 when x = 0, ∞ when y = 0 < x. */
export function relativeEntropyTerm(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Number.POSITIVE_INFINITY;
}

function normalized(p: ArrayLike<number>): Float64Array {
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += p[i] as number;
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = (p[i] as number) / sum;
  return out;
}

/** SciPy's `jensenshannon(p, q)` (natural logarithm): both are normalized to sum to 1 first. */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const pn = normalized(p);
  const qn = normalized(q);
  let left = 0;
  let right = 0;
  for (let i = 0; i < pn.length; i++) {
    const m = ((pn[i] as number) + (qn[i] as number)) / 2;
    left += relativeEntropyTerm(pn[i] as number, m);
    right += relativeEntropyTerm(qn[i] as number, m);
  }
  return Math.sqrt((left + right) / 2);
}

/** SciPy's `entropy(p, q)`: the Kullback–Leibler divergence of normalized p from normalized q. */
export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const pn = normalized(p);
  const qn = normalized(q);
  let sum = 0;
  for (let i = 0; i < pn.length; i++) sum += relativeEntropyTerm(pn[i] as number, qn[i] as number);
  return sum;
}

/** The population stability index Σ (r − c)·ln(r/c) over shares with no zeros. */
export function populationStabilityIndex(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i] as number;
    const c = current[i] as number;
    sum += (r - c) * Math.log(r / c);
  }
  return sum;
}
