import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Runs a script of test/python with `input` as JSON on stdin and parses the JSON it prints: one
 * Python process per test file, since its start-up costs a second or two.
 */
export function pythonReference<T>(python: string, script: string, input: unknown): Promise<T> {
  const child = spawn(python, [resolve(import.meta.dirname, '../python', script)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(JSON.stringify(input));
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) fail(new Error(`${script} exited ${code}:\n${stderr.slice(-4000)}`));
      else done(JSON.parse(stdout) as T);
    });
  });
}

/** A seeded pseudo-random generator (mulberry32): the same numbers on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
