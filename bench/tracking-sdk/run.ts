/**
 * `npm run bench:sdk`: metric logging through Cairn's TypeScript SDK into a local SQLite store,
 * side by side with MLflow's Python client into its own SQLite backend (the tool users would
 * pick instead), on the same number of points. Prints a Markdown table; the numbers belong in
 * docs/benchmarks.md.
 *
 * Each repetition uses a fresh database and a fresh run, and times the training loop's view of
 * logging: from the first log call until every point is in the database.
 *  1. one metric, 100,000 steps: `logMetric(key, v, { step })` in a loop, then `flush()`;
 *  2. ten metrics, 10,000 steps: `logMetrics({ … }, { step })`, then `flush()`;
 *  MLflow: `mlflow.log_metric(..., synchronous=False)` in a loop then `flush_async_logging()`
 *  (its batched asynchronous path: tens of points per second here, so it logs BENCH_MLFLOW_ASYNC_POINTS,
 *  default 2,000, and the table compares throughput), and `MlflowClient.log_batch` in chunks of
 *  1,000 (its fastest path) with the full count.
 *
 * Settings (env): BENCH_POINTS (100000), BENCH_REPEAT (5), BENCH_MLFLOW_REPEAT (1),
 * BENCH_MLFLOW_ASYNC_POINTS (2000), BENCH_PYTHON (a python with mlflow;
 * default: the project's .venv or $CAIRN_TEST_PYTHON), BENCH_MLFLOW=0 to skip MLflow.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tracking } from '../../src/sdk/tracking.ts';
import { fmtMs, machine, median } from '../support.ts';

const POINTS = Number(process.env.BENCH_POINTS ?? 100_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const MLFLOW_REPEAT = Number(process.env.BENCH_MLFLOW_REPEAT ?? 1);
const MLFLOW_ASYNC_POINTS = Number(process.env.BENCH_MLFLOW_ASYNC_POINTS ?? 2000);
const root = mkdtempSync(join(tmpdir(), 'cairn-bench-sdk-'));

interface Sample {
  /** Time spent in the log calls themselves (what the training loop waits for). */
  calls: number;
  /** From the first call until every point is stored. */
  total: number;
}

async function cairnRound(round: number, metrics: number): Promise<Sample> {
  const uri = `sqlite://${join(root, `cairn-${metrics}-${round}.db`)}`;
  const tracking = await Tracking.connect({ uri, env: {}, cwd: root });
  await tracking.startRun({ experiment: 'bench' });
  const steps = POINTS / metrics;
  const keys = Array.from({ length: metrics }, (_, i) => `metric_${i}`);
  const start = performance.now();
  if (metrics === 1)
    for (let step = 0; step < steps; step++) tracking.logMetric('loss', 1 / (step + 1), { step });
  else
    for (let step = 0; step < steps; step++) {
      const values: Record<string, number> = {};
      for (const k of keys) values[k] = step / steps;
      tracking.logMetrics(values, { step });
    }
  const calls = performance.now() - start;
  await tracking.flush();
  const total = performance.now() - start;
  const run = tracking.activeRun();
  const stored = (
    await tracking.store.getMetricHistory(run?.run_id as string, metrics === 1 ? 'loss' : 'metric_0')
  ).items.length;
  if (stored !== steps) throw new Error(`expected ${steps} points, found ${stored}`);
  await tracking.close();
  return { calls, total };
}

function findPython(): string | undefined {
  if (process.env.BENCH_MLFLOW === '0') return undefined;
  if (process.env.BENCH_PYTHON) return process.env.BENCH_PYTHON;
  const candidates = [
    process.env.CAIRN_TEST_PYTHON ?? '',
    fileURLToPath(new URL('../../.venv/bin/python', import.meta.url)),
  ];
  return candidates.find(
    (c) =>
      c !== '' && existsSync(c) && spawnSync(c, ['-c', 'import mlflow'], { stdio: 'ignore' }).status === 0,
  );
}

