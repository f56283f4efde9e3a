/**
 * Real clients of the ecosystem against Cairn's inference server: the Triton / KServe Python
 * client over the V2 endpoints (metadata, readiness, infer with binary and JSON tensors of
 * several datatypes), MLflow's deployments client and plain requests shaped as MLflow's scoring
 * protocol. The reference answers are MLflow's own: mlflow.pyfunc predicting the same package.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pythonGate } from '../support/services.ts';
import { type RunningServer, servingModels, startServing } from '../support/serving.ts';

type Json = Record<string, unknown>;
type Answer = { label: string[]; probability: number[] };

const gate = pythonGate();
const SCRIPT = fileURLToPath(new URL('../python/serving_clients.py', import.meta.url));

function python(args: string[]): Promise<Json> {
  const child = spawn(gate.value as string, [SCRIPT, ...args], {
    env: { ...process.env, GIT_PYTHON_REFRESH: 'quiet', MLFLOW_DEPLOYMENT_CLIENT_HTTP_REQUEST_TIMEOUT: '30' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`serving_clients.py exited ${code}:\n${stderr.slice(-4000)}`));
      else resolve(JSON.parse(stdout.slice(stdout.indexOf('{'))) as Json);
    });
  });
}

/** Same labels, and probabilities equal to MLflow's within the rounding of two ONNX Runtime builds. */
function assertMatches(got: Answer, reference: Answer, what: string): void {
  assert.deepEqual(got.label, reference.label, `${what}: labels`);
  got.probability.forEach((p, i) => {
    const want = reference.probability[i] as number;
    assert.ok(
      Math.abs(p - want) <= 1e-12 * Math.max(1, Math.abs(want)),
      `${what}: row ${i + 1}: ${p} vs MLflow's ${want}`,
    );
  });
}

function records(body: unknown): Answer {
  const predictions = (body as { predictions: { label: string; probability: number }[] }).predictions;
  return { label: predictions.map((p) => p.label), probability: predictions.map((p) => p.probability) };
}

describe('Triton, MLflow deployments and requests clients against cairn serve', { skip: gate.skip }, () => {
  let server: RunningServer;
  let r: Json;

  before(async () => {
    const models = await servingModels();
    server = await startServing(
      { endpoints: [{ name: 'income', variants: [{ name: 'primary', model: models.logistic }] }] },
      { predictionLog: false },
    );
    r = await python([server.url, models.logistic]);
  });

  after(async () => {
    await server?.close();
  });

  it('answers the V2 health, metadata and readiness calls of tritonclient', () => {
    assert.equal(r.live, true);
    assert.equal(r.ready, true);
    assert.deepEqual(r.server_metadata, {
      name: 'cairn',
      version: '0.0.0-test',
      extensions: ['binary_tensor_data'],
    });
    const meta = r.model_metadata as Json;
    assert.equal(meta.name, 'income');
    assert.deepEqual(meta.inputs, [
      { name: 'x1', datatype: 'FP64', shape: [-1] },
      { name: 'x2', datatype: 'FP64', shape: [-1] },
      { name: 'color', datatype: 'BYTES', shape: [-1] },
    ]);
    assert.deepEqual([r.model_ready, r.version_ready, r.missing_ready], [true, true, false]);
  });

  it("answers tritonclient's infer as MLflow's pyfunc predicts, with binary and JSON tensors", () => {
    const reference = r.reference as Answer;
    // The client sends the missing color as the empty string: the model reads it as missing too.
    assertMatches(r.triton_binary as Answer, reference, 'binary tensors');
    assert.equal(((r.triton_binary as Json).response as Json).id, 'tri-1');
    // x2 sent as FP32 here: its values (0.5, 2, 3.75, 1) are exact in float32.
    assertMatches(r.triton_json as Answer, reference, 'JSON tensors');
    assert.match(r.triton_error as string, /column color is missing/);
  });

  it("answers MLflow's deployments client and requests-shaped scoring calls", () => {
    const reference = r.reference as Answer;
    assertMatches(records(r.deployments), reference, 'mlflow.deployments predict');
    assertMatches(records(r.requests_records), reference, 'dataframe_records with a NaN');
    assertMatches(records(r.requests_csv), reference, 'text/csv');
    const error = r.requests_error as { status: number; body: Json };
    assert.equal(error.status, 400);
    assert.equal(error.body.error_code, 'BAD_REQUEST');
    assert.match(
      error.body.message as string,
      /column x2: row 1 holds "many" where the model takes a number/,
    );
  });
});
