/**
 * The built-in trainers: ONNX Runtime answers exactly as the TypeScript models on held-out rows
 * (with missing values and unseen categories), training is deterministic for a seed, the boosted
 * trees honour their limits, and bad input gives one clear line and leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readModelPackage } from '../../src/ml/package/read-package.ts';
import { OnnxRuntime } from '../../src/ml/runtime/onnx-runtime.ts';
import { readTable } from '../../src/ml/table/read-table.ts';
import { type Table, tableFromRecords, takeRows } from '../../src/ml/table/table.ts';
import { encodeFeatures } from '../../src/ml/train/features/encode-features.ts';
import { fitFeatures } from '../../src/ml/train/features/fit-features.ts';
import { fitBooster } from '../../src/ml/train/gbdt/boosting.ts';
import { type Tree, treeValue } from '../../src/ml/train/gbdt/tree.ts';
import { splitRows } from '../../src/ml/train/split-rows.ts';
import { trainModel } from '../../src/ml/train/train-model.ts';
import type { TrainModel } from '../../src/ml/train/train-params.ts';
import { cairnInProcess } from '../support/cli-in-process.ts';
import { syntheticCsv } from '../support/ml-data.ts';
import { tempDir } from '../support/tmp-dir.ts';

const SCHEMA = [
  { name: 'x1', kind: 'number' },
  { name: 'x2', kind: 'number' },
  { name: 'color', kind: 'string' },
] as const;

/** Held-out rows plus rows with every kind of missing value and a category never seen. */
function withOddRows(valid: Table): Table {
  const odd = tableFromRecords(
    [
      { x1: null, x2: 1.5, color: 'red' },
      { x1: 2, x2: null, color: 'blue' },
      { x1: 0.5, x2: 2, color: null },
      { x1: -3, x2: 0.2, color: 'purple' },
      { x1: null, x2: null, color: 'purple' },
      { x1: 1e9, x2: -1e9, color: '' },
    ],
    [...SCHEMA],
  );
  return {
    rows: valid.rows + odd.rows,
    columns: valid.columns.map((c) => {
      // The target column (not an input) is missing in the extra rows.
      const extra = odd.columns.find((o) => o.name === c.name);
      if (c.kind === 'number') {
        const more =
          (extra?.values as Float64Array | undefined) ?? new Float64Array(odd.rows).fill(Number.NaN);
        return { ...c, values: Float64Array.from([...c.values, ...more]) };
      }
      const more = (extra?.values as (string | null)[] | undefined) ?? new Array<null>(odd.rows).fill(null);
      return { ...c, values: [...c.values, ...more] };
    }),
  };
}

describe('ONNX export parity', () => {
  const cases: [string, 'binary' | 'multiclass' | 'regression', TrainModel, Record<string, unknown>][] = [
    ['binary logistic regression', 'binary', 'logistic', {}],
    ['multinomial logistic regression', 'multiclass', 'logistic', {}],
    ['ridge regression', 'regression', 'linear', { alpha: 3 }],
    ['gbdt classifier', 'binary', 'gbdt', { subsample: 0.8, max_leaf_nodes: 15 }],
    ['gbdt regressor', 'regression', 'gbdt', { max_depth: 4 }],
  ];
  for (const [what, target, model, params] of cases)
    it(`${what}: ONNX Runtime equals the TypeScript model on held-out rows`, async () => {
      const data = await syntheticCsv({ rows: 1500, target, seed: 11 });
      const out = join(await tempDir('cairn-parity-'), 'model');
      const task = target === 'regression' ? 'regression' : 'classification';
      const result = await trainModel({ data, target: 'y', task, model, params, out, seed: 3 });
      const rows = withOddRows(takeRows(result.data.table, result.split.valid));
      const runtime = await OnnxRuntime.open(out);
      try {
        const prediction = await runtime.predict(rows);
        const expected = result.fitted.predict(rows);
        if (task === 'regression') {
          for (let i = 0; i < rows.rows; i++)
            assert.ok(
              Math.abs((prediction.values?.[i] as number) - (expected[i] as number)) <=
                1e-9 * Math.max(1, Math.abs(expected[i] as number)),
              `row ${i}: ${prediction.values?.[i]} vs ${expected[i]}`,
            );
        } else {
          const k = result.cairn.classes?.length as number;
          for (let i = 0; i < rows.rows; i++) {
            let best = 0;
            for (let c = 0; c < k; c++) {
              const p = prediction.probabilities?.[c]?.[i] as number;
              assert.ok(
                Math.abs(p - (expected[i * k + c] as number)) <= 1e-9,
                `row ${i} class ${c}: ${p} vs ${expected[i * k + c]}`,
              );
              if ((expected[i * k + c] as number) > (expected[i * k + best] as number)) best = c;
            }
            assert.equal(prediction.labels?.values[i], result.cairn.classes?.[best], `label of row ${i}`);
          }
        }
        for (let i = rows.rows - 6; i < rows.rows; i++) {
          const v = task === 'regression' ? prediction.values?.[i] : prediction.probabilities?.[0]?.[i];
          assert.ok(Number.isFinite(v), `row ${i} with missing or unseen values has an answer`);
        }
      } finally {
        await runtime.close();
      }
    });
});

