import { errors } from '../../kernel/errors.ts';
import {
  type Dataset,
  type DatasetInput,
  type Experiment,
  LIFECYCLE_STAGES,
  type LifecycleStage,
  type Metric,
  type Param,
  RUN_STATUSES,
  type Run,
  type RunInfo,
  type RunStatus,
  type Tag,
  VIEW_TYPES,
  type ViewType,
} from '../tracking-types.ts';

/**
 * MLflow's REST JSON for the tracking entities, both ways: what `mlflow server` emits (protobuf's
 * JSON mapping with int64 fields as numbers, unset and empty repeated fields left out, doubles
 * that are not finite as the strings "NaN", "Infinity" and "-Infinity") and what it accepts.
 * Cairn's server writes with the `to*` functions; HttpTrackingStore reads with the `from*` ones.
 */
export type Json = Record<string, unknown>;

/** A double as protobuf's JSON mapping writes it. */
export function doubleToJson(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

/**
 * A double as protobuf's JSON mapping reads it: a number, or a string holding one (including
 * "NaN", "Infinity", "-Infinity"). Undefined when it is neither.
 */
export function doubleFromJson(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity' || v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity' || v === '-inf') return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) return undefined;
  return Number(v);
}

function withTags(json: Json, key: string, tags: readonly Tag[]): Json {
  if (tags.length > 0) json[key] = tags.map((t) => ({ key: t.key, value: t.value }));
  return json;
}

export function experimentToJson(e: Experiment): Json {
  const json: Json = {
    experiment_id: e.experiment_id,
    name: e.name,
    artifact_location: e.artifact_location,
    lifecycle_stage: e.lifecycle_stage,
    last_update_time: e.last_update_time,
    creation_time: e.creation_time,
  };
  withTags(json, 'tags', e.tags);
  // MLflow 3 servers name the workspace of every experiment; without workspaces it is "default".
  json.workspace = 'default';
  return json;
}

export function metricToJson(m: Metric): Json {
  return { key: m.key, value: doubleToJson(m.value), timestamp: m.timestamp, step: m.step };
}

export function runInfoToJson(info: RunInfo): Json {
  return {
    run_uuid: info.run_uuid,
    experiment_id: info.experiment_id,
    run_name: info.run_name,
    user_id: info.user_id,
    status: info.status,
    start_time: info.start_time,
    ...(info.end_time === undefined ? {} : { end_time: info.end_time }),
    artifact_uri: info.artifact_uri,
    lifecycle_stage: info.lifecycle_stage,
    run_id: info.run_id,
  };
}

function datasetToJson(d: Dataset): Json {
  return {
    name: d.name,
    digest: d.digest,
    source_type: d.source_type,
    source: d.source,
    ...(d.schema === undefined ? {} : { schema: d.schema }),
    ...(d.profile === undefined ? {} : { profile: d.profile }),
  };
}

/**
 * A run as MLflow's server writes it. `outputs` is there on reads (runs/get, runs/search) and
 * not in the answer to runs/create, as in MLflow 3; `modelInputs` (the logged models the run
 * used) only runs/get shows, as MLflow's server does.
 */
export function runToJson(
  run: Run,
  options: { outputs?: readonly { model_id: string; step: number }[]; modelInputs?: readonly string[] } = {},
): Json {
  const data: Json = {};
  if (run.data.metrics.length > 0) data.metrics = run.data.metrics.map(metricToJson);
  if (run.data.params.length > 0) data.params = run.data.params.map((p) => ({ key: p.key, value: p.value }));
  withTags(data, 'tags', run.data.tags);
  const inputs: Json = {};
  if (run.inputs.dataset_inputs.length > 0)
    inputs.dataset_inputs = run.inputs.dataset_inputs.map((i) => ({
      ...withTags({}, 'tags', i.tags),
      dataset: datasetToJson(i.dataset),
    }));
  if (options.modelInputs?.length)
    inputs.model_inputs = options.modelInputs.map((model_id) => ({ model_id }));
  const outputs = options.outputs?.length ? { model_outputs: options.outputs.map((o) => ({ ...o })) } : {};
  return { info: runInfoToJson(run.info), data, inputs, ...(options.outputs ? { outputs } : {}) };
}

// ---- reading ----

