import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CAIRN_BIN = fileURLToPath(new URL('../bin/cairn.js', import.meta.url));

export interface Timed {
  ms: number;
  stdout: string;
}

/** Runs a command to completion and returns its wall time; throws with its stderr when it fails. */
export function timed(
  cmd: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Timed {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.error ?? ''}`);
  return { ms, stdout: r.stdout };
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** One line describing the machine, for the record next to the numbers. */
export function machine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const fs =
    spawnSync('df', ['-T', '/tmp'], { encoding: 'utf8' }).stdout.split('\n')[1]?.split(/\s+/)[1] ?? '?';
  return `${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, /tmp on ${fs}, Node ${process.version}`;
}

/**
 * Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` in a markdown file,
 * then formats the file as `npm run lint` expects (aligned table columns).
 */
export function replaceSection(path: string, name: string, body: string): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const text = readFileSync(path, 'utf8');
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  const next =
    i >= 0 && j > i
      ? `${text.slice(0, i + start.length)}\n${body}\n${text.slice(j)}`
      : `${text.trimEnd()}\n\n${start}\n${body}\n${end}\n`;
  writeFileSync(path, next);
  const biome = fileURLToPath(new URL('../node_modules/.bin/biome', import.meta.url));
  const r = spawnSync(biome, ['format', '--write', path], { encoding: 'utf8' });
  if (r.status !== 0) process.stderr.write(`could not format ${path}: ${r.stderr || r.error}\n`);
}

export function fmtMs(ms: number): string {
  return ms >= 10_000
    ? `${(ms / 1000).toFixed(1)} s`
    : ms >= 1000
      ? `${(ms / 1000).toFixed(2)} s`
      : `${Math.round(ms)} ms`;
}

/** Git identity for commits the benchmarks make, and DVC without its usage reporting. */
export const BENCH_ENV = {
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'b@example.com',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'b@example.com',
  DVC_NO_ANALYTICS: '1',
};

/** The `dvc` to compare with: BENCH_DVC, beside $CAIRN_TEST_PYTHON, or the project's .venv. */
export function findDvc(): string | undefined {
  if (process.env.BENCH_DVC) return process.env.BENCH_DVC;
  const py = process.env.CAIRN_TEST_PYTHON;
  const candidates = [
    py ? join(dirname(py), 'dvc') : '',
    fileURLToPath(new URL('../.venv/bin/dvc', import.meta.url)),
  ];
  return candidates.find((c) => c !== '' && existsSync(c));
}
