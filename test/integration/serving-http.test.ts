/**
 * `cairn serve`'s HTTP server, over real HTTP on a free port with real ONNX Runtime sessions:
 * both protocols answer what the model answers unbatched, signature errors are 400s naming the
 * column, batching does not change a single output, overload is shed with 503 + Retry-After,
 * deadlines give 504, /metrics passes promtool, and the prediction log reads back with DuckDB.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { OnnxRuntime } from '../../src/ml/runtime/onnx-runtime.ts';
import { findColumn, tableFromRecords } from '../../src/ml/table/table.ts';
import { promtoolGate } from '../support/services.ts';
import {
  postJson,
  type RunningServer,
  type ServingModels,
  sampleRows,
  servingModels,
  startServing,
  v2Body,
} from '../support/serving.ts';

type Row = { x1: number | null; x2: number | null; color: string | null };

let models: ServingModels;
let server: RunningServer;
let reference: OnnxRuntime;

/** What the package answers through ONNX Runtime directly, one call for these rows. */
async function expected(rows: Row[]): Promise<{ label: unknown[]; probability: number[] }> {
  const table = tableFromRecords(rows, [
    { name: 'x1', kind: 'number' },
    { name: 'x2', kind: 'number' },
    { name: 'color', kind: 'string' },
  ]);
  const out = await reference.run(table);
  return {
    label: [...(findColumn(out, 'label')?.values ?? [])],
    probability: [...((findColumn(out, 'probability')?.values as Float64Array) ?? [])],
  };
}

function outputs(json: Record<string, unknown>): Record<string, unknown[]> {
  return Object.fromEntries(
    (json.outputs as { name: string; data: unknown[] }[]).map((o) => [o.name, o.data]),
  );
}

before(async () => {
  models = await servingModels();
  reference = await OnnxRuntime.open(models.logistic);
  server = await startServing(
    {
      endpoints: [
        { name: 'income', variants: [{ name: 'primary', model: models.logistic }] },
        { name: 'trees', variants: [{ name: 'primary', model: models.gbdt }] },
        { name: 'amount', variants: [{ name: 'primary', model: models.regression }] },
        {
          name: 'tiny-queue',
          variants: [{ name: 'primary', model: models.gbdt }],
          batching: { max_queue: 2, max_batch_size: 1 },
        },
      ],
    },
    { predictionLog: { flush_interval_ms: 60_000 } },
  );
});

after(async () => {
  await server?.close();
  await reference?.close();
});

