/**
 * `npm run bench:train`: Cairn's built-in trainers on UCI Adult (target `income`; a stratified
 * 80/20 split with a fixed seed) side by side with scikit-learn's LogisticRegression and
 * HistGradientBoostingClassifier and with LightGBM (the GBDT speed reference), in one run on the
 * same split. Every test ROC AUC is computed by scikit-learn. Prints Markdown tables and writes
 * them into docs/benchmarks.md.
 *
 * Measured, each side with its defaults (Cairn, one thread on this data: learning rate 0.1, 100 iterations, 31 leaves,
 * 20 rows per leaf, 255 bins, early stopping on 10% of the training rows — scikit-learn's
 * defaults for this data size; LightGBM: 100 trees, no early stopping):
 *  - training time: the fit on data already in memory (median of BENCH_REPEAT); for Cairn also
 *    the whole `cairn train` command (start-up, DuckDB read, fit, ONNX export, metrics, package);
 *  - single-row inference latency (p50, p99 of 2,000 calls after warm-up) and batch throughput
 *    (the whole test set per call): Cairn through onnxruntime-node, the peers' predict_proba;
 *  - Cairn's peak resident memory while training.
 *
 * Settings (env): BENCH_REPEAT (3), BENCH_PYTHON (a python with scikit-learn and LightGBM;
 * default $CAIRN_TEST_PYTHON, then /work/main/.venv), BENCH_DOCS=0 to leave docs/benchmarks.md alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeOnnxModel } from '../../src/ml/onnx/onnx-codec.ts';
import { OnnxRuntime } from '../../src/ml/runtime/onnx-runtime.ts';
import { readTable } from '../../src/ml/table/read-table.ts';
import { type Table, takeRows } from '../../src/ml/table/table.ts';
import { fitFeatures } from '../../src/ml/train/features/fit-features.ts';
import { fitModel } from '../../src/ml/train/fit-model.ts';
import { splitRows } from '../../src/ml/train/split-rows.ts';
import { trainModel } from '../../src/ml/train/train-model.ts';
import { resolveParams, type TrainModel } from '../../src/ml/train/train-params.ts';
import { loadTrainingData } from '../../src/ml/train/training-data.ts';
import { CAIRN_BIN, fmtMs, machine, median, replaceSection, timed } from '../support.ts';

const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const SEED = 42;
const SINGLE_CALLS = 2000;
const ADULT = fileURLToPath(new URL('../../../shared/data/uci-adult/adult.data', import.meta.url));
const COLUMNS =
  'age,workclass,fnlwgt,education,education_num,marital_status,occupation,relationship,race,sex,capital_gain,capital_loss,hours_per_week,native_country,income';
const root = mkdtempSync(join(tmpdir(), 'cairn-bench-train-'));

function python(): string {
  const candidates = [process.env.BENCH_PYTHON, process.env.CAIRN_TEST_PYTHON, '/work/main/.venv/bin/python'];
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) throw new Error('no python with scikit-learn and LightGBM: set BENCH_PYTHON');
  return found;
}

/** UCI Adult with a header, `?` as a missing value, split 80/20 stratified by income. */
async function prepare(): Promise<{ train: string; test: string }> {
  const lines = readFileSync(ADULT, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) =>
      l
        .split(', ')
        .map((f) => (f === '?' ? '' : f))
        .join(','),
    );
  const all = join(root, 'adult.csv');
  writeFileSync(all, `${COLUMNS}\n${lines.join('\n')}\n`);
  const positive = Int32Array.from(lines, (l) => (l.endsWith('>50K') ? 1 : 0));
  const split = splitRows(lines.length, 0.2, SEED, positive);
  const write = (name: string, rows: Int32Array) => {
    const path = join(root, name);
    writeFileSync(path, `${COLUMNS}\n${Array.from(rows, (i) => lines[i]).join('\n')}\n`);
    return path;
  };
  return { train: write('train.csv', split.train), test: write('test.csv', split.valid) };
}

interface CairnResult {
  fitMs: number[];
  cpuMs: number[];
  trees?: number;
  commandMs: number;
  singleMs: number[];
  batchRowsPerS: number;
  positive: number[];
}

