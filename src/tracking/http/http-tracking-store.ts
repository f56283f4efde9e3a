import { isCairnError } from '../../kernel/errors.ts';
import type { TrackingStore } from '../tracking-store.ts';
import type {
  CreateRunOptions,
  DatasetInput,
  Experiment,
  LogBatch,
  Metric,
  MetricSampleOptions,
  MetricWithRunId,
  Page,
  Run,
  RunInfo,
  SearchExperimentsOptions,
  SearchRunsOptions,
  Tag,
  UpdateRunOptions,
} from '../tracking-types.ts';
import { MlflowHttpClient, type MlflowHttpClientOptions } from './mlflow-http-client.ts';
import {
  doubleToJson,
  experimentFromJson,
  type Json,
  metricFromJson,
  runFromJson,
  runInfoFromJson,
} from './mlflow-wire.ts';

export type HttpTrackingStoreOptions = MlflowHttpClientOptions;

const API = '/api/2.0/mlflow';
/** MLflow serves some reads of its web UI only under the ajax-api prefix. */
const AJAX_API = '/ajax-api/2.0/mlflow';
/**
 * What MLflow's clients send when the caller gives no max_results: `mlflow server` reads an
 * absent max_results as 0 and refuses it. Cairn's server defaults to the same 1,000.
 */
const DEFAULT_MAX_RESULTS = 1000;

/** Drops undefined fields, so they are left out of the request as MLflow's clients do. */
function defined(json: Record<string, unknown>): Json {
  return Object.fromEntries(Object.entries(json).filter(([, v]) => v !== undefined));
}

function metricJson(m: Metric): Json {
  return { key: m.key, value: doubleToJson(m.value), timestamp: m.timestamp, step: m.step };
}

function page<T>(items: T[], token: unknown): Page<T> {
  return typeof token === 'string' && token !== '' ? { items, next_page_token: token } : { items };
}

/**
 * The tracking store of an MLflow-compatible server (`cairn server` or `mlflow server`), over
 * MLflow's REST API 2.0. It passes the same contract suite as the SQL store.
 *
 * @example
 * const store = new HttpTrackingStore({ uri: 'http://127.0.0.1:5000', token: process.env.MLFLOW_TRACKING_TOKEN });
 * const run = await store.createRun({ experiment_id: '0' });
 */
export class HttpTrackingStore implements TrackingStore {
  readonly #http: MlflowHttpClient;

  constructor(options: HttpTrackingStoreOptions | MlflowHttpClient) {
    this.#http = options instanceof MlflowHttpClient ? options : new MlflowHttpClient(options);
  }

  /** The server's base URL (no credentials). */
  get uri(): string {
    return this.#http.baseUrl;
  }

