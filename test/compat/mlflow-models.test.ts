/**
 * Cairn's models against the Python world, on UCI Adult: the trainers reach scikit-learn's test
 * ROC AUC (computed by scikit-learn), MLflow's pyfunc loads a package registered through
 * `cairn server` as models:/income@champion and predicts exactly what Cairn predicts, Python's
 * ONNX Runtime and ONNX checker accept the graphs, and a scikit-learn pipeline converted by
 * skl2onnx is imported with `cairn model import` and answers as scikit-learn does.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { OnnxRuntime } from '../../src/ml/runtime/onnx-runtime.ts';
import { readTable } from '../../src/ml/table/read-table.ts';
import { findColumn, takeRows } from '../../src/ml/table/table.ts';
import { splitRows } from '../../src/ml/train/split-rows.ts';
import { type TrainModelResult, trainModel } from '../../src/ml/train/train-model.ts';
import { cairn, cairnJson, newWorkspace } from '../support/cli.ts';
import { ADULT_COLUMNS, adultCsv, adultGate } from '../support/ml-data.ts';
import { pythonGate } from '../support/services.ts';
import { type RunningServer, startServerProcess } from './server-process.ts';

const python = pythonGate();
const adult = adultGate();
const SCRIPTS = fileURLToPath(new URL('../python/', import.meta.url));
const TEST_ROWS = 2000;

function runPython(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Record<string, unknown>> {
  const child = spawn(python.value as string, args, {
    env: { ...process.env, ...env, GIT_PYTHON_REFRESH: 'quiet' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${args[0]} exited ${code}:\n${stderr.slice(-4000)}`));
      else resolve(JSON.parse(stdout.slice(stdout.indexOf('{'))));
    });
  });
}

/** Writes rows of the table (by index) as CSV, in ADULT_COLUMNS order. */
function writeCsv(
  path: string,
  table: Awaited<ReturnType<typeof readTable>>['table'],
  rows: Int32Array,
): void {
  const part = takeRows(table, rows);
  const cell = (v: unknown) => (v === null || (typeof v === 'number' && Number.isNaN(v)) ? '' : String(v));
  const lines = [ADULT_COLUMNS.join(',')];
  for (let i = 0; i < part.rows; i++)
    lines.push(ADULT_COLUMNS.map((c) => cell(findColumn(part, c)?.values[i])).join(','));
  writeFileSync(path, `${lines.join('\n')}\n`);
}

