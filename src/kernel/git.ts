import { execFile, spawn, spawnSync } from 'node:child_process';
import { errors } from './errors.ts';

/** Runs git in `cwd`; undefined when git is missing or `cwd` is not in a repository. */
export function gitSync(cwd: string, args: readonly string[]): string | undefined {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout;
}

/**
 * Runs git in `cwd` for an answer that must be complete: a missing git, a failed start or a
 * non-zero exit throws FAILED_PRECONDITION naming the command and git's own message.
 */
export function gitStrict(cwd: string, args: readonly string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
  if (r.error) throw gitStartError(r.error, args);
  if (r.status !== 0) throw gitFailed(args, r.status, r.signal, r.stderr);
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
 * Streams the content of many blobs through one `git cat-file --batch` process and returns a map
 * from object id to text. Every id must be read: git failing, or any object it cannot read
 * (missing, or corrupt: git reports both as missing), throws FAILED_PRECONDITION.
 */
export async function gitReadBlobs(cwd: string, ids: readonly string[]): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  if (ids.length === 0) return result;
  const args = ['cat-file', '--batch'];
  const child = spawn('git', args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', (err) => reject(gitStartError(err, args)));
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  // A git that exits early closes its stdin; the exit status says why.
  child.stdin.on('error', () => undefined);
  child.stdin.end(`${ids.join('\n')}\n`);
  const { code, signal } = await done;
  if (code !== 0) throw gitFailed(args, code, signal, stderr);
  const buf = Buffer.concat(chunks);
  let off = 0;
  while (off < buf.length) {
    const nl = buf.indexOf(10, off);
    if (nl < 0) break;
    const header = buf.subarray(off, nl).toString('utf8').split(' ');
    off = nl + 1;
    if (header[1] === 'missing')
      throw errors.precondition(
        `git cannot read object ${header[0]}: it is missing or corrupt${stderrLine(stderr)}`,
        { details: { object: header[0] }, hint: 'check the repository with: git fsck' },
      );
    const size = Number(header[2]);
    result.set(header[0] as string, buf.subarray(off, off + size).toString('utf8'));
    off += size + 1;
  }
  const unread = ids.find((id) => !result.has(id));
  if (unread !== undefined)
    throw errors.precondition(`git cat-file gave no answer for object ${unread}${stderrLine(stderr)}`, {
      hint: 'check the repository with: git fsck',
    });
  return result;
}

function gitStartError(err: Error, args: readonly string[]): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return errors.precondition(`git ${args[0]} could not run: git is not installed or not on PATH`, {
      cause: err,
      hint: 'install git or put it on PATH',
    });
  return errors.precondition(`git ${args[0]} could not run: ${err.message}`, { cause: err });
}

function gitFailed(
  args: readonly string[],
  status: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
): Error {
  const how = signal ? `was killed by ${signal}` : `exited with status ${status}`;
  return errors.precondition(`git ${args.join(' ')} ${how}${stderrLine(stderr)}`, {
    details: { args: [...args], status, signal, stderr },
    hint: 'check the repository with: git fsck',
  });
}

/** git's first message line, as `: <line>`, or nothing. */
function stderrLine(stderr: string): string {
  const line = stderr
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  return line ? `: ${line}` : '';
}
