import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { REGISTRY_MIGRATIONS } from '../../src/registry/sql/registry-migrations.ts';
import { SqlRegistryStore } from '../../src/registry/sql/sql-registry-store.ts';
import { createServer } from '../../src/server/create-server.ts';
import { serverRouteModules } from '../../src/server/server-wiring.ts';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { cairn, newWorkspace } from '../support/cli.ts';
import { tempDir } from '../support/tmp-dir.ts';
import { openVariant, type Variant, variants } from './server-harness.ts';

type Json = Record<string, unknown>;

/** `cairn models …` as a user runs it: against a server (with a token), and on a workspace's own store. */
describe('cairn models', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  let url = '';
  let env: NodeJS.ProcessEnv = {};
  let cwd = '';
  before(async () => {
    const opened = await openVariant(variants()[0] as Variant);
    const auth = opened.backends.auth;
    app = createServer(opened.backends.deps, { auth: { store: auth } }, serverRouteModules(auth));
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const { token } = await auth.createToken({ role: 'editor', name: 'cli' });
    env = { CAIRN_TRACKING_URI: url, CAIRN_TRACKING_TOKEN: token };
    cwd = await tempDir('cairn-models-cli-');
    close = async () => {
      await app.close();
      await opened.close();
    };
    const call = async (method: 'GET' | 'POST', path: string, body: Json) => {
      const res = await app.inject({
        method,
        url: `/api/2.0/mlflow${path}`,
        payload: body,
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(res.statusCode, 200, res.body);
      return JSON.parse(res.body) as Json;
    };
    const experimentId = (await call('POST', '/experiments/create', { name: 'cli' })).experiment_id;
    const run = (await call('POST', '/runs/create', { experiment_id: experimentId })).run as { info: Json };
    const runId = run.info.run_id as string;
    await call('POST', '/runs/set-tag', {
      run_id: runId,
      key: 'mlflow.source.git.commit',
      value: 'feedbeef',
    });
    await call('POST', '/registered-models/create', { name: 'churn', description: 'churn model' });
    await call('POST', '/model-versions/create', {
      name: 'churn',
      source: `runs:/${runId}/model`,
      run_id: runId,
    });
    await call('POST', '/model-versions/create', { name: 'churn', source: 's3://bucket/churn/2' });
    await call('POST', '/registered-models/alias', { name: 'churn', alias: 'champion', version: '1' });
  });
  after(async () => {
    await close?.();
  });

  const run = (args: string[], extra: NodeJS.ProcessEnv = env, dir = cwd) =>
    cairn(['models', ...args], { cwd: dir, env: extra });

  it('lists models as a table and as JSON', async () => {
    const text = await run(['list']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^NAME\s+LATEST\s+ALIASES/m);
    assert.match(text.stdout, /churn\s+2\s+champion→1/);
    const listed = await run(['list', '--json', '--filter', "name LIKE 'ch%'"]);
    const models = JSON.parse(listed.stdout) as Json[];
    assert.deepEqual(
      models.map((m) => m.name),
      ['churn'],
    );
    assert.deepEqual(JSON.parse((await run(['list', '--json', '--filter', "name = 'none'"])).stdout), []);
  });

  it('shows a model with its versions, and one version by number or alias', async () => {
    const [model, alias, second] = await Promise.all([
      run(['show', 'churn']),
      run(['show', 'churn@champion', '--json']),
      run(['show', 'churn/2', '--json']),
    ]);
    assert.equal(model.code, 0, model.stderr);
    assert.match(model.stdout, /aliases\s+champion→1/);
    assert.match(model.stdout, /^2\s+None\s+-/m);
    // Version 1 came from a run (its id's first 8 characters) whose files the server never saw: no package hash.
    assert.match(model.stdout, /^1\s+None\s+champion\s+\S+ \S+\s+[0-9a-f]{8}\s+-\s+runs:\//m);
    const byAlias = JSON.parse(alias.stdout) as Json;
    assert.equal(byAlias.version, '1');
    const v2 = JSON.parse(second.stdout) as Json;
    assert.equal(v2.source, 's3://bucket/churn/2');
  });

  it('sets and deletes aliases', async () => {
    const set = await run(['alias', 'set', 'churn', 'challenger', '2']);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, 'churn@challenger → version 2\n');
    const model = JSON.parse((await run(['show', 'churn', '--json'])).stdout) as { aliases: Json[] };
    assert.deepEqual(model.aliases, [
      { alias: 'challenger', version: '2' },
      { alias: 'champion', version: '1' },
    ]);
    const deleted = await run(['alias', 'delete', 'churn', 'challenger']);
    assert.equal(deleted.stdout, 'deleted alias churn@challenger\n');
  });

  it("prints a version's lineage readably and as the API's JSON", async () => {
    const text = await run(['lineage', 'churn/1']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /model version churn\/1 {2}\(None, aliases champion\)/);
    assert.match(text.stdout, /run\s+[0-9a-f]{32} ".+" \(RUNNING, experiment \d+\)/);
    assert.match(text.stdout, /commit\s+feedbeef/);
    const asJson = JSON.parse((await run(['lineage', 'churn@champion', '--json'])).stdout) as Json;
    assert.equal(asJson.git_commit, 'feedbeef');
    assert.equal((asJson.model_version as Json).version, '1');
  });

  it('fails with one line and exit codes 1 and 2', async () => {
    const [denied, missing, usage, viaMlflowEnv] = await Promise.all([
      run(['list'], { CAIRN_TRACKING_URI: url }),
      run(['show', 'nope']),
      run(['lineage', 'churn']),
      run(['list', '--json'], { MLFLOW_TRACKING_URI: url, MLFLOW_TRACKING_TOKEN: env.CAIRN_TRACKING_TOKEN }),
    ]);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /^error: .*— set CAIRN_TRACKING_TOKEN/m);
    assert.doesNotMatch(denied.stderr, /\n\s+at /);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /error: Registered Model with name=nope not found/);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /expected <name>\/<version>/);
    assert.equal(viaMlflowEnv.code, 0, viaMlflowEnv.stderr);
  });

  it("works on the workspace's own store without a server", async () => {
    const root = await newWorkspace({ git: false });
    const metadata = await openMetadataStore(
      `sqlite://${join(root, '.cairn', 'cairn.db')}`,
      REGISTRY_MIGRATIONS,
    );
    const registry = new SqlRegistryStore(metadata);
    await registry.createRegisteredModel('local-model');
    await registry.createModelVersion({ name: 'local-model', source: 's3://b/local' });
    await metadata.close();
    const listed = await run(['list', '--json'], {}, root);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as Json[]).map((m) => m.name),
      ['local-model'],
    );
    const set = await run(['alias', 'set', 'local-model', 'prod', '1'], {}, root);
    assert.equal(set.code, 0, set.stderr);
    const lineage = JSON.parse(
      (await run(['lineage', 'local-model@prod', '--json'], {}, root)).stdout,
    ) as Json;
    assert.deepEqual([lineage.run, (lineage.package as Json).hash], [null, null]);
  });
});
