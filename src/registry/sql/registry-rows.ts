import type { SqlExecutor, SqlValue } from '../../store/metadata-store.ts';
import type {
  ModelVersion,
  ModelVersionStage,
  ModelVersionStatus,
  RegisteredModel,
  Tag,
} from '../registry-types.ts';

/** Rows of the registry's tables and their assembly into MLflow's entities. */

export const MODEL_COLUMNS = 'm.id, m.name, m.creation_timestamp, m.last_updated_timestamp, m.description';

export const VERSION_COLUMNS =
  'v.model_id, m.name, v.version, v.creation_timestamp, v.last_updated_timestamp, v.user_id, ' +
  'v.current_stage, v.description, v.source, v.run_id, v.run_link, v.status, v.status_message';

export interface ModelRow {
  [column: string]: unknown;
  id: number;
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description: string | null;
}

export interface VersionRow {
  [column: string]: unknown;
  model_id: number;
  name: string;
  version: number;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id: string | null;
  current_stage: ModelVersionStage;
  description: string | null;
  source: string;
  run_id: string | null;
  run_link: string | null;
  status: ModelVersionStatus;
  status_message: string | null;
}

/** Ids per IN list: far below SQLite's and PostgreSQL's limits on parameters per statement. */
const CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const versionKey = (modelId: number, version: number) => `${modelId}:${version}`;

/** Fills tags, aliases and latest versions for model rows, keeping their order. */
export async function toModels(tx: SqlExecutor, rows: readonly ModelRow[]): Promise<RegisteredModel[]> {
  const tags = new Map<number, Tag[]>();
  const aliases = new Map<number, { alias: string; version: string }[]>();
  const latest = new Map<number, ModelVersion[]>();
  for (const ids of chunks(rows.map((r) => r.id))) {
    const list = ids.map(() => '?').join(', ');
    const tagRows = await tx.all<{ model_id: number; key: string; value: string }>(
      `SELECT model_id, key, value FROM registry_model_tags WHERE model_id IN (${list}) ORDER BY key`,
      ids,
    );
    for (const t of tagRows) push(tags, t.model_id, { key: t.key, value: t.value });
    const aliasRows = await tx.all<{ model_id: number; alias: string; version: number }>(
      `SELECT model_id, alias, version FROM registry_aliases WHERE model_id IN (${list}) ORDER BY alias`,
      ids,
    );
    for (const a of aliasRows) push(aliases, a.model_id, { alias: a.alias, version: String(a.version) });
    const latestRows = await tx.all<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM registry_versions v JOIN registry_models m ON m.id = v.model_id
       WHERE v.model_id IN (${list}) AND v.version = (SELECT MAX(w.version) FROM registry_versions w
         WHERE w.model_id = v.model_id AND w.current_stage = v.current_stage)
       ORDER BY v.version`,
      ids,
    );
    const versions = await toVersions(tx, latestRows);
    for (const [i, row] of latestRows.entries()) push(latest, row.model_id, versions[i] as ModelVersion);
  }
  return rows.map((row) => ({
    name: row.name,
    creation_timestamp: row.creation_timestamp,
    last_updated_timestamp: row.last_updated_timestamp,
    ...(row.description === null ? {} : { description: row.description }),
    latest_versions: latest.get(row.id) ?? [],
    tags: tags.get(row.id) ?? [],
    aliases: aliases.get(row.id) ?? [],
  }));
}

/** Fills tags and aliases for version rows, keeping their order. */
export async function toVersions(tx: SqlExecutor, rows: readonly VersionRow[]): Promise<ModelVersion[]> {
  const tags = new Map<string, Tag[]>();
  const aliases = new Map<string, string[]>();
  for (const part of chunks(rows)) {
    // Casts, because PostgreSQL would otherwise type the VALUES parameters as text.
    const pairs = part.map(() => '(CAST(? AS BIGINT), CAST(? AS BIGINT))').join(', ');
    const params: SqlValue[] = part.flatMap((r) => [r.model_id, r.version]);
    const tagRows = await tx.all<{ model_id: number; version: number; key: string; value: string }>(
      `SELECT model_id, version, key, value FROM registry_version_tags
       WHERE (model_id, version) IN (VALUES ${pairs}) ORDER BY key`,
      params,
    );
    for (const t of tagRows) push(tags, versionKey(t.model_id, t.version), { key: t.key, value: t.value });
    const aliasRows = await tx.all<{ model_id: number; version: number; alias: string }>(
      `SELECT model_id, version, alias FROM registry_aliases
       WHERE (model_id, version) IN (VALUES ${pairs}) ORDER BY alias`,
      params,
    );
    for (const a of aliasRows) push(aliases, versionKey(a.model_id, a.version), a.alias);
  }
  return rows.map((row) => {
    const key = versionKey(row.model_id, row.version);
    return {
      name: row.name,
      version: String(row.version),
      creation_timestamp: row.creation_timestamp,
      last_updated_timestamp: row.last_updated_timestamp,
      ...(row.user_id === null ? {} : { user_id: row.user_id }),
      current_stage: row.current_stage,
      ...(row.description === null ? {} : { description: row.description }),
      source: row.source,
      ...(row.run_id === null ? {} : { run_id: row.run_id }),
      ...(row.run_link === null ? {} : { run_link: row.run_link }),
      status: row.status,
      ...(row.status_message === null ? {} : { status_message: row.status_message }),
      tags: tags.get(key) ?? [],
      aliases: aliases.get(key) ?? [],
    };
  });
}
