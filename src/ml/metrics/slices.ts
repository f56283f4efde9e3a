import { errors } from '../../kernel/errors.ts';

/** `--slice sex` (each value) or `--slice age:4` (four equal-frequency bins of a numeric column). */
export interface SliceSpec {
  column: string;
  bins?: number;
}

/** One group of rows of a slice column. */
export interface SliceGroup {
  /** The value, the bin as `(a, b]`, or `(missing)`. */
  label: string;
  rows: Uint32Array;
}

/** A column's values as the slicer needs them. */
export interface SliceColumn {
  name: string;
  numeric: boolean;
  values: ArrayLike<string | number | bigint | boolean | null | undefined>;
}

const MAX_GROUPS = 50;
export const MISSING_GROUP = '(missing)';

export function parseSliceSpec(text: string, flag = '--slice'): SliceSpec {
  const m = /^(.+?)(?::(\d+))?$/.exec(text.trim());
  const column = m?.[1]?.trim();
  if (!m || !column)
    throw errors.invalid(`${flag} ${JSON.stringify(text)} names no column`, {
      hint: `e.g. ${flag} sex or ${flag} age:4`,
    });
  if (m[2] === undefined) return { column };
  const bins = Number(m[2]);
  if (bins < 2 || bins > MAX_GROUPS)
    throw errors.invalid(`${flag} ${text}: the number of bins must be between 2 and ${MAX_GROUPS}`);
  return { column, bins };
}

/**
 * The groups of rows of a slice. Values are compared as text; a numeric column with bins is cut
 * at its quantiles (linear interpolation, as pandas' `qcut`, repeated edges dropped) into intervals
 * `(a, b]`, the first one closed on the left. Missing values form their own group.
 */
export function sliceGroups(spec: SliceSpec, column: SliceColumn): SliceGroup[] {
  if (spec.bins !== undefined) {
    if (!column.numeric)
      throw errors.invalid(
        `slice column ${column.name} is not numeric, so it cannot be cut into ${spec.bins} bins`,
        {
          hint: `slice by its values instead: ${column.name}`,
        },
      );
    return binGroups(column, spec.bins);
  }
  const byValue = new Map<string, number[]>();
  for (let i = 0; i < column.values.length; i++) {
    const v = column.values[i];
    const key =
      v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? MISSING_GROUP : String(v);
    const list = byValue.get(key);
    if (list) list.push(i);
    else byValue.set(key, [i]);
  }
  if (byValue.size > MAX_GROUPS)
    throw errors.invalid(
      `slice column ${column.name} has ${byValue.size} distinct values (at most ${MAX_GROUPS} are shown)`,
      {
        hint: column.numeric ? `cut it into bins: ${column.name}:5` : 'slice by a column with fewer values',
      },
    );
  const keys = [...byValue.keys()].sort((a, b) => compareKeys(a, b, column.numeric));
  return keys.map((label) => ({ label, rows: Uint32Array.from(byValue.get(label) as number[]) }));
}

function compareKeys(a: string, b: string, numeric: boolean): number {
  if (a === MISSING_GROUP) return 1;
  if (b === MISSING_GROUP) return -1;
  if (numeric) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

function binGroups(column: SliceColumn, bins: number): SliceGroup[] {
  const present: number[] = [];
  const missing: number[] = [];
  for (let i = 0; i < column.values.length; i++) {
    const v = column.values[i];
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) missing.push(i);
    else present.push(i);
  }
  const sorted = Float64Array.from(present, (i) => Number(column.values[i])).sort();
  const edges: number[] = [];
  for (let q = 0; q <= bins; q++) {
    const edge = quantile(sorted, q / bins);
    if (edges.length === 0 || edge !== edges[edges.length - 1]) edges.push(edge);
  }
  const groups: number[][] = Array.from({ length: Math.max(1, edges.length - 1) }, () => []);
  for (const i of present) {
    const x = Number(column.values[i]);
    let b = 0;
    while (b < groups.length - 1 && x > (edges[b + 1] as number)) b++;
    (groups[b] as number[]).push(i);
  }
  const out = groups.map((rows, b) => ({
    label: `${b === 0 ? '[' : '('}${formatEdge(edges[b] as number)}, ${formatEdge((edges[b + 1] ?? edges[b]) as number)}]`,
    rows: Uint32Array.from(rows),
  }));
  if (missing.length > 0) out.push({ label: MISSING_GROUP, rows: Uint32Array.from(missing) });
  return out;
}

/** NumPy's default (linear) quantile of sorted values. */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const frac = position - lo;
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * frac;
}

function formatEdge(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}
