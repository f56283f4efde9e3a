import { basename } from 'node:path';
import { errors } from '../kernel/errors.ts';
import { redact } from '../store/redact-uri.ts';
import type { TrackingStore } from '../tracking/tracking-store.ts';
import type { Metric, RunInfo, RunStatus } from '../tracking/tracking-types.ts';
import { LIMITS, validateMetric, validateParam, validateTag } from '../tracking/tracking-validation.ts';
import { artifactProxyFor, uploadArtifact } from './artifact-upload.ts';
import { DEFAULT_MAX_QUEUED_METRICS, type MetricDropEvent, MetricQueue } from './metric-queue.ts';
import { openTrackingTarget } from './open-store.ts';
import {
  currentUser,
  datasetInput,
  entries,
  experimentIdFor,
  type LogInputOptions,
  sourceTags,
} from './run-start.ts';
import { resolveTrackingTarget, type TrackingTarget } from './tracking-uri.ts';

export type { LogInputOptions } from './run-start.ts';

export interface ConnectOptions {
  /** `sqlite:///abs/path.db`, `postgresql://…` or `http(s)://host:port`; default: see {@link Tracking.connect}. */
  uri?: string;
  /** Bearer token for a server; default `CAIRN_TRACKING_TOKEN`, then `MLFLOW_TRACKING_TOKEN`. */
  token?: string;
  /** Where to look for a workspace (default: `process.cwd()`). */
  cwd?: string;
  /** Environment to read (default: `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** How long a logged metric point may wait before it is sent (default 500 ms). */
  flushIntervalMs?: number;
  /**
   * Most metric points kept waiting while the store cannot be reached (default 100,000, or
   * `CAIRN_METRIC_QUEUE_LIMIT`); beyond it the oldest are dropped, with a warning, and counted in
   * {@link Tracking.droppedMetrics}.
   */
  maxQueuedMetrics?: number;
}

/** What a flush reports. */
export interface FlushResult {
  /** Metric points dropped since the client was made, because the queue was full. */
  droppedMetrics: number;
}

export interface StartRunOptions {
  /** Experiment name, created if missing. Default: `MLFLOW_EXPERIMENT_NAME`, else the workspace's name, else `Default`. */
  experiment?: string;
  runName?: string;
  tags?: Readonly<Record<string, string>>;
}

export interface LogMetricOptions {
  /** Default 0. */
  step?: number;
  /** Milliseconds since the epoch; default: now. */
  timestamp?: number;
}

const RUN_NAME_TAG = 'mlflow.runName';

/** CAIRN_METRIC_QUEUE_LIMIT, else the default; a value that is not a positive whole number is refused. */
function queueLimitFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.CAIRN_METRIC_QUEUE_LIMIT;
  if (raw === undefined || raw.trim() === '') return DEFAULT_MAX_QUEUED_METRICS;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1)
    throw errors.invalid(`CAIRN_METRIC_QUEUE_LIMIT=${raw} is not a number of points`, {
      hint: 'give a whole number of at least 1, e.g. 100000',
    });
  return value;
}

/**
 * A client for experiment tracking, the same against a workspace's SQLite or PostgreSQL store
 * and against `cairn server` (or MLflow's). Params and tags are written at once; metric points
 * are queued and sent in batches of up to 1,000 by a short timer, when a full batch is waiting,
 * and on `flush()`, `endRun()`, `close()` and process exit (`beforeExit`). A hard kill (SIGKILL,
 * `process.exit()`) loses at most the points logged since the last flush. An error from a
 * background flush is thrown by the next call or by `flush()`.
 *
 * @example
 * import { Tracking } from 'cairn-mlops';
 * const tracking = await Tracking.fromEnv(); // joins `cairn run`'s run in a pipeline stage
 * await tracking.startRun({ experiment: 'churn' }); // or starts one when run on its own
 * await tracking.logParams({ lr: 0.01, model: 'gbdt' });
 * for (let epoch = 0; epoch < 10; epoch++) tracking.logMetric('loss', 1 / (epoch + 1), { step: epoch });
 * await tracking.endRun();
 */
