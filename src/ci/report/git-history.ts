import { errors } from '../../kernel/errors.ts';
import { gitAsync, gitReadBlobs, gitSync } from '../../kernel/git.ts';

/** A commit of the workspace's git repository, read without checking it out. */
export interface GitCommit {
  /** The ref as given (`origin/main`) and the commit it names. */
  ref: string;
  sha: string;
  /** Reads a workspace-relative file as it is in the commit; undefined when it is not there. */
  read(path: string): Promise<string | undefined>;
  /** Workspace-relative paths of the commit's files ending in `suffix`, with their text. */
  filesEnding(suffix: string): Promise<Map<string, string>>;
}

/**
 * The commit `ref` names, in the repository holding the workspace `root`. Errors say what to do:
 * outside a repository; a shallow clone that lacks the ref (how to fetch it); an unknown ref.
 */
export async function openCommit(root: string, ref: string): Promise<GitCommit> {
  if (gitSync(root, ['rev-parse', '--is-inside-work-tree'])?.trim() !== 'true')
    throw errors.precondition(`${root} is not in a git repository, so there is no --base to compare with`, {
      hint: 'run cairn ci report in a clone of the project, or compare with the registry: --baseline models:/<name>@champion',
    });
  const sha = gitSync(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])?.trim();
  if (!sha) {
    const shallow = gitSync(root, ['rev-parse', '--is-shallow-repository'])?.trim() === 'true';
    const branch = ref.replace(/^origin\//, '');
    if (shallow)
      throw errors.precondition(
        `the base ${ref} is not in this shallow clone (it holds only the latest commits)`,
        {
          hint: `fetch it before the report: git fetch --no-tags --depth=50 origin ${branch} (or git fetch --deepen=50); in GitHub Actions check out with fetch-depth: 0, in GitLab CI set GIT_DEPTH: 0`,
        },
      );
    throw errors.notFound(`git knows no commit named ${ref}`, {
      hint: `fetch it (git fetch origin ${branch}) or name another base with --base <ref>`,
    });
  }
  const prefix = gitSync(root, ['rev-parse', '--show-prefix'])?.trim() ?? '';
  return {
    ref,
    sha,
    async read(path) {
      const text = await gitAsync(root, ['show', `${sha}:${prefix}${path}`]);
      return text ?? undefined;
    },
    async filesEnding(suffix) {
      const listing =
        (await gitAsync(root, ['ls-tree', '-r', '-z', sha, '--', prefix === '' ? '.' : prefix])) ?? '';
      const entries = listing
        .split('\0')
        .filter(Boolean)
        .map((line) => {
          const [meta, path] = line.split('\t') as [string, string];
          return { id: meta.split(' ')[2] as string, path: path.slice(prefix.length) };
        })
        .filter((e) => e.path.endsWith(suffix));
      const blobs = await gitReadBlobs(
        root,
        entries.map((e) => e.id),
      );
      return new Map(entries.flatMap((e) => (blobs.has(e.id) ? [[e.path, blobs.get(e.id) as string]] : [])));
    },
  };
}

/** The commit checked out in the workspace (HEAD), when it is a git repository. */
export function headCommit(root: string): string | undefined {
  return gitSync(root, ['rev-parse', '--verify', '--quiet', 'HEAD'])?.trim() || undefined;
}

/** Workspace-relative paths of the working tree's files ending in `suffix` (tracked or new, not ignored). */
export function workingFilesEnding(root: string, suffix: string): string[] {
  const out = gitSync(root, [
    'ls-files',
    '-z',
    '--cached',
    '--others',
    '--exclude-standard',
    '--',
    `*${suffix}`,
  ]);
  return out ? [...new Set(out.split('\0').filter(Boolean))] : [];
}
