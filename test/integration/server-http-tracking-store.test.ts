import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HttpTrackingStore } from '../../src/tracking/http/http-tracking-store.ts';
import { MlflowHttpClient } from '../../src/tracking/http/mlflow-http-client.ts';
import { openTrackingStore } from '../../src/tracking/open-tracking-store.ts';
import { describeTrackingStore } from '../contracts/tracking-store.contract.ts';
import { tempDir } from '../support/tmp-dir.ts';
import { startTestServer, type TestServer, type Variant, variants } from './server-harness.ts';

/** A listening in-process `cairn server` on a variant, and an HttpTrackingStore talking to it. */
function overHttp(variant: Variant) {
  let server: TestServer | undefined;
  return {
    async open() {
      server = await startTestServer(variant);
      await server.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = server.app.server.address() as { port: number };
      return new HttpTrackingStore({ uri: `http://127.0.0.1:${port}` });
    },
    async close() {
      await server?.close();
    },
  };
}

const [sqliteFs, , , postgresS3] = variants() as [Variant, Variant, Variant, Variant];
describeTrackingStore('HTTP → cairn server (sqlite + fs)', overHttp(sqliteFs));
describeTrackingStore('HTTP → cairn server (postgres + s3)', overHttp(postgresS3), { skip: postgresS3.skip });

/** A stub HTTP server that answers each request with the next of `answers`. */
async function stub(answers: { status: number; body?: string; headers?: Record<string, string> }[]) {
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const server: Server = createHttpServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const answer = answers[Math.min(seen.length - 1, answers.length - 1)] ?? { status: 500 };
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${port}`, seen };
}

describe('MlflowHttpClient', () => {
  it('retries 503 and 429 with backoff, honouring Retry-After, then succeeds', async () => {
    const { url, seen } = await stub([
      { status: 503, body: '{"error_code":"TEMPORARILY_UNAVAILABLE","message":"busy"}' },
      { status: 429, body: '{}', headers: { 'retry-after': '0' } },
      { status: 200, body: '{"experiment_id":"7"}' },
    ]);
    const store = new HttpTrackingStore({ uri: url, backoffMs: 1 });
    assert.equal(await store.createExperiment('x'), '7');
    assert.equal(seen.length, 3);
    assert.deepEqual(JSON.parse(seen[2]?.body ?? ''), { name: 'x' });
  });

  it('gives up after maxAttempts and rebuilds the MLflow error as a CairnError', async () => {
    const { url, seen } = await stub([
      { status: 503, body: '{"error_code":"TEMPORARILY_UNAVAILABLE","message":"busy"}' },
    ]);
    const client = new MlflowHttpClient({ uri: url, maxAttempts: 2, backoffMs: 1 });
    await assert.rejects(client.get('/x'), { code: 'UNAVAILABLE', message: 'busy' });
    assert.equal(seen.length, 2);
    const codes = await stub([
      { status: 400, body: '{"error_code":"RESOURCE_ALREADY_EXISTS","message":"dup"}' },
      { status: 400, body: '{"error_code":"INVALID_STATE","message":"deleted"}' },
      { status: 404, body: 'not json' },
      { status: 500, body: '{"error_code":"SOMETHING_NEW","message":"odd"}' },
    ]);
    const c = new MlflowHttpClient({ uri: codes.url, maxAttempts: 1 });
    await assert.rejects(c.post('/a', {}), { code: 'ALREADY_EXISTS', message: 'dup' });
    await assert.rejects(c.post('/a', {}), { code: 'FAILED_PRECONDITION' });
    await assert.rejects(
      c.get('/a'),
      (e: Error & { code?: string }) => e.code === 'NOT_FOUND' && /HTTP 404/.test(e.message),
    );
    await assert.rejects(c.get('/a'), { code: 'INTERNAL', message: 'odd' });
  });

  it('sends a bearer token, or Basic from options or the URL, and keeps a path prefix', async () => {
    const { url, seen } = await stub([{ status: 200, body: '{}' }]);
    await new MlflowHttpClient({ uri: `${url}/mlflow/`, token: 'cairn_abc' }).get('/api/2.0/mlflow/x', {
      ids: ['1', '2'],
      skip: undefined,
    });
    await new MlflowHttpClient({ uri: url, username: 'ada', password: 'pw' }).get('/y');
    const withUser = new MlflowHttpClient({ uri: url.replace('http://', 'http://bob:s%40cret@') });
    await withUser.get('/z');
    assert.equal(withUser.baseUrl, url, 'no credentials in the base URL');
    assert.equal(seen[0]?.url, '/mlflow/api/2.0/mlflow/x?ids=1&ids=2');
    assert.equal(seen[0]?.headers.authorization, 'Bearer cairn_abc');
    assert.equal(seen[1]?.headers.authorization, `Basic ${Buffer.from('ada:pw').toString('base64')}`);
    assert.equal(seen[2]?.headers.authorization, `Basic ${Buffer.from('bob:s@cret').toString('base64')}`);
  });

  it('reports an unreachable server as UNAVAILABLE after retrying', async () => {
    const client = new MlflowHttpClient({ uri: 'http://127.0.0.1:9', maxAttempts: 2, backoffMs: 1 });
    await assert.rejects(
      client.get('/x'),
      (e: Error & { code?: string }) => e.code === 'UNAVAILABLE' && /cannot reach/.test(e.message),
    );
  });
});

describe('openTrackingStore', () => {
  it('opens the SQL store for sqlite:// and an HTTP client for http(s)://', async () => {
    const dir = await tempDir();
    const sql = await openTrackingStore(`sqlite://${join(dir, 't.db')}`, {
      defaultArtifactRoot: `file://${dir}/a`,
    });
    try {
      const id = await sql.store.createExperiment('e');
      assert.equal((await sql.store.getExperiment(id)).artifact_location, `file://${dir}/a/${id}`);
    } finally {
      await sql.close();
    }
    const http = await openTrackingStore('http://127.0.0.1:5000', { token: 't' });
    assert.ok(http.store instanceof HttpTrackingStore);
    await http.close();
    await assert.rejects(openTrackingStore(`sqlite://${join(dir, 'u.db')}`), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(openTrackingStore('ftp://x'), { code: 'INVALID_ARGUMENT' });
  });
});
