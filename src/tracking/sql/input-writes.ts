import { randomUUID } from 'node:crypto';
import type { SqlExecutor } from '../../store/metadata-store.ts';
import type { DatasetInput } from '../tracking-types.ts';
import type { RunState } from './run-writes.ts';

const newId = () => randomUUID().replaceAll('-', '');

const INSERT_DATASET = `INSERT INTO tracking_datasets
  (dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source, dataset_schema, dataset_profile)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (experiment_id, name, digest) DO NOTHING`;

/**
 * MLflow's log_inputs: a dataset is stored once per experiment (by name and digest; the first
 * description logged wins), and linked to a run once; the tags of a link (such as
 * mlflow.data.context) are those given when it was first made.
 */
export async function writeInputs(
  tx: SqlExecutor,
  run: RunState,
  inputs: readonly DatasetInput[],
): Promise<void> {
  const unique = new Map<string, DatasetInput>();
  for (const input of inputs) {
    const key = JSON.stringify([input.dataset.name, input.dataset.digest]);
    if (!unique.has(key)) unique.set(key, input);
  }
  if (unique.size === 0) return;
  const wanted = [...unique.values()];
  await tx.runMany(
    INSERT_DATASET,
    wanted.map(({ dataset: d }) => [
      newId(),
      run.experiment_id,
      d.name,
      d.digest,
      d.source_type,
      d.source,
      d.schema ?? null,
      d.profile ?? null,
    ]),
  );
  const names = [...new Set(wanted.map((i) => i.dataset.name))];
  const datasets = await tx.all<{ dataset_uuid: string; name: string; digest: string }>(
    `SELECT dataset_uuid, name, digest FROM tracking_datasets
     WHERE experiment_id = ? AND name IN (${names.map(() => '?').join(', ')})`,
    [run.experiment_id, ...names],
  );
  const uuidOf = new Map(datasets.map((d) => [JSON.stringify([d.name, d.digest]), d.dataset_uuid]));
  const linked = await tx.all<{ dataset_uuid: string; position: number }>(
    'SELECT dataset_uuid, position FROM tracking_inputs WHERE run_uuid = ?',
    [run.run_uuid],
  );
  const already = new Set(linked.map((l) => l.dataset_uuid));
  let position = linked.reduce((max, l) => Math.max(max, l.position), -1);
  const links: [string, string, string, number][] = [];
  const tags: [string, string, string][] = [];
  for (const [key, input] of unique) {
    const datasetUuid = uuidOf.get(key) as string;
    if (already.has(datasetUuid)) continue;
    already.add(datasetUuid);
    const inputUuid = newId();
    links.push([inputUuid, run.run_uuid, datasetUuid, ++position]);
    const inputTags = new Map((input.tags ?? []).map((t) => [t.key, t.value]));
    for (const [k, v] of inputTags) tags.push([inputUuid, k, v]);
  }
  await tx.runMany(
    'INSERT INTO tracking_inputs (input_uuid, run_uuid, dataset_uuid, position) VALUES (?, ?, ?, ?)',
    links,
  );
  await tx.runMany('INSERT INTO tracking_input_tags (input_uuid, key, value) VALUES (?, ?, ?)', tags);
}
