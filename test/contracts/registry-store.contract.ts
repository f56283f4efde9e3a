import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RegistryStore } from '../../src/registry/registry-store.ts';
import type { ModelVersion, RegisteredModel } from '../../src/registry/registry-types.ts';

/**
 * The behaviour every RegistryStore must have, as an MLflow client observes it: the SQL store on
 * SQLite and PostgreSQL, and a client of Cairn's server. `open` returns a store on an empty
 * registry that the suite may change freely. Only the interface is used.
 */
export function describeRegistryStore(
  name: string,
  factory: { open(): Promise<RegistryStore>; close?(): Promise<void> },
  options: { skip?: string | false } = {},
): void {
  describe(`RegistryStore contract: ${name}`, { skip: options.skip ?? false }, () => {
    let store: RegistryStore;
    before(async () => {
      store = await factory.open();
    });
    after(async () => {
      await factory.close?.();
    });

    /** Rejects with a CairnError of `code` whose message matches `message`. */
    const rejects = (promise: Promise<unknown>, code: string, message?: RegExp) =>
      assert.rejects(promise, (err: Error & { code?: string }) => {
        assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
        if (message) assert.match(err.message, message);
        return true;
      });
    /** Timestamps are milliseconds: wait so the next write gets a later one. */
    const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
    const version = (name: string, source = `s3://bucket/${name}`, extra = {}) =>
      store.createModelVersion({ name, source, ...extra });
    const versionsOf = (m: RegisteredModel) =>
      m.latest_versions.map((v) => `${v.current_stage}:${v.version}`);
    const allModels = async (filter: string, maxResults: number, orderBy?: string[]) => {
      const names: string[] = [];
      let token: string | undefined;
      do {
        const page = await store.searchRegisteredModels({
          filter,
          max_results: maxResults,
          ...(orderBy ? { order_by: orderBy } : {}),
          ...(token ? { page_token: token } : {}),
        });
        assert.ok(page.items.length <= maxResults);
        names.push(...page.items.map((m) => m.name));
        token = page.next_page_token;
      } while (token);
      return names;
    };
    const searchNames = async (filter: string, orderBy?: string[]) =>
      (await store.searchRegisteredModels({ filter, ...(orderBy ? { order_by: orderBy } : {}) })).items.map(
        (m) => m.name,
      );
    const searchVersions = async (filter: string, orderBy?: string[]) =>
      (await store.searchModelVersions({ filter, ...(orderBy ? { order_by: orderBy } : {}) })).items.map(
        (v) => `${v.name}/${v.version}`,
      );

    describe('registered models', () => {
      it('creates a model and reads it back', async () => {
        const before = Date.now();
        const created = await store.createRegisteredModel('create-a', {
          description: 'churn model',
          tags: [
            { key: 'group', value: 'x' },
            { key: 'group', value: 'growth' },
            { key: 'a.b', value: '' },
          ],
        });
        assert.equal(created.name, 'create-a');
        assert.equal(created.description, 'churn model');
        assert.ok(created.creation_timestamp >= before && created.creation_timestamp <= Date.now());
        assert.equal(created.last_updated_timestamp, created.creation_timestamp);
        assert.deepEqual(created.tags, [
          { key: 'a.b', value: '' },
          { key: 'group', value: 'growth' },
        ]);
        assert.deepEqual(created.latest_versions, []);
        assert.deepEqual(created.aliases, []);
        assert.deepEqual(await store.getRegisteredModel('create-a'), created);
        const bare = await store.createRegisteredModel('create-b');
        assert.equal(bare.description ?? '', '');
        assert.deepEqual(bare.tags, []);
      });

      it('refuses a taken name, a bad name and bad tags', async () => {
        await store.createRegisteredModel('dup');
        await rejects(
          store.createRegisteredModel('dup'),
          'ALREADY_EXISTS',
          /Registered Model \(name=dup\) already exists/,
        );
        for (const bad of ['', '  ', 'a/b', 'a:b', '..x', '.'])
          await rejects(store.createRegisteredModel(bad), 'INVALID_ARGUMENT');
        await rejects(
          store.createRegisteredModel('bad-tag', { tags: [{ key: 'a/../b', value: 'x' }] }),
          'INVALID_ARGUMENT',
        );
        await rejects(
          store.createRegisteredModel('bad-tag', { tags: [{ key: 'k'.repeat(251), value: 'x' }] }),
          'INVALID_ARGUMENT',
          /exceeds the maximum length of 250/,
        );
        await rejects(store.getRegisteredModel('bad-tag'), 'NOT_FOUND');
      });

      it('answers NOT_FOUND for an unknown model, with MLflow wording', async () => {
        const message = /Registered Model with name=nope not found/;
        await rejects(store.getRegisteredModel('nope'), 'NOT_FOUND', message);
        await rejects(store.updateRegisteredModel('nope', 'd'), 'NOT_FOUND', message);
        await rejects(store.renameRegisteredModel('nope', 'nope2'), 'NOT_FOUND', message);
        await rejects(store.deleteRegisteredModel('nope'), 'NOT_FOUND', message);
        await rejects(store.getLatestVersions('nope'), 'NOT_FOUND', message);
        await rejects(store.setRegisteredModelTag('nope', { key: 'k', value: 'v' }), 'NOT_FOUND', message);
        await rejects(store.deleteRegisteredModelTag('nope', 'k'), 'NOT_FOUND', message);
        await rejects(store.deleteRegisteredModelAlias('nope', 'champion'), 'NOT_FOUND', message);
        await rejects(store.getModelVersionByAlias('nope', 'champion'), 'NOT_FOUND', message);
        await rejects(version('nope'), 'NOT_FOUND', message);
      });

      it('updates the description and the last-updated time', async () => {
        const created = await store.createRegisteredModel('describe');
        await tick();
        const updated = await store.updateRegisteredModel('describe', 'now described');
        assert.equal(updated.description, 'now described');
        assert.ok(updated.last_updated_timestamp > created.last_updated_timestamp);
        assert.equal(updated.creation_timestamp, created.creation_timestamp);
        assert.equal((await store.getRegisteredModel('describe')).description, 'now described');
      });

      it('sets, overwrites and deletes tags', async () => {
        await store.createRegisteredModel('tagged');
        await store.setRegisteredModelTag('tagged', { key: 'stage', value: 'dev' });
        await store.setRegisteredModelTag('tagged', { key: 'stage', value: 'prod' });
        await store.setRegisteredModelTag('tagged', { key: 'owner', value: 'ana' });
        assert.deepEqual((await store.getRegisteredModel('tagged')).tags, [
          { key: 'owner', value: 'ana' },
          { key: 'stage', value: 'prod' },
        ]);
        await store.deleteRegisteredModelTag('tagged', 'stage');
        await store.deleteRegisteredModelTag('tagged', 'never-set');
        assert.deepEqual((await store.getRegisteredModel('tagged')).tags, [{ key: 'owner', value: 'ana' }]);
        await rejects(store.setRegisteredModelTag('tagged', { key: '', value: 'v' }), 'INVALID_ARGUMENT');
        await rejects(
          store.setRegisteredModelTag('tagged', { key: 'k', value: 'v'.repeat(100_001) }),
          'INVALID_ARGUMENT',
        );
      });

      it('renames a model with its versions, tags and aliases', async () => {
        await store.createRegisteredModel('old-name', { tags: [{ key: 't', value: '1' }] });
        await version('old-name');
        const v2 = await version('old-name');
        await store.setRegisteredModelAlias('old-name', 'champion', '2');
        await store.createRegisteredModel('taken-name');
        await rejects(store.renameRegisteredModel('old-name', 'taken-name'), 'ALREADY_EXISTS', /taken-name/);
        await rejects(store.renameRegisteredModel('old-name', 'a/b'), 'INVALID_ARGUMENT');
        await tick();
        const renamed = await store.renameRegisteredModel('old-name', 'new-name');
        assert.equal(renamed.name, 'new-name');
        assert.ok(renamed.last_updated_timestamp > v2.last_updated_timestamp);
        assert.deepEqual(renamed.tags, [{ key: 't', value: '1' }]);
        assert.deepEqual(renamed.aliases, [{ alias: 'champion', version: '2' }]);
        assert.deepEqual(versionsOf(renamed), ['None:2']);
        await rejects(store.getRegisteredModel('old-name'), 'NOT_FOUND');
        await rejects(store.getModelVersion('old-name', '1'), 'NOT_FOUND');
        const moved = await store.getModelVersion('new-name', '2');
        assert.equal(moved.name, 'new-name');
        assert.deepEqual(moved.aliases, ['champion']);
        assert.equal((await store.getModelVersionByAlias('new-name', 'champion')).version, '2');
        assert.deepEqual(await searchVersions("name = 'new-name'"), ['new-name/2', 'new-name/1']);
        assert.equal((await version('new-name')).version, '3');
        await store.renameRegisteredModel('new-name', 'new-name');
        assert.equal((await store.getRegisteredModel('new-name')).name, 'new-name');
      });

      it('deletes a model with its versions, tags and aliases', async () => {
        await store.createRegisteredModel('doomed', { tags: [{ key: 't', value: '1' }] });
        await version('doomed', 's3://b/doomed', { tags: [{ key: 'vt', value: '1' }] });
        await version('doomed');
        await store.setRegisteredModelAlias('doomed', 'champion', '1');
        await store.deleteRegisteredModel('doomed');
        await rejects(store.getRegisteredModel('doomed'), 'NOT_FOUND');
        await rejects(store.getModelVersion('doomed', '1'), 'NOT_FOUND');
        assert.deepEqual(await searchVersions("name = 'doomed'"), []);
        assert.deepEqual(await searchNames("name = 'doomed'"), []);
        const again = await store.createRegisteredModel('doomed');
        assert.deepEqual([again.tags, again.aliases, again.latest_versions], [[], [], []]);
        const first = await version('doomed');
        assert.equal(first.version, '1');
        assert.deepEqual([first.tags, first.aliases], [[], []]);
        await rejects(
          store.getModelVersionByAlias('doomed', 'champion'),
          'INVALID_ARGUMENT',
          /alias champion not found/,
        );
      });
    });

    describe('model versions', () => {
      it('creates versions 1, 2, … with MLflow defaults and bumps the model', async () => {
        const model = await store.createRegisteredModel('versions');
        await tick();
        const v1 = await store.createModelVersion({
          name: 'versions',
          source: 'runs:/abc123/model',
          run_id: 'abc123',
          run_link: 'http://tracking/runs/abc123',
          description: 'first',
          tags: [{ key: 'k', value: 'v' }],
        });
        assert.deepEqual(
          [
            v1.name,
            v1.version,
            v1.current_stage,
            v1.status,
            v1.source,
            v1.run_id,
            v1.run_link,
            v1.description,
          ],
          [
            'versions',
            '1',
            'None',
            'READY',
            'runs:/abc123/model',
            'abc123',
            'http://tracking/runs/abc123',
            'first',
          ],
        );
        assert.deepEqual(v1.tags, [{ key: 'k', value: 'v' }]);
        assert.deepEqual(v1.aliases, []);
        assert.ok(v1.creation_timestamp > model.creation_timestamp);
        assert.equal(v1.last_updated_timestamp, v1.creation_timestamp);
        assert.deepEqual(await store.getModelVersion('versions', '1'), v1);
        const bumped = await store.getRegisteredModel('versions');
        assert.equal(bumped.last_updated_timestamp, v1.creation_timestamp);
        assert.equal((await version('versions')).version, '2');
        await rejects(version('versions', ''), 'INVALID_ARGUMENT', /source/);
        await rejects(
          version('versions', 's3://x', { tags: [{ key: '/abs', value: '' }] }),
          'INVALID_ARGUMENT',
        );
      });

      it('never reuses the number of a deleted version', async () => {
        await store.createRegisteredModel('numbering');
        for (let i = 0; i < 3; i++) await version('numbering');
        await store.deleteModelVersion('numbering', '3');
        await store.deleteModelVersion('numbering', '2');
        await rejects(
          store.getModelVersion('numbering', '2'),
          'NOT_FOUND',
          /Model Version \(name=numbering, version=2\) not found/,
        );
        await rejects(store.deleteModelVersion('numbering', '2'), 'NOT_FOUND');
        assert.equal((await version('numbering')).version, '4');
        assert.deepEqual(await searchVersions("name = 'numbering'", ['version_number ASC']), [
          'numbering/1',
          'numbering/4',
        ]);
      });

      it('answers NOT_FOUND for an unknown version and INVALID_ARGUMENT for a malformed one', async () => {
        await store.createRegisteredModel('lookup');
        await version('lookup');
        await rejects(
          store.getModelVersion('lookup', '9'),
          'NOT_FOUND',
          /Model Version \(name=lookup, version=9\) not found/,
        );
        await rejects(store.getModelVersion('nope', '1'), 'NOT_FOUND');
        await rejects(store.getModelVersion('lookup', 'one'), 'INVALID_ARGUMENT', /must be an integer/);
        await rejects(store.updateModelVersion('lookup', '9', 'd'), 'NOT_FOUND');
        await rejects(store.transitionModelVersionStage('lookup', '9', 'Staging'), 'NOT_FOUND');
        await rejects(store.setModelVersionTag('lookup', '9', { key: 'k', value: 'v' }), 'NOT_FOUND');
        await rejects(store.deleteModelVersionTag('lookup', '9', 'k'), 'NOT_FOUND');
        await rejects(store.getModelVersionDownloadUri('lookup', '9'), 'NOT_FOUND');
        await rejects(store.setRegisteredModelAlias('lookup', 'champion', '9'), 'NOT_FOUND');
      });

      it('updates a description, and sets and deletes version tags', async () => {
        await store.createRegisteredModel('version-meta');
        const v1 = await version('version-meta');
        await tick();
        const updated = await store.updateModelVersion('version-meta', '1', 'better');
        assert.equal(updated.description, 'better');
        assert.ok(updated.last_updated_timestamp > v1.last_updated_timestamp);
        await store.setModelVersionTag('version-meta', '1', { key: 'b', value: '1' });
        await store.setModelVersionTag('version-meta', '1', { key: 'b', value: '2' });
        await store.setModelVersionTag('version-meta', '1', { key: 'a', value: 'x' });
        await store.deleteModelVersionTag('version-meta', '1', 'a');
        await store.deleteModelVersionTag('version-meta', '1', 'never-set');
        const read = await store.getModelVersion('version-meta', '1');
        assert.deepEqual(read.tags, [{ key: 'b', value: '2' }]);
        assert.equal(read.description, 'better');
        await rejects(
          store.setModelVersionTag('version-meta', '1', { key: '../k', value: 'v' }),
          'INVALID_ARGUMENT',
        );
      });

      it('gives the source as download URI, resolving a models:/ source', async () => {
        await store.createRegisteredModel('download');
        await version('download', 's3://bucket/artifacts/model');
        assert.equal(await store.getModelVersionDownloadUri('download', '1'), 's3://bucket/artifacts/model');
        await store.setRegisteredModelAlias('download', 'champion', '1');
        await store.createRegisteredModel('download-copy');
        const copy = await version('download-copy', 'models:/download/1');
        assert.equal(copy.source, 'models:/download/1');
        assert.equal(
          await store.getModelVersionDownloadUri('download-copy', '1'),
          's3://bucket/artifacts/model',
        );
        await version('download-copy', 'models:/download@champion');
        assert.equal(
          await store.getModelVersionDownloadUri('download-copy', '2'),
          's3://bucket/artifacts/model',
        );
        await rejects(version('download-copy', 'models:/download/7'), 'INVALID_ARGUMENT');
      });

      it('gives 20 concurrent creations on one model distinct consecutive numbers', async () => {
        await store.createRegisteredModel('concurrent');
        const created = await Promise.all(Array.from({ length: 20 }, () => version('concurrent')));
        const numbers = created.map((v) => Number(v.version)).sort((a, b) => a - b);
        assert.deepEqual(
          numbers,
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        const listed = await store.searchModelVersions({ filter: "name = 'concurrent'" });
        assert.equal(listed.items.length, 20);
      });
    });

    describe('stages', () => {
      it('moves versions between stages, archiving the others on request', async () => {
        await store.createRegisteredModel('staged');
        for (let i = 0; i < 4; i++) await version('staged');
        await store.transitionModelVersionStage('staged', '1', 'production');
        await store.transitionModelVersionStage('staged', '2', 'Production');
        await store.transitionModelVersionStage('staged', '3', 'STAGING');
        const before = await store.getRegisteredModel('staged');
        await tick();
        const promoted = await store.transitionModelVersionStage('staged', '4', 'Production', true);
        assert.equal(promoted.current_stage, 'Production');
        assert.ok(promoted.last_updated_timestamp > before.last_updated_timestamp);
        const stages = await Promise.all(['1', '2', '3', '4'].map((v) => store.getModelVersion('staged', v)));
        assert.deepEqual(
          stages.map((v) => v.current_stage),
          ['Archived', 'Archived', 'Staging', 'Production'],
        );
        assert.ok((stages[0] as ModelVersion).last_updated_timestamp >= promoted.last_updated_timestamp);
        const model = await store.getRegisteredModel('staged');
        assert.ok(model.last_updated_timestamp > before.last_updated_timestamp);
        await rejects(
          store.transitionModelVersionStage('staged', '1', 'Shipped'),
          'INVALID_ARGUMENT',
          /Invalid Model Version stage/,
        );
        await rejects(store.transitionModelVersionStage('staged', '1', 'None', true), 'INVALID_ARGUMENT');
        await rejects(store.transitionModelVersionStage('staged', '1', 'Archived', true), 'INVALID_ARGUMENT');
        assert.equal((await store.transitionModelVersionStage('staged', '1', 'none')).current_stage, 'None');
      });

      it('reports the latest version of each stage', async () => {
        await store.createRegisteredModel('latest');
        for (let i = 0; i < 6; i++) await version('latest');
        await store.transitionModelVersionStage('latest', '1', 'Production');
        await store.transitionModelVersionStage('latest', '2', 'Production');
        await store.transitionModelVersionStage('latest', '3', 'Staging');
        await store.transitionModelVersionStage('latest', '4', 'Archived');
        await store.deleteModelVersion('latest', '6');
        const stageOf = (vs: ModelVersion[]) => vs.map((v) => `${v.current_stage}:${v.version}`).sort();
        assert.deepEqual(stageOf(await store.getLatestVersions('latest')), [
          'Archived:4',
          'None:5',
          'Production:2',
          'Staging:3',
        ]);
        assert.deepEqual(
          stageOf(await store.getLatestVersions('latest', [])),
          stageOf(await store.getLatestVersions('latest')),
        );
        assert.deepEqual(stageOf(await store.getLatestVersions('latest', ['production', 'Staging'])), [
          'Production:2',
          'Staging:3',
        ]);
        assert.deepEqual(versionsOf(await store.getRegisteredModel('latest')).sort(), [
          'Archived:4',
          'None:5',
          'Production:2',
          'Staging:3',
        ]);
        await rejects(store.getLatestVersions('latest', ['Live']), 'INVALID_ARGUMENT');
        await store.createRegisteredModel('latest-empty');
        assert.deepEqual(await store.getLatestVersions('latest-empty'), []);
      });
    });

    describe('aliases', () => {
      it('sets, moves, resolves and deletes aliases', async () => {
        await store.createRegisteredModel('aliased');
        for (let i = 0; i < 3; i++) await version('aliased');
        const before = await store.getRegisteredModel('aliased');
        await store.setRegisteredModelAlias('aliased', 'champion', '1');
        await store.setRegisteredModelAlias('aliased', 'challenger', '2');
        await store.setRegisteredModelAlias('aliased', 'shadow-1_x', '2');
        assert.deepEqual((await store.getModelVersion('aliased', '2')).aliases, ['challenger', 'shadow-1_x']);
        assert.deepEqual((await store.getModelVersionByAlias('aliased', 'champion')).version, '1');
        await store.setRegisteredModelAlias('aliased', 'champion', '3');
        const model = await store.getRegisteredModel('aliased');
        assert.deepEqual(model.aliases, [
          { alias: 'challenger', version: '2' },
          { alias: 'champion', version: '3' },
          { alias: 'shadow-1_x', version: '2' },
        ]);
        assert.equal(model.last_updated_timestamp, before.last_updated_timestamp);
        assert.deepEqual((await store.getModelVersion('aliased', '1')).aliases, []);
        const byAlias = await store.getModelVersionByAlias('aliased', 'champion');
        assert.deepEqual([byAlias.version, byAlias.aliases], ['3', ['champion']]);
        await store.deleteRegisteredModelAlias('aliased', 'challenger');
        await store.deleteRegisteredModelAlias('aliased', 'never-set');
        await rejects(
          store.getModelVersionByAlias('aliased', 'challenger'),
          'INVALID_ARGUMENT',
          /Registered model alias challenger not found/,
        );
        assert.deepEqual((await store.getModelVersion('aliased', '2')).aliases, ['shadow-1_x']);
      });

      it('resolves latest to the highest version and refuses reserved or malformed names', async () => {
        await store.createRegisteredModel('reserved');
        await rejects(
          store.getModelVersionByAlias('reserved', 'latest'),
          'NOT_FOUND',
          /Latest version not found/,
        );
        for (let i = 0; i < 3; i++) await version('reserved');
        await store.transitionModelVersionStage('reserved', '3', 'Archived');
        await store.transitionModelVersionStage('reserved', '1', 'Production');
        assert.equal((await store.getModelVersionByAlias('reserved', 'latest')).version, '3');
        assert.equal((await store.getModelVersionByAlias('reserved', 'LATEST')).version, '3');
        for (const alias of ['latest', 'Latest', 'v1', 'V22'])
          await rejects(
            store.setRegisteredModelAlias('reserved', alias, '1'),
            'INVALID_ARGUMENT',
            /reserved/,
          );
        for (const alias of ['', 'a b', 'a.b', 'a/b', 'x'.repeat(256)])
          await rejects(store.setRegisteredModelAlias('reserved', alias, '1'), 'INVALID_ARGUMENT');
        await rejects(store.setRegisteredModelAlias('reserved', 'ok', 'x'), 'INVALID_ARGUMENT');
        await store.setRegisteredModelAlias('reserved', 'v1a', '1');
        await store.setRegisteredModelAlias('reserved', 'version1', '1');
        assert.deepEqual((await store.getModelVersion('reserved', '1')).aliases, ['v1a', 'version1']);
      });

      it('deletes the aliases of a deleted version', async () => {
        await store.createRegisteredModel('alias-gone');
        await version('alias-gone');
        await version('alias-gone');
        await store.setRegisteredModelAlias('alias-gone', 'champion', '2');
        await store.setRegisteredModelAlias('alias-gone', 'stable', '1');
        await store.deleteModelVersion('alias-gone', '2');
        await rejects(store.getModelVersionByAlias('alias-gone', 'champion'), 'INVALID_ARGUMENT');
        assert.deepEqual((await store.getRegisteredModel('alias-gone')).aliases, [
          { alias: 'stable', version: '1' },
        ]);
        assert.equal((await version('alias-gone')).version, '3');
        assert.deepEqual((await store.getModelVersion('alias-gone', '3')).aliases, []);
      });
    });

    describe('searchRegisteredModels', () => {
      before(async () => {
        for (const [name, team] of [
          ['Search-Alpha', 'growth'],
          ['search-beta', 'growth'],
          ['search-gamma', 'risk'],
          ['search_delta', 'Risk'],
        ] as const) {
          await store.createRegisteredModel(name, { tags: [{ key: 'team', value: team }] });
          await tick();
        }
        await store.setRegisteredModelTag('search-gamma', { key: 'tier', value: 'gold' });
      });

      it('filters by name with =, !=, LIKE (case-sensitive), ILIKE and IN', async () => {
        assert.deepEqual(await searchNames("name = 'search-beta'"), ['search-beta']);
        assert.deepEqual(await searchNames("name = 'SEARCH-BETA'"), []);
        assert.deepEqual(await searchNames("name ILIKE 'search%' and name != 'search-beta'"), [
          'Search-Alpha',
          'search-gamma',
          'search_delta',
        ]);
        assert.deepEqual(await searchNames("name LIKE 'search%'"), [
          'search-beta',
          'search-gamma',
          'search_delta',
        ]);
        assert.deepEqual(await searchNames("name LIKE 'Search%'"), ['Search-Alpha']);
        assert.deepEqual(await searchNames("name LIKE '%ALPHA'"), []);
        assert.deepEqual(await searchNames("name ILIKE '%ALPHA'"), ['Search-Alpha']);
        assert.deepEqual(await searchNames("name LIKE 'search_beta'"), ['search-beta']);
        assert.deepEqual(await searchNames("name LIKE 'search\\_%'"), ['search_delta']);
        assert.deepEqual(await searchNames("name IN ('search-beta', 'Search-Alpha', 'absent')"), [
          'Search-Alpha',
          'search-beta',
        ]);
        assert.deepEqual(
          await searchNames("name ILIKE 'search%' and name NOT IN ('search-beta', 'Search-Alpha')"),
          ['search-gamma', 'search_delta'],
        );
      });

      it('filters by tags', async () => {
        assert.deepEqual(await searchNames("tags.team = 'growth'"), ['Search-Alpha', 'search-beta']);
        assert.deepEqual(await searchNames("tags.team LIKE 'r%'"), ['search-gamma']);
        assert.deepEqual(await searchNames("tags.team ILIKE 'r%'"), ['search-gamma', 'search_delta']);
        assert.deepEqual(await searchNames("tags.team != 'growth' and name ILIKE 'search%'"), [
          'search-gamma',
          'search_delta',
        ]);
        assert.deepEqual(await searchNames("tags.team ILIKE 'risk' and tags.`tier` = 'gold'"), [
          'search-gamma',
        ]);
        assert.deepEqual(await searchNames("tags.tier != 'silver'"), ['search-gamma']);
      });

      it('orders by name, last update and creation, and pages through every model once', async () => {
        const all = ['Search-Alpha', 'search-beta', 'search-gamma', 'search_delta'];
        assert.deepEqual(await searchNames("name ILIKE 'search%'"), all);
        assert.deepEqual(await searchNames("name ILIKE 'search%'", ['name DESC']), [...all].reverse());
        assert.deepEqual(await searchNames("name ILIKE 'search%'", ['creation_timestamp DESC']), [
          'search_delta',
          'search-gamma',
          'search-beta',
          'Search-Alpha',
        ]);
        await tick();
        await store.updateRegisteredModel('search-beta', 'touched');
        assert.deepEqual(
          (await searchNames("name ILIKE 'search%'", ['last_updated_timestamp DESC']))[0],
          'search-beta',
        );
        assert.deepEqual(
          (await searchNames("name ILIKE 'search%'", ['timestamp ASC'])).at(-1),
          'search-beta',
        );
        for (let i = 0; i < 23; i++) await store.createRegisteredModel(`page-${String(i).padStart(2, '0')}`);
        const expected = Array.from({ length: 23 }, (_, i) => `page-${String(i).padStart(2, '0')}`);
        assert.deepEqual(await allModels("name LIKE 'page-%'", 5), expected);
        assert.deepEqual(await allModels("name LIKE 'page-%'", 23), expected);
        assert.deepEqual(await allModels("name LIKE 'page-%'", 4, ['name DESC']), [...expected].reverse());
        const first = await store.searchRegisteredModels({ filter: "name LIKE 'page-%'", max_results: 30 });
        assert.equal(first.next_page_token, undefined);
      });

      it('leaves out prompts unless the filter asks for them', async () => {
        await store.createRegisteredModel('prompt-one', {
          tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }],
        });
        await store.createRegisteredModel('prompt-model');
        assert.deepEqual(await searchNames("name LIKE 'prompt-%'"), ['prompt-model']);
        assert.deepEqual(
          await searchNames("name LIKE 'prompt-%' and tags.`mlflow.prompt.is_prompt` = 'true'"),
          ['prompt-one'],
        );
        await rejects(store.createRegisteredModel('prompt-one'), 'ALREADY_EXISTS', /prompt/);
      });

      it('rejects invalid filters, order_by, max_results and page tokens', async () => {
        for (const filter of [
          "description = 'x'",
          'metrics.acc > 1',
          "params.p = 'x'",
          "name > 'a'",
          'name = 5',
          "tags.team IN ('a')",
          "name = 'a' OR name = 'b'",
          "name = 'unterminated",
          'name IS NULL',
        ])
          await rejects(store.searchRegisteredModels({ filter }), 'INVALID_ARGUMENT');
        for (const order_by of [
          ['version_number'],
          ['name SIDEWAYS'],
          ['name', 'name DESC'],
          ['timestamp', 'last_updated_timestamp'],
        ])
          await rejects(store.searchRegisteredModels({ order_by }), 'INVALID_ARGUMENT');
        await rejects(
          store.searchRegisteredModels({ max_results: 1001 }),
          'INVALID_ARGUMENT',
          /at most 1000/,
        );
        await rejects(store.searchRegisteredModels({ max_results: 0 }), 'INVALID_ARGUMENT');
        await rejects(
          store.searchRegisteredModels({ page_token: 'not a token' }),
          'INVALID_ARGUMENT',
          /page token/,
        );
        assert.equal((await store.searchRegisteredModels({ max_results: 1000 })).items.length > 0, true);
      });

      it('returns at most 100 models by default', async () => {
        for (let i = 0; i < 101; i++) await store.createRegisteredModel(`bulk-${String(i).padStart(3, '0')}`);
        const page = await store.searchRegisteredModels({ filter: "name LIKE 'bulk-%'" });
        assert.equal(page.items.length, 100);
        assert.ok(page.next_page_token);
        const rest = await store.searchRegisteredModels({
          filter: "name LIKE 'bulk-%'",
          page_token: page.next_page_token,
        });
        assert.deepEqual(
          rest.items.map((m) => m.name),
          ['bulk-100'],
        );
      });
    });

    describe('searchModelVersions', () => {
      before(async () => {
        await store.createRegisteredModel('sv-a');
        await store.createRegisteredModel('sv-b');
        for (let i = 1; i <= 5; i++) {
          await version('sv-a', `s3://bucket/sv-a/${i}`, {
            run_id: `run-${i % 2}`,
            tags: [{ key: 'fold', value: String(i % 3) }],
          });
          await tick();
        }
        await version('sv-b', 'runs:/run-9/Model', { run_id: 'run-9' });
      });

      it('filters by name, version_number, run_id, source_path and tags', async () => {
        assert.deepEqual(await searchVersions("name = 'sv-a' and version_number >= 4"), ['sv-a/5', 'sv-a/4']);
        assert.deepEqual(await searchVersions("name = 'sv-a' and version_number = '2'"), ['sv-a/2']);
        assert.deepEqual(
          await searchVersions("name = 'sv-a' and version_number != 1 and version_number < 4"),
          ['sv-a/3', 'sv-a/2'],
        );
        assert.deepEqual(await searchVersions("name LIKE 'sv-%' and run_id = 'run-0'"), ['sv-a/4', 'sv-a/2']);
        assert.deepEqual(
          await searchVersions("run_id IN ('run-9', 'run-0')", ['version_number ASC', 'name ASC']),
          ['sv-b/1', 'sv-a/2', 'sv-a/4'],
        );
        assert.deepEqual(await searchVersions("name IN ('sv-b')"), ['sv-b/1']);
        assert.deepEqual(await searchVersions("name LIKE 'sv-%' and source_path LIKE 'runs:/%/model'"), []);
        assert.deepEqual(await searchVersions("name LIKE 'sv-%' and source_path ILIKE 'runs:/%/model'"), [
          'sv-b/1',
        ]);
        assert.deepEqual(await searchVersions("source_path = 's3://bucket/sv-a/3'"), ['sv-a/3']);
        assert.deepEqual(await searchVersions("name LIKE 'sv-%' and tags.fold = '1'"), ['sv-a/4', 'sv-a/1']);
        assert.deepEqual(await searchVersions("name NOT IN ('sv-a') and name LIKE 'sv-%'"), ['sv-b/1']);
      });

      it('orders newest first by default and pages through every version once', async () => {
        assert.deepEqual(await searchVersions("name LIKE 'sv-%'"), [
          'sv-b/1',
          'sv-a/5',
          'sv-a/4',
          'sv-a/3',
          'sv-a/2',
          'sv-a/1',
        ]);
        assert.deepEqual(await searchVersions("name LIKE 'sv-%'", ['name DESC']), [
          'sv-b/1',
          'sv-a/5',
          'sv-a/4',
          'sv-a/3',
          'sv-a/2',
          'sv-a/1',
        ]);
        assert.deepEqual(await searchVersions("name LIKE 'sv-%'", ['creation_timestamp ASC']), [
          'sv-a/1',
          'sv-a/2',
          'sv-a/3',
          'sv-a/4',
          'sv-a/5',
          'sv-b/1',
        ]);
        await store.createRegisteredModel('sv-pages');
        for (let i = 0; i < 25; i++) await version('sv-pages');
        const seen: string[] = [];
        let token: string | undefined;
        do {
          const page = await store.searchModelVersions({
            filter: "name = 'sv-pages'",
            max_results: 7,
            order_by: ['version_number ASC'],
            ...(token ? { page_token: token } : {}),
          });
          assert.ok(page.items.length <= 7);
          seen.push(...page.items.map((v) => v.version));
          token = page.next_page_token;
        } while (token);
        assert.deepEqual(
          seen,
          Array.from({ length: 25 }, (_, i) => String(i + 1)),
        );
      });

      it('fills tags and aliases of the versions it returns', async () => {
        await store.setRegisteredModelAlias('sv-a', 'champion', '3');
        const [v3] = (await store.searchModelVersions({ filter: "name = 'sv-a' and version_number = 3" }))
          .items;
        assert.deepEqual([v3?.aliases, v3?.tags], [['champion'], [{ key: 'fold', value: '0' }]]);
      });

      it('rejects invalid filters, order_by and max_results', async () => {
        for (const filter of [
          "source_path IN ('a')",
          "version_number = 'one'",
          'version_number = 1.5',
          "version_number LIKE '1%'",
          "run_id > 'a'",
          "status = 'READY'",
          'metrics.x = 1',
          "tags.fold > '1'",
        ])
          await rejects(store.searchModelVersions({ filter }), 'INVALID_ARGUMENT');
        for (const order_by of [['status'], ['version_number', 'version_number DESC'], ['name UP']])
          await rejects(store.searchModelVersions({ order_by }), 'INVALID_ARGUMENT');
        await rejects(store.searchModelVersions({ max_results: 200_001 }), 'INVALID_ARGUMENT');
        await rejects(store.searchModelVersions({ max_results: 0 }), 'INVALID_ARGUMENT');
        await rejects(store.searchModelVersions({ page_token: '!!' }), 'INVALID_ARGUMENT');
      });
    });
  });
}