  async createExperiment(
    name: string,
    options: { artifact_location?: string; tags?: Tag[] } = {},
  ): Promise<string> {
    const res = await this.#http.post<{ experiment_id?: string }>(
      `${API}/experiments/create`,
      defined({ name, artifact_location: options.artifact_location || undefined, tags: options.tags }),
    );
    return String(res.experiment_id ?? '');
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const res = await this.#http.get(`${API}/experiments/get`, { experiment_id: experimentId });
    return experimentFromJson((res.experiment ?? {}) as Json);
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      const res = await this.#http.get(`${API}/experiments/get-by-name`, { experiment_name: name });
      return experimentFromJson((res.experiment ?? {}) as Json);
    } catch (err) {
      if (isCairnError(err) && err.details?.error_code === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw err;
    }
  }

  async searchExperiments(options: SearchExperimentsOptions = {}): Promise<Page<Experiment>> {
    const res = await this.#http.post(
      `${API}/experiments/search`,
      defined({ ...options, max_results: options.max_results ?? DEFAULT_MAX_RESULTS }),
      { idempotent: true },
    );
    return page(((res.experiments ?? []) as Json[]).map(experimentFromJson), res.next_page_token);
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    await this.#http.post(`${API}/experiments/update`, { experiment_id: experimentId, new_name: newName });
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    await this.#http.post(`${API}/experiments/delete`, { experiment_id: experimentId });
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.#http.post(`${API}/experiments/restore`, { experiment_id: experimentId });
  }

  async setExperimentTag(experimentId: string, tag: Tag): Promise<void> {
    await this.#http.post(`${API}/experiments/set-experiment-tag`, {
      experiment_id: experimentId,
      key: tag.key,
      value: tag.value,
    });
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    await this.#http.post(`${API}/experiments/delete-experiment-tag`, { experiment_id: experimentId, key });
  }

  async createRun(options: CreateRunOptions): Promise<Run> {
    const res = await this.#http.post(
      `${API}/runs/create`,
      defined({ ...options, start_time: options.start_time ?? Date.now() }),
    );
    return runFromJson((res.run ?? {}) as Json);
  }

  async getRun(runId: string): Promise<Run> {
    const res = await this.#http.get(`${API}/runs/get`, { run_id: runId });
    return runFromJson((res.run ?? {}) as Json);
  }

  async updateRun(runId: string, update: UpdateRunOptions): Promise<RunInfo> {
    const res = await this.#http.post(
      `${API}/runs/update`,
      defined({ run_id: runId, run_uuid: runId, ...update }),
    );
    return runInfoFromJson((res.run_info ?? {}) as Json);
  }

  async deleteRun(runId: string): Promise<void> {
    await this.#http.post(`${API}/runs/delete`, { run_id: runId });
  }

  async restoreRun(runId: string): Promise<void> {
    await this.#http.post(`${API}/runs/restore`, { run_id: runId });
  }

  async searchRuns(options: SearchRunsOptions): Promise<Page<Run>> {
    const res = await this.#http.post(
      `${API}/runs/search`,
      defined({ ...options, max_results: options.max_results ?? DEFAULT_MAX_RESULTS }),
      { idempotent: true },
    );
    return page(((res.runs ?? []) as Json[]).map(runFromJson), res.next_page_token);
  }

  async logMetric(runId: string, metric: Metric): Promise<void> {
    await this.#http.post(`${API}/runs/log-metric`, {
      run_id: runId,
      run_uuid: runId,
      ...metricJson(metric),
    });
  }

  async logParam(runId: string, key: string, value: string): Promise<void> {
    await this.#http.post(`${API}/runs/log-parameter`, { run_id: runId, run_uuid: runId, key, value });
  }

  async setTag(runId: string, tag: Tag): Promise<void> {
    await this.#http.post(`${API}/runs/set-tag`, {
      run_id: runId,
      run_uuid: runId,
      key: tag.key,
      value: tag.value,
    });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.#http.post(`${API}/runs/delete-tag`, { run_id: runId, key });
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    await this.#http.post(
      `${API}/runs/log-batch`,
      defined({
        run_id: runId,
        metrics: batch.metrics?.map(metricJson),
        params: batch.params,
        tags: batch.tags,
      }),
    );
  }

  async logInputs(runId: string, inputs: DatasetInput[]): Promise<void> {
    await this.#http.post(`${API}/runs/log-inputs`, { run_id: runId, datasets: inputs as unknown as Json[] });
  }

  async getMetricHistory(
    runId: string,
    key: string,
    options: { max_results?: number; page_token?: string } = {},
  ): Promise<Page<Metric>> {
    const res = await this.#http.get(`${API}/metrics/get-history`, {
      run_id: runId,
      metric_key: key,
      max_results: options.max_results,
      page_token: options.page_token,
    });
    return page(((res.metrics ?? []) as Json[]).map(metricFromJson), res.next_page_token);
  }

  async getMetricHistoryBulk(runIds: string[], key: string, maxResults?: number): Promise<MetricWithRunId[]> {
    const res = await this.#http.get(`${AJAX_API}/metrics/get-history-bulk`, {
      run_id: runIds,
      metric_key: key,
      max_results: maxResults,
    });
    return withRunIds(res.metrics);
  }

  async getMetricHistoryBulkInterval(
    runIds: string[],
    key: string,
    options: MetricSampleOptions = {},
  ): Promise<MetricWithRunId[]> {
    const res = await this.#http.get(`${API}/metrics/get-history-bulk-interval`, {
      run_ids: runIds,
      metric_key: key,
      max_results: options.max_results,
      start_step: options.start_step,
      end_step: options.end_step,
    });
    return withRunIds(res.metrics);
  }
}

function withRunIds(metrics: unknown): MetricWithRunId[] {
  return ((metrics ?? []) as Json[]).map((m) => ({ ...metricFromJson(m), run_id: String(m.run_id ?? '') }));
}
