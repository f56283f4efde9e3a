import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { errors } from '../kernel/errors.ts';

const RESERVED = new Set(['.cairn', '.git']);

/** A path the user named, resolved inside the workspace. `rel` uses `/` and is never empty. */
export interface WorkspacePath {
  abs: string;
  rel: string;
}

/**
 * Resolves `input` (relative to `cwd`) to a path inside the workspace at `root`. Symbolic links in
 * the parent directories are resolved first, so a link cannot smuggle a path outside. Paths inside
 * `.cairn/` or `.git/`, and the workspace root itself, are refused.
 */
export async function resolveWorkspacePath(root: string, cwd: string, input: string): Promise<WorkspacePath> {
  if (input.includes('\0')) throw errors.invalid(`path ${JSON.stringify(input)} contains a NUL byte`);
  const stripped = input.length > 1 ? input.replace(/[/\\]+$/, '') : input;
  const lexical = isAbsolute(stripped) ? resolve(stripped) : resolve(cwd, stripped);
  const realRoot = await realpath(root);
  const parent = await realpath(dirname(lexical)).catch(() => dirname(lexical));
  const abs = join(parent, basename(lexical));
  const rel = relative(realRoot, abs);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel))
    throw errors.invalid(`${input} is outside the workspace ${root}`, {
      hint: 'Cairn tracks only paths inside the workspace; copy the data into it first',
      details: { path: input },
    });
  const parts = rel.split(sep);
  if (RESERVED.has(parts[0] as string))
    throw errors.invalid(`${input} is inside ${parts[0]}/, which Cairn manages itself`, {
      details: { path: input },
    });
  return { abs: join(root, rel), rel: parts.join('/') };
}

/** A workspace-relative `/` path for an absolute one. */
export function relPath(root: string, abs: string): string {
  return relative(root, abs).split(sep).join('/');
}
