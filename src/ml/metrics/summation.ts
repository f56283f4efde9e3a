/**
 * Sums with Neumaier's compensation: the error stays near one rounding whatever the length, so
 * metrics over hundreds of thousands of rows agree with NumPy's pairwise sums far below 1e-9.
 */
export class CompensatedSum {
  #sum = 0;
  #carry = 0;

  add(x: number): void {
    const t = this.#sum + x;
    if (Math.abs(this.#sum) >= Math.abs(x)) this.#carry += this.#sum - t + x;
    else this.#carry += x - t + this.#sum;
    this.#sum = t;
  }

  get value(): number {
    return this.#sum + this.#carry;
  }
}

/** The compensated sum of `f(i)` for i in [0, n). */
export function sumOf(n: number, f: (i: number) => number): number {
  const s = new CompensatedSum();
  for (let i = 0; i < n; i++) s.add(f(i));
  return s.value;
}
