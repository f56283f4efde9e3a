/**
 * Column-parallel summaries and drift detection. Statistics of different columns are independent,
 * so columns are handed, largest first, to worker threads; small tables are done on the calling
 * thread, where starting threads would cost more than it saves. Results equal those of
 * `summarizeTable` and `detectDrift` exactly.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CairnError, type ErrorCode, errors } from '../../kernel/errors.ts';
import { type Column, type ColumnTable, columnLength } from '../columns.ts';
import type { ColumnSummary, SummaryOptions } from './column-summary.ts';
import { type ColumnTask, type ColumnTaskResult, runColumnTask, taskCost } from './column-task.ts';
import {
  assembleReport,
  type ColumnDrift,
  type DriftOptions,
  type DriftReport,
  planDrift,
} from './detect-drift.ts';
import { SUMMARY_FORMAT_VERSION, type TableSummary, validateSummaryOptions } from './table-summary.ts';

export interface DriftPoolOptions {
  /**
   * Threads to compute on, the calling thread included (default: the number of cores less one,
   * at least 1, so a server keeps a core for its requests). 1 computes on the calling thread only.
   */
  jobs?: number;
  /**
   * Below this many values in all columns together, work stays on the calling thread (default
   * 200,000: measured on 2 cores, a thread's start-up and the copy of its columns cost about as
   * much as summarizing that many values).
   */
  inlineBelow?: number;
}

const workerUrl = new URL(
  import.meta.url.endsWith('.ts') ? './drift-worker.ts' : './drift-worker.js',
  import.meta.url,
);

interface Pending {
  resolve(result: ColumnTaskResult): void;
  reject(err: Error): void;
}

/**
 * @example
 * const pool = new DriftPool();
 * const reference = await pool.summarize(await readColumns('train.parquet'));
 * const report = await pool.detectDrift(reference, await readColumns('window.parquet'));
 * await pool.close();
 */
export class DriftPool {
  readonly #jobs: number;
  readonly #inlineBelow: number;
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #closed = false;

  constructor(options: DriftPoolOptions = {}) {
    const jobs = options.jobs ?? Math.max(1, availableParallelism() - 1);
    if (!(Number.isInteger(jobs) && jobs >= 1))
      throw errors.invalid(`jobs must be a whole number of at least 1, got ${jobs}`);
    this.#jobs = jobs;
    this.#inlineBelow = options.inlineBelow ?? 200_000;
  }

  /** `summarizeTable`, column-parallel. */
  async summarize(table: ColumnTable, options: SummaryOptions = {}): Promise<TableSummary> {
    validateSummaryOptions(options);
    const results = await this.#run(
      table.columns.map((column): ColumnTask => ({ kind: 'summarize', column, options })),
    );
    return { version: SUMMARY_FORMAT_VERSION, rows: table.rows, columns: results as ColumnSummary[] };
  }

  /**
   * `detectDrift`, column-parallel. `current` may be raw columns (each worker summarizes its
   * column, keeping every value) or a summary.
   */
  async detectDrift(
    reference: TableSummary,
    current: ColumnTable | TableSummary,
    options: DriftOptions = {},
  ): Promise<DriftReport> {
    const isSummary = 'version' in current;
    // Plan against light stand-ins, so a raw table is checked (names, presence) like a summary.
    const stand: TableSummary = isSummary
      ? current
      : {
          version: SUMMARY_FORMAT_VERSION,
          rows: current.rows,
          columns: current.columns.map(
            (c) => ({ name: c.name, kind: c.kind, rows: columnLength(c) }) as unknown as ColumnSummary,
          ),
        };
    const plan = planDrift(reference, stand, options);
    const byName = new Map<string, Column | ColumnSummary>(current.columns.map((c) => [c.name, c]));
    const tasks = plan.map(
      (p): ColumnTask => ({
        kind: 'compare',
        reference: p.reference,
        current: byName.get(p.reference.name) as Column | ColumnSummary,
        choice: p.choice,
      }),
    );
    return assembleReport((await this.#run(tasks)) as ColumnDrift[], options);
  }

  /** Stops the worker threads. The pool cannot be used afterwards. */
  async close(): Promise<void> {
    this.#closed = true;
    const workers = this.#workers.splice(0);
    await Promise.all(workers.map((w) => w.terminate()));
  }

  /**
   * The calling thread takes tasks too, so `jobs` threads need only `jobs − 1` workers. Each worker
   * keeps a second task queued, so it does not wait for the calling thread to finish a column
   * before it gets the next one.
   */
  async #run(tasks: ColumnTask[]): Promise<ColumnTaskResult[]> {
    if (this.#closed)
      throw errors.precondition('the drift pool is closed', { hint: 'create a new DriftPool' });
    const total = tasks.reduce((s, t) => s + taskCost(t), 0);
    const width = Math.min(this.#jobs, tasks.length);
    if (width <= 1 || total < this.#inlineBelow) return tasks.map(runColumnTask);
    while (this.#workers.length < width - 1) this.#workers.push(this.#startWorker());
    const order = tasks
      .map((_, i) => i)
      .sort((a, b) => taskCost(tasks[b] as ColumnTask) - taskCost(tasks[a] as ColumnTask));
    const results = new Array<ColumnTaskResult>(tasks.length);
    let next = 0;
    const take = (): number | undefined => order[next++];
    const feed = async (worker: Worker): Promise<void> => {
      for (;;) {
        const index = take();
        if (index === undefined) return;
        results[index] = await this.#send(worker, tasks[index] as ColumnTask);
      }
    };
    // Two feeders per worker: one task running, one waiting in its message queue.
    const workers = this.#workers.slice(0, width - 1).flatMap((w) => [feed(w), feed(w)]);
    const inline = (async () => {
      for (;;) {
        // Let worker results in (and new tasks out) between the columns done here.
        await new Promise((resolve) => setImmediate(resolve));
        const index = take();
        if (index === undefined) return;
        results[index] = runColumnTask(tasks[index] as ColumnTask);
      }
    })();
    await Promise.all([...workers, inline]);
    return results;
  }

  #startWorker(): Worker {
    const worker = new Worker(workerUrl);
    // An idle pool must not keep the process alive.
    worker.unref();
    worker.on(
      'message',
      (m: {
        id: number;
        result?: ColumnTaskResult;
        error?: { code?: ErrorCode; message: string; hint?: string; details?: Record<string, unknown> };
      }) => {
        const pending = this.#pending.get(m.id);
        if (!pending) return;
        this.#pending.delete(m.id);
        if (m.error) {
          const e = m.error;
          pending.reject(
            e.code
              ? new CairnError(e.code, e.message, {
                  ...(e.hint ? { hint: e.hint } : {}),
                  ...(e.details ? { details: e.details } : {}),
                })
              : errors.internal(`drift worker failed: ${e.message}`),
          );
        } else pending.resolve(m.result as ColumnTaskResult);
      },
    );
    const fail = (err: Error) => {
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
      const i = this.#workers.indexOf(worker);
      if (i >= 0) this.#workers.splice(i, 1);
    };
    worker.on('error', (err) => fail(errors.internal(`drift worker failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => {
      if (!this.#closed) fail(errors.internal(`drift worker exited with code ${code}`));
    });
    return worker;
  }

  #send(worker: Worker, task: ColumnTask): Promise<ColumnTaskResult> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, task });
    });
  }
}
