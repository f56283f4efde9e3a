/**
 * The distributions of the Kolmogorov–Smirnov statistics for a sample of size n:
 * `smirnovSf` (one-sided D⁺ₙ) and `kolmogorovSf` (two-sided Dₙ). `kolmogorovSf` picks between
 * exact and asymptotic methods by region exactly as SciPy's `kstwo.sf` does (after Simard &
 * L'Ecuyer, "Computing the two-sided Kolmogorov–Smirnov distribution", 2011), because in the
 * regions where an approximation is used the approximation itself is the reference value.
 */
import { binomialTerm, stirlingError } from './gamma.ts';

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
/** ln of the smallest normal double: exp() of anything below it is treated as 0. */
const MIN_LOG = -708.3964185322641;

function clip01(p: number): number {
  return p < 0 ? 0 : Math.min(p, 1);
}

/** floor(n·x) and the fractional part of the exact product n·x (Dekker's two-product). */
function floorProduct(n: number, x: number): { floor: number; fraction: number } {
  const hi = n * x;
  const split = (v: number) => {
    const c = 134217729 * v; // 2^27 + 1
    const big = c - (c - v);
    return [big, v - big] as const;
  };
  const [nh, nl] = split(n);
  const [xh, xl] = split(x);
  const lo = nh * xh - hi + nh * xl + nl * xh + nl * xl;
  let floor = Math.floor(hi);
  let fraction = hi - floor + lo;
  if (fraction < 0) {
    floor -= 1;
    fraction += 1;
  } else if (fraction >= 1) {
    floor += 1;
    fraction -= 1;
  }
  return { floor, fraction };
}

/**
 * P(D⁺ₙ ≥ x), the one-sided Smirnov survival function, by the Birnbaum–Tingey sum
 * x·Σ C(n,v)·(x + v/n)^(v−1)·(1 − x − v/n)^(n−v), each term a binomial probability computed
 * with Loader's method. For n above one million SciPy switches to exp(−(6nx+1)²/(18n)); so does this.
 */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1)) return Number.NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const { floor: nxFloor, fraction } = floorProduct(n, x);
  if (nxFloor === 0 || (nxFloor === 1 && fraction === 0)) return clip01(1 - x * (1 + x) ** (n - 1));
  if (-2 * n * x * x < MIN_LOG) return 0;
  if (nxFloor >= n - 1) return clip01((1 - x) ** n);
  if (n > 1_000_000) {
    const logp = -((6 * n * x + 1) ** 2) / 18 / n;
    return clip01(logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp));
  }
  // Terms v = 0 … ⌈n(1−x)⌉ − 1 (the term at v = n(1−x) exactly is zero).
  const last = n - nxFloor - 1;
  let sum = (1 - x) ** n;
  for (let v = 1; v <= last; v++) {
    const p = x + v / n;
    const q = (n - v) / n - x;
    const term = (x / p) * binomialTerm(v, n, p, q);
    sum += term;
    if (term !== 0 && 4 * (last - v) * term < Number.EPSILON * sum) break;
  }
  return clip01(sum);
}

/** ln(n!/nⁿ) by Stirling's series. */
function logFactorialOverPower(n: number): number {
  return 0.5 * Math.log(n) - n + LN_SQRT_2PI + stirlingError(n);
}

/**
 * P(Dₙ < d) exactly, by Durbin's matrix method as formulated by Marsaglia, Tsang and Wang
 * ("Evaluating Kolmogorov's distribution", 2003): a power of an m×m matrix, kept in range by
 * exact power-of-two rescaling.
 */
export function durbinCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.floor(nd) + 1;
  const m = 2 * k - 1;
  const h = k - nd;
  const H = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) H[i * m + j] = i - j + 1 >= 0 ? 1 : 0;
  for (let i = 0; i < m; i++) {
    H[i * m] = (H[i * m] as number) - h ** (i + 1);
    H[(m - 1) * m + i] = (H[(m - 1) * m + i] as number) - h ** (m - i);
  }
  if (2 * h - 1 > 0) H[(m - 1) * m] = (H[(m - 1) * m] as number) + (2 * h - 1) ** m;
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) {
      const span = i - j + 1;
      if (span > 0) {
        let f = 1;
        for (let g = 2; g <= span; g++) f *= g;
        H[i * m + j] = (H[i * m + j] as number) / f;
      }
    }
  const { matrix, exponent } = matrixPower(H, m, n);
  // (Hⁿ)[k−1][k−1] · n!/nⁿ, with the power of two carried separately until the end.
  let p = matrix[(k - 1) * m + (k - 1)] as number;
  let e = exponent;
  for (let i = 1; i <= n; i++) {
    p = (p * i) / n;
    if (p < 2 ** -128) {
      p *= 2 ** 128;
      e -= 128;
    }
  }
  return clip01(p * 2 ** e);
}

function multiply(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const row = i * m;
    for (let l = 0; l < m; l++) {
      const ail = a[row + l] as number;
      if (ail === 0) continue;
      const bRow = l * m;
      for (let j = 0; j < m; j++) out[row + j] = (out[row + j] as number) + ail * (b[bRow + j] as number);
    }
  }
  return out;
}

