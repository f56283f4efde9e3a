import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import type { Pointer } from '../../data/pointer.ts';
import { writeFileAtomic } from '../../kernel/atomic-file.ts';
import { errors, fromSystemError } from '../../kernel/errors.ts';
import { isDigest } from '../../kernel/hashing.ts';
import type { LockEntry, LockedPath, LockFile } from '../pipeline-types.ts';

export const LOCK_FILE = 'cairn.lock';

const HEADER = `# Written by \`cairn run\`: each stage's command, dependency hashes, param values and output hashes
# as of its last successful run. Commit it with your code; do not edit it by hand.
`;

/** The workspace's `cairn.lock`; an empty lock when the file does not exist. */
export async function readLockFile(root: string): Promise<LockFile> {
  let text: string;
  try {
    text = await readFile(join(root, LOCK_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { schema: 1, stages: {} };
    throw fromSystemError(err, LOCK_FILE);
  }
  return parseLockFile(text);
}

/** Parses and validates lock text; every error names the stage and field. */
export function parseLockFile(text: string): LockFile {
  const fail = (why: string) =>
    errors.invalid(`${LOCK_FILE}: ${why}`, {
      hint: `restore it from git (git checkout -- ${LOCK_FILE}), or delete it and run \`cairn run\` to rebuild it`,
    });
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw fail(`not valid YAML (${doc.errors[0]?.message.split('\n')[0]})`);
  const value = doc.toJS() as unknown;
  if (value === null || value === undefined) return { schema: 1, stages: {} };
  if (!isRecord(value)) throw fail('not a mapping');
  if (value.schema !== 1) throw fail(`unsupported schema ${JSON.stringify(value.schema)} (expected 1)`);
  const stages: Record<string, LockEntry> = {};
  const raw = value.stages ?? {};
  if (!isRecord(raw)) throw fail('"stages" is not a mapping');
  for (const [name, entry] of Object.entries(raw))
    stages[name] = parseEntry(entry, (why) => fail(`stage "${name}": ${why}`));
  return { schema: 1, stages };
}

function parseEntry(value: unknown, fail: (why: string) => Error): LockEntry {
  if (!isRecord(value)) throw fail('not a mapping');
  const cmd = value.cmd;
  if (!Array.isArray(cmd) || !cmd.every((c) => typeof c === 'string'))
    throw fail('"cmd" is not a list of strings');
  const params = value.params ?? {};
  if (!isRecord(params) || !Object.values(params).every(isRecord))
    throw fail('"params" is not a mapping of files');
  const list = (key: string) => {
    const items = value[key] ?? [];
    if (!Array.isArray(items)) throw fail(`"${key}" is not a list`);
    return items.map((item, i) => parsePath(item, (why) => fail(`${key}[${i}]: ${why}`)));
  };
  const outsRaw = value.outs ?? [];
  const outs = list('outs').map((o, i) => ({
    ...o,
    cache: (outsRaw as Record<string, unknown>[])[i]?.cache !== false,
  }));
  return { cmd, deps: list('deps'), params: params as LockEntry['params'], outs };
}

function parsePath(value: unknown, fail: (why: string) => Error): LockedPath {
  if (!isRecord(value)) throw fail('not a mapping');
  if (typeof value.path !== 'string' || value.path === '') throw fail('"path" is missing');
  if (!isDigest(value.hash)) throw fail(`hash ${JSON.stringify(value.hash)} is not a sha256 digest`);
  if (typeof value.size !== 'number' || value.size < 0) throw fail('"size" is not a non-negative number');
  const out: LockedPath = { path: value.path, hash: value.hash, size: value.size };
  if (value.files !== undefined) {
    if (typeof value.files !== 'number') throw fail('"files" is not a number');
    out.files = value.files;
  }
  return out;
}

/**
 * The lock's text with a fixed key order: stages by name, deps and outs by path, params by file
 * and key, so a change shows in a diff as the lines that changed and nothing else.
 */
export function formatLockFile(lock: LockFile): string {
  const stages: Record<string, unknown> = {};
  for (const name of Object.keys(lock.stages).sort()) {
    const e = lock.stages[name] as LockEntry;
    const params: Record<string, Record<string, unknown>> = {};
    for (const file of Object.keys(e.params).sort()) {
      const keys = e.params[file] ?? {};
      params[file] = Object.fromEntries(
        Object.keys(keys)
          .sort()
          .map((k) => [k, sortKeys(keys[k])]),
      );
    }
    stages[name] = {
      cmd: [...e.cmd],
      deps: byPath(e.deps).map(lockedPath),
      params,
      outs: byPath(e.outs).map((o) => ({ ...lockedPath(o), cache: o.cache })),
    };
  }
  return HEADER + stringify({ schema: 1, stages }, { lineWidth: 0 });
}

function lockedPath(p: LockedPath): Record<string, unknown> {
  return { path: p.path, hash: p.hash, size: p.size, ...(p.files !== undefined ? { files: p.files } : {}) };
}

function byPath<T extends { path: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys(value[k])]),
  );
}

/**
 * Merges `updates` into the lock on disk and writes it atomically (temp file, fsync, rename):
 * entries of other stages are kept, except those of stages `keep` rejects (removed from the
 * pipeline). Nothing is written when the result equals what is there.
 */
export async function updateLockFile(
  root: string,
  updates: Readonly<Record<string, LockEntry>>,
  keep: (stage: string) => boolean = () => true,
): Promise<LockFile> {
  const current = await readLockFile(root);
  const stages: Record<string, LockEntry> = {};
  for (const [name, entry] of Object.entries(current.stages)) if (keep(name)) stages[name] = entry;
  Object.assign(stages, updates);
  const next: LockFile = { schema: 1, stages };
  const text = formatLockFile(next);
  const before = await readFile(join(root, LOCK_FILE), 'utf8').catch(() => undefined);
  if (text !== before) await writeFileAtomic(join(root, LOCK_FILE), text);
  return next;
}

/** The outputs the lock records with `cache: true`, as the pointers status / push / checkout use. */
export function cachedOutputs(lock: LockFile): Map<string, Pointer> {
  const out = new Map<string, Pointer>();
  for (const entry of Object.values(lock.stages))
    for (const o of entry.outs) {
      if (!o.cache) continue;
      out.set(
        o.path,
        o.files !== undefined
          ? { type: 'directory', hash: o.hash, size: o.size, files: o.files }
          : { type: 'file', hash: o.hash, size: o.size },
      );
    }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
