import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../kernel/atomic-file.ts';
import { CONFIG_FILE, WORKSPACE_DIR } from '../kernel/config.ts';
import { errors } from '../kernel/errors.ts';
import { isInsideGitRepo } from '../kernel/git.ts';

export interface InitOptions {
  /** Re-initialise over an existing workspace (keeps the cache and the database). */
  force?: boolean;
}

export interface InitResult {
  root: string;
  git: boolean;
  reinitialized: boolean;
}

const CONFIG_TEMPLATE = `# Cairn workspace settings (committed to git). Secrets belong in config.local.yaml,
# which git ignores. Every setting and its environment variable: docs/configuration.md
#
# core:
#   remote: origin          # default remote for push / pull / status
#   jobs: 8                 # parallel hashing and transfer workers (default: number of cores)
# cache:
#   link: [reflink, copy]   # how checkout places files: reflink, copy, hardlink, symlink
#   fsync: true             # make each cache object durable before anything names it
#   profile: true           # profile CSV / Parquet files with DuckDB on add
#   profile_memory_mib: 256 # DuckDB's memory limit while profiling (it spills to .cairn/tmp above it)
# remotes:
#   origin:
#     url: s3://bucket/prefix   # or /abs/dir, file:///abs/dir
#     endpoint: http://127.0.0.1:9000
#     region: us-east-1
#     path_style: true
`;

const GITIGNORE = `# Local to this machine: never committed.
/cache/
/artifacts/
/tmp/
/cairn.db
/cairn.db-*
/config.local.yaml
/lock
`;

/** `cairn init`: creates `.cairn/` with its config, cache and ignore rules. */
export async function initWorkspace(root: string, options: InitOptions = {}): Promise<InitResult> {
  const dir = join(root, WORKSPACE_DIR);
  const exists = existsSync(dir);
  if (exists && !options.force)
    throw errors.exists(`${root} is already a Cairn workspace`, {
      hint: 'use --force to re-initialise it (the cache and database are kept)',
    });
  await mkdir(join(dir, 'cache'), { recursive: true });
  const configPath = join(dir, CONFIG_FILE);
  if (!existsSync(configPath)) await writeFileAtomic(configPath, CONFIG_TEMPLATE);
  const ignorePath = join(dir, '.gitignore');
  const current = await readFile(ignorePath, 'utf8').catch(() => '');
  if (current !== GITIGNORE) await writeFileAtomic(ignorePath, GITIGNORE);
  return { root, git: isInsideGitRepo(root), reinitialized: exists };
}
