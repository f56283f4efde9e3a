import assert from 'node:assert/strict';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { ROLES, type Role, roleAllows } from '../../src/security/roles.ts';
import { authRoutesOf, type RegisteredRoute } from '../../src/server/auth/install-auth.ts';
import { routeAccess } from '../../src/server/auth/route-roles.ts';

/**
 * The "every route × every role" check for a server built with auth on
 * (`createServer(deps, { auth: { store } }, modules)`): each route it registered is called
 * anonymously, with a bogus token, and with the credentials of each role, and the status must
 * match ROUTE_ROLES — 401 (with WWW-Authenticate) without valid credentials, 403 below the
 * route's role, neither at or above it; public routes never 401/403. Refusals must carry the
 * right error body (MLflow's `{error_code, message}` under /api/{2,3}.0 and /ajax-api/{2,3}.0, Cairn's
 * `{code, message}` elsewhere), and no error body may show a stack trace, SQL or a hash.
 *
 * Handlers do run for callers who are let through (with `{}` as the body), so give the app
 * throwaway stores.
 *
 * @example
 * await assertAuthMatrix(app, {
 *   credentials: {
 *     viewer: [{ authorization: `Bearer ${viewerToken}` }],
 *     editor: [{ authorization: `Bearer ${editorToken}` }, basic('ed', 'password1')],
 *     admin: [{ authorization: `Bearer ${adminToken}` }],
 *   },
 * });
 */
export interface AuthMatrixOptions {
  /** Header sets that authenticate as each role; every set is tried (e.g. a bearer token and Basic). */
  credentials: Record<Role, readonly Record<string, string>[]>;
  /** A concrete URL for a route; by default `:params` become `1` and wildcards `x`. */
  sampleUrl?: (route: RegisteredRoute) => string;
  /** Routes to leave out (say why where you call it). */
  skip?: (route: RegisteredRoute) => boolean;
  /**
   * Also send each route, with admin credentials, as a DNS-rebound page would (a foreign Host)
   * and from a foreign origin: both must be refused with 403 before anything else (default true).
   */
  rebinding?: boolean;
}

export interface AuthMatrixReport {
  routes: RegisteredRoute[];
  requests: number;
  failures: string[];
}

const BOGUS_TOKEN = `cairn_0000000000000000_${'A'.repeat(43)}`;

