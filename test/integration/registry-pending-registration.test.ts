import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { encodeManifest } from '../../src/data/manifest.ts';
import { silentLogger } from '../../src/kernel/logging.ts';
import { openServerBackends } from '../../src/server/server-wiring.ts';
import { ArtifactFiles } from '../../src/tracking/artifacts/artifact-files.ts';
import { startServerProcess } from '../compat/server-process.ts';
import { tempDir } from '../support/tmp-dir.ts';
import {
  get,
  json,
  post,
  startTestServer,
  type TestServer,
  type Variant,
  variants,
} from './server-harness.ts';

type Json = Record<string, unknown>;
type Version = { status: string; status_message?: string; tags?: { key: string; value: string }[] };

const FILES: Record<string, string> = { MLmodel: 'flavors:\n  onnx: {}\n', 'model.onnx': 'onnx-bytes' };

/** The package hash from the file contents (src/data/manifest.ts's encoding), independently of the server. */
function expectedHash(files: Record<string, string>): string {
  const entries = Object.entries(files).map(([path, content]) => ({
    path,
    hash: `sha256:${createHash('sha256').update(content).digest('hex')}` as const,
    size: Buffer.byteLength(content),
    mode: 0o644,
  }));
  return encodeManifest({ entries }).digest;
}

/** Fails when `promise` has not settled after 10 s, instead of waiting for ever. */
async function answered<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer in 10 s`)), 10_000);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

const hashTag = (v: Version) => v.tags?.find((t) => t.key === 'cairn.package_hash')?.value;

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    assert.ok(Date.now() < deadline, `${what}: still ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('model-versions/create answers before the package is hashed', () => {
  let server: TestServer;
  let runId = '';
  let base = '';
  /** While set, reading a package file waits for it: a package that takes long to read. */
  let gate: Promise<void> | undefined;

  before(async () => {
    server = await startTestServer(variants()[0] as Variant, { registrationWaitMs: 500 });
    const blobs = server.backends.deps.artifacts;
    const read = blobs.get.bind(blobs);
    blobs.get = async (key) => {
      if (gate && key.includes('/model')) await gate;
      return read(key);
    };
    const experimentId = json(
      await post(server.app, '/experiments/create', { name: 'pending' }),
    ).experiment_id;
    const run = (json(await post(server.app, '/runs/create', { experiment_id: experimentId })).run as Json)
      .info as Json;
    runId = run.run_id as string;
    base = (run.artifact_uri as string).replace('mlflow-artifacts:/', '/api/2.0/mlflow-artifacts/artifacts/');
    for (const dir of ['model', 'model-b'])
      for (const [path, content] of Object.entries(FILES)) {
        const res = await server.app.inject({
          method: 'PUT',
          url: `${base}/${dir}/${path}`,
          payload: content,
        });
        assert.equal(res.statusCode, 200, res.body);
      }
    assert.equal((await post(server.app, '/registered-models/create', { name: 'big' })).statusCode, 200);
  });
  after(async () => {
    await server?.close();
  });

  const version = async (v: string) =>
    json(await get(server.app, '/model-versions/get', { name: 'big', version: v })).model_version as Version;
  const create = async (source: string) =>
    json(await post(server.app, '/model-versions/create', { name: 'big', source, run_id: runId }))
      .model_version as Version & { version: string };

  it('answers PENDING_REGISTRATION, then becomes READY with the package hash', async () => {
    let open: () => void = () => undefined;
    gate = new Promise((resolve) => {
      open = resolve;
    });
    const created = await answered(create(`runs:/${runId}/model`), 'model-versions/create').finally(() => {
      if (gate) setTimeout(open, 10_000).unref();
    });
    assert.equal(created.status, 'PENDING_REGISTRATION');
    assert.equal(hashTag(created), undefined);
    assert.equal((await version(created.version)).status, 'PENDING_REGISTRATION', 'still hashing');
    gate = undefined;
    open();
    const ready = await until(
      'the version',
      () => version(created.version),
      (v) => v.status !== 'PENDING_REGISTRATION',
    );
    assert.equal(ready.status, 'READY');
    assert.equal(hashTag(ready), expectedHash(FILES));
  });

  it('is READY in the answer when the hash takes less than the wait', async () => {
    const created = await create(`runs:/${runId}/model`);
    assert.equal(created.status, 'READY');
    assert.equal(hashTag(created), expectedHash(FILES));
  });

  it('fails the registration, with the reason, when a file cannot be read', async () => {
    let open: () => void = () => undefined;
    gate = new Promise((resolve) => {
      open = resolve;
    });
    const created = await create(`runs:/${runId}/model-b`);
    assert.equal(created.status, 'PENDING_REGISTRATION');
    const removed = await server.app.inject({ method: 'DELETE', url: `${base}/model-b/model.onnx` });
    assert.equal(removed.statusCode, 200, removed.body);
    gate = undefined;
    open();
    const failed = await until(
      'the version',
      () => version(created.version),
      (v) => v.status !== 'PENDING_REGISTRATION',
    );
    assert.equal(failed.status, 'FAILED_REGISTRATION');
    assert.match(
      failed.status_message ?? '',
      /could not read the package at runs:\/.*\/model-b to hash it: .*model\.onnx/,
    );
    assert.equal(hashTag(failed), undefined);
  });
});

