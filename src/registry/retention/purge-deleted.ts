import type { BlobStore } from '../../blobs/blob-store.ts';
import type { ProgressFn } from '../../kernel/progress.ts';
import type { MetadataStore } from '../../store/metadata-store.ts';
import { ArtifactFiles } from '../../tracking/artifacts/artifact-files.ts';
import { artifactPrefix } from '../../tracking/artifacts/artifact-layout.ts';
import type { ArtifactRoot } from '../../tracking/artifacts/artifact-root.ts';
import {
  artifactsDeleted,
  type DeletedExperiment,
  type DeletedRun,
  deletedBefore,
  keptArtifactLocations,
  purgedArtifactLocations,
  purgeExperiment,
  purgeRun,
} from '../../tracking/sql/tracking-purge.ts';
import { artifactUriOf, type SourceStores } from '../registration/source-location.ts';

export interface PurgeDeps extends SourceStores {
  /** The metadata store holding the tracking tables. */
  metadata: MetadataStore;
  /** The artifact store, and which URIs lie in it: nothing outside it is ever deleted. */
  artifacts: BlobStore;
  root: ArtifactRoot;
}

export interface PurgeOptions {
  /** Only what was deleted at least this long ago (ms). */
  olderThanMs: number;
  /** Report what would be removed, and remove nothing. */
  dryRun?: boolean;
  /** Default: now. */
  now?: number;
  /** Told after each run or experiment considered. */
  onProgress?: ProgressFn;
}

/** Files of an artifact location: in the artifact store (and how much), or left where they are. */
export interface PurgedArtifacts {
  uri: string;
  /** False when the location is outside the artifact root: its files are not touched. */
  in_store: boolean;
  files: number;
  bytes: number;
}

export interface PurgedRunReport {
  run_id: string;
  experiment_id: string;
  deleted_time: number;
  artifacts: PurgedArtifacts[];
}

export interface PurgedExperimentReport {
  experiment_id: string;
  name: string;
  deleted_time: number;
  runs: number;
  logged_models: number;
  artifacts: PurgedArtifacts[];
}

export interface KeptReport {
  kind: 'run' | 'experiment';
  id: string;
  reason: string;
}

export interface PurgeReport {
  dry_run: boolean;
  /** Deleted at or before this time (ms since the epoch). */
  cutoff: number;
  runs: PurgedRunReport[];
  experiments: PurgedExperimentReport[];
  /** Deleted long enough ago, but still needed. */
  kept: KeptReport[];
  /** Locations a gc that stopped part-way had removed the rows of; their files are deleted now. */
  resumed: string[];
  /** Totals of what is (or would be) deleted from the artifact store. */
  files: number;
  bytes: number;
}

/**
 * `cairn server gc`: permanently removes runs and experiments deleted at least `olderThanMs`
 * ago — their rows (params, metrics, tags, inputs; an experiment's runs, logged models, datasets
 * and tags too) and their artifacts — as `mlflow gc` does, and never anything live:
 *
 * - a run a registered model version names (its `run_id`), and an experiment holding one, stay;
 * - an artifact location is deleted only inside the artifact root, never the root itself, and
 *   never when it contains the artifacts of anything that stays (a run, experiment or logged
 *   model not being removed, or the files of any model version): then its owner stays too;
 * - each row is removed in a transaction that checks it is still deleted (a run restored since
 *   the plan stays), before its files go, with the files' locations recorded for a gc that dies
 *   part-way to finish.
 */
