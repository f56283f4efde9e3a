import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRunBody, finishRunBody, logBatchBody, type RunSpec } from './workload-data.ts';

const SEEDER = fileURLToPath(new URL('mlflow_seed.py', import.meta.url));

/**
 * Writes runs straight into MLflow's database (bench/tracking/mlflow_seed.py), with the same
 * bodies the HTTP workloads send: set-up for the search workload that would take MLflow many
 * minutes over HTTP. Resolves to the time it took.
 */
export async function writeIntoMlflow(options: {
  python: string;
  storeUri: string;
  experimentId: string;
  specs: readonly RunSpec[];
  dir: string;
}): Promise<number> {
  const file = join(options.dir, 'mlflow-seed.json');
  writeFileSync(
    file,
    JSON.stringify({
      uri: options.storeUri,
      experiment_id: options.experimentId,
      runs: options.specs.map((spec) => ({
        create: createRunBody(options.experimentId, spec),
        batch: logBatchBody('', spec),
        finish: spec.full ? finishRunBody('', spec) : null,
      })),
    }),
  );
  const start = performance.now();
  const child = spawn(options.python, [SEEDER, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  if (code !== 0 || Number(out.trim().split('\n').pop()) !== options.specs.length)
    throw new Error(
      `writing ${options.specs.length} runs into MLflow's database failed (exit ${code}): ${out.slice(-2000)}`,
    );
  return performance.now() - start;
}
