import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, PutObjectCommand, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { purgeDeleted } from '../../src/registry/retention/purge-deleted.ts';
import {
  experimentArtifactLocation,
  isBlockedHost,
  storagePolicyFor,
  validateStorageLocation,
} from '../../src/server/artifacts/artifact-location.ts';
import { ArtifactRoot } from '../../src/tracking/artifacts/artifact-root.ts';
import { json, post, s3Admin, startTestServer, type TestServer, variants } from './server-harness.ts';

const PROXY = '/api/2.0/mlflow-artifacts/artifacts';

/** Raw path tails after `…/artifacts/` (sent byte for byte, never normalised by a client). */
const ATTACKS = [
  '../secret.txt',
  '..%2Fsecret.txt',
  '%2e%2e/secret.txt',
  '%2E%2E%2Fsecret.txt',
  '%252e%252e/secret.txt',
  '%252e%252e%252fsecret.txt',
  '..%252fsecret.txt',
  '1/../../secret.txt',
  '1/%2e%2e/%2e%2e/secret.txt',
  '/etc/passwd',
  '%2Fetc%2Fpasswd',
  '..%5Csecret.txt',
  '..%5c..%5csecret.txt',
  'a%00b',
  '..%00/secret.txt',
  '..;/secret.txt',
  'x;/../secret.txt',
  'x%23/../../secret.txt',
  'x%3F/../../secret.txt',
  './secret.txt',
  '.',
  '..',
  '....//secret.txt',
  'C:%5Cwindows%5Cwin.ini',
  '../artifacts-evil/x.txt',
  '%c0%ae%c0%ae/secret.txt',
];

