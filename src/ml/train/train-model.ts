import { resolve } from 'node:path';
import { errors } from '../../kernel/errors.ts';
import { sha256File } from '../../kernel/hashing.ts';
import type { ProgressFn } from '../../kernel/progress.ts';
import { encodeOnnxModel } from '../onnx/onnx-codec.ts';
import type {
  CairnSection,
  ClassLabel,
  ModelPackage,
  ModelTask,
  PackageLineage,
  SignatureInput,
} from '../package/package-types.ts';
import { writeModelPackage } from '../package/write-package.ts';
import { OnnxRuntime } from '../runtime/onnx-runtime.ts';
import { type Table, takeRows } from '../table/table.ts';
import type { FeatureSpec } from './features/feature-spec.ts';
import { fitFeatures } from './features/fit-features.ts';
import { type FittedModel, fitModel } from './fit-model.ts';
import { splitRows } from './split-rows.ts';
import { resolveParams, TRAIN_MODELS, type TrainModel } from './train-params.ts';
import { loadTrainingData, type TrainingData } from './training-data.ts';
import { trainingMetrics } from './training-metrics.ts';

export interface TrainModelOptions {
  /** A CSV, TSV or Parquet file with a header. */
  data: string;
  /** What to call the data in the package's lineage (default: `data` as given). */
  dataName?: string;
  target: string;
  task: ModelTask;
  /** Default: logistic for classification, linear (ridge) for regression. */
  model?: TrainModel;
  /** Model params by name (strings are parsed); unknown names are an error. */
  params?: Readonly<Record<string, unknown>>;
  /** Seeds the split and any sampling (default 0). */
  seed?: number;
  /** Share of rows held out for validation metrics and early stopping (default 0.2; 0 for none). */
  validFraction?: number;
  /** The package directory to write. */
  out: string;
  /** Replace a package already at `out`. */
  overwrite?: boolean;
  /** Text that marks a missing value in CSV files, besides the empty field. */
  naValues?: readonly string[];
  /** Where the package came from: the tracked run, commit and pipeline stage, when known. */
  lineage?: Omit<PackageLineage, 'datasets'>;
  /** Called with each warning (dropped columns and rows). */
  warn?: (message: string) => void;
  /** Reports boosting iterations (gbdt). */
  progress?: ProgressFn;
}

export interface TrainModelResult {
  /** Absolute path of the package written. */
  dir: string;
  cairn: CairnSection;
  warnings: string[];
  /** The fitted model, for checks against ONNX Runtime (tests). */
  fitted: FittedModel;
  /** Validation loss after each boosting iteration (gbdt with validation rows). */
  validationLoss: number[];
  /** The data as read, and the rows each part used. */
  data: TrainingData;
  split: { train: Int32Array; valid: Int32Array };
}

const EXAMPLE_ROWS = 5;

/**
 * Trains a model on a data file and writes it as a model package: reads and checks the data,
 * splits off validation rows (stratified for classification), learns preprocessing and the
 * model on the training rows, exports the ONNX graph, measures it through ONNX Runtime on the
 * validation rows, and writes the package atomically. Nothing is written when any step fails.
 *
 * @example
 * const { dir, cairn } = await trainModel({ data: 'data/train.csv', target: 'income', task: 'classification', model: 'gbdt', out: 'models/income' });
 */
