import { readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { basename } from 'node:path';
import { isCairnError } from '../../kernel/errors.ts';
import { gitAsync } from '../../kernel/git.ts';
import { yamlLib } from '../../kernel/yaml/yaml-lib.ts';
import { parseArtifactPath } from '../../tracking/artifacts/artifact-layout.ts';
import { localArtifactFiles } from '../../tracking/artifacts/local-artifacts.ts';
import type { TrackingStore } from '../../tracking/tracking-store.ts';
import type { DatasetInput, Metric, Param, RunStatus, Tag } from '../../tracking/tracking-types.ts';
import type { LockedPath } from '../pipeline-types.ts';
import { isRecord, showValue } from './param-values.ts';
import type { PipelineRunStatus, StageStateName } from './run-events.ts';

export interface RunRecorderOptions {
  /** The workspace root: the default experiment name, and where git is asked. */
  root: string;
  /** Experiment name; default: the workspace directory's name. Created when missing. */
  experiment?: string;
  /** The command line, recorded as `cairn.command`. */
  command: string;
  /** Cairn's version, recorded as `cairn.version`. */
  version: string;
  /** Told about recording problems that do not stop the run. */
  onWarning?: (message: string) => void;
}

/** What a run records about one stage once it has ended. */
export interface StageRecord {
  name: string;
  status: StageStateName;
  durationMs: number;
  /** Deps that are data (see isDataDep), logged as dataset inputs. */
  dataInputs: LockedPath[];
  /** Outputs of a stage that succeeded, logged as `cairn.output.<path>` tags. */
  outputs: LockedPath[];
  /** Absolute paths of the stage's metrics files that exist. */
  metricsFiles: { path: string; abs: string }[];
  /** The stage's log file, attached as the artifact `logs/<stage>.log`. */
  logFile?: string;
}

// MLflow's batch limits (tracking-validation.ts enforces them on the server side too).
const PARAMS_PER_BATCH = 100;
const TAGS_PER_BATCH = 100;
const METRICS_PER_BATCH = 1000;
const DATASETS_PER_BATCH = 1000;
const PARAM_VALUE_LIMIT = 6000;
const DATASET_DIGEST_LENGTH = 36;

/**
 * Records a `cairn run` as a tracked run: the one module that knows the tracking interface.
 * Writes are queued one after another so stages that end together do not interleave them.
 */
export class RunRecorder {
  readonly #store: TrackingStore;
  readonly #options: RunRecorderOptions;
  #runId: string | undefined;
  #artifactUri = '';
  #queue: Promise<void> = Promise.resolve();
  /** Stage records waiting for the write queue; the first one queued a write of them all. */
  #pending: StageRecord[] = [];

  /** `git status` of the workspace, started with the recorder so it runs while the pipeline loads. */
  readonly #gitStatus: Promise<string | undefined>;

  constructor(store: TrackingStore, options: RunRecorderOptions) {
    this.#store = store;
    this.#options = options;
    // One git process for the commit, the branch and whether tracked files changed.
    this.#gitStatus = gitAsync(options.root, [
      'status',
      '--porcelain=v2',
      '--branch',
      '--untracked-files=no',
    ]);
  }

  /** Creates the run (and the experiment if needed) and logs params and tags; returns the run id. */
  async start(
    params: ReadonlyMap<string, unknown>,
    overrides: Readonly<Record<string, unknown>>,
  ): Promise<string> {
    const experimentId = await this.#experimentId();
    const run = await this.#store.createRun({
      experiment_id: experimentId,
      user_id: currentUser(),
      start_time: Date.now(),
      tags: [],
    });
    this.#runId = run.info.run_id;
    this.#artifactUri = run.info.artifact_uri;
    const all = new Map(params);
    for (const [k, v] of Object.entries(overrides)) all.set(k, v);
    const logged: Param[] = [];
    for (const [key, value] of all) {
      const text = showValue(value);
      if (text.length > PARAM_VALUE_LIMIT)
        this.#warn(`param ${key} is longer than ${PARAM_VALUE_LIMIT} characters; not recorded`);
      else logged.push({ key: safeKey(key), value: text });
    }
    const tags = [...(await this.#sourceTags()), { key: 'mlflow.runName', value: run.info.run_name }];
    if (Object.keys(overrides).length > 0)
      tags.push({
        key: 'cairn.params.overrides',
        value: Object.entries(overrides)
          .map(([k, v]) => `${k}=${showValue(v)}`)
          .join(' '),
      });
    for (let i = 0; i < logged.length; i += PARAMS_PER_BATCH)
      await this.#store.logBatch(run.info.run_id, { params: logged.slice(i, i + PARAMS_PER_BATCH) });
    await this.#logTags(tags);
    return run.info.run_id;
  }

  /**
   * Records one stage's status, duration, outputs, metrics, data inputs and log. Stages that end
   * while earlier records are being written are written together, in one batch per kind: a run
   * where fifty stages are skipped at once costs a few transactions, not a hundred.
   */
  recordStage(record: StageRecord): Promise<void> {
    this.#pending.push(record);
    if (this.#pending.length > 1) return this.#queue;
    return this.#enqueue(() => this.#writeStages(this.#pending.splice(0)));
  }

  async #writeStages(records: readonly StageRecord[]): Promise<void> {
    const tags: Tag[] = [];
    const metrics: Metric[] = [];
    const inputs: DatasetInput[] = [];
    for (const record of records) {
      const prefix = `cairn.stage.${safeKey(record.name)}`;
      tags.push(
        { key: `${prefix}.status`, value: record.status },
        { key: `${prefix}.duration_ms`, value: String(Math.round(record.durationMs)) },
        ...record.outputs.map((o) => ({ key: safeKey(`cairn.output.${o.path}`), value: o.hash })),
      );
      for (const file of record.metricsFiles) metrics.push(...(await this.#readMetrics(file)));
      inputs.push(...record.dataInputs.map((d) => datasetInput(d, record.name)));
    }
    await this.#logTags(tags);
    for (let i = 0; i < metrics.length; i += METRICS_PER_BATCH)
      await this.#store.logBatch(this.#id(), { metrics: metrics.slice(i, i + METRICS_PER_BATCH) });
    for (let i = 0; i < inputs.length; i += DATASETS_PER_BATCH)
      await this.#store.logInputs(this.#id(), inputs.slice(i, i + DATASETS_PER_BATCH));
    for (const record of records)
      if (record.logFile) await this.#attach(record.logFile, `logs/${basename(record.logFile)}`);
  }

  /** Ends the run with its final status. */
  finish(status: PipelineRunStatus): Promise<void> {
    return this.#enqueue(async () => {
      await this.#store.updateRun(this.#id(), { status: status satisfies RunStatus, end_time: Date.now() });
    });
  }

  /** Resolves once every queued write has been attempted. */
  flush(): Promise<void> {
    return this.#queue;
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    this.#queue = this.#queue.then(task).catch((err: unknown) => {
      this.#warn(`could not record to the tracking store: ${(err as Error).message}`);
    });
    return this.#queue;
  }

  async #experimentId(): Promise<string> {
    const name = this.#options.experiment ?? basename(this.#options.root);
    const found = await this.#store.getExperimentByName(name);
    if (found) return found.experiment_id;
    try {
      return await this.#store.createExperiment(name);
    } catch (err) {
      // Another run created it meanwhile.
      if (isCairnError(err) && err.code === 'ALREADY_EXISTS') {
        const again = await this.#store.getExperimentByName(name);
        if (again) return again.experiment_id;
      }
      throw err;
    }
  }

  async #sourceTags(): Promise<Tag[]> {
    const tags: Tag[] = [
      { key: 'mlflow.user', value: currentUser() },
      { key: 'mlflow.source.name', value: 'cairn run' },
      { key: 'cairn.host', value: hostname() },
      { key: 'cairn.version', value: this.#options.version },
      { key: 'cairn.command', value: this.#options.command },
    ];
    const status = await this.#gitStatus;
    const header = (name: string) =>
      status
        ?.split('\n')
        .find((l) => l.startsWith(`# branch.${name} `))
        ?.slice(`# branch.${name} `.length);
    const commit = header('oid');
    if (status !== undefined && commit && commit !== '(initial)') {
      tags.push({ key: 'mlflow.source.git.commit', value: commit });
      const branch = header('head');
      if (branch && branch !== '(detached)') tags.push({ key: 'mlflow.source.git.branch', value: branch });
      const dirty = status.split('\n').some((l) => l !== '' && !l.startsWith('#'));
      tags.push({ key: 'cairn.git.dirty', value: String(dirty) });
    }
    return tags;
  }

  async #logTags(tags: readonly Tag[]): Promise<void> {
    for (let i = 0; i < tags.length; i += TAGS_PER_BATCH)
      await this.#store.logBatch(this.#id(), { tags: tags.slice(i, i + TAGS_PER_BATCH) });
  }

  async #readMetrics(file: { path: string; abs: string }): Promise<Metric[]> {
    let value: unknown;
    try {
      const text = await readFile(file.abs, 'utf8');
      value = file.path.endsWith('.json') ? JSON.parse(text) : yamlLib().parse(text);
    } catch (err) {
      this.#warn(`metrics file ${file.path} could not be read: ${(err as Error).message}`);
      return [];
    }
    const timestamp = Date.now();
    const out: Metric[] = [];
    const walk = (node: unknown, path: string) => {
      if (typeof node === 'number' && path !== '')
        out.push({ key: safeKey(path), value: node, timestamp, step: 0 });
      else if (isRecord(node))
        for (const [k, v] of Object.entries(node)) walk(v, path === '' ? k : `${path}.${k}`);
    };
    walk(value, '');
    return out;
  }

  /**
   * Copies a file into the run's artifacts when they live on this machine (a file: URI), laid out
   * as the server lays them out, so `cairn server` serves it under the same name.
   */
  async #attach(source: string, artifactPath: string): Promise<void> {
    const files = localArtifactFiles(this.#artifactUri);
    if (!files) {
      this.#warn(
        `cannot attach ${artifactPath}: artifact location ${this.#artifactUri} is not a local directory`,
      );
      return;
    }
    await files.copyIn(parseArtifactPath(artifactPath), source);
  }

  #id(): string {
    if (!this.#runId) throw new Error('RunRecorder.start must be called first');
    return this.#runId;
  }

  #warn(message: string): void {
    this.#options.onWarning?.(message);
  }
}

function datasetInput(dep: LockedPath, stage: string): DatasetInput {
  const hex = dep.hash.slice('sha256:'.length);
  return {
    tags: [
      { key: 'mlflow.data.context', value: stage },
      { key: 'cairn.hash', value: dep.hash },
    ],
    dataset: {
      name: dep.path,
      digest: hex.slice(0, DATASET_DIGEST_LENGTH),
      source_type: 'cairn',
      source: dep.path,
    },
  };
}

/** MLflow keys allow letters, digits and `_ . - : /` and spaces; anything else becomes `_`. */
export function safeKey(key: string): string {
  return key.replace(/[^/\p{L}\p{N}\p{M}_.\- :]/gu, '_').slice(0, 250);
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
