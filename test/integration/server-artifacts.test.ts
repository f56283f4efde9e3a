import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { get, json, post, startTestServer, type TestServer, variants } from './server-harness.ts';

const PROXY = '/api/2.0/mlflow-artifacts/artifacts';

for (const variant of variants())
  describe(`artifact proxy (${variant.name})`, { skip: variant.skip }, () => {
    let server: TestServer;
    let runRoot = '';
    let runId = '';
    before(async () => {
      server = await startTestServer(variant, { maxArtifactBytes: 1024 * 1024 });
      const exp = json(await post(server.app, '/experiments/create', { name: 'art' }))
        .experiment_id as string;
      const run = json(await post(server.app, '/runs/create', { experiment_id: exp })).run as {
        info: { run_id: string; artifact_uri: string };
      };
      runId = run.info.run_id;
      runRoot = run.info.artifact_uri.replace(/^mlflow-artifacts:\//, '');
    });
    after(async () => {
      await server?.close();
    });

    const put = (path: string, payload: string | Buffer | Readable, headers: Record<string, string> = {}) =>
      server.app.inject({
        method: 'PUT',
        url: `${PROXY}/${path}`,
        payload,
        headers: { 'content-type': 'application/octet-stream', ...headers },
      });

    it('uploads, downloads with MLflow headers, lists and deletes, whatever the content type', async () => {
      const model = randomBytes(200_000);
      assert.equal((await put(`${runRoot}/model/model.pkl`, model)).statusCode, 200);
      const meta = '{"flavors": {}}';
      const up = await put(`${runRoot}/model/MLmodel.json`, meta, { 'content-type': 'application/json' });
      assert.equal(up.statusCode, 200, 'a JSON upload is stored, not parsed');
      assert.deepEqual(json(up), {});
      await put(`${runRoot}/notes.txt`, 'hello');

      const down = await server.app.inject({ method: 'GET', url: `${PROXY}/${runRoot}/model/model.pkl` });
      assert.equal(down.statusCode, 200);
      assert.deepEqual(down.rawPayload, model);
      assert.equal(down.headers['content-type'], 'application/octet-stream');
      assert.equal(down.headers['content-disposition'], 'attachment; filename=model.pkl');
      assert.equal(down.headers['x-content-type-options'], 'nosniff');
      assert.equal(Number(down.headers['content-length']), model.length);
      const text = await server.app.inject({ method: 'GET', url: `${PROXY}/${runRoot}/notes.txt` });
      assert.equal(text.headers['content-type'], 'text/plain');
      assert.equal(text.body, 'hello');

      const list = json(await server.app.inject({ method: 'GET', url: PROXY, query: { path: runRoot } }));
      assert.deepEqual(list, {
        files: [
          { path: 'model', is_dir: true },
          { path: 'notes.txt', is_dir: false, file_size: 5 },
        ],
      });
      const inner = json(
        await server.app.inject({ method: 'GET', url: PROXY, query: { path: `${runRoot}/model` } }),
      );
      assert.deepEqual(inner, {
        files: [
          { path: 'MLmodel.json', is_dir: false, file_size: meta.length },
          { path: 'model.pkl', is_dir: false, file_size: model.length },
        ],
      });
      const ofFile = await server.app.inject({
        method: 'GET',
        url: PROXY,
        query: { path: `${runRoot}/notes.txt` },
      });
      assert.deepEqual(json(ofFile), {}, 'a file lists as empty, as in MLflow');

      const runList = json(await get(server.app, '/artifacts/list', { run_id: runId, path: 'model' }));
      assert.deepEqual(runList, {
        root_uri: `mlflow-artifacts:/${runRoot}`,
        files: [
          { path: 'model/MLmodel.json', is_dir: false, file_size: meta.length },
          { path: 'model/model.pkl', is_dir: false, file_size: model.length },
        ],
      });

      const del = await server.app.inject({ method: 'DELETE', url: `${PROXY}/${runRoot}/model` });
      assert.equal(del.statusCode, 200);
      const after = json(await server.app.inject({ method: 'GET', url: PROXY, query: { path: runRoot } }));
      assert.deepEqual(after, { files: [{ path: 'notes.txt', is_dir: false, file_size: 5 }] });
    });

    it('keeps names with spaces, Unicode and leading dots, and reads them back under the same names', async () => {
      const names = ['confusion matrix.png', 'résumé €.txt', '.hidden', 'a+b=c@d.bin', '-x-looks-escaped'];
      for (const name of names) {
        const res = await put(`${runRoot}/odd/${encodeURIComponent(name)}`, name);
        assert.equal(res.statusCode, 200, `${name}: ${res.body}`);
      }
      const list = json(
        await server.app.inject({ method: 'GET', url: PROXY, query: { path: `${runRoot}/odd` } }),
      );
      assert.deepEqual(
        (list.files as { path: string }[]).map((f) => f.path),
        [...names].sort(),
      );
      for (const name of names) {
        const res = await server.app.inject({
          method: 'GET',
          url: `${PROXY}/${runRoot}/odd/${encodeURIComponent(name)}`,
        });
        assert.equal(res.body, name);
      }
      const unicode = await server.app.inject({
        method: 'GET',
        url: `${PROXY}/${runRoot}/odd/${encodeURIComponent('résumé €.txt')}`,
      });
      assert.match(
        String(unicode.headers['content-disposition']),
        /filename\*=UTF-8''r%C3%A9sum%C3%A9%20%E2%82%AC\.txt/,
      );
    });

    it('answers 404 for a missing file and 400 for a directory', async () => {
      const missing = await server.app.inject({ method: 'GET', url: `${PROXY}/${runRoot}/nope.txt` });
      assert.equal(missing.statusCode, 404);
      assert.equal(json(missing).error_code, 'RESOURCE_DOES_NOT_EXIST');
      await put(`${runRoot}/dir/f.txt`, 'x');
      const dir = await server.app.inject({ method: 'GET', url: `${PROXY}/${runRoot}/dir` });
      assert.equal(dir.statusCode, 400);
      assert.match(json(dir).message as string, /refers to a directory/);
    });

    it('refuses an upload over --max-artifact-size with 413, by Content-Length or while streaming', async () => {
      const big = Buffer.alloc(1024 * 1024 + 1, 1);
      const declared = await put(`${runRoot}/big.bin`, big);
      assert.equal(declared.statusCode, 413);
      assert.equal(json(declared).error_code, 'RESOURCE_EXHAUSTED');
      const streamed = await put(
        `${runRoot}/big2.bin`,
        Readable.from([big.subarray(0, 600_000), big.subarray(600_000)]),
      );
      assert.equal(streamed.statusCode, 413, streamed.body);
      for (const name of ['big.bin', 'big2.bin']) {
        const res = await server.app.inject({ method: 'GET', url: `${PROXY}/${runRoot}/${name}` });
        assert.equal(res.statusCode, 404, `${name} was not stored`);
      }
      if (server.artifactsDir) {
        const leftovers = (await readdir(server.artifactsDir, { recursive: true, withFileTypes: true }))
          .filter((e) => e.isFile() && e.name.endsWith('.tmp'))
          .map((e) => e.name);
        assert.deepEqual(leftovers, [], 'no temp file is left behind');
      }
      const exact = await put(`${runRoot}/exact.bin`, Buffer.alloc(1024 * 1024, 2));
      assert.equal(exact.statusCode, 200, 'exactly the limit is fine');
    });

    it('stores nothing from an upload the client cuts off, and logs no server error', async () => {
      await server.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = server.app.server.address() as { port: number };
      const deps = server.backends.deps;
      const { log } = deps;
      const errors: unknown[] = [];
      deps.log = { ...log, error: (obj: unknown) => void errors.push(obj) };
      try {
        const socket = connect(port, '127.0.0.1');
        await new Promise((resolve) => socket.once('connect', resolve));
        socket.write(
          `PUT ${PROXY}/${runRoot}/cut.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n` +
            'Content-Type: application/octet-stream\r\n\r\n',
        );
        socket.write(Buffer.alloc(50_000));
        await sleep(100);
        socket.destroy();
        await sleep(300);
        const res = await server.app.inject({ method: 'GET', url: `${PROXY}/${runRoot}/cut.bin` });
        assert.equal(res.statusCode, 404);
        if (server.artifactsDir) {
          const leftovers = (await readdir(server.artifactsDir, { recursive: true, withFileTypes: true }))
            .filter((e) => e.isFile() && e.name.endsWith('.tmp'))
            .map((e) => e.name);
          assert.deepEqual(leftovers, []);
        }
        assert.deepEqual(errors, [], 'a client going away is not logged as a server error');
      } finally {
        deps.log = log;
      }
    });

    it('answers the multipart endpoints with the "not supported" MLflow clients fall back on', async () => {
      const res = await server.app.inject({
        method: 'POST',
        url: `/api/2.0/mlflow-artifacts/mpu/create/${runRoot}`,
        payload: { path: '/tmp/x', num_parts: 2 },
      });
      assert.equal(res.statusCode, 501);
      assert.match(json(res).message as string, /^Multipart upload is not supported/);
      const info = json(await server.app.inject({ method: 'GET', url: '/api/3.0/mlflow/server-info' }));
      assert.equal(info.multipart_uploads_enabled, false);
      assert.equal(info.multipart_downloads_enabled, false);
    });

    if (variant.artifacts === 'fs')
      it('lists the artifacts of a run recorded in a workspace (a file: URI under the root)', async () => {
        const dir = server.artifactsDir as string;
        const exp = json(
          await post(server.app, '/experiments/create', {
            name: 'local',
            artifact_location: pathToFileURL(join(dir, 'local-exp')).href,
          }),
        ).experiment_id as string;
        const run = json(await post(server.app, '/runs/create', { experiment_id: exp })).run as {
          info: { run_id: string; artifact_uri: string };
        };
        assert.ok(run.info.artifact_uri.startsWith('file://'));
        const local = join(dir, 'local-exp', run.info.run_id, 'artifacts', 'logs');
        await mkdir(local, { recursive: true });
        await writeFile(join(local, 'train.log'), 'epoch 1');
        const list = json(
          await get(server.app, '/artifacts/list', { run_id: run.info.run_id, path: 'logs' }),
        );
        assert.deepEqual(list.files, [{ path: 'logs/train.log', is_dir: false, file_size: 7 }]);
      });
  });
