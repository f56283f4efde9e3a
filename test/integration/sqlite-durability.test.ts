import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { silentLogger } from '../../src/kernel/logging.ts';
import { openServerBackends } from '../../src/server/server-wiring.ts';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { tempDir } from '../support/tmp-dir.ts';

/** SQLite's numbers for PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
const FULL = 2;

describe('SQLite commits are durable when they return', () => {
  it('syncs the write-ahead log on every commit, for the workspace store and the server', async () => {
    const dir = await tempDir('cairn-sync-');
    const store = await openMetadataStore(`sqlite://${join(dir, 'cairn.db')}`);
    try {
      assert.equal((await store.get('PRAGMA journal_mode'))?.journal_mode, 'wal');
      assert.equal((await store.get('PRAGMA synchronous'))?.synchronous, FULL);
    } finally {
      await store.close();
    }
    const server = await openServerBackends({
      storeUri: `sqlite://${join(dir, 'server.db')}`,
      artifactsUri: join(dir, 'artifacts'),
      log: silentLogger,
    });
    try {
      assert.equal((await server.deps.metadata.get('PRAGMA synchronous'))?.synchronous, FULL);
    } finally {
      await server.close();
    }
  });

  it('commits concurrent transactions together, each one whole or not at all', async () => {
    const dir = await tempDir('cairn-group-');
    const store = await openMetadataStore(`sqlite://${join(dir, 'cairn.db')}`);
    try {
      await store.run('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 50 }, (_, k) =>
          store.transaction(async (tx) => {
            await tx.run('INSERT INTO t (k, v) VALUES (?, ?)', [k, 'first']);
            await tx.run('INSERT INTO t (k, v) VALUES (?, ?)', [1000 + k, 'second']);
            if (k % 5 === 0) throw new Error(`transaction ${k} fails after writing`);
            // Sees what the transactions before it wrote, as if they ran one after another.
            return (await tx.get<{ n: number }>('SELECT count(*) AS n FROM t'))?.n;
          }),
        ),
      );
      const kept = outcomes.flatMap((o, k) => (o.status === 'fulfilled' ? [k] : []));
      assert.equal(kept.length, 40);
      assert.deepEqual(
        outcomes
          .filter((o) => o.status === 'fulfilled')
          .map((o) => (o as PromiseFulfilledResult<number>).value),
        kept.map((_, i) => 2 * (i + 1)),
        'each saw only the writes of those that succeeded before it',
      );
      const rows = await store.all<{ k: number }>('SELECT k FROM t ORDER BY k');
      assert.deepEqual(
        rows.map((r) => r.k),
        [...kept, ...kept.map((k) => 1000 + k)],
        'a failed transaction left none of its writes',
      );
    } finally {
      await store.close();
    }
  });
});
