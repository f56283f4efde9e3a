import { errors } from '../../kernel/errors.ts';
import type { Table } from '../../ml/table/table.ts';
import type { BatchingConfig } from '../serving-config.ts';
import { concatTables, padTable, sliceTable } from './batch-tables.ts';

/** What runs a batch: ONNX Runtime's session behind OnnxRuntime.run. */
export interface BatchRunner {
  run(table: Table): Promise<Table>;
}

export interface BatchObserver {
  /** One runner call with `rows` rows from `requests` requests. */
  onBatch?(rows: number, requests: number): void;
}

interface Pending {
  table: Table;
  /** performance.now() by which the request must have left the queue. */
  deadline: number;
  enqueued: number;
  resolve(outputs: Table): void;
  reject(err: unknown): void;
}

/**
 * Traffic older than this (ms) is no traffic: a request that finds the queue empty and nothing
 * arrived or finished for this long runs at once, alone, exactly as an unbatched call would.
 */
const IDLE_GAP_MS = 1;

/**
 * Adaptive micro-batching for one model version: concurrent requests are merged into one runner
 * call of at most `max_batch_size` rows. A request that finds the model idle runs immediately;
 * under load, requests that arrive while a batch runs (or in the same turn of the event loop)
 * leave together in the next one. The queue is bounded: beyond `max_queue` waiting requests,
 * `submit` refuses at once (UNAVAILABLE, with `details.retry_after_s`), so neither latency nor
 * memory grows without bound. A request still waiting at its deadline is answered
 * DEADLINE_EXCEEDED and never run.
 */
export class BatchQueue {
  readonly #runner: BatchRunner;
  readonly #options: BatchingConfig;
  readonly #observer: BatchObserver;
  readonly #label: string;
  #queue: Pending[] = [];
  #head = 0;
  #running = false;
  /** The batch being run. */
  #inflight: Pending[] = [];
  #scheduled = false;
  #lastActivity = Number.NEGATIVE_INFINITY;
  #sweep: NodeJS.Timeout | undefined;
  #sweepAt = Number.POSITIVE_INFINITY;
  #idleWaiters: (() => void)[] = [];

  constructor(runner: BatchRunner, options: BatchingConfig, label: string, observer: BatchObserver = {}) {
    this.#runner = runner;
    this.#options = options;
    this.#label = label;
    this.#observer = observer;
  }

  /** Requests waiting (not counting the batch being run). */
  get depth(): number {
    return this.#queue.length - this.#head;
  }

  /** Whether a batch is running. */
  get running(): boolean {
    return this.#running;
  }