/** One HTTP/1.1 request on a raw socket: the status code and body. */
function rawRequest(
  port: number,
  method: string,
  target: string,
  body = '',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => {
      data += d.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(
      `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

/** Every file under `dir` but the test's own database, with its content and modification time. */
async function snapshot(dir: string, skip: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await readdir(dir, { recursive: true })) {
    const path = join(dir, name);
    if (path === skip || path.startsWith(`${skip}/`) || name.startsWith('cairn.db')) continue;
    const st = await stat(path);
    out[relative(dir, path)] = st.isFile() ? `${st.mtimeMs}:${await readFile(path, 'utf8')}` : 'dir';
  }
  return out;
}

for (const variant of variants())
  describe(`artifact paths stay inside the artifact root (${variant.name})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let port = 0;
    let outside = '';
    let before_: Record<string, string> = {};
    const sentinels: Record<string, string> = {};

    before(async () => {
      server = await startTestServer(variant);
      await server.app.listen({ host: '127.0.0.1', port: 0 });
      port = (server.app.server.address() as { port: number }).port;
      if (server.artifactsDir) {
        outside = dirname(server.artifactsDir);
        await mkdir(join(outside, 'artifacts-evil'), { recursive: true });
        await mkdir(join(server.artifactsDir, '1'), { recursive: true });
        await writeFile(join(outside, 'secret.txt'), 'secret');
        await writeFile(join(outside, 'artifacts-evil', 'x.txt'), 'evil');
        before_ = await snapshot(outside, server.artifactsDir);
      } else if (server.s3) {
        const { bucket, prefix } = server.s3;
        for (const key of ['secret.txt', `${prefix}-evil/x.txt`, `${dirname(prefix)}/secret.txt`]) {
          sentinels[key] = `sentinel ${key}`;
          await s3Admin().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: sentinels[key] }));
        }
      }
    });
    after(async () => {
      await server?.close();
    });

    it('refuses every traversal attempt with 400 INVALID_PARAMETER_VALUE, for each method', async () => {
      const failures: string[] = [];
      for (const attack of ATTACKS)
        for (const [method, target] of [
          ['PUT', `${PROXY}/${attack}`],
          ['GET', `${PROXY}/${attack}`],
          ['DELETE', `${PROXY}/${attack}`],
          ['GET', `${PROXY}?path=${attack}`],
          ['GET', `/api/2.0/mlflow/artifacts/list?run_id=x&path=${attack}`],
        ] as const) {
          const res = await rawRequest(port, method, target, method === 'PUT' ? 'pwned' : '');
          let code: unknown;
          try {
            code = (JSON.parse(res.body) as { error_code?: unknown }).error_code;
          } catch {
            code = undefined;
          }
          if (res.status !== 400 || code !== 'INVALID_PARAMETER_VALUE')
            failures.push(`${method} ${target}: ${res.status} ${res.body.slice(0, 160)}`);
        }
      assert.deepEqual(failures, []);
    });

    it('never lets cairn server gc delete outside the root, or the root itself', async () => {
      const { tracking, metadata } = server.backends.deps;
      const kept = await rawRequest(port, 'PUT', `${PROXY}/1/keep/kept.txt`, 'kept');
      assert.equal(kept.status, 200, kept.body);
      // Locations a client could not give through the API, as a store written by other tools may hold.
      const locations = server.artifactsDir
        ? [
            `file://${outside}`,
            `file://${join(outside, 'artifacts-evil')}`,
            `file://${server.artifactsDir}/../artifacts-evil`,
            server.artifactsUri,
            'mlflow-artifacts:/../..',
          ]
        : [
            `s3://${server.s3?.bucket}/${server.s3?.prefix}-evil`,
            `s3://${server.s3?.bucket}/${dirname(server.s3?.prefix ?? '')}`,
            `s3://${server.s3?.bucket}`,
            server.artifactsUri,
            'mlflow-artifacts:/../..',
          ];
      for (const [i, location] of locations.entries()) {
        const id = await tracking.createExperiment(`gc-escape-${i}`, { artifact_location: location });
        await tracking.createRun({ experiment_id: id });
        await tracking.deleteExperiment(id);
      }
      await metadata.run(
        "UPDATE tracking_experiments SET last_update_time = 0 WHERE name LIKE 'gc-escape-%'",
      );
      const report = await purgeDeleted(
        {
          ...(server.backends.deps as Required<typeof server.backends.deps>),
          root: new ArtifactRoot(server.artifactsUri),
        },
        { olderThanMs: 0 },
      );
      const removed = report.experiments.flatMap((e) => e.artifacts);
      assert.ok(
        removed.every((a) => !a.in_store && a.files === 0),
        `nothing outside the root is counted: ${JSON.stringify(removed)}`,
      );
      assert.deepEqual(
        report.kept.map((k) => k.reason),
        [`its artifact location ${server.artifactsUri} is the whole artifact root`],
      );
      const back = await rawRequest(port, 'GET', `${PROXY}/1/keep/kept.txt`);
      assert.equal(back.body, 'kept', 'the root still holds its files');
    });

    it('leaves everything outside the root as it was', async () => {
      if (server.artifactsDir) {
        assert.deepEqual(
          await snapshot(outside, server.artifactsDir),
          before_,
          'nothing outside the root changed',
        );
        assert.equal(await readFile(join(outside, 'secret.txt'), 'utf8'), 'secret');
      } else if (server.s3) {
        const { bucket, prefix } = server.s3;
        const keys: string[] = [];
        for await (const page of paginateListObjectsV2({ client: s3Admin() }, { Bucket: bucket }))
          for (const o of page.Contents ?? []) keys.push(o.Key as string);
        const stray = keys.filter(
          (k) => !(k in sentinels) && !k.startsWith(`${prefix}/`) && !k.startsWith('srv-'),
        );
        assert.deepEqual(stray, [], 'every key the server wrote is under its prefix');
        for (const [key, body] of Object.entries(sentinels)) {
          const got = await s3Admin().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          assert.equal(await got.Body?.transformToString(), body, `${key} is untouched`);
        }
      }
    });

    it('still serves an ordinary upload, and odd but harmless names stay inside the root', async () => {
      for (const name of ['ok/file.txt', '%EF%BC%8E%EF%BC%8E/fullwidth.txt', '...txt']) {
        const put = await rawRequest(port, 'PUT', `${PROXY}/1/${name}`, 'fine');
        assert.equal(put.status, 200, `${name}: ${put.body}`);
      }
      if (server.artifactsDir) assert.deepEqual(await snapshot(outside, server.artifactsDir), before_);
    });
  });

