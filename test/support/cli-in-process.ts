import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import type { CliRun } from './cli.ts';
import { cleanEnv } from './cli.ts';

function sink(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/**
 * Runs `cairn …` in this process (the same command tree, error handling and exit codes as the
 * binary, without a process start per case): for the many bad-input cases of a command.
 */
export async function cairnInProcess(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CliRun> {
  const out = sink();
  const err = sink();
  const code = await main(args, {
    stdout: out.stream,
    stderr: err.stream,
    env: cleanEnv(options.env),
    cwd: options.cwd,
  });
  return { code, stdout: out.text(), stderr: err.text() };
}
