import type {
  CreateLoggedModelOptions,
  LoggedModel,
  LoggedModelMetric,
  LoggedModelParam,
  LoggedModelStatus,
  ModelOutput,
  Page,
  SearchLoggedModelsOptions,
  Tag,
} from './logged-model-types.ts';

/**
 * MLflow 3's logged models and the run outputs that name them, with the semantics of MLflow's
 * SQL tracking store. Errors are CairnErrors: NOT_FOUND for an unknown (or deleted) model, run
 * or experiment, INVALID_ARGUMENT for bad input, FAILED_PRECONDITION for a deleted experiment
 * or run.
 *
 * @example
 * const model = await store.createLoggedModel({ experiment_id: '1', name: 'model', source_run_id: runId });
 * // …upload files under model.info.artifact_uri…
 * await store.finalizeLoggedModel(model.info.model_id, 'LOGGED_MODEL_READY');
 */
export interface LoggedModelStore {
  createLoggedModel(options: CreateLoggedModelOptions): Promise<LoggedModel>;
  /** With `allowDeleted`, a deleted model is returned too. */
  getLoggedModel(modelId: string, allowDeleted?: boolean): Promise<LoggedModel>;
  finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel>;
  /** Marks the model deleted; it no longer appears in get or search. */
  deleteLoggedModel(modelId: string): Promise<void>;
  /** Sets (overwrites) tags; the last value given for a key wins. */
  setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void>;
  /** NOT_FOUND when the model has no such tag, as in MLflow. */
  deleteLoggedModelTag(modelId: string, key: string): Promise<void>;
  /** Params are write-once: the same value again is fine, another value is INVALID_ARGUMENT. */
  logLoggedModelParams(modelId: string, params: LoggedModelParam[]): Promise<void>;
  /**
   * Attaches metric values to the logged models they name, as logged from the (active) run
   * `runId` (`mlflow.log_metric(..., model_id=…)`). NOT_FOUND for an unknown model, and then
   * nothing is written; the same model, key, timestamp, step and run again is kept once.
   */
  logLoggedModelMetrics(runId: string, metrics: Omit<LoggedModelMetric, 'run_id'>[]): Promise<void>;
  searchLoggedModels(options: SearchLoggedModelsOptions): Promise<Page<LoggedModel>>;
  /** Records that the (active) run used these models as inputs, each once (MLflow does not check they exist). */
  logModelInputs(runId: string, modelIds: string[]): Promise<void>;
  /** The models a run used as inputs, in the order they were first recorded. */
  runModelInputs(runId: string): Promise<string[]>;
  /** Records that the (active) run produced these models. */
  logOutputs(runId: string, outputs: ModelOutput[]): Promise<void>;
  /** The models a run produced, in the order they were recorded. */
  runOutputs(runId: string): Promise<ModelOutput[]>;
  /** The model outputs of many runs in one query (for run search results). */
  runOutputsMany(runIds: readonly string[]): Promise<Map<string, ModelOutput[]>>;
}
