import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { cairn, cairnJson, newWorkspace, writeFiles } from '../support/cli.ts';
import { s3Gate } from '../support/services.ts';

const gate = s3Gate();
const endpoint = gate.value ?? '';
const accessKey = process.env.CAIRN_TEST_S3_ACCESS_KEY ?? '';
const secretKey = process.env.CAIRN_TEST_S3_SECRET_KEY ?? '';
const bucket = `cairn-e2e-${randomBytes(5).toString('hex')}`;

describe('data versioning with an S3 remote (MinIO)', { skip: gate.skip }, () => {
  let client: S3Client;
  before(async () => {
    client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: accessKey, secretAccessKey: secretKey },
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(() => client?.destroy());

  it('pushes to and pulls from s3://bucket/prefix with credentials in config.local.yaml', async () => {
    const ws = await newWorkspace();
    const files: Record<string, string> = {};
    for (let i = 0; i < 120; i++) files[`shards/s${i}.jsonl`] = `{"i":${i}}\n`.repeat(50);
    await writeFiles(ws, { ...files, 'big.bin': randomBytes(9 * 1024 * 1024).toString('base64') });
    assert.equal((await cairn(['add', 'shards', 'big.bin'], { cwd: ws })).code, 0);
    const url = `s3://${bucket}/projects/demo`;
    assert.equal(
      (
        await cairn(['remote', 'add', 'store', url, '--endpoint', endpoint, '--path-style', '--default'], {
          cwd: ws,
        })
      ).code,
      0,
    );
    assert.equal(
      (await cairn(['remote', 'modify', 'store', 'access_key_id', accessKey, '--local'], { cwd: ws })).code,
      0,
    );
    const secret = await cairn(['remote', 'modify', 'store', 'secret_access_key', secretKey, '--local'], {
      cwd: ws,
    });
    assert.doesNotMatch(secret.stdout, new RegExp(secretKey));
    assert.doesNotMatch(readFileSync(join(ws, '.cairn/config.yaml'), 'utf8'), /secret/);

    const pushed = await cairnJson<{ transferred: number; failures: unknown[] }>(['push'], { cwd: ws });
    assert.equal(pushed.transferred, 122);
    const listed = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'projects/demo/sha256/' }),
    );
    assert.equal(listed.KeyCount, 122);
    const st = await cairnJson<{ paths: { remote: string }[] }>(['status'], { cwd: ws });
    assert.deepEqual(
      st.paths.map((p) => p.remote),
      ['pushed', 'pushed'],
    );

    await rm(join(ws, '.cairn/cache'), { recursive: true });
    await rm(join(ws, 'shards'), { recursive: true });
    await rm(join(ws, 'big.bin'));
    const pulled = await cairn(['pull'], { cwd: ws });
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(readFileSync(join(ws, 'shards/s77.jsonl'), 'utf8'), files['shards/s77.jsonl']);
    const again = await cairnJson<{ paths: { states: string[] }[] }>(['status'], { cwd: ws });
    assert.ok(again.paths.every((p) => p.states.join() === 'unchanged'));
  });

  it('says which credentials are wrong, and where to set them', async () => {
    const ws = await newWorkspace();
    await writeFiles(ws, { 'a.txt': 'a' });
    await cairn(['add', 'a.txt'], { cwd: ws });
    await cairn(
      ['remote', 'add', 'store', `s3://${bucket}/x`, '--endpoint', endpoint, '--path-style', '--default'],
      { cwd: ws },
    );
    const r = await cairn(['push'], {
      cwd: ws,
      env: { CAIRN_S3_ACCESS_KEY_ID: accessKey, CAIRN_S3_SECRET_ACCESS_KEY: 'wrong-secret' },
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: .*(credentials|signature|denied|access key)/i);
    assert.doesNotMatch(r.stderr, /wrong-secret/);
    const missing = await cairn(['push', '-r', 'store'], {
      cwd: ws,
      env: { CAIRN_S3_ACCESS_KEY_ID: accessKey, CAIRN_S3_SECRET_ACCESS_KEY: secretKey },
    });
    assert.equal(missing.code, 0, missing.stderr);
    await cairn(['remote', 'modify', 'store', 'url', 's3://no-such-bucket-cairn/x'], { cwd: ws });
    const noBucket = await cairn(['push'], {
      cwd: ws,
      env: { CAIRN_S3_ACCESS_KEY_ID: accessKey, CAIRN_S3_SECRET_ACCESS_KEY: secretKey },
    });
    assert.equal(noBucket.code, 1);
    assert.match(noBucket.stderr, /no-such-bucket-cairn/);
  });
});
