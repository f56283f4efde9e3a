import { randomUUID } from 'node:crypto';
import { errors } from '../../kernel/errors.ts';
import type { MetadataStore, SqlExecutor } from '../../store/metadata-store.ts';
import type { LoggedModelStore } from '../logged-model-store.ts';
import {
  type CreateLoggedModelOptions,
  LOGGED_MODEL_STATUSES,
  type LoggedModel,
  type LoggedModelMetric,
  type LoggedModelParam,
  type LoggedModelStatus,
  type ModelOutput,
  type Page,
  type SearchLoggedModelsOptions,
  type Tag,
} from '../logged-model-types.ts';
import { generateRunName } from '../run-names.ts';
import type { TrackingStore } from '../tracking-store.ts';
import { validateMetric, validateParam, validateTag } from '../tracking-validation.ts';
import {
  insertModelInputs,
  insertModelMetrics,
  selectModelInputs,
  selectModelMetrics,
} from './logged-model-metrics.ts';
import { LOGGED_MODEL_MIGRATIONS } from './logged-model-migrations.ts';
import { buildLoggedModelSearch } from './logged-model-search.ts';
import { decodePageToken, pageOf } from './page-token.ts';

const DEFAULT_MAX_RESULTS = 100;
const MAX_RESULTS = 10_000;
const BAD_NAME_CHARACTERS = ['/', ':', '.', '%', '"', "'"];
const MODEL_ID = /^m-[0-9a-f]{32}$/;

interface ModelRow extends Record<string, unknown> {
  model_id: string;
  experiment_id: string;
  name: string;
  artifact_location: string;
  creation_timestamp_ms: number | bigint;
  last_updated_timestamp_ms: number | bigint;
  status: LoggedModelStatus;
  model_type: string | null;
  source_run_id: string | null;
  status_message: string | null;
}

const COLUMNS = `m.model_id, m.experiment_id, m.name, m.artifact_location, m.creation_timestamp_ms,
  m.last_updated_timestamp_ms, m.status, m.model_type, m.source_run_id, m.status_message`;

const notFound = (modelId: string) =>
  errors.notFound(`Logged model with ID '${modelId}' not found.`, { details: { model_id: modelId } });

function validateName(name: string | undefined): void {
  if (name === undefined) return;
  if (name === '' || BAD_NAME_CHARACTERS.some((c) => name.includes(c)))
    throw errors.invalid(
      `Invalid model name (${JSON.stringify(name)}) provided. Model name must be a non-empty string ` +
        `and cannot contain the following characters: ${BAD_NAME_CHARACTERS.join(' ')}`,
    );
}

export function validateLoggedModelStatus(status: unknown): asserts status is LoggedModelStatus {
  if (!LOGGED_MODEL_STATUSES.includes(status as LoggedModelStatus))
    throw errors.invalid(
      `Invalid logged model status ${JSON.stringify(status)}: use one of ${LOGGED_MODEL_STATUSES.join(', ')}`,
    );
}

/** Where a logged model's files go, as MLflow's SQL store places them: beside the experiment's runs. */
export function loggedModelArtifactUri(experimentLocation: string, modelId: string): string {
  return `${experimentLocation.replace(/\/+$/, '')}/models/${modelId}/artifacts`;
}

/**
 * MLflow 3's logged models on the metadata store (SQLite or PostgreSQL), after MLflow's
 * SqlAlchemyStore. It owns the tables of logged-model-migrations.ts and applies them on first
 * use; experiments and runs are the TrackingStore's, asked through its interface.
 */
export class SqlLoggedModelStore implements LoggedModelStore {
  readonly #db: MetadataStore;
  readonly #tracking: TrackingStore;
  #ready: Promise<unknown> | undefined;

  constructor(metadata: MetadataStore, tracking: TrackingStore) {
    this.#db = metadata;
    this.#tracking = tracking;
  }