describe('training', () => {
  it('is deterministic for a seed, subsampling included', async () => {
    const data = await syntheticCsv({ rows: 1200, seed: 4 });
    const root = await tempDir('cairn-determinism-');
    const run = async (name: string, model: TrainModel, seed: number) => {
      await trainModel({
        data,
        target: 'y',
        task: 'classification',
        model,
        params: model === 'gbdt' ? { subsample: 0.7 } : {},
        seed,
        out: join(root, name),
      });
      return readFileSync(join(root, name, 'model.onnx'));
    };
    assert.deepEqual(
      await run('a', 'gbdt', 7),
      await run('b', 'gbdt', 7),
      'gbdt: same seed, same model.onnx',
    );
    assert.notDeepEqual(
      await run('c', 'gbdt', 7),
      await run('d', 'gbdt', 8),
      'gbdt: another seed, another model',
    );
    assert.deepEqual(
      await run('e', 'logistic', 7),
      await run('f', 'logistic', 7),
      'logistic: same seed, same model.onnx',
    );
  });

  it('gives the same trees whatever the number of histogram threads', async () => {
    const data = await syntheticCsv({ rows: 12_000, seed: 5 });
    const root = await tempDir('cairn-threads-');
    const bytes: Buffer[] = [];
    for (const threads of [1, 2, 3]) {
      const out = join(root, `t${threads}`);
      await trainModel({
        data,
        target: 'y',
        task: 'classification',
        model: 'gbdt',
        params: { threads, max_iter: 20 },
        out,
      });
      bytes.push(readFileSync(join(out, 'model.onnx')));
    }
    assert.deepEqual(bytes[1], bytes[0], '2 threads build what 1 builds');
    assert.deepEqual(bytes[2], bytes[0], '3 threads build what 1 builds');
  });

  it('grows trees within max_leaf_nodes, max_depth and min_samples_leaf, and stops early on the validation loss', async () => {
    const data = await syntheticCsv({ rows: 3000, target: 'regression', seed: 8 });
    const { table } = await readTable(data);
    const { train, valid } = splitRows(table.rows, 0.2, 1);
    const specs = fitFeatures(table, ['x1', 'x2', 'color'], new Map(), train, { maxCategories: 100 });
    const y = (table.columns.find((c) => c.name === 'y')?.values as Float64Array) ?? new Float64Array(0);
    const base = {
      loss: 'squared' as const,
      learningRate: 0.3,
      maxIterations: 200,
      maxBins: 255,
      subsample: 1,
      l2: 0,
      earlyStopping: true,
      nIterNoChange: 5,
      tol: 1e-7,
      seed: 1,
      threads: 1,
    };
    const booster = await fitBooster(table, specs, train, valid, y, {
      ...base,
      maxLeafNodes: 8,
      maxDepth: 3,
      minSamplesLeaf: 40,
    });
    assert.ok(booster.iterationsRun < 200, `early stopping ended at ${booster.iterationsRun} iterations`);
    const best = booster.validationLoss.indexOf(Math.min(...booster.validationLoss));
    assert.equal(booster.trees.length, best + 1, 'the trees up to the best validation loss are kept');
    const raw = encodeFeatures(table, specs, 'tree', train);
    for (const tree of booster.trees) {
      assert.ok(tree.values.length <= 8, `${tree.values.length} leaves`);
      assert.ok(depth(tree, 0) <= 3, `depth ${depth(tree, 0)}`);
      const counts = new Map<number, number>();
      for (let i = 0; i < raw.rows; i++) {
        const v = treeValue(tree, (f) => (raw.columns[f] as Float64Array | Int32Array)[i] as number);
        counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      for (const [, n] of counts) assert.ok(n >= 40, `a leaf holds ${n} training rows`);
    }
  });
});

function depth(tree: Tree, at: number): number {
  if (at < 0) return 0;
  return 1 + Math.max(depth(tree, tree.left[at] as number), depth(tree, tree.right[at] as number));
}

describe('cairn train: bad input', () => {
  it('gives one clear line, exit 1 or 2, and writes no package', async () => {
    const dir = await tempDir('cairn-bad-input-');
    const write = async (name: string, text: string) => {
      await writeFile(join(dir, name), text);
      return name;
    };
    const good = await write(
      'good.csv',
      `a,b,y\n${Array.from({ length: 60 }, (_, i) => `${i},${['x', 'y', 'z'][i % 3]},${i % 2}`).join('\n')}\n`,
    );
    const cases: [string, string[], number, RegExp][] = [
      [
        'missing target column',
        ['--data', good, '--target', 'nope', '--task', 'classification'],
        2,
        /good\.csv has no column "nope" \(the --target\) — its columns are a, b, y/,
      ],
      [
        'single-class target',
        [
          '--data',
          await write('one.csv', 'a,y\n1,k\n2,k\n3,k\n'),
          '--target',
          'y',
          '--task',
          'classification',
        ],
        2,
        /the target column y of .*one\.csv has a single class \("k"\): a classifier needs at least two/,
      ],
      [
        'empty file',
        ['--data', await write('empty.csv', ''), '--target', 'y', '--task', 'classification'],
        2,
        /empty\.csv is empty/,
      ],
      [
        'header only',
        ['--data', await write('header.csv', 'a,y\n'), '--target', 'y', '--task', 'classification'],
        2,
        /header\.csv has no rows/,
      ],
      [
        'text in a numeric column',
        [
          '--data',
          await write(
            'text.csv',
            `a,y\n${Array.from({ length: 40 }, (_, i) => `${i},${i % 2}`).join('\n')}\nn/a,1\n`,
          ),
          '--target',
          'y',
          '--task',
          'classification',
        ],
        2,
        /column a of .*text\.csv holds numbers except for text such as "n\/a" \(data row 41; 1 of 41 values\) — fix those values, or mark them missing with --na "n\/a"/,
      ],
      [
        'every feature constant or empty',
        [
          '--data',
          await write('flat.csv', 'a,b,y\n1,,0\n1,,1\n1,,0\n'),
          '--target',
          'y',
          '--task',
          'classification',
        ],
        2,
        /has no usable feature columns besides y/,
      ],
      [
        'unknown param',
        ['--data', good, '--target', 'y', '--task', 'classification', '--param', 'depth=3'],
        2,
        /unknown param "depth" for --model logistic — it takes max_categories, C, max_iter, tol, positive_class/,
      ],
      [
        'param out of range',
        [
          '--data',
          good,
          '--target',
          'y',
          '--task',
          'classification',
          '--model',
          'gbdt',
          '--param',
          'learning_rate=2',
        ],
        2,
        /param learning_rate must be a number > 0 and ≤ 1, got "2"/,
      ],
      [
        'param without a value',
        ['--data', good, '--target', 'y', '--task', 'classification', '--param', 'C'],
        2,
        /--param "C" is not of the form name=value/,
      ],
      [
        'text target for regression',
        ['--data', good, '--target', 'b', '--task', 'regression'],
        2,
        /the target column b of .*good\.csv holds text; regression needs numbers/,
      ],
      [
        'gbdt on three classes',
        ['--data', good, '--target', 'b', '--task', 'classification', '--model', 'gbdt'],
        2,
        /--model gbdt supports binary classification and regression; the target has 3 classes — use --model logistic for more than two classes/,
      ],
      [
        'unknown task',
        ['--data', good, '--target', 'y', '--task', 'classify'],
        2,
        /argument 'classify' is invalid/,
      ],
      [
        'missing data file',
        ['--data', 'nope.csv', '--target', 'y', '--task', 'classification'],
        1,
        /nope\.csv does not exist/,
      ],
    ];
    for (const [what, args, exit, message] of cases) {
      const r = await cairnInProcess(['train', ...args, '--out', 'model'], { cwd: dir });
      assert.equal(r.code, exit, `${what}: exit ${r.code}, ${r.stderr}`);
      const lines = r.stderr
        .split('\n')
        .filter((l) => l && !l.startsWith('(run with --help') && !l.startsWith('warning: '));
      assert.equal(lines.length, 1, `${what}: one line, got ${JSON.stringify(r.stderr)}`);
      assert.match(lines[0] as string, message, what);
      assert.ok(!existsSync(join(dir, 'model')), `${what}: no package written`);
    }
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith('.')),
      [],
      'no temp directories left',
    );
  });

  it('drops constant and all-null columns with a warning and trains on the rest', async () => {
    const dir = await tempDir('cairn-drop-');
    const lines = ['a,const,empty,y'];
    for (let i = 0; i < 80; i++) lines.push(`${i},7,,${i % 3 === 0 ? 1 : 0}`);
    await writeFile(join(dir, 'data.csv'), `${lines.join('\n')}\n`);
    const r = await cairnInProcess(
      [
        'train',
        '--data',
        'data.csv',
        '--target',
        'y',
        '--task',
        'classification',
        '--out',
        'model',
        '--json',
      ],
      { cwd: dir },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: column const was left out: it holds a single value/);
    assert.match(r.stderr, /warning: column empty was left out: every value is missing/);
    const summary = JSON.parse(r.stdout);
    assert.deepEqual(summary.warnings.length, 2);
    assert.deepEqual(
      (await readModelPackage(join(dir, 'model'))).cairn.inputs.map((i) => i.name),
      ['a'],
    );
  });
});
