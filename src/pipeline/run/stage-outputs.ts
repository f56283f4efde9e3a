import { existsSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DataContext } from '../../data/data-context.ts';
import { ensureGitIgnored } from '../../data/gitignore.ts';
import { linkFromCache } from '../../data/link-file.ts';
import { decodeManifest } from '../../data/manifest.ts';
import { type FileSignature, signatureOf } from '../../data/stat-cache.ts';
import { verifyCacheObjects } from '../../data/verify-object.ts';
import { mapConcurrent } from '../../kernel/concurrency.ts';
import { errors } from '../../kernel/errors.ts';
import type { Digest } from '../../kernel/hashing.ts';
import type { LockedPath, StageDefinition } from '../pipeline-types.ts';
import { hashPaths, stageOutputs } from './stage-state.ts';

/**
 * Deletes the stage's outputs before it runs (except those declared `persist: true`), so a stage
 * that fails to write one cannot leave the old one behind looking fresh; creates their parent
 * directories so a command can write straight into them.
 */
export async function clearOutputs(root: string, stage: StageDefinition): Promise<void> {
  for (const o of stageOutputs(stage)) {
    const abs = join(root, o.path);
    if (!o.persist) await rm(abs, { recursive: true, force: true });
    await mkdir(dirname(abs), { recursive: true });
  }
}

/** Declared outputs that do not exist. */
export function missingOutputs(root: string, stage: StageDefinition): string[] {
  return stageOutputs(stage)
    .map((o) => o.path)
    .filter((p) => !existsSync(join(root, p)));
}

/**
 * Hashes the outputs a stage produced and stores in the cache those with `cache: true` — or all
 * of them when `storeAll` (a run-cache entry must be able to restore every output).
 */
export async function saveOutputs(
  ctx: DataContext,
  stage: StageDefinition,
  storeAll: boolean,
): Promise<Map<string, LockedPath>> {
  const specs = stageOutputs(stage);
  const stored = specs.filter((o) => storeAll || o.cache).map((o) => o.path);
  const hashedOnly = specs.filter((o) => !(storeAll || o.cache)).map((o) => o.path);
  const [a, b] = await Promise.all([hashPaths(ctx, stored, true), hashPaths(ctx, hashedOnly, false)]);
  const out = new Map<string, LockedPath>();
  for (const [path, locked] of [...a, ...b]) {
    if (!locked) throw errors.precondition(`${stage.name}: ${path} disappeared while it was being saved`);
    out.set(path, locked);
  }
  return out;
}

/** Adds the outputs kept in the cache to `.gitignore`, as `cairn add` does for tracked data. */
export async function ignoreOutputs(root: string, stage: StageDefinition): Promise<void> {
  for (const o of stage.outs) if (o.cache) await ensureGitIgnored(join(root, o.path));
}

/**
 * Places outputs from the cache into the workspace with the configured link modes, replacing
 * whatever is there: outputs are owned by the pipeline. Every object must be in the cache; each
 * is verified against its hash before it is used.
 */
export async function placeOutputs(ctx: DataContext, outs: readonly LockedPath[]): Promise<void> {
  const written: { path: string; abs: string; hash: Digest }[] = [];
  for (const o of outs) {
    const abs = join(ctx.root, o.path);
    if (o.files === undefined) {
      await verifyCacheObjects(ctx, [o.hash]);
      if (statSync(abs, { throwIfNoEntry: false })?.isDirectory())
        await rm(abs, { recursive: true, force: true });
      await linkFromCache(ctx.cache.pathOf(o.hash), abs, ctx.linkModes, 0o644);
      written.push({ path: o.path, abs, hash: o.hash });
      continue;
    }
    const manifest = decodeManifest(await ctx.cache.readVerified(o.hash), o.hash);
    await verifyCacheObjects(
      ctx,
      manifest.entries.map((e) => e.hash),
    );
    await rm(abs, { recursive: true, force: true });
    await mkdir(abs, { recursive: true });
    await mapConcurrent(manifest.entries, 16, async (e) => {
      const dest = join(abs, e.path);
      await linkFromCache(ctx.cache.pathOf(e.hash), dest, ctx.linkModes, e.mode);
      written.push({ path: `${o.path}/${e.path}`, abs: dest, hash: e.hash });
    });
  }
  // Files just written from the cache have known hashes: the next run need not read them.
  const entries: { path: string; signature: FileSignature; hash: Digest }[] = [];
  for (const f of written) {
    const st = statSync(f.abs, { throwIfNoEntry: false });
    if (st) entries.push({ path: f.path, signature: signatureOf(st), hash: f.hash });
  }
  await ctx.statCache.save(entries, Date.now());
}
