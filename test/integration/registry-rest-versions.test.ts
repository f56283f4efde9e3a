import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  fails,
  get,
  ok,
  post,
  send as sendTo,
  startTestServer,
  type TestServer,
  variants,
} from './server-harness.ts';

type Json = Record<string, unknown>;

/** MLflow's model-version endpoints over HTTP: shapes, errors and status codes as MLflow's server. */
for (const variant of variants().filter((v) => v.artifacts === 'fs'))
  describe(`MLflow model-versions API (${variant.name})`, { skip: variant.skip }, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(variant);
      for (const name of ['mv', 'mv-copy', 'mv-search'])
        await post(server.app, '/registered-models/create', { name });
    });
    after(async () => {
      await server?.close();
    });

    const send = (method: 'PATCH' | 'DELETE', path: string, body: Json) =>
      sendTo(server.app, method, path, body);
    const create = async (body: Json) =>
      ok(await post(server.app, '/model-versions/create', body)).model_version as Json;

    it('creates versions with the fields MLflow writes (description and run_link as "")', async () => {
      const v1 = await create({ name: 'mv', source: 's3://bucket/mv/1' });
      assert.deepEqual(Object.keys(v1).sort(), [
        'creation_timestamp',
        'current_stage',
        'description',
        'last_updated_timestamp',
        'name',
        'run_link',
        'source',
        'status',
        'version',
      ]);
      assert.deepEqual(
        [v1.version, v1.current_stage, v1.status, v1.description, v1.run_link],
        ['1', 'None', 'READY', '', ''],
      );
      const v2 = await create({
        name: 'mv',
        source: 's3://bucket/mv/2',
        description: 'second',
        run_link: 'http://ui/runs/x',
        tags: [{ key: 'k', value: 'v' }],
      });
      assert.deepEqual(
        [v2.version, v2.description, v2.run_link, v2.tags],
        ['2', 'second', 'http://ui/runs/x', [{ key: 'k', value: 'v' }]],
      );
      fails(
        await post(server.app, '/model-versions/create', { name: 'nope', source: 's3://b/x' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      fails(
        await post(server.app, '/model-versions/create', { name: 'mv' }),
        400,
        'INVALID_PARAMETER_VALUE',
        /Missing value for required parameter 'source'/,
      );
    });

    it('gets, updates, transitions and deletes a version', async () => {
      const got = ok(await get(server.app, '/model-versions/get', { name: 'mv', version: '1' }))
        .model_version as Json;
      assert.equal(got.source, 's3://bucket/mv/1');
      fails(
        await get(server.app, '/model-versions/get', { name: 'mv', version: '99' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
        /version=99/,
      );
      fails(
        await get(server.app, '/model-versions/get', { name: 'mv', version: 'one' }),
        400,
        'INVALID_PARAMETER_VALUE',
        /integer/,
      );
      const updated = ok(
        await send('PATCH', '/model-versions/update', { name: 'mv', version: '1', description: 'now' }),
      );
      assert.equal((updated.model_version as Json).description, 'now');
      const moved = ok(
        await post(server.app, '/model-versions/transition-stage', {
          name: 'mv',
          version: '1',
          stage: 'staging',
          archive_existing_versions: false,
        }),
      );
      assert.equal((moved.model_version as Json).current_stage, 'Staging');
      fails(
        await post(server.app, '/model-versions/transition-stage', {
          name: 'mv',
          version: '1',
          stage: 'Live',
        }),
        400,
        'INVALID_PARAMETER_VALUE',
        /Invalid Model Version stage/,
      );
      const doomed = await create({ name: 'mv', source: 's3://bucket/mv/3' });
      assert.deepEqual(
        ok(await send('DELETE', '/model-versions/delete', { name: 'mv', version: doomed.version as string })),
        {},
      );
      fails(
        await get(server.app, '/model-versions/get', { name: 'mv', version: doomed.version as string }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });

    it('sets and deletes version tags, refusing keys under cairn.', async () => {
      assert.deepEqual(
        ok(
          await post(server.app, '/model-versions/set-tag', {
            name: 'mv',
            version: '1',
            key: 'reviewed',
            value: 'yes',
          }),
        ),
        {},
      );
      assert.deepEqual(
        ok(await send('DELETE', '/model-versions/delete-tag', { name: 'mv', version: '1', key: 'reviewed' })),
        {},
      );
      fails(
        await post(server.app, '/model-versions/set-tag', { name: 'mv', version: '9', key: 'k', value: 'v' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
      fails(
        await post(server.app, '/model-versions/set-tag', {
          name: 'mv',
          version: '1',
          key: 'cairn.package_hash',
          value: 'x',
        }),
        400,
        'INVALID_PARAMETER_VALUE',
        /recorded by the server/,
      );
      fails(
        await send('DELETE', '/model-versions/delete-tag', {
          name: 'mv',
          version: '1',
          key: 'cairn.lineage.run_id',
        }),
        400,
        'INVALID_PARAMETER_VALUE',
        /cannot be deleted/,
      );
      fails(
        await post(server.app, '/model-versions/create', {
          name: 'mv',
          source: 's3://b/x',
          tags: [{ key: 'cairn.lineage.git_commit', value: 'forged' }],
        }),
        400,
        'INVALID_PARAMETER_VALUE',
        /cairn\./,
      );
    });

    it('gives the download URI, resolving models:/ sources', async () => {
      assert.deepEqual(
        ok(await get(server.app, '/model-versions/get-download-uri', { name: 'mv', version: '1' })),
        {
          artifact_uri: 's3://bucket/mv/1',
        },
      );
      await post(server.app, '/registered-models/alias', { name: 'mv', alias: 'champion', version: '2' });
      const byVersion = await create({ name: 'mv-copy', source: 'models:/mv/1' });
      assert.equal(byVersion.source, 'models:/mv/1');
      const byAlias = await create({ name: 'mv-copy', source: 'models:/mv@champion' });
      assert.equal(byAlias.source, 'models:/mv/2', 'MLflow stores an alias source as the version it named');
      const uri = ok(
        await get(server.app, '/model-versions/get-download-uri', {
          name: 'mv-copy',
          version: byAlias.version as string,
        }),
      );
      assert.equal(uri.artifact_uri, 's3://bucket/mv/2');
      fails(
        await post(server.app, '/model-versions/create', { name: 'mv-copy', source: 'models:/mv/77' }),
        400,
        'INVALID_PARAMETER_VALUE',
        /Unable to fetch model/,
      );
      fails(
        await post(server.app, '/model-versions/create', {
          name: 'mv-copy',
          source: 'models:/mv/1',
          run_id: 'other',
        }),
        400,
        'INVALID_PARAMETER_VALUE',
        /must match the referenced model version/,
      );
      fails(
        await get(server.app, '/model-versions/get-download-uri', { name: 'mv', version: '42' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });

    it('searches versions by GET and POST with filters, order_by and paging', async () => {
      for (let i = 0; i < 5; i++)
        await create({ name: 'mv-search', source: `s3://bucket/s/${i}`, run_id: `r${i % 2}` });
      const filter = "name = 'mv-search' and run_id = 'r0'";
      const all = ok(
        await get(server.app, '/model-versions/search', { filter, order_by: 'version_number ASC' }),
      );
      assert.deepEqual(
        (all.model_versions as Json[]).map((v) => v.version),
        ['1', '3', '5'],
      );
      const page = ok(
        await get(server.app, '/model-versions/search', { filter: "name = 'mv-search'", max_results: '2' }),
      );
      assert.deepEqual(
        (page.model_versions as Json[]).map((v) => v.version),
        ['5', '4'],
      );
      const next = ok(
        await post(server.app, '/model-versions/search', {
          filter: "name = 'mv-search'",
          max_results: 2,
          page_token: page.next_page_token,
        }),
      );
      assert.deepEqual(
        (next.model_versions as Json[]).map((v) => v.version),
        ['3', '2'],
      );
      fails(
        await get(server.app, '/model-versions/search', { filter: "status = 'READY'" }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      fails(
        await get(server.app, '/model-versions/search', { page_token: '!!' }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
    });

    it('keeps MLflow semantics for a run_id naming no run when the source does not point into run artifacts', async () => {
      const v = await create({ name: 'mv', source: 'runs:/ghost-run/model', run_id: 'ghost-run' });
      assert.equal(v.run_id, 'ghost-run');
      assert.equal('tags' in v, false, 'no lineage is recorded for a run the server does not know');
    });
  });
