import type { SignatureInput } from '../../ml/package/package-types.ts';
import { readModelPackage } from '../../ml/package/read-package.ts';
import { OnnxRuntime } from '../../ml/runtime/onnx-runtime.ts';
import { numberColumn, stringColumn, type Table } from '../../ml/table/table.ts';
import type { ResolvedModel } from '../model-source/model-resolver.ts';
import type { BatchingConfig, LimitsConfig, RuntimeConfig } from '../serving-config.ts';
import { type BatchObserver, BatchQueue } from './batch-queue.ts';
import { InputSchema } from './input-schema.ts';

export interface ServedModelSettings {
  runtime: RuntimeConfig;
  batching: BatchingConfig;
  limits: LimitsConfig;
}

export const MODEL_STATES = ['ready', 'draining', 'unloaded'] as const;
export type ModelState = (typeof MODEL_STATES)[number];

/**
 * One model version loaded for serving: one ONNX Runtime session (warmed up), its signature
 * compiled for request checks, and its micro-batching queue. Several variants and endpoints
 * share one when they serve the same package with the same settings.
 */
export class ServedModel {
  readonly model: ResolvedModel;
  readonly settings: ServedModelSettings;
  readonly schema: InputSchema;
  readonly queue: BatchQueue;
  /** Seconds to open the session and warm it up (fetching and verifying not included). */
  readonly loadSeconds: number;
  readonly loadedAt: Date;
  #runtime: OnnxRuntime;
  #state: ModelState = 'ready';

  private constructor(
    model: ResolvedModel,
    settings: ServedModelSettings,
    runtime: OnnxRuntime,
    loadSeconds: number,
    observer: BatchObserver,
  ) {
    this.model = model;
    this.settings = settings;
    this.#runtime = runtime;
    this.schema = new InputSchema(runtime.inputs, runtime.outputs, settings.limits.allow_missing);
    this.queue = new BatchQueue(
      runtime,
      settings.batching,
      `model ${model.name} version ${model.version}`,
      observer,
    );
    this.loadSeconds = loadSeconds;
    this.loadedAt = new Date();
  }

  /**
   * Reads the package (checking model.onnx against its recorded hash), opens a session and
   * warms it up: one row with every value missing, then a full batch, so that neither the first
   * request nor the first full batch pays for ONNX Runtime's first allocations.
   */
  static async load(
    model: ResolvedModel,
    settings: ServedModelSettings,
    observer: BatchObserver = {},
  ): Promise<ServedModel> {
    const started = performance.now();
    const pkg = await readModelPackage(model.dir);
    const runtime = await OnnxRuntime.open(pkg, {
      intraOpThreads: settings.runtime.intra_op_threads,
      interOpThreads: settings.runtime.inter_op_threads,
      warmup: true,
    });
    try {
      const rows = Math.min(settings.batching.max_batch_size, 1024);
      if (rows > 1) await runtime.run(missingRows(runtime.inputs, rows));
    } catch (err) {
      await runtime.close();
      throw err;
    }
    return new ServedModel(model, settings, runtime, (performance.now() - started) / 1000, observer);
  }

  get state(): ModelState {
    return this.#state;
  }

  get outputs() {
    return this.schema.outputs;
  }

  /** Runs the rows (batched with other requests); rejects with the queue's errors. */
  predict(table: Table, deadline: number): Promise<Table> {
    return this.queue.submit(table, deadline);
  }

  /**
   * Stops serving: waits for queued and running requests (at most `graceMs`; a request still
   * waiting then is answered by its deadline), then releases the session.
   */
  async unload(graceMs: number): Promise<void> {
    if (this.#state === 'unloaded') return;
    this.#state = 'draining';
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.queue.idle(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
    this.#state = 'unloaded';
    await this.#runtime.close();
  }
}

function missingRows(inputs: readonly SignatureInput[], rows: number): Table {
  return {
    rows,
    columns: inputs.map((i) =>
      i.type === 'double'
        ? numberColumn(i.name, new Float64Array(rows).fill(Number.NaN))
        : stringColumn(i.name, new Array<string | null>(rows).fill(null)),
    ),
  };
}
