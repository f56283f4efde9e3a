const TWO_32 = 4294967296;

/**
 * A 32-bit hash of a sticky key: FNV-1a over the UTF-16 code units, then MurmurHash3's
 * finalizer, so that keys differing in one character land far apart. Stable across processes,
 * machines and releases: the same key always reaches the same variant for the same weights.
 */
export function stickyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Picks one of several arms in proportion to their weights, from a uniform number in [0, 1):
 * random per request, or the sticky key's hash so a key always picks the same arm.
 */
export class TrafficSplit {
  readonly #bounds: Float64Array;
  readonly #total: number;

  constructor(weights: readonly number[]) {
    this.#bounds = new Float64Array(weights.length);
    let sum = 0;
    weights.forEach((w, i) => {
      sum += w;
      this.#bounds[i] = sum;
    });
    this.#total = sum;
  }

  /** The arm for a uniform `u` in [0, 1). */
  pick(u: number): number {
    const x = u * this.#total;
    const bounds = this.#bounds;
    const last = bounds.length - 1;
    for (let i = 0; i < last; i++) if (x < (bounds[i] as number)) return i;
    // Arms of weight 0 at the end are never picked by rounding.
    let i = last;
    while (i > 0 && bounds[i] === bounds[i - 1]) i--;
    return i;
  }

  forKey(key: string): number {
    return this.pick(stickyHash(key) / TWO_32);
  }

  random(): number {
    return this.pick(Math.random());
  }
}
