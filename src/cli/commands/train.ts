import { mkdir } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { writeFileAtomic } from '../../kernel/atomic-file.ts';
import { errors } from '../../kernel/errors.ts';
import { MODEL_TASKS, type ModelTask } from '../../ml/package/package-types.ts';
import { parseParamArgs, TRAIN_MODELS, type TrainModel } from '../../ml/train/train-params.ts';
import { hashModelPackage, type PackageFiles } from '../../registry/lineage/package-hash.ts';
import { localArtifactLocator } from '../../registry/registration/local-artifact-locator.ts';
import { plural, table } from '../format.ts';
import type { CliSession } from '../session.ts';

interface TrainOpts {
  data: string;
  target: string;
  task: ModelTask;
  model?: TrainModel;
  param: string[];
  seed?: string;
  validFraction?: string;
  out: string;
  overwrite?: boolean;
  na: string[];
  metrics?: string;
  json?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `cairn train`: a model from a data file, written as a model package. */
export function registerTrain(program: Command, session: () => CliSession): void {
  program
    .command('train')
    .description('train a model on a CSV or Parquet file and write it as a model package (ONNX + MLmodel)')
    .requiredOption('--data <file>', 'training data: .csv, .tsv or .parquet, with a header')
    .requiredOption('--target <column>', 'the column to predict')
    .addOption(new Option('--task <task>', 'what to predict').choices(MODEL_TASKS).makeOptionMandatory())
    .addOption(
      new Option('--model <model>', 'logistic or gbdt (classification), linear or gbdt (regression)').choices(
        TRAIN_MODELS,
      ),
    )
    .option('--param <name=value>', 'a model parameter (repeatable), e.g. learning_rate=0.05', collect, [])
    .option('--seed <n>', 'seed of the validation split and of row subsampling (default 0)')
    .option(
      '--valid-fraction <f>',
      'share of rows held out for validation metrics and early stopping (default 0.2)',
    )
    .requiredOption('--out <dir>', 'the package directory to write')
    .option('--overwrite', 'replace a model package already at --out')
    .option(
      '--na <text>',
      'text that marks a missing value in CSV files (repeatable), e.g. ? or NA',
      collect,
      [],
    )
    .option('--metrics <file>', 'also write the metrics as JSON to this file (a pipeline stage metrics file)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: TrainOpts) => {
      const s = session();
      const seed = opts.seed === undefined ? undefined : wholeNumber(opts.seed, '--seed');
      const validFraction = opts.validFraction === undefined ? undefined : fraction(opts.validFraction);
      const params = parseParamArgs(opts.param);
      const { train } = await import('../../sdk/train.ts');
      const cwd = s.cwd;
      const progress = s.progress(opts.json ?? false);
      const result = await train({
        data: resolve(cwd, opts.data),
        dataName: opts.data,
        target: opts.target,
        task: opts.task,
        ...(opts.model ? { model: opts.model } : {}),
        params,
        ...(seed !== undefined ? { seed } : {}),
        ...(validFraction !== undefined ? { validFraction } : {}),
        out: resolve(cwd, opts.out),
        overwrite: opts.overwrite ?? false,
        naValues: opts.na,
        warn: (message) => s.warn(message),
        ...(progress ? { progress } : {}),
        env: s.io.env,
        cwd,
      });
      if (opts.metrics) {
        const path = resolve(cwd, opts.metrics);
        await mkdir(dirname(path), { recursive: true });
        await writeFileAtomic(path, `${JSON.stringify(result.cairn.metrics, null, 2)}\n`);
      }
      const hash = await hashModelPackage(localArtifactLocator(result.dir) as PackageFiles);
      const { cairn } = result;
      const summary = {
        dir: result.dir,
        package_hash: hash?.digest,
        task: cairn.task,
        model: cairn.model_kind,
        target: cairn.target.name,
        ...(cairn.classes ? { classes: cairn.classes } : {}),
        rows: { train: result.split.train.length, valid: result.split.valid.length },
        metrics: cairn.metrics,
        params: cairn.params,
        fit: result.fitted.info,
        warnings: result.warnings,
        ...(result.runId
          ? { run_id: result.runId, model_uri: `runs:/${result.runId}/${result.artifactPath}` }
          : {}),
      };
      if (opts.json) return s.json(summary);
      const where = relative(cwd, result.dir) || '.';
      const extra =
        result.fitted.info.trees !== undefined ? `, ${plural(result.fitted.info.trees, 'tree')}` : '';
      s.out(
        `trained ${cairn.model_kind} (${cairn.task}) on ${opts.data}: ${plural(summary.rows.train, 'training row')}, ${plural(summary.rows.valid, 'validation row')}${extra}`,
      );
      s.out(table(Object.entries(cairn.metrics).map(([k, v]) => [`  ${k}`, v.toFixed(4)])));
      s.out(`package  ${where}  ${hash?.digest ?? ''}`);
      if (summary.model_uri) s.out(`run      ${summary.run_id}  (logged as ${summary.model_uri})`);
    });
}

function wholeNumber(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw errors.invalid(`${flag} must be a whole number ≥ 0, got ${JSON.stringify(text)}`);
  return n;
}

function fraction(text: string): number {
  const n = Number(text);
  if (!(n >= 0 && n < 1))
    throw errors.invalid(`--valid-fraction must be a number in [0, 1), got ${JSON.stringify(text)}`, {
      hint: 'e.g. --valid-fraction 0.2; 0 trains on every row and reports training metrics',
    });
  return n;
}
