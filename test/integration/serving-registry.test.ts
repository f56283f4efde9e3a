/**
 * Serving `models:/` URIs: versions and aliases resolved through a `cairn server` (files fetched
 * through its artifact proxy) and through a workspace's own store, each verified against the
 * package hash the registry recorded; a package changed after registration is refused.
 */
import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/kernel/config.ts';
import { silentLogger } from '../../src/kernel/logging.ts';
import { localArtifactLocator } from '../../src/registry/registration/local-artifact-locator.ts';
import { VersionRegistrar } from '../../src/registry/registration/version-registrar.ts';
import { REGISTRY_MIGRATIONS } from '../../src/registry/sql/registry-migrations.ts';
import { SqlRegistryStore } from '../../src/registry/sql/sql-registry-store.ts';
import { parseServingConfig } from '../../src/serving/serving-config.ts';
import { SqlLoggedModelStore } from '../../src/tracking/sql/sql-logged-model-store.ts';
import { initWorkspace } from '../../src/workspace/init-workspace.ts';
import { openWorkspace, type Workspace } from '../../src/workspace/open-workspace.ts';
import {
  postJson,
  type ServingModels,
  sampleRows,
  servingModels,
  startServing,
  v2Body,
} from '../support/serving.ts';
import { tempDir } from '../support/tmp-dir.ts';
import { startTestServer, type TestServer, type Variant, variants } from './server-harness.ts';

type Json = Record<string, unknown>;

let models: ServingModels;

before(async () => {
  models = await servingModels();
});

