import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MetadataStore, Migration } from '../../src/store/metadata-store.ts';

/**
 * The behaviour every MetadataStore implementation must have. `open` returns a store on an empty
 * database (or schema) that the suite may change freely; `reopen` opens the same database again.
 */
export function describeMetadataStore(
  name: string,
  factory: { open(): Promise<MetadataStore>; reopen(): Promise<MetadataStore> },
  options: { skip?: string | false } = {},
): void {
  describe(`MetadataStore contract: ${name}`, { skip: options.skip ?? false }, () => {
    let store: MetadataStore;
    const migrations: Migration[] = [
      {
        id: 'test-001-items',
        sql: {
          sqlite:
            'CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, size BIGINT NOT NULL, score DOUBLE PRECISION, data BLOB)',
          postgres:
            'CREATE TABLE items (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, size BIGINT NOT NULL, score DOUBLE PRECISION, data BYTEA)',
        },
      },
      { id: 'test-002-items-index', sql: 'CREATE INDEX items_size ON items (size)' },
    ];

    before(async () => {
      store = await factory.open();
    });
    after(async () => {
      await store?.close();
    });

    it('applies migrations once, in id order, and records them', async () => {
      const first = await store.migrate([...migrations].reverse());
      assert.deepEqual(first, ['test-001-items', 'test-002-items-index']);
      assert.deepEqual(await store.migrate(migrations), []);
      const again = await factory.reopen();
      try {
        assert.deepEqual(await again.migrate(migrations), []);
      } finally {
        await again.close();
      }
    });

    it('a failing migration leaves nothing half-applied', async () => {
      const bad: Migration = {
        id: 'test-003-bad',
        sql: 'CREATE TABLE half (x INTEGER); CREATE TABLE items (x INTEGER)',
      };
      await assert.rejects(store.migrate([...migrations, bad]));
      const applied = await store.all<{ id: string }>(
        "SELECT id FROM cairn_migrations WHERE id = 'test-003-bad'",
      );
      assert.equal(applied.length, 0);
      await assert.rejects(store.all('SELECT * FROM half'));
    });

    it('round-trips text, 53-bit integers, doubles, nulls and bytes', async () => {
      const big = 2 ** 53 - 1;
      await store.run('INSERT INTO items (name, size, score, data) VALUES (?, ?, ?, ?)', [
        'a',
        big,
        0.125,
        new Uint8Array([1, 2, 3]),
      ]);
      await store.run('INSERT INTO items (name, size, score, data) VALUES (?, ?, ?, ?)', [
        'b',
        2,
        null,
        null,
      ]);
      const a = await store.get<{ name: string; size: number; score: number; data: Uint8Array }>(
        'SELECT name, size, score, data FROM items WHERE name = ?',
        ['a'],
      );
      assert.equal(a?.size, big);
      assert.equal(typeof a?.size, 'number');
      assert.equal(a?.score, 0.125);
      assert.deepEqual([...(a?.data ?? [])], [1, 2, 3]);
      const b = await store.get('SELECT score, data FROM items WHERE name = ?', ['b']);
      assert.equal(b?.score, null);
      assert.equal(b?.data, null);
      assert.equal(await store.get('SELECT * FROM items WHERE name = ?', ['zzz']), undefined);
    });

    it('reports changes and supports upsert and RETURNING', async () => {
      const r = await store.run('UPDATE items SET size = size + 1 WHERE name IN (?, ?)', ['a', 'b']);
      assert.equal(r.changes, 2);
      await store.run(
        'INSERT INTO items (name, size) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET size = excluded.size',
        ['b', 40],
      );
      const row = await store.get<{ id: number }>(
        'INSERT INTO items (name, size) VALUES (?, ?) RETURNING id',
        ['c', 1],
      );
      assert.equal(typeof row?.id, 'number');
      assert.equal(
        (await store.get<{ size: number }>('SELECT size FROM items WHERE name = ?', ['b']))?.size,
        40,
      );
    });

    it('runMany inserts many rows', async () => {
      const rows = Array.from({ length: 2500 }, (_, i) => [`bulk-${i}`, i] as const);
      await store.runMany('INSERT INTO items (name, size) VALUES (?, ?)', rows);
      const count = await store.get<{ n: number }>(
        "SELECT COUNT(*) AS n FROM items WHERE name LIKE 'bulk-%'",
      );
      assert.equal(Number(count?.n), 2500);
    });

    it('commits a transaction that resolves and rolls back one that throws', async () => {
      await store.transaction(async (tx) => {
        await tx.run('INSERT INTO items (name, size) VALUES (?, ?)', ['tx-ok', 1]);
      });
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.run('INSERT INTO items (name, size) VALUES (?, ?)', ['tx-bad', 1]);
          throw new Error('boom');
        }),
        /boom/,
      );
      const names = (
        await store.all<{ name: string }>("SELECT name FROM items WHERE name LIKE 'tx-%' ORDER BY name")
      ).map((r) => r.name);
      assert.deepEqual(names, ['tx-ok']);
    });

    it('serializes concurrent transactions (no lost updates)', async () => {
      await store.run('INSERT INTO items (name, size) VALUES (?, ?)', ['counter', 0]);
      await Promise.all(
        Array.from({ length: 20 }, () =>
          store.transaction(async (tx) => {
            const row = await tx.get<{ size: number }>('SELECT size FROM items WHERE name = ?', ['counter']);
            await new Promise((r) => setTimeout(r, 1));
            await tx.run('UPDATE items SET size = ? WHERE name = ?', [(row?.size ?? 0) + 1, 'counter']);
          }),
        ),
      );
      const row = await store.get<{ size: number }>('SELECT size FROM items WHERE name = ?', ['counter']);
      assert.equal(row?.size, 20);
    });

    it('rejects a constraint violation with the database error', async () => {
      await assert.rejects(store.run('INSERT INTO items (name, size) VALUES (?, ?)', ['a', 1]));
    });

    it('answers ping', async () => {
      await store.ping();
    });
  });
}
