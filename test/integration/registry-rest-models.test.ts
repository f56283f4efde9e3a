import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import {
  fails as failsWith,
  get,
  json,
  ok,
  post,
  send as sendTo,
  startTestServer,
  type TestServer,
  variants,
} from './server-harness.ts';

type Json = Record<string, unknown>;

/** MLflow's registered-model endpoints over HTTP: shapes, errors and status codes as MLflow's server. */
for (const variant of variants().filter((v) => v.artifacts === 'fs'))
  describe(`MLflow registered-models API (${variant.name})`, { skip: variant.skip }, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(variant);
    });
    after(async () => {
      await server?.close();
    });

    const send = (method: 'PATCH' | 'DELETE', path: string, body: Json) =>
      sendTo(server.app, method, path, body);
    const fails = (res: LightMyRequestResponse, status: number, code: string, message?: RegExp) => {
      assert.deepEqual(Object.keys(json(res)).sort(), ['error_code', 'message'], res.body);
      failsWith(res, status, code, message);
    };
    const version = async (name: string, source = `s3://bucket/${name}`) =>
      ok(await post(server.app, '/model-versions/create', { name, source })).model_version as Json;

    it('creates a model: only set fields are written, as protobuf JSON', async () => {
      const bare = ok(await post(server.app, '/registered-models/create', { name: 'rm-bare' }));
      const rm = bare.registered_model as Json;
      assert.deepEqual(Object.keys(rm).sort(), ['creation_timestamp', 'last_updated_timestamp', 'name']);
      assert.equal(typeof rm.creation_timestamp, 'number');
      const full = ok(
        await post(server.app, '/registered-models/create', {
          name: 'rm-full',
          description: 'churn',
          tags: [{ key: 'team', value: 'growth' }],
        }),
      ).registered_model as Json;
      assert.equal(full.description, 'churn');
      assert.deepEqual(full.tags, [{ key: 'team', value: 'growth' }]);
    });

    it("answers MLflow's error codes and statuses", async () => {
      fails(
        await post(server.app, '/registered-models/create', { name: 'rm-bare' }),
        400,
        'RESOURCE_ALREADY_EXISTS',
        /already exists/,
      );
      fails(
        await post(server.app, '/registered-models/create', {}),
        400,
        'INVALID_PARAMETER_VALUE',
        /Missing value for required parameter 'name'/,
      );
      fails(
        await post(server.app, '/registered-models/create', { name: 'a/b' }),
        400,
        'INVALID_PARAMETER_VALUE',
        /cannot contain/,
      );
      fails(
        await get(server.app, '/registered-models/get', { name: 'nope' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        /name=nope not found/,
      );
      fails(await get(server.app, '/registered-models/get'), 400, 'INVALID_PARAMETER_VALUE', /'name'/);
      fails(
        await post(server.app, '/registered-models/create', { name: { x: 1 } }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      fails(await get(server.app, '/registered-models/nothing'), 404, 'ENDPOINT_NOT_FOUND');
    });

    it('gets, renames, updates and deletes a model (DELETE carries a JSON body)', async () => {
      await post(server.app, '/registered-models/create', { name: 'rm-life' });
      await version('rm-life');
      const got = ok(await get(server.app, '/registered-models/get', { name: 'rm-life' }))
        .registered_model as Json;
      assert.equal((got.latest_versions as Json[])[0]?.version, '1');
      const renamed = ok(
        await post(server.app, '/registered-models/rename', { name: 'rm-life', new_name: 'rm-life2' }),
      );
      assert.equal((renamed.registered_model as Json).name, 'rm-life2');
      fails(
        await post(server.app, '/registered-models/rename', { name: 'rm-life2', new_name: 'rm-bare' }),
        400,
        'RESOURCE_ALREADY_EXISTS',
      );
      const updated = ok(
        await send('PATCH', '/registered-models/update', { name: 'rm-life2', description: 'd' }),
      );
      assert.equal((updated.registered_model as Json).description, 'd');
      assert.deepEqual(ok(await send('DELETE', '/registered-models/delete', { name: 'rm-life2' })), {});
      fails(
        await get(server.app, '/registered-models/get', { name: 'rm-life2' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      fails(
        await send('DELETE', '/registered-models/delete', { name: 'rm-life2' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });

    it('searches by GET (the Python client) and POST, with paging and order_by', async () => {
      for (const n of ['srch-c', 'srch-a', 'srch-b'])
        await post(server.app, '/registered-models/create', { name: n });
      const page1 = ok(
        await get(server.app, '/registered-models/search', {
          filter: "name LIKE 'srch-%' AND tag.`mlflow.prompt.is_prompt` != 'true'",
          max_results: '2',
          order_by: 'name DESC',
        }),
      );
      assert.deepEqual(
        (page1.registered_models as Json[]).map((m) => m.name),
        ['srch-c', 'srch-b'],
      );
      assert.equal(typeof page1.next_page_token, 'string');
      const page2 = ok(
        await get(server.app, '/registered-models/search', {
          filter: "name LIKE 'srch-%'",
          max_results: '2',
          order_by: ['name DESC'],
          page_token: page1.next_page_token as string,
        }),
      );
      assert.deepEqual(
        (page2.registered_models as Json[]).map((m) => m.name),
        ['srch-a'],
      );
      assert.equal('next_page_token' in page2, false);
      const byPost = ok(await post(server.app, '/registered-models/search', { filter: "name = 'srch-a'" }));
      assert.deepEqual(
        (byPost.registered_models as Json[]).map((m) => m.name),
        ['srch-a'],
      );
      assert.deepEqual(
        ok(await get(server.app, '/registered-models/search', { filter: "name = 'none'" })),
        {},
      );
      fails(
        await get(server.app, '/registered-models/search', { filter: 'name IS NULL' }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      fails(
        await get(server.app, '/registered-models/search', { max_results: '1001' }),
        400,
        'INVALID_PARAMETER_VALUE',
        /1000/,
      );
      fails(
        await get(server.app, '/registered-models/search', { max_results: 'many' }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
    });

    it('reports the latest version per stage by POST and GET', async () => {
      await post(server.app, '/registered-models/create', { name: 'rm-latest' });
      await version('rm-latest');
      await version('rm-latest');
      ok(
        await post(server.app, '/model-versions/transition-stage', {
          name: 'rm-latest',
          version: '1',
          stage: 'Production',
          archive_existing_versions: false,
        }),
      );
      const byPost = ok(
        await post(server.app, '/registered-models/get-latest-versions', {
          name: 'rm-latest',
          stages: ['production'],
        }),
      );
      assert.deepEqual(
        (byPost.model_versions as Json[]).map((v) => v.version),
        ['1'],
      );
      const byGet = ok(
        await get(server.app, '/registered-models/get-latest-versions', { name: 'rm-latest' }),
      );
      assert.deepEqual(
        (byGet.model_versions as Json[]).map((v) => `${v.current_stage}:${v.version}`).sort(),
        ['None:2', 'Production:1'],
      );
      fails(
        await post(server.app, '/registered-models/get-latest-versions', {
          name: 'rm-latest',
          stages: ['Live'],
        }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
    });

    it('sets and deletes model tags', async () => {
      await post(server.app, '/registered-models/create', { name: 'rm-tags' });
      assert.deepEqual(
        ok(await post(server.app, '/registered-models/set-tag', { name: 'rm-tags', key: 'k', value: 'v' })),
        {},
      );
      assert.deepEqual(
        (ok(await get(server.app, '/registered-models/get', { name: 'rm-tags' })).registered_model as Json)
          .tags,
        [{ key: 'k', value: 'v' }],
      );
      assert.deepEqual(
        ok(await send('DELETE', '/registered-models/delete-tag', { name: 'rm-tags', key: 'k' })),
        {},
      );
      assert.equal(
        'tags' in
          (ok(await get(server.app, '/registered-models/get', { name: 'rm-tags' })).registered_model as Json),
        false,
      );
      fails(
        await post(server.app, '/registered-models/set-tag', { name: 'rm-tags', key: 'k' }),
        400,
        'INVALID_PARAMETER_VALUE',
        /'value'/,
      );
      fails(
        await post(server.app, '/registered-models/set-tag', { name: 'nope', key: 'k', value: 'v' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      // Registered-model tags are the client's, `cairn.` keys included; only version tags are the server's.
      ok(
        await post(server.app, '/registered-models/set-tag', {
          name: 'rm-tags',
          key: 'cairn.owner',
          value: 'ana',
        }),
      );
    });

    it('sets, reads and deletes aliases (POST / GET / DELETE registered-models/alias)', async () => {
      await post(server.app, '/registered-models/create', { name: 'rm-alias' });
      await version('rm-alias');
      await version('rm-alias');
      assert.deepEqual(
        ok(
          await post(server.app, '/registered-models/alias', {
            name: 'rm-alias',
            alias: 'champion',
            version: '2',
          }),
        ),
        {},
      );
      const mv = ok(
        await get(server.app, '/registered-models/alias', { name: 'rm-alias', alias: 'champion' }),
      ).model_version as Json;
      assert.deepEqual([mv.version, mv.aliases], ['2', ['champion']]);
      const rm = ok(await get(server.app, '/registered-models/get', { name: 'rm-alias' }))
        .registered_model as Json;
      assert.deepEqual(rm.aliases, [{ alias: 'champion', version: '2' }]);
      assert.deepEqual(
        ok(await send('DELETE', '/registered-models/alias', { name: 'rm-alias', alias: 'champion' })),
        {},
      );
      fails(
        await get(server.app, '/registered-models/alias', { name: 'rm-alias', alias: 'champion' }),
        400,
        'INVALID_PARAMETER_VALUE',
        /alias champion not found/,
      );
      fails(
        await post(server.app, '/registered-models/alias', {
          name: 'rm-alias',
          alias: 'latest',
          version: '1',
        }),
        400,
        'INVALID_PARAMETER_VALUE',
        /reserved/,
      );
      fails(
        await post(server.app, '/registered-models/alias', { name: 'rm-alias', alias: 'x', version: '9' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      assert.equal(
        (
          ok(await get(server.app, '/registered-models/alias', { name: 'rm-alias', alias: 'latest' }))
            .model_version as Json
        ).version,
        '2',
      );
    });

    it('answers on the /ajax-api prefix too', async () => {
      const res = await server.app.inject({
        method: 'GET',
        url: '/ajax-api/2.0/mlflow/registered-models/get?name=rm-bare',
      });
      assert.equal((ok(res).registered_model as Json).name, 'rm-bare');
    });
  });