export async function purgeDeleted(deps: PurgeDeps, options: PurgeOptions): Promise<PurgeReport> {
  const dryRun = options.dryRun ?? false;
  const cutoff = (options.now ?? Date.now()) - options.olderThanMs;
  const files = new ArtifactFiles(deps.artifacts);
  const report: PurgeReport = {
    dry_run: dryRun,
    cutoff,
    runs: [],
    experiments: [],
    kept: [],
    resumed: [],
    files: 0,
    bytes: 0,
  };

  const resumed = await purgedArtifactLocations(deps.metadata);
  for (const uri of resumed) {
    report.resumed.push(uri);
    if (dryRun) continue;
    const path = deps.root.pathOf(uri);
    if (path && path.length > 0) await files.remove(path);
    await artifactsDeleted(deps.metadata, uri);
  }

  const candidates = await deletedBefore(deps.metadata, cutoff);
  const used = await modelVersionReferences(deps);
  const leaving = {
    runIds: new Set(candidates.runs.map((r) => r.run_id)),
    experimentIds: new Set(candidates.experiments.map((e) => e.experiment_id)),
  };
  const keptPaths = [...(await keptArtifactLocations(deps.metadata, leaving)), ...used.locations]
    .map((uri) => safePath(deps.root, uri))
    .filter((p): p is string[] => p !== undefined);

  /** Why the locations cannot be deleted, or undefined when they can. */
  const blocked = (uris: readonly string[]): string | undefined => {
    for (const uri of uris) {
      const path = safePath(deps.root, uri);
      if (path === undefined) continue;
      if (path.length === 0) return `its artifact location ${uri} is the whole artifact root`;
      const inside = keptPaths.find((k) => startsWith(k, path));
      if (inside) return `its artifact location ${uri} holds artifacts still in use (${inside.join('/')})`;
    }
    return undefined;
  };
  const measure = async (uris: readonly string[]): Promise<PurgedArtifacts[]> => {
    const out: PurgedArtifacts[] = [];
    for (const uri of uris) {
      const path = safePath(deps.root, uri);
      const size = path ? await sizeOf(deps.artifacts, path) : { files: 0, bytes: 0 };
      out.push({ uri, in_store: path !== undefined, ...size });
    }
    return out;
  };
  const removeFiles = async (artifacts: PurgedArtifacts[]) => {
    for (const a of artifacts) {
      report.files += a.files;
      report.bytes += a.bytes;
      if (dryRun) continue;
      const path = safePath(deps.root, a.uri);
      if (path && path.length > 0) await files.remove(path);
      await artifactsDeleted(deps.metadata, a.uri);
    }
  };

  const total = candidates.experiments.length + candidates.runs.length;
  let done = 0;
  const step = () =>
    options.onProgress?.({ phase: dryRun ? 'checking' : 'removing', done: ++done, total, unit: 'objects' });

  // Runs that stay because a version needs them: nothing that contains them may go.
  for (const run of candidates.runs)
    if (used.runIds.has(run.run_id)) keptPaths.push(...pathsOf(deps.root, [run.artifact_uri]));

  for (const experiment of candidates.experiments) {
    step();
    const inUse = experiment.runs.find((r) => used.runIds.has(r.run_id));
    const locations = experimentLocations(experiment, deps.root);
    const why = inUse
      ? `its run ${inUse.run_id} is the run of a registered model version`
      : blocked(locations);
    if (why) {
      report.kept.push({ kind: 'experiment', id: experiment.experiment_id, reason: why });
      // Its runs stay with it; nothing inside it may go either.
      for (const r of experiment.runs) keptPaths.push(...pathsOf(deps.root, [r.artifact_uri]));
      keptPaths.push(...pathsOf(deps.root, [experiment.artifact_location]));
      continue;
    }
    const artifacts = await measure(locations);
    if (!dryRun && !(await purgeExperiment(deps.metadata, experiment.experiment_id, cutoff, locations)))
      continue;
    await removeFiles(artifacts);
    report.experiments.push({
      experiment_id: experiment.experiment_id,
      name: experiment.name,
      deleted_time: experiment.deleted_time,
      runs: experiment.runs.length,
      logged_models: experiment.logged_models.length,
      artifacts,
    });
  }

  for (const run of candidates.runs) {
    step();
    const why = used.runIds.has(run.run_id)
      ? 'it is the run of a registered model version'
      : blocked([run.artifact_uri]);
    if (why) {
      report.kept.push({ kind: 'run', id: run.run_id, reason: why });
      continue;
    }
    const artifacts = await measure([run.artifact_uri]);
    if (!dryRun && !(await purgeRun(deps.metadata, run.run_id, cutoff, [run.artifact_uri]))) continue;
    await removeFiles(artifacts);
    report.runs.push(runReport(run, artifacts));
  }
  return report;
}

function runReport(run: DeletedRun, artifacts: PurgedArtifacts[]): PurgedRunReport {
  return { run_id: run.run_id, experiment_id: run.experiment_id, deleted_time: run.deleted_time, artifacts };
}

/**
 * The locations to delete for an experiment: its own, and those of its runs and logged models
 * that are not inside it (a run recorded elsewhere in the root).
 */
function experimentLocations(experiment: DeletedExperiment, root: ArtifactRoot): string[] {
  const own = safePath(root, experiment.artifact_location);
  const out = [experiment.artifact_location];
  for (const uri of [
    ...experiment.runs.map((r) => r.artifact_uri),
    ...experiment.logged_models.map((m) => m.artifact_location),
  ]) {
    const path = safePath(root, uri);
    if (own && path && startsWith(path, own)) continue;
    if (!out.includes(uri)) out.push(uri);
  }
  return out;
}

/** What registered model versions still need: their runs, and where their files are. */
async function modelVersionReferences(
  deps: PurgeDeps,
): Promise<{ runIds: Set<string>; locations: string[] }> {
  const runIds = new Set<string>();
  const locations: string[] = [];
  let token: string | undefined;
  do {
    const page = await deps.registry.searchModelVersions({
      max_results: 10_000,
      ...(token ? { page_token: token } : {}),
    });
    for (const v of page.items) {
      if (v.run_id) runIds.add(v.run_id);
      const uri = await artifactUriOf(deps, v.source).catch(() => undefined);
      locations.push(uri ?? v.source);
    }
    token = page.next_page_token;
  } while (token);
  return { runIds, locations };
}

/** The artifact path of a URI inside the root, or undefined (outside, or not a path gc trusts). */
function safePath(root: ArtifactRoot, uri: string): string[] | undefined {
  try {
    return root.pathOf(uri);
  } catch {
    return undefined;
  }
}

function pathsOf(root: ArtifactRoot, uris: readonly string[]): string[][] {
  return uris.map((u) => safePath(root, u)).filter((p): p is string[] => p !== undefined);
}

/** True when `path` is `prefix` or lies below it. */
function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => path[i] === s);
}

async function sizeOf(blobs: BlobStore, path: string[]): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for await (const blob of blobs.list(artifactPrefix(path))) {
    files++;
    bytes += blob.size;
  }
  return { files, bytes };
}