/** The fit on data in memory, REPEAT times (median reported). */
async function cairnFit(
  model: TrainModel,
  train: string,
  given: Record<string, unknown>,
): Promise<{ fitMs: number[]; cpuMs: number[]; trees?: number }> {
  const data = await loadTrainingData(train, 'income', 'classification', { warn: () => undefined });
  const params = resolveParams(model, given);
  const fitMs: number[] = [];
  const cpuMs: number[] = [];
  let trees: number | undefined;
  for (let r = 0; r < REPEAT; r++) {
    const start = performance.now();
    const cpu = process.cpuUsage();
    const split = splitRows(data.table.rows, 0.1, SEED, data.classIndex);
    const specs = fitFeatures(data.table, data.features, data.sourceTypes, split.train, {
      maxCategories: 100,
    });
    const fitted = await fitModel({
      model,
      table: data.table,
      specs,
      train: split.train,
      valid: split.valid,
      classes: data.classes as (string | number)[],
      classIndex: data.classIndex as Int32Array,
      params,
      seed: SEED,
    });
    encodeOnnxModel(fitted.exported.model);
    fitMs.push(performance.now() - start);
    const used = process.cpuUsage(cpu);
    cpuMs.push((used.user + used.system) / 1000);
    trees = fitted.info.trees;
  }
  return { fitMs, cpuMs, ...(trees !== undefined ? { trees } : {}) };
}

async function cairnSide(model: TrainModel, train: string, test: Table): Promise<CairnResult> {
  const { fitMs, cpuMs, trees } = await cairnFit(model, train, {});
  const out = join(root, `cairn-${model}`);
  const command = timed(
    process.execPath,
    [
      CAIRN_BIN,
      'train',
      '--data',
      train,
      '--target',
      'income',
      '--task',
      'classification',
      '--model',
      model,
      '--seed',
      String(SEED),
      '--valid-fraction',
      '0.1',
      '--out',
      out,
    ],
    { cwd: root },
  );
  const runtime = await OnnxRuntime.open(out);
  try {
    const prediction = await runtime.predict(test);
    const batches: number[] = [];
    for (let r = 0; r < 5; r++) {
      const start = performance.now();
      await runtime.run(test);
      batches.push(performance.now() - start);
    }
    const rows = Array.from({ length: 200 }, (_, i) => takeRows(test, Int32Array.of(i)));
    for (let i = 0; i < 200; i++) await runtime.run(rows[i % rows.length] as Table);
    const singleMs: number[] = [];
    for (let i = 0; i < SINGLE_CALLS; i++) {
      const start = performance.now();
      await runtime.run(rows[i % rows.length] as Table);
      singleMs.push(performance.now() - start);
    }
    return {
      fitMs,
      cpuMs,
      ...(trees !== undefined ? { trees } : {}),
      commandMs: command.ms,
      singleMs,
      batchRowsPerS: test.rows / (median(batches) / 1000),
      positive: Array.from(prediction.probabilities?.[1] as Float64Array),
    };
  } finally {
    await runtime.close();
  }
}

function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

interface Peer {
  fit_s: number[];
  cpu_s: number[];
  auc: number;
  trees?: number;
  single_ms: number[];
  batch_rows_per_s: number;
}

