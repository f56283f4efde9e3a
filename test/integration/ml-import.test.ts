/**
 * `cairn model import` on ONNX graphs shaped as other exporters shape them — one [N, 1] input per
 * column with a ZipMap, or one [N, F] matrix with a [N, K] probability output — and the errors
 * for a graph that does not fit its signature file. The graphs are built here with Cairn's own
 * ONNX writer; test/compat/mlflow-models.test.ts imports a real skl2onnx pipeline.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { attr, GraphBuilder } from '../../src/ml/onnx/graph-builder.ts';
import { encodeOnnxModel } from '../../src/ml/onnx/onnx-codec.ts';
import { ONNX_TYPES } from '../../src/ml/onnx/onnx-types.ts';
import { importOnnxModel } from '../../src/ml/package/import-onnx.ts';
import { readModelPackage } from '../../src/ml/package/read-package.ts';
import { OnnxRuntime } from '../../src/ml/runtime/onnx-runtime.ts';
import { tableFromRecords } from '../../src/ml/table/table.ts';
import { tempDir } from '../support/tmp-dir.ts';

const DATA = 'x,color,y\n1.5,red,no\n-2,blue,yes\n0.5,,yes\n3,red,no\n';

/** p(yes) = sigmoid(0.5·x + (color == red ? 1 : 0) − 0.25), from float inputs shaped [N, 1]. */
function perColumnGraph(options: { zipMap: boolean; labelName: string }): Uint8Array {
  const g = new GraphBuilder('exported');
  g.input('x', 'float', ['N', 1]);
  g.input('color', 'string', ['N', 1]);
  const red = g.node('LabelEncoder', [g.node('Reshape', ['color', g.constant('int64', [1], [-1])])], {
    domain: 'ai.onnx.ml',
    attrs: [
      attr.strings('keys_strings', ['red']),
      attr.floats('values_floats', [1]),
      attr.float('default_float', 0),
    ],
  });
  const z = g.node('Add', [
    g.node('Add', [
      g.node('Mul', [
        g.node('Reshape', ['x', g.constant('int64', [1], [-1])]),
        g.constant('float', [], [0.5]),
      ]),
      red,
    ]),
    g.constant('float', [], [-0.25]),
  ]);
  const p1 = g.node('Sigmoid', [z]);
  const p0 = g.node('Sub', [g.constant('float', [], [1]), p1]);
  const probs = g.node(
    'Concat',
    [
      g.node('Reshape', [p0, g.constant('int64', [2], [-1, 1])]),
      g.node('Reshape', [p1, g.constant('int64', [2], [-1, 1])]),
    ],
    {
      attrs: [attr.int('axis', 1)],
    },
  );
  const best = g.node('ArgMax', [probs], { attrs: [attr.int('axis', 1), attr.int('keepdims', 0)] });
  g.node('Gather', [g.constant('string', [2], ['no', 'yes']), best], { outputs: [options.labelName] });
  g.output(options.labelName, 'string', ['N']);
  if (options.zipMap) {
    g.node('ZipMap', [probs], {
      domain: 'ai.onnx.ml',
      attrs: [attr.strings('classlabels_strings', ['no', 'yes'])],
      outputs: ['output_probability'],
    });
    const model = g.model();
    model.graph?.output?.push({
      name: 'output_probability',
      type: {
        sequence_type: {
          elem_type: {
            map_type: {
              key_type: ONNX_TYPES.string,
              value_type: { tensor_type: { elem_type: ONNX_TYPES.float } },
            },
          },
        },
      },
    });
    model.opset_import = [
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 3 },
    ];
    return encodeOnnxModel(model);
  }
  g.node('Identity', [probs], { outputs: ['probabilities'] });
  g.output('probabilities', 'float', ['N', 2]);
  const model = g.model();
  model.opset_import = [
    { domain: '', version: 17 },
    { domain: 'ai.onnx.ml', version: 3 },
  ];
  return encodeOnnxModel(model);
}

/** A regression on a [N, 2] double matrix: prediction = 2·a − b, shaped [N, 1]. */
function matrixGraph(): Uint8Array {
  const g = new GraphBuilder('matrix');
  g.input('X', 'double', ['N', 2]);
  g.node('MatMul', ['X', g.constant('double', [2, 1], [2, -1])], { outputs: ['variable'] });
  g.output('variable', 'double', ['N', 1]);
  const model = g.model();
  model.opset_import = [{ domain: '', version: 13 }];
  return encodeOnnxModel(model);
}

async function files(entries: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await tempDir('cairn-import-');
  for (const [name, content] of Object.entries(entries)) await writeFile(join(dir, name), content);
  return dir;
}

async function errorOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code: string; message: string };
  }
  assert.fail('expected an error');
}

