import assert from 'node:assert/strict';
import { it } from 'node:test';
import { allPages, rejectsWith, type TrackingContext } from './support.ts';

export function experimentCases(ctx: TrackingContext): void {
  it('has the Default experiment with id 0', async () => {
    const exp = await ctx.store.getExperiment('0');
    assert.equal(exp.experiment_id, '0');
    assert.equal(exp.name, 'Default');
    assert.match(exp.artifact_location, /\/0$/);
    assert.equal((await ctx.store.getExperimentByName('Default'))?.experiment_id, '0');
  });

  it('creates an experiment with a numeric id, default artifact location, times and tags', async () => {
    const name = ctx.name('create');
    const before = Date.now();
    const id = await ctx.store.createExperiment(name, { tags: [{ key: 'team', value: 'fraud' }] });
    const after = Date.now();
    assert.match(id, /^\d+$/);
    const exp = await ctx.store.getExperiment(id);
    assert.equal(exp.name, name);
    assert.equal(exp.lifecycle_stage, 'active');
    assert.match(exp.artifact_location, new RegExp(`/${id}$`));
    assert.ok(
      exp.creation_time >= before && exp.creation_time <= after,
      'creation_time is the time of creation',
    );
    assert.equal(exp.last_update_time, exp.creation_time);
    assert.deepEqual(exp.tags, [{ key: 'team', value: 'fraud' }]);
    assert.deepEqual(await ctx.store.getExperimentByName(name), exp);
  });

  it('keeps an artifact location given at creation', async () => {
    const id = await ctx.store.createExperiment(ctx.name('loc'), {
      artifact_location: 's3://bucket/some/where',
    });
    assert.equal((await ctx.store.getExperiment(id)).artifact_location, 's3://bucket/some/where');
  });

  it('refuses a duplicate name, even of a deleted experiment, and an empty name', async () => {
    const name = ctx.name('dup');
    const id = await ctx.store.createExperiment(name);
    await rejectsWith(ctx.store.createExperiment(name), 'ALREADY_EXISTS', new RegExp(name));
    await ctx.store.deleteExperiment(id);
    await rejectsWith(ctx.store.createExperiment(name), 'ALREADY_EXISTS');
    await rejectsWith(ctx.store.createExperiment(''), 'INVALID_ARGUMENT');
  });

  it('answers NOT_FOUND for an unknown id and undefined for an unknown name', async () => {
    await rejectsWith(ctx.store.getExperiment('987654321'), 'NOT_FOUND', /987654321/);
    await rejectsWith(ctx.store.deleteExperiment('987654321'), 'NOT_FOUND');
    await rejectsWith(ctx.store.setExperimentTag('987654321', { key: 'a', value: 'b' }), 'NOT_FOUND');
    assert.equal(await ctx.store.getExperimentByName(ctx.name('nobody')), undefined);
  });

  it('renames an active experiment, refusing a taken name and a deleted experiment', async () => {
    const [a, b] = [ctx.name('rename-a'), ctx.name('rename-b')];
    const id = await ctx.store.createExperiment(a);
    const other = await ctx.store.createExperiment(b);
    const created = (await ctx.store.getExperiment(id)).creation_time;
    await new Promise((r) => setTimeout(r, 5));
    const renamed = ctx.name('renamed');
    await ctx.store.renameExperiment(id, renamed);
    const exp = await ctx.store.getExperiment(id);
    assert.equal(exp.name, renamed);
    assert.ok(exp.last_update_time > created, 'last_update_time moves on rename');
    assert.equal(await ctx.store.getExperimentByName(a), undefined);
    await rejectsWith(ctx.store.renameExperiment(id, b), 'ALREADY_EXISTS');
    await ctx.store.deleteExperiment(other);
    await rejectsWith(ctx.store.renameExperiment(other, ctx.name('x')), 'FAILED_PRECONDITION');
  });

  it('deletes softly, with its runs, and restores both', async () => {
    const id = await ctx.store.createExperiment(ctx.name('del'));
    const run = await ctx.store.createRun({ experiment_id: id });
    await ctx.store.deleteExperiment(id);
    const deleted = await ctx.store.getExperiment(id);
    assert.equal(deleted.lifecycle_stage, 'deleted');
    assert.equal((await ctx.store.getRun(run.info.run_id)).info.lifecycle_stage, 'deleted');
    assert.equal((await ctx.store.getExperimentByName(deleted.name))?.lifecycle_stage, 'deleted');
    await rejectsWith(ctx.store.createRun({ experiment_id: id }), 'FAILED_PRECONDITION');
    await rejectsWith(ctx.store.setExperimentTag(id, { key: 'k', value: 'v' }), 'FAILED_PRECONDITION');
    await ctx.store.restoreExperiment(id);
    assert.equal((await ctx.store.getExperiment(id)).lifecycle_stage, 'active');
    assert.equal((await ctx.store.getRun(run.info.run_id)).info.lifecycle_stage, 'active');
  });

  it('sets, overwrites and deletes experiment tags', async () => {
    const id = await ctx.store.createExperiment(ctx.name('tags'));
    await ctx.store.setExperimentTag(id, { key: 'b', value: '1' });
    await ctx.store.setExperimentTag(id, { key: 'a', value: '2' });
    await ctx.store.setExperimentTag(id, { key: 'b', value: '3' });
    const tags = (await ctx.store.getExperiment(id)).tags.sort((x, y) => x.key.localeCompare(y.key));
    assert.deepEqual(tags, [
      { key: 'a', value: '2' },
      { key: 'b', value: '3' },
    ]);
    await ctx.store.deleteExperimentTag(id, 'a');
    assert.deepEqual((await ctx.store.getExperiment(id)).tags, [{ key: 'b', value: '3' }]);
    await rejectsWith(ctx.store.deleteExperimentTag(id, 'a'), 'NOT_FOUND');
  });

  it('searches experiments by name, tags and times, with view types', async () => {
    const prefix = ctx.name('Search');
    const ids: string[] = [];
    for (const [i, team] of ['red', 'blue', 'red', 'green'].entries())
      ids.push(await ctx.store.createExperiment(`${prefix}-${i}`, { tags: [{ key: 'team', value: team }] }));
    const names = async (filter: string, viewType?: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL') =>
      (await ctx.store.searchExperiments({ filter, ...(viewType ? { view_type: viewType } : {}) })).items
        .map((e) => e.name)
        .sort();
    assert.deepEqual(
      await names(`name LIKE '${prefix}-%'`),
      [0, 1, 2, 3].map((i) => `${prefix}-${i}`),
    );
    assert.deepEqual(await names(`attribute.name = '${prefix}-2'`), [`${prefix}-2`]);
    assert.deepEqual(
      await names(`name LIKE '${prefix}-%' AND name != '${prefix}-2'`),
      [0, 1, 3].map((i) => `${prefix}-${i}`),
    );
    assert.deepEqual(await names(`name LIKE '${prefix.toLowerCase()}-%'`), [], 'LIKE is case-sensitive');
    assert.equal((await names(`name ILIKE '${prefix.toLowerCase()}-%'`)).length, 4, 'ILIKE is not');
    assert.deepEqual(await names(`name LIKE '${prefix}-%' AND tags.team = 'red'`), [
      `${prefix}-0`,
      `${prefix}-2`,
    ]);
    assert.deepEqual(await names(`name LIKE '${prefix}-%' AND tags.team LIKE 'gr%'`), [`${prefix}-3`]);
    const created = (await ctx.store.getExperiment(ids[2] as string)).creation_time;
    assert.ok(
      (await names(`name LIKE '${prefix}-%' AND creation_time >= ${created}`)).includes(`${prefix}-2`),
    );
    assert.deepEqual(await names(`name LIKE '${prefix}-%' AND creation_time > ${Date.now() + 60_000}`), []);
    await ctx.store.deleteExperiment(ids[1] as string);
    assert.deepEqual(
      await names(`name LIKE '${prefix}-%'`),
      [0, 2, 3].map((i) => `${prefix}-${i}`),
    );
    assert.deepEqual(await names(`name LIKE '${prefix}-%'`, 'DELETED_ONLY'), [`${prefix}-1`]);
    assert.equal((await names(`name LIKE '${prefix}-%'`, 'ALL')).length, 4);
  });

  it('orders experiments (newest first by default) and pages through them exactly once', async () => {
    const prefix = ctx.name('order');
    for (const letter of ['c', 'a', 'e', 'b', 'd']) await ctx.store.createExperiment(`${prefix}-${letter}`);
    const filter = `name LIKE '${prefix}-%'`;
    const byName = await ctx.store.searchExperiments({ filter, order_by: ['name DESC'] });
    assert.deepEqual(
      byName.items.map((e) => e.name.slice(-1)),
      ['e', 'd', 'c', 'b', 'a'],
    );
    const byDefault = (await ctx.store.searchExperiments({ filter })).items;
    for (let i = 1; i < byDefault.length; i++) {
      const [prev, cur] = [byDefault[i - 1], byDefault[i]] as [(typeof byDefault)[0], (typeof byDefault)[0]];
      assert.ok(
        prev.creation_time > cur.creation_time ||
          (prev.creation_time === cur.creation_time &&
            Number(prev.experiment_id) < Number(cur.experiment_id)),
        'default order: creation_time DESC, then experiment_id',
      );
    }
    const paged = await allPages((token) =>
      ctx.store.searchExperiments({
        filter,
        order_by: ['name ASC'],
        max_results: 2,
        ...(token ? { page_token: token } : {}),
      }),
    );
    assert.equal(paged.pages, 3);
    assert.deepEqual(
      paged.items.map((e) => e.name.slice(-1)),
      ['a', 'b', 'c', 'd', 'e'],
    );
  });

  it('rejects invalid experiment searches', async () => {
    await rejectsWith(
      ctx.store.searchExperiments({ filter: "name = 'x' OR name = 'y'" }),
      'INVALID_ARGUMENT',
    );
    await rejectsWith(ctx.store.searchExperiments({ filter: 'metrics.acc > 1' }), 'INVALID_ARGUMENT');
    await rejectsWith(
      ctx.store.searchExperiments({ filter: "creation_time > 'yesterday'" }),
      'INVALID_ARGUMENT',
    );
    await rejectsWith(ctx.store.searchExperiments({ order_by: ['artifact_location'] }), 'INVALID_ARGUMENT');
    await rejectsWith(ctx.store.searchExperiments({ max_results: 50_001 }), 'INVALID_ARGUMENT');
    await rejectsWith(ctx.store.searchExperiments({ page_token: 'not a token' }), 'INVALID_ARGUMENT');
  });
}
