/**
 * The gamma family: log-gamma, the Stirling error term, log-beta and the regularized incomplete
 * gamma functions. Written for relative accuracy near 1e-15, so that p-values built on them agree
 * with SciPy's to far better than 1e-9.
 *
 * The prefactors x^a e^-x / Γ(a+1) and the binomial terms are computed as
 * exp(-stirlingError - deviance) / sqrt(2π a) (C. Loader's "Fast and accurate computation of
 * binomial probabilities", 2000) instead of through differences of large logarithms, which would
 * lose about log10(a) digits.
 */

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Lanczos coefficients for g = 7, n = 9: relative error of Γ below 2e-15 on the positive axis. */
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** Factorials 0! … 17!, all exactly representable. */
const FACTORIALS: number[] = [1];
for (let k = 1; k <= 17; k++) FACTORIALS.push((FACTORIALS[k - 1] as number) * k);

/**
 * The tail of Stirling's series for ln Γ(x+1): (x+0.5)·ln x − x + ln√(2π) + stirlingTail(x).
 * Terms up to x^-13; for x ≥ 10 the first omitted term is below 1e-17.
 */
function stirlingTail(x: number): number {
  const r = 1 / x;
  const r2 = r * r;
  return (
    r *
    (1 / 12 -
      r2 *
        (1 / 360 -
          r2 * (1 / 1260 - r2 * (1 / 1680 - r2 * (1 / 1188 - r2 * (691 / 360360 - r2 * (1 / 156)))))))
  );
}

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) return x === 0 ? Number.POSITIVE_INFINITY : Number.NaN;
  if (Number.isInteger(x) && x <= 18) return Math.log(FACTORIALS[x - 1] as number);
  if (x >= 10) return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + stirlingTail(x);
  if (x < 0.5) return logGamma(x + 1) - Math.log(x);
  const z = x - 1;
  let sum = LANCZOS[0] as number;
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] as number) / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** δ(x) = ln Γ(x+1) − (x+0.5)·ln x + x − ln√(2π), the error of Stirling's formula (x > 0). */
export function stirlingError(x: number): number {
  if (x >= 10) return stirlingTail(x);
  return logGamma(x + 1) - (x + 0.5) * Math.log(x) + x - LN_SQRT_2PI;
}

/** ln(1+x) − x without cancellation for small x (x > −1). */
export function log1pmx(x: number): number {
  if (Math.abs(x) > 0.5) return Math.log1p(x) - x;
  // ln(1+x) = 2·atanh(t) with t = x/(2+x); 2t − x = −t·x, so the difference keeps full precision.
  const t = x / (2 + x);
  const t2 = t * t;
  let power = t * t2;
  let sum = 0;
  for (let k = 3; ; k += 2) {
    const term = power / k;
    sum += term;
    if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
    power *= t2;
  }
  return -t * x + 2 * sum;
}

/** The deviance term x·ln(x/m) + m − x, accurate when x ≈ m (x ≥ 0, m > 0). */
export function deviance(x: number, m: number): number {
  if (x === 0) return m;
  if (Math.abs(x - m) >= 0.1 * (x + m)) return x * Math.log(x / m) + m - x;
  // With v = (x−m)/(x+m): x·ln(x/m) = 2x·(v + v³/3 + v⁵/5 + …) and 2x·v − (x − m) = (x − m)·v.
  const v = (x - m) / (x + m);
  const v2 = v * v;
  let sum = (x - m) * v;
  let power = 2 * x * v;
  for (let k = 3; ; k += 2) {
    power *= v2;
    const term = power / k;
    const next = sum + term;
    if (next === sum) return next;
    sum = next;
  }
}

/** x^a·e^−x / Γ(a+1) for a > 0, x ≥ 0 (the Poisson density extended to real a). */
export function poissonTerm(a: number, x: number): number {
  if (x === 0) return 0;
  if (a < 1) return Math.exp(a * Math.log(x) - x - logGamma(a + 1));
  return Math.exp(-stirlingError(a) - deviance(a, x)) / Math.sqrt(2 * Math.PI * a);
}

/**
 * The binomial probability C(n,k)·p^k·q^(n−k), with q = 1 − p passed separately so a caller can
 * supply it without rounding. k may be any real in [0, n].
 */
export function binomialTerm(k: number, n: number, p: number, q: number): number {
  if (k === 0) return q <= 0 ? 0 : Math.exp(n * Math.log(q));
  if (k === n) return p <= 0 ? 0 : Math.exp(n * Math.log(p));
  if (p <= 0 || q <= 0) return 0;
  const lc =
    stirlingError(n) - stirlingError(k) - stirlingError(n - k) - deviance(k, n * p) - deviance(n - k, n * q);
  const lf = Math.log(2 * Math.PI) + Math.log(k) + Math.log1p(-k / n);
  return Math.exp(lc - 0.5 * lf);
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a+b), without the cancellation of that difference. */
export function logBeta(a: number, b: number): number {
  const p = Math.min(a, b);
  const q = Math.max(a, b);
  if (p >= 10) {
    // ln Γ(x) = (x − 0.5)·ln x − x + ln√(2π) + tail(x); combine the three expansions.
    const tails = stirlingTail(p) + stirlingTail(q) - stirlingTail(p + q);
    return (
      -0.5 * Math.log(q) +
      LN_SQRT_2PI +
      tails +
      (p - 0.5) * Math.log(p / (p + q)) +
      q * Math.log1p(-p / (p + q))
    );
  }
  if (q >= 10) {
    const tails = stirlingTail(q) - stirlingTail(p + q);
    return logGamma(p) + tails + p - p * Math.log(p + q) + (q - 0.5) * Math.log1p(-p / (p + q));
  }
  return logGamma(p) + logGamma(q) - logGamma(p + q);
}

const MAX_ITERATIONS = 100_000;
const EPS = 1e-16;
const TINY = 1e-300;

/** Σ x^k / ((a+1)…(a+k)), the series of P(a, x)·Γ(a+1)·e^x / x^a. */
function lowerSeries(a: number, x: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k < MAX_ITERATIONS; k++) {
    term *= x / (a + k);
    sum += term;
    if (term <= sum * EPS) break;
  }
  return sum;
}

/** The continued fraction of Q(a, x)·Γ(a)·e^x / x^a, by the modified Lentz method. */
function upperFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) <= EPS) break;
  }
  return h;
}

/** The regularized lower incomplete gamma function P(a, x) = γ(a, x)/Γ(a). */
export function gammaP(a: number, x: number): number {
  if (Number.isNaN(a) || Number.isNaN(x) || a <= 0 || x < 0) return Number.NaN;
  if (x === 0) return 0;
  if (x === Number.POSITIVE_INFINITY) return 1;
  if (x < a + 1) return poissonTerm(a, x) * lowerSeries(a, x);
  return 1 - gammaQ(a, x);
}

/** The regularized upper incomplete gamma function Q(a, x) = Γ(a, x)/Γ(a). */
export function gammaQ(a: number, x: number): number {
  if (Number.isNaN(a) || Number.isNaN(x) || a <= 0 || x < 0) return Number.NaN;
  if (x === 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  if (x < a + 1) return 1 - gammaP(a, x);
  // x^a·e^−x / Γ(a) = a · x^a·e^−x / Γ(a+1)
  return a * poissonTerm(a, x) * upperFraction(a, x);
}
