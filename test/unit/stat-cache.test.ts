import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STAT_CACHE_MIGRATIONS, StatCache, trustedHash } from '../../src/data/stat-cache.ts';
import { sha256 } from '../../src/kernel/hashing.ts';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';

describe('stat cache', () => {
  const sig = { size: 10, mtimeMs: 1_700_000_000_123.5, ino: 42 };

  it('trusts a hash only while size, mtime and inode are unchanged', () => {
    const entry = { ...sig, hash: sha256('x'), checkedAt: sig.mtimeMs + 10_000 };
    assert.equal(trustedHash(entry, sig), entry.hash);
    assert.equal(trustedHash(entry, { ...sig, size: 11 }), undefined);
    assert.equal(trustedHash(entry, { ...sig, mtimeMs: sig.mtimeMs + 1 }), undefined);
    assert.equal(trustedHash(entry, { ...sig, ino: 43 }), undefined);
    assert.equal(trustedHash(undefined, sig), undefined);
  });

  it('does not trust a file modified just before it was hashed (racily clean)', () => {
    const racy = { ...sig, hash: sha256('x'), checkedAt: sig.mtimeMs + 10 };
    assert.equal(trustedHash(racy, sig), undefined);
    assert.equal(trustedHash(racy, sig, { racy: false }), racy.hash, 'files only Cairn writes');
    const coarse = { size: 1, mtimeMs: 1_700_000_000_000, ino: 1 };
    assert.equal(
      trustedHash({ ...coarse, hash: sha256('y'), checkedAt: coarse.mtimeMs + 1500 }, coarse),
      undefined,
      'whole-second clocks get a wider window',
    );
  });

  it('stores entries per scope and loads them by prefix', async () => {
    const store = await openMetadataStore('sqlite://:memory:', STAT_CACHE_MIGRATIONS);
    const a = new StatCache(store, 'host-a:/ws');
    const b = new StatCache(store, 'host-b:/ws');
    await a.save([
      { path: 'data/x', signature: sig, hash: sha256('1') },
      { path: 'data/y', signature: sig, hash: sha256('2') },
      { path: 'other', signature: sig, hash: sha256('3') },
    ]);
    await b.save([{ path: 'data/x', signature: sig, hash: sha256('4') }]);
    assert.deepEqual([...(await a.load('data/')).keys()].sort(), ['data/x', 'data/y']);
    assert.equal((await b.get('data/x'))?.hash, sha256('4'));
    await a.save([{ path: 'data/x', signature: { ...sig, size: 99 }, hash: sha256('5') }]);
    assert.equal((await a.get('data/x'))?.size, 99);
    await a.forget(['data/x']);
    assert.equal(await a.get('data/x'), undefined);
    await store.close();
  });
});
