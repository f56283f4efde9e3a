import type { LockEntry, StageDefinition } from '../pipeline-types.ts';
import { canonicalJson, showValue } from './param-values.ts';
import { type StageState, stageOutputs } from './stage-state.ts';

/**
 * Why a stage must run again, compared with its `cairn.lock` entry: each reason is a short phrase
 * a user can act on (`dep data/prepared changed`, `param prepare.seed 1 → 2`,
 * `out reports/x.json missing`). An empty list means the stage is up to date.
 */
export function changeReasons(
  stage: StageDefinition,
  entry: LockEntry | undefined,
  state: StageState,
): string[] {
  if (!entry) return ['no entry in cairn.lock (never run)'];
  const reasons: string[] = [];
  if (canonicalJson(entry.cmd) !== canonicalJson(stage.cmd)) reasons.push('cmd changed');

  const lockedDeps = new Map(entry.deps.map((d) => [d.path, d]));
  for (const path of stage.deps) {
    const now = state.deps.get(path);
    const then = lockedDeps.get(path);
    if (!now) reasons.push(`dep ${path} missing`);
    else if (!then) reasons.push(`dep ${path} added`);
    else if (now.hash !== then.hash) reasons.push(`dep ${path} changed`);
  }
  for (const path of lockedDeps.keys()) if (!stage.deps.includes(path)) reasons.push(`dep ${path} removed`);

  for (const dep of stage.params) {
    const before = entry.params[dep.file] ?? {};
    const now = state.params[dep.file] ?? {};
    const label = (key: string) => (dep.file === 'params.yaml' ? key : `${dep.file}:${key}`);
    for (const key of dep.keys) {
      if (!(key in now)) continue;
      if (!(key in before)) reasons.push(`param ${label(key)} added`);
      else if (canonicalJson(before[key]) !== canonicalJson(now[key]))
        reasons.push(`param ${label(key)} ${showValue(before[key])} → ${showValue(now[key])}`);
    }
    for (const key of Object.keys(before))
      if (!dep.keys.includes(key)) reasons.push(`param ${label(key)} removed`);
  }
  const declaredFiles = new Set(stage.params.map((p) => p.file));
  for (const [file, keys] of Object.entries(entry.params))
    if (!declaredFiles.has(file))
      for (const key of Object.keys(keys))
        reasons.push(`param ${file === 'params.yaml' ? key : `${file}:${key}`} removed`);

  const lockedOuts = new Map(entry.outs.map((o) => [o.path, o]));
  const specs = stageOutputs(stage);
  for (const spec of specs) {
    const now = state.outs.get(spec.path);
    const then = lockedOuts.get(spec.path);
    if (!now) reasons.push(`out ${spec.path} missing`);
    else if (!then) reasons.push(`out ${spec.path} added`);
    else if (now.hash !== then.hash) reasons.push(`out ${spec.path} modified`);
    else if (then.cache !== spec.cache) reasons.push(`out ${spec.path} cache setting changed`);
  }
  const declared = new Set(specs.map((s) => s.path));
  for (const path of lockedOuts.keys()) if (!declared.has(path)) reasons.push(`out ${path} removed`);
  return reasons;
}
