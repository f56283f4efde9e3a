import type { ModelVersion, RegisteredModel } from '../../registry/registry-types.ts';
import { doubleToJson } from '../../tracking/http/mlflow-wire.ts';
import type { LoggedModel, LoggedModelMetric } from '../../tracking/logged-model-types.ts';

/**
 * Response bodies as MLflow's server writes them (protobuf's JSON): empty repeated fields and
 * unset optional fields are left out; a version's description and run_link are "" when unset.
 */
function withList<T>(key: string, list: readonly T[]): Record<string, readonly T[]> {
  return list.length > 0 ? { [key]: list } : {};
}

export function mlflowModelVersion(v: ModelVersion): Record<string, unknown> {
  return {
    name: v.name,
    version: v.version,
    creation_timestamp: v.creation_timestamp,
    last_updated_timestamp: v.last_updated_timestamp,
    ...(v.user_id ? { user_id: v.user_id } : {}),
    current_stage: v.current_stage,
    description: v.description ?? '',
    source: v.source,
    ...(v.run_id ? { run_id: v.run_id } : {}),
    status: v.status,
    ...(v.status_message ? { status_message: v.status_message } : {}),
    ...withList('tags', v.tags),
    run_link: v.run_link ?? '',
    ...withList('aliases', v.aliases),
  };
}

export function mlflowRegisteredModel(m: RegisteredModel): Record<string, unknown> {
  return {
    name: m.name,
    creation_timestamp: m.creation_timestamp,
    last_updated_timestamp: m.last_updated_timestamp,
    ...(m.description ? { description: m.description } : {}),
    ...withList('latest_versions', m.latest_versions.map(mlflowModelVersion)),
    ...withList('tags', m.tags),
    ...withList('aliases', m.aliases),
  };
}

export function mlflowLoggedModel(m: LoggedModel): Record<string, unknown> {
  const i = m.info;
  return {
    info: {
      model_id: i.model_id,
      experiment_id: i.experiment_id,
      name: i.name,
      creation_timestamp_ms: i.creation_timestamp_ms,
      last_updated_timestamp_ms: i.last_updated_timestamp_ms,
      artifact_uri: i.artifact_uri,
      status: i.status,
      model_type: i.model_type ?? '',
      ...(i.source_run_id ? { source_run_id: i.source_run_id } : {}),
      ...(i.status_message ? { status_message: i.status_message } : {}),
      ...withList('tags', i.tags),
    },
    data: { ...withList('params', m.data.params), ...withList('metrics', m.data.metrics.map(modelMetric)) },
  };
}

/** A logged model's metric value, with the fields of MLflow's Metric message in its order. */
function modelMetric(m: LoggedModelMetric): Record<string, unknown> {
  return {
    key: m.key,
    value: doubleToJson(m.value),
    timestamp: m.timestamp,
    step: m.step,
    ...(m.dataset_name ? { dataset_name: m.dataset_name } : {}),
    ...(m.dataset_digest ? { dataset_digest: m.dataset_digest } : {}),
    model_id: m.model_id,
    run_id: m.run_id,
  };
}
