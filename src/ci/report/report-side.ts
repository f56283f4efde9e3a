import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parsePointer, trackedPathFor } from '../../data/pointer.ts';
import { flattenMetrics, parseDataFile } from '../../pipeline/inspect/stage-metrics.ts';
import { parseLockFile } from '../../pipeline/lock/lock-file.ts';
import type { LockFile, Pipeline } from '../../pipeline/pipeline-types.ts';
import type { GitCommit } from './git-history.ts';

/** A data set as one side records it: a `.cairn` pointer, or a cached output in cairn.lock. */
export interface DatasetState {
  hash: string;
  /** Bytes; absent when the side does not say (a registry version's lineage). */
  size?: number;
  files?: number;
}

/** One side of the comparison: the change, or what it is compared with. */
export interface ReportSide {
  /** For people: `origin/main (3f2a9c1)`, `models:/income@champion (version 3)`. */
  label: string;
  commit?: string;
  /** `key` for params.yaml, `file:key` for other params files → value. */
  params: Map<string, unknown>;
  /** Stage → metric key → value, from the stages' metrics files. */
  metrics: Map<string, Map<string, number>>;
  /** Metrics by key alone (a tracked run's), used when a stage's file is not there. */
  runMetrics: Map<string, number>;
  datasets: Map<string, DatasetState>;
  /** The tracked run the side's results come from, when one is known. */
  run?: { id: string; name?: string; url?: string };
  /** Things a reader should know (a metrics file the side lacks…). */
  notes: string[];
}

export function emptySide(label: string): ReportSide {
  return {
    label,
    params: new Map(),
    metrics: new Map(),
    runMetrics: new Map(),
    datasets: new Map(),
    notes: [],
  };
}

export function paramKey(file: string, key: string): string {
  return file === 'params.yaml' ? key : `${file}:${key}`;
}

/** The params every stage ran with, as cairn.lock records them (flattened to dotted keys). */
export function lockParams(lock: LockFile): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (file: string, key: string, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0)
      for (const [k, v] of Object.entries(value)) walk(file, `${key}.${k}`, v);
    else out.set(paramKey(file, key), value);
  };
  for (const entry of Object.values(lock.stages))
    for (const [file, keys] of Object.entries(entry.params))
      for (const [key, value] of Object.entries(keys)) walk(file, key, value);
  return out;
}

/** Cached outputs of cairn.lock: pipeline data sets. */
function lockDatasets(lock: LockFile, into: Map<string, DatasetState>): void {
  for (const entry of Object.values(lock.stages))
    for (const out of entry.outs)
      if (out.cache)
        into.set(out.path, {
          hash: out.hash,
          size: out.size,
          ...(out.files !== undefined ? { files: out.files } : {}),
        });
}

function pointerDatasets(
  pointers: Map<string, string>,
  into: Map<string, DatasetState>,
  notes: string[],
): void {
  for (const [path, text] of pointers)
    try {
      const p = parsePointer(text, path);
      into.set(trackedPathFor(path), {
        hash: p.hash,
        size: p.size,
        ...(p.type === 'directory' ? { files: p.files } : {}),
      });
    } catch (err) {
      notes.push(`${path}: ${(err as Error).message}`);
    }
}

function metricsFrom(path: string, text: string | undefined): Map<string, number> | string {
  if (text === undefined) return 'missing';
  try {
    return new Map(Object.entries(flattenMetrics(parseDataFile(path, text))));
  } catch (err) {
    return (err as Error).message.split('\n')[0] ?? 'unreadable';
  }
}

/** Reads one side's params, metrics files and data sets through `read` (a commit or the working tree). */
async function readSide(
  side: ReportSide,
  pipeline: Pipeline | undefined,
  lockText: string | undefined,
  read: (path: string) => Promise<string | undefined>,
  pointers: Map<string, string>,
): Promise<ReportSide> {
  const lock = lockText === undefined ? { schema: 1 as const, stages: {} } : parseLockFile(lockText);
  if (lockText === undefined) side.notes.push('no cairn.lock: the pipeline had not run');
  side.params = lockParams(lock);
  lockDatasets(lock, side.datasets);
  pointerDatasets(pointers, side.datasets, side.notes);
  for (const stage of pipeline?.stages ?? [])
    for (const spec of stage.metrics) {
      const found = metricsFrom(spec.path, await read(spec.path));
      if (typeof found === 'string') {
        if (found !== 'missing') side.notes.push(`${spec.path} (stage ${stage.name}): ${found}`);
        continue;
      }
      const into = side.metrics.get(stage.name) ?? new Map<string, number>();
      for (const [k, v] of found) into.set(k, v);
      side.metrics.set(stage.name, into);
    }
  return side;
}

/** The side of a git commit (the base): its cairn.lock, metrics files and pointers, read from git. */
export async function commitSide(commit: GitCommit, pipeline: Pipeline | undefined): Promise<ReportSide> {
  const side = emptySide(`${commit.ref} (${commit.sha.slice(0, 7)})`);
  side.commit = commit.sha;
  return readSide(
    side,
    pipeline,
    await commit.read('cairn.lock'),
    (p) => commit.read(p),
    await commit.filesEnding('.cairn'),
  );
}

/** The side of the working tree (the change): as `cairn run` left it. */
export async function workingSide(
  root: string,
  pipeline: Pipeline | undefined,
  pointerPaths: readonly string[],
  label: string,
  commit?: string,
): Promise<ReportSide> {
  const side = emptySide(label);
  if (commit) side.commit = commit;
  const read = (p: string) => readFile(join(root, p), 'utf8').catch(() => undefined);
  const pointers = new Map<string, string>();
  for (const p of pointerPaths) {
    const text = await read(p);
    if (text !== undefined) pointers.set(p, text);
  }
  return readSide(side, pipeline, await read('cairn.lock'), read, pointers);
}