function str(json: Json, key: string): string {
  const v = json[key];
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

function int(json: Json, key: string): number {
  const v = json[key];
  return typeof v === 'number' ? v : Number(v ?? 0);
}

function list(json: Json, key: string): Json[] {
  const v = json[key];
  return Array.isArray(v) ? (v as Json[]) : [];
}

function obj(json: Json, key: string): Json {
  const v = json[key];
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

export function tagsFromJson(items: readonly Json[]): Tag[] {
  return items.map((t) => ({ key: str(t, 'key'), value: str(t, 'value') }));
}

function stage(json: Json): LifecycleStage {
  const v = str(json, 'lifecycle_stage');
  return (LIFECYCLE_STAGES as readonly string[]).includes(v) ? (v as LifecycleStage) : 'active';
}

export function experimentFromJson(json: Json): Experiment {
  return {
    experiment_id: str(json, 'experiment_id'),
    name: str(json, 'name'),
    artifact_location: str(json, 'artifact_location'),
    lifecycle_stage: stage(json),
    creation_time: int(json, 'creation_time'),
    last_update_time: int(json, 'last_update_time'),
    tags: tagsFromJson(list(json, 'tags')),
  };
}

export function metricFromJson(json: Json): Metric {
  return {
    key: str(json, 'key'),
    value: doubleFromJson(json.value) ?? Number.NaN,
    timestamp: int(json, 'timestamp'),
    step: int(json, 'step'),
  };
}

export function runInfoFromJson(json: Json): RunInfo {
  const id = str(json, 'run_id') || str(json, 'run_uuid');
  return {
    run_id: id,
    run_uuid: id,
    run_name: str(json, 'run_name'),
    experiment_id: str(json, 'experiment_id'),
    user_id: str(json, 'user_id'),
    status: runStatusFromJson(json.status) ?? 'RUNNING',
    start_time: int(json, 'start_time'),
    ...(json.end_time === undefined || json.end_time === null ? {} : { end_time: int(json, 'end_time') }),
    artifact_uri: str(json, 'artifact_uri'),
    lifecycle_stage: stage(json),
  };
}

function datasetFromJson(json: Json): Dataset {
  return {
    name: str(json, 'name'),
    digest: str(json, 'digest'),
    source_type: str(json, 'source_type'),
    source: str(json, 'source'),
    ...(typeof json.schema === 'string' ? { schema: json.schema } : {}),
    ...(typeof json.profile === 'string' ? { profile: json.profile } : {}),
  };
}

export function runFromJson(json: Json): Run {
  const data = obj(json, 'data');
  return {
    info: runInfoFromJson(obj(json, 'info')),
    data: {
      metrics: list(data, 'metrics').map(metricFromJson),
      params: list(data, 'params').map((p): Param => ({ key: str(p, 'key'), value: str(p, 'value') })),
      tags: tagsFromJson(list(data, 'tags')),
    },
    inputs: {
      dataset_inputs: list(obj(json, 'inputs'), 'dataset_inputs').map(
        (i): DatasetInput => ({
          tags: tagsFromJson(list(i, 'tags')),
          dataset: datasetFromJson(obj(i, 'dataset')),
        }),
      ),
    },
  };
}

// ---- enums: protobuf's JSON mapping accepts the name or the number ----

/** RunStatus by name or by its number in MLflow's proto (RUNNING = 1 … KILLED = 5). */
export function runStatusFromJson(value: unknown): RunStatus | undefined {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value)))
    return RUN_STATUSES[Number(value) - 1];
  return (RUN_STATUSES as readonly unknown[]).includes(value) ? (value as RunStatus) : undefined;
}

/** ViewType by name or number (ACTIVE_ONLY = 1, DELETED_ONLY = 2, ALL = 3); undefined when absent. */
export function viewTypeFromJson(value: unknown, field: string): ViewType | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const byNumber =
    typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value))
      ? VIEW_TYPES[Number(value) - 1]
      : undefined;
  const view =
    byNumber ?? ((VIEW_TYPES as readonly unknown[]).includes(value) ? (value as ViewType) : undefined);
  if (view === undefined)
    throw errors.invalid(
      `Invalid value ${JSON.stringify(value)} for parameter '${field}' supplied: use one of ${VIEW_TYPES.join(', ')}`,
    );
  return view;
}
