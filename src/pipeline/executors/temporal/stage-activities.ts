import { appendFileSync, existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { DataContext, OpenedRemote } from '../../../data/data-context.ts';
import { objectKey } from '../../../data/object-key.ts';
import { sha256File } from '../../../kernel/hashing.ts';
import type { LockedPath, StageDefinition } from '../../pipeline-types.ts';
import { executeStage } from '../../run/execute-stage.ts';
import { formatEntry, getRemoteEntry, runCacheBlobKey } from '../../run/run-cache.ts';
import { fetchOutputObjects, pushPathObjects } from '../../run/run-cache-transfer.ts';
import { placeOutputs } from '../../run/stage-outputs.ts';
import type { OutputStream } from '../../run/stage-process.ts';
import type { RemoteLocation, StageActivities, StageProgress, StageResult, StageTask } from './stage-task.ts';

/** What a worker process gives the stage activity. */
export interface StageWorkerHost {
  /** This worker's name, in results, logs and the commands' CAIRN_WORKER. */
  identity: string;
  /** Where each stage gets a scratch workspace of its own. */
  scratchRoot: string;
  /** The environment commands start from (the worker's own). */
  env: NodeJS.ProcessEnv;
  /** Opens (once) the remote a task names, with this worker's credentials. */
  remote(location: RemoteLocation): Promise<OpenedRemote>;
  /** A data context rooted at a scratch workspace, sharing the worker's object cache. */
  scratch(root: string): Promise<{ ctx: DataContext; close(): Promise<void> }>;
  /** How long stopped stages get between SIGTERM and SIGKILL (default 3 s). */
  killGraceMs?: number;
  /** Told as each stage starts and ends on this worker. */
  onStage?(event: WorkerStageEvent): void;
}

export interface WorkerStageEvent {
  stage: string;
  runId: string;
  attempt: number;
  state: 'running' | 'done' | 'reused' | 'failed' | 'stopped';
  durationMs?: number;
  error?: string;
}

/** Lines of output a heartbeat carries at most, and characters per line. */
const PROGRESS_LINES = 50;
const LINE_CHARS = 1000;
/** A scratch workspace records its commands' process groups here, for clean-up after a crash. */
const PIDS_FILE = 'pids';

/**
 * The `runStage` activity: runs one stage in a scratch workspace built from its inputs' hashes,
 * pushes its outputs to the remote content-addressed, and writes its run-cache entry last, so a
 * retry after a lost worker finds either nothing or everything. A stage whose entry is on the
 * remote already is not run again.
 */
export function stageActivities(host: StageWorkerHost): StageActivities {
  return {
    async runStage(task: StageTask): Promise<StageResult> {
      const activity = Context.current();
      const started = Date.now();
      const ids = { stage: task.stage, runId: task.runId, attempt: activity.info.attempt };
      const progress = heartbeats(activity, task.stage);
      host.onStage?.({ ...ids, state: 'running' });
      const dir = await mkdtemp(join(host.scratchRoot, `${task.stage.replace(/[^\w.@-]/g, '_')}-`));
      let scratch: { ctx: DataContext; close(): Promise<void> } | undefined;
      const ended = (state: WorkerStageEvent['state'], error?: string) =>
        host.onStage?.({ ...ids, state, durationMs: Date.now() - started, ...(error ? { error } : {}) });
      try {
        const remote = await host.remote(task.remote);
        if (task.key && task.useRunCache) {
          const entry = await getRemoteEntry(remote.store, task.key);
          const declared = new Set(task.outs.map((o) => o.path));
          if (entry && entry.outs.length === declared.size && entry.outs.every((o) => declared.has(o.path))) {
            ended('reused');
            return { status: 'done', outs: entry.outs.map(lockedPath), worker: host.identity };
          }
        }
        const root = join(dir, 'workspace');
        await mkdir(root);
        scratch = await host.scratch(root);
        const { ctx } = scratch;
        const missing = await fetchOutputObjects(ctx, remote, task.inputs);
        if (missing) {
          const error = `the inputs of ${task.stage} cannot be fetched: ${missing}`;
          ended('failed', error);
          return { status: 'failed', error, worker: host.identity };
        }
        await placeOutputs(ctx, parentsFirst(task.inputs));
        for (const path of task.executable) await chmod(join(root, path), 0o755);
        await mkdir(join(root, task.wdir), { recursive: true });
        progress.phase('running');
        const logFile = join(dir, 'stage.log');
        const execution = await executeStage({
          ctx,
          stage: stageOf(task),
          env: { ...host.env, ...task.env, CAIRN_WORKSPACE: root, CAIRN_WORKER: host.identity },
          logFile,
          storeAll: true,
          onLine: progress.line,
          onStart: (pid) => appendFileSync(join(dir, PIDS_FILE), `${pid}\n`),
          signal: activity.cancellationSignal,
          ...(host.killGraceMs !== undefined ? { killGraceMs: host.killGraceMs } : {}),
        });
        if (execution.status === 'killed') {
          ended('stopped');
          throw stopped(activity, task, host.identity);
        }
        progress.phase('pushing');
        const log = await pushLog(remote, logFile);
        if (execution.status === 'failed') {
          ended('failed', execution.error);
          return {
            status: 'failed',
            error: execution.error,
            ...(execution.tail ? { tail: execution.tail } : {}),
            ...(log ? { log } : {}),
            worker: host.identity,
          };
        }
        const outs = task.outs.flatMap((o) => {
          const saved = execution.outs.get(o.path);
          return saved ? [{ ...lockedPath(saved), cache: o.cache }] : [];
        });
        await pushPathObjects(ctx, remote, outs);
        if (task.key) {
          const entry = {
            schema: 1 as const,
            stage: task.stage,
            outs,
            created: new Date().toISOString(),
            run_id: task.runId,
          };
          await remote.store.put(runCacheBlobKey(task.key), { bytes: Buffer.from(formatEntry(entry)) });
        }
        ended('done');
        return { status: 'done', outs: outs.map(lockedPath), ...(log ? { log } : {}), worker: host.identity };
      } finally {
        progress.stop();
        await scratch?.close().catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Removes the scratch workspaces a crashed worker left behind, first stopping the process groups
 * their commands started (only groups whose processes still work inside that scratch directory).
 */
export async function cleanScratch(scratchRoot: string): Promise<number> {
  await mkdir(scratchRoot, { recursive: true });
  const left = readdirSync(scratchRoot);
  for (const name of left) {
    const dir = join(scratchRoot, name);
    const pids = existsSync(join(dir, PIDS_FILE))
      ? readFileSync(join(dir, PIDS_FILE), 'utf8').split('\n').filter(Boolean).map(Number)
      : [];
    for (const pid of pids) if (worksIn(pid, dir)) signalGroup(pid);
    await rm(dir, { recursive: true, force: true });
  }
  return left.length;
}

function worksIn(pid: number, dir: string): boolean {
  try {
    return realpathSync(`/proc/${pid}/cwd`).startsWith(realpathSync(dir));
  } catch {
    return false;
  }
}

function signalGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

/**
 * The error a stopped stage ends with: a cancelled run's own cancellation; otherwise (this worker
 * is shutting down, or the service gave the stage to another worker) a retryable failure.
 */
function stopped(activity: Context, task: StageTask, identity: string): Error {
  const reason = activity.cancellationSignal.reason as Error | undefined;
  if (reason?.message === 'CANCELLED') return reason;
  return ApplicationFailure.retryable(
    `worker ${identity} stopped ${task.stage} (${reason?.message ?? 'stopped'}); it runs again on another worker`,
    'WorkerStopped',
  );
}

/** Sends heartbeats at a steady pace with the stage's phase and latest output lines. */
function heartbeats(activity: Context, stage: string) {
  const progress: StageProgress = { stage, phase: 'fetching', seq: 0, lines: [] };
  const beat = () => activity.heartbeat({ ...progress, lines: [...progress.lines] });
  const every = Math.max(200, Math.min(1000, (activity.info.heartbeatTimeoutMs ?? 30_000) / 3));
  const timer = setInterval(beat, every);
  beat();
  return {
    phase(phase: StageProgress['phase']) {
      progress.phase = phase;
      beat();
    },
    line(stream: OutputStream, line: string) {
      progress.seq++;
      progress.lines.push({ stream, line: line.slice(0, LINE_CHARS) });
      if (progress.lines.length > PROGRESS_LINES) progress.lines.shift();
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/** The log goes to the remote as an object too: the client attaches it to the tracked run. */
async function pushLog(remote: OpenedRemote, logFile: string): Promise<`sha256:${string}` | undefined> {
  if (!existsSync(logFile)) return undefined;
  const digest = await sha256File(logFile);
  if (!(await remote.store.has(objectKey(digest))))
    await remote.store.put(objectKey(digest), { file: logFile });
  return digest;
}

/** The stage as the scratch workspace runs it: its inputs are in place, its outputs are to come. */
function stageOf(task: StageTask): StageDefinition {
  return {
    name: task.stage,
    cmd: task.cmd,
    wdir: task.wdir,
    deps: task.inputs.map((i) => i.path),
    params: [],
    outs: task.outs,
    metrics: [],
    plots: [],
    env: task.env,
    source: { file: 'cairn.yaml', line: 0 },
  };
}

/** Directories before what is inside them: placing a directory replaces its whole content. */
function parentsFirst(paths: readonly LockedPath[]): LockedPath[] {
  return [...paths].sort((a, b) => a.path.split('/').length - b.path.split('/').length);
}

function lockedPath(o: LockedPath): LockedPath {
  return { path: o.path, hash: o.hash, size: o.size, ...(o.files !== undefined ? { files: o.files } : {}) };
}
