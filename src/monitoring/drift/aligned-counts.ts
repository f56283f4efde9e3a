import type { Empirical } from '../stats/empirical.ts';
import type { ColumnSummary } from './column-summary.ts';

/** Counts of the same keys (categories, or distinct numbers) in the reference and the current data. */
export interface AlignedCounts {
  reference: Float64Array;
  current: Float64Array;
  /** Index of the smallest key (numbers ascending, strings by code point, as Python sorts). */
  smallest: number;
}

/** Python's string order: by Unicode code point (JavaScript's `<` compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function alignEmpirical(a: Empirical, b: Empirical): AlignedCounts {
  const ref: number[] = [];
  const cur: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.values.length || j < b.values.length) {
    const va = i < a.values.length ? (a.values[i] as number) : Number.POSITIVE_INFINITY;
    const vb = j < b.values.length ? (b.values[j] as number) : Number.POSITIVE_INFINITY;
    const v = Math.min(va, vb);
    ref.push(va === v ? (a.counts[i++] as number) : 0);
    cur.push(vb === v ? (b.counts[j++] as number) : 0);
  }
  return { reference: Float64Array.from(ref), current: Float64Array.from(cur), smallest: 0 };
}

/** Aligns the counts of two summaries of the same kind over the union of their keys. */
export function alignCounts(reference: ColumnSummary, current: ColumnSummary): AlignedCounts {
  if (reference.kind === 'numeric' && current.kind === 'numeric')
    return alignEmpirical(reference.sample, current.sample);
  if (reference.kind !== 'categorical' || current.kind !== 'categorical')
    throw new Error(`column ${reference.name}: reference and current summaries are of different kinds`);
  const keys = new Map<string, number>();
  reference.categories.forEach((c) => {
    if (!keys.has(c)) keys.set(c, keys.size);
  });
  current.categories.forEach((c) => {
    if (!keys.has(c)) keys.set(c, keys.size);
  });
  const ref = new Float64Array(keys.size);
  const cur = new Float64Array(keys.size);
  reference.categories.forEach((c, i) => {
    const k = keys.get(c) as number;
    ref[k] = (ref[k] as number) + (reference.counts[i] as number);
  });
  current.categories.forEach((c, i) => {
    const k = keys.get(c) as number;
    cur[k] = (cur[k] as number) + (current.counts[i] as number);
  });
  let smallest = 0;
  let smallestKey: string | undefined;
  for (const [key, index] of keys)
    if (smallestKey === undefined || compareCodePoints(key, smallestKey) < 0) {
      smallestKey = key;
      smallest = index;
    }
  return { reference: ref, current: cur, smallest };
}

/** Distinct keys in the union of both samples. */
export function unionSize(reference: ColumnSummary, current: ColumnSummary): number {
  if (reference.kind === 'categorical' && current.kind === 'categorical') {
    const keys = new Set(reference.categories);
    for (const c of current.categories) keys.add(c);
    return keys.size;
  }
  if (reference.kind !== 'numeric' || current.kind !== 'numeric')
    throw new Error(`column ${reference.name}: reference and current summaries are of different kinds`);
  const a = reference.sample.values;
  const b = current.sample.values;
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length || j < b.length) {
    const va = i < a.length ? (a[i] as number) : Number.POSITIVE_INFINITY;
    const vb = j < b.length ? (b[j] as number) : Number.POSITIVE_INFINITY;
    if (va <= vb) i++;
    if (vb <= va) j++;
    n++;
  }
  return n;
}
