/**
 * The model package and the runtime every prediction goes through: a package trained here reads
 * back with MLflow's flavors and Cairn's section, ONNX Runtime answers by column name exactly as
 * the TypeScript model does, and damaged packages or mismatched data give one clear error.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rm, truncate, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { sha256 } from '../../src/kernel/hashing.ts';
import { readModelPackage } from '../../src/ml/package/read-package.ts';
import { OnnxRuntime } from '../../src/ml/runtime/onnx-runtime.ts';
import { readTable } from '../../src/ml/table/read-table.ts';
import {
  numberColumn,
  stringColumn,
  type Table,
  tableFromRecords,
  takeRows,
} from '../../src/ml/table/table.ts';
import { type TrainModelResult, trainModel } from '../../src/ml/train/train-model.ts';
import { hashModelPackage, type PackageFiles } from '../../src/registry/lineage/package-hash.ts';
import { localArtifactLocator } from '../../src/registry/registration/local-artifact-locator.ts';
import { syntheticCsv } from '../support/ml-data.ts';
import { tempDir } from '../support/tmp-dir.ts';

async function trained(): Promise<{ data: string; result: TrainModelResult }> {
  const data = await syntheticCsv({ rows: 1200, seed: 3 });
  const out = join(await tempDir('cairn-pkg-'), 'model');
  const result = await trainModel({ data, target: 'y', task: 'classification', out, seed: 5 });
  return { data, result };
}

async function errorOf(promise: Promise<unknown>): Promise<{ code: string; message: string; hint?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code: string; message: string; hint?: string };
  }
  assert.fail('expected an error');
}

function copyPackage(from: string, to: string): void {
  for (const name of readdirSync(from)) writeFileSync(join(to, name), readFileSync(join(from, name)));
}

describe('model package', () => {
  it('reads back with the onnx and python_function flavors, the signature and the cairn section', async () => {
    const { data, result } = await trained();
    const pkg = await readModelPackage(result.dir);
    assert.deepEqual(readdirSync(result.dir).sort(), [
      'MLmodel',
      'conda.yaml',
      'input_example.json',
      'model.onnx',
      'python_env.yaml',
      'requirements.txt',
    ]);
    const flavors = pkg.mlmodel.flavors as Record<string, Record<string, unknown>>;
    assert.equal(flavors.python_function?.loader_module, 'mlflow.onnx');
    assert.equal(flavors.python_function?.data, 'model.onnx');
    assert.equal(flavors.onnx?.data, 'model.onnx');
    const signature = pkg.mlmodel.signature as { inputs: string; outputs: string };
    assert.deepEqual(JSON.parse(signature.inputs), [
      { type: 'double', name: 'x1', required: true },
      { type: 'double', name: 'x2', required: true },
      { type: 'string', name: 'color', required: true },
    ]);
    assert.deepEqual(
      JSON.parse(signature.outputs).map((o: { name: string; type: string }) => [o.name, o.type]),
      [
        ['label', 'string'],
        ['probability', 'double'],
      ],
    );
    const { cairn } = pkg;
    assert.equal(cairn.task, 'classification');
    assert.equal(cairn.model_kind, 'logistic');
    assert.deepEqual(cairn.classes, ['no', 'yes']);
    assert.equal(cairn.positive_class, 'yes');
    assert.deepEqual(cairn.inputs.find((i) => i.name === 'color')?.categories, ['blue', 'green', 'red']);
    assert.equal(cairn.inputs.find((i) => i.name === 'x1')?.nullable, true);
    assert.equal(cairn.lineage.datasets[0]?.digest, sha256(readFileSync(data)));
    assert.equal(cairn.lineage.datasets[0]?.rows, 1200);
    assert.ok((cairn.metrics.roc_auc as number) > 0.8, `roc_auc ${cairn.metrics.roc_auc}`);
    assert.equal(cairn.model_file.digest, sha256(readFileSync(join(result.dir, 'model.onnx'))));
    const example = JSON.parse(readFileSync(join(result.dir, 'input_example.json'), 'utf8'));
    assert.deepEqual(example.columns, ['x1', 'x2', 'color']);
    assert.equal(example.data.length, 5);
    const hash = await hashModelPackage(localArtifactLocator(result.dir) as PackageFiles);
    assert.equal(hash?.files, 6, 'the registry hash covers every file of the package');
  });

  it('refuses damaged packages with one error naming the file', async () => {
    const { result } = await trained();
    const cases: [string, (dir: string) => Promise<void>, string, RegExp][] = [
      [
        'truncated model.onnx',
        (d) => truncate(join(d, 'model.onnx'), 100),
        'INTEGRITY_ERROR',
        /model\.onnx does not match the hash recorded in MLmodel.*truncated or modified/,
      ],
      [
        'missing model.onnx',
        (d) => rm(join(d, 'model.onnx')),
        'INTEGRITY_ERROR',
        /model\.onnx is missing from the package/,
      ],
      [
        'corrupt model.onnx whose hash was rewritten too',
        async (d) => {
          const junk = Buffer.from('this is not a protobuf message at all, just text');
          await writeFile(join(d, 'model.onnx'), junk);
          const text = readFileSync(join(d, 'MLmodel'), 'utf8').replace(
            /model_file:\n {4}digest: sha256:[0-9a-f]+\n {4}size: \d+/,
            `model_file:\n    digest: ${sha256(junk)}\n    size: ${junk.length}`,
          );
          await writeFile(join(d, 'MLmodel'), text);
        },
        'INTEGRITY_ERROR',
        /model\.onnx is not a readable ONNX model/,
      ],
      [
        'MLmodel that is not YAML',
        (d) => writeFile(join(d, 'MLmodel'), 'flavors: [unclosed\n  - : :'),
        'INTEGRITY_ERROR',
        /MLmodel is not valid YAML/,
      ],
      [
        'MLmodel without the cairn section',
        (d) => writeFile(join(d, 'MLmodel'), 'flavors:\n  onnx:\n    data: model.onnx\n'),
        'INVALID_ARGUMENT',
        /has no cairn section: it is not a Cairn model package/,
      ],
      [
        'no MLmodel',
        (d) => rm(join(d, 'MLmodel')),
        'INVALID_ARGUMENT',
        /has no MLmodel file: it is not a model package/,
      ],
    ];
    for (const [what, damage, code, message] of cases) {
      const dir = join(await tempDir('cairn-damaged-'), 'model');
      await mkdir(dir);
      copyPackage(result.dir, dir);
      await damage(dir);
      const err = await errorOf(readModelPackage(dir));
      assert.equal(err.code, code, `${what}: ${err.message}`);
      assert.match(err.message, message, what);
      assert.doesNotMatch(err.message, /\n/, `${what}: one line`);
    }
    const missing = await errorOf(readModelPackage(join(result.dir, 'nope')));
    assert.equal(missing.code, 'NOT_FOUND');
  });

  it('writes atomically: a failed training leaves nothing, a directory that is not a package is never replaced', async () => {
    const root = await tempDir('cairn-atomic-');
    const data = await syntheticCsv({ rows: 300 });
    const out = join(root, 'model');
    const failed = await errorOf(trainModel({ data, target: 'nope', task: 'classification', out }));
    assert.equal(failed.code, 'INVALID_ARGUMENT');
    assert.deepEqual(readdirSync(root), [], 'no package and no temp directory');

    await mkdir(join(root, 'notes'));
    await writeFile(join(root, 'notes', 'todo.txt'), 'keep me');
    const refused = await errorOf(
      trainModel({ data, target: 'y', task: 'classification', out: join(root, 'notes') }),
    );
    assert.equal(refused.code, 'ALREADY_EXISTS');
    assert.deepEqual(readdirSync(join(root, 'notes')), ['todo.txt']);

    const first = await trainModel({ data, target: 'y', task: 'classification', out });
    const again = await errorOf(trainModel({ data, target: 'y', task: 'classification', out }));
    assert.equal(again.code, 'ALREADY_EXISTS');
    assert.match(again.hint ?? '', /--overwrite/);
    const second = await trainModel({
      data,
      target: 'y',
      task: 'classification',
      out,
      overwrite: true,
      seed: 9,
    });
    assert.notEqual(second.cairn.created_at, '');
    assert.equal((await readModelPackage(out)).cairn.params.seed, 9);
    assert.equal(first.dir, second.dir);
    assert.deepEqual(readdirSync(root).sort(), ['model', 'notes'], 'no temp or old directories left');
  });
});

describe('ONNX Runtime on a package', () => {
  it('answers by column name, equal to the TypeScript model, with missing values and unseen categories', async () => {
    const { data, result } = await trained();
    const { table } = await readTable(data);
    const valid = takeRows(table, result.split.valid);
    // Columns in another order, an extra one, and rows with a missing number, a missing and an unseen category.
    const reordered: Table = {
      rows: valid.rows,
      columns: [...valid.columns].reverse(),
    };
    const extra = tableFromRecords(
      [
        { x1: Number.NaN, x2: 1, color: 'red' },
        { x1: 1, x2: null, color: null },
        { x1: 2, x2: 2, color: 'purple' },
        { x1: null, x2: null, color: '' },
      ],
      [
        { name: 'x1', kind: 'number' },
        { name: 'x2', kind: 'number' },
        { name: 'color', kind: 'string' },
      ],
    );
    const model = await OnnxRuntime.open(result.dir);
    try {
      for (const [what, t] of [
        ['validation rows', reordered],
        ['rows with missing and unseen values', extra],
      ] as const) {
        const prediction = await model.predict(t);
        const expected = result.fitted.predict(t);
        const p = prediction.probabilities?.[1] as Float64Array;
        for (let i = 0; i < t.rows; i++) {
          assert.ok(
            Math.abs((p[i] as number) - (expected[2 * i + 1] as number)) <= 1e-12,
            `${what} row ${i}`,
          );
          const label = prediction.labels?.values[i];
          assert.equal(label, (expected[2 * i + 1] as number) >= 0.5 ? 'yes' : 'no');
        }
      }
      // The unseen category and the missing one give the same answer: neither sets a one-hot column.
      const same = await model.predict(
        tableFromRecords(
          [
            { x1: 0, x2: 0, color: 'purple' },
            { x1: 0, x2: 0, color: null },
          ],
          [
            { name: 'x1', kind: 'number' },
            { name: 'x2', kind: 'number' },
            { name: 'color', kind: 'string' },
          ],
        ),
      );
      assert.equal(same.probabilities?.[1]?.[0], same.probabilities?.[1]?.[1]);
      const empty = await model.predict(takeRows(valid, new Int32Array(0)));
      assert.equal(empty.rows, 0);
    } finally {
      await model.close();
    }
  });

  it('names the column when the data does not fit the signature', async () => {
    const { result } = await trained();
    const model = await OnnxRuntime.open(result.dir, { warmup: false });
    try {
      const missing = await errorOf(
        model.run({
          rows: 1,
          columns: [numberColumn('x1', Float64Array.of(1)), stringColumn('color', ['red'])],
        }),
      );
      assert.equal(missing.code, 'INVALID_ARGUMENT');
      assert.match(missing.message, /the data has no column x2, which the model takes as input/);
      const text = await errorOf(
        model.run({
          rows: 2,
          columns: [
            stringColumn('x1', ['1.5', 'abc']),
            numberColumn('x2', Float64Array.of(1, 2)),
            stringColumn('color', ['red', 'red']),
          ],
        }),
      );
      assert.equal(text.code, 'INVALID_ARGUMENT');
      assert.match(text.message, /column x1 holds text \("abc" in row 2\) where the model takes numbers/);
      // Numbers written as text are parsed; a number column is accepted for a text input.
      const parsed = await model.predict({
        rows: 1,
        columns: [
          stringColumn('x1', ['1.5']),
          numberColumn('x2', Float64Array.of(2)),
          numberColumn('color', Float64Array.of(3)),
        ],
      });
      const same = await model.predict({
        rows: 1,
        columns: [
          numberColumn('x1', Float64Array.of(1.5)),
          numberColumn('x2', Float64Array.of(2)),
          stringColumn('color', ['3']),
        ],
      });
      assert.equal(parsed.probabilities?.[1]?.[0], same.probabilities?.[1]?.[0]);
    } finally {
      await model.close();
    }
  });
});

describe('reading tables with DuckDB', () => {
  it('reads typed columns and names what is wrong with a file', async () => {
    const dir = await tempDir('cairn-tables-');
    const write = async (name: string, text: string) => {
      const path = join(dir, name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text);
      return path;
    };
    const ok = await readTable(await write('ok.csv', 'n,t,b\n1,a,true\n,?,false\n2.5,,\n'), {
      naValues: ['?'],
    });
    assert.equal(ok.table.rows, 3);
    const [n, t, b] = ok.table.columns;
    assert.equal(n?.kind, 'number');
    assert.deepEqual(Array.from(n?.values as Float64Array), [1, Number.NaN, 2.5]);
    assert.deepEqual(t?.values, ['a', null, null]);
    assert.deepEqual(b?.values, ['true', 'false', null]);

    const empty = await errorOf(readTable(await write('empty.csv', '')));
    assert.match(empty.message, /empty\.csv is empty/);
    const header = await errorOf(readTable(await write('header.csv', 'a,b\n')));
    assert.match(header.message, /header\.csv has no rows/);
    const late = await errorOf(
      readTable(
        await write(
          'late.csv',
          `x,y\n${Array.from({ length: 25_000 }, (_, i) => `${i},1`).join('\n')}\nabc,1\n`,
        ),
      ),
    );
    assert.equal(late.code, 'INVALID_ARGUMENT');
    assert.match(late.message, /late\.csv line 25002: column x holds "abc", which is not a number/);
    const stray = await readTable(
      await write('stray.csv', `x\n${Array.from({ length: 50 }, (_, i) => i).join('\n')}\nn/a\n`),
    );
    assert.deepEqual(stray.source[0]?.strayText, { value: 'n/a', row: 51, numeric: 50, nonNull: 51 });
    const unknown = await errorOf(readTable(await write('data.json', '{}')));
    assert.match(unknown.message, /unknown file type/);
  });
});
