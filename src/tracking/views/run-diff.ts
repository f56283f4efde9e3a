import type { Run } from '../tracking-types.ts';
import { compare } from './run-summary.ts';

export const PARAM_CHANGES = ['same', 'changed', 'added', 'removed'] as const;
/** How a param of run B relates to run A: `added` is only in B, `removed` only in A. */
export type ParamChange = (typeof PARAM_CHANGES)[number];

export interface ParamDiff {
  key: string;
  a?: string;
  b?: string;
  change: ParamChange;
}

export interface MetricDiff {
  key: string;
  a?: number;
  b?: number;
  /** b − a, when both are finite numbers. */
  delta?: number;
  /** 100 × (b − a) / |a|, when a is a finite number other than 0. */
  pct_change?: number;
}

export interface RunDiff {
  a: { run_id: string; run_name: string };
  b: { run_id: string; run_name: string };
  params: ParamDiff[];
  metrics: MetricDiff[];
}

/** Params and latest metric values of two runs side by side, keys sorted; B is compared with A. */
export function diffRuns(a: Run, b: Run): RunDiff {
  const pa = new Map(a.data.params.map((p) => [p.key, p.value]));
  const pb = new Map(b.data.params.map((p) => [p.key, p.value]));
  const params = union(pa, pb).map((key): ParamDiff => {
    const va = pa.get(key);
    const vb = pb.get(key);
    const change: ParamChange =
      va === undefined ? 'added' : vb === undefined ? 'removed' : va === vb ? 'same' : 'changed';
    return { key, ...(va !== undefined ? { a: va } : {}), ...(vb !== undefined ? { b: vb } : {}), change };
  });
  const ma = new Map(a.data.metrics.map((m) => [m.key, m.value]));
  const mb = new Map(b.data.metrics.map((m) => [m.key, m.value]));
  const metrics = union(ma, mb).map((key): MetricDiff => {
    const va = ma.get(key);
    const vb = mb.get(key);
    const out: MetricDiff = { key };
    if (va !== undefined) out.a = va;
    if (vb !== undefined) out.b = vb;
    if (va !== undefined && vb !== undefined && Number.isFinite(va) && Number.isFinite(vb)) {
      out.delta = vb - va;
      if (va !== 0) out.pct_change = ((vb - va) / Math.abs(va)) * 100;
    }
    return out;
  });
  const who = (r: Run) => ({ run_id: r.info.run_id, run_name: r.info.run_name });
  return { a: who(a), b: who(b), params, metrics };
}

function union(a: Map<string, unknown>, b: Map<string, unknown>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].sort(compare);
}