describe('a server that starts finishes the registrations a stopped one left pending', () => {
  it('hashes what it can read and fails what it cannot', async () => {
    const dir = await tempDir('cairn-pending-');
    const storeUri = `sqlite://${join(dir, 'cairn.db')}`;
    const artifactsUri = `file://${join(dir, 'artifacts')}`;
    // What a server killed while hashing leaves: versions PENDING_REGISTRATION in the store.
    const backends = await openServerBackends({ storeUri, artifactsUri, log: silentLogger });
    let runId: string;
    try {
      const { tracking, registry, artifacts } = backends.deps;
      const experimentId = await tracking.createExperiment('left-pending');
      const run = await tracking.createRun({ experiment_id: experimentId });
      runId = run.info.run_id;
      const files = new ArtifactFiles(artifacts);
      const runPath = run.info.artifact_uri.replace('mlflow-artifacts:/', '').split('/');
      for (const [path, content] of Object.entries(FILES))
        await files.write([...runPath, 'model', path], Readable.from([content]), 1e6);
      await registry.createRegisteredModel('churn');
      await registry.createModelVersion({
        name: 'churn',
        source: `runs:/${runId}/model`,
        run_id: runId,
        status: 'PENDING_REGISTRATION',
      });
      // Registered when the server's artifact root was elsewhere: no longer readable here.
      await registry.createModelVersion({
        name: 'churn',
        source: 's3://another-bucket/models/churn',
        status: 'PENDING_REGISTRATION',
      });
    } finally {
      await backends.close();
    }

    const server = await startServerProcess(['--store', storeUri, '--artifacts', artifactsUri], { cwd: dir });
    try {
      const read = async (v: string) =>
        (
          (await (
            await fetch(`${server.url}/api/2.0/mlflow/model-versions/get?name=churn&version=${v}`)
          ).json()) as {
            model_version: Version;
          }
        ).model_version;
      const one = await until(
        'version 1',
        () => read('1'),
        (v) => v.status !== 'PENDING_REGISTRATION',
      );
      assert.equal(one.status, 'READY');
      assert.equal(hashTag(one), expectedHash(FILES));
      const two = await until(
        'version 2',
        () => read('2'),
        (v) => v.status !== 'PENDING_REGISTRATION',
      );
      assert.equal(two.status, 'FAILED_REGISTRATION');
      assert.match(
        two.status_message ?? '',
        /s3:\/\/another-bucket\/models\/churn is not in this server's artifact store/,
      );
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
});
