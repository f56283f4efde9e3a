import { errors } from '../../kernel/errors.ts';
import type { SqlExecutor } from '../../store/metadata-store.ts';
import type { Tag } from '../registry-types.ts';
import { LATEST_ALIAS } from '../registry-validation.ts';
import { PROMPT_TAG } from './registry-filter.ts';
import { VERSION_COLUMNS, type VersionRow } from './registry-rows.ts';

/** Finding a model or version by name inside a transaction, with MLflow's not-found wording. */

export const FROM_VERSIONS = 'FROM registry_versions v JOIN registry_models m ON m.id = v.model_id';

export const modelNotFound = (name: string) =>
  errors.notFound(`Registered Model with name=${name} not found`, { details: { name } });
export const versionNotFound = (name: string, version: number | string) =>
  errors.notFound(`Model Version (name=${name}, version=${version}) not found`, {
    details: { name, version: String(version) },
  });

export async function modelId(tx: SqlExecutor, name: string): Promise<number> {
  const row = await tx.get<{ id: number }>('SELECT id FROM registry_models WHERE name = ?', [name]);
  if (!row) throw modelNotFound(name);
  return row.id;
}

export async function versionRow(tx: SqlExecutor, name: string, version: number): Promise<VersionRow> {
  const row = await tx.get<VersionRow>(
    `SELECT ${VERSION_COLUMNS} ${FROM_VERSIONS} WHERE m.name = ? AND v.version = ?`,
    [name, version],
  );
  if (!row) throw versionNotFound(name, version);
  return row;
}

/** MLflow's wording, which tells a model from a prompt of the same name. */
export async function alreadyExists(tx: SqlExecutor, name: string, tags: Tag[]) {
  const existing = await tx.get<{ value: string }>(
    `SELECT t.value FROM registry_model_tags t JOIN registry_models m ON m.id = t.model_id
     WHERE m.name = ? AND t.key = ?`,
    [name, PROMPT_TAG],
  );
  const was = existing?.value.toLowerCase() === 'true' ? 'Prompt' : 'Registered Model';
  const isNew = tags.some((t) => t.key === PROMPT_TAG && t.value.toLowerCase() === 'true')
    ? 'Prompt'
    : 'Registered Model';
  const details = { details: { name } };
  if (was !== isNew)
    return errors.exists(
      `Tried to create a ${isNew.toLowerCase()} with name '${name}', but the name is already taken by a ` +
        `${was.toLowerCase()}. MLflow does not allow creating a model and a prompt with the same name.`,
      details,
    );
  return errors.exists(`${isNew} (name=${name}) already exists.`, details);
}

/** The version an alias names (`latest`: the highest version), with MLflow's errors. */
export async function aliasTarget(
  tx: SqlExecutor,
  modelId: number,
  name: string,
  alias: string,
): Promise<number> {
  const latest = alias.toLowerCase() === LATEST_ALIAS;
  const target = latest
    ? await tx.get<{ version: number | null }>(
        'SELECT MAX(version) AS version FROM registry_versions WHERE model_id = ?',
        [modelId],
      )
    : await tx.get<{ version: number }>(
        'SELECT version FROM registry_aliases WHERE model_id = ? AND alias = ?',
        [modelId, alias],
      );
  if (target?.version == null) {
    if (latest) throw errors.notFound(`Latest version not found for model ${name}.`, { details: { name } });
    // MLflow answers INVALID_PARAMETER_VALUE here, not RESOURCE_DOES_NOT_EXIST; clients may rely on it.
    throw errors.invalid(`Registered model alias ${alias} not found.`, { details: { name, alias } });
  }
  return Number(target.version);
}