describe('serving versions registered on a cairn server', () => {
  let tracking: TestServer;
  let url = '';
  let runArtifacts = '';

  const call = async (path: string, body: Json, method = 'POST') => {
    const r = await fetch(`${url}/api/2.0/mlflow${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(r.status, 200, await r.clone().text());
    return (await r.json()) as Json;
  };

  before(async () => {
    tracking = await startTestServer(variants()[0] as Variant);
    await tracking.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(tracking.app.server.address() as AddressInfo).port}`;
    const experimentId = (await call('/experiments/create', { name: 'serving' })).experiment_id as string;
    const run = ((await call('/runs/create', { experiment_id: experimentId })).run as { info: Json }).info;
    const runId = run.run_id as string;
    const proxyPath = (run.artifact_uri as string).replace(/^mlflow-artifacts:\/+/, '');
    runArtifacts = join(tracking.artifactsDir as string, ...proxyPath.split('/'), 'model');
    for (const file of [
      'MLmodel',
      'model.onnx',
      'input_example.json',
      'requirements.txt',
      'conda.yaml',
      'python_env.yaml',
    ]) {
      const body = await readFile(join(models.logistic, file));
      const put = await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/${proxyPath}/model/${file}`, {
        method: 'PUT',
        body,
      });
      assert.equal(put.status, 200);
    }
    await call('/registered-models/create', { name: 'income' });
    await call('/model-versions/create', { name: 'income', source: `runs:/${runId}/model`, run_id: runId });
    await call('/registered-models/alias', { name: 'income', alias: 'champion', version: '1' });
  });

  after(async () => {
    await tracking?.close();
  });

  it('fetches, verifies and serves a version by alias and by number', async () => {
    const recorded = (
      (await (await fetch(`${url}/api/2.0/mlflow/model-versions/get?name=income&version=1`)).json()) as {
        model_version: { tags: { key: string; value: string }[] };
      }
    ).model_version.tags.find((t) => t.key === 'cairn.package_hash')?.value;
    assert.match(recorded ?? '', /^sha256:[0-9a-f]{64}$/);
    const server = await startServing(
      {
        endpoints: [
          { name: 'income', variants: [{ name: 'primary', model: 'models:/income@champion' }] },
          { name: 'pinned', variants: [{ name: 'primary', model: 'models:/income/1' }] },
        ],
      },
      { registry: { kind: 'server', uri: url }, predictionLog: false },
    );
    try {
      const status = server.service.status();
      for (const e of status.endpoints) {
        const m = e.variants[0]?.model;
        assert.deepEqual(
          [m?.name, m?.version, m?.source, m?.verified, m?.package_hash],
          ['income', '1', 'registry', true, recorded],
        );
      }
      const r = await postJson(`${server.url}/v2/models/income/infer`, v2Body(sampleRows(2)));
      assert.equal(r.status, 200);
      assert.equal(r.json.model_version, '1');
      // A change of files on the server after registration: the cached, verified copy keeps serving…
      await writeFile(join(runArtifacts, 'input_example.json'), '{"changed": true}');
      await server.service.apply(
        parseServingConfig({
          endpoints: [{ name: 'income', variants: [{ name: 'primary', model: 'models:/income/1' }] }],
        }),
      );
      assert.equal(
        (await postJson(`${server.url}/v2/models/income/infer`, v2Body(sampleRows(1)))).status,
        200,
      );
    } finally {
      await server.close();
    }
    // …and a server without that copy refuses the changed files.
    await assert.rejects(
      startServing(
        {
          endpoints: [{ name: 'income', variants: [{ name: 'primary', model: 'models:/income@champion' }] }],
        },
        { registry: { kind: 'server', uri: url }, predictionLog: false },
      ),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'INTEGRITY_ERROR');
        assert.match(
          err.message,
          /endpoint income, variant primary \(models:\/income@champion\): income version 1: the files at .* hash to sha256:[0-9a-f]+, but the registry recorded sha256:[0-9a-f]+: refusing to load them/,
        );
        return true;
      },
    );
  });

  it('names what is missing in the registry', async () => {
    await assert.rejects(
      startServing(
        { endpoints: [{ name: 'x', variants: [{ name: 'primary', model: 'models:/income@nope' }] }] },
        { registry: { kind: 'server', uri: url }, predictionLog: false },
      ),
      /endpoint x, variant primary \(models:\/income@nope\):/,
    );
    await assert.rejects(
      startServing(
        { endpoints: [{ name: 'x', variants: [{ name: 'primary', model: 'models:/income/1' }] }] },
        {
          predictionLog: false,
        },
      ),
      /no model registry is configured/,
    );
  });
});

describe("serving versions registered in a workspace's own store", () => {
  let workspace: Workspace;

  before(async () => {
    const root = await tempDir('cairn-serving-ws-');
    await initWorkspace(root);
    workspace = await openWorkspace(root, await loadConfig({ root, env: {} }), { log: silentLogger });
    const store = await workspace.tracking();
    await workspace.metadata.migrate(REGISTRY_MIGRATIONS);
    const experimentId = await store.createExperiment('serving');
    const run = await store.createRun({ experiment_id: experimentId });
    await cp(models.gbdt, join(fileURLToPath(run.info.artifact_uri), 'model'), { recursive: true });
    const registry = new SqlRegistryStore(workspace.metadata);
    const registrar = new VersionRegistrar({
      registry,
      tracking: store,
      loggedModels: new SqlLoggedModelStore(workspace.metadata, store),
      locate: localArtifactLocator,
    });
    await registry.createRegisteredModel('trees');
    await registrar.create({
      name: 'trees',
      source: `runs:/${run.info.run_id}/model`,
      run_id: run.info.run_id,
    });
    await registry.setRegisteredModelAlias('trees', 'champion', '1');
  });

  after(async () => {
    await workspace?.close();
  });

  it('resolves the alias in the workspace registry and serves the verified version', async () => {
    const server = await startServing(
      { endpoints: [{ name: 'trees', variants: [{ name: 'primary', model: 'models:/trees@champion' }] }] },
      {
        registry: { kind: 'store', metadata: workspace.metadata, tracking: await workspace.tracking() },
        predictionLog: false,
      },
    );
    try {
      const m = server.service.status().endpoints[0]?.variants[0]?.model;
      assert.deepEqual([m?.name, m?.version, m?.verified], ['trees', '1', true]);
      const r = await postJson(`${server.url}/invocations`, { dataframe_records: sampleRows(2) });
      assert.equal(r.status, 200);
      assert.equal((r.json.predictions as unknown[]).length, 2);
      assert.equal(r.headers.get('x-cairn-model-version'), '1');
    } finally {
      await server.close();
    }
  });
});