const MLFLOW_SCRIPT = `
import json, os, sys, time
import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric
mode, db, points = sys.argv[1], sys.argv[2], int(sys.argv[3])
mlflow.set_tracking_uri("sqlite:///" + db)
mlflow.set_experiment("bench")
with mlflow.start_run() as run:
    start = time.perf_counter()
    if mode == "async":
        for step in range(points):
            mlflow.log_metric("loss", 1 / (step + 1), step=step, synchronous=False)
        calls = time.perf_counter() - start
        mlflow.flush_async_logging()
    else:
        client = MlflowClient()
        ts = int(time.time() * 1000)
        for i in range(0, points, 1000):
            client.log_batch(run.info.run_id, metrics=[Metric("loss", 1 / (s + 1), ts, s) for s in range(i, min(points, i + 1000))])
        calls = time.perf_counter() - start
    total = time.perf_counter() - start
    n = len(MlflowClient().get_metric_history(run.info.run_id, "loss"))
    assert n == points, n
print(json.dumps({"calls": calls * 1000, "total": total * 1000, "version": mlflow.__version__}))
`;

function mlflowRound(
  python: string,
  mode: 'async' | 'batch',
  round: number,
  points: number,
): Sample & { version: string } {
  process.stderr.write(`MLflow ${mode}, round ${round + 1}/${MLFLOW_REPEAT}…\n`);
  const script = join(root, 'mlflow_bench.py');
  writeFileSync(script, MLFLOW_SCRIPT);
  const r = spawnSync(python, [script, mode, join(root, `mlflow-${mode}-${round}.db`), String(points)], {
    encoding: 'utf8',
    env: { ...process.env, MLFLOW_ENABLE_ASYNC_LOGGING: 'false', PYTHONWARNINGS: 'ignore' },
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`mlflow ${mode} failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as Sample & { version: string };
}

try {
  const rows: string[][] = [];
  const rate = (points: number, ms: number) =>
    `${Math.round(points / (ms / 1000)).toLocaleString('en-US')} points/s`;
  const add = (what: string, samples: Sample[], points = POINTS) => {
    const calls = median(samples.map((s) => s.calls));
    const total = median(samples.map((s) => s.total));
    rows.push([what, fmtMs(calls), fmtMs(total), rate(points, total)]);
    process.stderr.write(`${what}: ${fmtMs(total)}\n`);
  };
  for (const metrics of [1, 10]) {
    const samples: Sample[] = [];
    for (let r = 0; r < REPEAT; r++) samples.push(await cairnRound(r, metrics));
    add(
      metrics === 1
        ? `Cairn SDK: logMetric × ${POINTS.toLocaleString('en-US')}, flush`
        : `Cairn SDK: logMetrics (10 keys) × ${(POINTS / 10).toLocaleString('en-US')}, flush`,
      samples,
    );
  }
  const python = findPython();
  let version = '';
  if (python) {
    for (const mode of ['batch', 'async'] as const) {
      const points = mode === 'async' ? MLFLOW_ASYNC_POINTS : POINTS;
      const samples = Array.from({ length: MLFLOW_REPEAT }, (_, r) => mlflowRound(python, mode, r, points));
      version = samples[0]?.version ?? '';
      add(
        mode === 'async'
          ? `MLflow ${version}: log_metric(synchronous=False) × ${points.toLocaleString('en-US')}, flush_async_logging`
          : `MLflow ${version}: MlflowClient.log_batch × ${(points / 1000).toLocaleString('en-US')} (1,000 each)`,
        samples,
        points,
      );
    }
  }
  const table = [
    `Metric points into a local SQLite store (${POINTS.toLocaleString('en-US')} unless the row says otherwise); median of ${REPEAT} runs (MLflow: ${MLFLOW_REPEAT}), ${new Date().toISOString().slice(0, 10)}, ${machine()}${python ? '' : process.env.BENCH_MLFLOW === '0' ? '; MLflow skipped (BENCH_MLFLOW=0)' : '; MLflow not installed (scripts/services/python-venv.sh)'}.`,
    '',
    '| what | in the log calls | until stored | throughput |',
    '| --- | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
  console.log(table);
} finally {
  rmSync(root, { recursive: true, force: true });
}