describe('artifact locations clients may store', () => {
  const policy = storagePolicyFor('file:///srv/cairn/artifacts');
  const check = (uri: string) => () => validateStorageLocation(uri, 'artifact_location', policy);

  it('accepts object stores, remote hosts, the proxy and paths inside the root', () => {
    for (const uri of [
      's3://bucket/prefix',
      'gs://bucket/x',
      'https://storage.example.com/a/b',
      'mlflow-artifacts:/5/abc',
      'mlflow-artifacts://mlflow.example.com/5',
      'file:///srv/cairn/artifacts/7',
      '/srv/cairn/artifacts/7',
    ])
      assert.doesNotThrow(check(uri), uri);
  });

  it('refuses this machine, link-local and metadata hosts, however they are written', () => {
    for (const uri of [
      'http://127.0.0.1:5000/x',
      'http://localhost/x',
      'http://LOCALHOST./x',
      'http://app.localhost/x',
      'http://[::1]/x',
      'http://[::ffff:127.0.0.1]/x',
      'http://2130706433/x',
      'http://0x7f.1/x',
      'http://169.254.169.254/latest/meta-data/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://[fe80::1]/x',
      'http://0.0.0.0:8080/',
      'https://127.1/x',
      'mlflow-artifacts://localhost:5000/x',
      'hdfs://127.0.0.1:9000/x',
    ])
      assert.throws(check(uri), (e: Error & { code?: string }) => e.code === 'INVALID_ARGUMENT', uri);
    assert.equal(isBlockedHost('example.com'), false);
    assert.equal(isBlockedHost('10.0.0.5'), false, 'private networks are allowed (S3 servers live there)');
  });

  it('refuses local paths outside the root, traversal, fragments, params and relative paths', () => {
    for (const uri of [
      'file:///etc',
      'file:///srv/cairn/artifacts-evil/x',
      'file:///srv/cairn/artifacts/../../etc',
      '/srv/cairn/artifacts/../secret',
      '/etc/passwd',
      'relative/dir',
      's3://bucket/a/../b',
      'mlflow-artifacts:/../x',
      's3://bucket/x#frag',
      's3://bucket/x;param',
      's3://bucket/x\u0000y',
    ])
      assert.throws(check(uri), (e: Error & { code?: string }) => e.code === 'INVALID_ARGUMENT', uri);
    assert.throws(
      () => validateStorageLocation('file:///srv/x', 'f', storagePolicyFor('s3://b/p')),
      /not on a local disk/,
    );
  });

  it('resolves a relative experiment location against the root, and refuses one that leaves it', () => {
    const resolve = (location: string) => experimentArtifactLocation(location, 'artifact_location', policy);
    assert.equal(resolve('my_location'), 'mlflow-artifacts:/my_location');
    assert.equal(resolve('./team/churn/'), 'mlflow-artifacts:/team/churn');
    assert.equal(resolve('a/../b'), 'mlflow-artifacts:/b', 'a climb that stays inside is fine');
    assert.equal(resolve('s3://bucket/x'), 's3://bucket/x', 'a URI is kept as it is');
    for (const location of [
      '..',
      '../up',
      'a/../../up',
      '.',
      '7/x',
      'a\\b',
      'C:evil',
      'a%2e',
      'x\u0000y',
      '/etc',
    ])
      assert.throws(
        () => resolve(location),
        (e: Error & { code?: string }) =>
          e.code === 'INVALID_ARGUMENT' && e.message.includes('artifact_location'),
        location,
      );
  });

  it('maps only artifact URIs under the root to artifact paths, never with traversal', () => {
    const root = new ArtifactRoot('file:///srv/cairn/artifacts');
    assert.deepEqual(root.pathOf('mlflow-artifacts:/1/abc/artifacts'), ['1', 'abc', 'artifacts']);
    assert.deepEqual(root.pathOf('http://h:5000/api/2.0/mlflow-artifacts/artifacts/1/a'), ['1', 'a']);
    assert.deepEqual(root.pathOf('file:///srv/cairn/artifacts/0/r/artifacts'), ['0', 'r', 'artifacts']);
    assert.equal(root.pathOf('file:///srv/cairn/artifacts-evil/0'), undefined);
    assert.equal(root.pathOf('file:///etc/passwd'), undefined);
    assert.equal(root.pathOf('s3://bucket/x'), undefined);
    assert.equal(root.pathOf('file:///srv/cairn/artifacts/../../etc'), undefined);
    for (const uri of ['mlflow-artifacts:/1/../../x', 'mlflow-artifacts://h/1/%2e%2e/x'])
      assert.throws(
        () => root.pathOf(uri),
        (e: Error & { code?: string }) => e.code === 'INVALID_ARGUMENT',
        uri,
      );
    // A URL parser resolves the dots first; what is left is not under the proxy's route.
    assert.equal(root.pathOf('http://h/api/2.0/mlflow-artifacts/artifacts/%2e%2e/x'), undefined);
    const s3 = new ArtifactRoot('s3://bucket/srv');
    assert.deepEqual(s3.pathOf('s3://bucket/srv/1/r'), ['1', 'r']);
    assert.equal(s3.pathOf('s3://bucket/srv-evil/1'), undefined);
  });

  it('refuses a location the server would not serve at experiments/create', async () => {
    const server = await startTestServer(
      variants()[0] as typeof variants extends () => (infer V)[] ? V : never,
    );
    try {
      const res = await post(server.app, '/experiments/create', {
        name: 'x',
        artifact_location: 'http://[::1]:80/',
      });
      assert.equal(res.statusCode, 400);
      assert.equal(json(res).error_code, 'INVALID_PARAMETER_VALUE');
    } finally {
      await server.close();
    }
  });
});
