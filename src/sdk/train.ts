import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gitSync } from '../kernel/git.ts';
import { type TrainModelOptions, type TrainModelResult, trainModel } from '../ml/train/train-model.ts';
import { Tracking } from './tracking.ts';

export interface TrainOptions extends Omit<TrainModelOptions, 'lineage'> {
  /**
   * A client whose active run receives the params, metrics and package. Default: inside a
   * `cairn run` stage (CAIRN_RUN_ID set), that stage's run; otherwise nothing is logged.
   */
  tracking?: Tracking;
  /** Environment to read CAIRN_RUN_ID, CAIRN_STAGE and the tracking settings from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where the git commit is read (default: process.cwd()). */
  cwd?: string;
}

export interface TrainResult extends TrainModelResult {
  /** The run the package was logged to, if any. */
  runId?: string;
  /** The package's path among the run's artifacts (`model`), when it was logged. */
  artifactPath?: string;
}

/** Where the package goes among the run's artifacts: `runs:/<run id>/model`. */
export const MODEL_ARTIFACT_PATH = 'model';

/**
 * Trains a model and writes its package (see trainModel), recording lineage — the run, the git
 * commit, the `cairn run` stage — in the package. Inside a `cairn run` stage, or given a
 * Tracking client with an active run, it also logs the params, the metrics (and the validation
 * loss per boosting iteration), the training data as a dataset input, and the package as the
 * run's `model` artifact, ready for `cairn models register runs:/<run id>/model`.
 *
 * @example
 * import { train } from 'cairn-mlops';
 * const { dir, cairn } = await train({ data: 'data/train.csv', target: 'income', task: 'classification', model: 'gbdt', out: 'models/income' });
 * console.log(dir, cairn.metrics.roc_auc);
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  let tracking = options.tracking;
  const joined = !tracking && Boolean(env.CAIRN_RUN_ID || env.MLFLOW_RUN_ID);
  if (joined) tracking = await Tracking.fromEnv({ env, cwd });
  try {
    const run = tracking?.activeRun();
    const commit = gitSync(cwd, ['rev-parse', 'HEAD'])?.trim();
    const { tracking: _t, env: _e, cwd: _c, ...rest } = options;
    const result: TrainResult = await trainModel({
      ...rest,
      lineage: {
        ...(run ? { run_id: run.run_id } : {}),
        ...(commit ? { git_commit: commit } : {}),
        ...(env.CAIRN_STAGE ? { stage: env.CAIRN_STAGE } : {}),
      },
    });
    if (tracking && run) {
      const { cairn } = result;
      await tracking.logParams({
        model: cairn.model_kind,
        task: cairn.task,
        target: cairn.target.name,
        ...cairn.params,
      });
      tracking.logMetrics(cairn.metrics);
      result.validationLoss.forEach((loss, step) => {
        tracking?.logMetric('valid_loss', loss, { step });
      });
      const dataset = cairn.lineage.datasets[0];
      if (dataset?.digest)
        await tracking.logInput({
          name: dataset.name,
          digest: dataset.digest,
          source: resolve(cwd, dataset.name),
          context: 'training',
          tags: { 'cairn.hash': dataset.digest },
        });
      // File by file: logArtifact of the directory would nest it as model/<directory name>.
      for (const file of (await readdir(result.dir)).sort())
        await tracking.logArtifact(join(result.dir, file), MODEL_ARTIFACT_PATH);
      result.artifactPath = MODEL_ARTIFACT_PATH;
      await tracking.flush();
      result.runId = run.run_id;
    }
    return result;
  } finally {
    if (joined) await tracking?.close();
  }
}
