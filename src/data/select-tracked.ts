import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { errors } from '../kernel/errors.ts';
import type { DataContext } from './data-context.ts';
import { POINTER_SUFFIX, pointerPathFor } from './pointer.ts';
import { findTrackedPaths } from './tracked-paths.ts';
import { resolveWorkspacePath } from './workspace-paths.ts';

/**
 * The tracked paths a command applies to: all of them when `inputs` is empty; otherwise each
 * input names a tracked path (or its pointer file), or a directory whose tracked paths are taken.
 */
export async function selectTracked(
  ctx: DataContext,
  cwd: string,
  inputs: readonly string[],
): Promise<string[]> {
  if (inputs.length === 0) return findTrackedPaths(ctx.root);
  const out = new Set<string>();
  for (const input of inputs) {
    const target = input.endsWith(POINTER_SUFFIX) ? input.slice(0, -POINTER_SUFFIX.length) : input;
    const wp = await resolveWorkspacePath(ctx.root, cwd, target);
    if (existsSync(join(ctx.root, pointerPathFor(wp.rel)))) {
      out.add(wp.rel);
      continue;
    }
    const inside = existsSync(wp.abs) ? await findTrackedPaths(wp.abs) : [];
    if (inside.length === 0)
      throw errors.notFound(`${input} is not tracked by Cairn (no ${pointerPathFor(wp.rel)})`, {
        hint: `track it with: cairn add ${input}`,
      });
    for (const rel of inside) out.add(`${wp.rel}/${rel}`);
  }
  return [...out].sort();
}
