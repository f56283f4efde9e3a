import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { ParamsDependency } from '../pipeline-types.ts';
import { type ParamsFiles, paramValue, suggestParamKey } from './params-files.ts';
import { isWithin, overlaps } from './pipeline-paths.ts';
import type { PipelineProblems } from './pipeline-problems.ts';
import type { LocatedOutput, ResolvedStage } from './resolve-stage.ts';

export interface ValidateStagesOptions {
  root: string;
  file: string;
  params: ParamsFiles;
  problems: PipelineProblems;
  /** False when some outputs could not be read: then a missing dep may just be one of them. */
  outputsComplete: boolean;
}

/**
 * The checks that look across stages or at the workspace: params files and keys (filling in each
 * stage's `params`), outputs written twice or nested in each other, a stage reading its own
 * output, and deps that neither exist nor come from a stage.
 */
export async function validateStages(stages: readonly ResolvedStage[], options: ValidateStagesOptions) {
  const { problems, file } = options;
  const report = (stage: ResolvedStage, line: number, message: string, dedupe?: string): void =>
    problems.add(file, line, `stage "${stage.definition.name}": ${message}`, dedupe);

  for (const stage of stages) stage.definition.params = await resolveParams(stage, options.params, report);

  const all = stages.flatMap((stage) => stage.outputs.map((out) => ({ stage, out })));
  for (let i = 0; i < all.length; i++)
    for (let j = i + 1; j < all.length; j++) {
      const a = all[i] as { stage: ResolvedStage; out: LocatedOutput };
      const b = all[j] as { stage: ResolvedStage; out: LocatedOutput };
      if (!overlaps(a.out.path, b.out.path)) continue;
      const [first, second] = a.out.line <= b.out.line ? [a, b] : [b, a];
      const where = `${file}:${first.out.line}`;
      const relation =
        first.out.path === second.out.path
          ? 'is also'
          : isWithin(second.out.path, first.out.path)
            ? `is inside "${first.out.path}",`
            : `contains "${first.out.path}",`;
      const owner =
        first.stage === second.stage
          ? 'another output of this stage'
          : `an output of stage "${first.stage.definition.name}"`;
      const message =
        first.stage === second.stage && first.out.path === second.out.path
          ? `output "${second.out.path}" is listed twice (also at ${where})`
          : first.stage === second.stage
            ? `output "${second.out.path}" ${relation} ${owner} (${where})`
            : `output "${second.out.path}" ${relation} ${owner} (${where}); each path can be written by one stage only`;
      report(
        second.stage,
        second.out.line,
        message,
        `outputs|${first.stage.template}|${second.stage.template}|${first.out.path}|${second.out.path}`,
      );
    }

  for (const stage of stages)
    for (const dep of stage.deps) {
      const out = stage.outputs.find((o) => overlaps(o.path, dep.path));
      if (out)
        report(
          stage,
          dep.line,
          dep.path === out.path
            ? `"${dep.path}" is both a dep and an output of this stage`
            : `dep "${dep.path}" overlaps its own output "${out.path}"`,
          `self|${stage.template}|${dep.path}|${out.path}`,
        );
    }

  if (!options.outputsComplete) return;
  for (const stage of stages)
    for (const dep of stage.deps) {
      const produced = stages.some((other) => other.outputs.some((o) => overlaps(o.path, dep.path)));
      if (produced || isPresent(options.root, dep.path)) continue;
      report(
        stage,
        dep.line,
        `dep "${dep.path}" does not exist and no stage writes it`,
        `missing|${stage.template}|${dep.path}`,
      );
    }
}

async function resolveParams(
  stage: ResolvedStage,
  files: ParamsFiles,
  report: (stage: ResolvedStage, line: number, message: string, dedupe?: string) => void,
): Promise<ParamsDependency[]> {
  const byFile = new Map<string, string[]>();
  for (const ref of stage.paramRefs) {
    const state = await files.load(ref.file);
    const dedupe = `params|${stage.template}|${ref.line}|${ref.file}|${ref.key}`;
    if (state.status === 'missing') {
      report(stage, ref.line, `params file "${ref.file}" does not exist`, dedupe);
      continue;
    }
    if (state.status === 'unsupported') {
      report(stage, ref.line, `params file "${ref.file}" must be YAML or JSON (.yaml, .yml, .json)`, dedupe);
      continue;
    }
    if (state.status === 'invalid') continue;
    const keys = ref.key === undefined ? Object.keys(state.content) : [ref.key];
    if (ref.key !== undefined && paramValue(state.content, ref.key) === undefined) {
      report(
        stage,
        ref.line,
        `${ref.file} has no key "${ref.key}"${suggestParamKey(state.content, ref.key)}`,
        dedupe,
      );
      continue;
    }
    const list = byFile.get(ref.file) ?? [];
    for (const key of keys) {
      // A value read through ${…} that a listed key already covers (`train` covers `train.lr`) adds nothing.
      const covered = list.some((k) => k === key || (ref.implicit && key.startsWith(`${k}.`)));
      if (!covered) list.push(key);
    }
    byFile.set(ref.file, list);
  }
  return [...byFile].map(([file, keys]) => ({ file, keys }));
}

/**
 * The path exists, or data tracked with `cairn add` covers it (its `<path>.cairn` pointer or a
 * pointer of a directory holding it): checkout brings such data back.
 */
function isPresent(root: string, path: string): boolean {
  if (existsSync(join(root, path))) return true;
  for (let at = path; at !== '.' && at !== ''; at = posix.dirname(at))
    if (existsSync(join(root, `${at}.cairn`))) return true;
  return false;
}
