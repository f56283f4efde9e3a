import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { errors } from '../../kernel/errors.ts';
import type { ModelPackage, SignatureInput, SignatureOutput } from '../package/package-types.ts';
import { readModelPackage } from '../package/read-package.ts';
import { type Column, numberColumn, stringColumn, type Table } from '../table/table.ts';
import { feedValues } from './feeds.ts';
import { type Prediction, predictionOf } from './prediction.ts';

export interface RuntimeOptions {
  /** Threads one inference may use (default 1: serving runs many small requests side by side). */
  intraOpThreads?: number;
  /** Threads across independent graph branches (default 1). */
  interOpThreads?: number;
  /** Run one row through the model when opening, so the first real request is not slower (default true). */
  warmup?: boolean;
}

type Ort = typeof import('onnxruntime-node');

let ortModule: Promise<Ort> | undefined;
/** onnxruntime-node, loaded on first use (its native library costs start-up time). */
function loadOrt(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node');
  return ortModule;
}

/**
 * A model package opened in ONNX Runtime: one session, fed by column name according to the
 * package's signature. Every prediction in Cairn (evaluation, gates, serving) goes through here.
 *
 * @example
 * const model = await OnnxRuntime.open('models/income');
 * const { labels, probabilities } = await model.predict(table);
 * await model.close();
 */
export class OnnxRuntime {
  readonly package: ModelPackage;
  readonly #ort: Ort;
  readonly #session: InferenceSession;

  private constructor(pkg: ModelPackage, ort: Ort, session: InferenceSession) {
    this.package = pkg;
    this.#ort = ort;
    this.#session = session;
  }

  /** Opens a package directory (read and checked by readModelPackage) or a package already read. */
  static async open(source: string | ModelPackage, options: RuntimeOptions = {}): Promise<OnnxRuntime> {
    const pkg = typeof source === 'string' ? await readModelPackage(source) : source;
    const ort = await loadOrt();
    let session: InferenceSession;
    try {
      session = await ort.InferenceSession.create(pkg.onnx, {
        intraOpNumThreads: options.intraOpThreads ?? 1,
        interOpNumThreads: options.interOpThreads ?? 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
      });
    } catch (err) {
      throw errors.integrity(`ONNX Runtime cannot load the model in ${pkg.dir}: ${firstLine(err)}`, {
        cause: err,
        details: { path: pkg.dir },
        hint: 'the graph uses an operator or type this ONNX Runtime does not support, or the file is damaged',
      });
    }
    const runtime = new OnnxRuntime(pkg, ort, session);
    if (options.warmup ?? true) await runtime.run(warmupTable(pkg.cairn.inputs));
    return runtime;
  }

  get inputs(): readonly SignatureInput[] {
    return this.package.cairn.inputs;
  }

  get outputs(): readonly SignatureOutput[] {
    return this.package.cairn.outputs;
  }

  /** Every output for the table's rows, as columns named like the outputs. */
  async run(table: Table): Promise<Table> {
    const values = feedValues(table, this.inputs);
    if (table.rows === 0) return { rows: 0, columns: this.outputs.map((o) => emptyColumn(o)) };
    const feeds: Record<string, Tensor> = {};
    for (const input of this.inputs) {
      const v = values.get(input.name) as Float64Array | string[];
      feeds[input.name] =
        input.type === 'double'
          ? new this.#ort.Tensor('float64', v as Float64Array, [table.rows])
          : new this.#ort.Tensor('string', v as string[], [table.rows]);
    }
    let results: InferenceSession.ReturnType;
    try {
      results = await this.#session.run(feeds);
    } catch (err) {
      throw errors.invalid(`the model could not run on this data: ${firstLine(err)}`, { cause: err });
    }
    const columns = this.outputs.map((o) =>
      outputColumn(o, results[o.name] as Tensor | undefined, table.rows),
    );
    return { rows: table.rows, columns };
  }

  /** The outputs grouped by meaning: labels and class probabilities, or regression values. */
  async predict(table: Table): Promise<Prediction> {
    return predictionOf(this.package.cairn, await this.run(table));
  }

  async close(): Promise<void> {
    await this.#session.release();
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0] as string;
}

function emptyColumn(o: SignatureOutput): Column {
  return o.type === 'string' ? stringColumn(o.name, []) : numberColumn(o.name, new Float64Array(0));
}

/** One row with every value missing: the model must answer it, and it touches every branch of preprocessing. */
function warmupTable(inputs: readonly SignatureInput[]): Table {
  return {
    rows: 1,
    columns: inputs.map((i) =>
      i.type === 'double' ? numberColumn(i.name, Float64Array.of(Number.NaN)) : stringColumn(i.name, [null]),
    ),
  };
}

function outputColumn(o: SignatureOutput, t: Tensor | undefined, rows: number): Column {
  if (!t)
    throw errors.integrity(`the model did not return its output ${o.name}`, { details: { output: o.name } });
  if (t.size !== rows)
    throw errors.integrity(
      `the model's output ${o.name} has shape [${t.dims.join(', ')}]; one value per row (${rows}) was expected`,
      { details: { output: o.name, dims: [...t.dims] } },
    );
  const data = t.data;
  if (t.type === 'string') return stringColumn(o.name, data as string[]);
  if (data instanceof Float64Array) return numberColumn(o.name, data);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    const out = new Float64Array(rows);
    for (let i = 0; i < rows; i++) out[i] = Number(data[i]);
    return numberColumn(o.name, out);
  }
  return numberColumn(o.name, Float64Array.from(data as ArrayLike<number>));
}
