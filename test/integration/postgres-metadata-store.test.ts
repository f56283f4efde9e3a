import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import type { MetadataStore, Migration } from '../../src/store/metadata-store.ts';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { insertValuesShape, numberPlaceholders } from '../../src/store/postgres/placeholders.ts';
import { PostgresMetadataStore } from '../../src/store/postgres/postgres-metadata-store.ts';
import { redact } from '../../src/store/redact-uri.ts';
import { describeMetadataStore } from '../contracts/metadata-store.contract.ts';
import { freshDatabase } from '../support/pg-database.ts';
import { pgGate } from '../support/services.ts';

const gate = pgGate();

const contractUrl = gate.value ? await freshDatabase(gate.value, 'cairn_contract') : '';
describeMetadataStore(
  'postgres',
  { open: () => openMetadataStore(contractUrl), reopen: () => openMetadataStore(contractUrl) },
  { skip: gate.skip },
);

describe('PostgresMetadataStore', { skip: gate.skip }, () => {
  let url: string;
  let store: MetadataStore;
  before(async () => {
    url = await freshDatabase(gate.value ?? '', 'cairn_pg');
    store = await openMetadataStore(url);
  });
  after(async () => {
    await store?.close();
  });

  it('lets several processes migrate the same database at once, applying each migration once', async () => {
    const migrations: Migration[] = Array.from({ length: 6 }, (_, i) => ({
      id: `race-00${i}`,
      sql: `CREATE TABLE race_${i} (id BIGINT PRIMARY KEY); INSERT INTO race_${i} VALUES (${i})`,
    }));
    // Fresh stores on a fresh database: they also race to create cairn_migrations itself.
    const raceUrl = await freshDatabase(gate.value ?? '', 'cairn_race');
    const stores = Array.from({ length: 5 }, () => new PostgresMetadataStore({ connectionString: raceUrl }));
    try {
      const applied = await Promise.all(stores.map((s) => s.migrate(migrations)));
      assert.deepEqual(applied.flat().sort(), migrations.map((m) => m.id).sort());
      const recorded = await stores[0]?.all<{ id: string; n: number }>(
        'SELECT id, COUNT(*) AS n FROM cairn_migrations GROUP BY id ORDER BY id',
      );
      assert.deepEqual(
        recorded,
        migrations.map((m) => ({ id: m.id, n: 1 })),
      );
      assert.deepEqual(await stores[1]?.all('SELECT id FROM race_5'), [{ id: 5 }]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('reports an unreachable server as UNAVAILABLE, quickly and without the password', async () => {
    const secret = 'pw-unreachable-4711';
    const started = Date.now();
    const err = await openMetadataStore(`postgresql://cairn:${secret}@127.0.0.1:1/cairn_test`).then(
      () => assert.fail('opened a store on port 1'),
      (e: unknown) => e,
    );
    assert.ok(Date.now() - started < 5_000, 'took longer than 5 s');
    assert.equal((err as { code?: string }).code, 'UNAVAILABLE');
    assert.match((err as Error).message, /127\.0\.0\.1:1/);
    assert.doesNotMatch(inspect(err, { depth: 10 }), new RegExp(secret));
  });

  it('reports a wrong password as UNAUTHENTICATED without the password', async () => {
    const secret = 'pw-wrong-0815';
    const bad = new URL(url);
    bad.password = secret;
    const err = await openMetadataStore(bad.toString()).then(
      () => assert.fail('opened a store with a wrong password'),
      (e: unknown) => e,
    );
    assert.equal((err as { code?: string }).code, 'UNAUTHENTICATED');
    assert.match((err as Error).message, /cairn:\*\*\*@127\.0\.0\.1/);
    assert.doesNotMatch(inspect(err, { depth: 10 }), new RegExp(secret));
  });

  it('shows the URI without its password', () => {
    const s = new PostgresMetadataStore({
      connectionString: 'postgresql://u:s3cr@t/x@db.example:5432/cairn',
    });
    assert.equal(s.displayUri, 'postgresql://u:***@db.example:5432/cairn');
    assert.equal(
      redact('postgresql://h/db?user=u&password=p1&sslmode=off'),
      'postgresql://h/db?user=u&password=***&sslmode=off',
    );
    return s.close();
  });

  it('runMany upserts 20,000 rows in batches, and a key repeated within a batch ends with its last value', async () => {
    await store.run('CREATE TABLE bulk (k TEXT PRIMARY KEY, v BIGINT NOT NULL, b BYTEA, f BOOLEAN)');
    const upsert =
      'INSERT INTO bulk (k, v, b, f) VALUES (?, ?, ?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v, b = excluded.b';
    const rows = Array.from({ length: 20_000 }, (_, i) => [
      `k${i}`,
      i,
      new Uint8Array([i % 256]),
      i % 2 === 0,
    ]);
    await store.runMany(upsert, rows);
    // Half the keys exist already; k0 appears three times, so its batch falls back to row by row.
    const again = Array.from({ length: 20_000 }, (_, i) => [`k${i + 10_000}`, -i, null, false]);
    again.push(['k0', 1, null, true], ['k0', 2, null, true], ['k0', 3, null, true]);
    await store.runMany(upsert, again);
    const count = await store.get<{ n: number }>('SELECT COUNT(*) AS n FROM bulk');
    assert.equal(count?.n, 30_000);
    const k0 = await store.get<{ v: number; f: boolean }>('SELECT v, f FROM bulk WHERE k = ?', ['k0']);
    assert.deepEqual(k0, { v: 3, f: true });
    const k5 = await store.get<{ v: number; b: Uint8Array; f: boolean }>(
      'SELECT v, b, f FROM bulk WHERE k = ?',
      ['k5'],
    );
    assert.deepEqual([k5?.v, [...(k5?.b ?? [])], k5?.f], [5, [5], false]);
    assert.equal((await store.get<{ v: number }>('SELECT v FROM bulk WHERE k = ?', ['k15000']))?.v, -5_000);
  });

  it('runMany runs a statement that is not a one-row INSERT once per row', async () => {
    await store.run('CREATE TABLE counters (k TEXT PRIMARY KEY, n BIGINT NOT NULL)');
    await store.run("INSERT INTO counters VALUES ('a', 0), ('b', 0)");
    await store.runMany(
      'UPDATE counters SET n = n + ? WHERE k = ?',
      Array.from({ length: 300 }, (_, i) => [1, i % 2 === 0 ? 'a' : 'b']),
    );
    assert.deepEqual(await store.all('SELECT k, n FROM counters ORDER BY k'), [
      { k: 'a', n: 150 },
      { k: 'b', n: 150 },
    ]);
  });

  it('leaves ? inside string literals, quoted identifiers and comments alone', async () => {
    const row = await store.get(
      `SELECT '?' AS q, E'\\'?' AS e, $$?$$ AS d, ? AS p, 1 AS "what?" -- a ? here
       /* and ? there */ WHERE ? = 1`,
      ['x', 1],
    );
    assert.deepEqual(row, { q: '?', e: "'?", d: '?', p: 'x', 'what?': 1 });
  });

  it('maps a unique violation to ALREADY_EXISTS naming the constraint', async () => {
    await store.run('CREATE TABLE uniq (name TEXT CONSTRAINT uniq_name UNIQUE)');
    await store.run('INSERT INTO uniq VALUES (?)', ['a']);
    await assert.rejects(
      store.run('INSERT INTO uniq VALUES (?)', ['a']),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ALREADY_EXISTS');
        assert.match(err.message, /uniq_name/);
        return true;
      },
    );
  });

  it('rejects a BIGINT beyond 2^53 instead of rounding it, as SQLite does', async () => {
    await assert.rejects(store.get('SELECT 9007199254740993::bigint AS x'), /too large/);
    assert.deepEqual(await store.get('SELECT 9007199254740991::bigint AS x, 1.5::numeric AS y'), {
      x: 2 ** 53 - 1,
      y: 1.5,
    });
  });

  it('does not commit a transaction whose fn swallowed a failed statement', async () => {
    await store.run('CREATE TABLE swallowed (x BIGINT PRIMARY KEY)');
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.run('INSERT INTO swallowed VALUES (1)');
        await tx.run('INSERT INTO swallowed VALUES (1)').catch(() => undefined);
      }),
    );
    assert.deepEqual(await store.all('SELECT x FROM swallowed'), []);
  });
});

