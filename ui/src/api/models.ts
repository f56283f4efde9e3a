import { cairn, mlflow } from './http.ts';
import type { Tag } from './runs.ts';

export interface RegisteredModel {
  name: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  description?: string;
  latest_versions?: ModelVersion[];
  tags?: Tag[];
  aliases?: { alias: string; version: string }[];
}

export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  current_stage?: string;
  description?: string;
  source?: string;
  run_id?: string;
  status?: string;
  user_id?: string;
  tags?: Tag[];
  aliases?: string[];
}

export async function searchModels(nameContains: string): Promise<RegisteredModel[]> {
  const filter = nameContains ? `name ILIKE '%${nameContains.replaceAll("'", "\\'")}%'` : undefined;
  const body = (await mlflow('registered-models/search', {
    query: { max_results: 1000, order_by: ['name ASC'], ...(filter ? { filter } : {}) },
  })) as { registered_models?: RegisteredModel[] };
  return body.registered_models ?? [];
}

export async function getModel(name: string): Promise<RegisteredModel> {
  const body = (await mlflow('registered-models/get', { query: { name } })) as {
    registered_model: RegisteredModel;
  };
  return body.registered_model;
}

export async function modelVersions(name: string): Promise<ModelVersion[]> {
  const body = (await mlflow('model-versions/search', {
    query: {
      filter: `name = '${name.replaceAll("'", "\\'")}'`,
      max_results: 10_000,
      order_by: ['version_number DESC'],
    },
  })) as { model_versions?: ModelVersion[] };
  return body.model_versions ?? [];
}

export async function getVersion(name: string, version: string): Promise<ModelVersion> {
  const body = (await mlflow('model-versions/get', { query: { name, version } })) as {
    model_version: ModelVersion;
  };
  return body.model_version;
}

/** Points `alias` at `version` (promote, or roll back to an earlier version). */
export async function setAlias(name: string, alias: string, version: string): Promise<void> {
  await mlflow('registered-models/alias', { method: 'POST', body: { name, alias, version } });
}

export async function deleteAlias(name: string, alias: string): Promise<void> {
  await mlflow('registered-models/alias', { method: 'DELETE', body: { name, alias } });
}

/** GET /api/v1/models/{name}/versions/{version}/lineage. */
export interface ModelLineage {
  model_version: {
    name: string;
    version: string;
    source: string;
    download_uri: string;
    current_stage: string;
    aliases: string[];
    creation_timestamp: number;
  };
  logged_model: { model_id: string; name?: string; artifact_uri?: string; found: boolean } | null;
  run: { run_id: string; found: boolean; run_name?: string; experiment_id?: string; status?: string } | null;
  datasets: { name: string; digest: string }[];
  git_commit: string | null;
  lock_entry: {
    command?: string;
    params_overrides?: string;
    stages?: Record<string, { status?: string; duration_ms?: number }>;
    outputs?: Record<string, string>;
  } | null;
  package: { hash: string | null; verified: boolean | null; files?: number; size?: number };
}

export const versionLineage = (name: string, version: string, verify = false) =>
  cairn<ModelLineage>(`models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}/lineage`, {
    query: verify ? { verify: true } : {},
  });
