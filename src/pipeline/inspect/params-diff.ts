import type { LockFile, Pipeline } from '../pipeline-types.ts';
import { canonicalJson, isRecord, stageParamValues } from '../run/param-values.ts';

/** A param whose value in the params files differs from what `cairn.lock` recorded. */
export interface ParamChangeRow {
  file: string;
  key: string;
  /** The value in cairn.lock; absent when the stage did not use the param at its last run. */
  old?: unknown;
  /** The value in the params file now; absent when the stage no longer declares it. */
  new?: unknown;
  /** Stages whose lock entry holds `old`. */
  stages: string[];
}

export interface ParamsDiff {
  /** Changed params (every declared param with `all`), by file then key. */
  params: ParamChangeRow[];
  /** Stages without a lock entry: nothing to compare with. */
  never_run: string[];
}

/**
 * The workspace's params against the values in `cairn.lock`, stage by stage, as DVC's `params
 * diff` shows them: a subtree param (`train`) is compared key by key (`train.lr`), and a change
 * several stages share is one row naming them all.
 */
export function diffParams(pipeline: Pipeline, lock: LockFile, options: { all?: boolean } = {}): ParamsDiff {
  const rows = new Map<string, ParamChangeRow>();
  const neverRun: string[] = [];
  for (const stage of pipeline.stages) {
    const entry = lock.stages[stage.name];
    if (!entry) {
      if (stage.params.length > 0) neverRun.push(stage.name);
      continue;
    }
    const now = stageParamValues(pipeline, stage).values;
    for (const file of new Set([...Object.keys(now), ...Object.keys(entry.params)])) {
      const current = flatten(now[file] ?? {});
      const locked = flatten(entry.params[file] ?? {});
      for (const key of new Set([...current.keys(), ...locked.keys()])) {
        const oldValue = locked.get(key);
        const newValue = current.get(key);
        const same =
          oldValue !== undefined &&
          newValue !== undefined &&
          canonicalJson(oldValue) === canonicalJson(newValue);
        if (same && !options.all) continue;
        const id = `${file}\0${key}\0${canonicalJson(oldValue ?? null)}\0${canonicalJson(newValue ?? null)}`;
        const row = rows.get(id) ?? {
          file,
          key,
          ...(oldValue !== undefined ? { old: oldValue } : {}),
          ...(newValue !== undefined ? { new: newValue } : {}),
          stages: [],
        };
        row.stages.push(stage.name);
        rows.set(id, row);
      }
    }
  }
  const params = [...rows.values()].sort((a, b) =>
    a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  );
  return { params, never_run: neverRun };
}

/** key → value with record values opened up into dotted keys (`train` → `train.lr`, …). */
function flatten(values: Record<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (value: unknown, key: string) => {
    if (isRecord(value) && Object.keys(value).length > 0)
      for (const [k, v] of Object.entries(value)) walk(v, `${key}.${k}`);
    else out.set(key, value);
  };
  for (const [key, value] of Object.entries(values)) walk(value, key);
  return out;
}
