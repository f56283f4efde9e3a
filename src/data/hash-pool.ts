import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  type CopyResult,
  type CopyTask,
  type HashContext,
  type HashResult,
  type HashTask,
  hashFileSync,
  newHashContext,
  publishStaged,
} from './hash-file.ts';

export interface HashPoolOptions {
  cacheRoot: string;
  fsync: boolean;
  /** Worker threads to use at most; default: the number of cores. */
  jobs?: number;
}

/** Below these totals, starting threads costs more than it saves: hash on the calling thread. */
const INLINE_MAX_FILES = 32;
const INLINE_MAX_BYTES = 16 * 1024 * 1024;
const BATCH_FILES = 64;
const BATCH_BYTES = 32 * 1024 * 1024;

const workerUrl = new URL(
  import.meta.url.endsWith('.ts') ? './hash-worker.ts' : './hash-worker.js',
  import.meta.url,
);

/**
 * Hashes many files across worker threads, in batches so that small files do not pay a message
 * round trip each. Results come back in task order; `onDone` reports each finished batch.
 */
export class HashPool {
  readonly #options: HashPoolOptions;
  #inline: HashContext | undefined;

  constructor(options: HashPoolOptions) {
    this.#options = options;
  }

  async hash(
    tasks: readonly (HashTask & { size: number })[],
    onDone?: (files: number, bytes: number) => void,
  ): Promise<HashResult[]> {
    const results = await this.#hash(tasks, onDone);
    // With fsync the workers only stage what they store: it is made durable and named here, in
    // one batch, before any caller can name it (one file-system sync instead of one per object).
    const staged = results.flatMap((r) => (r?.ok && r.staged ? [{ digest: r.hash, temp: r.staged }] : []));
    try {
      await publishStaged(this.#options.cacheRoot, staged);
    } catch (err) {
      for (const { temp } of staged) rmSync(temp, { force: true });
      throw err;
    }
    return results;
  }

  async #hash(
    tasks: readonly (HashTask & { size: number })[],
    onDone?: (files: number, bytes: number) => void,
  ): Promise<HashResult[]> {
    const totalBytes = tasks.reduce((n, t) => n + t.size, 0);
    if (tasks.length <= INLINE_MAX_FILES && totalBytes <= INLINE_MAX_BYTES) {
      this.#inline ??= newHashContext(this.#options.cacheRoot, this.#options.fsync, this.#options.fsync);
      const ctx = this.#inline;
      return tasks.map((t) => {
        const r = hashFileSync(t, ctx);
        onDone?.(1, t.size);
        return r;
      });
    }
    const batches = makeBatches(tasks);
    const results = new Array<HashResult>(tasks.length);
    const width = Math.max(1, Math.min(this.#options.jobs ?? availableParallelism(), batches.length));
    const workers = Array.from({ length: width }, () => this.#worker());
    let next = 0;
    try {
      await Promise.all(
        workers.map(async (worker) => {
          for (;;) {
            const batch = batches[next++];
            if (!batch) return;
            const out = await runBatch<HashResult>(worker, {
              tasks: batch.tasks.map((i) => tasks[i] as HashTask),
            });
            let bytes = 0;
            batch.tasks.forEach((taskIndex, j) => {
              results[taskIndex] = out[j] as HashResult;
              bytes += (tasks[taskIndex] as { size: number }).size;
            });
            onDone?.(batch.tasks.length, bytes);
          }
        }),
      );
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
    return results;
  }

  /**
   * Copies large files into new files on a thread of their own, one after another: started
   * beside `hash`, the copy and the hashing of a large file each keep a core busy.
   */
  async copy(copies: readonly CopyTask[]): Promise<CopyResult[]> {
    if (copies.length === 0) return [];
    const worker = this.#worker();
    try {
      return await runBatch<CopyResult>(worker, { copies: [...copies] });
    } finally {
      await worker.terminate();
    }
  }

  #worker(): Worker {
    return new Worker(workerUrl, {
      workerData: { cacheRoot: this.#options.cacheRoot, fsync: this.#options.fsync },
    });
  }
}

function makeBatches(tasks: readonly { size: number }[]): { tasks: number[] }[] {
  const batches: { tasks: number[] }[] = [];
  let current: number[] = [];
  let bytes = 0;
  tasks.forEach((t, i) => {
    if (current.length > 0 && (current.length >= BATCH_FILES || bytes + t.size > BATCH_BYTES)) {
      batches.push({ tasks: current });
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += t.size;
  });
  if (current.length > 0) batches.push({ tasks: current });
  return batches;
}

let nextId = 0;
function runBatch<R>(worker: Worker, work: { tasks: HashTask[] } | { copies: CopyTask[] }): Promise<R[]> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const onMessage = (m: { id: number; results: R[] }) => {
      if (m.id !== id) return;
      cleanup();
      resolve(m.results);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`hash worker exited with code ${code}`));
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage({ id, ...work });
  });
}
