import { errors } from '../../kernel/errors.ts';
import type { MetadataStore, SqlExecutor } from '../../store/metadata-store.ts';
import type { TrackingStore } from '../tracking-store.ts';
import {
  type CreateRunOptions,
  type DatasetInput,
  type Experiment,
  type LifecycleStage,
  type LogBatch,
  type Metric,
  type MetricSampleOptions,
  type MetricWithRunId,
  type Page,
  RUN_STATUSES,
  type Run,
  type RunInfo,
  type SearchExperimentsOptions,
  type SearchRunsOptions,
  type Tag,
  type UpdateRunOptions,
  VIEW_TYPES,
  type ViewType,
} from '../tracking-types.ts';
import {
  validateBatch,
  validateDatasetInputs,
  validateExperimentName,
  validateExperimentTag,
  validateHistoryBulk,
  validateHistorySample,
  validateMaxResults,
  validateMetric,
  validateParam,
  validateTag,
} from '../tracking-validation.ts';
import {
  DEFAULT_EXPERIMENT_ID,
  DEFAULT_EXPERIMENT_NAME,
  type ExperimentRow,
  experimentRow,
  parseExperimentId,
  withTags,
} from './experiment-records.ts';
import { buildExperimentSearch, EXPERIMENT_COLUMNS } from './experiment-search.ts';
import {
  deleteExperimentTagIn,
  insertExperiment,
  renameExperimentIn,
  setExperimentStage,
  setExperimentTagIn,
} from './experiment-writes.ts';
import { writeInputs } from './input-writes.ts';
import { sampleMetricHistories, selectMetricHistories } from './metric-history.ts';
import { decodePageToken, pageOf } from './page-token.ts';
import { insertRun, newRun } from './run-creation.ts';
import { loadRuns, type MetricRow, RUN_COLUMNS, type RunRow, toMetric, toRunInfo } from './run-data.ts';
import { buildRunSearch } from './run-search.ts';
import {
  activeRun,
  RUN_NAME_TAG,
  type RunState,
  runNotFound,
  writeBatch,
  writeMetrics,
  writeParams,
  writeTags,
} from './run-writes.ts';
import { TRACKING_MIGRATIONS } from './tracking-migrations.ts';

export interface SqlTrackingStoreOptions {
  /** Where experiments keep artifacts unless given a location: `<root>/<experiment id>`. */
  defaultArtifactRoot: string;
}

function stagesOf(viewType: ViewType | undefined): LifecycleStage[] {
  const view = viewType ?? 'ACTIVE_ONLY';
  if (!VIEW_TYPES.includes(view))
    throw errors.invalid(`Invalid view type ${JSON.stringify(view)}: use one of ${VIEW_TYPES.join(', ')}`);
  return view === 'ALL' ? ['active', 'deleted'] : view === 'DELETED_ONLY' ? ['deleted'] : ['active'];
}

function checkTime(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0))
    throw errors.invalid(
      `Invalid value ${value} for parameter '${name}': expected milliseconds since the epoch`,
    );
}

/**
 * Experiment tracking with MLflow's semantics on the metadata store (SQLite or PostgreSQL).
 * It applies its own migrations and creates the Default experiment (id 0) on first use.
 */
export class SqlTrackingStore implements TrackingStore {
  readonly #db: MetadataStore;
  readonly #root: string;
  #ready: Promise<void> | undefined;

  constructor(metadata: MetadataStore, options: SqlTrackingStoreOptions) {
    this.#db = metadata;
    this.#root = options.defaultArtifactRoot.replace(/\/+$/, '');
  }