describe('Open Inference Protocol (V2) over HTTP', () => {
  it('answers health, server and model metadata and readiness', async () => {
    const get = (path: string) => fetch(`${server.url}${path}`);
    assert.equal((await get('/v2/health/live')).status, 200);
    assert.equal((await get('/v2/health/ready')).status, 200);
    assert.deepEqual(await (await get('/v2')).json(), {
      name: 'cairn',
      version: '0.0.0-test',
      extensions: ['binary_tensor_data'],
    });
    const meta = (await (await get('/v2/models/income')).json()) as Record<string, unknown>;
    assert.equal(meta.name, 'income');
    assert.equal(meta.platform, 'onnx_onnxv1');
    assert.deepEqual(meta.inputs, [
      { name: 'x1', datatype: 'FP64', shape: [-1] },
      { name: 'x2', datatype: 'FP64', shape: [-1] },
      { name: 'color', datatype: 'BYTES', shape: [-1] },
    ]);
    assert.deepEqual(meta.outputs, [
      { name: 'label', datatype: 'BYTES', shape: [-1] },
      { name: 'probability', datatype: 'FP64', shape: [-1] },
    ]);
    const version = (meta.versions as string[])[0] as string;
    assert.equal((await get(`/v2/models/income/versions/${version}`)).status, 200);
    assert.equal((await get('/v2/models/income/ready')).status, 200);
    assert.equal((await get(`/v2/models/income/versions/${version}/ready`)).status, 200);
    assert.equal((await get('/v2/models/income/versions/999/ready')).status, 404);
    const missing = await get('/v2/models/nope');
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error: string }).error, /no model named nope is served here/);
    const listed = (await (await get('/v2/models')).json()) as { models: { name: string }[] };
    assert.deepEqual(
      listed.models.map((m) => m.name),
      ['income', 'trees', 'amount', 'tiny-queue'],
    );
  });

  it('answers what the model answers, with the request id echoed and the variant tagged', async () => {
    const rows = sampleRows(5);
    const response = await postJson(`${server.url}/v2/models/income/infer`, v2Body(rows, { id: 'req-7' }), {
      'x-request-id': 'trace-123',
    });
    assert.equal(response.status, 200);
    assert.equal(response.json.id, 'req-7');
    assert.equal(response.json.model_name, 'income');
    assert.equal(response.headers.get('x-request-id'), 'trace-123');
    assert.equal(response.headers.get('x-cairn-variant'), 'primary');
    assert.equal(response.headers.get('x-cairn-model-version'), response.json.model_version);
    assert.deepEqual(outputs(response.json), await expected(rows));
    const regression = await postJson(`${server.url}/v2/models/amount/infer`, v2Body(rows));
    assert.deepEqual(
      (regression.json.outputs as { name: string; datatype: string; shape: number[] }[]).map((o) => [
        o.name,
        o.datatype,
        o.shape,
      ]),
      [['prediction', 'FP64', [5]]],
    );
  });

  it('takes and gives binary tensor data', async () => {
    const rows = sampleRows(3, 9);
    const x1 = Buffer.alloc(24);
    const x2 = Buffer.alloc(12);
    rows.forEach((r, i) => {
      x1.writeDoubleLE(r.x1, i * 8);
      x2.writeFloatLE(r.x2, i * 4);
    });
    const color = Buffer.concat(
      rows.flatMap((r) => {
        const n = Buffer.alloc(4);
        n.writeUInt32LE(Buffer.byteLength(r.color));
        return [n, Buffer.from(r.color)];
      }),
    );
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 'x1', shape: [3], datatype: 'FP64', parameters: { binary_data_size: 24 } },
          { name: 'x2', shape: [3], datatype: 'FP32', parameters: { binary_data_size: 12 } },
          { name: 'color', shape: [3], datatype: 'BYTES', parameters: { binary_data_size: color.length } },
        ],
        parameters: { binary_data_output: true },
      }),
    );
    const response = await fetch(`${server.url}/v2/models/income/infer`, {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(header.length),
      },
      body: Buffer.concat([header, x1, x2, color]),
    });
    assert.equal(response.status, 200);
    const body = Buffer.from(await response.arrayBuffer());
    const jsonLength = Number(response.headers.get('inference-header-content-length'));
    const json = JSON.parse(body.subarray(0, jsonLength).toString()) as {
      outputs: { name: string; parameters: { binary_data_size: number } }[];
    };
    const probability = json.outputs.find((o) => o.name === 'probability');
    const labelSize = json.outputs[0]?.parameters.binary_data_size as number;
    const start = jsonLength + labelSize;
    const got = [0, 1, 2].map((i) => body.readDoubleLE(start + i * 8));
    assert.equal(probability?.parameters.binary_data_size, 24);
    // FP32 x2 loses precision: the reference gets the same float32 values.
    const want = await expected(rows.map((r) => ({ ...r, x2: Math.fround(r.x2) })));
    assert.deepEqual(got, want.probability);
  });

  it('refuses bad requests with 400 naming the column, 404 for unknown models and versions', async () => {
    const rows = sampleRows(2);
    const body = v2Body(rows);
    const missing = await postJson(`${server.url}/v2/models/income/infer`, {
      inputs: body.inputs.slice(0, 2),
    });
    assert.equal(missing.status, 400);
    assert.match(missing.json.error as string, /column color is missing/);
    const wrongType = await postJson(`${server.url}/v2/models/income/infer`, {
      inputs: [body.inputs[0], { ...body.inputs[1], data: ['a', 'b'] }, body.inputs[2]],
    });
    assert.equal(wrongType.status, 400);
    assert.match(wrongType.json.error as string, /column x2: row 1 holds "a" where the model takes a number/);
    const nan = await postJson(
      `${server.url}/v2/models/income/infer`,
      '{"inputs":[{"name":"x1","shape":[1],"datatype":"FP64","data":[1]},{"name":"x2","shape":[1],"datatype":"FP64","data":[NaN]},{"name":"color","shape":[1],"datatype":"BYTES","data":["red"]}]}',
    );
    assert.equal(nan.status, 400);
    assert.match(
      nan.json.error as string,
      /column x2: row 1 has no value, and the model saw no missing x2 in training/,
    );
    const shape = await postJson(`${server.url}/v2/models/income/infer`, {
      inputs: [{ ...body.inputs[0], shape: [2, 2] }, ...body.inputs.slice(1)],
    });
    assert.equal(shape.status, 400);
    assert.match(shape.json.error as string, /input x1: shape \[2, 2\] does not fit/);
    const unknown = await postJson(`${server.url}/v2/models/nope/infer`, body);
    assert.equal(unknown.status, 404);
    assert.match(unknown.json.error as string, /no model named nope/);
    const version = await postJson(`${server.url}/v2/models/income/versions/999/infer`, body);
    assert.equal(version.status, 404);
    assert.match(version.json.error as string, /does not serve version 999/);
    const notJson = await postJson(`${server.url}/v2/models/income/infer`, '{"inputs":');
    assert.equal(notJson.status, 400);
    assert.match(notJson.json.error as string, /not valid JSON/);
  });
});

