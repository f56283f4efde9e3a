import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { createServer, type RouteModule } from '../../src/server/create-server.ts';
import { MLFLOW_API_VERSION } from '../../src/server/mlflow/mlflow-health-routes.ts';
import { serverRouteModules } from '../../src/server/server-wiring.ts';
import { assertNoInternals } from '../support/auth-matrix.ts';
import { fails, get, json, ok, openVariant, post, variants } from './server-harness.ts';

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[] };

/** A value of the JSON type a schema asks for. */
function valid(schema: Schema): unknown {
  const type = [schema.type ?? 'string'].flat()[0];
  return type === 'integer' || type === 'number'
    ? 1
    : type === 'boolean'
      ? true
      : type === 'array'
        ? []
        : type === 'object'
          ? {}
          : 'x';
}

/**
 * MLflow's REST API as its clients meet it beyond single endpoints: JSON types checked on every
 * route, MLflow's error body in every MLflow namespace, /health and /version, and relative
 * experiment locations resolved against the artifact root.
 */
for (const variant of variants().filter((v) => v.artifacts === 'fs'))
  describe(`MLflow conformance (${variant.name})`, { skip: variant.skip }, () => {
    let app: FastifyInstance;
    let close: () => Promise<void>;
    let artifactsDir = '';
    const routes: RouteOptions[] = [];
    before(async () => {
      const opened = await openVariant(variant);
      artifactsDir = opened.artifactsDir as string;
      // Sees every MLflow route registered after it, with its schema.
      const collect: RouteModule = (scope) => {
        scope.addHook('onRoute', (route) => {
          if (route.url.startsWith('/api/2.0/mlflow/')) routes.push(route);
        });
      };
      const modules = serverRouteModules();
      app = createServer(opened.backends.deps, {}, { ...modules, mlflow: [collect, ...modules.mlflow] });
      await app.ready();
      close = async () => {
        await app.close();
        await opened.close();
      };
    });
    after(async () => {
      await close?.();
    });

    it('refuses a number, bool, list or object in any string field of any route, as protobuf JSON does', async () => {
      const checked: string[] = [];
      for (const route of routes) {
        const schema = (route.schema as { body?: Schema } | undefined)?.body;
        if (!schema?.properties) continue;
        const url = route.url.replace(/:[a-z_]+/g, 'm-0123456789abcdef0123456789abcdef');
        const fields = Object.entries(schema.properties);
        for (const [i, [field, sub]] of fields.entries()) {
          if (sub.type !== 'string') continue;
          // Fields before it are valid, so the check reaches it, as MLflow checks fields in order.
          const body: Record<string, unknown> = {};
          for (const [earlier, earlierSchema] of fields.slice(0, i)) body[earlier] = valid(earlierSchema);
          for (const [value, type] of [
            [31, 'int'],
            [true, 'bool'],
            [['a'], 'list'],
            [{ a: 1 }, 'dict'],
          ] as const) {
            const res = await app.inject({
              method: [route.method].flat()[0] as 'POST',
              url,
              payload: { ...body, [field]: value },
            });
            fails(
              res,
              400,
              'INVALID_PARAMETER_VALUE',
              new RegExp(
                `^Invalid value ${JSON.stringify(value).replace(/[[\]{}]/g, '\\$&')} for parameter '${field}' supplied: {2}Hint: Value was of type '${type}'\\. See the API docs`,
              ),
            );
          }
          checked.push(`${[route.method].flat()[0]} ${route.url} ${field}`);
        }
      }
      for (const expected of [
        'POST /api/2.0/mlflow/runs/update run_id',
        'POST /api/2.0/mlflow/experiments/create name',
        'POST /api/2.0/mlflow/runs/log-metric key',
        'POST /api/2.0/mlflow/registered-models/create name',
        'POST /api/2.0/mlflow/model-versions/create source',
        'POST /api/2.0/mlflow/logged-models experiment_id',
        'POST /api/2.0/mlflow/runs/search filter',
      ])
        assert.ok(checked.includes(expected), `${expected} is checked (${checked.length} fields checked)`);
      assert.ok(checked.length > 60, `${checked.length} string fields checked`);
    });

    it('checks nested fields, ints and doubles the same way, and keeps numeric strings for int64', async () => {
      const experimentId = json(await post(app, '/experiments/create', { name: 'types' })).experiment_id;
      const run = ok(
        await post(app, '/runs/create', { experiment_id: experimentId, start_time: '1700000000000' }),
      ).run as { info: { run_id: string; start_time: number } };
      assert.equal(run.info.start_time, 1_700_000_000_000, 'an int64 may come as a string');
      const runId = run.info.run_id;
      fails(
        await post(app, '/runs/log-batch', { run_id: runId, tags: [{ key: 5, value: 'x' }] }),
        400,
        'INVALID_PARAMETER_VALUE',
        /^Invalid value 5 for parameter 'tags\[0\]\.key' supplied: {2}Hint: Value was of type 'int'/,
      );
      fails(
        await post(app, '/runs/search', { experiment_ids: [1] }),
        400,
        'INVALID_PARAMETER_VALUE',
        /parameter 'experiment_ids\[0\]'/,
      );
      fails(
        await post(app, '/runs/search', { experiment_ids: '1' }),
        400,
        'INVALID_PARAMETER_VALUE',
        /^Invalid value "1" for parameter 'experiment_ids' supplied: {2}Hint: Value was of type 'str'/,
      );
      fails(
        await post(app, '/runs/log-metric', { run_id: runId, key: 'm', value: true, timestamp: 1 }),
        400,
        'INVALID_PARAMETER_VALUE',
        /'value' supplied: {2}Hint: Value was of type 'bool'/,
      );
      fails(
        await post(app, '/runs/search', { experiment_ids: [experimentId], max_results: {} }),
        400,
        'INVALID_PARAMETER_VALUE',
        /^Invalid value \{\} for parameter 'max_results' supplied: {2}Hint: Value was of type 'dict'/,
      );
      fails(
        await get(app, '/metrics/get-history', { run_id: runId, metric_key: 'm', max_results: 'x' }),
        400,
        'INVALID_PARAMETER_VALUE',
        /^Invalid value "x" for parameter 'max_results' supplied: {2}Hint: Value was of type 'str'/,
      );
      ok(
        await post(app, '/runs/log-metric', {
          run_id: runId,
          key: 'm',
          value: '0.5',
          timestamp: '2',
          step: '1',
        }),
      );
      fails(
        await post(app, '/runs/update', { run_id: 31 }),
        400,
        'INVALID_PARAMETER_VALUE',
        /parameter 'run_id'/,
      );
      fails(
        await post(app, '/runs/update', { key: 5 }),
        400,
        'INVALID_PARAMETER_VALUE',
        /^Missing value for required parameter 'run_id'/,
      );
    });

    it("answers MLflow's error body in every MLflow namespace, unknown routes included", async () => {
      for (const url of [
        '/api/2.0/mlflow/nope',
        '/ajax-api/2.0/mlflow/nope',
        '/api/3.0/mlflow/nope',
        '/ajax-api/3.0/mlflow/traces/search',
        '/api/2.0/mlflow-artifacts/nope',
        '/ajax-api/2.0/mlflow-artifacts/nope',
        '/api/3.0/mlflow/server-info/x',
      ]) {
        const res = await app.inject({ method: 'GET', url });
        fails(res, 404, 'ENDPOINT_NOT_FOUND');
        assert.deepEqual(Object.keys(json(res)).sort(), ['error_code', 'message'], url);
      }
      const other = await app.inject({ method: 'GET', url: '/api/v1/nope' });
      assert.equal(json(other).code, 'NOT_FOUND', "Cairn's own API keeps its own body");
    });

    it("serves MLflow's /health and /version beside /healthz and /readyz", async () => {
      const health = await app.inject({ method: 'GET', url: '/health' });
      assert.deepEqual([health.statusCode, health.body], [200, 'OK']);
      const version = await app.inject({ method: 'GET', url: '/version' });
      assert.deepEqual([version.statusCode, version.body], [200, MLFLOW_API_VERSION]);
      assert.match(version.headers['content-type'] as string, /^text\/plain/);
      assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
      assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
    });

    it('resolves a relative artifact_location against the artifact root, and keeps clients inside it', async () => {
      const id = ok(
        await post(app, '/experiments/create', { name: 'relative', artifact_location: 'team/churn' }),
      ).experiment_id as string;
      const exp = ok(await get(app, '/experiments/get', { experiment_id: id })).experiment as Record<
        string,
        string
      >;
      assert.equal(exp.artifact_location, 'mlflow-artifacts:/team/churn');
      const run = (
        ok(await post(app, '/runs/create', { experiment_id: id })).run as { info: Record<string, string> }
      ).info;
      assert.equal(run.artifact_uri, `mlflow-artifacts:/team/churn/${run.run_id}/artifacts`);
      const put = await app.inject({
        method: 'PUT',
        url: `/api/2.0/mlflow-artifacts/artifacts/team/churn/${run.run_id}/artifacts/notes.txt`,
        payload: 'inside the root',
      });
      assert.equal(put.statusCode, 200, put.body);
      assert.equal(
        await readFile(
          join(artifactsDir, 'team', 'churn', run.run_id as string, 'artifacts', 'notes.txt'),
          'utf8',
        ),
        'inside the root',
      );
      for (const location of ['../outside', 'team/../../outside', '.', '3/runs'])
        fails(
          await post(app, '/experiments/create', { name: `bad ${location}`, artifact_location: location }),
          400,
          'INVALID_PARAMETER_VALUE',
          /artifact_location/,
        );
      const res = await post(app, '/experiments/create', { name: 'up', artifact_location: '../up' });
      assertNoInternals(res.body, 'refusal');
    });
  });