  async createExperiment(
    name: string,
    options: { artifact_location?: string; tags?: Tag[] } = {},
  ): Promise<string> {
    validateExperimentName(name);
    const artifactLocation = options.artifact_location || undefined;
    if (artifactLocation?.startsWith('runs:'))
      throw errors.invalid(`Artifact location cannot be a runs:/ URI. Given: '${artifactLocation}'`);
    const tags = [...new Map((options.tags ?? []).map((t) => [t.key, t])).values()];
    for (const tag of tags) validateExperimentTag(tag);
    await this.#init();
    return this.#db.transaction((tx) =>
      insertExperiment(tx, { name, artifactLocation, tags }, (id) => this.#location(id)),
    );
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    await this.#init();
    const [experiment] = await withTags(this.#db, [await experimentRow(this.#db, experimentId)]);
    return experiment as Experiment;
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    await this.#init();
    const row = await this.#db.get<ExperimentRow>(
      `SELECT ${EXPERIMENT_COLUMNS} FROM tracking_experiments e WHERE e.name = ?`,
      [name],
    );
    return row ? (await withTags(this.#db, [row]))[0] : undefined;
  }

  async searchExperiments(options: SearchExperimentsOptions = {}): Promise<Page<Experiment>> {
    const max = validateMaxResults(options.max_results);
    const offset = decodePageToken(options.page_token);
    const query = buildExperimentSearch({
      stages: stagesOf(options.view_type),
      filter: options.filter,
      orderBy: options.order_by,
      limit: max + 1,
      offset,
    });
    await this.#init();
    const page = pageOf(await this.#db.all<ExperimentRow>(query.sql, query.params), offset, max);
    return { ...page, items: await withTags(this.#db, page.items) };
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    validateExperimentName(newName);
    await this.#init();
    await this.#db.transaction((tx) => renameExperimentIn(tx, experimentId, newName));
  }

  /** Marks the experiment and its active runs deleted (MLflow's soft delete). */
  async deleteExperiment(experimentId: string): Promise<void> {
    await this.#setExperimentStage(experimentId, 'active', 'deleted');
  }

  /** Makes the experiment and all its runs active again. */
  async restoreExperiment(experimentId: string): Promise<void> {
    await this.#setExperimentStage(experimentId, 'deleted', 'active');
  }

  async setExperimentTag(experimentId: string, tag: Tag): Promise<void> {
    validateExperimentTag(tag);
    await this.#init();
    await this.#db.transaction((tx) => setExperimentTagIn(tx, experimentId, tag));
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    await this.#init();
    await this.#db.transaction((tx) => deleteExperimentTagIn(tx, experimentId, key));
  }

  async createRun(options: CreateRunOptions): Promise<Run> {
    const run = newRun(options);
    await this.#init();
    return this.#db.transaction((tx) => insertRun(tx, run));
  }

  /** A run, deleted or not (as in MLflow). */
  async getRun(runId: string): Promise<Run> {
    await this.#init();
    const [run] = await loadRuns(this.#db, [runId]);
    if (!run) throw runNotFound(runId);
    return run;
  }

  async updateRun(runId: string, update: UpdateRunOptions): Promise<RunInfo> {
    if (update.status !== undefined && !RUN_STATUSES.includes(update.status))
      throw errors.invalid(
        `Invalid run status ${JSON.stringify(update.status)}: use one of ${RUN_STATUSES.join(', ')}`,
      );
    checkTime('end_time', update.end_time);
    const runName = update.run_name || undefined;
    if (runName !== undefined) validateTag({ key: RUN_NAME_TAG, value: runName }, 'run_name');
    await this.#init();
    return this.#db.transaction(async (tx) => {
      const run = await activeRun(tx, runId);
      await tx.run(
        `UPDATE tracking_runs SET status = COALESCE(?, status), end_time = COALESCE(?, end_time)
         WHERE run_uuid = ?`,
        [update.status ?? null, update.end_time ?? null, runId],
      );
      if (runName !== undefined) await writeTags(tx, run, [{ key: RUN_NAME_TAG, value: runName }]);
      const row = await tx.get<RunRow>(`SELECT ${RUN_COLUMNS} FROM tracking_runs r WHERE r.run_uuid = ?`, [
        runId,
      ]);
      return toRunInfo(row as RunRow);
    });
  }

  async deleteRun(runId: string): Promise<void> {
    await this.#init();
    const { changes } = await this.#db.run(
      `UPDATE tracking_runs SET lifecycle_stage = 'deleted', deleted_time = COALESCE(deleted_time, ?)
       WHERE run_uuid = ?`,
      [Date.now(), runId],
    );
    if (changes === 0) throw runNotFound(runId);
  }

  async restoreRun(runId: string): Promise<void> {
    await this.#init();
    const { changes } = await this.#db.run(
      `UPDATE tracking_runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE run_uuid = ?`,
      [runId],
    );
    if (changes === 0) throw runNotFound(runId);
  }

  async searchRuns(options: SearchRunsOptions): Promise<Page<Run>> {
    const max = validateMaxResults(options.max_results);
    const offset = decodePageToken(options.page_token);
    const experimentIds = (options.experiment_ids ?? []).map((id) => {
      const numeric = parseExperimentId(id);
      if (numeric === undefined) throw errors.invalid(`Invalid experiment ID: '${id}'`);
      return numeric;
    });
    const query = buildRunSearch({
      experimentIds,
      stages: stagesOf(options.run_view_type),
      filter: options.filter,
      orderBy: options.order_by,
      limit: max + 1,
      offset,
    });
    if (experimentIds.length === 0) return { items: [] };
    await this.#init();
    const rows = await this.#db.all<{ run_uuid: string }>(query.sql, query.params);
    const page = pageOf(
      rows.map((r) => r.run_uuid),
      offset,
      max,
    );
    return { ...page, items: await loadRuns(this.#db, page.items) };
  }

  async logMetric(runId: string, metric: Metric): Promise<void> {
    validateMetric(metric);
    await this.#write(runId, (tx, run) => writeMetrics(tx, run, [metric]));
  }

  async logParam(runId: string, key: string, value: string): Promise<void> {
    validateParam({ key, value });
    await this.#write(runId, (tx, run) => writeParams(tx, run, [{ key, value }]));
  }

  async setTag(runId: string, tag: Tag): Promise<void> {
    validateTag(tag);
    await this.#write(runId, (tx, run) => writeTags(tx, run, [tag]));
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.#write(runId, async (tx) => {
      const { changes } = await tx.run('DELETE FROM tracking_tags WHERE run_uuid = ? AND key = ?', [
        runId,
        key,
      ]);
      if (changes === 0)
        throw errors.notFound(`No tag with name: ${key} in run with id ${runId}`, {
          details: { run_id: runId, key },
        });
    });
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    const valid = validateBatch(batch);
    await this.#init();
    await this.#db.transaction((tx) => writeBatch(tx, runId, valid));
  }

  async logInputs(runId: string, inputs: DatasetInput[]): Promise<void> {
    validateDatasetInputs(inputs);
    await this.#init();
    await this.#db.transaction(async (tx) => writeInputs(tx, await activeRun(tx, runId), inputs));
  }

  /** Every logged value of one metric, by step, then timestamp. */
  async getMetricHistory(
    runId: string,
    key: string,
    options: { max_results?: number; page_token?: string } = {},
  ): Promise<Page<Metric>> {
    // A metric history has no upper bound on its page size (MLflow's clients ask for 25,000).
    const max =
      options.max_results === undefined
        ? undefined
        : validateMaxResults(options.max_results, undefined, Number.MAX_SAFE_INTEGER - 1);
    const offset = decodePageToken(options.page_token);
    await this.#init();
    const select = `SELECT key, value, timestamp, step, is_nan FROM tracking_metrics
      WHERE run_uuid = ? AND key = ? ORDER BY step, timestamp, is_nan, value`;
    // Without max_results the whole history is one page (a token then only skips values).
    const rows =
      max === undefined
        ? (await this.#db.all<MetricRow>(select, [runId, key])).slice(offset)
        : await this.#db.all<MetricRow>(`${select} LIMIT ? OFFSET ?`, [runId, key, max + 1, offset]);
    if (rows.length === 0 && offset === 0) {
      const run = await this.#db.get('SELECT run_uuid FROM tracking_runs WHERE run_uuid = ?', [runId]);
      if (!run) throw runNotFound(runId);
    }
    const page = max === undefined ? { items: rows } : pageOf(rows, offset, max);
    return { ...page, items: page.items.map(toMetric) };
  }

  async getMetricHistoryBulk(runIds: string[], key: string, maxResults?: number): Promise<MetricWithRunId[]> {
    const limit = validateHistoryBulk(runIds, key, maxResults);
    await this.#init();
    return selectMetricHistories(this.#db, runIds, key, limit);
  }

  async getMetricHistoryBulkInterval(
    runIds: string[],
    key: string,
    options: MetricSampleOptions = {},
  ): Promise<MetricWithRunId[]> {
    const { perRun, steps } = validateHistorySample(runIds, key, options);
    await this.#init();
    return sampleMetricHistories(this.#db, runIds, key, perRun, steps);
  }

  /** One write to an active run, in a transaction. */
  async #write(runId: string, fn: (tx: SqlExecutor, run: RunState) => Promise<void>): Promise<void> {
    await this.#init();
    await this.#db.transaction(async (tx) => fn(tx, await activeRun(tx, runId)));
  }

  async #setExperimentStage(experimentId: string, from: LifecycleStage, to: LifecycleStage): Promise<void> {
    await this.#init();
    await this.#db.transaction((tx) => setExperimentStage(tx, experimentId, from, to));
  }

  #location(experimentId: number): string {
    return `${this.#root}/${experimentId}`;
  }

  /** Applies the tracking migrations and creates the Default experiment, once per store. */
  #init(): Promise<void> {
    this.#ready ??= (async () => {
      await this.#db.migrate(TRACKING_MIGRATIONS);
      const now = Date.now();
      await this.#db.run(
        `INSERT INTO tracking_experiments
           (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
         VALUES (?, ?, ?, 'active', ?, ?) ON CONFLICT DO NOTHING`,
        [Number(DEFAULT_EXPERIMENT_ID), DEFAULT_EXPERIMENT_NAME, this.#location(0), now, now],
      );
    })().catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }
}
