import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { FsBlobStore } from '../../src/blobs/fs/fs-blob-store.ts';
import { silentLogger } from '../../src/kernel/logging.ts';
import { trainModel } from '../../src/ml/train/train-model.ts';
import {
  createInferenceServer,
  type InferenceServerOptions,
} from '../../src/server/inference/inference-server.ts';
import { createServingService, type RegistrySource } from '../../src/server/inference/serving-wiring.ts';
import type { InferenceService } from '../../src/serving/inference-service.ts';
import {
  DEFAULT_PREDICTION_LOG,
  type PredictionLogConfig,
} from '../../src/serving/prediction-log/prediction-log-writer.ts';
import { parseServingConfig } from '../../src/serving/serving-config.ts';
import { seeded } from './ml-data.ts';
import { tempDir } from './tmp-dir.ts';

/**
 * Training data: x1 (a number, sometimes missing), x2 (a number, never missing), color (text,
 * sometimes missing), and y (yes/no, or a number for regression).
 */
async function servingCsv(dir: string, regression: boolean): Promise<string> {
  const rnd = seeded(regression ? 8 : 7);
  const colors = ['red', 'green', 'blue'];
  const lines = ['x1,x2,color,y'];
  for (let i = 0; i < 800; i++) {
    const x1 = rnd() * 10 - 5;
    const x2 = rnd() * 4;
    const color = colors[Math.floor(rnd() * 3)] as string;
    const z =
      0.8 * x1 - 1.2 * x2 + (color === 'red' ? 1.5 : color === 'blue' ? -1 : 0) + 2 + (rnd() - 0.5) * 3;
    const y = regression ? (z * 3 + 10).toFixed(4) : z > 0 ? 'yes' : 'no';
    lines.push([rnd() < 0.05 ? '' : x1.toFixed(4), x2.toFixed(4), rnd() < 0.05 ? '' : color, y].join(','));
  }
  const path = join(dir, regression ? 'regression.csv' : 'classification.csv');
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

/** Packages trained on servingCsv's data. */
export interface ServingModels {
  data: string;
  logistic: string;
  gbdt: string;
  regression: string;
}

let models: Promise<ServingModels> | undefined;

/** Three small packages, trained once per test file. */
export function servingModels(): Promise<ServingModels> {
  models ??= (async () => {
    const dir = await tempDir('cairn-serving-models-');
    const data = await servingCsv(dir, false);
    const regressionData = await servingCsv(dir, true);
    const [logistic, gbdt, regression] = await Promise.all([
      trainModel({ data, target: 'y', task: 'classification', out: join(dir, 'logistic'), seed: 1 }),
      trainModel({
        data,
        target: 'y',
        task: 'classification',
        model: 'gbdt',
        params: { max_iter: 20 },
        out: join(dir, 'gbdt'),
        seed: 1,
      }),
      trainModel({
        data: regressionData,
        target: 'y',
        task: 'regression',
        out: join(dir, 'regression'),
        seed: 1,
      }),
    ]);
    return { data, logistic: logistic.dir, gbdt: gbdt.dir, regression: regression.dir };
  })();
  return models;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  service: InferenceService;
  /** The prediction log's directory, when on. */
  logDir?: string;
  close(): Promise<void>;
}

export interface StartOptions {
  registry?: RegistrySource;
  predictionLog?: Partial<PredictionLogConfig> | false;
  server?: Partial<InferenceServerOptions>;
  cwd?: string;
}

/** An inference server on 127.0.0.1 (a free port), serving `config` (parsed with defaults). */
export async function startServing(config: unknown, options: StartOptions = {}): Promise<RunningServer> {
  const dir = await tempDir('cairn-serving-');
  const logDir = options.predictionLog === false ? undefined : join(dir, 'predictions');
  const service = await createServingService({
    registry: options.registry ?? { kind: 'none' },
    cacheDir: join(dir, 'cache'),
    cwd: options.cwd ?? dir,
    ...(logDir
      ? {
          predictionLog: {
            store: new FsBlobStore({ root: logDir }),
            config: { ...DEFAULT_PREDICTION_LOG, ...(options.predictionLog || {}) },
          },
        }
      : {}),
    log: silentLogger,
  });
  await service.apply(parseServingConfig(config));
  const app = createInferenceServer(service, {
    bodyLimit: 8 * 1024 * 1024,
    version: '0.0.0-test',
    mlflowVersion: '3.17.2',
    log: silentLogger,
    ...options.server,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    service,
    ...(logDir ? { logDir } : {}),
    close: async () => {
      await app.close();
      await service.close();
    },
  };
}

/** A V2 request body for rows of the synthetic data's columns. */
export function v2Body(
  rows: { x1: number | null; x2: number | null; color: string | null }[],
  extra: object = {},
) {
  return {
    ...extra,
    inputs: [
      { name: 'x1', shape: [rows.length], datatype: 'FP64', data: rows.map((r) => r.x1) },
      { name: 'x2', shape: [rows.length], datatype: 'FP64', data: rows.map((r) => r.x2) },
      { name: 'color', shape: [rows.length], datatype: 'BYTES', data: rows.map((r) => r.color) },
    ],
  };
}

/** Deterministic rows of the synthetic data's columns. */
export function sampleRows(n: number, seed = 1): { x1: number; x2: number; color: string }[] {
  const colors = ['red', 'green', 'blue'];
  const out: { x1: number; x2: number; color: string }[] = [];
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  for (let i = 0; i < n; i++)
    out.push({ x1: next() * 10 - 5, x2: next() * 4, color: colors[Math.floor(next() * 3)] as string });
  return out;
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : {} };
}
