import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pointer } from '../../data/pointer.ts';
import { writeFileAtomic } from '../../kernel/atomic-file.ts';
import { errors, fromSystemError } from '../../kernel/errors.ts';
import { isDigest } from '../../kernel/hashing.ts';
import { parseBlockYaml, plainValue as toPlain } from '../../kernel/yaml/block-yaml.ts';
import { yamlLib } from '../../kernel/yaml/yaml-lib.ts';

import type { LockEntry, LockedPath, LockFile } from '../pipeline-types.ts';

export const LOCK_FILE = 'cairn.lock';

const HEADER = `# Written by \`cairn run\`: each stage's command, dependency hashes, param values and output hashes
# as of its last successful run. Commit it with your code; do not edit it by hand.
`;

/** The workspace's `cairn.lock`; an empty lock when the file does not exist. */
export async function readLockFile(root: string): Promise<LockFile> {
  const text = await readLockText(root);
  return text === undefined ? { schema: 1, stages: {} } : parseLockFile(text);
}

/** The text of the workspace's `cairn.lock`; undefined when the file does not exist. */
export async function readLockText(root: string): Promise<string | undefined> {
  try {
    return await readFile(join(root, LOCK_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fromSystemError(err, LOCK_FILE);
  }
}

/** Parses and validates lock text; every error names the stage and field. */
export function parseLockFile(text: string): LockFile {
  const fail = (why: string) =>
    errors.invalid(`${LOCK_FILE}: ${why}`, {
      hint: `restore it from git (git checkout -- ${LOCK_FILE}), or delete it and run \`cairn run\` to rebuild it`,
    });
  const fast = parseBlockYaml(text);
  const value = fast ? toPlain(fast) : parseYaml(text, fail);
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

function parseYaml(text: string, fail: (why: string) => Error): unknown {
  const doc = yamlLib().parseDocument(text);
  if (doc.errors.length > 0) throw fail(`not valid YAML (${doc.errors[0]?.message.split('\n')[0]})`);
  return doc.toJS() as unknown;
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
  const names = Object.keys(lock.stages).sort();
  return joinStageTexts(names.map((name) => formatStageText(name, lock.stages[name] as LockEntry)));
}

/**
 * One stage's lines in the lock, as `stringify` writes them inside the whole document: the
 * stage formatted alone, indented under `stages:`. Formatting stage by stage lets a writer
 * reformat only the stage that changed (`yaml` takes about 0.5 ms a stage).
 */
export function formatStageText(name: string, e: LockEntry): string {
  return yamlLib()
    .stringify({ [name]: stageBody(e) }, { lineWidth: 0 })
    .split('\n')
    .map((line) => (line === '' ? line : `  ${line}`))
    .join('\n');
}

/** A stage's entry as the lock writes it: keys in a fixed order. */
function stageBody(e: LockEntry): Record<string, unknown> {
  const params: Record<string, Record<string, unknown>> = {};
  for (const file of Object.keys(e.params).sort()) {
    const keys = e.params[file] ?? {};
    params[file] = Object.fromEntries(
      Object.keys(keys)
        .sort()
        .map((k) => [k, sortKeys(keys[k])]),
    );
  }
  return {
    cmd: [...e.cmd],
    deps: byPath(e.deps).map(lockedPath),
    params,
    outs: byPath(e.outs).map((o) => ({ ...lockedPath(o), cache: o.cache })),
  };
}

/** The whole lock from the texts of its stages, in name order. */
export function joinStageTexts(stages: readonly string[]): string {
  return stages.length === 0
    ? `${HEADER}schema: 1\nstages: {}\n`
    : `${HEADER}schema: 1\nstages:\n${stages.join('')}`;
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
  return (await LockWriter.open(root)).update(updates, keep);
}

/**
 * Writes `cairn.lock` stage by stage during a run. It reads the file once and keeps the lock and
 * each stage's text in memory, so a stage's commit formats that stage only and does not read the
 * file again (the workspace lock keeps other writers out meanwhile): a 50-stage run spent most of
 * its main-thread time re-reading and re-formatting the whole lock after every stage.
 */
export class LockWriter {
  readonly #root: string;
  #stages: Record<string, LockEntry>;
  /** The text on disk, as read or last written. */
  #written: string | undefined;
  readonly #texts = new Map<string, { entry: LockEntry; text: string }>();

  private constructor(root: string, lock: LockFile, text: string | undefined) {
    this.#root = root;
    this.#stages = { ...lock.stages };
    this.#written = text;
  }

  static async open(root: string): Promise<LockWriter> {
    const text = await readLockText(root);
    const writer = new LockWriter(
      root,
      text === undefined ? { schema: 1, stages: {} } : parseLockFile(text),
      text,
    );
    if (text !== undefined) writer.#adopt(text);
    return writer;
  }

  /**
   * Keeps the text of each stage as read when it says exactly what its entry says, keys in the
   * lock's order, so the first commit of a run need not format every stage again.
   */
  #adopt(text: string): void {
    const prefix = `${HEADER}schema: 1\nstages:\n`;
    if (!text.startsWith(prefix) || !text.endsWith('\n')) return;
    const lines = text.slice(prefix.length, -1).split('\n');
    const starts = lines.flatMap((line, i) => (/^ {2}\S/.test(line) ? [i] : []));
    if (starts[0] !== 0) return;
    starts.forEach((start, n) => {
      const chunk = lines.slice(start, starts[n + 1] ?? lines.length);
      const node = parseBlockYaml(chunk.map((l) => l.slice(2)).join('\n'));
      const only = node?.kind === 'map' && node.entries.length === 1 ? node.entries[0] : undefined;
      const entry = only ? this.#stages[only.key] : undefined;
      if (!only || !entry || JSON.stringify(toPlain(only.value)) !== JSON.stringify(stageBody(entry))) return;
      this.#texts.set(only.key, { entry, text: `${chunk.join('\n')}\n` });
    });
  }

  /** The lock as it stands (as read, plus the updates so far). */
  get lock(): LockFile {
    return { schema: 1, stages: { ...this.#stages } };
  }

  /** Merges `updates` (dropping stages `keep` rejects) and writes the file if its text changed. */
  async update(
    updates: Readonly<Record<string, LockEntry>>,
    keep: (stage: string) => boolean = () => true,
  ): Promise<LockFile> {
    const stages: Record<string, LockEntry> = {};
    for (const [name, entry] of Object.entries(this.#stages)) if (keep(name)) stages[name] = entry;
    Object.assign(stages, updates);
    this.#stages = stages;
    const text = joinStageTexts(
      Object.keys(stages)
        .sort()
        .map((name) => this.#text(name)),
    );
    if (text !== this.#written) {
      await writeFileAtomic(join(this.#root, LOCK_FILE), text);
      this.#written = text;
    }
    return this.lock;
  }

  #text(name: string): string {
    const entry = this.#stages[name] as LockEntry;
    const known = this.#texts.get(name);
    if (known?.entry === entry) return known.text;
    const text = formatStageText(name, entry);
    this.#texts.set(name, { entry, text });
    return text;
  }
}

/** The outputs the lock records with `cache: true`, as the pointers status / push / checkout use. */
export function cachedOutputs(lock: LockFile): Map<string, Pointer> {
  const out = new Map<string, Pointer>();
  for (const entry of Object.values(lock.stages))
    for (const o of entry.outs) if (o.cache) out.set(o.path, pointerOf(o));
  return out;
}

/** A locked path as the pointer a `cairn add` of the same content would write. */
export function pointerOf(o: LockedPath): Pointer {
  return o.files !== undefined
    ? { type: 'directory', hash: o.hash, size: o.size, files: o.files }
    : { type: 'file', hash: o.hash, size: o.size };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
