/**
 * A pipeline as Cairn runs it: `cairn.yaml` parsed, params interpolated, `foreach` / `matrix`
 * expanded, and validated. Paths are workspace-relative with `/` separators.
 */

/** Where a definition came from, for error messages: `cairn.yaml:12`. */
export interface SourceRef {
  file: string;
  line: number;
}

export interface OutputSpec {
  path: string;
  /** Store the output in the cache (and push it); default true for outs, false for metrics/plots. */
  cache: boolean;
  /** Keep the previous output in place while the stage runs (it is deleted first otherwise). */
  persist: boolean;
}

/** Param keys a stage depends on, from one params file. `keys` are dotted paths into the file. */
export interface ParamsDependency {
  file: string;
  keys: string[];
}

export interface StageDefinition {
  /** Unique; expanded stages are named `<stage>@<item>` (foreach) or `<stage>@<v1>-<v2>` (matrix). */
  name: string;
  /** Shell command(s), run in order with `sh -c` in `wdir`; interpolation already applied. */
  cmd: string[];
  wdir: string;
  deps: string[];
  params: ParamsDependency[];
  outs: OutputSpec[];
  metrics: OutputSpec[];
  plots: OutputSpec[];
  env: Record<string, string>;
  /** The task queue a distributed executor sends the stage to; its default queue when unset. */
  queue?: string;
  source: SourceRef;
}

export interface Pipeline {
  /** Stages in a topological order (upstream first, ties by name). */
  stages: StageDefinition[];
  /** For each stage, the stages whose outputs it depends on. */
  upstream: ReadonlyMap<string, readonly string[]>;
  /** Every params file the pipeline reads, with its parsed content. */
  params: ReadonlyMap<string, unknown>;
}

/** What `cairn.lock` records for one dependency or output. */
export interface LockedPath {
  path: string;
  hash: `sha256:${string}`;
  size: number;
  /** Present for directories: the number of files in the manifest. */
  files?: number;
}

/** One stage's entry in `cairn.lock`: the state of its last successful run. */
export interface LockEntry {
  cmd: string[];
  deps: LockedPath[];
  /** params file → dotted key → value. */
  params: Record<string, Record<string, unknown>>;
  outs: (LockedPath & { cache: boolean })[];
}

export interface LockFile {
  schema: 1;
  stages: Record<string, LockEntry>;
}
