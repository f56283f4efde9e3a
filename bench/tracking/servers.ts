import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { CAIRN_BIN } from '../support.ts';
import { BenchClient } from './http-client.ts';

/**
 * The two servers under test, each a child process in its own process group (MLflow's uvicorn
 * forks workers) so that stopping it stops all of it. Their output is kept for the "database is
 * locked" check; `mark()` and `since()` cut it into phases.
 */
export interface ServerUnderTest {
  name: string;
  url: string;
  /** The command line, for the record. */
  command: string;
  mark(): number;
  since(mark: number): string;
  /** CPU seconds (user + system) used so far by every process of the server's process group. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

const started = new Set<ChildProcess>();
// If the benchmark dies, its servers must not outlive it. They run in process groups of their
// own, so a Ctrl-C in the terminal does not reach them: stop them on the benchmark's signals too.
process.on('exit', () => {
  for (const child of started) killGroup(child, 'SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    process.stderr.write(`bench:tracking: ${signal}, stopping the servers\n`);
    process.exit(130);
  });

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {}
}

function launch(name: string, cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, detached: true });
  started.add(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exit = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  void exit.then(() => started.delete(child));
  const stop = async () => {
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 15_000);
    await exit;
    clearTimeout(timer);
    // Workers that outlived their parent (the group id stays theirs).
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }
  };
  return {
    child,
    exit,
    output: () => output,
    stop,
    fail: (why: string) => new Error(`${name}: ${why}\n--- last output ---\n${output.slice(-3000)}`),
  };
}

function groupCpuSeconds(pgid: number | undefined): number {
  if (pgid === undefined) return 0;
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start at state: pid (comm) state ppid pgrp …
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return ticks / 100;
}

async function waitFor(
  what: () => Promise<boolean>,
  timeoutMs: number,
  exit: Promise<void>,
  fail: (why: string) => Error,
) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void exit.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw fail('exited before it was ready');
    if (await what().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw fail(`not ready within ${timeoutMs / 1000} s`);
}

async function healthy(url: string, path: string): Promise<boolean> {
  const client = new BenchClient(url, { sockets: 1, timeoutMs: 2000 });
  try {
    return (await client.raw(path)).status === 200;
  } finally {
    client.close();
  }
}

/** `cairn server --port 0` on the given store; resolves once /healthz answers. */
export async function startCairn(options: {
  store: string;
  artifacts: string;
  cwd: string;
}): Promise<ServerUnderTest> {
  const args = ['server', '--port', '0', '--store', options.store, '--artifacts', options.artifacts];
  const p = launch('cairn server', process.execPath, [CAIRN_BIN, ...args], options.cwd, {});
  let url = '';
  await waitFor(
    async () => {
      url = /Cairn server listening on (http:\/\/\S+)/.exec(p.output())?.[1] ?? '';
      return url !== '' && (await healthy(url, '/healthz'));
    },
    60_000,
    p.exit,
    p.fail,
  );
  return {
    name: 'Cairn',
    url,
    command: `cairn server ${args.join(' ')}`,
    mark: () => p.output().length,
    since: (m) => p.output().slice(m),
    cpuSeconds: () => groupCpuSeconds(p.child.pid),
    stop: p.stop,
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * `mlflow server` with its defaults (uvicorn) and `workers` worker processes; resolves once
 * /health answers and every worker has started. Its background job runner (huey consumers for
 * GenAI jobs, unrelated to tracking) is switched off so that it takes no CPU from the server.
 */
export async function startMlflow(options: {
  mlflow: string;
  store: string;
  artifacts: string;
  workers: number;
  cwd: string;
}): Promise<ServerUnderTest> {
  const port = await freePort();
  const args = [
    'server',
    '--backend-store-uri',
    options.store,
    '--artifacts-destination',
    options.artifacts,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--workers',
    String(options.workers),
  ];
  const p = launch('mlflow server', options.mlflow, args, options.cwd, {
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () =>
      (p.output().match(/Application startup complete/g) ?? []).length >= options.workers &&
      (await healthy(url, '/health')),
    240_000,
    p.exit,
    p.fail,
  );
  return {
    name: 'MLflow',
    url,
    command: `MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false mlflow ${args.join(' ').replace(/:\/\/[^@/]*@/, '://…@')}`,
    mark: () => p.output().length,
    since: (m) => p.output().slice(m),
    cpuSeconds: () => groupCpuSeconds(p.child.pid),
    stop: p.stop,
  };
}
