import { CairnError, type ErrorCode, errors, isCairnError } from '../kernel/errors.ts';
import type { Metric } from '../tracking/tracking-types.ts';
import { LIMITS } from '../tracking/tracking-validation.ts';

export interface MetricQueueOptions {
  /** Sends one batch (≤ batchSize metrics of one run), e.g. through TrackingStore.logBatch. */
  write(runId: string, metrics: Metric[]): Promise<void>;
  /** How long a point may wait before a flush starts (default 500 ms). */
  intervalMs?: number;
  /** Metrics per batch, and the queue length that starts a flush at once (default 1,000, MLflow's limit). */
  batchSize?: number;
  /**
   * Most points kept waiting (default {@link DEFAULT_MAX_QUEUED_METRICS}). When the store cannot
   * be reached and the queue is full, the oldest waiting points are dropped to make room.
   */
  maxQueued?: number;
  /** Told when points start being dropped, and how many were, once the queue has room again. */
  onDrop?: (event: MetricDropEvent) => void;
}

/** 100,000 points: about 10 MB of memory, some minutes of fast logging while a server restarts. */
export const DEFAULT_MAX_QUEUED_METRICS = 100_000;

/**
 * `started`: the queue is full and the oldest points are being dropped; `ended`: the queue has
 * room again (it emptied, or a flush ran), and `points` were dropped since `started`.
 */
export interface MetricDropEvent {
  kind: 'started' | 'ended';
  points: number;
  /** The queue's bound. */
  limit: number;
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
 * `takeError()` or `flush()`: never silently dropped. The queue holds at most `maxQueued` points:
 * beyond that the oldest waiting ones are dropped, counted in `dropped` and told to `onDrop`.
 */
export class MetricQueue {
  readonly #write: MetricQueueOptions['write'];
  readonly #intervalMs: number;
  readonly #batchSize: number;
  readonly #maxQueued: number;
  readonly #onDrop: MetricQueueOptions['onDrop'];
  #runIds: string[] = [];
  #metrics: Metric[] = [];
  #head = 0;
  /** End of the batch being written ([#head, #sending) is in flight), or undefined. */
  #sending: number | undefined;
  /** Points right after the batch in flight that were dropped while it was being written. */
  #skip = 0;
  #dropped = 0;
  /** Points dropped since the last `ended` event, or undefined when none were. */
  #dropping: number | undefined;
  #draining: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failure: Failure | undefined;

  constructor(options: MetricQueueOptions) {
    this.#write = options.write;
    this.#intervalMs = options.intervalMs ?? 500;
    this.#batchSize = Math.min(options.batchSize ?? LIMITS.metricsPerBatch, LIMITS.metricsPerBatch);
    const max = options.maxQueued ?? DEFAULT_MAX_QUEUED_METRICS;
    if (!Number.isSafeInteger(max) || max < 1)
      throw errors.invalid(
        `the metric queue limit must be a whole number of points, at least 1 (got ${max})`,
      );
    this.#maxQueued = max;
    this.#onDrop = options.onDrop;
  }

  /** Points logged but not written yet. */
  get size(): number {
    return this.#metrics.length - this.#head - this.#skip;
  }

  /** The most points the queue keeps. */
  get limit(): number {
    return this.#maxQueued;
  }

  /** Points dropped because the queue was full, since the queue was made. */
  get dropped(): number {
    return this.#dropped;
  }

  /** True while a batch is being sent. */
  get busy(): boolean {
    return this.#draining !== undefined;
  }

  push(runId: string, metric: Metric): void {
    if (this.size >= this.#maxQueued && !this.#dropOldest()) return;
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

  /**
   * Sends everything queued; rejects with the error of any batch that failed since the last
   * report. Reports (`onDrop`, `ended`) the points dropped since the last report.
   */
  async flush(): Promise<void> {
    while (this.size > 0 || this.#draining) {
      await this.#drain();
      if (this.#failure) break;
    }
    this.#endDropping();
    const error = this.takeError();
    if (error) throw error;
  }

  /**
   * Makes room for one point by dropping the oldest one waiting (never the batch in flight).
   * False when every waiting point is in flight: then the new point is the one dropped.
   */
  #dropOldest(): boolean {
    this.#dropped++;
    if (this.#dropping === undefined) {
      this.#dropping = 0;
      this.#onDrop?.({ kind: 'started', points: 0, limit: this.#maxQueued });
    }
    this.#dropping++;
    if (this.#sending === undefined) {
      this.#advance(this.#head + 1);
      return true;
    }
    if (this.#sending + this.#skip < this.#metrics.length) {
      this.#skip++;
      return true;
    }
    return false;
  }

  #endDropping(): void {
    if (this.#dropping === undefined) return;
    const points = this.#dropping;
    this.#dropping = undefined;
    this.#onDrop?.({ kind: 'ended', points, limit: this.#maxQueued });
  }

  /** After a write: the points dropped behind it go, and so does the batch if it was written. */
  #settle(end: number, written: boolean): void {
    const skip = this.#skip;
    this.#sending = undefined;
    this.#skip = 0;
    if (written) this.#advance(end + skip);
    else if (skip > 0) {
      this.#runIds.splice(end, skip);
      this.#metrics.splice(end, skip);
    }
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
          this.#sending = end;
          try {
            await this.#write(runId, batch);
          } catch (error) {
            const dropped = isCairnError(error) && PERMANENT.includes(error.code);
            this.#settle(end, dropped);
            this.#record({ error, runId, points: dropped ? batch.length : this.size, dropped });
            if (!dropped) return;
            continue;
          }
          this.#settle(end, true);
        }
        this.#endDropping();
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
