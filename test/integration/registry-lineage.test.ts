import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { encodeManifest } from '../../src/data/manifest.ts';
import { RunRecorder } from '../../src/pipeline/run/run-recorder.ts';
import { git } from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';
import { get, json, post, startTestServer, type TestServer, variants } from './server-harness.ts';

type Json = Record<string, unknown>;
type Tags = { key: string; value: string }[];

const DATA_HASH = `sha256:${'ab'.repeat(32)}`;
const OUTPUT_HASH = `sha256:${'cd'.repeat(32)}`;
const FILES: Record<string, string> = {
  MLmodel: 'flavors:\n  onnx: {}\n',
  'model.onnx': 'onnx-bytes-v1',
  'sub dir/weights.bin': 'weights',
};

/** The package hash computed here from the file contents, independently of the server's listing. */
function expectedHash(files: Record<string, string>): string {
  const entries = Object.entries(files).map(([path, content]) => ({
    path,
    hash: `sha256:${createHash('sha256').update(content).digest('hex')}` as const,
    size: Buffer.byteLength(content),
    mode: 0o644,
  }));
  return encodeManifest({ entries }).digest;
}

/** Lineage recorded on version creation and read back through /api/v1, on every artifact backend. */
for (const variant of variants())
  describe(`model version lineage (${variant.name})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let runId = '';
    let artifactUri = '';
    before(async () => {
      server = await startTestServer(variant);
      const experimentId = json(
        await post(server.app, '/experiments/create', { name: 'lineage' }),
      ).experiment_id;
      const run = (json(await post(server.app, '/runs/create', { experiment_id: experimentId })).run as Json)
        .info as Json;
      runId = run.run_id as string;
      artifactUri = run.artifact_uri as string;
      const tags = [
        ['mlflow.source.git.commit', '0123456789abcdef0123456789abcdef01234567'],
        ['cairn.command', 'cairn run train'],
        ['cairn.stage.train.status', 'done'],
        ['cairn.stage.train.duration_ms', '1200'],
        ['cairn.output.models/churn', OUTPUT_HASH],
      ].map(([key, value]) => ({ key, value }));
      assert.equal((await post(server.app, '/runs/log-batch', { run_id: runId, tags })).statusCode, 200);
      const input = {
        tags: [
          { key: 'cairn.hash', value: DATA_HASH },
          { key: 'mlflow.data.context', value: 'train' },
        ],
        dataset: {
          name: 'data/train.csv',
          digest: DATA_HASH.slice(7, 43),
          source_type: 'cairn',
          source: 'data/train.csv',
        },
      };
      const plain = {
        tags: [],
        dataset: { name: 'holdout', digest: 'abc123', source_type: 'local', source: '/h.csv' },
      };
      assert.equal(
        (await post(server.app, '/runs/log-inputs', { run_id: runId, datasets: [input, plain] })).statusCode,
        200,
      );
      await upload(FILES);
      await post(server.app, '/registered-models/create', { name: 'churn' });
    });
    after(async () => {
      await server?.close();
    });

    async function upload(files: Record<string, string>): Promise<void> {
      const base = artifactUri.replace('mlflow-artifacts:/', '/api/2.0/mlflow-artifacts/artifacts/');
      for (const [path, content] of Object.entries(files)) {
        const url = `${base}/model/${path.split('/').map(encodeURIComponent).join('/')}`;
        const res = await server.app.inject({ method: 'PUT', url, payload: content });
        assert.equal(res.statusCode, 200, res.body);
      }
    }
    const ok = (res: LightMyRequestResponse): Json => {
      assert.equal(res.statusCode, 200, res.body);
      return json(res);
    };
    const createVersion = async (body: Json) =>
      ok(await post(server.app, '/model-versions/create', { name: 'churn', ...body }))
        .model_version as Json & { tags: Tags };
    const lineage = async (version: string, verify = false) =>
      ok(
        await server.app.inject({
          method: 'GET',
          url: `/api/v1/models/churn/versions/${version}/lineage${verify ? '?verify=true' : ''}`,
        }),
      );
    const tag = (tags: Tags, key: string) => tags.find((t) => t.key === key)?.value;

    it('records the run, datasets, commit, lock entry and package hash as version tags', async () => {
      const v = await createVersion({ source: `runs:/${runId}/model`, run_id: runId });
      assert.equal(tag(v.tags, 'cairn.lineage.run_id'), runId);
      assert.deepEqual(JSON.parse(tag(v.tags, 'cairn.lineage.datasets') as string), [
        { name: 'data/train.csv', digest: DATA_HASH },
        { name: 'holdout', digest: 'abc123' },
      ]);
      assert.equal(tag(v.tags, 'cairn.lineage.git_commit'), '0123456789abcdef0123456789abcdef01234567');
      assert.deepEqual(JSON.parse(tag(v.tags, 'cairn.lineage.lock_entry') as string), {
        command: 'cairn run train',
        stages: { train: { status: 'done', duration_ms: 1200 } },
        outputs: { 'models/churn': OUTPUT_HASH },
      });
      assert.equal(tag(v.tags, 'cairn.package_hash'), expectedHash(FILES));
      const read = ok(
        await get(server.app, '/model-versions/get', { name: 'churn', version: v.version as string }),
      );
      assert.deepEqual((read.model_version as Json).tags, v.tags, 'MLflow clients read the same tags');
    });

    it('answers the chain from /api/v1/models/{name}/versions/{version}/lineage', async () => {
      const l = await lineage('1', true);
      assert.deepEqual(l.model_version, {
        name: 'churn',
        version: '1',
        source: `runs:/${runId}/model`,
        download_uri: `runs:/${runId}/model`,
        current_stage: 'None',
        aliases: [],
        creation_timestamp: (l.model_version as Json).creation_timestamp,
      });
      assert.equal(l.logged_model, null);
      assert.deepEqual(
        [(l.run as Json).run_id, (l.run as Json).found, (l.run as Json).artifact_uri],
        [runId, true, artifactUri],
      );
      assert.deepEqual(l.datasets, [
        { name: 'data/train.csv', digest: DATA_HASH },
        { name: 'holdout', digest: 'abc123' },
      ]);
      assert.equal(l.git_commit, '0123456789abcdef0123456789abcdef01234567');
      assert.equal((l.lock_entry as Json).command, 'cairn run train');
      const size = Object.values(FILES).reduce((n, c) => n + c.length, 0);
      assert.deepEqual(l.package, { hash: expectedHash(FILES), verified: true, files: 3, size });
    });

    it('gives the same package hash for the same files, and a new one when a file changes', async () => {
      const same = await createVersion({ source: `${artifactUri}/model`, run_id: runId });
      assert.equal(tag(same.tags, 'cairn.package_hash'), expectedHash(FILES));
      const changed = { ...FILES, 'model.onnx': 'onnx-bytes-v2' };
      await upload({ 'model.onnx': changed['model.onnx'] as string });
      const next = await createVersion({ source: `runs:/${runId}/model`, run_id: runId });
      assert.equal(tag(next.tags, 'cairn.package_hash'), expectedHash(changed));
      assert.notEqual(expectedHash(changed), expectedHash(FILES));
      const first = ok(await get(server.app, '/model-versions/get', { name: 'churn', version: '1' }))
        .model_version as Json;
      assert.equal(
        tag(first.tags as Tags, 'cairn.package_hash'),
        expectedHash(FILES),
        'a recorded hash never changes',
      );
      assert.equal(
        ((await lineage('1', true)).package as Json).verified,
        false,
        'the files no longer match version 1',
      );
      assert.equal(((await lineage(next.version as string, true)).package as Json).verified, true);
      assert.equal(((await lineage('1')).package as Json).verified, null, 'not checked without ?verify');
    });

    it('records lineage but no package hash for files outside the server, and nothing for unknown runs', async () => {
      const outside = await createVersion({ source: 's3://elsewhere/churn/model', run_id: runId });
      assert.equal(tag(outside.tags, 'cairn.lineage.run_id'), runId);
      assert.equal(tag(outside.tags, 'cairn.package_hash'), undefined);
      assert.deepEqual((await lineage(outside.version as string, true)).package as Json, {
        hash: null,
        verified: null,
      });
      const ghost = await createVersion({ source: 'runs:/ghost/model', run_id: 'ghost' });
      assert.equal(ghost.tags, undefined);
      const l = await lineage(ghost.version as string);
      assert.deepEqual(
        [l.run, l.datasets, l.git_commit, l.lock_entry],
        [{ run_id: 'ghost', found: false }, [], null, null],
      );
    });

    it('reads the lineage a real `cairn run` recorded (RunRecorder)', async () => {
      const root = await tempDir('cairn-lineage-ws-');
      git(root, ['init', '-q', '-b', 'main']);
      git(root, ['commit', '-q', '--allow-empty', '-m', 'start']);
      const commit = git(root, ['rev-parse', 'HEAD']).trim();
      const recorder = new RunRecorder(server.backends.deps.tracking, {
        root,
        experiment: 'pipeline',
        command: 'cairn run --set train.C=2',
        version: '0.0.0-test',
      });
      const pipelineRun = await recorder.start(new Map([['train.C', 2]]), { 'train.C': 2 });
      await recorder.recordStage({
        name: 'train',
        status: 'done',
        durationMs: 2500,
        dataInputs: [{ path: 'data/adult.csv', hash: DATA_HASH as `sha256:${string}`, size: 10 }],
        outputs: [{ path: 'models/churn', hash: OUTPUT_HASH as `sha256:${string}`, size: 20, files: 2 }],
        metricsFiles: [],
      });
      await recorder.finish('FINISHED');
      await recorder.flush();
      const v = await createVersion({ source: 's3://models/churn', run_id: pipelineRun });
      const l = await lineage(v.version as string);
      assert.deepEqual(l.datasets, [{ name: 'data/adult.csv', digest: DATA_HASH }]);
      assert.equal(l.git_commit, commit);
      assert.deepEqual(l.lock_entry, {
        command: 'cairn run --set train.C=2',
        params_overrides: 'train.C=2',
        stages: { train: { status: 'done', duration_ms: 2500 } },
        outputs: { 'models/churn': OUTPUT_HASH },
      });
      assert.equal((l.run as Json).status, 'FINISHED');
    });

    it("answers Cairn's error body for an unknown or malformed version", async () => {
      const missing = await server.app.inject({
        method: 'GET',
        url: '/api/v1/models/churn/versions/99/lineage',
      });
      assert.equal(missing.statusCode, 404);
      assert.equal(json(missing).code, 'NOT_FOUND');
      const bad = await server.app.inject({
        method: 'GET',
        url: '/api/v1/models/churn/versions/one/lineage',
      });
      assert.equal(bad.statusCode, 400);
      assert.equal(json(bad).code, 'INVALID_ARGUMENT');
    });
  });