export function basicAuth(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}` };
}

export function defaultSampleUrl(route: RegisteredRoute): string {
  return route.url.replace(/:[A-Za-z0-9_]+(\([^)]*\))?/g, '1').replace(/\*/g, 'x');
}

function isMlflowUrl(url: string): boolean {
  return ['/api/2.0/', '/ajax-api/2.0/', '/api/3.0/', '/ajax-api/3.0/'].some((p) => url.startsWith(p));
}

/** Fails when an error body shows internals: a stack frame, SQL, a password hash, a file path. */
export function assertNoInternals(body: string, where: string): void {
  const leaks: [RegExp, string][] = [
    [/\bat (?:\S+ )?\(?(?:\/|file:|node:)\S*:\d+:\d+/, 'a stack frame'],
    [/\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE)\b/i, 'SQL'],
    [/security_(users|tokens)|password_hash|secret_hash/, 'a table or column name'],
    [/scrypt\$/, 'a password hash'],
    [/node_modules|\/src\/|\.ts:\d+/, 'a source path'],
  ];
  for (const [pattern, what] of leaks)
    assert.doesNotMatch(body, pattern, `${where}: the body shows ${what}: ${body}`);
}

/** Runs the matrix and returns every mismatch instead of stopping at the first. */
export async function runAuthMatrix(
  app: FastifyInstance,
  options: AuthMatrixOptions,
): Promise<AuthMatrixReport> {
  await app.ready();
  const routes = authRoutesOf(app).filter((r) => !options.skip?.(r));
  const failures: string[] = [];
  let requests = 0;
  const call = async (
    route: RegisteredRoute,
    headers: Record<string, string>,
  ): Promise<LightMyRequestResponse> => {
    requests++;
    const url = (options.sampleUrl ?? defaultSampleUrl)(route);
    const request: InjectOptions = { method: route.method as InjectOptions['method'], url, headers };
    if (!['GET', 'HEAD', 'OPTIONS'].includes(route.method)) request.payload = {};
    return app.inject(request);
  };
  const check = (
    route: RegisteredRoute,
    who: string,
    res: LightMyRequestResponse,
    expected: 401 | 403 | 'allowed',
  ): void => {
    const where = `${route.method} ${route.url} as ${who}`;
    const fail = (what: string): void => {
      failures.push(`${where}: ${what} (got ${res.statusCode} ${res.body.slice(0, 200)})`);
    };
    if (res.statusCode >= 400 && route.method !== 'HEAD') {
      try {
        assertNoInternals(res.body, where);
      } catch (err) {
        fail((err as Error).message);
      }
    }
    if (expected === 'allowed') {
      if (res.statusCode === 401 || res.statusCode === 403) fail('expected to be let through');
      return;
    }
    if (res.statusCode !== expected) {
      fail(`expected ${expected}`);
      return;
    }
    if (
      expected === 401 &&
      !/^Bearer realm=.*Basic realm=/.test(String(res.headers['www-authenticate'] ?? ''))
    )
      fail('a 401 without a WWW-Authenticate challenge for Bearer and Basic');
    if (route.method === 'HEAD') return;
    const code = expected === 401 ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED';
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(res.body) as Record<string, unknown>;
    } catch {
      fail('the error body is not JSON');
      return;
    }
    const mlflow = isMlflowUrl(route.url);
    const ok = mlflow
      ? body.error_code === code && typeof body.message === 'string' && !('code' in body)
      : body.code === code && typeof body.message === 'string' && !('error_code' in body);
    if (!ok) fail(`expected ${mlflow ? `MLflow's {error_code: "${code}"}` : `Cairn's {code: "${code}"}`}`);
  };

  const rebound = async (route: RegisteredRoute, headers: Record<string, string>, what: string) => {
    const res = await call(route, { ...(options.credentials.admin[0] ?? {}), ...headers });
    const where = `${route.method} ${route.url} as admin ${what}`;
    if (res.statusCode !== 403)
      failures.push(`${where}: expected 403 (got ${res.statusCode} ${res.body.slice(0, 200)})`);
    else if (route.method !== 'HEAD') {
      const body = JSON.parse(res.body) as Record<string, unknown>;
      const code = isMlflowUrl(route.url) ? body.error_code : body.code;
      if (code !== 'PERMISSION_DENIED')
        failures.push(`${where}: expected PERMISSION_DENIED, got ${res.body.slice(0, 200)}`);
    }
  };

  for (const route of routes) {
    const access = routeAccess(route.method, route.url);
    if ((options.rebinding ?? true) && access !== 'public') {
      await rebound(route, { host: 'evil.example:5000' }, 'from a rebound host name');
      await rebound(
        route,
        { host: '127.0.0.1:5000', origin: 'https://evil.example' },
        'from a foreign origin',
      );
    }
    check(route, 'anonymous', await call(route, {}), access === 'public' ? 'allowed' : 401);
    check(
      route,
      'a bogus token',
      await call(route, { authorization: `Bearer ${BOGUS_TOKEN}` }),
      access === 'public' ? 'allowed' : 401,
    );
    for (const role of ROLES)
      for (const [i, headers] of options.credentials[role].entries())
        check(
          route,
          `${role} (credentials #${i + 1})`,
          await call(route, headers),
          access === 'public' || roleAllows(role, access) ? 'allowed' : 403,
        );
  }
  return { routes, requests, failures };
}

/** runAuthMatrix, failing the test with every mismatch listed. */
export async function assertAuthMatrix(
  app: FastifyInstance,
  options: AuthMatrixOptions,
): Promise<AuthMatrixReport> {
  for (const role of ROLES)
    assert.ok(options.credentials[role].length > 0, `give at least one set of credentials for ${role}`);
  const report = await runAuthMatrix(app, options);
  assert.ok(report.routes.length > 0, 'the app has no routes: was it built with auth on (installAuth)?');
  assert.deepEqual(
    report.failures,
    [],
    `${report.failures.length} auth matrix failure(s):\n${report.failures.join('\n')}`,
  );
  return report;
}
