import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { errors } from '../kernel/errors.ts';
import type { DataContext } from './data-context.ts';
import { POINTER_SUFFIX, type Pointer, pointerPathFor, readPointer } from './pointer.ts';
import { findTrackedPaths } from './tracked-paths.ts';
import { resolveWorkspacePath } from './workspace-paths.ts';

/**
 * The tracked paths a command applies to: all of them when `inputs` is empty; otherwise each
 * input names a tracked path (or its pointer file), or a directory whose tracked paths are taken.
 * Tracked paths come from pointer files and from pipeline outputs.
 */
export async function selectTracked(
  ctx: DataContext,
  cwd: string,
  inputs: readonly string[],
): Promise<string[]> {
  const outputs = (await ctx.pipelineOutputs?.()) ?? new Map<string, Pointer>();
  if (inputs.length === 0)
    return [...new Set([...(await findTrackedPaths(ctx.root)), ...outputs.keys()])].sort();
  const out = new Set<string>();
  for (const input of inputs) {
    const target = input.endsWith(POINTER_SUFFIX) ? input.slice(0, -POINTER_SUFFIX.length) : input;
    const wp = await resolveWorkspacePath(ctx.root, cwd, target);
    if (existsSync(join(ctx.root, pointerPathFor(wp.rel))) || outputs.has(wp.rel)) {
      out.add(wp.rel);
      continue;
    }
    const inside = existsSync(wp.abs)
      ? (await findTrackedPaths(wp.abs)).map((rel) => `${wp.rel}/${rel}`)
      : [];
    for (const rel of outputs.keys()) if (rel.startsWith(`${wp.rel}/`)) inside.push(rel);
    if (inside.length === 0)
      throw errors.notFound(`${input} is not tracked by Cairn (no ${pointerPathFor(wp.rel)})`, {
        hint: `track it with: cairn add ${input}`,
      });
    for (const rel of inside) out.add(rel);
  }
  return [...out].sort();
}

/** What a tracked path should contain: its pointer file, or its pipeline output entry. */
export async function readTrackedPointer(ctx: DataContext, rel: string): Promise<Pointer> {
  const pointerFile = join(ctx.root, pointerPathFor(rel));
  if (existsSync(pointerFile)) return readPointer(pointerFile, pointerPathFor(rel));
  const output = (await ctx.pipelineOutputs?.())?.get(rel);
  if (output) return output;
  throw errors.notFound(`${rel} is not tracked by Cairn (no ${pointerPathFor(rel)})`, {
    hint: `track it with: cairn add ${rel}`,
  });
}