export async function trainModel(options: TrainModelOptions): Promise<TrainModelResult> {
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    options.warn?.(message);
  };
  const model = options.model ?? (options.task === 'classification' ? 'logistic' : 'linear');
  if (!TRAIN_MODELS.includes(model))
    throw errors.invalid(`unknown model ${JSON.stringify(model)}`, {
      hint: `use one of ${TRAIN_MODELS.join(', ')}`,
    });
  const params = resolveParams(model, options.params ?? {});
  const seed = options.seed ?? 0;
  const validFraction = options.validFraction ?? 0.2;
  if (!Number.isInteger(seed) || seed < 0)
    throw errors.invalid(`--seed must be a whole number ≥ 0, got ${seed}`);
  if (!(validFraction >= 0 && validFraction < 1))
    throw errors.invalid(`--valid-fraction must be in [0, 1), got ${validFraction}`);

  const digest = sha256File(options.data).catch(() => undefined);
  const data = await loadTrainingData(options.data, options.target, options.task, {
    ...(options.naValues ? { naValues: options.naValues } : {}),
    warn,
  });
  const classes = orderClasses(data.classes, params.positive_class as string | undefined);
  const classIndex =
    classes && data.classIndex ? reindex(data.classIndex, data.classes as ClassLabel[], classes) : undefined;
  const split = splitRows(data.table.rows, validFraction, seed, classIndex);
  if (split.train.length === 0) throw errors.invalid(`${options.data} has too few rows to train on`);
  const specs = fitFeatures(data.table, data.features, data.sourceTypes, split.train, {
    maxCategories: params.max_categories as number,
  });
  for (const s of specs)
    if (s.kind === 'string' && s.dropped > 0)
      warn(
        `column ${s.name} has more than ${s.categories.length} categories: the rarest ${s.dropped} are treated as unseen`,
      );

  const fitted = await fitModel({
    model,
    table: data.table,
    specs,
    train: split.train,
    valid: split.valid,
    ...(classes ? { classes } : {}),
    ...(classIndex ? { classIndex } : {}),
    ...(data.values ? { values: data.values } : {}),
    params,
    seed,
    ...(options.progress ? { onIteration: iterationProgress(options.progress) } : {}),
  });
  const onnx = encodeOnnxModel(fitted.exported.model);
  const draft: CairnSection = {
    format_version: 1,
    task: options.task,
    model_kind: model,
    target: { name: options.target, type: data.targetType },
    ...(classes ? { classes } : {}),
    ...(classes?.length === 2 ? { positive_class: classes[1] as ClassLabel } : {}),
    inputs: signatureInputs(specs),
    outputs: fitted.exported.outputs,
    metrics: {},
    params: { ...params, seed, valid_fraction: validFraction },
    lineage: {
      ...options.lineage,
      datasets: [
        {
          name: options.dataName ?? options.data,
          digest: (await digest) ?? '',
          rows: data.table.rows,
          context: 'training',
        },
      ],
    },
    model_file: { digest: '', size: onnx.byteLength },
    created_at: '',
    cairn_version: '',
  };
  const measured = split.valid.length > 0 ? split.valid : split.train;
  draft.metrics = await measure(
    draft,
    onnx,
    data,
    takeRows(data.table, measured),
    measured,
    classIndex,
    split.valid.length === 0,
  );
  const { format_version: _v, model_file: _f, created_at: _c, cairn_version: _cv, ...content } = draft;
  const cairn = await writeModelPackage(
    options.out,
    { onnx, cairn: content, exampleRows: exampleRows(data.table, specs, split.train) },
    { overwrite: options.overwrite ?? false },
  );
  return {
    dir: resolve(options.out),
    cairn,
    warnings,
    fitted,
    validationLoss: fitted.validationLoss ?? [],
    data,
    split,
  };
}

function iterationProgress(progress: ProgressFn): (done: number, total: number) => void {
  return (done, total) => progress({ phase: 'training', done, total, unit: 'iterations' });
}

/** Classes in order, the positive class last (binary); undefined for regression. */
function orderClasses(
  classes: ClassLabel[] | undefined,
  positive: string | undefined,
): ClassLabel[] | undefined {
  if (!classes || positive === undefined) return classes;
  const found = classes.find((c) => String(c) === positive);
  if (found === undefined)
    throw errors.invalid(`param positive_class ${JSON.stringify(positive)} is not a class of the target`, {
      hint: `the classes are ${classes.map(String).join(', ')}`,
    });
  if (classes.length !== 2)
    throw errors.invalid('param positive_class applies to binary classification only');
  return [classes.find((c) => c !== found) as ClassLabel, found];
}

function reindex(index: Int32Array, from: ClassLabel[], to: ClassLabel[]): Int32Array {
  if (from === to) return index;
  const map = from.map((c) => to.indexOf(c));
  return Int32Array.from(index, (i) => map[i] as number);
}

function signatureInputs(specs: readonly FeatureSpec[]): SignatureInput[] {
  return specs.map((s) => ({
    name: s.name,
    type: s.kind === 'number' ? 'double' : 'string',
    nullable: s.missing > 0,
    ...(s.kind === 'string' ? { categories: s.categories } : {}),
    source_type: s.sourceType,
  }));
}

async function measure(
  cairn: CairnSection,
  onnx: Uint8Array,
  data: TrainingData,
  rows: Table,
  indices: Int32Array,
  classIndex: Int32Array | undefined,
  onTraining: boolean,
): Promise<Record<string, number>> {
  const pkg: ModelPackage = { dir: '(new package)', cairn, mlmodel: {}, onnx };
  const runtime = await OnnxRuntime.open(pkg, { warmup: false });
  try {
    const prediction = await runtime.predict(rows);
    const truth = classIndex
      ? { classes: Int32Array.from(indices, (i) => classIndex[i] as number) }
      : { values: Float64Array.from(indices, (i) => (data.values as Float64Array)[i] as number) };
    const metrics = trainingMetrics(prediction, truth);
    return onTraining
      ? Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`train_${k}`, v]))
      : metrics;
  } finally {
    await runtime.close();
  }
}

function exampleRows(
  table: Table,
  specs: readonly FeatureSpec[],
  rows: Int32Array,
): (number | string | null)[][] {
  const out: (number | string | null)[][] = [];
  for (let k = 0; k < Math.min(EXAMPLE_ROWS, rows.length); k++) {
    const i = rows[k] as number;
    out.push(
      specs.map((s) => {
        const c = table.columns.find((col) => col.name === s.name);
        return (c?.values[i] ?? null) as number | string | null;
      }),
    );
  }
  return out;
}
