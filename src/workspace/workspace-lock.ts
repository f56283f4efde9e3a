import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { WORKSPACE_DIR } from '../kernel/config.ts';
import { errors } from '../kernel/errors.ts';

export interface WorkspaceLock {
  release(): void;
}

export interface LockOptions {
  /** Wait for the holder to finish instead of failing at once. */
  wait?: boolean;
  /** What the lock is for, shown to a second command that finds it held. */
  purpose: string;
  /** Give up waiting after this long (ms); default: wait without limit. */
  timeoutMs?: number;
}

interface Holder {
  pid: number;
  host: string;
  purpose: string;
  since: string;
}

/** The file the operating-system lock is taken on; it is never removed, so its identity never changes. */
export const LOCK_FILE = join('tmp', 'workspace.lock');
/** Who holds the lock, for the message a second command prints; present only while it is held. */
export const HOLDER_FILE = 'lock';

const SQLITE_BUSY = 5;

/**
 * Takes the workspace's exclusive lock. The lock is an operating-system record lock on
 * `.cairn/tmp/workspace.lock` (taken through SQLite, which uses POSIX fcntl locks), so the kernel
 * lets one process alone hold it and releases it when that process ends in any way, SIGKILL
 * included: there is no stale lock to detect or take over. `.cairn/lock` names the holder.
 * Commands that change the workspace hold it, so two of them never interleave their writes.
 */
export async function lockWorkspace(root: string, options: LockOptions): Promise<WorkspaceLock> {
  const dir = join(root, WORKSPACE_DIR);
  const lockPath = join(dir, LOCK_FILE);
  const holderPath = join(dir, HOLDER_FILE);
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const db = new DatabaseSync(lockPath, { timeout: 0 });
  const deadline =
    options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  try {
    for (let delay = 10; ; delay = Math.min(delay * 2, 250)) {
      if (tryLock(db)) {
        const me: Holder = {
          pid: process.pid,
          host: hostname(),
          purpose: options.purpose,
          since: new Date().toISOString(),
        };
        writeFileSync(holderPath, JSON.stringify(me));
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          // The holder file goes first, while the lock still keeps the next holder from writing its own.
          rmSync(holderPath, { force: true });
          db.close();
          process.off('exit', release);
        };
        process.on('exit', release);
        return { release };
      }
      if (!options.wait || Date.now() >= deadline) {
        const holder = readHolder(holderPath);
        const who = holder
          ? `${holder.purpose} (pid ${holder.pid} on ${holder.host}, since ${holder.since})`
          : 'another command';
        throw errors.conflict(`the workspace is busy: ${who} holds ${lockPath}`, {
          hint: 'wait for it to finish or pass --wait',
        });
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Takes the lock if no other process holds it; never waits. */
function tryLock(db: DatabaseSync): boolean {
  try {
    db.exec('BEGIN EXCLUSIVE');
    return true;
  } catch (err) {
    if ((err as { errcode?: number }).errcode === SQLITE_BUSY) return false;
    throw err;
  }
}

function readHolder(path: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}
