import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { GATED_COMMAND_SCRIPT, type StageWatchdog } from './stage-watchdog.ts';

export const OUTPUT_STREAMS = ['stdout', 'stderr'] as const;
export type OutputStream = (typeof OUTPUT_STREAMS)[number];

export interface StageProcessOptions {
  /** Directory the commands run in. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Every byte of stdout and stderr is appended here, each command after a `$ cmd` line. */
  logFile: string;
  onLine?: (stream: OutputStream, line: string) => void;
  /** Told the pid of each command as it starts: the id of its process group. */
  onStart?: (pid: number) => void;
  /** Aborting stops the running command's whole process group. */
  signal?: AbortSignal;
  /** How long a process group has after SIGTERM before SIGKILL (default 3 s). */
  killGraceMs?: number;
  /** Lines of output kept for error messages (default 20). */
  tailLines?: number;
  /** Kills the commands' process groups if `cairn run` dies without stopping them (SIGKILL). */
  watchdog?: StageWatchdog;
}

export interface StageProcessResult {
  ok: boolean;
  /** Set when stopped through the abort signal. */
  killed: boolean;
  /** The command that failed, its exit code or the signal that ended it. */
  failed?: { cmd: string; exitCode: number | null; signal: NodeJS.Signals | null };
  /** The last lines written to stderr (or to stdout when stderr was empty). */
  tail: string[];
}

/**
 * Runs a stage's commands in order with `sh -c`, each in its own process group (`detached`), so
 * stopping the stage reaches every process it started, grandchildren included. The first command
 * that fails ends the stage.
 */
export async function runStageCommands(
  cmds: readonly string[],
  options: StageProcessOptions,
): Promise<StageProcessResult> {
  await mkdir(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  // A log that cannot be written (disk full) must not bring the run down; the output still flows.
  log.on('error', () => undefined);
  const tail = { stdout: [] as string[], stderr: [] as string[] };
  try {
    for (const cmd of cmds) {
      if (options.signal?.aborted) return { ok: false, killed: true, tail: tailOf(tail) };
      log.write(`$ ${cmd}\n`);
      const r = await runOne(cmd, options, log, tail);
      if (r.killed) return { ok: false, killed: true, tail: tailOf(tail) };
      if (r.exitCode !== 0)
        return {
          ok: false,
          killed: false,
          failed: { cmd, exitCode: r.exitCode, signal: r.signal },
          tail: tailOf(tail),
        };
    }
    return { ok: true, killed: false, tail: tailOf(tail) };
  } finally {
    await new Promise<void>((resolve) => log.end(resolve));
  }
}

function tailOf(tail: { stdout: string[]; stderr: string[] }): string[] {
  return tail.stderr.length > 0 ? tail.stderr : tail.stdout;
}

async function runOne(
  cmd: string,
  options: StageProcessOptions,
  log: WriteStream,
  tail: { stdout: string[]; stderr: string[] },
): Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; killed: boolean }> {
  const watchdog = options.watchdog;
  const child = spawn('sh', watchdog ? ['-c', GATED_COMMAND_SCRIPT, 'sh', cmd] : ['-c', cmd], {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: [watchdog ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (err) => {
      log.write(`cairn: cannot start sh: ${err.message}\n`);
      resolve({ exitCode: 127, signal: null });
    });
    child.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
  });
  if (child.pid !== undefined) options.onStart?.(child.pid);
  const keep = options.tailLines ?? 20;
  for (const stream of OUTPUT_STREAMS) {
    let partial = '';
    child[stream]?.on('data', (chunk: Buffer) => {
      log.write(chunk);
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) emit(stream, line);
    });
    child[stream]?.on('end', () => {
      if (partial !== '') emit(stream, partial);
      partial = '';
    });
  }
  function emit(stream: OutputStream, raw: string): void {
    // A progress bar redraws with \r: only what is visible last counts.
    const line = raw.slice(raw.lastIndexOf('\r') + 1);
    const kept = tail[stream];
    kept.push(line);
    if (kept.length > keep) kept.shift();
    options.onLine?.(stream, line);
  }

  let killed = false;
  const onAbort = () => {
    killed = true;
    void stopGroup(child, options.killGraceMs ?? 3000);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (watchdog && child.pid !== undefined && child.stdin) {
      // The command starts only once the watchdog holds its group (see GATED_COMMAND_SCRIPT).
      child.stdin.on('error', () => undefined);
      await watchdog.guard(child.pid);
      child.stdin.end('go\n');
    }
    const exit = await exited;
    await settleOutput(child);
    if (killed) await groupGone(child.pid, (options.killGraceMs ?? 3000) + 2000);
    return { ...exit, killed };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (watchdog && child.pid !== undefined) watchdog.release(child.pid);
  }
}

/** Waits for the output pipes to close; a background process that keeps them open is cut off. */
async function settleOutput(child: ChildProcess): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    if (child.stdout?.closed !== false && child.stderr?.closed !== false) resolve();
    child.once('close', () => resolve());
  });
  const timer = new Promise<void>((resolve) => setTimeout(resolve, 2000).unref());
  await Promise.race([closed, timer]);
  child.stdout?.destroy();
  child.stderr?.destroy();
}

/** SIGTERM to the process group, then SIGKILL if anything in it is still alive after the grace period. */
async function stopGroup(child: ChildProcess, graceMs: number): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  signalGroup(pid, 'SIGTERM');
  if (await groupGone(pid, graceMs)) return;
  signalGroup(pid, 'SIGKILL');
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

/** Polls until no process of the group is left, or the time is up. */
async function groupGone(pid: number | undefined, withinMs: number): Promise<boolean> {
  if (pid === undefined) return true;
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      process.kill(-pid, 0);
    } catch {
      return true;
    }
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
