import { availableParallelism, homedir, hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { isTemporalUri, parseTemporalUri } from '../../engine/temporal/temporal-target.ts';
import { loadConfig, remoteSettingsFromEnv } from '../../kernel/config.ts';
import { errors } from '../../kernel/errors.ts';
import type { Logger, LogLevel } from '../../kernel/logging.ts';
import { QUEUE_NAME } from '../../pipeline/definition/resolve-stage.ts';
import type { WorkerStageEvent } from '../../pipeline/executors/temporal/stage-activities.ts';
import { formatDuration } from '../format.ts';
import type { CliSession } from '../session.ts';

interface WorkerOpts {
  executor?: string;
  queue?: string;
  concurrency?: string;
  dir?: string;
  name?: string;
}

export function registerWorker(program: Command, session: () => CliSession): void {
  program
    .command('worker')
    .description(
      'run pipeline stages on this machine for cairn run --executor temporal://…, until stopped (Ctrl-C)',
    )
    .option(
      '--executor <uri>',
      'the Temporal service: temporal://host:7233[/namespace] (default: CAIRN_EXECUTOR)',
    )
    .option(
      '--queue <name>',
      'the task queue to take stages from (default: CAIRN_EXECUTOR_QUEUE, or "default")',
    )
    .option('--concurrency <n>', 'stages to run at once (default: the number of cores)')
    .option('--dir <dir>', "the worker's cache and scratch space (default: ~/.cache/cairn/worker)")
    .option('--name <name>', "this worker's name in logs and in Temporal's history (default: <host>-<pid>)")
    .action(async (opts: WorkerOpts) => {
      const s = session();
      const env = s.io.env;
      const dir = opts.dir
        ? isAbsolute(opts.dir)
          ? opts.dir
          : resolve(s.cwd, opts.dir)
        : join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'cairn', 'worker');
      const config = await loadConfig({ root: dir, env });
      const uri = opts.executor ?? config.executor.uri;
      if (!isTemporalUri(uri))
        throw errors.invalid(
          opts.executor
            ? `--executor ${uri}: a worker takes its stages from a Temporal service`
            : 'no Temporal service named',
          { hint: 'pass --executor temporal://host:7233[/namespace] (or set CAIRN_EXECUTOR)' },
        );
      const target = parseTemporalUri(uri, opts.executor ? '--executor' : 'CAIRN_EXECUTOR');
      const queue = opts.queue ?? config.executor.queue;
      if (!QUEUE_NAME.test(queue))
        throw errors.invalid(`--queue ${queue}: not a task queue name`, {
          hint: 'use letters, digits, "_", ".", ":" and "-"',
        });
      const concurrency =
        opts.concurrency === undefined ? availableParallelism() : positive(opts.concurrency);
      const identity = opts.name ?? `${hostname()}-${process.pid}`;
      const log = await workerLogger(s, config.log.level);
      const stop = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        if (stop.signal.aborted) return;
        s.out(`${signal}: stopping; stages still running go back to their queue`);
        stop.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const { runCairnWorker } = await import('../../workspace/cairn-worker.ts');
      try {
        await runCairnWorker({
          target,
          queue,
          concurrency,
          dir,
          identity,
          env,
          remoteSettings: remoteSettingsFromEnv(env),
          log,
          ...(env.CAIRN_TEMPORAL_API_KEY ? { apiKey: env.CAIRN_TEMPORAL_API_KEY } : {}),
          signal: stop.signal,
          onReady: ({ scratchLeft }) => {
            if (scratchLeft > 0)
              s.out(`removed ${scratchLeft} scratch workspace(s) a previous worker left in ${dir}`);
            s.out(
              `worker ${identity} ready: ${target.uri} (namespace ${target.namespace}), task queue ${queue}, up to ${concurrency} stage(s) at once; cache and scratch in ${dir}`,
            );
          },
          onStage: (e) => s.out(stageLine(e)),
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      s.out(`worker ${identity} stopped`);
    });
}

function stageLine(e: WorkerStageEvent): string {
  const took = e.durationMs !== undefined ? ` in ${formatDuration(e.durationMs)}` : '';
  switch (e.state) {
    case 'running':
      return `[${e.stage}] running (run ${e.runId.slice(0, 8)}, attempt ${e.attempt})`;
    case 'reused':
      return `[${e.stage}] done by an earlier attempt: outputs taken from the run cache`;
    case 'done':
      return `[${e.stage}] done${took}`;
    case 'failed':
      return `[${e.stage}] failed${took}: ${e.error ?? 'unknown error'}`;
    case 'stopped':
      return `[${e.stage}] stopped${took}`;
  }
}

/** A long-running process logs at log.level (JSON lines on stderr); --verbose makes it debug. */
async function workerLogger(s: CliSession, level: LogLevel): Promise<Logger> {
  const { createLogger } = await import('../../kernel/pino-logger.ts');
  return createLogger({ level: s.verbose ? 'debug' : level, destination: s.io.stderr });
}

function positive(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw errors.invalid(`--concurrency ${text}: expected a positive integer`, {
      hint: 'for example --concurrency 4',
    });
  return n;
}
