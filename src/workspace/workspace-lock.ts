import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
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

/**
 * Takes the workspace's exclusive lock (`.cairn/lock`, created with O_EXCL). A lock left by a
 * process that no longer exists on this host is taken over. Commands that change the workspace
 * hold it, so two of them never interleave their writes.
 */
export async function lockWorkspace(root: string, options: LockOptions): Promise<WorkspaceLock> {
  const path = join(root, WORKSPACE_DIR, 'lock');
  const me: Holder = {
    pid: process.pid,
    host: hostname(),
    purpose: options.purpose,
    since: new Date().toISOString(),
  };
  const deadline =
    options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    try {
      writeFileSync(path, JSON.stringify(me), { flag: 'wx' });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        rmSync(path, { force: true });
        process.off('exit', release);
      };
      process.on('exit', release);
      return { release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(path);
    if (holder && holder.host === me.host && !isAlive(holder.pid)) {
      rmSync(path, { force: true });
      continue;
    }
    if (!options.wait || Date.now() >= deadline) {
      const who = holder
        ? `${holder.purpose} (pid ${holder.pid} on ${holder.host}, since ${holder.since})`
        : 'another command';
      throw errors.conflict(`the workspace is busy: ${who} holds ${path}`, {
        hint: 'wait for it to finish or pass --wait; if no such process exists, delete the lock file',
      });
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

function readHolder(path: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
