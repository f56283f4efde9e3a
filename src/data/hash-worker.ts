import { parentPort, workerData } from 'node:worker_threads';
import { type CopyTask, copyFileTask, type HashTask, hashFileSync, newHashContext } from './hash-file.ts';

/** Worker thread entry: hashes (or copies) batches of files sent by HashPool. */
const { cacheRoot, fsync } = workerData as { cacheRoot: string; fsync: boolean };
// With fsync, stored content is staged: HashPool makes each batch durable at once, then names it.
const ctx = newHashContext(cacheRoot, fsync, fsync);

parentPort?.on('message', (message: { id: number; tasks?: HashTask[]; copies?: CopyTask[] }) => {
  const results = message.copies
    ? message.copies.map(copyFileTask)
    : (message.tasks ?? []).map((task) => hashFileSync(task, ctx));
  parentPort?.postMessage({ id: message.id, results });
});
