import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createServer } from '../../src/server/create-server.ts';
import { serverRouteModules } from '../../src/server/server-wiring.ts';
import { openVariant, type TestServer, type Variant, variants } from './server-harness.ts';

/** The cookie a sign-in set: its value and attributes. */
function cookieOf(res: LightMyRequestResponse): { value: string; attributes: string[] } {
  const header = String(res.headers['set-cookie'] ?? '');
  const [pair = '', ...attributes] = header.split(';').map((p) => p.trim());
  assert.match(pair, /^cairn_session=/, header);
  return { value: pair.slice('cairn_session='.length), attributes };
}

describe('web UI sessions on cairn server with auth on', () => {
  let server: TestServer;
  let viewerToken = '';
  let editorToken = '';

  before(async () => {
    const opened = await openVariant(variants()[0] as Variant);
    const { auth, sessions } = opened.backends;
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
    await auth.createUser({ name: 'ada', password: 'correct horse', role: 'editor' });
    viewerToken = (await auth.createToken({ role: 'viewer', name: 'reader' })).token;
    editorToken = (await auth.createToken({ role: 'editor', name: 'ci' })).token;
  });
  after(async () => server?.close());

  const signIn = (body: Record<string, string>) =>
    server.app.inject({ method: 'POST', url: '/api/v1/session', payload: body });
  const createExperiment = (headers: Record<string, string>, name: string) =>
    server.app.inject({
      method: 'POST',
      url: '/api/2.0/mlflow/experiments/create',
      headers,
      payload: { name },
    });

  it('signs in with a password: an HttpOnly, SameSite=Strict cookie and a CSRF token for writes', async () => {
    const res = await signIn({ username: 'ada', password: 'correct horse' });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json() as { name: string; role: string; csrf_token: string; signed_in: boolean };
    assert.deepEqual([body.name, body.role, body.signed_in], ['ada', 'editor', true]);
    const cookie = cookieOf(res);
    assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(cookie.attributes.includes('HttpOnly'));
    assert.ok(cookie.attributes.includes('SameSite=Strict'));
    assert.ok(cookie.attributes.includes('Path=/'));
    assert.ok(!cookie.attributes.includes('Secure'), 'plain HTTP: a Secure cookie would never be sent back');
    const headers = { cookie: `cairn_session=${cookie.value}` };

    const who = await server.app.inject({ method: 'GET', url: '/api/v1/session', headers });
    assert.equal(who.json().name, 'ada');
    assert.equal(who.json().csrf_token, body.csrf_token);
    const read = await server.app.inject({
      method: 'GET',
      url: '/api/2.0/mlflow/experiments/search?max_results=5',
      headers,
    });
    assert.equal(read.statusCode, 200, 'reads need only the cookie');

    const forged = await createExperiment(headers, 'from-another-site');
    assert.equal(forged.statusCode, 403, 'a write without the CSRF token is refused');
    assert.match(forged.json().message, /X-CSRF-Token/);
    const wrong = await createExperiment({ ...headers, 'x-csrf-token': 'x'.repeat(43) }, 'wrong-token');
    assert.equal(wrong.statusCode, 403);
    const ok = await createExperiment({ ...headers, 'x-csrf-token': body.csrf_token }, 'from-the-ui');
    assert.equal(ok.statusCode, 200, ok.body);
  });

  it('signs in with a token, which keeps its role: a viewer session cannot write', async () => {
    const res = await signIn({ token: viewerToken });
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual([res.json().name, res.json().role], ['token:reader', 'viewer']);
    const headers = { cookie: `cairn_session=${cookieOf(res).value}`, 'x-csrf-token': res.json().csrf_token };
    const denied = await createExperiment(headers, 'viewer-write');
    assert.equal(denied.statusCode, 403);
    assert.match(denied.json().error_code, /PERMISSION_DENIED/);
    assert.match(denied.json().message, /viewer role/);
  });

  it('refuses wrong credentials with 401 and no Basic challenge a browser would answer with a dialog', async () => {
    const res = await signIn({ username: 'ada', password: 'wrong horse' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().code, 'UNAUTHENTICATED');
    assert.equal(res.headers['set-cookie'], undefined);
    assert.equal(res.headers['www-authenticate'], undefined);
    const both = await signIn({ username: 'ada', password: 'correct horse', token: editorToken });
    assert.equal(both.statusCode, 400);
    // What another site's form can send (text/plain, urlencoded) never signs anyone in.
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const form = await server.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        headers: { 'content-type': type },
        payload: type === 'text/plain' ? JSON.stringify({ token: editorToken }) : `token=${editorToken}`,
      });
      assert.ok(form.statusCode >= 400 && form.statusCode < 500, `${type}: ${form.statusCode}`);
      assert.equal(form.headers['set-cookie'], undefined, type);
    }
    const script = await server.app.inject({
      method: 'GET',
      url: '/api/2.0/mlflow/experiments/search',
      headers: { 'x-requested-with': 'XMLHttpRequest' },
    });
    assert.equal(script.statusCode, 401);
    assert.doesNotMatch(String(script.headers['www-authenticate']), /Basic/);
  });

  it('signs out: the cookie is cleared and the session ends on the server', async () => {
    const res = await signIn({ token: editorToken });
    const cookie = `cairn_session=${cookieOf(res).value}`;
    const csrf = res.json().csrf_token as string;
    const noToken = await server.app.inject({
      method: 'DELETE',
      url: '/api/v1/session',
      headers: { cookie },
    });
    assert.equal(noToken.statusCode, 403, 'signing out is a write: it needs the CSRF token');
    const out = await server.app.inject({
      method: 'DELETE',
      url: '/api/v1/session',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    assert.equal(out.statusCode, 200);
    assert.match(String(out.headers['set-cookie']), /^cairn_session=; .*Max-Age=0/);
    const after = await server.app.inject({
      method: 'GET',
      url: '/api/2.0/mlflow/experiments/search',
      headers: { cookie },
    });
    assert.equal(after.statusCode, 401, 'the old cookie no longer works');
    const who = await server.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } });
    assert.deepEqual([who.json().signed_in, who.json().role], [false, null]);
  });

  it("ends sessions when their token is revoked or their user's password changes", async () => {
    const { auth } = server.backends;
    const ci = await auth.createToken({ role: 'editor', name: 'short-lived' });
    const byToken = cookieOf(await signIn({ token: ci.token })).value;
    const byPassword = cookieOf(await signIn({ username: 'ada', password: 'correct horse' })).value;
    const get = (value: string) =>
      server.app.inject({
        method: 'GET',
        url: '/api/2.0/mlflow/experiments/search',
        headers: { cookie: `cairn_session=${value}` },
      });
    assert.equal((await get(byToken)).statusCode, 200);
    await auth.revokeToken(ci.info.id);
    const revoked = await get(byToken);
    assert.equal(revoked.statusCode, 401);
    assert.match(revoked.json().message, /revoked/);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await auth.setPassword('ada', 'battery staple');
    const changed = await get(byPassword);
    assert.equal(changed.statusCode, 401);
    assert.match(changed.json().message, /password changed/);
  });
});

describe('web UI sessions on cairn server without auth', () => {
  let server: TestServer;
  before(async () => {
    const opened = await openVariant(variants()[0] as Variant);
    const app = createServer(opened.backends.deps, {}, serverRouteModules());
    await app.ready();
    server = {
      ...opened,
      app,
      close: async () => {
        await app.close();
        await opened.close();
      },
    };
  });
  after(async () => server?.close());

  it('tells the UI everyone may do everything, and that there is nothing to sign in to', async () => {
    const who = await server.app.inject({ method: 'GET', url: '/api/v1/session' });
    assert.deepEqual(who.json(), { auth_enabled: false, signed_in: false, role: 'admin' });
    const res = await server.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: 'x' } });
    assert.equal(res.statusCode, 412);
    assert.match(res.json().message, /authentication is off/);
  });
});
