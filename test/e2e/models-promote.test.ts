import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HttpRegistryStore } from '../../src/registry/http/http-registry-store.ts';
import { HttpPromotionStore } from '../../src/registry/promotion/http/http-promotion-store.ts';
import type { PromotionStore } from '../../src/registry/promotion/promotion-store.ts';
import type { AliasEvent } from '../../src/registry/promotion/promotion-types.ts';
import { PROMOTION_MIGRATIONS } from '../../src/registry/promotion/sql/promotion-migrations.ts';
import { SqlPromotionStore } from '../../src/registry/promotion/sql/sql-promotion-store.ts';
import type { RegistryStore } from '../../src/registry/registry-store.ts';
import { REGISTRY_MIGRATIONS } from '../../src/registry/sql/registry-migrations.ts';
import { SqlRegistryStore } from '../../src/registry/sql/sql-registry-store.ts';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { type RunningServer, startServerProcess } from '../compat/server-process.ts';
import { cairn, cairnJson, newWorkspace, writeFiles } from '../support/cli.ts';
import { freshDatabase } from '../support/pg-database.ts';
import { pgGate, pythonGate } from '../support/services.ts';

const CAIRN_YAML = `gates:
  income:
    data: data/test.csv
    target: income
    rules:
      - roc_auc >= 0.8
`;

const gateResult = (passed: boolean) => ({
  kind: 'gate' as const,
  gate: 'income',
  passed,
  result: { rules: [{ rule: 'roc_auc >= 0.8', value: passed ? 0.9 : 0.7, passed }] },
});

/** Model `income` with versions 1 (gate passed), 2 (gate failed) and 3 (never gated). */
async function seed(registry: RegistryStore, promotion: PromotionStore): Promise<void> {
  await registry.createRegisteredModel('income');
  for (const v of [1, 2, 3])
    await registry.createModelVersion({ name: 'income', source: `s3://models/income/${v}` });
  await promotion.recordCheck('income', '1', gateResult(true), 'ci');
  await promotion.recordCheck('income', '2', gateResult(false), 'ci');
}

async function seedStore(uri: string): Promise<void> {
  const metadata = await openMetadataStore(uri, [...REGISTRY_MIGRATIONS, ...PROMOTION_MIGRATIONS]);
  try {
    await seed(new SqlRegistryStore(metadata), new SqlPromotionStore(metadata));
  } finally {
    await metadata.close();
  }
}

const pg = pgGate();

describe('cairn models promote: gated aliases through the CLI', () => {
  let ws = '';
  let pgUri: string | undefined;
  before(async () => {
    ws = await newWorkspace();
    await writeFiles(ws, { 'cairn.yaml': CAIRN_YAML });
    await seedStore(`sqlite://${join(ws, '.cairn', 'cairn.db')}`);
    if (pg.value) {
      pgUri = await freshDatabase(pg.value, 'cairn_promote');
      await seedStore(pgUri);
    }
  });

  for (const store of ['sqlite', 'postgres'] as const)
    it(`moves a gated alias only to a passing version, forced moves need a reason and are audited (${store})`, {
      skip: store === 'postgres' ? pg.skip : false,
    }, async () => {
      const target = store === 'postgres' ? ['--tracking-uri', pgUri as string] : [];
      const run = (...args: string[]) => cairn(['models', ...args, ...target], { cwd: ws });

      const passed = await run('promote', 'income', '1', '--alias', 'champion');
      assert.equal(passed.code, 0, passed.stderr);
      assert.equal(passed.stdout, 'income@champion → version 1 — gate income passed\n');

      const failed = await run('promote', 'income', '2', '--alias', 'champion');
      assert.equal(failed.code, 1);
      assert.equal(failed.stdout, '');
      assert.match(
        failed.stderr,
        /^error: cannot move alias champion of income to version 2: gate income failed on version 2 \(result \d+\)\. Run cairn gate models:\/income\/2 --gate income .*--force --reason "…"\n$/,
      );
      const missing = await run('alias', 'set', 'income', 'champion', '3');
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /gate income has no result for version 3/);

      const noReason = await run('promote', 'income', '2', '--alias', 'champion', '--force');
      assert.equal(noReason.code, 2);
      assert.match(noReason.stderr, /^error: a forced promotion needs a reason — add --reason/);

      const forced = await run(
        'promote',
        'income',
        '2',
        '--alias',
        'champion',
        '--force',
        '--reason',
        'incident 7 hotfix',
      );
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(
        forced.stdout,
        'income@champion → version 2 (was 1) — forced past gate income: incident 7 hotfix\n',
      );

      const free = await run('promote', 'income', '3', '--alias', 'challenger');
      assert.equal(free.code, 0, free.stderr);
      assert.equal(free.stdout, 'income@challenger → version 3\n', 'an ungated alias says nothing of gates');

      const history = await cairnJson<AliasEvent[]>(['models', 'history', 'income', ...target], { cwd: ws });
      assert.deepEqual(
        history.map((e) => [e.alias, e.from_version, e.to_version, e.forced, e.reason]),
        [
          ['champion', undefined, '1', false, undefined],
          ['champion', '1', '2', true, 'incident 7 hotfix'],
          ['challenger', undefined, '3', false, undefined],
        ],
      );
      assert.deepEqual(
        history[1]?.gates.map((g) => [g.gate, g.passed, g.ok]),
        [['income', false, false]],
      );
      assert.ok(history.every((e) => e.actor.length > 0 && e.at > Date.now() - 600_000));
      const table = await run('history', 'income');
      assert.match(table.stdout, /^WHEN\s+ALIAS\s+CHANGE\s+GATES\s+BY\s+FORCED/);
      assert.match(table.stdout, /champion\s+1 → 2\s+income:failed\s+\S+\s+yes: incident 7 hotfix/);
      const checks = await cairnJson<{ gate: string; passed: boolean; created_by: string }[]>(
        ['models', 'checks', 'income/2', ...target],
        { cwd: ws },
      );
      assert.deepEqual(
        checks.map((c) => [c.gate, c.passed, c.created_by]),
        [['income', false, 'ci']],
      );
      assert.match(
        (await run('checks', 'income@challenger')).stdout,
        /No gate results or evaluations recorded for income@challenger/,
      );
      const shown = await cairnJson<{ aliases: { alias: string; version: string }[] }>(
        ['models', 'show', 'income', ...target],
        { cwd: ws },
      );
      assert.deepEqual(shown.aliases, [
        { alias: 'challenger', version: '3' },
        { alias: 'champion', version: '2' },
      ]);
    });

  it('refuses to move any alias while a gate rule does not parse, naming the file and line', async () => {
    await writeFiles(ws, { 'cairn.yaml': `${CAIRN_YAML}      - roc_auc >= champion.recall\n` });
    const r = await cairn(['models', 'promote', 'income', '1', '--alias', 'champion'], { cwd: ws });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^error: cairn\.yaml:7: gate income: rule "roc_auc >= champion\.recall" compares roc_auc with champion\.recall/,
    );
    await writeFiles(ws, { 'cairn.yaml': CAIRN_YAML });
  });
});

