import { errors } from '../../kernel/errors.ts';
import { didYouMean } from '../definition/pipeline-problems.ts';
import type { Pipeline } from '../pipeline-types.ts';

/**
 * The stages a run considers, in pipeline order: every stage when no target is named; otherwise
 * the named stages (`train` also names `train@…` of a foreach / matrix) and everything upstream
 * of them, plus with `downstream` every stage that depends on them, and that stage's upstream.
 */
export function selectStages(pipeline: Pipeline, targets: readonly string[], downstream: boolean): string[] {
  const names = pipeline.stages.map((s) => s.name);
  if (targets.length === 0) return names;
  const chosen = new Set<string>();
  const unknown: string[] = [];
  for (const t of targets) {
    const matches = names.filter((n) => n === t || n.startsWith(`${t}@`));
    if (matches.length === 0) unknown.push(t);
    for (const m of matches) chosen.add(m);
  }
  if (unknown.length > 0)
    throw errors.invalid(
      unknown.map((u) => `no stage named "${u}" in cairn.yaml${didYouMean(u, names)}`).join('; '),
      { hint: 'list the stages with: cairn dag' },
    );
  if (downstream) {
    const dependents = new Map<string, string[]>();
    for (const [name, ups] of pipeline.upstream)
      for (const u of ups) dependents.set(u, [...(dependents.get(u) ?? []), name]);
    closure(chosen, (n) => dependents.get(n) ?? []);
  }
  closure(chosen, (n) => pipeline.upstream.get(n) ?? []);
  return names.filter((n) => chosen.has(n));
}

function closure(set: Set<string>, next: (name: string) => readonly string[]): void {
  const queue = [...set];
  while (queue.length > 0)
    for (const n of next(queue.pop() as string))
      if (!set.has(n)) {
        set.add(n);
        queue.push(n);
      }
}
