import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertNoInternals } from '../support/auth-matrix.ts';
import { get, json, post, startTestServer, type TestServer, variants } from './server-harness.ts';

const MISSING = (field: string) =>
  `Missing value for required parameter '${field}'. See the API docs for more information about request parameters.`;

for (const variant of variants())
  describe(`MLflow experiments API (${variant.name})`, { skip: variant.skip }, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(variant);
    });
    after(async () => {
      await server?.close();
    });

    it('creates an experiment and returns it in MLflow JSON, under both prefixes', async () => {
      const res = await post(server.app, '/experiments/create', {
        name: 'exp-a',
        tags: [{ key: 'team', value: 'fraud' }],
      });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
      const id = json(res).experiment_id as string;
      assert.match(id, /^\d+$/);
      for (const prefix of ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow']) {
        const got = json(await get(server.app, '/experiments/get', { experiment_id: id }, prefix));
        const exp = got.experiment as Record<string, unknown>;
        assert.deepEqual(Object.keys(exp).sort(), [
          'artifact_location',
          'creation_time',
          'experiment_id',
          'last_update_time',
          'lifecycle_stage',
          'name',
          'tags',
          'workspace',
        ]);
        assert.equal(exp.artifact_location, `mlflow-artifacts:/${id}`, 'artifacts go through the proxy');
        assert.equal(typeof exp.creation_time, 'number', 'int64 fields are JSON numbers');
        assert.deepEqual(exp.tags, [{ key: 'team', value: 'fraud' }]);
        assert.equal(exp.lifecycle_stage, 'active');
      }
      const byName = json(await get(server.app, '/experiments/get-by-name', { experiment_name: 'exp-a' }));
      assert.equal((byName.experiment as { experiment_id: string }).experiment_id, id);
    });

    it('leaves out empty tags, as MLflow does, and has the Default experiment', async () => {
      const exp = json(await get(server.app, '/experiments/get', { experiment_id: '0' }))
        .experiment as Record<string, unknown>;
      assert.equal(exp.name, 'Default');
      assert.equal(exp.artifact_location, 'mlflow-artifacts:/0');
      assert.equal('tags' in exp, false);
    });

    it('answers MLflow errors for missing, duplicate and unknown experiments', async () => {
      const cases: [Promise<import('fastify').LightMyRequestResponse>, number, string, string | RegExp][] = [
        [post(server.app, '/experiments/create', {}), 400, 'INVALID_PARAMETER_VALUE', MISSING('name')],
        [
          post(server.app, '/experiments/create', { name: '' }),
          400,
          'INVALID_PARAMETER_VALUE',
          MISSING('name'),
        ],
        [post(server.app, '/experiments/create', { name: 'exp-a' }), 400, 'RESOURCE_ALREADY_EXISTS', /exp-a/],
        [get(server.app, '/experiments/get'), 400, 'INVALID_PARAMETER_VALUE', MISSING('experiment_id')],
        [
          get(server.app, '/experiments/get', { experiment_id: '987654' }),
          404,
          'RESOURCE_DOES_NOT_EXIST',
          'No Experiment with id=987654 exists',
        ],
        [
          get(server.app, '/experiments/get', { experiment_id: 'abc' }),
          400,
          'INVALID_PARAMETER_VALUE',
          "Invalid experiment ID 'abc'. Experiment ID must be a valid integer.",
        ],
        [
          get(server.app, '/experiments/get-by-name', { experiment_name: 'nobody' }),
          404,
          'RESOURCE_DOES_NOT_EXIST',
          "Could not find experiment with name 'nobody'",
        ],
        [
          post(server.app, '/experiments/update', { experiment_id: '0' }),
          400,
          'INVALID_PARAMETER_VALUE',
          MISSING('new_name'),
        ],
        [
          post(server.app, '/experiments/create', { name: 7, tags: 'x' }),
          400,
          'INVALID_PARAMETER_VALUE',
          "Invalid value 7 for parameter 'name' supplied:  Hint: Value was of type 'int'. See the API docs for more information about request parameters.",
        ],
        [
          post(server.app, '/experiments/create', { name: 'exp-t', tags: 'x' }),
          400,
          'INVALID_PARAMETER_VALUE',
          /Invalid value "x" for parameter 'tags' supplied: {2}Hint: Value was of type 'str'/,
        ],
        [post(server.app, '/experiments/nope', {}), 404, 'ENDPOINT_NOT_FOUND', /experiments\/nope/],
      ];
      for (const [pending, status, code, message] of cases) {
        const res = await pending;
        assert.equal(res.statusCode, status, res.body);
        const body = json(res);
        assert.equal(body.error_code, code, res.body);
        if (typeof message === 'string') assert.equal(body.message, message);
        else assert.match(body.message as string, message);
        assert.deepEqual(Object.keys(body).sort(), ['error_code', 'message']);
        assertNoInternals(res.body, res.body);
      }
    });

    it('reads what older clients send: a double-encoded JSON body, a POST without a body', async () => {
      const res = await server.app.inject({
        method: 'POST',
        url: '/api/2.0/mlflow/experiments/create',
        payload: JSON.stringify(JSON.stringify({ name: 'double-encoded' })),
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(res.statusCode, 200, res.body);
      const empty = await server.app.inject({ method: 'POST', url: '/api/2.0/mlflow/experiments/delete' });
      assert.equal(empty.statusCode, 400);
      assert.equal(json(empty).message, MISSING('experiment_id'));
    });

    it('searches with filter, order_by, view_type and page tokens, by POST and by GET', async () => {
      for (const n of ['s-c', 's-a', 's-b']) await post(server.app, '/experiments/create', { name: n });
      const page1 = json(
        await post(server.app, '/experiments/search', {
          filter: "name LIKE 's-%'",
          order_by: ['name ASC'],
          max_results: 2,
        }),
      );
      assert.deepEqual(
        (page1.experiments as { name: string }[]).map((e) => e.name),
        ['s-a', 's-b'],
      );
      assert.equal(typeof page1.next_page_token, 'string');
      const page2 = json(
        await get(server.app, '/experiments/search', {
          filter: "name LIKE 's-%'",
          order_by: 'name ASC',
          max_results: '2',
          page_token: page1.next_page_token as string,
        }),
      );
      assert.deepEqual(
        (page2.experiments as { name: string }[]).map((e) => e.name),
        ['s-c'],
      );
      assert.equal('next_page_token' in page2, false);
      const none = await post(server.app, '/experiments/search', { filter: "name = 'no-such'" });
      assert.deepEqual(json(none), {}, 'an empty result is an empty object');
      const bad = await post(server.app, '/experiments/search', { filter: 'metrics.x > 1' });
      assert.equal(bad.statusCode, 400);
      assert.equal(json(bad).error_code, 'INVALID_PARAMETER_VALUE');
    });

    it('renames, tags, deletes and restores, with view types by name and by number', async () => {
      const id = json(await post(server.app, '/experiments/create', { name: 'life' }))
        .experiment_id as string;
      assert.deepEqual(
        json(await post(server.app, '/experiments/update', { experiment_id: id, new_name: 'life2' })),
        {},
      );
      await post(server.app, '/experiments/set-experiment-tag', { experiment_id: id, key: 'k', value: 'v' });
      let exp = json(await get(server.app, '/experiments/get', { experiment_id: id })).experiment as Record<
        string,
        unknown
      >;
      assert.equal(exp.name, 'life2');
      assert.deepEqual(exp.tags, [{ key: 'k', value: 'v' }]);
      await post(server.app, '/experiments/delete-experiment-tag', { experiment_id: id, key: 'k' });
      const again = await post(server.app, '/experiments/delete-experiment-tag', {
        experiment_id: id,
        key: 'k',
      });
      assert.equal(again.statusCode, 404);
      assert.deepEqual(json(await post(server.app, '/experiments/delete', { experiment_id: id })), {});
      exp = json(await get(server.app, '/experiments/get', { experiment_id: id })).experiment as Record<
        string,
        unknown
      >;
      assert.equal(exp.lifecycle_stage, 'deleted');
      const filter = "name = 'life2'";
      const count = async (view: unknown) =>
        (
          (json(await post(server.app, '/experiments/search', { filter, view_type: view })).experiments ??
            []) as unknown[]
        ).length;
      assert.equal(await count('ACTIVE_ONLY'), 0);
      assert.equal(await count('DELETED_ONLY'), 1);
      assert.equal(await count(2), 1, 'DELETED_ONLY by number');
      assert.equal(await count(3), 1, 'ALL by number');
      const bogus = await post(server.app, '/experiments/search', { filter, view_type: 'SOME' });
      assert.equal(bogus.statusCode, 400);
      await post(server.app, '/experiments/restore', { experiment_id: id });
      assert.equal(await count(undefined), 1);
    });

    it('keeps artifact locations that clients may use and refuses ones that reach into the server', async () => {
      const ok = await post(server.app, '/experiments/create', {
        name: 'loc-s3',
        artifact_location: 's3://some-bucket/team/x',
      });
      assert.equal(ok.statusCode, 200, ok.body);
      const exp = json(
        await get(server.app, '/experiments/get', { experiment_id: json(ok).experiment_id as string }),
      ).experiment as { artifact_location: string };
      assert.equal(exp.artifact_location, 's3://some-bucket/team/x');
      for (const location of [
        'file:///etc',
        '/etc/passwd',
        'http://169.254.169.254/latest/meta-data',
        'http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/x',
        'runs:/abc/model',
        's3://bucket/a#frag',
      ]) {
        const res = await post(server.app, '/experiments/create', {
          name: `loc-${location}`,
          artifact_location: location,
        });
        assert.equal(res.statusCode, 400, `${location}: ${res.body}`);
        assert.equal(json(res).error_code, 'INVALID_PARAMETER_VALUE');
      }
    });
  });