const python = pythonGate();
describe('gated cairn server: the MLflow client and the CLI', { skip: python.skip }, () => {
  const servers: RunningServer[] = [];
  let ws = '';
  before(async () => {
    ws = await newWorkspace();
    await writeFiles(ws, {
      'cairn.yaml': CAIRN_YAML,
      '.cairn/config.yaml': 'server:\n  enforce_gates: true\n',
    });
    // One server on the workspace's SQLite store, gates enforced by its config setting; one on
    // PostgreSQL started elsewhere, enforcing the gates of a cairn.yaml it is given.
    servers.push(await startServerProcess(['--artifacts', join(ws, 'artifacts')], { cwd: ws }));
    if (pg.value) {
      const store = await freshDatabase(pg.value, 'cairn_gated');
      servers.push(
        await startServerProcess(
          [
            '--store',
            store,
            '--artifacts',
            join(ws, 'pg-artifacts'),
            '--enforce-gates',
            '--gates',
            join(ws, 'cairn.yaml'),
          ],
          { cwd: resolve(ws, '..') },
        ),
      );
    }
    for (const s of servers)
      await seed(new HttpRegistryStore({ uri: s.url }), new HttpPromotionStore({ uri: s.url }));
  });
  after(async () => {
    for (const s of servers) await s.stop();
  });

  it('says in its listening line which gates it enforces', () => {
    assert.match(servers[0]?.line ?? '', /gates: enforced from .*cairn\.yaml\)$/);
  });

  it('refuses the MLflow client an alias move to a failing version with an MLflow error it shows', async () => {
    const out = await runPython({
      servers: servers.map((s) => s.url),
      model: 'income',
      failing: '2',
      passing: '1',
    });
    for (const s of servers) {
      const r = out[s.url] as { refused: { error_code: string; message: string } | null; champion: string };
      assert.equal(r.refused?.error_code, 'INVALID_STATE');
      assert.match(
        r.refused?.message ?? '',
        /cannot move alias champion of income to version 2: gate income failed on version 2/,
      );
      assert.equal(r.champion, '1');
    }
  });

  it('lets the CLI force the move with a reason through the server, and shows it in the history', async () => {
    for (const s of servers) {
      const target = ['--tracking-uri', s.url];
      const refused = await cairn(['models', 'promote', 'income', '3', '--alias', 'champion', ...target], {
        cwd: ws,
      });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /gate income has no result for version 3/);
      const forced = await cairn(
        [
          'models',
          'promote',
          'income',
          '3',
          '--alias',
          'champion',
          '--force',
          '--reason',
          'rollback drill',
          ...target,
        ],
        { cwd: ws },
      );
      assert.equal(forced.code, 0, forced.stderr);
      const history = await cairnJson<AliasEvent[]>(['models', 'history', 'income', ...target], { cwd: ws });
      assert.deepEqual(
        history.map((e) => [e.to_version, e.forced, e.reason]),
        [
          ['1', false, undefined],
          ['3', true, 'rollback drill'],
        ],
      );
      assert.equal(history[0]?.actor, 'anonymous', 'the MLflow client sent no identity');
    }
  });
});

function runPython(args: unknown): Promise<Record<string, unknown>> {
  const script = resolve(import.meta.dirname, '../python/gated_promotion.py');
  const child = spawn(python.value as string, [script, JSON.stringify(args)], {
    env: { ...process.env, GIT_PYTHON_REFRESH: 'quiet' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0
        ? done(JSON.parse(stdout) as Record<string, unknown>)
        : fail(new Error(`exit ${code}: ${stderr.slice(-3000)}`)),
    );
  });
}