  async createLoggedModel(options: CreateLoggedModelOptions): Promise<LoggedModel> {
    validateName(options.name);
    const tags = dedupe(options.tags ?? []);
    for (const tag of tags) validateTag(tag);
    const params = dedupe(options.params ?? []);
    for (const param of params) validateParam(param);
    const experiment = await this.#tracking.getExperiment(options.experiment_id);
    if (experiment.lifecycle_stage !== 'active')
      throw errors.invalid(
        `The experiment ${experiment.experiment_id} must be in the 'active' state. Current state is ${experiment.lifecycle_stage}.`,
      );
    await this.#init();
    const modelId = `m-${randomUUID().replaceAll('-', '')}`;
    const now = Date.now();
    return this.#db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO tracking_logged_models (model_id, experiment_id, name, artifact_location,
           creation_timestamp_ms, last_updated_timestamp_ms, status, lifecycle_stage, model_type, source_run_id)
         VALUES (?, ?, ?, ?, ?, ?, 'LOGGED_MODEL_PENDING', 'active', ?, ?)`,
        [
          modelId,
          experiment.experiment_id,
          options.name ?? generateRunName(),
          loggedModelArtifactUri(experiment.artifact_location, modelId),
          now,
          now,
          options.model_type || null,
          options.source_run_id || null,
        ],
      );
      await tx.runMany(
        'INSERT INTO tracking_logged_model_tags (model_id, key, value) VALUES (?, ?, ?)',
        tags.map((t) => [modelId, t.key, t.value]),
      );
      await tx.runMany(
        'INSERT INTO tracking_logged_model_params (model_id, key, value) VALUES (?, ?, ?)',
        params.map((p) => [modelId, p.key, p.value]),
      );
      return this.#load(tx, modelId, false);
    });
  }

  async getLoggedModel(modelId: string, allowDeleted = false): Promise<LoggedModel> {
    await this.#init();
    return this.#db.transaction((tx) => this.#load(tx, modelId, allowDeleted));
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    validateLoggedModelStatus(status);
    await this.#init();
    return this.#db.transaction(async (tx) => {
      await this.#row(tx, modelId);
      await tx.run(
        'UPDATE tracking_logged_models SET status = ?, last_updated_timestamp_ms = ? WHERE model_id = ?',
        [status, Date.now(), modelId],
      );
      return this.#load(tx, modelId, false);
    });
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    await this.#init();
    await this.#db.transaction(async (tx) => {
      await this.#row(tx, modelId);
      await tx.run(
        `UPDATE tracking_logged_models SET lifecycle_stage = 'deleted', last_updated_timestamp_ms = ?
         WHERE model_id = ?`,
        [Date.now(), modelId],
      );
    });
  }

  async setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void> {
    const distinct = dedupe(tags);
    for (const tag of distinct) validateTag(tag);
    await this.#init();
    await this.#db.transaction(async (tx) => {
      await this.#row(tx, modelId);
      await tx.runMany(
        `INSERT INTO tracking_logged_model_tags (model_id, key, value) VALUES (?, ?, ?)
         ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value`,
        distinct.map((t) => [modelId, t.key, t.value]),
      );
    });
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    await this.#init();
    await this.#db.transaction(async (tx) => {
      await this.#row(tx, modelId);
      const { changes } = await tx.run(
        'DELETE FROM tracking_logged_model_tags WHERE model_id = ? AND key = ?',
        [modelId, key],
      );
      if (changes === 0)
        throw errors.notFound(`No tag with key ${JSON.stringify(key)} found for model with ID '${modelId}'.`);
    });
  }

  async logLoggedModelParams(modelId: string, params: LoggedModelParam[]): Promise<void> {
    const distinct = dedupe(params);
    for (const param of distinct) validateParam(param);
    await this.#init();
    await this.#db.transaction(async (tx) => {
      await this.#row(tx, modelId);
      for (const p of distinct) {
        const had = await tx.get<{ value: string }>(
          'SELECT value FROM tracking_logged_model_params WHERE model_id = ? AND key = ?',
          [modelId, p.key],
        );
        if (had && had.value !== p.value)
          throw errors.invalid(
            `Changing param values is not allowed. Param with key='${p.key}' was already logged with ` +
              `value='${had.value}' for logged model ID='${modelId}'. Attempted logging new value '${p.value}'.`,
          );
        if (!had)
          await tx.run('INSERT INTO tracking_logged_model_params (model_id, key, value) VALUES (?, ?, ?)', [
            modelId,
            p.key,
            p.value,
          ]);
      }
    });
  }

  async logLoggedModelMetrics(runId: string, metrics: Omit<LoggedModelMetric, 'run_id'>[]): Promise<void> {
    metrics.forEach((m, i) => {
      validateMetric(m, metrics.length === 1 ? '' : `metrics[${i}]`);
    });
    await this.#activeRun(runId);
    await this.#init();
    await this.#db.transaction(async (tx) => {
      const experimentOf = new Map<string, string>();
      for (const m of metrics)
        if (!experimentOf.has(m.model_id))
          experimentOf.set(m.model_id, (await this.#row(tx, m.model_id)).experiment_id);
      await insertModelMetrics(tx, runId, metrics, experimentOf);
    });
  }

  async logModelInputs(runId: string, modelIds: string[]): Promise<void> {
    for (const id of modelIds)
      if (typeof id !== 'string' || id === '') throw errors.invalid('Each model input needs a model_id');
    await this.#activeRun(runId);
    await this.#init();
    await this.#db.transaction((tx) => insertModelInputs(tx, runId, [...new Set(modelIds)]));
  }

  async runModelInputs(runId: string): Promise<string[]> {
    await this.#init();
    return selectModelInputs(this.#db, runId);
  }

  async searchLoggedModels(options: SearchLoggedModelsOptions): Promise<Page<LoggedModel>> {
    const maxResults = options.max_results || DEFAULT_MAX_RESULTS;
    if (!Number.isSafeInteger(maxResults) || maxResults < 1 || maxResults > MAX_RESULTS)
      throw errors.invalid(
        `Invalid value for max_results: it must be a positive integer no larger than ${MAX_RESULTS}, got ${maxResults}`,
      );
    const { joins, where, order } = buildLoggedModelSearch(options);
    const offset = decodePageToken(options.page_token);
    await this.#init();
    return this.#db.transaction(async (tx) => {
      const rows = await tx.all<ModelRow>(
        `SELECT ${COLUMNS} FROM tracking_logged_models m ${joins.map((j) => j.sql).join(' ')}
         WHERE ${where.sql} ORDER BY ${order} LIMIT ? OFFSET ?`,
        [...joins.flatMap((j) => j.params), ...where.params, maxResults + 1, offset],
      );
      const page = pageOf(rows, offset, maxResults);
      return { ...page, items: await this.#complete(tx, page.items) };
    });
  }

  async logOutputs(runId: string, outputs: ModelOutput[]): Promise<void> {
    for (const o of outputs)
      if (typeof o?.model_id !== 'string' || !Number.isSafeInteger(o.step))
        throw errors.invalid('Each model output needs a model_id and an integer step');
    await this.#activeRun(runId);
    await this.#init();
    await this.#db.transaction(async (tx) => {
      const last = await tx.get<{ n: number | bigint | null }>(
        'SELECT MAX(position) AS n FROM tracking_run_outputs WHERE run_uuid = ?',
        [runId],
      );
      let position = Number(last?.n ?? -1);
      for (const o of outputs) {
        await this.#row(tx, o.model_id);
        await tx.run(
          `INSERT INTO tracking_run_outputs (run_uuid, model_id, step, position) VALUES (?, ?, ?, ?)
           ON CONFLICT (run_uuid, model_id, step) DO NOTHING`,
          [runId, o.model_id, o.step, ++position],
        );
      }
    });
  }

  async runOutputs(runId: string): Promise<ModelOutput[]> {
    await this.#init();
    const rows = await this.#db.all<{ model_id: string; step: number | bigint }>(
      'SELECT model_id, step FROM tracking_run_outputs WHERE run_uuid = ? ORDER BY position',
      [runId],
    );
    return rows.map((r) => ({ model_id: r.model_id, step: Number(r.step) }));
  }

  async runOutputsMany(runIds: readonly string[]): Promise<Map<string, ModelOutput[]>> {
    await this.#init();
    const out = new Map<string, ModelOutput[]>();
    for (let i = 0; i < runIds.length; i += 500) {
      const ids = runIds.slice(i, i + 500);
      const rows = await this.#db.all<{ run_uuid: string; model_id: string; step: number | bigint }>(
        `SELECT run_uuid, model_id, step FROM tracking_run_outputs WHERE run_uuid IN (${ids.map(() => '?').join(', ')}) ORDER BY run_uuid, position`,
        ids,
      );
      for (const r of rows) {
        const list = out.get(r.run_uuid) ?? [];
        list.push({ model_id: r.model_id, step: Number(r.step) });
        out.set(r.run_uuid, list);
      }
    }
    return out;
  }

  /** NOT_FOUND for an unknown run, INVALID_ARGUMENT for a deleted one (as MLflow). */
  async #activeRun(runId: string): Promise<void> {
    const run = await this.#tracking.getRun(runId);
    if (run.info.lifecycle_stage !== 'active')
      throw errors.invalid(`The run ${runId} must be in the 'active' state. Current state is deleted.`);
  }

  async #row(tx: SqlExecutor, modelId: string, allowDeleted = false): Promise<ModelRow> {
    if (typeof modelId !== 'string' || !MODEL_ID.test(modelId)) throw notFound(String(modelId));
    const row = await tx.get<ModelRow & { lifecycle_stage: string }>(
      `SELECT ${COLUMNS}, m.lifecycle_stage FROM tracking_logged_models m WHERE m.model_id = ?`,
      [modelId],
    );
    if (!row || (!allowDeleted && row.lifecycle_stage !== 'active')) throw notFound(modelId);
    return row;
  }

  async #load(tx: SqlExecutor, modelId: string, allowDeleted: boolean): Promise<LoggedModel> {
    return (await this.#complete(tx, [await this.#row(tx, modelId, allowDeleted)]))[0] as LoggedModel;
  }

  /** Rows with their tags and params, two queries for the whole page. */
  async #complete(tx: SqlExecutor, rows: readonly ModelRow[]): Promise<LoggedModel[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.model_id);
    const marks = ids.map(() => '?').join(', ');
    const pairs = async (table: string) => {
      const byModel = new Map<string, { key: string; value: string }[]>();
      const all = await tx.all<{ model_id: string; key: string; value: string }>(
        `SELECT model_id, key, value FROM ${table} WHERE model_id IN (${marks}) ORDER BY model_id, key`,
        ids,
      );
      for (const r of all) {
        const list = byModel.get(r.model_id) ?? [];
        list.push({ key: r.key, value: r.value });
        byModel.set(r.model_id, list);
      }
      return byModel;
    };
    const tags = await pairs('tracking_logged_model_tags');
    const params = await pairs('tracking_logged_model_params');
    const metrics = await selectModelMetrics(tx, ids);
    return rows.map((r) => ({
      info: {
        model_id: r.model_id,
        experiment_id: r.experiment_id,
        name: r.name,
        creation_timestamp_ms: Number(r.creation_timestamp_ms),
        last_updated_timestamp_ms: Number(r.last_updated_timestamp_ms),
        artifact_uri: r.artifact_location,
        status: r.status,
        ...(r.model_type ? { model_type: r.model_type } : {}),
        ...(r.source_run_id ? { source_run_id: r.source_run_id } : {}),
        ...(r.status_message ? { status_message: r.status_message } : {}),
        tags: tags.get(r.model_id) ?? [],
      },
      data: { params: params.get(r.model_id) ?? [], metrics: metrics.get(r.model_id) ?? [] },
    }));
  }

  #init(): Promise<unknown> {
    this.#ready ??= this.#db.migrate(LOGGED_MODEL_MIGRATIONS).catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }
}

/** The last value given for a key wins. */
function dedupe<T extends { key: string; value: string }>(items: readonly T[]): T[] {
  return [...new Map(items.map((i) => [i.key, i])).values()];
}
