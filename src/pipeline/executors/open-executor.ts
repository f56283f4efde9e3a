import { isTemporalUri, parseTemporalUri } from '../../engine/temporal/temporal-target.ts';
import { errors } from '../../kernel/errors.ts';
import type { Logger } from '../../kernel/logging.ts';
import { QUEUE_NAME } from '../definition/resolve-stage.ts';
import { LocalExecutor } from './local/local-executor.ts';
import type { StageExecutor } from './stage-executor.ts';
import type { RemoteLocation } from './temporal/stage-task.ts';

export interface OpenExecutorOptions {
  /** `local` or `temporal://host:port[/namespace]`. */
  uri: string;
  /** Where the URI came from, for errors: `--executor`, `executor.uri`. */
  setting: string;
  /** The task queue of stages that name none. */
  queue: string;
  heartbeatTimeoutMs: number;
  attempts: number;
  /** The workspace's default remote; distributed executors move data through it. */
  remote: { name: string; location: RemoteLocation } | undefined;
  log: Logger;
  /** For Temporal services that want one (Temporal Cloud). */
  apiKey?: string;
}

/**
 * The executor a URI names, ready to run stages: `local` at once; `temporal://…` once the
 * service answered and the namespace exists, so a service that is down fails here, within a
 * bounded time, before any stage starts.
 */
export async function openExecutor(options: OpenExecutorOptions): Promise<StageExecutor> {
  const { uri, setting } = options;
  if (uri === 'local') return new LocalExecutor();
  if (!isTemporalUri(uri))
    throw errors.invalid(`${setting} ${uri}: unknown executor`, {
      hint: 'use local (the default) or temporal://host:7233[/namespace]',
    });
  const target = parseTemporalUri(uri, setting);
  if (!QUEUE_NAME.test(options.queue))
    throw errors.invalid(`task queue ${JSON.stringify(options.queue)} is not a valid name`, {
      hint: 'use letters, digits, "_", ".", ":" and "-"',
    });
  if (!options.remote)
    throw errors.precondition(
      `stages on ${uri} move their data through the workspace's remote, and none is set`,
      {
        hint: 'add one that workers can reach too: cairn remote add origin s3://bucket/prefix --default',
      },
    );
  const { connectTemporal } = await import('../../engine/temporal/temporal-connection.ts');
  const { TemporalExecutor } = await import('./temporal/temporal-executor.ts');
  const connection = await connectTemporal(target, {
    log: options.log,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
  });
  return new TemporalExecutor({
    target,
    connection,
    queue: options.queue,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs,
    attempts: options.attempts,
    remote: options.remote.location,
    log: options.log,
  });
}
