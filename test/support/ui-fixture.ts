import { deflateSync } from 'node:zlib';

/**
 * Data for the web UI's browser tests and screenshots, written through the server's public HTTP
 * APIs as clients would: two experiments, 60 runs of a parameter sweep (params, metric histories,
 * tags, dataset inputs, one run with pipeline tags, a 20,000-step history with a spike,
 * artifacts: a log, JSON, CSV, a PNG, and a file over the preview cap), and a registered model
 * with three versions and two aliases.
 */
export interface UiFixture {
  experimentId: string;
  /** Run ids by name (`sweep-00` … `sweep-59`, `long-history`). */
  runs: Record<string, string>;
  model: string;
}

type Headers = Record<string, string>;

const T0 = Date.UTC(2025, 2, 3, 9, 0, 0);

async function call(
  base: string,
  headers: Headers,
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** A small PNG (a colour gradient), made here so the fixture has no binary files. */
export function gradientPng(width = 96, height = 48): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = (crcTable[(c ^ b) & 0xff] as number) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const at = y * (width * 3 + 1) + 1 + x * 3;
      raw[at] = Math.round((x / width) * 255);
      raw[at + 1] = Math.round((y / height) * 200);
      raw[at + 2] = 180;
    }
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A deterministic pseudo-random sequence, so screenshots come out the same every time. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export async function seedUiFixture(base: string, headers: Headers = {}): Promise<UiFixture> {
  const mlflow = (method: string, path: string, body?: unknown) =>
    call(base, headers, method, `/api/2.0/mlflow/${path}`, body);
  const put = async (artifactUri: string, path: string, body: Buffer | string) => {
    const where = artifactUri.replace(/^mlflow-artifacts:\//, '');
    const res = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts/${where}/${path}`, {
      method: 'PUT',
      headers,
      body,
    });
    if (!res.ok) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`);
  };
  const next = random(42);
  const { experiment_id: experimentId } = (await mlflow('POST', 'experiments/create', {
    name: 'churn-model',
  })) as {
    experiment_id: string;
  };
  await mlflow('POST', 'experiments/create', { name: 'image-classifier' });
  const runs: Record<string, string> = {};
  const artifactUris: Record<string, string> = {};
  const models = ['gbdt', 'logistic', 'ridge'];
  for (let i = 0; i < 60; i++) {
    const name = `sweep-${String(i).padStart(2, '0')}`;
    const created = (await mlflow('POST', 'runs/create', {
      experiment_id: experimentId,
      run_name: name,
      start_time: T0 + i * 60_000,
      user_id: i % 3 === 0 ? 'ada' : 'grace',
      tags: [{ key: 'mlflow.user', value: i % 3 === 0 ? 'ada' : 'grace' }],
    })) as { run: { info: { run_id: string; artifact_uri: string } } };
    const id = created.run.info.run_id;
    runs[name] = id;
    artifactUris[name] = created.run.info.artifact_uri;
    const lr = [0.3, 0.1, 0.03, 0.01][i % 4] as number;
    const depth = 2 + (i % 6);
    const quality = 0.7 + 0.25 * (1 - Math.abs(Math.log10(lr) + 1.5) / 1.5) * (depth / 7) + next() * 0.02;
    const loss = Array.from({ length: 120 }, (_, step) => ({
      key: 'loss',
      value: 1 - quality + Math.exp(-step * lr * 0.4) * 0.8 + next() * 0.01,
      step,
      timestamp: T0 + i * 60_000 + step * 500,
    }));
    const finals = [
      { key: 'auc', value: Number(quality.toFixed(4)) },
      { key: 'accuracy', value: Number((quality - 0.05).toFixed(4)) },
      { key: 'f1', value: Number((quality - 0.08 + next() * 0.02).toFixed(4)) },
      { key: 'train_seconds', value: Math.round(20 + depth * 8 + next() * 10) },
    ].map((m) => ({ ...m, step: 119, timestamp: T0 + i * 60_000 + 60_000 }));
    await mlflow('POST', 'runs/log-batch', {
      run_id: id,
      params: [
        { key: 'lr', value: String(lr) },
        { key: 'max_depth', value: String(depth) },
        { key: 'model', value: models[i % 3] },
        { key: 'n_estimators', value: String(100 * (1 + (i % 5))) },
        { key: 'seed', value: String(i) },
      ],
      metrics: [...loss, ...finals],
      tags: [
        { key: 'team', value: i % 2 === 0 ? 'retention' : 'growth' },
        {
          key: 'mlflow.source.git.commit',
          value: `3f2a9c1${String(i % 4)}d8e6b0a4c7f19e2d5b8a0c3e6f9d1b4a7`,
        },
      ],
    });
    await mlflow('POST', 'runs/update', {
      run_id: id,
      status: i === 7 ? 'FAILED' : 'FINISHED',
      end_time: T0 + i * 60_000 + 60_000 + depth * 9_000,
    });
  }
  const featured = runs['sweep-41'] as string;
  await mlflow('POST', 'runs/log-inputs', {
    run_id: featured,
    datasets: [
      {
        tags: [
          { key: 'mlflow.data.context', value: 'training' },
          { key: 'cairn.hash', value: `sha256:${'9c1e5a7d3b'.repeat(6)}2f4e` },
        ],
        dataset: {
          name: 'customers.csv',
          digest: '9c1e5a7d',
          source_type: 'local',
          source: 'data/customers.csv',
        },
      },
      {
        tags: [{ key: 'mlflow.data.context', value: 'evaluation' }],
        dataset: {
          name: 'holdout.csv',
          digest: 'b7d20e44',
          source_type: 'local',
          source: 'data/holdout.csv',
        },
      },
    ],
  });
  await mlflow('POST', 'runs/log-batch', {
    run_id: featured,
    tags: [
      { key: 'cairn.command', value: 'cairn run train --set train.lr=0.1' },
      { key: 'cairn.stage.prepare.status', value: 'cached' },
      { key: 'cairn.stage.prepare.duration_ms', value: '412' },
      { key: 'cairn.stage.train.status', value: 'succeeded' },
      { key: 'cairn.stage.train.duration_ms', value: '73120' },
      { key: 'cairn.output.models/churn', value: `sha256:${'4be0'.repeat(16)}` },
      { key: 'mlflow.source.git.branch', value: 'main' },
    ],
  });
  const uri = artifactUris['sweep-41'] as string;
  await put(
    uri,
    'logs/train.log',
    Array.from({ length: 40 }, (_, i) => `epoch ${i + 1}: loss=${(0.9 * Math.exp(-i / 9)).toFixed(4)}`).join(
      '\n',
    ),
  );
  await put(
    uri,
    'logs/prepare.log',
    'read 120000 rows from data/customers.csv\nwrote data/features.parquet\n',
  );
  await put(uri, 'metrics.json', JSON.stringify({ auc: 0.941, accuracy: 0.892, f1: 0.861, threshold: 0.42 }));
  await put(
    uri,
    'eval/predictions.csv',
    [
      'customer_id,churned,score',
      ...Array.from(
        { length: 500 },
        (_, i) => `${1000 + i},${i % 3 === 0},${(0.5 + Math.sin(i) / 2).toFixed(3)}`,
      ),
    ].join('\n'),
  );
  await put(uri, 'eval/roc.png', gradientPng());
  await put(uri, 'eval/scores-full.csv', `${'customer_id,score\n'}${'1234,0.5\n'.repeat(150_000)}`);
  await put(uri, 'model/MLmodel', 'artifact_path: model\nflavors:\n  onnx:\n    onnx_version: 1.17.0\n');
  await put(uri, 'model/model.onnx', Buffer.alloc(4096, 7));

  // One run with a long history: 20,000 steps with one spike the charts must keep.
  const long = (await mlflow('POST', 'runs/create', {
    experiment_id: experimentId,
    run_name: 'long-history',
    start_time: T0 + 61 * 60_000,
  })) as { run: { info: { run_id: string } } };
  runs['long-history'] = long.run.info.run_id;
  for (let from = 0; from < 20_000; from += 1000)
    await mlflow('POST', 'runs/log-batch', {
      run_id: long.run.info.run_id,
      metrics: Array.from({ length: 1000 }, (_, j) => {
        const step = from + j;
        return {
          key: 'loss',
          value: step === 13_337 ? 5 : 0.2 + 0.8 * Math.exp(-step / 3000) + Math.sin(step / 40) * 0.02,
          step,
          timestamp: T0 + step,
        };
      }),
    });

  const model = 'churn';
  await mlflow('POST', 'registered-models/create', {
    name: model,
    description: 'Predicts which customers leave next month.',
  });
  for (const name of ['sweep-12', 'sweep-41', 'sweep-45']) {
    const run = runs[name] as string;
    await put(artifactUris[name] as string, 'model/MLmodel', 'artifact_path: model\nflavors:\n  onnx: {}\n');
    await mlflow('POST', 'model-versions/create', {
      name: model,
      source: `${artifactUris[name]}/model`,
      run_id: run,
    });
  }
  await mlflow('POST', 'registered-models/alias', { name: model, alias: 'champion', version: '2' });
  // The challenger held v2 before v3, so the registry's alias history has a move to roll back.
  await mlflow('POST', 'registered-models/alias', { name: model, alias: 'challenger', version: '2' });
  await mlflow('POST', 'registered-models/alias', { name: model, alias: 'challenger', version: '3' });
  await mlflow('POST', 'registered-models/set-tag', { name: model, key: 'owner', value: 'retention-team' });
  return { experimentId, runs, model };
}
