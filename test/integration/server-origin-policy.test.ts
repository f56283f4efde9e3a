import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { authRoutesOf, type RegisteredRoute } from '../../src/server/auth/install-auth.ts';
import { createServer } from '../../src/server/create-server.ts';
import { isMlflowUrl } from '../../src/server/mlflow/mlflow-namespaces.ts';
import { serverRouteModules } from '../../src/server/server-wiring.ts';
import { startServerProcess } from '../compat/server-process.ts';
import { assertNoInternals, defaultSampleUrl } from '../support/auth-matrix.ts';
import { cairn, newWorkspace, writeFiles } from '../support/cli.ts';
import { json, openVariant, type TestServer, type Variant, variants } from './server-harness.ts';

const EVIL = 'evil.example:5000';
/** The health checks, which answer whatever the Host (probes address servers in many ways). */
const PUBLIC = new Set(['/healthz', '/readyz', '/health', '/version']);

/** One HTTP/1.1 request on a raw socket to 127.0.0.1, with the headers given as they are. */
function rawRequest(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => {
      data += d.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('end', () => {
      const head = data.slice(0, data.indexOf('\r\n\r\n'));
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0),
        headers: head.toLowerCase(),
        body: data.slice(data.indexOf('\r\n\r\n') + 4),
      });
    });
    const lines = Object.entries({ ...headers, Connection: 'close', 'Content-Length': '0' }).map(
      ([k, v]) => `${k}: ${v}`,
    );
    socket.write(`${method} ${target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
  });
}

describe('DNS rebinding and cross-origin requests', () => {
  let open: TestServer;
  let routes: readonly RegisteredRoute[];
  let withCors: FastifyInstance;
  let adminToken: string;
  let withAuth: FastifyInstance;

  before(async () => {
    const opened = await openVariant(variants()[0] as Variant);
    const deps = opened.backends.deps;
    // The server as `cairn server` runs it on loopback: no authentication, the default policy.
    const app = createServer(deps, {}, serverRouteModules());
    await app.listen({ host: '127.0.0.1', port: 0 });
    open = {
      ...opened,
      app,
      close: async () => {
        await app.close();
        await opened.close();
      },
    };
    withAuth = createServer(
      deps,
      { auth: { store: opened.backends.auth } },
      serverRouteModules(opened.backends.auth),
    );
    await withAuth.ready();
    routes = authRoutesOf(withAuth);
    adminToken = (await opened.backends.auth.createToken({ role: 'admin', name: 'rebinding' })).token;
    withCors = createServer(
      deps,
      {
        origins: { hosts: ['mlflow.example.com', '*.corp.example'], corsOrigins: ['https://nb.example.com'] },
      },
      serverRouteModules(),
    );
    await withCors.ready();
  });
  after(async () => {
    await withCors?.close();
    await withAuth?.close();
    await open?.close();
  });

  const send = (app: FastifyInstance, route: RegisteredRoute, headers: Record<string, string>) => {
    const request: InjectOptions = {
      method: route.method as InjectOptions['method'],
      url: defaultSampleUrl(route),
      headers,
    };
    if (!['GET', 'HEAD', 'OPTIONS'].includes(route.method))
      request.payload = { name: 'made-by-a-rebound-page' };
    return app.inject(request);
  };

  /** A refusal in the route family's own error format, naming what to do. */
  const refused = (route: RegisteredRoute, res: { statusCode: number; body: string }, why: RegExp) => {
    const where = `${route.method} ${route.url}`;
    assert.equal(res.statusCode, 403, `${where}: ${res.body}`);
    if (route.method === 'HEAD') return;
    const body = JSON.parse(res.body) as Record<string, unknown>;
    if (isMlflowUrl(route.url)) assert.equal(body.error_code, 'PERMISSION_DENIED', where);
    else assert.equal(body.code, 'PERMISSION_DENIED', where);
    assert.match(String(body.message), why, where);
    assertNoInternals(res.body, where);
  };

  it('refuses every route but the health checks when the Host is a rebound name', async () => {
    assert.ok(routes.length > 50, 'every route family is in the list');
    for (const route of routes) {
      const res = await send(open.app, route, { host: EVIL });
      if (PUBLIC.has(route.url)) assert.notEqual(res.statusCode, 403, route.url);
      else refused(route, res, /Host header "evil\.example:5000".*--allowed-hosts/);
    }
    assert.equal(
      await open.backends.deps.tracking.getExperimentByName('made-by-a-rebound-page'),
      undefined,
      'no handler ran',
    );
    // Credentials do not help a rebound page either.
    const experiments = routes.find(
      (r) => r.url === '/api/2.0/mlflow/experiments/search' && r.method === 'GET',
    );
    const res = await send(withAuth, experiments as RegisteredRoute, {
      host: EVIL,
      authorization: `Bearer ${adminToken}`,
    });
    refused(experiments as RegisteredRoute, res, /Host header/);
  });

  it('refuses cross-origin requests and their preflights on every route', async () => {
    for (const route of routes) {
      if (PUBLIC.has(route.url)) continue;
      const res = await send(open.app, route, { host: '127.0.0.1:5000', origin: 'http://evil.example' });
      refused(route, res, /cross-origin request from "http:\/\/evil\.example" refused/);
      const preflight = await open.app.inject({
        method: 'OPTIONS',
        url: defaultSampleUrl(route),
        headers: {
          host: '127.0.0.1:5000',
          origin: 'http://evil.example',
          'access-control-request-method': route.method,
          'access-control-request-headers': 'content-type',
        },
      });
      assert.equal(preflight.statusCode, 403, `preflight ${route.url}`);
      assert.equal(preflight.headers['access-control-allow-origin'], undefined);
    }
  });

  it('answers IP addresses, localhost and its own pages as before', async () => {
    for (const host of ['127.0.0.1:5000', 'localhost:5000', '[::1]:5000', '10.1.2.3', 'LOCALHOST.']) {
      const res = await open.app.inject({
        method: 'GET',
        url: '/api/2.0/mlflow/experiments/get?experiment_id=0',
        headers: { host },
      });
      assert.equal(res.statusCode, 200, `${host}: ${res.body}`);
    }
    const sameOrigin = await open.app.inject({
      method: 'POST',
      url: '/api/2.0/mlflow/experiments/search',
      headers: { host: '127.0.0.1:5000', origin: 'http://127.0.0.1:5000' },
      payload: { max_results: 1 },
    });
    assert.equal(sameOrigin.statusCode, 200, 'a page the server itself serves may call it');
    assert.equal(
      sameOrigin.headers['access-control-allow-origin'],
      undefined,
      'no CORS header is needed or sent',
    );
  });

  it('sends a real rebinding-shaped request over TCP to 127.0.0.1', async () => {
    const { port } = open.app.server.address() as { port: number };
    const rebound = await rawRequest(port, 'GET', '/api/2.0/mlflow/experiments/search?max_results=5', {
      Host: `evil.example:${port}`,
    });
    assert.equal(rebound.status, 403);
    assert.equal((JSON.parse(rebound.body) as { error_code: string }).error_code, 'PERMISSION_DENIED');
    const artifacts = await rawRequest(port, 'GET', '/api/2.0/mlflow-artifacts/artifacts', {
      Host: `evil.example:${port}`,
    });
    assert.equal(artifacts.status, 403);
    const direct = await rawRequest(port, 'GET', '/api/2.0/mlflow/experiments/search?max_results=5', {
      Host: `127.0.0.1:${port}`,
    });
    assert.equal(direct.status, 200, direct.body);
    const health = await rawRequest(port, 'GET', '/healthz', { Host: `evil.example:${port}` });
    assert.equal(health.status, 200, 'probes address servers in many ways');
  });

  it('lets listed names and origins through, and only those', async () => {
    const get = (headers: Record<string, string>) =>
      withCors.inject({ method: 'GET', url: '/api/2.0/mlflow/experiments/get?experiment_id=0', headers });
    assert.equal((await get({ host: 'mlflow.example.com' })).statusCode, 200);
    assert.equal((await get({ host: 'a.b.corp.example:443' })).statusCode, 200);
    assert.equal((await get({ host: 'corp.example.evil.com' })).statusCode, 403);
    assert.equal((await get({ host: 'notmlflow.example.com' })).statusCode, 403);

    const preflight = await withCors.inject({
      method: 'OPTIONS',
      url: '/api/2.0/mlflow/runs/create',
      headers: {
        host: 'mlflow.example.com',
        origin: 'https://nb.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    assert.equal(preflight.statusCode, 204, preflight.body);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://nb.example.com');
    assert.match(String(preflight.headers['access-control-allow-methods']), /POST/);
    assert.match(String(preflight.headers['access-control-allow-headers']), /authorization/);
    const call = await get({ host: 'mlflow.example.com', origin: 'https://nb.example.com' });
    assert.equal(call.statusCode, 200);
    assert.equal(call.headers['access-control-allow-origin'], 'https://nb.example.com');
    assert.equal(call.headers.vary, 'Origin');
    const other = await get({ host: 'mlflow.example.com', origin: 'https://nb.example.com.evil.io' });
    assert.equal(other.statusCode, 403);
    assert.equal(json(other).error_code, 'PERMISSION_DENIED');
  });
});

describe('cairn server --allowed-hosts, --cors-origins and the server settings', () => {
  it('extends the names and origins from the config file and flags, and refuses bad ones', async () => {
    const ws = await newWorkspace({ git: false });
    await writeFiles(ws, {
      '.cairn/config.local.yaml': 'server:\n  allowed_hosts: [from-config.example]\n',
    });
    const server = await startServerProcess(['--cors-origins', 'https://nb.example.com'], { cwd: ws });
    try {
      const port = Number(new URL(server.url).port);
      const path = '/api/2.0/mlflow/experiments/search?max_results=1';
      assert.equal((await rawRequest(port, 'GET', path, { Host: 'from-config.example' })).status, 200);
      assert.equal((await rawRequest(port, 'GET', path, { Host: 'evil.example' })).status, 403);
      const preflight = await rawRequest(port, 'OPTIONS', path, {
        Host: `127.0.0.1:${port}`,
        Origin: 'https://nb.example.com',
        'Access-Control-Request-Method': 'GET',
      });
      assert.equal(preflight.status, 204);
      assert.match(preflight.headers, /access-control-allow-origin: https:\/\/nb\.example\.com/);
    } finally {
      await server.stop();
    }
    const badHost = await cairn(['server', '--port', '0', '--allowed-hosts', 'http://x.example/'], {
      cwd: ws,
    });
    assert.equal(badHost.code, 2);
    assert.match(badHost.stderr, /--allowed-hosts: "http:\/\/x\.example\/" is not a host name/);
    const badOrigin = await cairn(['server', '--port', '0', '--cors-origins', 'nb.example.com'], { cwd: ws });
    assert.equal(badOrigin.code, 2);
    assert.match(badOrigin.stderr, /--cors-origins: "nb\.example\.com" is not an origin/);
  });
});
