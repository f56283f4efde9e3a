/**
 * The protocol adapters: V2 and MLflow requests become tables in the model's columns, matched by
 * name; every bad input is one 400-class error naming the column (or input) and the row.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SignatureInput, SignatureOutput } from '../../src/ml/package/package-types.ts';
import { findColumn, type Table } from '../../src/ml/table/table.ts';
import { parseJson } from '../../src/serving/protocols/lenient-json.ts';
import { CsvInput, mlflowJsonInput } from '../../src/serving/protocols/mlflow-request.ts';
import { encodeMlflowPredictions } from '../../src/serving/protocols/mlflow-response.ts';
import { parseV2Request, V2Input } from '../../src/serving/protocols/v2-request.ts';
import { encodeV2Response } from '../../src/serving/protocols/v2-response.ts';
import { InputSchema } from '../../src/serving/runtime/input-schema.ts';

const INPUTS: SignatureInput[] = [
  { name: 'x1', type: 'double', nullable: true },
  { name: 'x2', type: 'double', nullable: false },
  { name: 'color', type: 'string', nullable: false, categories: ['blue', 'green', 'red'] },
];
const OUTPUTS: SignatureOutput[] = [
  { name: 'label', type: 'string', role: 'label' },
  { name: 'probability', type: 'double', role: 'probability', class: 'yes' },
];
const schema = new InputSchema(INPUTS, OUTPUTS, false);
const lenient = new InputSchema(INPUTS, OUTPUTS, true);

function values(table: Table, name: string): unknown[] {
  return [...(findColumn(table, name)?.values ?? [])];
}

function refusal(fn: () => unknown): { code: string; message: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    return err as { code: string; message: string };
  }
  assert.fail('expected an error');
}

function v2(body: unknown): V2Input {
  return new V2Input(parseV2Request(Buffer.from(JSON.stringify(body))));
}

const good = {
  id: 'r1',
  inputs: [
    { name: 'color', shape: [2], datatype: 'BYTES', data: ['red', 'blue'] },
    { name: 'x1', shape: [2, 1], datatype: 'FP32', data: [[1.5], [null]] },
    { name: 'x2', shape: [2], datatype: 'INT64', data: [3, 4] },
  ],
};

describe('Open Inference Protocol (V2) requests', () => {
  it('matches inputs to columns by name, in any order, flat or nested, any numeric datatype', () => {
    const table = v2(good).toTable(schema);
    assert.equal(table.rows, 2);
    assert.deepEqual(
      table.columns.map((c) => c.name),
      ['x1', 'x2', 'color'],
    );
    assert.deepEqual(values(table, 'x1'), [1.5, Number.NaN]);
    assert.deepEqual(values(table, 'x2'), [3, 4]);
    assert.deepEqual(values(table, 'color'), ['red', 'blue']);
  });

  it('reads binary tensor data after the JSON header (Triton extension)', () => {
    const x1 = Buffer.alloc(16);
    x1.writeDoubleLE(0.25, 0);
    x1.writeDoubleLE(-2, 8);
    const x2 = Buffer.alloc(16);
    x2.writeBigInt64LE(7n, 0);
    x2.writeBigInt64LE(-1n, 8);
    const color = Buffer.concat(
      ['green', 'réd'].flatMap((s) => {
        const bytes = Buffer.from(s);
        const n = Buffer.alloc(4);
        n.writeUInt32LE(bytes.length);
        return [n, bytes];
      }),
    );
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 'x1', shape: [2], datatype: 'FP64', parameters: { binary_data_size: 16 } },
          { name: 'x2', shape: [2], datatype: 'INT64', parameters: { binary_data_size: 16 } },
          { name: 'color', shape: [2], datatype: 'BYTES', parameters: { binary_data_size: color.length } },
        ],
        outputs: [{ name: 'probability', parameters: { binary_data: true } }],
      }),
    );
    const request = parseV2Request(Buffer.concat([header, x1, x2, color]), header.length);
    const table = new V2Input(request).toTable(schema);
    assert.deepEqual(values(table, 'x1'), [0.25, -2]);
    assert.deepEqual(values(table, 'x2'), [7, -1]);
    assert.deepEqual(values(table, 'color'), ['green', 'réd']);
    assert.deepEqual(request.outputs, [{ name: 'probability', binary: true }]);
  });

  it('refuses bad requests with a message naming the input', () => {
    const cases: [unknown, RegExp][] = [
      [{ inputs: [] }, /no "inputs"/],
      [
        { inputs: good.inputs.slice(1) },
        /column color is missing: the model takes x1 \(double\), x2 \(double\), color \(string\)/,
      ],
      [
        { inputs: [...good.inputs, { name: 'x9', shape: [2], datatype: 'FP64', data: [1, 2] }] },
        /no input x9/,
      ],
      [
        { inputs: [{ ...good.inputs[0], datatype: 'FP64' }, ...good.inputs.slice(1)] },
        /input color: datatype FP64 does not fit: the model takes text \(BYTES\)/,
      ],
      [
        { inputs: [good.inputs[0], { ...good.inputs[1], datatype: 'BYTES' }, good.inputs[2]] },
        /input x1: datatype BYTES does not fit: the model takes numbers/,
      ],
      [
        { inputs: [good.inputs[0], good.inputs[1], { ...good.inputs[2], shape: [3] }] },
        /input x2: shape \[3\] holds 3 values, but "data" has 2/,
      ],
      [
        { inputs: [good.inputs[0], good.inputs[1], { ...good.inputs[2], shape: [1, 2] }] },
        /input x2: shape \[1, 2\] does not fit/,
      ],
      [
        { inputs: [good.inputs[0], good.inputs[1], { name: 'x2', shape: [1], datatype: 'FP64', data: [1] }] },
        /input x2 has 1 rows where x1 has 2/,
      ],
      [
        { inputs: [good.inputs[0], good.inputs[1], { ...good.inputs[2], data: ['3', 4] }] },
        /column x2: row 1 holds "3" where the model takes a number/,
      ],
      [
        { inputs: [good.inputs[0], good.inputs[1], { ...good.inputs[2], data: [3, null] }] },
        /column x2: row 2 has no value, and the model saw no missing x2 in training/,
      ],
      [
        { inputs: [{ ...good.inputs[0], data: ['red', 5] }, ...good.inputs.slice(1)] },
        /column color: row 2 holds 5 where the model takes text/,
      ],
      [
        { ...good, outputs: [{ name: 'score' }] },
        /the model has no output score: it gives label, probability/,
      ],
      [
        { inputs: [{ name: 'x1', shape: [1], datatype: 'FP128', data: [1] }] },
        /"datatype" "FP128" is not one of/,
      ],
    ];
    for (const [body, message] of cases) {
      const err = refusal(() => v2(body).toTable(schema));
      assert.equal(err.code, 'INVALID_ARGUMENT', String(message));
      assert.match(err.message, message);
    }
    assert.match(refusal(() => parseV2Request(Buffer.from('{"inputs": [1,'))).message, /not valid JSON/);
  });

  it('reads the NaN that Python clients write as a missing value where the model allows one', () => {
    const text =
      '{"inputs":[{"name":"x1","shape":[1],"datatype":"FP64","data":[NaN]},' +
      '{"name":"x2","shape":[1],"datatype":"FP64","data":[1]},{"name":"color","shape":[1],"datatype":"BYTES","data":["NaN"]}]}';
    const table = new V2Input(parseV2Request(Buffer.from(text))).toTable(schema);
    assert.deepEqual(values(table, 'x1'), [Number.NaN]);
    assert.deepEqual(values(table, 'color'), ['NaN'], 'the text "NaN" inside a string stays text');
    assert.deepEqual(parseJson('{"a": [-Infinity, Infinity, NaN]}'), { a: [-Infinity, Infinity, null] });
  });

  it('answers the outputs asked for, as JSON or binary tensor data', () => {
    const outputs: Table = {
      rows: 2,
      columns: [
        { name: 'label', kind: 'string', values: ['yes', 'no'] },
        { name: 'probability', kind: 'number', values: Float64Array.of(0.75, Number.NaN) },
      ],
    };
    const json = encodeV2Response(
      { name: 'm', version: '3' },
      parseV2Request(Buffer.from(JSON.stringify(good))),
      OUTPUTS,
      outputs,
    );
    assert.deepEqual(JSON.parse(json.body as string), {
      model_name: 'm',
      model_version: '3',
      id: 'r1',
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [2], data: ['yes', 'no'] },
        { name: 'probability', datatype: 'FP64', shape: [2], data: [0.75, null] },
      ],
    });
    const request = parseV2Request(
      Buffer.from(
        JSON.stringify({ ...good, outputs: [{ name: 'probability', parameters: { binary_data: true } }] }),
      ),
    );
    const binary = encodeV2Response({ name: 'm', version: '3' }, request, OUTPUTS, outputs);
    const body = binary.body as Buffer;
    const header = JSON.parse(body.subarray(0, binary.headerLength).toString());
    assert.deepEqual(header.outputs, [
      { name: 'probability', datatype: 'FP64', shape: [2], parameters: { binary_data_size: 16 } },
    ]);
    assert.equal(body.readDoubleLE(binary.headerLength as number), 0.75);
  });
});

describe('MLflow scoring requests', () => {
  const rows = [
    { x1: 1, x2: 2, color: 'red', extra: 'ignored' },
    { x1: null, x2: 4, color: 'blue' },
  ];
  const expected = { x1: [1, Number.NaN], x2: [2, 4], color: ['red', 'blue'] };
  const check = (table: Table) => {
    assert.equal(table.rows, 2);
    for (const [name, v] of Object.entries(expected)) assert.deepEqual(values(table, name), v, name);
  };

  it('reads dataframe_split, dataframe_records, instances and inputs (records or columns) and CSV', () => {
    check(
      mlflowJsonInput({
        dataframe_split: {
          columns: ['color', 'x2', 'x1'],
          data: [
            ['red', 2, 1],
            ['blue', 4, null],
          ],
          index: [0, 1],
        },
      }).toTable(schema),
    );
    check(mlflowJsonInput({ dataframe_records: rows }).toTable(schema));
    check(mlflowJsonInput({ instances: rows }).toTable(schema));
    check(
      mlflowJsonInput({ inputs: { x1: [1, null], x2: [2, 4], color: ['red', 'blue'] }, params: {} }).toTable(
        schema,
      ),
    );
    check(new CsvInput('color,x1,x2\r\n"red",1,2\nblue,,4\n').toTable(schema));
    const quoted = new CsvInput('x1,x2,color\n1,2,"a ""b"", c"\n').toTable(schema);
    assert.deepEqual(values(quoted, 'color'), ['a "b", c']);
  });

  it('refuses bad requests as MLflow does, naming the column', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => mlflowJsonInput([1, 2]), /exactly one of the input fields .*Received a list/],
      [
        () => mlflowJsonInput({ dataframe_records: rows, instances: rows }),
        /exactly one of the input fields/,
      ],
      [() => mlflowJsonInput({ data: rows }), /exactly one of the input fields/],
      [
        () => mlflowJsonInput({ dataframe_records: { x1: 1 } }),
        /Dataframe records format must be a list of records. Got dictionary/,
      ],
      [
        () => mlflowJsonInput({ dataframe_split: [] }),
        /Dataframe split format must be a dictionary. Got list/,
      ],
      [() => mlflowJsonInput({ dataframe_split: { data: [[1]], rows: 1 } }), /must have 'data' field/],
      [
        () => mlflowJsonInput({ dataframe_split: { columns: ['x1'], data: [[1, 2]] } }),
        /row 1 has 2 values for 1 columns/,
      ],
      [
        () => mlflowJsonInput({ dataframe_records: [{ x1: 1, x2: 2 }] }).toTable(schema),
        /column color is missing/,
      ],
      [
        () => mlflowJsonInput({ dataframe_records: [{ x1: 1, x2: 'two', color: 'red' }] }).toTable(schema),
        /column x2: row 1 holds "two" where the model takes a number/,
      ],
      [
        () =>
          mlflowJsonInput({
            dataframe_records: [
              { x1: 1, x2: 2, color: 'red' },
              { x1: 1, x2: 2, color: null },
            ],
          }).toTable(schema),
        /column color: row 2 has no value/,
      ],
      [
        () => mlflowJsonInput({ inputs: { x1: [1], x2: [1, 2], color: ['a'] } }).toTable(schema),
        /column x2 has 2 values where the others have 1/,
      ],
      [
        () => new CsvInput('x1,x2,color\n1,zwei,red\n').toTable(schema),
        /column x2: row 1 holds "zwei" where the model takes a number/,
      ],
      [() => new CsvInput('x1,x2,color\n1,2\n'), /row 1 has 2 fields where the header has 3/],
      [() => new CsvInput('x1,x2,color\n1,2,"red\n'), /quoted field that never ends/],
    ];
    for (const [fn, message] of cases) {
      const err = refusal(fn);
      assert.equal(err.code, 'INVALID_ARGUMENT', String(message));
      assert.match(err.message, message);
    }
  });

  it('passes missing values to the model when allowed', () => {
    const table = mlflowJsonInput({ dataframe_records: [{ x1: null, x2: null, color: null }] }).toTable(
      lenient,
    );
    assert.deepEqual(values(table, 'x2'), [Number.NaN]);
    assert.deepEqual(values(table, 'color'), [null]);
  });

  it('answers predictions as records, one per row', () => {
    const outputs: Table = {
      rows: 2,
      columns: [
        { name: 'label', kind: 'string', values: ['yes', 'no'] },
        { name: 'probability', kind: 'number', values: Float64Array.of(0.75, 0.5) },
      ],
    };
    assert.deepEqual(JSON.parse(encodeMlflowPredictions(OUTPUTS, outputs)), {
      predictions: [
        { label: 'yes', probability: 0.75 },
        { label: 'no', probability: 0.5 },
      ],
    });
  });
});
