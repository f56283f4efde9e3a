import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { FsBlobStore } from '../../src/blobs/fs/fs-blob-store.ts';
import { silentLogger } from '../../src/kernel/logging.ts';
import { SqlRegistryStore } from '../../src/registry/sql/sql-registry-store.ts';
import { AuthStore } from '../../src/security/auth-store.ts';
import type { Role } from '../../src/security/roles.ts';
import { authApiRoutes } from '../../src/server/auth/auth-routes.ts';
import { principalOf } from '../../src/server/auth/install-auth.ts';
import { createServer, type RouteModule, type ServerDeps } from '../../src/server/create-server.ts';
import type { MetadataStore } from '../../src/store/metadata-store.ts';
import { openMetadataStore } from '../../src/store/open-metadata-store.ts';
import { SqlTrackingStore } from '../../src/tracking/sql/sql-tracking-store.ts';
import { assertAuthMatrix, assertNoInternals, basicAuth, runAuthMatrix } from '../support/auth-matrix.ts';
import { tempDir } from '../support/tmp-dir.ts';

/** Stand-ins for the real route modules: they answer who called them. */
const echo = async (request: Parameters<typeof principalOf>[0]) => ({
  ok: true,
  who: principalOf(request) ?? null,
});

const mlflowRoutes: RouteModule = (app) => {
  app.get('/experiments/get', echo);
  app.route({ method: ['GET', 'POST'], url: '/experiments/search', handler: echo });
  app.post('/experiments/create', echo);
  app.post('/runs/search', echo);
  app.post('/runs/log-batch', echo);
  app.get('/registered-models/alias', echo);
  app.delete('/registered-models/alias', echo);
  app.patch('/model-versions/update', echo);
  app.post('/metrics/get-history-bulk-interval', echo);
  app.post('/users/create', echo);
};
const artifactRoutes: RouteModule = (app) => {
  for (const prefix of ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts']) {
    app.get(`${prefix}/artifacts`, echo);
    app.get(`${prefix}/artifacts/*`, echo);
    app.put(`${prefix}/artifacts/*`, echo);
    app.delete(`${prefix}/artifacts/*`, echo);
  }
};
const cairnRoutes: RouteModule = (app) => {
  app.get('/deployments', echo);
  app.get('/deployments/:name', echo);
  app.post('/deployments/:name/rollback', echo);
  app.delete('/deployments/:name', echo);
};
/** A route no rule of ROUTE_ROLES names: admins only. */
const unlistedRoutes: RouteModule = (app) => {
  app.get('/internal/debug', echo);
};

interface Harness {
  app: FastifyInstance;
  auth: AuthStore;
  metadata: MetadataStore;
  tokens: Record<Role, string>;
  clock: { now: number };
}

async function serverDeps(metadata: MetadataStore): Promise<ServerDeps> {
  const dir = await tempDir('cairn-auth-server-');
  return {
    tracking: new SqlTrackingStore(metadata, { defaultArtifactRoot: `file://${dir}/artifacts` }),
    registry: new SqlRegistryStore(metadata),
    artifacts: new FsBlobStore({ root: join(dir, 'blobs') }),
    metadata,
    log: silentLogger,
  };
}

