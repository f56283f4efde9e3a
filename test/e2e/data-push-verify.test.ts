/**
 * A corrupt object on a remote can be repaired (`cairn push --verify` reads back what the remote
 * has and replaces what does not match its hash), and push never uploads a cache object that does
 * not match its own hash. On a directory remote and on MinIO.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { cairn, cairnJson, git, newWorkspace, writeFiles } from '../support/cli.ts';
import { s3Gate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';

interface Report {
  transferred: number;
  verified?: number;
  corrupt?: number;
  repaired?: number;
  failures: { path: string; code: string; message: string }[];
}

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const keyOf = (hash: string) => {
  const hex = hash.replace('sha256:', '');
  return `sha256/${hex.slice(0, 2)}/${hex.slice(2)}`;
};
const hashIn = (pointerText: string) => /hash: (sha256:[0-9a-f]{64})/.exec(pointerText)?.[1] as string;

function flipByte(path: string): void {
  chmodSync(path, 0o644);
  const bytes = readFileSync(path);
  bytes[0] = (bytes[0] as number) ^ 0x55;
  writeFileSync(path, bytes);
}

/** A workspace with a file and a directory of five files, tracked and committed. */
async function workspace(): Promise<{ ws: string; model: string }> {
  const ws = await newWorkspace();
  const files: Record<string, string> = { 'model.bin': 'weights '.repeat(800) };
  for (let i = 0; i < 5; i++) files[`data/part-${i}.csv`] = `id,v\n${i},${i * 3}\n`;
  await writeFiles(ws, files);
  assert.equal((await cairn(['add', 'model.bin', 'data'], { cwd: ws })).code, 0);
  git(ws, ['add', '-A']);
  git(ws, ['commit', '-qm', 'data']);
  return { ws, model: hashIn(readFileSync(join(ws, 'model.bin.cairn'), 'utf8')) };
}

describe('push --verify on a directory remote', () => {
  it('finds a corrupt remote object, replaces it from the cache, and a clone can pull again', async () => {
    const { ws, model } = await workspace();
    const remote = join(await tempDir('cairn-remote-'), 'store');
    assert.equal((await cairn(['remote', 'add', 'origin', remote, '--default'], { cwd: ws })).code, 0);
    git(ws, ['commit', '-qam', 'remote']);
    assert.equal((await cairnJson<Report>(['push'], { cwd: ws })).transferred, 7);
    const onRemote = join(remote, keyOf(model));
    flipByte(onRemote);

    const clone = join(await tempDir('cairn-clone-'), 'c');
    git(ws, ['clone', '-q', ws, clone]);
    const broken = await cairn(['pull'], { cwd: clone });
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /is corrupt: its content hashes to .*cairn push --verify/);

    const plain = await cairnJson<Report>(['push'], { cwd: ws });
    assert.equal(plain.transferred, 0, 'a plain push trusts what the remote has');
    const verified = await cairn(['push', '--verify'], { cwd: ws });
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /verified 7 objects on "origin": 1 corrupt, 1 replaced from the cache/);
    assert.equal(`sha256:${sha(readFileSync(onRemote))}`, model);
    const again = await cairnJson<Report>(['push', '--verify'], { cwd: ws });
    assert.deepEqual([again.verified, again.corrupt, again.repaired], [7, 0, 0]);

    const pulled = await cairn(['pull'], { cwd: clone });
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(readFileSync(join(clone, 'model.bin'), 'utf8'), 'weights '.repeat(800));

    // With no good copy in the cache either, it says so and fails.
    flipByte(onRemote);
    rmSync(join(ws, '.cairn/cache', keyOf(model)), { force: true });
    const lost = await cairn(['push', '--verify'], { cwd: ws });
    assert.equal(lost.code, 1);
    assert.match(
      lost.stderr,
      /model\.bin: object sha256:\w+ on remote "origin" is corrupt, and this cache has no good copy/,
    );
  });

  it('never uploads a cache object that does not match its hash', async () => {
    const { ws } = await workspace();
    const part = `sha256:${sha(readFileSync(join(ws, 'data/part-3.csv')))}`;
    flipByte(join(ws, '.cairn/cache', keyOf(part)));
    const remote = join(await tempDir('cairn-remote-'), 'store');
    assert.equal((await cairn(['remote', 'add', 'origin', remote, '--default'], { cwd: ws })).code, 0);

    const r = await cairn(['push', '--json'], { cwd: ws });
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.transferred, 5, 'model.bin and the four intact parts; not the manifest');
    assert.ok(!existsSync(join(remote, keyOf(part))), 'the corrupt object was not uploaded');
    const manifest = hashIn(readFileSync(join(ws, 'data.cairn'), 'utf8'));
    assert.ok(!existsSync(join(remote, keyOf(manifest))), 'nor the manifest that would vouch for it');
    assert.match(
      report.failures.map((f) => f.message).join('\n'),
      /data: cache object sha256:\w+ is corrupt: its content hashes to sha256:\w+; it was moved to .*quarantine.*; it was not uploaded/,
    );

    // The workspace still has the good file: add stores it again, and push completes.
    assert.equal((await cairn(['add', 'data'], { cwd: ws })).code, 0);
    const fixed = await cairnJson<Report>(['push'], { cwd: ws });
    assert.equal(fixed.transferred, 2, 'the part and the manifest');
    assert.equal(`sha256:${sha(readFileSync(join(remote, keyOf(part))))}`, part);
    assert.deepEqual(readdirSync(join(ws, '.cairn/cache/quarantine')), [part.slice('sha256:'.length)]);
  });
});

const gate = s3Gate();

describe('push --verify on MinIO', { skip: gate.skip }, () => {
  const endpoint = gate.value ?? '';
  const accessKey = process.env.CAIRN_TEST_S3_ACCESS_KEY ?? '';
  const secretKey = process.env.CAIRN_TEST_S3_SECRET_KEY ?? '';
  const bucket = `cairn-verify-${randomBytes(5).toString('hex')}`;
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

  it('replaces an object whose bytes on S3 do not match its hash', async () => {
    const { ws, model } = await workspace();
    const url = `s3://${bucket}/p`;
    const added = await cairn(['remote', 'add', 's3', url, '--endpoint', endpoint, '--default'], { cwd: ws });
    assert.equal(added.code, 0, added.stderr);
    await writeFiles(ws, {
      '.cairn/config.local.yaml': `remotes:\n  s3:\n    access_key_id: ${accessKey}\n    secret_access_key: ${secretKey}\n`,
    });
    assert.equal((await cairnJson<Report>(['push'], { cwd: ws })).transferred, 7);
    const key = `p/${keyOf(model)}`;
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from('not the weights at all') }),
    );

    const report = await cairnJson<Report>(['push', '--verify'], { cwd: ws });
    assert.deepEqual([report.verified, report.corrupt, report.repaired], [7, 1, 1]);
    const body = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    assert.equal(
      `sha256:${sha(Buffer.from(await (body.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()))}`,
      model,
    );
  });
});
