import { userInfo } from 'node:os';
import { basename } from 'node:path';
import { isCairnError } from '../kernel/errors.ts';
import { gitSync } from '../kernel/git.ts';
import type { TrackingStore } from '../tracking/tracking-store.ts';
import type { DatasetInput, Tag } from '../tracking/tracking-types.ts';
import { LIMITS } from '../tracking/tracking-validation.ts';

/** The experiment's id, creating it when it does not exist (another client may create it meanwhile). */
export async function experimentIdFor(store: TrackingStore, name: string): Promise<string> {
  const found = await store.getExperimentByName(name);
  if (found) {
    if (found.lifecycle_stage === 'deleted') await store.restoreExperiment(found.experiment_id);
    return found.experiment_id;
  }
  try {
    return await store.createExperiment(name);
  } catch (err) {
    if (isCairnError(err) && err.code === 'ALREADY_EXISTS') {
      const again = await store.getExperimentByName(name);
      if (again) return again.experiment_id;
    }
    throw err;
  }
}

export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** MLflow's source tags for a run started from this process: who, what script, which commit. */
export function sourceTags(cwd: string): Tag[] {
  const script = process.argv[1];
  const tags: Tag[] = [
    { key: 'mlflow.user', value: currentUser() },
    { key: 'mlflow.source.type', value: 'LOCAL' },
    { key: 'mlflow.source.name', value: script ? basename(script) : 'node' },
  ];
  const commit = gitSync(cwd, ['rev-parse', 'HEAD'])?.trim();
  if (commit) tags.push({ key: 'mlflow.source.git.commit', value: commit });
  return tags;
}

/** How the SDK records a param value: strings as they are, anything else as JSON. */
export function paramText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** Record entries as MLflow key/value pairs. */
export function entries(record: Readonly<Record<string, unknown>>): { key: string; value: string }[] {
  return Object.entries(record).map(([key, value]) => ({ key, value: paramText(value) }));
}

/** A dataset the run used, as MLflow's dataset input. */
export interface LogInputOptions {
  name: string;
  /** A content hash; a `sha256:` digest is shortened to MLflow's 36 characters. */
  digest: string;
  /** Where the data lives: a path, URI or table name. */
  source: string;
  /** Default `local`. */
  sourceType?: string;
  schema?: string;
  profile?: string;
  /** What the run used it for (`training`, `eval`): the `mlflow.data.context` input tag. */
  context?: string;
  tags?: Readonly<Record<string, string>>;
}

/** The dataset input MLflow records for `input`; a `sha256:` digest is cut to MLflow's 36 characters. */
export function datasetInput(input: LogInputOptions): DatasetInput {
  const digest = input.digest.startsWith('sha256:') ? input.digest.slice('sha256:'.length) : input.digest;
  const tags = entries(input.tags ?? {});
  if (input.context) tags.push({ key: 'mlflow.data.context', value: input.context });
  return {
    tags,
    dataset: {
      name: input.name,
      digest: digest.slice(0, LIMITS.datasetDigestLength),
      source_type: input.sourceType ?? 'local',
      source: input.source,
      ...(input.schema !== undefined ? { schema: input.schema } : {}),
      ...(input.profile !== undefined ? { profile: input.profile } : {}),
    },
  };
}
