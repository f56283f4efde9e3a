import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { FsBlobStore } from '../../src/blobs/fs/fs-blob-store.ts';
import { describeBlobStore } from '../contracts/blob-store.contract.ts';
import { tempDir } from '../support/tmp-dir.ts';

describeBlobStore('fs', async () => new FsBlobStore({ root: join(await tempDir(), 'store') }), {
  batchWrites: true,
});

describe('FsBlobStore specifics', () => {
  it('leaves no temp file behind after a failed write', async () => {
    const root = join(await tempDir(), 'store');
    const store = new FsBlobStore({ root });
    const broken = Readable.from(
      (async function* () {
        yield Buffer.alloc(1000);
        throw new Error('reset');
      })(),
    );
    await assert.rejects(store.put('k/one', { stream: broken }));
    const left = (await readdir(root, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile() && e.name.endsWith('.tmp'))
      .map((e) => e.name);
    assert.deepEqual(left, []);
  });

  it('resolves keys to paths inside the root only', async () => {
    const store = new FsBlobStore({ root: '/srv/store' });
    assert.equal(store.pathOf('sha256/ab/cd'), '/srv/store/sha256/ab/cd');
    assert.throws(() => store.pathOf('../etc/passwd'), { code: 'INVALID_ARGUMENT' });
  });
});