  /** Runs `table` (in a batch with others when there are any); resolves with its rows of output. */
  submit(table: Table, deadline: number): Promise<Table> {
    const now = performance.now();
    if (this.depth >= this.#options.max_queue)
      return Promise.reject(
        errors.unavailable(
          `${this.#label} is at capacity: ${this.depth} requests are waiting; try again shortly`,
          { details: { retry_after_s: 1, queue: this.depth } },
        ),
      );
    const idle =
      !this.#running && !this.#scheduled && this.depth === 0 && now - this.#lastActivity >= IDLE_GAP_MS;
    this.#lastActivity = now;
    return new Promise<Table>((resolve, reject) => {
      this.#queue.push({ table, deadline, enqueued: now, resolve, reject });
      if (idle) this.#dispatch();
      else {
        this.#schedule();
        this.#armSweep(deadline, now);
      }
    });
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (!this.#running && this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #schedule(): void {
    if (this.#scheduled || this.#running) return;
    this.#scheduled = true;
    setImmediate(this.#onTurn);
  }

  readonly #onTurn = (): void => {
    this.#scheduled = false;
    if (this.#running || this.depth === 0) return;
    const wait = this.#options.max_wait_us / 1000;
    if (wait > 0) {
      const oldest = (this.#queue[this.#head] as Pending).enqueued;
      if (
        this.#queuedRows(this.#options.max_batch_size) < this.#options.max_batch_size &&
        performance.now() - oldest < wait
      ) {
        this.#scheduled = true;
        setImmediate(this.#onTurn);
        return;
      }
    }
    this.#dispatch();
  };

  #queuedRows(cap: number): number {
    let rows = 0;
    for (let i = this.#head; i < this.#queue.length && rows < cap; i++)
      rows += (this.#queue[i] as Pending).table.rows;
    return rows;
  }

  /** Takes the next batch off the queue and runs it. */
  #dispatch(): void {
    const now = performance.now();
    const batch: Pending[] = [];
    let rows = 0;
    const max = this.#options.max_batch_size;
    while (this.#head < this.#queue.length) {
      const next = this.#queue[this.#head] as Pending;
      if (batch.length > 0 && rows + next.table.rows > max) break;
      this.#head++;
      if (next.deadline <= now) {
        next.reject(this.#expired(next, now));
        continue;
      }
      batch.push(next);
      rows += next.table.rows;
    }
    this.#compact();
    if (batch.length === 0) {
      this.#settled();
      return;
    }
    this.#running = true;
    this.#inflight = batch;
    this.#armSweep((batch[0] as Pending).deadline, now);
    this.#observer.onBatch?.(rows, batch.length);
    let input: Table;
    try {
      input = concatTables(
        batch.map((p) => p.table),
        rows,
      );
      const align = this.#options.max_batch_size > 1 ? this.#options.row_alignment : 1;
      if (align > 1 && rows % align !== 0) input = padTable(input, rows + align - (rows % align));
    } catch (err) {
      this.#finish(batch, undefined, err);
      return;
    }
    this.#runner.run(input).then(
      (outputs) => this.#finish(batch, outputs, undefined),
      (err: unknown) => this.#finish(batch, undefined, err),
    );
  }

  #finish(batch: Pending[], outputs: Table | undefined, err: unknown): void {
    this.#running = false;
    this.#inflight = [];
    this.#lastActivity = performance.now();
    if (outputs) {
      let at = 0;
      for (const p of batch) {
        p.resolve(sliceTable(outputs, at, p.table.rows));
        at += p.table.rows;
      }
    } else for (const p of batch) p.reject(err);
    if (this.depth > 0) this.#schedule();
    else this.#settled();
  }

  #settled(): void {
    if (this.#running || this.depth > 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #expired(p: Pending, now: number, running = false) {
    const waited = Math.round(now - p.enqueued);
    return errors.deadline(
      running
        ? `${this.#label} did not answer within the request's deadline (${waited} ms)`
        : `${this.#label}: the request waited ${waited} ms in the queue and passed its deadline`,
      { details: { waited_ms: waited } },
    );
  }

  /**
   * A timer that answers requests whose deadline passed, queued or in a batch that has not
   * returned (a runner that never answers): their callers get DEADLINE_EXCEEDED; a late result
   * is dropped.
   */
  #armSweep(deadline: number, now: number): void {
    if (this.#sweep) {
      if (deadline >= this.#sweepAt) return;
      clearTimeout(this.#sweep);
    }
    this.#sweepAt = deadline;
    this.#sweep = setTimeout(this.#onSweep, Math.max(1, Math.ceil(deadline - now)));
    this.#sweep.unref();
  }

  readonly #onSweep = (): void => {
    this.#sweep = undefined;
    this.#sweepAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let earliest = Number.POSITIVE_INFINITY;
    let kept = 0;
    const live: Pending[] = [];
    for (const p of this.#inflight)
      if (p.deadline <= now) p.reject(this.#expired(p, now, true));
      else if (p.deadline < earliest) earliest = p.deadline;
    for (let i = this.#head; i < this.#queue.length; i++) {
      const p = this.#queue[i] as Pending;
      if (p.deadline <= now) p.reject(this.#expired(p, now));
      else {
        live.push(p);
        kept++;
        if (p.deadline < earliest) earliest = p.deadline;
      }
    }
    this.#queue = live;
    this.#head = 0;
    if (kept > 0 || earliest < Number.POSITIVE_INFINITY) this.#armSweep(earliest, now);
    if (kept === 0) this.#settled();
  };
}
