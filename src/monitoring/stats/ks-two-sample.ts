/**
 * The two-sample Kolmogorov–Smirnov test with SciPy's `ks_2samp(method='auto')` behaviour: the
 * exact distribution when both samples have at most 10,000 observations, the asymptotic one
 * (the one-sample distribution at n = m·n/(m+n)) otherwise.
 */
import type { Empirical } from './empirical.ts';
import { kolmogorovSf } from './kolmogorov.ts';

export interface KsResult {
  /** The largest distance between the two empirical distribution functions. */
  statistic: number;
  /** Two-sided p-value. */
  pValue: number;
  method: 'exact' | 'asymptotic';
}

/** SciPy tries the exact distribution when both samples are at most this large. */
export const KS_EXACT_MAX_N = 10_000;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Rounds half to even, as NumPy's `round`. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** sup |F₁ − F₂| over the merged support (distribution functions continuous from the right). */
export function ksStatistic(a: Empirical, b: Empirical): number {
  let i = 0;
  let j = 0;
  let ca = 0;
  let cb = 0;
  let max = Number.NEGATIVE_INFINITY;
  let min = Number.POSITIVE_INFINITY;
  const na = a.values.length;
  const nb = b.values.length;
  while (i < na || j < nb) {
    const va = i < na ? (a.values[i] as number) : Number.POSITIVE_INFINITY;
    const vb = j < nb ? (b.values[j] as number) : Number.POSITIVE_INFINITY;
    const v = Math.min(va, vb);
    if (va === v) ca += a.counts[i++] as number;
    if (vb === v) cb += b.counts[j++] as number;
    const diff = ca / a.total - cb / b.total;
    if (diff > max) max = diff;
    if (diff < min) min = diff;
  }
  const minS = Math.min(Math.max(-min, 0), 1);
  return Math.max(minS, max);
}

/**
 * P(D ≥ h/n) for two samples of equal size n, by the reflection principle:
 * 2·Σₖ (−1)^(k−1)·C(2n, n−kh)/C(2n, n), evaluated innermost-first as nested products so the
 * alternating sum never subtracts large numbers.
 */
function equalSizeOutside(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let ratio = 1;
    for (let j = 0; j < h; j++) ratio = ((n - k * h - j) * ratio) / (n + k * h + j + 1);
    p = ratio * (1 - p);
  }
  return 2 * p;
}

/**
 * P(D ≥ h/lcm(m, n)) for samples of sizes m ≠ n. Under the null hypothesis every ordering of the
 * pooled sample is equally likely, so the merged sequence is a uniformly random lattice path from
 * (0, 0) to (m, n): from (i, j) it steps in i with probability (m−i)/(m+n−i−j). Dynamic
 * programming over the band where |i/m − j/n| < d carries the probability of staying inside; the
 * answer is the total probability of the steps that leave it, a sum of positive terms.
 */
function unequalSizeOutside(m: number, n: number, h: number): number {
  const g = gcd(m, n);
  const a = n / g;
  const b = m / g;
  // Cell (i, j) is inside when |i·a − j·b| < h.
  const lowJ = (i: number): number => {
    let j = Math.max(0, Math.floor((i * a - h) / b) + 1);
    while (j > 0 && i * a - (j - 1) * b < h) j--;
    while (i * a - j * b >= h) j++;
    return j;
  };
  const highJ = (i: number): number => {
    let j = Math.min(n, Math.ceil((i * a + h) / b) - 1);
    while (j < n && (j + 1) * b - i * a < h) j++;
    while (j * b - i * a >= h) j--;
    return j;
  };
  let row = new Float64Array(n + 1);
  let next = new Float64Array(n + 1);
  row[0] = 1;
  let outside = 0;
  let lo = lowJ(0);
  let hi = highJ(0);
  for (let i = 0; i <= m; i++) {
    const nextLo = i < m ? lowJ(i + 1) : 0;
    const nextHi = i < m ? highJ(i + 1) : -1;
    for (let j = lo; j <= hi; j++) {
      const p = row[j] as number;
      if (p === 0) continue;
      row[j] = 0;
      const rest = m + n - i - j;
      if (rest === 0) continue;
      if (i < m) {
        const down = (p * (m - i)) / rest;
        if (j >= nextLo && j <= nextHi) next[j] = (next[j] as number) + down;
        else outside += down;
      }
      if (j < n) {
        const right = (p * (n - j)) / rest;
        if (j + 1 <= hi) row[j + 1] = (row[j + 1] as number) + right;
        else outside += right;
      }
    }
    const t = row;
    row = next;
    next = t;
    lo = nextLo;
    hi = nextHi;
  }
  return outside;
}

/** The exact two-sided p-value, or undefined when it cannot be computed in range. */
function exactPValue(n1: number, n2: number, d: number): { d: number; p: number } | undefined {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  const exactD = h / lcm;
  if (h === 0) return { d: exactD, p: 1 };
  const p = n1 === n2 ? equalSizeOutside(n1, h) : unequalSizeOutside(n1, n2, h);
  if (!(p >= 0 && p <= 1)) return undefined;
  return { d: exactD, p };
}

/**
 * Two-sample two-sided Kolmogorov–Smirnov test on empirical distributions with integer counts.
 *
 * @example
 * const r = ksTwoSample(empiricalOf(reference), empiricalOf(current));
 * if (r.pValue <= 0.05) console.log('distributions differ');
 */
export function ksTwoSample(a: Empirical, b: Empirical): KsResult {
  const n1 = a.total;
  const n2 = b.total;
  const d = ksStatistic(a, b);
  if (Math.max(n1, n2) <= KS_EXACT_MAX_N) {
    const exact = exactPValue(n1, n2, d);
    if (exact) return { statistic: exact.d, pValue: Math.min(Math.max(exact.p, 0), 1), method: 'exact' };
  }
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const en = (m * n) / (m + n);
  const p = kolmogorovSf(roundHalfEven(en), d);
  return { statistic: d, pValue: Math.min(Math.max(p, 0), 1), method: 'asymptotic' };
}