const rows = tableFromRecords(
  [
    { x: 1.5, color: 'red' },
    { x: -2, color: 'blue' },
  ],
  [
    { name: 'x', kind: 'number' },
    { name: 'color', kind: 'string' },
  ],
);

describe('cairn model import', () => {
  for (const zipMap of [true, false])
    it(`wraps per-column [N, 1] inputs and ${zipMap ? 'a ZipMap' : 'an [N, 2] probability output'} in Cairn's convention`, async () => {
      const dir = await files({
        'model.onnx': perColumnGraph({ zipMap, labelName: zipMap ? 'output_label' : 'label' }),
        'data.csv': DATA,
      });
      const out = join(dir, 'pkg');
      const { cairn } = await importOnnxModel({
        onnx: join(dir, 'model.onnx'),
        signatureFrom: join(dir, 'data.csv'),
        target: 'y',
        out,
      });
      assert.equal(cairn.model_kind, 'imported');
      assert.equal(cairn.task, 'classification');
      assert.deepEqual(cairn.classes, ['no', 'yes']);
      assert.deepEqual(
        cairn.inputs.map((i) => [i.name, i.type, i.nullable]),
        [
          ['x', 'double', false],
          ['color', 'string', true],
        ],
      );
      assert.deepEqual(
        cairn.outputs.map((o) => [o.name, o.role]),
        [
          ['label', 'label'],
          ['probability', 'probability'],
        ],
      );
      const pkg = await readModelPackage(out);
      const model = await OnnxRuntime.open(pkg);
      try {
        const p = await model.predict(rows);
        const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
        assert.ok(Math.abs((p.probabilities?.[1]?.[0] as number) - sigmoid(0.75 + 1 - 0.25)) < 1e-6);
        assert.ok(Math.abs((p.probabilities?.[1]?.[1] as number) - sigmoid(-1 - 0.25)) < 1e-6);
        assert.deepEqual(p.labels?.values, ['yes', 'no']);
      } finally {
        await model.close();
      }
    });

  it('feeds a [N, F] matrix from the feature columns in file order, for regression', async () => {
    const dir = await files({ 'model.onnx': matrixGraph(), 'data.csv': 'a,b,target\n1,2,0\n3,1,5\n' });
    const out = join(dir, 'pkg');
    const { cairn } = await importOnnxModel({
      onnx: join(dir, 'model.onnx'),
      signatureFrom: join(dir, 'data.csv'),
      target: 'target',
      out,
    });
    assert.equal(cairn.task, 'regression');
    assert.deepEqual(cairn.outputs, [{ name: 'prediction', type: 'double', role: 'prediction' }]);
    const model = await OnnxRuntime.open(out);
    try {
      const p = await model.predict(
        tableFromRecords(
          [{ a: 4, b: 1 }],
          [
            { name: 'a', kind: 'number' },
            { name: 'b', kind: 'number' },
          ],
        ),
      );
      assert.equal(p.values?.[0], 7);
    } finally {
      await model.close();
    }
  });

  it('refuses a graph that does not fit its signature file, writing nothing', async () => {
    const dir = await files({
      'model.onnx': perColumnGraph({ zipMap: true, labelName: 'output_label' }),
      'matrix.onnx': matrixGraph(),
      'no-color.csv': 'x,y\n1,no\n2,yes\n',
      'text-x.csv': 'x,color,y\nabc,red,no\ndef,blue,yes\n',
      'three.csv': 'a,b,c,target\n1,2,3,0\n',
      'data.csv': DATA,
      'garbage.onnx': 'not a model',
    });
    const cases: [string, string, string, RegExp][] = [
      [
        'model.onnx',
        'no-color.csv',
        'y',
        /the graph takes input\(s\) color, which .*no-color\.csv has no column for/,
      ],
      ['model.onnx', 'text-x.csv', 'y', /graph input x takes float but column x of .*text-x\.csv holds text/],
      [
        'matrix.onnx',
        'three.csv',
        'target',
        /graph input X takes 2 columns; .*three\.csv has 3 besides the target \(a, b, c\)/,
      ],
      ['model.onnx', 'data.csv', 'nope', /data\.csv has no column "nope" \(the --target\)/],
      ['garbage.onnx', 'data.csv', 'y', /garbage\.onnx is not a readable ONNX model/],
    ];
    for (const [onnx, data, target, message] of cases) {
      const err = await errorOf(
        importOnnxModel({
          onnx: join(dir, onnx),
          signatureFrom: join(dir, data),
          target,
          out: join(dir, 'pkg'),
        }),
      );
      assert.match(err.message, message, `${onnx} with ${data}`);
      assert.ok(!existsSync(join(dir, 'pkg')), 'no package written');
    }
  });
});
