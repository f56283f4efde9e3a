import { logBeta } from './gamma.ts';

const MAX_ITERATIONS = 100_000;
const EPS = 1e-16;
const TINY = 1e-300;

/** The continued fraction of I_x(a, b) (Abramowitz & Stegun 26.5.8), by the modified Lentz method. */
function betaFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) <= EPS) break;
  }
  return h;
}

/** ln x, taken as log1p(−y) when x is close to 1 (y = 1 − x given exactly by the caller). */
function logOf(x: number, y: number): number {
  return x > 0.5 ? Math.log1p(-y) : Math.log(x);
}

/**
 * The regularized incomplete beta function I_x(a, b) for a, b > 0 and 0 ≤ x ≤ 1. `y` is 1 − x;
 * pass it when it is known more precisely than 1 − x (for example t²/(ν + t²)).
 */
export function regularizedBeta(a: number, b: number, x: number, y: number = 1 - x): number {
  if (Number.isNaN(a) || Number.isNaN(b) || Number.isNaN(x) || a <= 0 || b <= 0 || x < 0 || x > 1)
    return Number.NaN;
  if (x === 0) return 0;
  if (y === 0) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - regularizedBeta(b, a, y, x);
  const logPrefix = a * logOf(x, y) + b * logOf(y, x) - logBeta(a, b);
  return (Math.exp(logPrefix) * betaFraction(a, b, x)) / a;
}
