import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../src/kernel/logging.ts';
import { createServer } from '../../src/server/create-server.ts';
import {
  openServerBackends,
  type ServerBackends,
  serverRouteModules,
} from '../../src/server/server-wiring.ts';
import { pgGate, s3Gate } from '../support/services.ts';
import { freshPostgres, json, post, S3_SETTINGS, testBucket } from './server-harness.ts';

const skip = pgGate().skip || s3Gate().skip;

/** Replicas behind a load balancer: each request may land on another server. */
describe('several servers on one PostgreSQL database and one bucket', { skip }, () => {
  const servers: { app: FastifyInstance; backends: ServerBackends }[] = [];
  before(async () => {
    const storeUri = await freshPostgres();
    const artifactsUri = `s3://${await testBucket()}/shared`;
    // Started together, as replicas are: the migrations must not trip over each other.
    const opened = await Promise.all(
      [0, 1, 2].map(() => openServerBackends({ storeUri, artifactsUri, s3: S3_SETTINGS, log: silentLogger })),
    );
    for (const backends of opened) {
      const app = createServer(backends.deps, {}, serverRouteModules());
      await app.ready();
      servers.push({ app, backends });
    }
  });
  after(async () => {
    for (const { app, backends } of servers) {
      await app.close();
      await backends.close();
    }
  });

  it('sees on every server what any server wrote, artifacts included', async () => {
    const [a, b, c] = servers.map((s) => s.app) as [FastifyInstance, FastifyInstance, FastifyInstance];
    const id = json(await post(a, '/experiments/create', { name: 'replicated' })).experiment_id as string;
    const run = json(await post(b, '/runs/create', { experiment_id: id })).run as {
      info: { run_id: string; artifact_uri: string };
    };
    await post(c, '/runs/log-metric', { run_id: run.info.run_id, key: 'm', value: 1, timestamp: 1 });
    const root = run.info.artifact_uri.replace('mlflow-artifacts:/', '');
    const put = await a.inject({
      method: 'PUT',
      url: `/api/2.0/mlflow-artifacts/artifacts/${root}/model.bin`,
      payload: Buffer.from('weights'),
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(put.statusCode, 200);
    const down = await b.inject({ url: `/api/2.0/mlflow-artifacts/artifacts/${root}/model.bin` });
    assert.equal(down.body, 'weights');
    const got = json(await c.inject({ url: `/api/2.0/mlflow/runs/get?run_id=${run.info.run_id}` })).run as {
      data: { metrics: unknown[] };
    };
    assert.equal(got.data.metrics.length, 1);
    const listed = json(await c.inject({ url: `/api/2.0/mlflow/artifacts/list?run_id=${run.info.run_id}` }));
    assert.deepEqual(listed.files, [{ path: 'model.bin', is_dir: false, file_size: 7 }]);
  });
});