describe('PostgreSQL placeholders', () => {
  it('numbers ? placeholders and skips quoted text and comments', () => {
    assert.equal(
      numberPlaceholders(
        `SELECT ?, '?''?', "a?""b", E'\\'?', $t$ ? $t$, x -- ?\n, ? /* ? /* ? */ ? */ FROM t WHERE a = ?`,
      ),
      `SELECT $1, '?''?', "a?""b", E'\\'?', $t$ ? $t$, x -- ?\n, $2 /* ? /* ? */ ? */ FROM t WHERE a = $3`,
    );
    assert.equal(numberPlaceholders('SELECT $1'), 'SELECT $1');
  });

  it('recognises only one-row INSERT … VALUES statements for batching', () => {
    const shape = insertValuesShape(
      'INSERT INTO t (a, b) VALUES (?, lower(?)) ON CONFLICT (a) DO UPDATE SET b = excluded.b;',
    );
    assert.deepEqual(shape && { perRow: shape.perRow, updates: shape.updatesOnConflict }, {
      perRow: 2,
      updates: true,
    });
    assert.equal(insertValuesShape('INSERT INTO t (a) VALUES (?), (?)'), undefined);
    assert.equal(insertValuesShape('INSERT INTO t (a) SELECT ? WHERE true'), undefined);
    assert.equal(insertValuesShape('UPDATE t SET a = ?'), undefined);
    assert.equal(insertValuesShape("INSERT INTO t (a) VALUES ('x') RETURNING ?"), undefined);
  });
});
