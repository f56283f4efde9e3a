import { posix } from 'node:path';

/** Directories Cairn and git own: no stage may write inside them. */
const RESERVED_DIRS = ['.cairn', '.git'];

export type PathResult = { path: string } | { error: string };

/**
 * Resolves a path written in cairn.yaml (relative to the stage's `wdir`) to a workspace-relative
 * path with `/` separators and no trailing slash. Absolute paths and paths that leave the
 * workspace through `..` are refused; `.` (the workspace itself) only where `allowRoot` says.
 */
export function workspacePath(raw: string, wdir: string, allowRoot = false): PathResult {
  if (raw.trim() === '') return { error: 'a path is empty' };
  if (posix.isAbsolute(raw) || /^[A-Za-z]:[\\/]/.test(raw) || raw.startsWith('\\'))
    return { error: `"${raw}" is an absolute path; write it relative to the workspace` };
  let path = posix.normalize(posix.join(wdir, raw.replaceAll('\\', '/')));
  while (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  if (path === '..' || path.startsWith('../'))
    return { error: `"${raw}" points outside the workspace (through "..")` };
  if (path === '.' && !allowRoot)
    return { error: `"${raw}" is the whole workspace; name a file or directory in it` };
  return { path };
}

/** Why a stage may not write to `path`, or undefined when it may. */
export function outputPathProblem(path: string): string | undefined {
  const reserved = RESERVED_DIRS.find((dir) => isWithin(path, dir));
  return reserved === undefined ? undefined : `"${path}" is inside ${reserved}/, which Cairn and git manage`;
}

/** True when `path` is `dir` itself or lies inside it. */
export function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

/** True when one path is the other or inside it. */
export function overlaps(a: string, b: string): boolean {
  return isWithin(a, b) || isWithin(b, a);
}