describe('models with MLflow, scikit-learn and skl2onnx', { skip: python.skip || adult }, () => {
  let server: RunningServer;
  let ws = '';
  before(async () => {
    ws = await newWorkspace();
    server = await startServerProcess([], { cwd: ws });
  });
  after(async () => {
    await server?.stop();
  });

  it('trains at scikit-learn’s AUC, loads through MLflow pyfunc from cairn server, and imports a skl2onnx model', async () => {
    // A stratified 80/20 split of UCI Adult (the test rows cut to TEST_ROWS to keep Python quick).
    mkdirSync(join(ws, 'data'));
    const { table } = await readTable(await adultCsv());
    const income = findColumn(table, 'income')?.values as string[];
    const split = splitRows(
      table.rows,
      0.2,
      7,
      Int32Array.from(income, (v) => (v === '>50K' ? 1 : 0)),
    );
    writeCsv(join(ws, 'data/train.csv'), table, split.train);
    writeCsv(join(ws, 'data/test.csv'), table, split.valid.subarray(0, TEST_ROWS));
    const reference = runPython([
      join(SCRIPTS, 'models_reference.py'),
      join(ws, 'data/train.csv'),
      join(ws, 'data/test.csv'),
      ws,
    ]);

    const trained: Record<string, TrainModelResult> = {};
    for (const model of ['logistic', 'gbdt'] as const)
      trained[model] = await trainModel({
        data: join(ws, 'data/train.csv'),
        target: 'income',
        task: 'classification',
        model,
        seed: 1,
        validFraction: 0.1,
        out: join(ws, `models/${model}`),
      });
    // The package's metrics, from ONNX Runtime's answers on the validation rows, for scikit-learn to check.
    const validation: Record<
      string,
      { labels: number[]; predicted: number[]; proba: number[][]; metrics: Record<string, number> }
    > = {};
    for (const [name, result] of Object.entries(trained)) {
      const rows = takeRows(result.data.table, result.split.valid);
      const model = await OnnxRuntime.open(result.dir);
      const p = await model.predict(rows);
      await model.close();
      const classes = result.cairn.classes as string[];
      validation[name] = {
        labels: Array.from(result.split.valid, (i) => result.data.classIndex?.[i] as number),
        predicted: Array.from(p.labels?.values as string[], (v) => classes.indexOf(v)),
        proba: Array.from({ length: rows.rows }, (_, i) => [
          p.probabilities?.[0]?.[i] as number,
          p.probabilities?.[1]?.[i] as number,
        ]),
        metrics: result.cairn.metrics,
      };
    }
    const tracking = ['--tracking-uri', server.url];
    const registered = await cairnJson<{ version: string; tags: { key: string; value: string }[] }>(
      ['models', 'register', 'models/gbdt', '--name', 'income', ...tracking],
      { cwd: ws },
    );
    assert.equal(registered.version, '1');
    assert.match(registered.tags.find((t) => t.key === 'cairn.package_hash')?.value ?? '', /^sha256:/);
    const alias = await cairn(['models', 'alias', 'set', 'income', 'champion', '1', ...tracking], {
      cwd: ws,
    });
    assert.equal(alias.code, 0, alias.stderr);

    const refs = (await reference) as { auc: { logistic: number; gbdt: number }; proba: number[][] };
    const imported = await cairn(
      [
        'model',
        'import',
        'sklearn.onnx',
        '--signature-from',
        'data/train.csv',
        '--target',
        'income',
        '--out',
        'models/sklearn',
      ],
      { cwd: ws },
    );
    assert.equal(imported.code, 0, imported.stderr);

    // Cairn's own predictions, through ONNX Runtime in Node.
    const test = (await readTable(join(ws, 'data/test.csv'))).table;
    const predict = async (dir: string) => {
      const model = await OnnxRuntime.open(join(ws, dir));
      try {
        return await model.predict(test);
      } finally {
        await model.close();
      }
    };
    const cairnGbdt = await predict('models/gbdt');
    const cairnLogistic = await predict('models/logistic');
    const cairnSklearn = await predict('models/sklearn');
    const positive = (p: typeof cairnGbdt) => Array.from(p.probabilities?.[1] as Float64Array);

    // The import answers as scikit-learn does (its ONNX graph computes in float32).
    refs.proba.forEach(([, p], i) => {
      assert.ok(
        Math.abs((p as number) - (positive(cairnSklearn)[i] as number)) <= 1e-5,
        `row ${i}: ${p} vs ${positive(cairnSklearn)[i]}`,
      );
    });

    const request = join(ws, 'request.json');
    writeFileSync(
      request,
      JSON.stringify({
        test_csv: join(ws, 'data/test.csv'),
        target: 'income',
        uris: { champion: 'models:/income@champion', imported: join(ws, 'models/sklearn') },
        empty_text: ['imported'],
        onnx: [join(ws, 'models/gbdt/model.onnx'), join(ws, 'models/logistic/model.onnx')],
        scores: { gbdt: positive(cairnGbdt), logistic: positive(cairnLogistic) },
        validation,
        labels: Array.from(findColumn(test, 'income')?.values as string[], (v) => (v === '>50K' ? 1 : 0)),
      }),
    );
    const checked = (await runPython([join(SCRIPTS, 'models_check.py'), request], {
      MLFLOW_TRACKING_URI: server.url,
    })) as {
      pyfunc: Record<string, { columns: string[]; label: string[]; probability: number[] }>;
      onnxruntime: Record<string, number[]>;
      checked: string[];
      auc: { gbdt: number; logistic: number };
      metrics: Record<string, Record<string, number>>;
    };

    // MLflow's pyfunc, through cairn server, predicts exactly what Cairn predicts.
    const champion = checked.pyfunc.champion;
    assert.deepEqual(champion?.columns, ['label', 'probability']);
    assert.deepEqual(champion?.label, cairnGbdt.labels?.values);
    champion?.probability.forEach((p, i) => {
      assert.ok(Math.abs(p - (positive(cairnGbdt)[i] as number)) <= 1e-12, `pyfunc row ${i}`);
    });
    checked.pyfunc.imported?.probability.forEach((p, i) => {
      assert.ok(
        Math.abs(p - (positive(cairnSklearn)[i] as number)) <= 1e-12,
        `pyfunc of the import, row ${i}`,
      );
    });
    // Python's ONNX Runtime and checker take Cairn's graphs.
    assert.equal(checked.checked.length, 2);
    checked.onnxruntime[join(ws, 'models/gbdt/model.onnx')]?.forEach((p, i) => {
      assert.ok(Math.abs(p - (positive(cairnGbdt)[i] as number)) <= 1e-12, `python onnxruntime row ${i}`);
    });

    // The metrics in each package equal scikit-learn's on the same validation answers.
    for (const [name, v] of Object.entries(validation))
      for (const [metric, value] of Object.entries(checked.metrics[name] ?? {}))
        assert.ok(
          Math.abs((v.metrics[metric] as number) - value) <= 1e-9,
          `${name} ${metric}: ${v.metrics[metric]} vs scikit-learn ${value}`,
        );
    assert.deepEqual(Object.keys(checked.metrics.gbdt ?? {}).sort(), ['accuracy', 'log_loss', 'roc_auc']);

    // Test ROC AUC, computed by scikit-learn for both sides.
    assert.ok(checked.auc.logistic >= 0.9, `logistic AUC ${checked.auc.logistic}`);
    assert.ok(checked.auc.gbdt >= 0.92, `gbdt AUC ${checked.auc.gbdt}`);
    assert.ok(
      checked.auc.logistic >= refs.auc.logistic - 0.005,
      `logistic ${checked.auc.logistic} vs scikit-learn ${refs.auc.logistic}`,
    );
    assert.ok(
      checked.auc.gbdt >= refs.auc.gbdt - 0.005,
      `gbdt ${checked.auc.gbdt} vs scikit-learn ${refs.auc.gbdt}`,
    );
  });
});
