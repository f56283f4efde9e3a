import { errors } from '../../kernel/errors.ts';
import type { Run, Tag } from '../../tracking/tracking-types.ts';

/**
 * The tags Cairn's server records on a model version when it is created, so that MLflow clients
 * can read a version's lineage too. Every key under `cairn.` on a version belongs to the server:
 * clients may neither set nor delete one.
 */
export const LINEAGE_TAGS = {
  runId: 'cairn.lineage.run_id',
  /** JSON: `[{ "name": …, "digest": … }]`, the run's dataset inputs (full hash when Cairn recorded one). */
  datasets: 'cairn.lineage.datasets',
  gitCommit: 'cairn.lineage.git_commit',
  /** JSON: what a `cairn run` recorded about its stages (see lineageTagsOf). */
  lockEntry: 'cairn.lineage.lock_entry',
  /** The logged model (MLflow 3) the version was registered from. */
  modelId: 'cairn.lineage.model_id',
  /** `sha256:…` of the model package's canonical manifest (see package-hash.ts). */
  packageHash: 'cairn.package_hash',
} as const;

export const SERVER_TAG_PREFIX = 'cairn.';

/** Input tag in which `cairn run` records a dataset's full hash (MLflow's digest holds 36 characters). */
const CAIRN_HASH_INPUT_TAG = 'cairn.hash';
const GIT_COMMIT_TAG = 'mlflow.source.git.commit';
const STAGE_TAG = /^cairn\.stage\.(.+)\.(status|duration_ms)$/;
const OUTPUT_TAG = 'cairn.output.';
/** Registry tag values hold at most 100,000 characters; lineage stays well inside. */
const MAX_JSON = 50_000;

export function isServerTag(key: string): boolean {
  return key.startsWith(SERVER_TAG_PREFIX);
}

/** Refuses a client's attempt to set or delete a server-owned version tag. */
export function assertClientTag(key: string, action: 'set' | 'delete'): void {
  if (isServerTag(key))
    throw errors.invalid(
      `Invalid value '${key}' for parameter 'key' supplied: model version tags starting with ` +
        `'${SERVER_TAG_PREFIX}' are recorded by the server and cannot be ${action === 'set' ? 'set' : 'deleted'} by a client.`,
      { details: { key } },
    );
}

export interface DatasetRef {
  name: string;
  digest: string;
}

/** What a `cairn run` recorded, as kept in `cairn.lineage.lock_entry`. */
export interface LockEntryRecord {
  command?: string;
  params_overrides?: string;
  stages: Record<string, { status?: string; duration_ms?: number }>;
  outputs: Record<string, string>;
}

/** The dataset inputs of a run, each once, with Cairn's full hash where the run recorded one. */
export function datasetsOf(run: Run): DatasetRef[] {
  const seen = new Map<string, DatasetRef>();
  for (const input of run.inputs.dataset_inputs) {
    const full = input.tags.find((t) => t.key === CAIRN_HASH_INPUT_TAG)?.value;
    const ref = { name: input.dataset.name, digest: full ?? input.dataset.digest };
    seen.set(`${ref.name}\u0000${ref.digest}`, ref);
  }
  return [...seen.values()];
}

/** The stages, outputs and command a pipeline run recorded; undefined for a run that is not one. */
export function lockEntryOf(run: Run): LockEntryRecord | undefined {
  const entry: LockEntryRecord = { stages: {}, outputs: {} };
  let found = false;
  for (const { key, value } of run.data.tags) {
    const stage = STAGE_TAG.exec(key);
    if (stage) {
      found = true;
      const name = stage[1] as string;
      const record = entry.stages[name] ?? {};
      entry.stages[name] = record;
      if (stage[2] === 'status') record.status = value;
      else record.duration_ms = Number(value);
    } else if (key.startsWith(OUTPUT_TAG)) {
      found = true;
      entry.outputs[key.slice(OUTPUT_TAG.length)] = value;
    } else if (key === 'cairn.command') entry.command = value;
    else if (key === 'cairn.params.overrides') entry.params_overrides = value;
  }
  return found || entry.command !== undefined ? entry : undefined;
}

function json(value: unknown): string | undefined {
  const text = JSON.stringify(value);
  return text.length <= MAX_JSON ? text : undefined;
}

/** The lineage tags of a version made from `run` (and from logged model `modelId`, if any). */
export function lineageTagsOf(run: Run, modelId?: string): Tag[] {
  const tags: Tag[] = [{ key: LINEAGE_TAGS.runId, value: run.info.run_id }];
  const datasets = json(datasetsOf(run));
  if (datasets !== undefined) tags.push({ key: LINEAGE_TAGS.datasets, value: datasets });
  const commit = run.data.tags.find((t) => t.key === GIT_COMMIT_TAG)?.value;
  if (commit) tags.push({ key: LINEAGE_TAGS.gitCommit, value: commit });
  const lock = lockEntryOf(run);
  const lockJson = lock && json(lock);
  if (lockJson !== undefined) tags.push({ key: LINEAGE_TAGS.lockEntry, value: lockJson });
  if (modelId) tags.push({ key: LINEAGE_TAGS.modelId, value: modelId });
  return tags;
}