describe('MLflow scoring over HTTP', () => {
  const rows = sampleRows(4, 3);

  it('answers every input format with the same predictions, as records', async () => {
    const want = await expected(rows);
    const records = want.label.map((label, i) => ({ label, probability: want.probability[i] }));
    const columns = ['x1', 'x2', 'color'] as const;
    const bodies = [
      { dataframe_split: { columns, data: rows.map((r) => columns.map((c) => r[c])) } },
      { dataframe_records: rows },
      { instances: rows },
      { inputs: Object.fromEntries(columns.map((c) => [c, rows.map((r) => r[c])])) },
    ];
    for (const body of bodies) {
      const response = await postJson(`${server.url}/invocations`, body);
      assert.equal(response.status, 200, JSON.stringify(response.json));
      assert.deepEqual(response.json, { predictions: records });
    }
    const csv = await fetch(`${server.url}/endpoints/income/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: `x1,x2,color\n${rows.map((r) => `${r.x1},${r.x2},${r.color}`).join('\n')}\n`,
    });
    assert.equal(csv.status, 200);
    assert.deepEqual(await csv.json(), { predictions: records });
    assert.equal((await fetch(`${server.url}/ping`)).status, 200);
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    assert.equal(await (await fetch(`${server.url}/version`)).text(), '3.17.2');
  });

  it("answers errors in MLflow's shape", async () => {
    const bad = await postJson(`${server.url}/invocations`, {
      dataframe_records: [{ x1: 1, x2: 'x', color: 'red' }],
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error_code, 'BAD_REQUEST');
    assert.match(bad.json.message as string, /column x2: row 1 holds "x" where the model takes a number/);
    const format = await postJson(`${server.url}/invocations`, { data: rows });
    assert.equal(format.status, 400);
    assert.match(format.json.message as string, /exactly one of the input fields/);
    const media = await fetch(`${server.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<rows/>',
    });
    assert.equal(media.status, 415);
    const mediaBody = (await media.json()) as { error_code: string; message: string };
    assert.equal(mediaBody.error_code, 'BAD_REQUEST');
    assert.match(mediaBody.message, /only supports the following content types/);
    const unknown = await postJson(`${server.url}/endpoints/nope/invocations`, { dataframe_records: rows });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error_code, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('refuses a body over the size limit with 413', async () => {
    const small = await startServing(
      { endpoints: [{ name: 'm', variants: [{ name: 'p', model: models.logistic }] }] },
      { predictionLog: false, server: { bodyLimit: 10_000 } },
    );
    try {
      const big = { dataframe_records: sampleRows(400) };
      const mlflow = await postJson(`${small.url}/invocations`, big);
      assert.equal(mlflow.status, 413);
      assert.equal(mlflow.json.error_code, 'RESOURCE_EXHAUSTED');
      const v2 = await postJson(`${small.url}/v2/models/m/infer`, v2Body(sampleRows(400)));
      assert.equal(v2.status, 413);
      assert.match(v2.json.error as string, /larger than the server accepts/);
    } finally {
      await small.close();
    }
  });
});

describe('micro-batching', () => {
  it('gives every request exactly the outputs it gets alone, however requests are batched', async () => {
    const requests = Array.from({ length: 120 }, (_, i) => sampleRows(1 + (i % 7), 100 + i));
    const alone: unknown[] = [];
    for (const rows of requests)
      alone.push(outputs((await postJson(`${server.url}/v2/models/trees/infer`, v2Body(rows))).json));
    const metrics = async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const read = (name: string) =>
        Number(
          new RegExp(`^${name}\\{model="gbdt",version="[0-9a-f]+"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0,
        );
      return {
        batches: read('cairn_inference_batch_requests_count'),
        requests: read('cairn_inference_batch_requests_sum'),
      };
    };
    const before = await metrics();
    const together = await Promise.all(
      requests.map(async (rows) =>
        outputs((await postJson(`${server.url}/v2/models/trees/infer`, v2Body(rows))).json),
      ),
    );
    const afterwards = await metrics();
    assert.deepEqual(together, alone);
    const batches = afterwards.batches - before.batches;
    const merged = afterwards.requests - before.requests;
    assert.equal(merged, requests.length);
    assert.ok(batches < requests.length, `${requests.length} concurrent requests ran in ${batches} batches`);
  });
});

describe('overload and deadlines', () => {
  it('sheds what the bounded queue cannot hold with 503 and Retry-After, and answers the rest', async () => {
    const rows = sampleRows(3000, 5);
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => postJson(`${server.url}/v2/models/tiny-queue/infer`, v2Body(rows))),
    );
    const statuses = new Set(answers.map((a) => a.status));
    assert.deepEqual(
      [...statuses].filter((s) => s !== 200 && s !== 503),
      [],
    );
    const shed = answers.filter((a) => a.status === 503);
    assert.ok(shed.length > 0, 'some requests were shed');
    assert.ok(answers.some((a) => a.status === 200));
    for (const a of shed) {
      assert.equal(a.headers.get('retry-after'), '1');
      assert.match(a.json.error as string, /is at capacity: 2 requests are waiting/);
    }
  });

  it('answers 504 when a request passes its deadline before it runs', async () => {
    const timedOut = await postJson(
      `${server.url}/v2/models/income/infer`,
      v2Body(sampleRows(1), { parameters: { timeout: 1 } }),
    );
    assert.equal(timedOut.status, 504);
    assert.match(timedOut.json.error as string, /passed its deadline/);
    const mlflow = await postJson(
      `${server.url}/invocations`,
      { dataframe_records: sampleRows(1) },
      {
        'x-cairn-timeout-ms': '0.0001',
      },
    );
    assert.equal(mlflow.status, 504);
    assert.equal(mlflow.json.error_code, 'DEADLINE_EXCEEDED');
  });
});

describe('metrics and the prediction log', () => {
  it('exposes Prometheus metrics that promtool accepts', { skip: promtoolGate().skip }, async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    for (const name of [
      'cairn_inference_requests_total',
      'cairn_inference_request_duration_seconds_bucket',
      'cairn_inference_errors_total',
      'cairn_inference_batch_size_bucket',
      'cairn_inference_queue_depth',
      'cairn_inference_in_flight',
      'cairn_model_load_seconds',
      'cairn_model_loaded',
    ])
      assert.match(text, new RegExp(`^${name}\\{`, 'm'), name);
    assert.match(
      text,
      /^cairn_inference_errors_total\{endpoint="income",model="logistic",version="[0-9a-f]+",variant="primary",code="400"\} \d+/m,
    );
    assert.match(
      text,
      /^cairn_inference_errors_total\{endpoint="tiny-queue",model="gbdt",version="[0-9a-f]+",variant="primary",code="503"\} \d+/m,
    );
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(promtool.status, 0, `${promtool.stdout}${promtool.stderr}`);
  });

  it('logs each answered row with its request id, variant, version, inputs and outputs, readable with DuckDB', async () => {
    const rows: Row[] = [
      { x1: 1.5, x2: 2, color: 'red' },
      { x1: null, x2: 0.5, color: 'blue' },
    ];
    const response = await postJson(`${server.url}/v2/models/income/infer`, v2Body(rows), {
      'x-request-id': 'log-me',
    });
    assert.equal(response.status, 200);
    await server.service.close().catch(() => undefined);
    const files = readdirSync(`${server.logDir}/income`, { recursive: true }).filter((f) =>
      String(f).endsWith('.jsonl'),
    );
    assert.ok(files.length > 0);
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    const reader = await connection.runAndReadAll(
      `SELECT request_id, "row", endpoint, variant, shadow, model, model_version, inputs.x1 AS x1, inputs.color AS color,
              outputs.label AS label, outputs.probability AS probability, latency_ms > 0 AS timed, ts::TIMESTAMP IS NOT NULL AS dated
       FROM read_json('${server.logDir}/**/*.jsonl', format = 'newline_delimited', union_by_name = true)
       WHERE request_id = 'log-me' ORDER BY "row"`,
    );
    const got = reader.getRowObjectsJson();
    const want = await expected(rows);
    assert.deepEqual(got, [
      {
        request_id: 'log-me',
        row: '0',
        endpoint: 'income',
        variant: 'primary',
        shadow: false,
        model: 'logistic',
        model_version: response.json.model_version,
        x1: 1.5,
        color: 'red',
        label: want.label[0],
        probability: want.probability[0],
        timed: true,
        dated: true,
      },
      {
        request_id: 'log-me',
        row: '1',
        endpoint: 'income',
        variant: 'primary',
        shadow: false,
        model: 'logistic',
        model_version: response.json.model_version,
        x1: null,
        color: 'blue',
        label: want.label[1],
        probability: want.probability[1],
        timed: true,
        dated: true,
      },
    ]);
    connection.closeSync();
  });
});
