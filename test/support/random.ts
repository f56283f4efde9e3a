/**
 * Seeded random numbers for simulations, so a failing seed can be replayed.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** One of `items`, with optional weights. */
  pick<T>(items: readonly T[], weights?: readonly number[]): T;
  /** True with probability p. */
  bernoulli(p: number): boolean;
}

/** mulberry32: small, fast, and good enough for simulations of a few million draws. */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | undefined;
  return {
    next,
    normal() {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      let u = next();
      while (u === 0) u = next();
      const r = Math.sqrt(-2 * Math.log(u));
      const theta = 2 * Math.PI * next();
      spare = r * Math.sin(theta);
      return r * Math.cos(theta);
    },
    pick<T>(items: readonly T[], weights?: readonly number[]): T {
      if (!weights) return items[Math.floor(next() * items.length)] as T;
      const total = weights.reduce((s, w) => s + w, 0);
      let u = next() * total;
      for (let i = 0; i < items.length; i++) {
        u -= weights[i] as number;
        if (u < 0) return items[i] as T;
      }
      return items[items.length - 1] as T;
    },
    bernoulli(p: number): boolean {
      return next() < p;
    },
  };
}
