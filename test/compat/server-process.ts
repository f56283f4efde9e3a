import type { ChildProcess } from 'node:child_process';
import { startCairn } from '../support/cli.ts';

/** A `cairn server` process started by a test. */
export interface RunningServer {
  child: ChildProcess;
  /** `http://host:port` from its "listening" line. */
  url: string;
  line: string;
  stderr(): string;
  exit: Promise<number | null>;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
}

/** Starts `cairn server --port 0 …` as a user would and waits for its "listening" line. */
export async function startServerProcess(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<RunningServer> {
  const child = startCairn(['server', '--port', '0', ...args], options);
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cairn server printed no listening line in 30 s; stderr: ${err}`));
    }, 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const found = /^Cairn server listening on .*$/m.exec(out);
      if (found) {
        clearTimeout(timer);
        resolve(found[0]);
      }
    });
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`cairn server exited ${code} before listening: ${err}`));
    });
  });
  const url = /listening on (http:\/\/\S+)/.exec(line)?.[1] as string;
  return {
    child,
    url,
    line,
    stderr: () => err,
    exit,
    stop: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exit;
    },
  };
}
