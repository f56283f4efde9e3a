import { Worker } from 'node:worker_threads';
import { buildHistogram, FEATURE_STRIDE } from './histogram.ts';

/**
 * A histogram pass over this many rows or more is cut into HISTOGRAM_CHUNKS row ranges whose
 * partial histograms are summed in chunk order. The cut does not depend on how many threads
 * there are, so a model is the same, bit for bit, on any machine.
 */
export const PARALLEL_MIN_ROWS = 8192;
export const HISTOGRAM_CHUNKS = 4;

/** Slots of the control block shared with the workers. */
export const CONTROL = { seq: 0, start: 1, end: 2, done: 3, stop: 4 } as const;

const workerUrl = new URL(
  import.meta.url.endsWith('.ts') ? './histogram-worker.ts' : './histogram-worker.js',
  import.meta.url,
);

export interface SharedTrainingArrays {
  /** Row-major bins (rows × features), on a SharedArrayBuffer. */
  bins: Uint8Array;
  /** The row index list the grower partitions, on a SharedArrayBuffer. */
  rows: Int32Array;
  /** Gradient and hessian per row, on a SharedArrayBuffer. */
  gh: Float64Array;
  features: number;
}

/** A typed array of `length` elements on a SharedArrayBuffer. */
export function shared<T extends Uint8Array | Int32Array | Float64Array>(
  type: { new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number },
  length: number,
): T {
  return new type(new SharedArrayBuffer(Math.max(1, length) * type.BYTES_PER_ELEMENT));
}

/** The row range of chunk `c` of rows[start..end). */
export function chunkRange(start: number, end: number, c: number): [number, number] {
  const size = Math.ceil((end - start) / HISTOGRAM_CHUNKS);
  return [Math.min(end, start + c * size), Math.min(end, start + (c + 1) * size)];
}

/**
 * Builds histograms with worker threads sharing the training arrays: large passes are split into
 * row chunks, the calling thread takes its share, the workers theirs (woken through Atomics, a
 * round trip of microseconds), and the partial histograms are summed in chunk order.
 */
export class HistogramThreads {
  readonly #arrays: SharedTrainingArrays;
  readonly #workers: Worker[];
  readonly #control: Int32Array;
  readonly #partials: Float64Array;
  readonly #stride: number;

  /** `threads` counts the calling thread: 1 builds every chunk here, in the same order. */
  constructor(arrays: SharedTrainingArrays, threads: number) {
    this.#arrays = arrays;
    this.#stride = arrays.features * FEATURE_STRIDE;
    this.#control = shared(Int32Array, 8);
    this.#partials = shared(Float64Array, HISTOGRAM_CHUNKS * this.#stride);
    const total = Math.max(1, Math.min(threads, HISTOGRAM_CHUNKS));
    this.#workers = Array.from(
      { length: total - 1 },
      (_, i) =>
        new Worker(workerUrl, {
          workerData: {
            ...arrays,
            control: this.#control,
            partials: this.#partials,
            index: i + 1,
            threads: total,
          },
        }),
    );
    for (const w of this.#workers) w.unref();
  }

  get threads(): number {
    return this.#workers.length + 1;
  }

  /** Fills `hist` with the statistics of rows[start..end), as buildHistogram would (summed by chunk when large). */
  build(hist: Float64Array, start: number, end: number): void {
    const { bins, rows, gh, features } = this.#arrays;
    if (end - start < PARALLEL_MIN_ROWS) {
      buildHistogram(hist, bins, features, rows, start, end, gh);
      return;
    }
    const control = this.#control;
    const threads = this.threads;
    if (threads > 1) {
      Atomics.store(control, CONTROL.start, start);
      Atomics.store(control, CONTROL.end, end);
      Atomics.store(control, CONTROL.done, 0);
      Atomics.add(control, CONTROL.seq, 1);
      Atomics.notify(control, CONTROL.seq);
    }
    for (let c = 0; c < HISTOGRAM_CHUNKS; c += threads) {
      const [s, e] = chunkRange(start, end, c);
      buildHistogram(
        this.#partials.subarray(c * this.#stride, (c + 1) * this.#stride),
        bins,
        features,
        rows,
        s,
        e,
        gh,
      );
    }
    for (;;) {
      const done = Atomics.load(control, CONTROL.done);
      if (done >= threads - 1) break;
      Atomics.wait(control, CONTROL.done, done, 1000);
    }
    const p = this.#partials;
    const stride = this.#stride;
    for (let i = 0; i < stride; i++) {
      let sum = 0;
      for (let c = 0; c < HISTOGRAM_CHUNKS; c++) sum += p[c * stride + i] as number;
      hist[i] = sum;
    }
  }

  async close(): Promise<void> {
    Atomics.store(this.#control, CONTROL.stop, 1);
    Atomics.add(this.#control, CONTROL.seq, 1);
    Atomics.notify(this.#control, CONTROL.seq);
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