async function harness(): Promise<Harness> {
  const metadata = await openMetadataStore('sqlite://:memory:');
  const clock = { now: Date.UTC(2025, 5, 1) };
  const auth = new AuthStore(metadata, { now: () => clock.now });
  const app = createServer(
    await serverDeps(metadata),
    { auth: { store: auth } },
    {
      mlflow: [mlflowRoutes],
      api: [cairnRoutes, authApiRoutes(auth)],
      root: [artifactRoutes, unlistedRoutes],
    },
  );
  const tokens = {} as Record<Role, string>;
  for (const role of ['viewer', 'editor', 'admin'] as const) {
    tokens[role] = (await auth.createToken({ role, name: `${role}-token` })).token;
    await auth.createUser({ name: `${role}-user`, password: `${role}-password`, role });
  }
  return { app, auth, metadata, tokens, clock };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('cairn server with auth on', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(async () => {
    await h?.app.close();
    await h?.metadata.close();
  });

  it('answers every route × role as ROUTE_ROLES says, with bearer tokens and Basic', async () => {
    const report = await assertAuthMatrix(h.app, {
      credentials: {
        viewer: [bearer(h.tokens.viewer), basicAuth('viewer-user', 'viewer-password')],
        editor: [bearer(h.tokens.editor), basicAuth('editor-user', 'editor-password')],
        admin: [bearer(h.tokens.admin), basicAuth('admin-user', 'admin-password')],
      },
      // Revoking a token through the API would lock the matrix's own credentials out.
      skip: (route) => route.method === 'DELETE' && route.url === '/api/v1/tokens/:id',
    });
    const urls = new Set(report.routes.map((r) => r.url));
    for (const url of [
      '/healthz',
      '/readyz',
      '/api/2.0/mlflow/runs/search',
      '/ajax-api/2.0/mlflow/runs/search',
      '/api/2.0/mlflow-artifacts/artifacts/*',
      '/api/v1/deployments/:name',
      '/api/v1/tokens',
      '/internal/debug',
    ])
      assert.ok(urls.has(url), `the matrix did not see ${url}`);
    assert.ok(report.requests >= report.routes.length * 8);
  });

  it("refuses an anonymous MLflow call with MLflow's error body and a challenge", async () => {
    const res = await h.app.inject({ method: 'POST', url: '/api/2.0/mlflow/runs/log-batch', payload: {} });
    assert.equal(res.statusCode, 401);
    assert.equal(
      res.headers['www-authenticate'],
      'Bearer realm="cairn", Basic realm="cairn", charset="UTF-8"',
    );
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['error_code', 'message']);
    assert.equal(body.error_code, 'UNAUTHENTICATED');
    assert.match(body.message, /MLFLOW_TRACKING_TOKEN/);
  });

  it("refuses an anonymous Cairn API call with Cairn's error body", async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/deployments' });
    assert.equal(res.statusCode, 401);
    assert.ok(res.headers['www-authenticate']);
    assert.equal(res.json().code, 'UNAUTHENTICATED');
    assert.equal(res.json().error_code, undefined);
  });

  it('tells a viewer which role a write needs (403), in each dialect', async () => {
    const mlflow = await h.app.inject({
      method: 'POST',
      url: '/ajax-api/2.0/mlflow/experiments/create',
      headers: bearer(h.tokens.viewer),
      payload: { name: 'x' },
    });
    assert.equal(mlflow.statusCode, 403);
    assert.equal(mlflow.headers['www-authenticate'], undefined);
    assert.deepEqual(mlflow.json(), {
      error_code: 'PERMISSION_DENIED',
      message:
        'token:viewer-token has the viewer role; POST /ajax-api/2.0/mlflow/experiments/create needs editor',
    });
    const cairn = await h.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: basicAuth('editor-user', 'editor-password'),
      payload: { role: 'admin' },
    });
    assert.equal(cairn.statusCode, 403);
    assert.deepEqual(cairn.json(), {
      code: 'PERMISSION_DENIED',
      message: 'editor-user has the editor role; POST /api/v1/tokens needs admin',
      details: { role: 'editor', required: 'admin' },
    });
  });

  it('lets the read endpoints MLflow sends as POST through for viewers', async () => {
    for (const url of ['/api/2.0/mlflow/runs/search', '/api/2.0/mlflow/experiments/search']) {
      const res = await h.app.inject({ method: 'POST', url, headers: bearer(h.tokens.viewer), payload: {} });
      assert.equal(res.statusCode, 200, url);
      assert.deepEqual(res.json().who, {
        kind: 'token',
        name: 'token:viewer-token',
        role: 'viewer',
        tokenId: res.json().who.tokenId,
      });
    }
  });

  it('keeps /healthz and /readyz open, whatever credentials come along', async () => {
    for (const headers of [{}, { authorization: 'Bearer nonsense' }, { authorization: 'Weird x' }]) {
      assert.equal((await h.app.inject({ method: 'GET', url: '/healthz', headers })).statusCode, 200);
      assert.equal((await h.app.inject({ method: 'GET', url: '/readyz', headers })).statusCode, 200);
    }
  });

  it('asks for credentials before saying a path does not exist', async () => {
    const anonymous = await h.app.inject({ method: 'GET', url: '/api/2.0/mlflow/no/such/endpoint' });
    assert.equal(anonymous.statusCode, 401);
    const viewer = await h.app.inject({
      method: 'GET',
      url: '/api/2.0/mlflow/no/such/endpoint',
      headers: bearer(h.tokens.viewer),
    });
    assert.equal(viewer.statusCode, 404);
    assert.equal(viewer.json().error_code, 'ENDPOINT_NOT_FOUND');
  });

  it('rejects malformed, unknown and wrong credentials with 401 and a reason', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ authorization: 'Token abc' }, /unsupported Authorization header/],
      [{ authorization: 'Basic %%%' }, /malformed Basic credentials/],
      [{ authorization: 'Bearer not-a-cairn-token' }, /invalid token: Cairn tokens look like/],
      [bearer(`${h.tokens.admin.slice(0, -2)}xx`), /^invalid token$/],
      [basicAuth('admin-user', 'wrong-password'), /^invalid user name or password$/],
      [basicAuth('nobody', 'admin-password'), /^invalid user name or password$/],
    ];
    for (const [headers, message] of cases) {
      const res = await h.app.inject({ method: 'GET', url: '/api/v1/deployments', headers });
      assert.equal(res.statusCode, 401, headers.authorization);
      assert.ok(res.headers['www-authenticate']);
      assert.match(res.json().message, message);
      assertNoInternals(res.body, String(headers.authorization));
    }
  });

  it('rejects an expired token, telling its holder when it expired', async () => {
    const { token } = await h.auth.createToken({ role: 'admin', expiresInMs: 60_000 });
    const call = () =>
      h.app.inject({ method: 'GET', url: '/api/2.0/mlflow/experiments/get', headers: bearer(token) });
    assert.equal((await call()).statusCode, 200);
    h.clock.now += 60_000;
    const res = await call();
    assert.equal(res.statusCode, 401);
    assert.match(
      res.json().message,
      /^token [0-9a-f]{16} expired at 2025-06-01T00:01:00\.000Z: ask an admin/,
    );
  });

  it('lets an admin issue, list and revoke tokens and add users over the API', async () => {
    const admin = bearer(h.tokens.admin);
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: admin,
      payload: { role: 'editor', name: 'ci', expiresIn: '30d' },
    });
    assert.equal(created.statusCode, 201);
    const body = created.json();
    assert.match(body.token, /^cairn_[0-9a-f]{16}_/);
    assert.equal(body.role, 'editor');
    assert.equal(body.createdBy, 'token:admin-token');
    assert.equal(body.expiresAt, h.clock.now + 30 * 86_400_000);
    const write = () =>
      h.app.inject({
        method: 'POST',
        url: '/api/2.0/mlflow/runs/log-batch',
        headers: bearer(body.token),
        payload: {},
      });
    assert.equal((await write()).statusCode, 200);

    const listed = await h.app.inject({ method: 'GET', url: '/api/v1/tokens', headers: admin });
    assert.equal(listed.statusCode, 200);
    assert.ok(listed.json().tokens.some((t: { id: string }) => t.id === body.id));
    assert.ok(!listed.body.includes(body.token.slice('cairn_'.length + 17)), 'a secret is listed');
    assertNoInternals(listed.body, 'GET /api/v1/tokens');

    const revoked = await h.app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${body.id}`,
      headers: admin,
    });
    assert.equal(revoked.statusCode, 200);
    assert.equal(revoked.json().revokedAt, h.clock.now);
    const after = await write();
    assert.equal(after.statusCode, 401);
    assert.match(after.json().message, /was revoked/);

    const user = await h.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: admin,
      payload: { name: 'carol', password: 'carol-password', role: 'editor' },
    });
    assert.equal(user.statusCode, 201);
    assert.deepEqual(Object.keys(user.json()).sort(), ['createdAt', 'name', 'role', 'updatedAt']);
    const asCarol = await h.app.inject({
      method: 'PATCH',
      url: '/api/2.0/mlflow/model-versions/update',
      headers: basicAuth('carol', 'carol-password'),
      payload: {},
    });
    assert.equal(asCarol.statusCode, 200);
    const users = await h.app.inject({ method: 'GET', url: '/api/v1/users', headers: admin });
    assert.ok(!users.body.includes('carol-password') && !users.body.includes('scrypt'));
  });

  it('validates the admin API input against its schemas', async () => {
    const admin = bearer(h.tokens.admin);
    const bad: [string, string, unknown, number, string][] = [
      ['POST', '/api/v1/tokens', { role: 'root' }, 400, 'INVALID_ARGUMENT'],
      ['POST', '/api/v1/tokens', { role: 'viewer', extra: 1 }, 400, 'INVALID_ARGUMENT'],
      ['POST', '/api/v1/tokens', { role: 'viewer', expiresIn: '30 days' }, 400, 'INVALID_ARGUMENT'],
      ['POST', '/api/v1/tokens', { role: 'viewer', expiresIn: '0d' }, 400, 'INVALID_ARGUMENT'],
      ['POST', '/api/v1/tokens', {}, 400, 'INVALID_ARGUMENT'],
      ['POST', '/api/v1/users', { name: 'dave', password: 'short', role: 'viewer' }, 400, 'INVALID_ARGUMENT'],
      [
        'POST',
        '/api/v1/users',
        { name: 'd:ave', password: 'long enough', role: 'viewer' },
        400,
        'INVALID_ARGUMENT',
      ],
      [
        'POST',
        '/api/v1/users',
        { name: 'viewer-user', password: 'long enough', role: 'viewer' },
        409,
        'ALREADY_EXISTS',
      ],
      ['DELETE', '/api/v1/tokens/not-an-id', undefined, 400, 'INVALID_ARGUMENT'],
      ['DELETE', '/api/v1/tokens/0123456789abcdef', undefined, 404, 'NOT_FOUND'],
    ];
    for (const [method, url, payload, status, code] of bad) {
      const res = await h.app.inject({
        method: method as 'POST',
        url,
        headers: admin,
        ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      });
      assert.equal(res.statusCode, status, `${method} ${url} ${JSON.stringify(payload)}: ${res.body}`);
      assert.equal(res.json().code, code);
      assertNoInternals(res.body, url);
    }
  });

  it('answers a failing credential store with a 500 that shows no SQL', async (t) => {
    t.mock.method(h.auth, 'verifyBearer', async () => {
      throw new Error(
        'SQLITE_BUSY: database is locked: SELECT id, secret_hash FROM security_tokens WHERE id = ?',
      );
    });
    const res = await h.app.inject({
      method: 'GET',
      url: '/api/2.0/mlflow/experiments/get',
      headers: bearer(h.tokens.viewer),
    });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), { error_code: 'INTERNAL_ERROR', message: 'internal server error' });
  });

  it('refuses an anonymous artifact upload before reading it', async () => {
    const res = await h.app.inject({
      method: 'PUT',
      url: '/api/2.0/mlflow-artifacts/artifacts/0/run/model.onnx',
      headers: { 'content-type': 'application/octet-stream' },
      payload: Buffer.alloc(1024 * 1024),
    });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error_code, 'UNAUTHENTICATED');
  });
});

describe('the auth matrix helper', () => {
  it('reports a route whose own error handler swallows the refusal, and credentials of the wrong role', async () => {
    const metadata = await openMetadataStore('sqlite://:memory:');
    const auth = new AuthStore(metadata);
    const swallowing: RouteModule = (app) => {
      app.register(async (scope) => {
        scope.setErrorHandler(async () => ({ ok: true }));
        scope.post('/runs/create', echo);
      });
    };
    const app = createServer(
      await serverDeps(metadata),
      { auth: { store: auth } },
      {
        mlflow: [swallowing],
        api: [cairnRoutes],
        root: [],
      },
    );
    try {
      const viewer = (await auth.createToken({ role: 'viewer' })).token;
      const admin = (await auth.createToken({ role: 'admin' })).token;
      const report = await runAuthMatrix(app, {
        credentials: { viewer: [bearer(admin)], editor: [bearer(admin)], admin: [bearer(viewer)] },
      });
      const failures = report.failures.join('\n');
      assert.match(failures, /POST \/api\/2\.0\/mlflow\/runs\/create as anonymous: expected 401 \(got 200/);
      assert.match(
        failures,
        /POST \/api\/v1\/deployments\/:name\/rollback as viewer \(credentials #1\): expected 403 \(got 200/,
      );
      assert.match(
        failures,
        /DELETE \/api\/v1\/deployments\/:name as admin \(credentials #1\): expected to be let through \(got 403/,
      );
      assert.doesNotMatch(failures, /GET \/api\/v1\/deployments as/);
    } finally {
      await app.close();
      await metadata.close();
    }
  });
});

describe('cairn server with auth off', () => {
  it('serves every route without credentials (loopback default)', async () => {
    const metadata = await openMetadataStore('sqlite://:memory:');
    const app = createServer(
      await serverDeps(metadata),
      {},
      {
        mlflow: [mlflowRoutes],
        api: [cairnRoutes],
        root: [unlistedRoutes],
      },
    );
    try {
      for (const [method, url] of [
        ['POST', '/api/2.0/mlflow/runs/log-batch'],
        ['DELETE', '/api/v1/deployments/x'],
        ['GET', '/internal/debug'],
      ] as const) {
        const res = await app.inject({ method, url, payload: method === 'GET' ? undefined : {} });
        assert.equal(res.statusCode, 200, `${method} ${url}`);
        assert.equal(res.json().who, null);
      }
    } finally {
      await app.close();
      await metadata.close();
    }
  });
});
