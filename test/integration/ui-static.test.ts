import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../../src/server/create-server.ts';
import { MLFLOW_ROUTE_MODULES, serverRouteModules } from '../../src/server/server-wiring.ts';
import { UI_PAGE_ROUTES, uiRoutes } from '../../src/server/ui/ui-routes.ts';
import { tempDir } from '../support/tmp-dir.ts';
import { openVariant, type Variant, variants } from './server-harness.ts';

const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/index-Ab12.js"></script></head></html>';
const SCRIPT = `console.log(${JSON.stringify('cairn '.repeat(500))});`;

describe('the web UI served by cairn server', () => {
  let app: FastifyInstance;
  let bare: FastifyInstance;
  let close: () => Promise<void>;

  before(async () => {
    const dist = await tempDir('cairn-ui-dist-');
    await mkdir(join(dist, 'assets'));
    await writeFile(join(dist, 'index.html'), INDEX);
    await writeFile(join(dist, 'assets', 'index-Ab12.js'), SCRIPT);
    const opened = await openVariant(variants()[0] as Variant);
    const modules = serverRouteModules();
    const ui = (dir: string) => ({ ...modules, root: [...modules.root.slice(0, -1), uiRoutes(dir)] });
    app = createServer(opened.backends.deps, {}, ui(dist));
    bare = createServer(opened.backends.deps, {}, ui(join(dist, 'not-built')));
    await Promise.all([app.ready(), bare.ready()]);
    close = async () => {
      await app.close();
      await bare.close();
      await opened.close();
    };
  });
  after(async () => close?.());

  it('answers index.html at / and at every page address, never cached, with a strict CSP', async () => {
    for (const url of [
      '/',
      '/experiments',
      '/experiments/3/runs?filter=x',
      '/runs/abc',
      '/compare?runs=a,b',
      '/models',
      '/models/churn/versions/2',
      '/signin',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.body, INDEX, url);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(res.headers['cache-control'], 'no-store', url);
      assert.match(
        String(res.headers['content-security-policy']),
        /default-src 'self'.*frame-ancestors 'none'/,
      );
    }
    assert.deepEqual(
      UI_PAGE_ROUTES.filter((r) => !r.endsWith('*')),
      ['/experiments', '/compare', '/models', '/signin'],
    );
  });

  it('serves hashed assets for a year, gzipped when the browser accepts it, with 304 on a matching ETag', async () => {
    const plain = await app.inject({ method: 'GET', url: '/assets/index-Ab12.js' });
    assert.equal(plain.statusCode, 200);
    assert.equal(plain.body, SCRIPT);
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(plain.headers['content-type'], 'text/javascript; charset=utf-8');
    const zipped = await app.inject({
      method: 'GET',
      url: '/assets/index-Ab12.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.ok(zipped.rawPayload.length < SCRIPT.length / 10);
    assert.equal(gunzipSync(zipped.rawPayload).toString(), SCRIPT);
    const again = await app.inject({
      method: 'GET',
      url: '/assets/index-Ab12.js',
      headers: { 'if-none-match': String(plain.headers.etag) },
    });
    assert.equal(again.statusCode, 304);
    const missing = await app.inject({ method: 'GET', url: '/assets/index-0000.js' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().code, 'NOT_FOUND');
  });

  it("never answers the UI for an API path: each keeps its own API's 404", async () => {
    assert.ok(MLFLOW_ROUTE_MODULES.length > 0);
    const mlflow = await app.inject({ method: 'GET', url: '/api/2.0/mlflow/experiments/nope' });
    assert.equal(mlflow.statusCode, 404);
    assert.equal(mlflow.json().error_code, 'ENDPOINT_NOT_FOUND');
    for (const url of [
      '/ajax-api/2.0/mlflow/runs/nope',
      '/api/v1/nope',
      '/api/v1/experiments',
      '/v2/models/churn/infer',
      '/invocations',
      '/metrics',
      '/experimentsx',
      '/index.html',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.match(String(res.headers['content-type']), /application\/json/, url);
    }
    for (const url of ['/healthz', '/readyz', '/health', '/version']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.notEqual(res.body, INDEX, url);
    }
  });

  it('says how to build the UI when it was not built', async () => {
    const res = await bare.inject({ method: 'GET', url: '/experiments' });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().code, 'UNAVAILABLE');
    assert.match(res.json().message, /not built.*npm run build:ui/);
  });
});
