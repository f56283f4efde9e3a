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
});
