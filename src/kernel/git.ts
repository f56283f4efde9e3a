import { execFile, spawn, spawnSync } from 'node:child_process';

/** Runs git in `cwd`; undefined when git is missing or `cwd` is not in a repository. */
export function gitSync(cwd: string, args: readonly string[]): string | undefined {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout;
}

/** gitSync without blocking: start it early, await it when the answer is needed. */
export function gitAsync(cwd: string, args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }, (err, stdout) =>
      resolve(err ? undefined : stdout),
    );
  });
}

export function isInsideGitRepo(cwd: string): boolean {
  return gitSync(cwd, ['rev-parse', '--is-inside-work-tree'])?.trim() === 'true';
}

/** Paths under `paths` that git tracks (workspace-relative, `/`-separated). */
export function gitTrackedFiles(cwd: string, paths: readonly string[]): string[] {
  const out = gitSync(cwd, ['ls-files', '-z', '--', ...paths]);
  return out ? out.split('\0').filter(Boolean) : [];
}

/**
 * Streams the content of many blobs through one `git cat-file --batch` process.
 * Returns a map from object id to text.
 */
export async function gitReadBlobs(cwd: string, ids: readonly string[]): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  if (ids.length === 0) return result;
  const child = spawn('git', ['cat-file', '--batch'], { cwd, stdio: ['pipe', 'pipe', 'ignore'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
  child.stdin.end(`${ids.join('\n')}\n`);
  if ((await done) !== 0) return result;
  const buf = Buffer.concat(chunks);
  let off = 0;
  while (off < buf.length) {
    const nl = buf.indexOf(10, off);
    if (nl < 0) break;
    const header = buf.subarray(off, nl).toString('utf8').split(' ');
    off = nl + 1;
    if (header[1] === 'missing') continue;
    const size = Number(header[2]);
    result.set(header[0] as string, buf.subarray(off, off + size).toString('utf8'));
    off += size + 1;
  }
  return result;
}