/** Hⁿ as (matrix, e) with Hⁿ = matrix·2^e. */
function matrixPower(H: Float64Array, m: number, n: number): { matrix: Float64Array; exponent: number } {
  let result: Float64Array | undefined;
  let resultExp = 0;
  let base = H;
  let baseExp = 0;
  let left = n;
  const rescale = (x: Float64Array): number => {
    let max = 0;
    for (const v of x) if (Math.abs(v) > max) max = Math.abs(v);
    if (max <= 2 ** 128) return 0;
    for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) * 2 ** -128;
    return 128;
  };
  while (left > 0) {
    if (left % 2 === 1) {
      if (result === undefined) {
        result = base.slice();
        resultExp = baseExp;
      } else {
        result = multiply(result, base, m);
        resultExp += baseExp + rescale(result);
      }
    }
    left = Math.floor(left / 2);
    if (left > 0) {
      base = multiply(base, base, m);
      baseExp = 2 * baseExp + rescale(base);
    }
  }
  return { matrix: result ?? H, exponent: resultExp };
}

/**
 * The Pelz–Good asymptotic series for P(Dₙ ≤ x): K₀(z) + K₁(z)/√n + K₂(z)/n + K₃(z)/n^1.5 with
 * z = x√n, each Kᵢ written as a Jacobi-theta series that converges fast for small z.
 */
export function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const logq = -(Math.PI * Math.PI) / 8 / z2;
  if (logq < -708) return 0;
  const pi2 = Math.PI * Math.PI;
  const pi4 = pi2 * pi2;
  const pi6 = pi4 * pi2;
  const terms = Math.ceil((16 * z) / Math.PI);
  const k0 = [0, 0, 0, 0];
  for (let k = 1; k <= terms; k++) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const weight = Math.exp(logq * m2);
    if (weight === 0) break;
    k0[0] = (k0[0] as number) + weight;
    k0[1] = (k0[1] as number) + weight * (-z2 + (pi2 / 4) * m2);
    k0[2] =
      (k0[2] as number) +
      weight * (6 * z6 + 2 * z4 + ((2 * z4 - 5 * z2) * pi2 * m2) / 4 + (pi4 * (1 - 2 * z2) * m2 * m2) / 16);
    k0[3] =
      (k0[3] as number) +
      weight *
        (-30 * z6 -
          90 * z4 * z4 +
          (pi2 * (135 * z4 - 96 * z6) * m2) / 4 +
          (pi4 * (212 * z4 - 60 * z2) * m2 * m2) / 16 +
          (pi6 * (5 - 30 * z2) * m2 * m2 * m2) / 64);
  }
  const root2pi = Math.sqrt(2 * Math.PI);
  const c0 = (root2pi * (k0[0] as number)) / z;
  let c1 = (root2pi * (k0[1] as number)) / (6 * z4);
  let c2 = (root2pi * (k0[2] as number)) / (72 * z6 * z);
  let c3 = (root2pi * (k0[3] as number)) / (6480 * z6 * z4);
  let extra2 = 0;
  let extra3 = 0;
  const logq2 = -pi2 / 2 / z2;
  for (let k = 1; k <= terms; k++) {
    const k2 = k * k;
    const w = Math.exp(logq2 * k2);
    extra2 += k2 * w;
    extra3 += (3 * z2 - k2 * pi2) * k2 * w;
  }
  c2 += (extra2 * pi2 * root2pi) / (-36 * z2 * z);
  c3 += (extra3 * pi2 * root2pi) / (216 * z6);
  c1 /= Math.sqrt(n);
  c2 /= n;
  c3 /= n * Math.sqrt(n);
  return c0 + c1 + c2 + c3;
}

/**
 * P(Dₙ ≥ x) for the two-sided one-sample statistic (SciPy's `kstwo.sf(x, n)`).
 */
export function kolmogorovSf(n: number, x: number): number {
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(x)) return Number.NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    // Ruben–Gambino: between 1/(2n) and 1/n the cdf is n!/nⁿ·(2t − 1)ⁿ.
    if (t <= 0.5) return 1;
    let cdf: number;
    if (n <= 140) {
      cdf = 1;
      for (let i = 1; i <= n; i++) cdf *= (i / n) * (2 * t - 1);
    } else cdf = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    return clip01(1 - cdf);
  }
  if (t >= n - 1) return clip01(2 * (1 - x) ** n);
  if (x >= 0.5) return clip01(2 * smirnovSf(n, x));
  const nxx = t * x;
  if (n <= 140) {
    if (nxx <= 4) return clip01(1 - durbinCdf(n, x));
    return clip01(2 * smirnovSf(n, x));
  }
  if (nxx >= 370) return 0;
  if (nxx >= 2.2) return clip01(2 * smirnovSf(n, x));
  if (n <= 100_000 && n * x ** 1.5 <= 1.4) return clip01(1 - durbinCdf(n, x));
  return clip01(1 - pelzGoodCdf(n, x));
}
