import { SeededRandom } from './random.ts';

export interface RowSplit {
  train: Int32Array;
  valid: Int32Array;
}

/**
 * Splits row indices into training and validation rows, `fraction` of them (rounded) held out,
 * by a seeded shuffle. With `strata` (class indices) each class is split in the same proportion.
 * Both parts come back in ascending row order.
 */
export function splitRows(rows: number, fraction: number, seed: number, strata?: Int32Array): RowSplit {
  const random = new SeededRandom(seed);
  const groups: number[][] = [];
  if (strata) {
    for (let i = 0; i < rows; i++) {
      const s = strata[i] as number;
      const group = groups[s] ?? [];
      groups[s] = group;
      group.push(i);
    }
  } else groups.push(Array.from({ length: rows }, (_, i) => i));
  const train: number[] = [];
  const valid: number[] = [];
  for (const group of groups) {
    if (!group) continue;
    const shuffled = random.shuffle(Int32Array.from(group));
    const held = Math.round(shuffled.length * fraction);
    for (let k = 0; k < shuffled.length; k++) (k < held ? valid : train).push(shuffled[k] as number);
  }
  return { train: Int32Array.from(train).sort(), valid: Int32Array.from(valid).sort() };
}