async function main(): Promise<void> {
  const { train, test } = await prepare();
  const testTable = (await readTable(test)).table;
  const logistic = await cairnSide('logistic', train, testTable);
  const gbdt = await cairnSide('gbdt', train, testTable);
  const gbdtTwoThreads = await cairnFit('gbdt', train, { threads: 2 });
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  // A full in-process training for the record of what `train()` costs without process start-up.
  const inProcess = performance.now();
  await trainModel({
    data: train,
    target: 'income',
    task: 'classification',
    model: 'gbdt',
    validFraction: 0.1,
    seed: SEED,
    out: join(root, 'in-process'),
  });
  const inProcessMs = performance.now() - inProcess;

  const cairnJson = join(root, 'cairn.json');
  writeFileSync(cairnJson, JSON.stringify({ logistic: logistic.positive, gbdt: gbdt.positive }));
  const peersScript = fileURLToPath(new URL('peers.py', import.meta.url));
  const py = spawnSync(python(), [peersScript, train, test, cairnJson, String(REPEAT)], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (py.status !== 0) throw new Error(`peers.py failed: ${py.stderr}`);
  const peers = JSON.parse(py.stdout) as {
    versions: { sklearn: string; lightgbm: string };
    sklearn_logistic: Peer;
    sklearn_gbdt: Peer;
    lightgbm: Peer;
    sklearn_gbdt_1: Peer;
    lightgbm_1: Peer;
    cairn_auc: { logistic: number; gbdt: number };
  };

  const fit = (c: { fitMs: number[]; cpuMs: number[] }) =>
    `${fmtMs(median(c.fitMs))} (${fmtMs(median(c.cpuMs))})`;
  const peerFit = (p: Peer) =>
    `${fmtMs(median(p.fit_s.map((s) => s * 1000)))} (${fmtMs(median(p.cpu_s.map((s) => s * 1000)))})`;
  const auc = (v: number) => v.toFixed(4);
  const lat = (ms: number[]) => `${percentile(ms, 50).toFixed(2)} / ${percentile(ms, 99).toFixed(2)} ms`;
  const rps = (v: number) => `${Math.round(v).toLocaleString('en-US')} rows/s`;
  const lines = [
    `Run on ${new Date().toISOString().slice(0, 10)}: ${machine()}; scikit-learn ${peers.versions.sklearn}, LightGBM ${peers.versions.lightgbm}; UCI Adult, ${testTable.rows} test rows; median of ${REPEAT} fits.`,
    '',
    '| model | test ROC AUC (scikit-learn) | training: wall (CPU), data in memory | trees | single-row latency p50 / p99 | batch throughput |',
    '| --- | --- | --- | --- | --- | --- |',
    `| Cairn logistic | ${auc(peers.cairn_auc.logistic)} | ${fit(logistic)} | - | ${lat(logistic.singleMs)} | ${rps(logistic.batchRowsPerS)} |`,
    `| scikit-learn LogisticRegression | ${auc(peers.sklearn_logistic.auc)} | ${peerFit(peers.sklearn_logistic)} | - | ${lat(peers.sklearn_logistic.single_ms)} | ${rps(peers.sklearn_logistic.batch_rows_per_s)} |`,
    `| Cairn gbdt | ${auc(peers.cairn_auc.gbdt)} | ${fit(gbdt)} | ${gbdt.trees ?? '-'} | ${lat(gbdt.singleMs)} | ${rps(gbdt.batchRowsPerS)} |`,
    `| scikit-learn HistGradientBoosting | ${auc(peers.sklearn_gbdt.auc)} | ${peerFit(peers.sklearn_gbdt)} | ${peers.sklearn_gbdt.trees} | ${lat(peers.sklearn_gbdt.single_ms)} | ${rps(peers.sklearn_gbdt.batch_rows_per_s)} |`,
    `| LightGBM | ${auc(peers.lightgbm.auc)} | ${peerFit(peers.lightgbm)} | ${peers.lightgbm.trees} | ${lat(peers.lightgbm.single_ms)} | ${rps(peers.lightgbm.batch_rows_per_s)} |`,
    `| Cairn gbdt, 2 threads | ${auc(peers.cairn_auc.gbdt)} | ${fit(gbdtTwoThreads)} | ${gbdtTwoThreads.trees ?? '-'} | | |`,
    `| scikit-learn HistGradientBoosting, 1 thread | ${auc(peers.sklearn_gbdt_1.auc)} | ${peerFit(peers.sklearn_gbdt_1)} | ${peers.sklearn_gbdt_1.trees} | ${lat(peers.sklearn_gbdt_1.single_ms)} | ${rps(peers.sklearn_gbdt_1.batch_rows_per_s)} |`,
    `| LightGBM, 1 thread | ${auc(peers.lightgbm_1.auc)} | ${peerFit(peers.lightgbm_1)} | ${peers.lightgbm_1.trees} | ${lat(peers.lightgbm_1.single_ms)} | ${rps(peers.lightgbm_1.batch_rows_per_s)} |`,
    '',
    `Cairn's whole \`cairn train\` command (start-up, DuckDB read, fit, ONNX export, metrics through ONNX Runtime, package): logistic ${fmtMs(logistic.commandMs)}, gbdt ${fmtMs(gbdt.commandMs)}; \`train()\` in-process for gbdt ${fmtMs(inProcessMs)}. Peak resident memory of the benchmark process after Cairn's training: ${Math.round(maxRssMb)} MB. Cairn trains on one thread on this data (its default below 100,000 rows) unless marked, and infers through onnxruntime-node (one thread per call); the peers use every core unless marked \`1 thread\`, and infer through their own predict_proba.`,
  ];
  const body = lines.join('\n');
  process.stdout.write(`${body}\n`);
  if (process.env.BENCH_DOCS !== '0')
    replaceSection(fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url)), 'bench:train', body);
  rmSync(root, { recursive: true, force: true });
}

await main();
