import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { BlobStore } from '../../src/blobs/blob-store.ts';
import { tempDir } from '../support/tmp-dir.ts';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function collect(iter: AsyncIterable<{ key: string; size: number }>) {
  const out: { key: string; size: number }[] = [];
  for await (const x of iter) out.push(x);
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * The behaviour every BlobStore must have. `make` returns an empty store; `largeSize` is the size
 * of the object used to exercise large uploads (above the backend's multipart threshold).
 */
export function describeBlobStore(
  name: string,
  make: () => Promise<BlobStore>,
  options: { skip?: string | false; largeSize?: number; batchWrites?: boolean } = {},
): void {
  describe(`BlobStore contract: ${name}`, { skip: options.skip ?? false }, () => {
    let store: BlobStore;
    let scratch: string;
    before(async () => {
      store = await make();
      scratch = await tempDir('cairn-blob-src-');
    });
    after(async () => {
      await store?.close?.();
    });

    it('stores bytes and reads them back', async () => {
      const data = randomBytes(1000);
      await store.put('a/b/one', { bytes: data });
      assert.equal(await store.has('a/b/one'), true);
      assert.deepEqual(await store.stat('a/b/one'), { key: 'a/b/one', size: 1000 });
      assert.deepEqual(await readAll(await store.get('a/b/one')), data);
    });

    it('stores a local file and a stream of unknown length', async () => {
      const file = join(scratch, 'src.bin');
      const data = randomBytes(300_000);
      await writeFile(file, data);
      await store.put('f/file', { file });
      assert.deepEqual(await readAll(await store.get('f/file')), data);
      await store.put('f/stream', { stream: Readable.from([data.subarray(0, 7), data.subarray(7)]) });
      assert.deepEqual(await readAll(await store.get('f/stream')), data);
    });

    it('stores an empty object', async () => {
      await store.put('empty/x', { bytes: new Uint8Array() });
      assert.deepEqual(await store.stat('empty/x'), { key: 'empty/x', size: 0 });
      assert.equal((await readAll(await store.get('empty/x'))).length, 0);
    });

    it('stores a large object whole', async () => {
      const size = options.largeSize ?? 12 * 1024 * 1024;
      const data = randomBytes(size);
      const parts = [];
      for (let i = 0; i < size; i += 1_000_003) parts.push(data.subarray(i, i + 1_000_003));
      await store.put('big/object', { stream: Readable.from(parts), size });
      assert.equal((await store.stat('big/object'))?.size, size);
      assert.ok((await readAll(await store.get('big/object'))).equals(data));
    });

    it('answers missing objects with NOT_FOUND or undefined', async () => {
      assert.equal(await store.has('nope/none'), false);
      assert.equal(await store.stat('nope/none'), undefined);
      await assert.rejects(store.get('nope/none'), (err: { code?: string }) => err.code === 'NOT_FOUND');
    });

    it('checks many keys at once', async () => {
      const keys = Array.from({ length: 40 }, (_, i) => `many/${String(i).padStart(2, '0')}`);
      for (const key of keys.filter((_, i) => i % 2 === 0)) await store.put(key, { bytes: Buffer.from(key) });
      const present = await store.hasMany([...keys, 'many/absent']);
      assert.deepEqual(
        [...present].sort(),
        keys.filter((_, i) => i % 2 === 0),
      );
    });

    it('lists by prefix', async () => {
      await store.put('list/x/1', { bytes: Buffer.from('1') });
      await store.put('list/x/22', { bytes: Buffer.from('22') });
      await store.put('list/y/3', { bytes: Buffer.from('333') });
      assert.deepEqual(await collect(store.list('list/x/')), [
        { key: 'list/x/1', size: 1 },
        { key: 'list/x/22', size: 2 },
      ]);
      assert.deepEqual(
        (await collect(store.list('list/'))).map((b) => b.key),
        ['list/x/1', 'list/x/22', 'list/y/3'],
      );
    });

    it('deletes, and deleting a missing key is not an error', async () => {
      await store.put('del/one', { bytes: Buffer.from('x') });
      await store.delete('del/one');
      assert.equal(await store.has('del/one'), false);
      await store.delete('del/one');
    });

    it('overwrites a key with a complete new object', async () => {
      await store.put('over/k', { bytes: Buffer.from('first') });
      await store.put('over/k', { bytes: Buffer.from('second!') });
      assert.equal((await readAll(await store.get('over/k'))).toString(), 'second!');
    });

    it('never shows an object whose upload failed half-way', async () => {
      let sent = 0;
      const broken = Readable.from(
        (async function* () {
          while (sent < 3) {
            sent++;
            yield randomBytes(256 * 1024);
          }
          throw new Error('connection reset');
        })(),
      );
      await assert.rejects(store.put('partial/obj', { stream: broken }));
      assert.equal(await store.has('partial/obj'), false);
      assert.deepEqual(await collect(store.list('partial/')), []);
    });

    it('handles concurrent writes of the same key', async () => {
      const data = randomBytes(200_000);
      await Promise.all(Array.from({ length: 6 }, () => store.put('race/k', { bytes: data })));
      assert.ok((await readAll(await store.get('race/k'))).equals(data));
    });

    // Only for stores that offer batch writes (the optional putMany).
    if (options.batchWrites)
      it('stores a batch with putMany, all or nothing', async () => {
        assert.ok(store.putMany, 'a store declared with batch writes has putMany');
        const files = await Promise.all(
          [0, 1, 2].map(async (i) => {
            const file = join(scratch, `batch-${i}`);
            await writeFile(file, `file ${i}`);
            return file;
          }),
        );
        await store.putMany?.([
          ...files.map((file, i) => ({ key: `batch/f${i}`, source: { file } })),
          { key: 'batch/b', source: { bytes: Buffer.from('bytes') } },
        ]);
        assert.deepEqual(
          (await collect(store.list('batch/'))).map((b) => b.key),
          ['batch/b', 'batch/f0', 'batch/f1', 'batch/f2'],
        );
        assert.equal((await readAll(await store.get('batch/f2'))).toString(), 'file 2');
        await assert.rejects(
          store.putMany?.([
            { key: 'fail/a', source: { bytes: Buffer.from('a') } },
            { key: 'fail/b', source: { file: join(scratch, 'no-such-file') } },
          ]),
        );
        assert.deepEqual(await collect(store.list('fail/')), [], 'a failed batch leaves nothing visible');
      });

    it('refuses keys that could escape the store', async () => {
      for (const bad of ['../x', '/abs', 'a/../../b', 'a\\b', 'a/./b', 'nul\0x', 'a%2e%2e/b', '', 'a//b']) {
        await assert.rejects(
          store.put(bad, { bytes: Buffer.from('x') }),
          (err: { code?: string }) => err.code === 'INVALID_ARGUMENT',
          `key ${JSON.stringify(bad)} was accepted`,
        );
        await assert.rejects(store.get(bad), (err: { code?: string }) => err.code === 'INVALID_ARGUMENT');
      }
    });
  });
}
