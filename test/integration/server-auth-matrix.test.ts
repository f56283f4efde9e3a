import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROLES, type Role } from '../../src/security/roles.ts';
import { routeAccess } from '../../src/server/auth/route-roles.ts';
import { createServer } from '../../src/server/create-server.ts';
import {
  MLFLOW_ROUTE_MODULES,
  ROOT_ROUTE_MODULES,
  serverRouteModules,
} from '../../src/server/server-wiring.ts';
import { assertAuthMatrix, basicAuth } from '../support/auth-matrix.ts';
import { json, openVariant, type TestServer, type Variant, variants } from './server-harness.ts';

/**
 * Every route the real server mounts (the module lists of server-wiring.ts, so a module added
 * there is covered without touching this file) × every role, with auth on.
 */
describe('cairn server with auth on: every route × every role', () => {
  let server: TestServer;
  const credentials = {} as Record<Role, Record<string, string>[]>;

  before(async () => {
    const opened = await openVariant(variants()[0] as Variant);
    const auth = opened.backends.auth;
    const sessions = opened.backends.sessions;
    const app = createServer(
      opened.backends.deps,
      { auth: { store: auth, sessions } },
      serverRouteModules(auth),
    );
    await app.ready();
    server = {
      ...opened,
      app,
      close: async () => {
        await app.close();
        await opened.close();
      },
    };
    for (const role of ROLES) {
      const { token } = await auth.createToken({ role, name: `matrix-${role}` });
      await auth.createUser({ name: `user-${role}`, password: `password-${role}`, role });
      // The web UI's session cookie, with its CSRF token, stands for the same role.
      const signedIn = await sessions.create(await auth.verifyBearer(token));
      credentials[role] = [
        { authorization: `Bearer ${token}` },
        basicAuth(`user-${role}`, `password-${role}`),
        { cookie: `cairn_session=${signedIn.id}`, 'x-csrf-token': signedIn.session.csrfToken },
      ];
    }
  });
  after(async () => {
    await server?.close();
  });

  it('mounts the tracking, artifact and registry route modules', () => {
    assert.ok(MLFLOW_ROUTE_MODULES.length >= 5);
    assert.ok(ROOT_ROUTE_MODULES.length >= 2);
  });

  it('lets each role through exactly where ROUTE_ROLES says, with the right error bodies', async () => {
    const report = await assertAuthMatrix(server.app, {
      credentials,
      // Signing out would end the session the matrix uses as a credential (ui-session.test.ts covers it).
      skip: (route) => route.method === 'DELETE' && route.url === '/api/v1/session',
    });
    const urls = new Set(report.routes.map((r) => r.url));
    for (const url of [
      '/api/2.0/mlflow/runs/log-batch',
      '/ajax-api/2.0/mlflow/experiments/search',
      '/api/2.0/mlflow-artifacts/artifacts/*',
      '/ajax-api/2.0/mlflow-artifacts/artifacts',
      '/api/v1/tokens',
      '/models/*',
    ])
      assert.ok(urls.has(url), `${url} is in the matrix`);
    const open = report.routes.filter((r) => routeAccess(r.method, r.url) === 'public').length;
    assert.equal(
      report.requests,
      report.routes.length * 11 + (report.routes.length - open) * 2,
      'anonymous, a bogus token, three credentials per role, a rebound Host and a foreign Origin',
    );
  });

  it('refuses an anonymous upload before reading its body', async () => {
    const res = await server.app.inject({
      method: 'PUT',
      url: '/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/x.bin',
      payload: Buffer.alloc(1024),
    });
    assert.equal(res.statusCode, 401);
    assert.equal(json(res).error_code, 'UNAUTHENTICATED');
    const listing = await server.app.inject({
      method: 'GET',
      url: '/api/2.0/mlflow-artifacts/artifacts',
      headers: credentials.viewer[0],
    });
    assert.deepEqual(json(listing), {}, 'nothing was written');
  });
});
