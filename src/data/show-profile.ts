import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { errors } from '../kernel/errors.ts';
import type { Digest } from '../kernel/hashing.ts';
import type { DataContext } from './data-context.ts';
import { decodeManifest } from './manifest.ts';
import { pointerPathFor, readPointer } from './pointer.ts';
import { type DataProfile, profileFormatOf, profileTable } from './profile/data-profile.ts';
import { readWorkspaceState } from './tracked-state.ts';
import { resolveWorkspacePath } from './workspace-paths.ts';

export interface ShownProfile {
  path: string;
  hash: Digest;
  profile: DataProfile;
  /** True when the profile was computed now rather than found in the metadata store. */
  computed: boolean;
}

/**
 * `cairn data show`: the stored profile of a tracked CSV / Parquet file (or of one inside a
 * tracked directory), computed from the cache and stored by hash when it is not known yet.
 */
export async function showDataProfile(ctx: DataContext, cwd: string, input: string): Promise<ShownProfile> {
  const wp = await resolveWorkspacePath(ctx.root, cwd, input);
  const format = profileFormatOf(wp.rel);
  if (!format)
    throw errors.invalid(`${input} is not a CSV, TSV or Parquet file`, {
      hint: 'cairn data show profiles .csv, .tsv, .csv.gz, .parquet and .pq files',
    });
  const hash = await trackedHash(ctx, wp.rel, input);
  const profiles = ctx.profiles;
  const known = await profiles.get(hash);
  if (known) return { path: wp.rel, hash, profile: known, computed: false };
  const source = existsSync(ctx.cache.pathOf(hash)) ? ctx.cache.pathOf(hash) : undefined;
  if (!source)
    throw errors.notFound(`${wp.rel} (${hash}) is not in the cache`, { hint: `run: cairn pull ${wp.rel}` });
  const profile = await profileTable(source, format, ctx.profileLimits);
  await profiles.put(hash, profile);
  return { path: wp.rel, hash, profile, computed: true };
}

/** The hash the pointers record for `rel`: its own pointer, or the manifest of a tracked ancestor. */
async function trackedHash(ctx: DataContext, rel: string, input: string): Promise<Digest> {
  const own = join(ctx.root, pointerPathFor(rel));
  if (existsSync(own)) {
    const pointer = await readPointer(own, pointerPathFor(rel));
    if (pointer.type !== 'file')
      throw errors.invalid(`${input} is a tracked directory; name a file inside it`);
    return pointer.hash;
  }
  for (let dir = dirname(rel); dir !== '.' && dir !== ''; dir = dirname(dir)) {
    const pointerPath = join(ctx.root, pointerPathFor(dir));
    if (!existsSync(pointerPath)) continue;
    const pointer = await readPointer(pointerPath, pointerPathFor(dir));
    const manifest = decodeManifest(await ctx.cache.readVerified(pointer.hash), pointer.hash);
    const entry = manifest.entries.find((e) => e.path === rel.slice(dir.length + 1));
    if (!entry) throw errors.notFound(`${input} is not part of the tracked directory ${dir}`);
    return entry.hash;
  }
  const state = await readWorkspaceState(ctx, rel);
  if (state.kind === 'missing') throw errors.notFound(`${input} does not exist`);
  throw errors.notFound(`${input} is not tracked by Cairn`, { hint: `track it first: cairn add ${input}` });
}
