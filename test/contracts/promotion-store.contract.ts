import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PromotionStore } from '../../src/registry/promotion/promotion-store.ts';
import type { GatePolicy } from '../../src/registry/promotion/promotion-types.ts';
import type { RegistryStore } from '../../src/registry/registry-store.ts';

/** The gated aliases every store under test enforces: `champion` of model `gated` needs gates g1 and g2. */
export const CONTRACT_POLICY: GatePolicy = {
  guards: [
    { model: 'gated', alias: 'champion', gate: 'g1' },
    { model: 'gated', alias: 'champion', gate: 'g2' },
    { model: 'solo', alias: 'champion', gate: 'g1' },
  ],
};

/**
 * The behaviour every PromotionStore must have: the SQL store on SQLite and PostgreSQL and a
 * client of Cairn's server, each enforcing CONTRACT_POLICY. `open` gives an empty registry.
 */
export function describePromotionStore(
  name: string,
  factory: {
    open(): Promise<{ registry: RegistryStore; promotion: PromotionStore }>;
    close?(): Promise<void>;
  },
  options: { skip?: string | false } = {},
): void {
  describe(`PromotionStore contract: ${name}`, { skip: options.skip ?? false }, () => {
    let registry: RegistryStore;
    let promotion: PromotionStore;
    before(async () => {
      ({ registry, promotion } = await factory.open());
      for (const model of ['gated', 'solo', 'free']) {
        await registry.createRegisteredModel(model);
        for (let i = 0; i < 3; i++)
          await registry.createModelVersion({ name: model, source: `s3://b/${model}/${i}` });
      }
    });
    after(async () => {
      await factory.close?.();
    });

    const rejects = (promise: Promise<unknown>, code: string, message?: RegExp) =>
      assert.rejects(promise, (err: Error & { code?: string }) => {
        assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
        if (message) assert.match(err.message, message);
        return true;
      });
    const gate = (gateName: string, passed: boolean, extra = {}) => ({
      kind: 'gate' as const,
      gate: gateName,
      passed,
      result: { rules: [{ rule: 'roc_auc >= 0.8', value: passed ? 0.9 : 0.7 }], ...extra },
    });

    it('records gate results and evaluations on a version and lists them newest first', async () => {
      const before = Date.now();
      const first = await promotion.recordCheck('free', '1', gate('g1', false), 'ci');
      const eval1 = await promotion.recordCheck(
        'free',
        '1',
        { kind: 'evaluation', result: { metrics: { f1: 0.5 } } },
        'ana',
      );
      const second = await promotion.recordCheck('free', '1', gate('g1', true, { data: 'sha256:ab' }), 'ci');
      assert.deepEqual(
        [first.name, first.version, first.kind, first.gate, first.passed, first.created_by],
        ['free', '1', 'gate', 'g1', false, 'ci'],
      );
      assert.ok(first.created_at >= before && first.created_at <= Date.now());
      assert.deepEqual(second.result, { rules: [{ rule: 'roc_auc >= 0.8', value: 0.9 }], data: 'sha256:ab' });
      assert.equal(eval1.passed, undefined);
      assert.deepEqual(
        (await promotion.listChecks('free', '1')).map((c) => c.id),
        [second.id, eval1.id, first.id],
      );
      assert.deepEqual(
        (await promotion.listChecks('free', '1', { kind: 'evaluation' })).map((c) => c.id),
        [eval1.id],
      );
      assert.deepEqual(
        (await promotion.listChecks('free', '1', { gate: 'g1' })).map((c) => c.passed),
        [true, false],
      );
      assert.deepEqual(await promotion.listChecks('free', '2'), []);
    });

    it('refuses results for a version that does not exist, and malformed ones', async () => {
      await rejects(promotion.recordCheck('free', '9', gate('g1', true), 'ci'), 'NOT_FOUND', /version=9/);
      await rejects(promotion.recordCheck('nope', '1', gate('g1', true), 'ci'), 'NOT_FOUND');
      await rejects(
        promotion.recordCheck('free', '1', { kind: 'gate', result: {} }, 'ci'),
        'INVALID_ARGUMENT',
      );
    });

    it('allows an ungated alias, and refuses a gated one while a gate has no result', async () => {
      const free = await promotion.checkPromotion('free', 'champion', '2');
      assert.deepEqual([free.allowed, free.gated, free.gates], [true, false, []]);
      const gated = await promotion.checkPromotion('gated', 'champion', '1');
      assert.equal(gated.allowed, false);
      assert.equal(gated.gated, true);
      assert.deepEqual(
        gated.gates.map((g) => [g.gate, g.ok]),
        [
          ['g1', false],
          ['g2', false],
        ],
      );
      assert.match(
        gated.message as string,
        /gate g1 has no result for version 1; gate g2 has no result for version 1/,
      );
      // Another alias of the same model is not gated.
      assert.equal((await promotion.checkPromotion('gated', 'challenger', '1')).allowed, true);
    });

    it('decides on the latest result of every guarding gate', async () => {
      await promotion.recordCheck('gated', '2', gate('g1', true), 'ci');
      await promotion.recordCheck('gated', '2', gate('g2', false), 'ci');
      let d = await promotion.checkPromotion('gated', 'champion', '2');
      assert.deepEqual(
        d.gates.map((g) => [g.gate, g.passed, g.ok]),
        [
          ['g1', true, true],
          ['g2', false, false],
        ],
      );
      assert.match(d.message as string, /gate g2 failed on version 2 \(result \d+\)/);
      const passed = await promotion.recordCheck('gated', '2', gate('g2', true), 'ci');
      d = await promotion.checkPromotion('gated', 'champion', '2');
      assert.equal(d.allowed, true);
      assert.equal(d.gates[1]?.check_id, passed.id);
      await promotion.recordCheck('gated', '2', gate('g1', false), 'ci');
      assert.equal(
        (await promotion.checkPromotion('gated', 'champion', '2')).allowed,
        false,
        'a later failure wins',
      );
      await promotion.recordCheck('gated', '2', gate('g1', true), 'ci');
    });

    it('moves an allowed alias and records who moved it from where', async () => {
      const first = await promotion.moveAlias({
        name: 'gated',
        alias: 'champion',
        version: '2',
        actor: 'ana',
      });
      assert.deepEqual(
        [
          first.name,
          first.alias,
          first.action,
          first.from_version,
          first.to_version,
          first.forced,
          first.actor,
        ],
        ['gated', 'champion', 'set', undefined, '2', false, 'ana'],
      );
      assert.deepEqual(
        first.gates.map((g) => g.ok),
        [true, true],
      );
      assert.equal((await registry.getModelVersionByAlias('gated', 'champion')).version, '2');
      const free = await promotion.moveAlias({ name: 'free', alias: 'champion', version: '3', actor: 'bo' });
      assert.equal(free.forced, false);
    });

    it('refuses a move to a failing or ungated version, leaving the alias and the trail as they were', async () => {
      await promotion.recordCheck('gated', '3', gate('g1', false), 'ci');
      const trail = (await promotion.aliasHistory('gated')).length;
      await rejects(
        promotion.moveAlias({ name: 'gated', alias: 'champion', version: '3', actor: 'ana' }),
        'FAILED_PRECONDITION',
        /cannot move alias champion of gated to version 3: gate g1 failed on version 3 .*gate g2 has no result/,
      );
      assert.equal((await registry.getModelVersionByAlias('gated', 'champion')).version, '2');
      assert.equal((await promotion.aliasHistory('gated')).length, trail);
    });

    it('forces a move only with a reason, and records it as forced', async () => {
      await rejects(
        promotion.moveAlias({ name: 'gated', alias: 'champion', version: '3', force: true, actor: 'ana' }),
        'INVALID_ARGUMENT',
        /needs a reason/,
      );
      const forced = await promotion.moveAlias({
        name: 'gated',
        alias: 'champion',
        version: '3',
        force: true,
        reason: 'hotfix for incident 42',
        actor: 'ana',
      });
      assert.deepEqual(
        [forced.from_version, forced.to_version, forced.forced, forced.reason, forced.actor],
        ['2', '3', true, 'hotfix for incident 42', 'ana'],
      );
      assert.deepEqual(
        forced.gates.map((g) => [g.gate, g.passed]),
        [
          ['g1', false],
          ['g2', undefined],
        ],
      );
      assert.equal((await registry.getModelVersionByAlias('gated', 'champion')).version, '3');
    });

    it('keeps the whole trail in order, deletes included', async () => {
      const deleted = await promotion.deleteAlias('gated', 'champion', 'bo');
      assert.deepEqual(
        [deleted?.action, deleted?.from_version, deleted?.to_version],
        ['delete', '3', undefined],
      );
      assert.equal(await promotion.deleteAlias('gated', 'champion', 'bo'), undefined, 'nothing to delete');
      const trail = await promotion.aliasHistory('gated');
      assert.deepEqual(
        trail.map(
          (e) =>
            `${e.action} ${e.from_version ?? '-'}→${e.to_version ?? '-'}${e.forced ? ' forced' : ''} by ${e.actor}`,
        ),
        ['set -→2 by ana', 'set 2→3 forced by ana', 'delete 3→- by bo'],
      );
      assert.ok(trail.every((e, i) => i === 0 || e.at >= (trail[i - 1] as { at: number }).at));
      assert.deepEqual(await promotion.aliasHistory('solo'), []);
      await rejects(promotion.aliasHistory('nope'), 'NOT_FOUND');
    });

    it('validates aliases and versions as the registry does', async () => {
      await rejects(
        promotion.moveAlias({ name: 'free', alias: 'latest', version: '1', actor: 'a' }),
        'INVALID_ARGUMENT',
        /reserved/,
      );
      await rejects(
        promotion.moveAlias({ name: 'free', alias: 'champion', version: '99', actor: 'a' }),
        'NOT_FOUND',
      );
      await rejects(promotion.checkPromotion('free', 'champion', 'x'), 'INVALID_ARGUMENT');
    });

    it('forgets the results of a deleted version', async () => {
      await promotion.recordCheck('solo', '3', gate('g1', true), 'ci');
      await registry.deleteModelVersion('solo', '3');
      await rejects(promotion.listChecks('solo', '3'), 'NOT_FOUND');
    });
  });
}
