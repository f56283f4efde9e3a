import type { Digest } from '../../kernel/hashing.ts';
import type { RunStatus } from '../../tracking/tracking-types.ts';
import { type SourceStores, unlessNotFound } from '../registration/source-location.ts';
import type { ModelVersionStage } from '../registry-types.ts';
import { type DatasetRef, LINEAGE_TAGS, type LockEntryRecord } from './lineage-tags.ts';
import type { PackageHash } from './package-hash.ts';

/**
 * A model version's lineage, link by link: version → run → datasets → commit → lock entry →
 * package hash. What the server recorded when the version was created (its `cairn.` tags) is
 * the record; the run and logged model are looked up now, to show whether they still exist.
 */
export interface ModelLineage {
  model_version: {
    name: string;
    version: string;
    source: string;
    download_uri: string;
    current_stage: ModelVersionStage;
    aliases: string[];
    creation_timestamp: number;
  };
  /** The MLflow 3 logged model the version was registered from. */
  logged_model: { model_id: string; name?: string; artifact_uri?: string; found: boolean } | null;
  run: {
    run_id: string;
    found: boolean;
    run_name?: string;
    experiment_id?: string;
    status?: RunStatus;
    artifact_uri?: string;
    lifecycle_stage?: string;
  } | null;
  datasets: DatasetRef[];
  git_commit: string | null;
  lock_entry: LockEntryRecord | null;
  package: {
    /** Recorded at creation; null when the server could not read the package's files. */
    hash: Digest | null;
    /** With `verify`: whether the files hash to the recorded value now (null: not checked or unreadable). */
    verified: boolean | null;
    files?: number;
    size?: number;
  };
}

export interface LineageOptions {
  /** Hash the package's files again and compare with the recorded hash. */
  verify?: boolean;
}

function parseJson<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** Reads the lineage of `name`/`version`; `packageHashOf` re-hashes a source for `verify`. */
export async function readModelLineage(
  stores: SourceStores & { packageHashOf(source: string): Promise<PackageHash | undefined> },
  name: string,
  version: string,
  options: LineageOptions = {},
): Promise<ModelLineage> {
  const mv = await stores.registry.getModelVersion(name, version);
  const tag = (key: string) => mv.tags.find((t) => t.key === key)?.value;
  const downloadUri = await stores.registry.getModelVersionDownloadUri(name, version);
  const runId = tag(LINEAGE_TAGS.runId) ?? mv.run_id;
  const modelId = tag(LINEAGE_TAGS.modelId);
  const run = runId ? await unlessNotFound(stores.tracking.getRun(runId)) : undefined;
  const logged = modelId
    ? await unlessNotFound(stores.loggedModels.getLoggedModel(modelId, true))
    : undefined;
  const recorded = tag(LINEAGE_TAGS.packageHash) as Digest | undefined;
  let verified: boolean | null = null;
  let current: PackageHash | undefined;
  if (options.verify) {
    current = await stores.packageHashOf(mv.source);
    verified = recorded === undefined || current === undefined ? null : current.digest === recorded;
  }
  return {
    model_version: {
      name: mv.name,
      version: mv.version,
      source: mv.source,
      download_uri: logged && downloadUri.startsWith('models:/') ? logged.info.artifact_uri : downloadUri,
      current_stage: mv.current_stage,
      aliases: mv.aliases,
      creation_timestamp: mv.creation_timestamp,
    },
    logged_model: modelId
      ? {
          model_id: modelId,
          found: logged !== undefined,
          ...(logged ? { name: logged.info.name, artifact_uri: logged.info.artifact_uri } : {}),
        }
      : null,
    run: runId
      ? {
          run_id: runId,
          found: run !== undefined,
          ...(run
            ? {
                run_name: run.info.run_name,
                experiment_id: run.info.experiment_id,
                status: run.info.status,
                artifact_uri: run.info.artifact_uri,
                lifecycle_stage: run.info.lifecycle_stage,
              }
            : {}),
        }
      : null,
    datasets: parseJson<DatasetRef[]>(tag(LINEAGE_TAGS.datasets)) ?? [],
    git_commit: tag(LINEAGE_TAGS.gitCommit) ?? null,
    lock_entry: parseJson<LockEntryRecord>(tag(LINEAGE_TAGS.lockEntry)) ?? null,
    package: {
      hash: recorded ?? null,
      verified,
      ...(current ? { files: current.files, size: current.size } : {}),
    },
  };
}