export class Tracking {
  /** The store behind this client: use it for anything the SDK does not wrap (searchRuns, …). */
  readonly store: TrackingStore;
  /** The tracking URI in use (any password hidden). */
  readonly uri: string;
  readonly #target: TrackingTarget;
  readonly #close: () => Promise<void>;
  readonly #queue: MetricQueue;
  readonly #validKeys = new Set<string>();
  readonly #onBeforeExit = () => this.#exitFlush();
  #run: RunInfo | undefined;
  #joined = false;
  #exiting: Promise<void> | undefined;
  #exitFailed = false;
  #closed = false;
  readonly #env: NodeJS.ProcessEnv;

  private constructor(
    target: TrackingTarget,
    store: TrackingStore,
    close: () => Promise<void>,
    options: ConnectOptions,
  ) {
    this.#target = target;
    this.#env = options.env ?? process.env;
    this.uri = redact(target.uri);
    this.store = store;
    this.#close = close;
    this.#queue = new MetricQueue({
      write: (runId, metrics) => this.store.logBatch(runId, { metrics }),
      ...(options.flushIntervalMs !== undefined ? { intervalMs: options.flushIntervalMs } : {}),
      maxQueued: options.maxQueuedMetrics ?? DEFAULT_MAX_QUEUED_METRICS,
      onDrop: (event) => this.#warnDropped(event),
    });
    process.on('beforeExit', this.#onBeforeExit);
  }

  /**
   * Connects to the tracking store named by `uri`, else `CAIRN_TRACKING_URI` (set for pipeline
   * stages), else `MLFLOW_TRACKING_URI`, else the store of the workspace found from `cwd`.
   *
   * @example
   * const tracking = await Tracking.connect({ uri: 'http://mlflow.internal:5000', token });
   */
  static async connect(options: ConnectOptions = {}): Promise<Tracking> {
    const maxQueuedMetrics = options.maxQueuedMetrics ?? queueLimitFrom(options.env ?? process.env);
    const target = await resolveTrackingTarget(options);
    const opened = await openTrackingTarget(target);
    return new Tracking(target, opened.store, opened.close, { ...options, maxQueuedMetrics });
  }

  /**
   * Like {@link Tracking.connect}, and inside a `cairn run` stage (`CAIRN_RUN_ID` set, or
   * MLflow's `MLFLOW_RUN_ID`) joins that run: metrics and params go to the run the pipeline
   * created, `startRun()` returns it and `endRun()` only flushes (the pipeline ends it).
   *
   * @example
   * const tracking = await Tracking.fromEnv();
   * tracking.logMetric('auc', 0.91, { step: 3 }); // into the pipeline's run
   * await tracking.flush();
   */
  static async fromEnv(options: ConnectOptions = {}): Promise<Tracking> {
    const env = options.env ?? process.env;
    const tracking = await Tracking.connect(options);
    const runId = env.CAIRN_RUN_ID || env.MLFLOW_RUN_ID;
    if (runId) {
      try {
        await tracking.#join(runId, env.CAIRN_RUN_ID ? 'CAIRN_RUN_ID' : 'MLFLOW_RUN_ID');
      } catch (err) {
        await tracking.close().catch(() => undefined);
        throw err;
      }
    }
    return tracking;
  }

  /**
   * Starts a run and makes it the active one; a client that joined a pipeline's run returns
   * that run instead (with `tags` set on it).
   *
   * @example
   * const run = await tracking.startRun({ experiment: 'churn', runName: 'gbdt-depth-6', tags: { team: 'risk' } });
   */
  async startRun(options: StartRunOptions = {}): Promise<RunInfo> {
    this.#check();
    const tags = entries(options.tags ?? {});
    for (const t of tags) validateTag(t);
    if (this.#run && this.#joined) {
      if (tags.length > 0) await this.store.logBatch(this.#run.run_id, { tags });
      return this.#run;
    }
    if (this.#run)
      throw errors.precondition(`run ${this.#run.run_id} is already active`, {
        hint: 'call endRun() first, or use another Tracking client for a second run',
      });
    const experimentId = await experimentIdFor(this.store, this.#experimentName(options.experiment));
    const run = await this.store.createRun({
      experiment_id: experimentId,
      user_id: currentUser(),
      start_time: Date.now(),
      ...(options.runName ? { run_name: options.runName } : {}),
      tags: [...sourceTags(this.#target.workspaceRoot ?? process.cwd()), ...tags],
    });
    this.#run = run.info;
    return run.info;
  }

  /** The active run, or undefined. */
  activeRun(): RunInfo | undefined {
    return this.#run;
  }

  /**
   * Flushes the run's metrics and ends it with `status` (default FINISHED). A joined pipeline
   * run is only flushed: `cairn run` records its outcome.
   */
  async endRun(status: RunStatus = 'FINISHED'): Promise<void> {
    const run = this.#run;
    if (!run) {
      await this.flush();
      return;
    }
    let flushError: unknown;
    await this.flush().catch((err: unknown) => {
      flushError = err;
    });
    if (!this.#joined) await this.store.updateRun(run.run_id, { status, end_time: Date.now() });
    this.#run = undefined;
    this.#joined = false;
    if (flushError) throw flushError;
  }

  /** Logs one param (write-once: the same value again is fine, another value is an error). */
  async logParam(key: string, value: unknown): Promise<void> {
    await this.logParams({ [key]: value });
  }

  /** Logs params; values that are not strings are recorded as JSON (`0.01`, `[64,32]`). */
  async logParams(params: Readonly<Record<string, unknown>>): Promise<void> {
    const runId = this.#activeId();
    const list = entries(params);
    for (const p of list) validateParam(p);
    for (let i = 0; i < list.length; i += LIMITS.paramsPerBatch)
      await this.store.logBatch(runId, { params: list.slice(i, i + LIMITS.paramsPerBatch) });
  }

  /**
   * Queues one metric point; it is sent with the next batch. Throws at once on an invalid key or
   * value, and throws the error of a background flush that failed since the last call.
   *
   * @example
   * tracking.logMetric('val.loss', 0.42, { step: epoch });
   */
  logMetric(key: string, value: number, options: LogMetricOptions = {}): void {
    const runId = this.#activeId();
    this.#push(runId, key, value, options.step ?? 0, options.timestamp ?? Date.now());
  }

  /**
   * Queues several metrics at one step and timestamp.
   *
   * @example
   * tracking.logMetrics({ 'train.loss': 0.3, 'val.loss': 0.4 }, { step: epoch });
   */
  logMetrics(metrics: Readonly<Record<string, number>>, options: LogMetricOptions = {}): void {
    const runId = this.#activeId();
    const step = options.step ?? 0;
    const timestamp = options.timestamp ?? Date.now();
    for (const [key, value] of Object.entries(metrics)) this.#push(runId, key, value, step, timestamp);
  }

  async setTag(key: string, value: string): Promise<void> {
    await this.setTags({ [key]: value });
  }

  /** Sets tags (a tag overwrites its previous value; `mlflow.runName` renames the run). */
  async setTags(tags: Readonly<Record<string, string>>): Promise<void> {
    const runId = this.#activeId();
    const list = entries(tags);
    for (const t of list) validateTag(t);
    for (let i = 0; i < list.length; i += LIMITS.tagsPerBatch)
      await this.store.logBatch(runId, { tags: list.slice(i, i + LIMITS.tagsPerBatch) });
    const name = list.findLast((t) => t.key === RUN_NAME_TAG);
    if (name && this.#run) this.#run = { ...this.#run, run_name: name.value };
  }

  /**
   * Stores a local file or directory among the run's artifacts, under `artifactPath` (MLflow's
   * log_artifact). Local artifact roots get a copy; `mlflow-artifacts:` roots are uploaded through
   * the server. Resolves to the artifact's path inside the run.
   *
   * @example
   * await tracking.logArtifact('models/model.onnx', 'model'); // → 'model/model.onnx'
   */
  async logArtifact(localPath: string, artifactPath?: string): Promise<string> {
    this.#activeId();
    const run = this.#run as RunInfo;
    return uploadArtifact(run.artifact_uri, localPath, artifactPath, artifactProxyFor(this.#target));
  }

  /**
   * Records a dataset the run used (MLflow's dataset input).
   *
   * @example
   * await tracking.logInput({ name: 'train.csv', digest: 'sha256:5be0…', source: 'data/train.csv', context: 'training' });
   */
  async logInput(input: LogInputOptions): Promise<void> {
    const runId = this.#activeId();
    await this.store.logInputs(runId, [datasetInput(input)]);
  }

  /**
   * Sends every queued metric point; rejects with the error of any batch that failed. Resolves
   * to how many points were dropped so far because the queue was full.
   */
  async flush(): Promise<FlushResult> {
    await this.#queue.flush();
    return { droppedMetrics: this.#queue.dropped };
  }

  /** Metric points queued and not yet sent. */
  get pendingMetrics(): number {
    return this.#queue.size;
  }

  /** Metric points dropped since the client was made, because the queue was full (see maxQueuedMetrics). */
  get droppedMetrics(): number {
    return this.#queue.dropped;
  }

  /**
   * Flushes, ends a run this client started and did not end (FINISHED), and closes the store.
   * The client cannot be used afterwards.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.endRun();
    } finally {
      this.#closed = true;
      this.#queue.stop();
      process.off('beforeExit', this.#onBeforeExit);
      await this.#close();
    }
  }

  async #join(runId: string, source: string): Promise<void> {
    let run: Awaited<ReturnType<TrackingStore['getRun']>>;
    try {
      run = await this.store.getRun(runId);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code !== 'NOT_FOUND') throw err;
      throw errors.notFound(`run ${runId} (from ${source}) is not in the tracking store ${this.uri}`, {
        cause: err,
        hint: '`cairn run` could not record the run (see its warnings), or the variable names a run of another store',
      });
    }
    if (run.info.lifecycle_stage !== 'active')
      throw errors.precondition(`run ${runId} (from ${source}) is deleted`, {
        hint: 'restore it, or unset the variable to start a new run',
      });
    this.#run = run.info;
    this.#joined = true;
  }

  /** Node warnings (`CAIRN_METRICS_DROPPED`): printed on stderr, and seen by `process.on('warning')`. */
  #warnDropped(event: MetricDropEvent): void {
    const limit = event.limit.toLocaleString('en-US');
    const message =
      event.kind === 'started'
        ? `the queue of metric points waiting for ${this.uri} is full (${limit} points); the oldest are dropped until the store can be reached again (raise the limit with maxQueuedMetrics or CAIRN_METRIC_QUEUE_LIMIT)`
        : `${event.points.toLocaleString('en-US')} metric point(s) were dropped because ${this.uri} could not be reached and the queue was full (${limit} points)`;
    process.emitWarning(message, { type: 'CairnWarning', code: 'CAIRN_METRICS_DROPPED' });
  }

  #experimentName(given: string | undefined): string {
    if (given) return given;
    if (this.#env.MLFLOW_EXPERIMENT_NAME) return this.#env.MLFLOW_EXPERIMENT_NAME;
    return this.#target.workspaceRoot ? basename(this.#target.workspaceRoot) : 'Default';
  }

  #push(runId: string, key: string, value: number, step: number, timestamp: number): void {
    const metric: Metric = { key, value, step, timestamp };
    if (
      !this.#validKeys.has(key) ||
      typeof value !== 'number' ||
      !Number.isSafeInteger(step) ||
      !Number.isSafeInteger(timestamp) ||
      timestamp < 0
    ) {
      validateMetric(metric);
      this.#validKeys.add(key);
    }
    this.#queue.push(runId, metric);
  }

  /** Throws what a background flush left behind, then the run id, or why there is none. */
  #activeId(): string {
    this.#check();
    if (!this.#run)
      throw errors.precondition('no active run', {
        hint: 'call startRun() first (or Tracking.fromEnv() inside a `cairn run` stage)',
      });
    return this.#run.run_id;
  }

  #check(): void {
    if (this.#closed) throw errors.precondition('this Tracking client is closed');
    const pending = this.#queue.takeError();
    if (pending) throw pending;
  }

  /**
   * On `beforeExit`: flush what is left and end a run this client started; report failures on
   * stderr. A failed attempt is not repeated (a server that is down would keep the process alive).
   */
  #exitFlush(): void {
    if (this.#exiting || this.#closed || this.#exitFailed) return;
    const owned = this.#run !== undefined && !this.#joined;
    if (this.#queue.size === 0 && !this.#queue.busy && !owned) {
      const pending = this.#queue.takeError();
      if (pending) process.stderr.write(`cairn tracking: ${pending.message}\n`);
      return;
    }
    this.#exiting = (async () => {
      try {
        if (owned) await this.endRun(process.exitCode ? 'FAILED' : 'FINISHED');
        else await this.flush();
      } catch (err) {
        this.#exitFailed = true;
        this.#queue.stop();
        process.stderr.write(`cairn tracking: ${(err as Error).message}\n`);
        if (this.#queue.size > 0)
          process.stderr.write(`cairn tracking: ${this.#queue.size} metric point(s) were not written\n`);
      } finally {
        this.#exiting = undefined;
      }
    })();
  }
}
