import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import type { BlobStore } from '../../src/blobs/blob-store.ts';
import { S3BlobStore, type S3BlobStoreConfig } from '../../src/blobs/s3/s3-blob-store.ts';
import { UploadBudget } from '../../src/blobs/s3/upload-budget.ts';
import { describeBlobStore } from '../contracts/blob-store.contract.ts';
import { s3Gate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';

const MiB = 1024 * 1024;
const gate = s3Gate();
const endpoint = gate.value ?? '';
const credentials = {
  accessKeyId: process.env.CAIRN_TEST_S3_ACCESS_KEY ?? '',
  secretAccessKey: process.env.CAIRN_TEST_S3_SECRET_KEY ?? '',
};
const bucket = `cairn-test-${randomBytes(6).toString('hex')}`;

let admin: S3Client | undefined;
let bucketReady: Promise<void> | undefined;

/** Creates this run's bucket once, whichever suite needs it first. */
function ensureBucket(): Promise<void> {
  admin ??= new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
  const client = admin;
  bucketReady ??= client.send(new CreateBucketCommand({ Bucket: bucket })).then(() => undefined);
  return bucketReady;
}

/** Multipart from 5 MiB (S3's smallest part) so that a 12 MiB object goes up in three parts. */
function storeConfig(overrides: Partial<S3BlobStoreConfig> = {}): S3BlobStoreConfig {
  return {
    bucket,
    prefix: '',
    endpoint,
    credentials,
    multipartThreshold: 5 * MiB,
    partSize: 5 * MiB,
    ...overrides,
  };
}

async function openStore(overrides: Partial<S3BlobStoreConfig> = {}): Promise<S3BlobStore> {
  await ensureBucket();
  return new S3BlobStore(storeConfig(overrides));
}

async function keysOf(store: BlobStore, prefix?: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of store.list(prefix)) keys.push(info.key);
  return keys.sort();
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A stream of unknown length that sends `bytes` and then fails like a dropped connection. */
function failingStream(bytes: number): Readable {
  return Readable.from(
    (async function* () {
      for (let sent = 0; sent < bytes; sent += MiB) yield randomBytes(MiB);
      throw new Error('connection reset by source');
    })(),
  );
}

after(async () => {
  if (admin === undefined || bucketReady === undefined) return;
  await bucketReady.catch(() => undefined);
  for await (const page of paginateListObjectsV2({ client: admin }, { Bucket: bucket })) {
    const objects = (page.Contents ?? []).map((o) => ({ Key: o.Key }));
    if (objects.length > 0)
      await admin.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
  }
  await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
  admin.destroy();
});

describeBlobStore('s3 (MinIO)', () => openStore(), { skip: gate.skip, largeSize: 12 * MiB });
describeBlobStore('s3 (MinIO) under the prefix team/a', () => openStore({ prefix: 'team/a' }), {
  skip: gate.skip,
  largeSize: 12 * MiB,
});

describe('S3BlobStore without a server', () => {
  const unreachable = {
    bucket: 'cairn',
    prefix: 'p',
    endpoint: 'http://127.0.0.1:1',
    credentials: { accessKeyId: 'k', secretAccessKey: 'not-shown' },
  };

  it('names the bucket and prefix in its location, never the credentials', () => {
    assert.equal(new S3BlobStore(unreachable).location, 's3://cairn/p');
    assert.equal(new S3BlobStore({ ...unreachable, prefix: '' }).location, 's3://cairn');
  });

  it('refuses bad keys before sending any request', async () => {
    // An endpoint that counts the connections made to it.
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const store = new S3BlobStore({ ...unreachable, endpoint: `http://127.0.0.1:${port}` });
    await assert.rejects(store.put('../x', { bytes: Buffer.from('x') }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(store.has('a//b'), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(store.hasMany(['ok', '/abs']), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(keysOf(store, '../'), { code: 'INVALID_ARGUMENT' });
    await store.close();
    await new Promise((resolve) => server.close(resolve));
    assert.equal(connections, 0, 'no request was attempted');
  });

  // Without a connect timeout the SDK would wait far longer than the test's limit.
  it('answers UNAVAILABLE when the endpoint cannot be reached', { timeout: 60_000 }, async () => {
    const store = new S3BlobStore(unreachable);
    await assert.rejects(store.has('k'), (err: Error & { code?: string; hint?: string }) => {
      assert.equal(err.code, 'UNAVAILABLE');
      assert.match(err.message, /cannot reach S3 endpoint http:\/\/127\.0\.0\.1:1: ECONNREFUSED/);
      assert.match(err.hint ?? '', /endpoint/);
      assert.doesNotMatch(`${err.message} ${err.hint}`, /not-shown/);
      return true;
    });
    await assert.rejects(store.put('k', { bytes: Buffer.from('x') }), { code: 'UNAVAILABLE' });
    await store.close();
  });
});

describe('S3BlobStore against MinIO', { skip: gate.skip }, () => {
  let store: S3BlobStore;
  before(async () => {
    store = await openStore({ prefix: 'specifics' });
  });
  after(async () => {
    await store?.close();
  });

  it('keeps stores with different prefixes apart', async () => {
    const a = await openStore({ prefix: 'iso/a' });
    const b = await openStore({ prefix: 'iso/b' });
    const root = await openStore({ prefix: '' });
    await a.put('k/one', { bytes: Buffer.from('from a') });
    assert.equal(await a.has('k/one'), true);
    assert.equal(await b.has('k/one'), false);
    assert.deepEqual(await keysOf(b), []);
    assert.deepEqual(await keysOf(a), ['k/one']);
    assert.deepEqual([...(await b.hasMany(['k/one']))], []);
    await assert.rejects(b.get('k/one'), { code: 'NOT_FOUND' });
    // The bucket's root sees the object under the prefix; b's delete leaves a's object alone.
    assert.equal((await readAll(await root.get('iso/a/k/one'))).toString(), 'from a');
    await b.delete('k/one');
    assert.equal(await a.has('k/one'), true);
    await Promise.all([a.close(), b.close(), root.close()]);
  });

  it('uploads large files and streams in parts', async () => {
    const data = randomBytes(11 * MiB + 7);
    const file = join(await tempDir('cairn-s3-'), 'big.bin');
    await writeFile(file, data);
    await store.put('parts/file', { file });
    await store.put('parts/stream', { stream: Readable.from([data]) });
    for (const key of ['parts/file', 'parts/stream']) {
      assert.ok((await readAll(await store.get(key))).equals(data), key);
      // A multipart object's ETag ends in -<number of parts>.
      const head = await admin?.send(new HeadObjectCommand({ Bucket: bucket, Key: `specifics/${key}` }));
      assert.match(head?.ETag ?? '', /-3"?$/, key);
    }
  });

  it('checks more than a thousand keys at once by listing', async () => {
    const present = Array.from({ length: 20 }, (_, i) => `wide/${String(i * 50).padStart(4, '0')}`);
    await Promise.all(present.map((key) => store.put(key, { bytes: Buffer.from(key) })));
    await store.put('wide-other/0000', { bytes: Buffer.from('x') });
    const asked = Array.from({ length: 1100 }, (_, i) => `wide/${String(i).padStart(4, '0')}`);
    const found = await store.hasMany([...asked, 'wide-other/0000', 'zzz/absent']);
    assert.deepEqual([...found].sort(), [...present, 'wide-other/0000'].sort());
  });

  it('leaves no object and no pending upload when a multipart upload fails', async () => {
    for (const [key, size] of [
      ['broken/unknown-size', undefined],
      ['broken/known-size', 20 * MiB],
    ] as const) {
      const stream = failingStream(12 * MiB);
      await assert.rejects(
        store.put(key, size === undefined ? { stream } : { stream, size }),
        /connection reset by source/,
      );
      assert.equal(await store.has(key), false);
      const uploads = await admin?.send(
        new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `specifics/${key}` }),
      );
      assert.deepEqual(uploads?.Uploads ?? [], [], `pending uploads for ${key}`);
    }
    assert.deepEqual(await keysOf(store, 'broken/'), []);
  });

  // Not cancelled, the request would wait for the missing bytes until the socket's idle timeout
  // (300 s), far past the test's limit.
  it('cancels a single PUT whose stream of known size fails', { timeout: 60_000 }, async () => {
    await assert.rejects(
      store.put('broken/single', { stream: failingStream(2 * MiB), size: 4 * MiB }),
      /connection reset by source/,
    );
    assert.equal(await store.has('broken/single'), false);
  });

  it('holds upload buffers within a cap shared by concurrent uploads', async () => {
    // A multipart upload here may buffer 5 parts of 5 MiB: 25 MiB, so a 30 MiB cap admits one at a time.
    const budget = new UploadBudget(30 * MiB);
    const capped = await openStore({ prefix: 'capped', multipartThreshold: 8 * MiB, uploadBudget: budget });
    const bodies = Array.from({ length: 4 }, () => randomBytes(12 * MiB));
    const small = randomBytes(300 * 1024);
    await Promise.all([
      ...bodies.map((body, i) => capped.put(`big/${i}`, { stream: Readable.from([body]) })),
      capped.put('small', { stream: Readable.from([small]) }),
    ]);
    assert.equal(budget.peak, 25 * MiB, 'one upload held its buffers at a time');
    assert.equal(budget.used, 0, 'every reservation was given back');
    for (const [i, body] of bodies.entries())
      assert.ok((await readAll(await capped.get(`big/${i}`))).equals(body), `big/${i}`);
    assert.ok((await readAll(await capped.get('small'))).equals(small));
    await capped.close();
  });

  it('refuses a stream that is shorter than its stated size', async () => {
    await assert.rejects(store.put('short/k', { stream: Readable.from([Buffer.alloc(100)]), size: 1000 }), {
      code: 'INVALID_ARGUMENT',
    });
    assert.equal(await store.has('short/k'), false);
  });

  it('reports wrong credentials without showing the secret', async () => {
    const wrong = await openStore({ credentials: { ...credentials, secretAccessKey: 'wrong-secret-42' } });
    for (const attempt of [() => wrong.get('any/key'), () => wrong.has('any/key')]) {
      await assert.rejects(attempt(), (err: Error & { code?: string; hint?: string }) => {
        assert.ok(['PERMISSION_DENIED', 'UNAUTHENTICATED'].includes(err.code ?? ''), String(err.code));
        assert.match(err.hint ?? '', /secret_access_key/);
        assert.doesNotMatch(`${err.message} ${err.hint}`, /wrong-secret-42/);
        return true;
      });
    }
    await wrong.close();
  });

  it('reports a missing bucket as NOT_FOUND with a hint to create it', async () => {
    const missing = new S3BlobStore(storeConfig({ bucket: `${bucket}-missing` }));
    const isMissingBucket = (err: Error & { code?: string; hint?: string }) => {
      assert.equal(err.code, 'NOT_FOUND');
      assert.match(err.message, new RegExp(`bucket ${bucket}-missing`));
      assert.match(err.hint ?? '', /create/);
      return true;
    };
    await assert.rejects(missing.put('k', { bytes: Buffer.from('x') }), isMissingBucket);
    await assert.rejects(missing.get('k'), isMissingBucket);
    await assert.rejects(missing.has('k'), isMissingBucket);
    await assert.rejects(keysOf(missing), isMissingBucket);
    await missing.close();
  });
});
