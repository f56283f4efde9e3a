import { join } from 'node:path';
import type { DataContext } from '../../data/data-context.ts';
import type { StageExecution } from '../executors/stage-executor.ts';
import type { StageDefinition } from '../pipeline-types.ts';
import { clearOutputs, missingOutputs, saveOutputs } from './stage-outputs.ts';
import { type OutputStream, runStageCommands } from './stage-process.ts';
import type { StageWatchdog } from './stage-watchdog.ts';

export interface ExecuteStageOptions {
  /** The directory the stage's paths are relative to (the workspace, or a worker's scratch copy). */
  ctx: DataContext;
  stage: StageDefinition;
  /** The commands' whole environment. */
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Store every output in the cache (a run-cache entry must restore them all), not only `cache: true` ones. */
  storeAll: boolean;
  onLine?: (stream: OutputStream, line: string) => void;
  /** Told the process group of each command as it starts. */
  onStart?: (pid: number) => void;
  signal?: AbortSignal;
  killGraceMs?: number;
  /** Ends the commands' process groups if this process dies without stopping them (SIGKILL). */
  watchdog?: StageWatchdog;
}

/**
 * Runs a stage's commands in `ctx.root` and saves what they wrote: deletes the outputs first
 * (except persisted ones), runs the commands, checks every declared output exists, then hashes
 * the outputs into the cache.
 */
export async function executeStage(options: ExecuteStageOptions): Promise<StageExecution> {
  const { ctx, stage } = options;
  await clearOutputs(ctx.root, stage);
  const result = await runStageCommands(stage.cmd, {
    cwd: join(ctx.root, stage.wdir),
    env: options.env,
    logFile: options.logFile,
    ...(options.onLine ? { onLine: options.onLine } : {}),
    ...(options.onStart ? { onStart: options.onStart } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.killGraceMs !== undefined ? { killGraceMs: options.killGraceMs } : {}),
    ...(options.watchdog ? { watchdog: options.watchdog } : {}),
  });
  if (result.killed) return { status: 'killed' };
  if (!result.ok) {
    const f = result.failed;
    const how = f?.signal ? `was killed by ${f.signal}` : `exited with code ${f?.exitCode}`;
    const which =
      stage.cmd.length > 1 ? `command ${stage.cmd.indexOf(f?.cmd ?? '') + 1} of ${stage.cmd.length} ` : '';
    return {
      status: 'failed',
      error: `${which || 'command '}${how}${which ? `: ${f?.cmd}` : ''}`,
      tail: result.tail,
    };
  }
  const missing = missingOutputs(ctx.root, stage);
  if (missing.length > 0)
    return {
      status: 'failed',
      error: `${stage.name} did not produce ${missing.join(', ')}`,
      tail: result.tail,
    };
  return { status: 'done', outs: await saveOutputs(ctx, stage, options.storeAll) };
}
