import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../src/kernel/logging.ts';
import { createServer } from '../../src/server/create-server.ts';
import {
  openServerBackends,
  type ServerBackends,
  serverRouteModules,
} from '../../src/server/server-wiring.ts';
import { pythonGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';

type Json = Record<string, unknown>;
const gate = pythonGate();
const SCRIPT = fileURLToPath(new URL('../python/webhooks_client.py', import.meta.url));

function python(url: string, cwd: string): Promise<Json> {
  const child = spawn(gate.value as string, [SCRIPT], {
    cwd,
    env: { ...process.env, MLFLOW_TRACKING_URI: url, GIT_PYTHON_REFRESH: 'quiet' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`webhooks_client.py exited ${code}:\n${stderr.slice(-4000)}`));
      else resolve(JSON.parse(stdout.slice(stdout.indexOf('{'))) as Json);
    });
  });
}

const REGISTRY_EVENTS = [
  'model_version.created',
  'model_version_alias.created',
  'model_version_alias.deleted',
  'model_version_tag.deleted',
  'model_version_tag.set',
  'registered_model.created',
];

describe('MLflow Python client: webhooks on cairn server', { skip: gate.skip }, () => {
  let backends: ServerBackends;
  let app: FastifyInstance;
  let url = '';
  let dir = '';
  before(async () => {
    dir = await tempDir('cairn-webhooks-');
    backends = await openServerBackends({
      storeUri: `sqlite://${join(dir, 'cairn.db')}`,
      artifactsUri: pathToFileURL(join(dir, 'artifacts')).href,
      // The receiver is the script's own, on 127.0.0.1 over plain HTTP: allowed explicitly.
      webhooks: { allowHttp: true, allowedNetworks: ['127.0.0.0/8'] },
      log: silentLogger,
    });
    app = createServer(backends.deps, {}, serverRouteModules());
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await app?.close();
    await backends?.close();
  });

  it('creates, lists, gets, updates, tests and deletes webhooks, and every registry event arrives signed', async () => {
    const r = await python(url, dir);
    assert.deepEqual(r.created, {
      name: 'registry-events',
      url: (r.created as Json).url,
      status: 'ACTIVE',
      description: 'CI',
      events: REGISTRY_EVENTS,
    });
    assert.equal(r.other_status, 'DISABLED');
    assert.deepEqual(r.listed, ['disabled-one', 'registry-events']);
    assert.deepEqual(r.page, { count: 1, has_token: true });
    assert.equal(r.got_id, true);
    assert.equal(r.updated_description, 'CI and CD');
    assert.deepEqual(r.test, { success: true, status: 200, body: 'ok' });
    const testDelivery = r.test_delivery as Json;
    assert.equal(testDelivery.event, 'registered_model.created');
    assert.equal(testDelivery.signature_ok, true);

    const deliveries = r.deliveries as Json[];
    // One delivery per event to the active webhook; none to the disabled one.
    assert.deepEqual(deliveries.map((d) => d.event).sort(), REGISTRY_EVENTS);
    for (const d of deliveries) {
      assert.equal(d.signature_ok, true, `signature of ${d.event}`);
      assert.equal(d.wrong_secret_ok, false);
      assert.equal(d.fresh, true);
      assert.equal(d.has_time, true);
    }
    const byEvent = Object.fromEntries(deliveries.map((d) => [d.event, d.data]));
    assert.deepEqual(byEvent['registered_model.created'], {
      name: 'wh-model',
      tags: { team: 'ml' },
      description: 'hooked',
    });
    const created = byEvent['model_version.created'] as Json;
    assert.equal(created.name, 'wh-model');
    assert.equal(created.version, '1');
    assert.match(created.source as string, /^runs:\/[0-9a-f]{32}\/model$/);
    assert.deepEqual(byEvent['model_version_tag.set'], {
      name: 'wh-model',
      version: '1',
      key: 'reviewed',
      value: 'yes',
    });
    assert.deepEqual(byEvent['model_version_tag.deleted'], {
      name: 'wh-model',
      version: '1',
      key: 'reviewed',
    });
    assert.deepEqual(byEvent['model_version_alias.created'], {
      name: 'wh-model',
      alias: 'champion',
      version: '1',
    });
    assert.deepEqual(byEvent['model_version_alias.deleted'], { name: 'wh-model', alias: 'champion' });

    assert.deepEqual(r.errors, { bad_name: 'INVALID_PARAMETER_VALUE', missing: 'RESOURCE_DOES_NOT_EXIST' });
    assert.deepEqual(r.after_delete, ['registry-events']);
    assert.equal(r.deleted, 'RESOURCE_DOES_NOT_EXIST');

    // Each delivery is recorded with its outcome.
    await backends.deps.webhooks?.drain();
    const res = await fetch(`${url}/api/v1/webhooks/${r.webhook_id}/deliveries`);
    const recorded = ((await res.json()) as { deliveries: Json[] }).deliveries;
    assert.equal(recorded.length, 6); // a test is answered, not recorded
    for (const d of recorded)
      assert.deepEqual([d.state, d.attempts, d.response_status], ['succeeded', 1, 200]);
    const ids = new Set(recorded.map((d) => d.delivery_id));
    for (const d of deliveries) assert.ok(ids.has(d.delivery_id as string));
  });
});
