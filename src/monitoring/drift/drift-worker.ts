/** The worker thread of `DriftPool`: runs column tasks and posts their results back. */
import { parentPort } from 'node:worker_threads';
import { isCairnError } from '../../kernel/errors.ts';
import { type ColumnTask, runColumnTask } from './column-task.ts';

parentPort?.on('message', (message: { id: number; task: ColumnTask }) => {
  try {
    parentPort?.postMessage({ id: message.id, result: runColumnTask(message.task) });
  } catch (err) {
    const e = err as Error;
    parentPort?.postMessage({
      id: message.id,
      error: isCairnError(err)
        ? { code: err.code, message: err.message, hint: err.hint, details: err.details }
        : { message: e?.message ?? String(err), stack: e?.stack },
    });
  }
});
