/**
 * The distribution functions the tests need: normal, chi-square and Student's t. Each survival
 * function is computed directly (never as 1 − cdf), so small p-values keep their precision.
 */
import { regularizedBeta } from './beta.ts';
import { gammaP, gammaQ, logBeta } from './gamma.ts';

const SQRT1_2 = Math.SQRT1_2;
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** erf(x) for |x| < 0.5 by its Taylor series. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 60; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) <= 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * sum;
}

/** The complementary error function, with relative precision in both tails. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (Math.abs(x) < 0.5) return 1 - erfSeries(x);
  if (x < 0) return 2 - erfc(-x);
  // erfc(x) = Q(1/2, x²) for x ≥ 0.
  return gammaQ(0.5, x * x);
}

/** The standard normal cumulative distribution function Φ(x) (SciPy's `ndtr`). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * SQRT1_2);
}

/** 1 − Φ(x), computed without cancellation. */
export function normalSf(x: number): number {
  return 0.5 * erfc(x * SQRT1_2);
}

/** The standard normal density. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

// P. J. Acklam's rational approximation of the normal quantile (relative error 1.15e-9), refined
// below by Newton steps on the exact cdf.
const A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239,
];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];

function acklam(p: number): number {
  const [a0, a1, a2, a3, a4, a5] = A as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = B as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = C as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = D as [number, number, number, number];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log1p(-p));
    return (
      -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

/** The standard normal quantile Φ⁻¹(p) (SciPy's `ndtri`, `norm.ppf`). */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  let x = acklam(p);
  // Newton on whichever tail keeps relative precision.
  for (let i = 0; i < 4; i++) {
    const err = p < 0.5 ? normalCdf(x) - p : 1 - p - normalSf(x);
    const step = err / normalPdf(x);
    x -= step;
    if (Math.abs(step) <= 1e-16 * Math.abs(x)) break;
  }
  return x;
}

/** The chi-square survival function P(X ≥ x) with `df` degrees of freedom (SciPy's `chdtrc`). */
export function chiSquareSf(x: number, df: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  return gammaQ(df / 2, x / 2);
}

/** The chi-square cumulative distribution function (SciPy's `chdtr`). */
export function chiSquareCdf(x: number, df: number): number {
  if (x <= 0) return 0;
  return gammaP(df / 2, x / 2);
}

/** P(|T| ≥ |t|) for Student's t with `df` degrees of freedom: the two-sided p-value. */
export function studentTTwoSided(t: number, df: number): number {
  if (Number.isNaN(t) || Number.isNaN(df) || df <= 0) return Number.NaN;
  if (!Number.isFinite(t)) return 0;
  if (df === Number.POSITIVE_INFINITY) return 2 * normalSf(Math.abs(t));
  const t2 = t * t;
  return regularizedBeta(df / 2, 0.5, df / (df + t2), t2 / (df + t2));
}

/** The Student's t cumulative distribution function (SciPy's `stdtr`). */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t)) return Number.NaN;
  if (t === Number.NEGATIVE_INFINITY) return 0;
  if (t === Number.POSITIVE_INFINITY) return 1;
  const tail = 0.5 * studentTTwoSided(t, df);
  return t < 0 ? tail : 1 - tail;
}

/** P(T ≥ t). */
export function studentTSf(t: number, df: number): number {
  return studentTCdf(-t, df);
}

/** The Student's t density. */
export function studentTPdf(t: number, df: number): number {
  if (df === Number.POSITIVE_INFINITY) return normalPdf(t);
  return Math.exp(-0.5 * Math.log(df) - logBeta(df / 2, 0.5) - ((df + 1) / 2) * Math.log1p((t * t) / df));
}

/** The Student's t quantile (SciPy's `stdtrit`, `t.ppf`). */
export function studentTQuantile(p: number, df: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1 || !(df > 0)) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p === 0.5) return 0;
  if (df === Number.POSITIVE_INFINITY) return normalQuantile(p);
  // Work in the lower tail, where the cdf keeps relative precision, then reflect.
  const lower = Math.min(p, 1 - p);
  const sign = p < 0.5 ? 1 : -1;
  // Start from the Cornish–Fisher expansion around the normal quantile (plain z for few degrees).
  const z = normalQuantile(lower);
  let x = df >= 3 ? z + (z * z * z + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df) : z;
  if (!Number.isFinite(x) || x >= 0) x = z;
  // Safeguarded Newton: keep a bracket [lo, hi] around the root of cdf(x) − lower.
  let lo = Number.NEGATIVE_INFINITY;
  let hi = 0;
  for (let i = 0; i < 200; i++) {
    const f = studentTCdf(x, df) - lower;
    if (f > 0) hi = Math.min(hi, x);
    else lo = Math.max(lo, x);
    let next = x - f / studentTPdf(x, df);
    if (!(next > lo && next < hi)) next = Number.isFinite(lo) ? (lo + hi) / 2 : Math.min(2 * x, x - 1);
    if (Math.abs(next - x) <= 1e-15 * Math.abs(next)) {
      x = next;
      break;
    }
    x = next;
  }
  return sign * x;
}
