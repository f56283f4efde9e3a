import { CairnError, type ErrorCode, isCairnError } from '../kernel/errors.ts';
import type { Metric } from '../tracking/tracking-types.ts';
import { LIMITS } from '../tracking/tracking-validation.ts';

export interface MetricQueueOptions {
  /** Sends one batch (≤ batchSize metrics of one run), e.g. through TrackingStore.logBatch. */
  write(runId: string, metrics: Metric[]): Promise<void>;
  /** How long a point may wait before a flush starts (default 500 ms). */
  intervalMs?: number;
  /** Metrics per batch, and the queue length that starts a flush at once (default 1,000, MLflow's limit). */
  batchSize?: number;
}

/**
 * Errors that sending the same batch again cannot fix: the batch is dropped (and reported).
 * Anything else (an unreachable server, a busy database) keeps the batch for the next flush.
 */
const PERMANENT: readonly ErrorCode[] = [
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'FAILED_PRECONDITION',
  'PERMISSION_DENIED',
  'UNAUTHENTICATED',
  'ALREADY_EXISTS',
];

interface Failure {
  error: unknown;
  runId: string;
  points: number;
  dropped: boolean;
}

/**
 * Metric points waiting to be written, in the order they were logged. A flush starts when a full
 * batch is waiting or `intervalMs` after the first waiting point, and sends batches one after
 * another until the queue is empty. A failed batch is remembered and reported once by
 * `takeError()` or `flush()`: never silently dropped.
 */
export class MetricQueue {
  readonly #write: MetricQueueOptions['write'];
  readonly #intervalMs: number;
  readonly #batchSize: number;
  #runIds: string[] = [];
  #metrics: Metric[] = [];
  #head = 0;
  #draining: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failure: Failure | undefined;

  constructor(options: MetricQueueOptions) {
    this.#write = options.write;
    this.#intervalMs = options.intervalMs ?? 500;
    this.#batchSize = Math.min(options.batchSize ?? LIMITS.metricsPerBatch, LIMITS.metricsPerBatch);
  }

  /** Points logged but not written yet. */
  get size(): number {
    return this.#metrics.length - this.#head;
  }

  /** True while a batch is being sent. */
  get busy(): boolean {
    return this.#draining !== undefined;
  }

  push(runId: string, metric: Metric): void {
    this.#runIds.push(runId);
    this.#metrics.push(metric);
    if (this.#draining) return;
    if (this.size >= this.#batchSize) void this.#drain();
    else this.#arm();
  }

  /** The error of a flush that failed since the last call, as a CairnError naming what was lost. */
  takeError(): Error | undefined {
    const f = this.#failure;
    if (!f) return undefined;
    this.#failure = undefined;
    const cause = f.error as { message?: string; code?: unknown };
    const code: ErrorCode = isCairnError(f.error) ? f.error.code : 'UNAVAILABLE';
    const fate = f.dropped ? 'they were dropped' : 'they are kept and will be sent again with the next flush';
    return new CairnError(
      code,
      `${f.points} metric point(s) could not be written to run ${f.runId}: ${cause?.message ?? String(f.error)}; ${fate}`,
      { cause: f.error, details: { run_id: f.runId, points: f.points, dropped: f.dropped } },
    );
  }

  /** Sends everything queued; rejects with the error of any batch that failed since the last report. */
  async flush(): Promise<void> {
    while (this.size > 0 || this.#draining) {
      await this.#drain();
      if (this.#failure) break;
    }
    const error = this.takeError();
    if (error) throw error;
  }

  /** Stops the timer (points stay queued). */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#timer || this.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#drain();
    }, this.#intervalMs);
    // A pending flush must not keep the process alive: 'beforeExit' flushes what is left.
    this.#timer.unref();
  }

  /** Sends batches until the queue is empty or a batch fails in a way worth retrying. Never rejects. */
  #drain(): Promise<void> {
    this.stop();
    if (this.#draining) return this.#draining;
    if (this.size === 0) return Promise.resolve();
    this.#draining = (async () => {
      // Yield first, so #draining is set before the loop (and its finally) can run.
      await undefined;
      try {
        while (this.size > 0) {
          const runId = this.#runIds[this.#head] as string;
          let end = this.#head + 1;
          const limit = Math.min(this.#metrics.length, this.#head + this.#batchSize);
          while (end < limit && this.#runIds[end] === runId) end++;
          const batch = this.#metrics.slice(this.#head, end);
          try {
            await this.#write(runId, batch);
          } catch (error) {
            const dropped = isCairnError(error) && PERMANENT.includes(error.code);
            this.#record({ error, runId, points: dropped ? batch.length : this.size, dropped });
            if (!dropped) return;
          }
          this.#advance(end);
        }
      } finally {
        this.#draining = undefined;
        this.#arm();
      }
    })();
    return this.#draining;
  }

  #record(failure: Failure): void {
    // Keep the first error; count every point it concerns.
    if (this.#failure && this.#failure.dropped === failure.dropped && this.#failure.runId === failure.runId)
      this.#failure.points += failure.dropped ? failure.points : 0;
    else this.#failure ??= failure;
  }

  #advance(end: number): void {
    this.#head = end;
    if (this.#head === this.#metrics.length) {
      this.#runIds = [];
      this.#metrics = [];
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > this.#metrics.length) {
      this.#runIds = this.#runIds.slice(this.#head);
      this.#metrics = this.#metrics.slice(this.#head);
      this.#head = 0;
    }
  }
}
