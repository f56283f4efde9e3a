import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { CairnError, isCairnError } from '../../kernel/errors.ts';
import type { AuthStore } from '../../security/auth-store.ts';
import { type Principal, roleAllows } from '../../security/roles.ts';
import type { SessionStore } from '../../security/session-store.ts';
import { parseAuthorization } from './credentials.ts';
import { routeAccess } from './route-roles.ts';
import { CSRF_HEADER, readSessionCookie, SAFE_METHODS } from './session-cookie.ts';

/** `ServerOptions.auth`: where credentials are checked. */
export interface ServerAuth {
  store: Pick<AuthStore, 'verifyBearer' | 'verifyBasic'>;
  /** The web UI's sessions (a cookie instead of an Authorization header); none: cookies are ignored. */
  sessions?: Pick<SessionStore, 'create' | 'verify' | 'end'>;
  /** The realm named in WWW-Authenticate (default "cairn"). */
  realm?: string;
}

export interface RegisteredRoute {
  method: string;
  /** The route pattern, prefix included: `/api/2.0/mlflow/runs/get`, `/api/v1/tokens/:id`. */
  url: string;
}

const principals = new WeakMap<FastifyRequest, Principal>();
const routeLists = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Who the request acts as; undefined when auth is off or the route is public. */
export function principalOf(request: FastifyRequest): Principal | undefined {
  return principals.get(request);
}

/**
 * Every route registered on `app` after installAuth, one entry per method (the HEAD routes
 * Fastify adds for GET included). Complete once `app.ready()` resolved.
 */
export function authRoutesOf(app: FastifyInstance): readonly RegisteredRoute[] {
  const routes = routeLists.get(app);
  if (!routes) throw new Error('authRoutesOf: installAuth was not called on this app');
  return routes;
}

/**
 * Turns authentication on for every route of `app` registered after this call: call it before
 * any route. Public routes (see ROUTE_ROLES) skip it.
 */
export function installAuth(app: FastifyInstance, auth: ServerAuth): void {
  const routes: RegisteredRoute[] = [];
  routeLists.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  app.addHook('onRequest', authHook(auth));
}

/**
 * The onRequest hook: reads the credentials, verifies them with the store, and checks the role
 * the route's rule in ROUTE_ROLES asks for. It runs before the body is read, so an anonymous
 * upload is refused without being received. Failures are CairnErrors (UNAUTHENTICATED, with a
 * WWW-Authenticate challenge, or PERMISSION_DENIED) for the server's error handler to render.
 *
 * Without an Authorization header, a web session cookie is accepted (when `auth.sessions` is
 * given); a request that writes (any method but GET, HEAD, OPTIONS) must then also carry the
 * session's CSRF token in X-CSRF-Token. A page from another site can neither send the cookie
 * (SameSite=Strict) nor read the token.
 */
export function authHook(auth: ServerAuth): onRequestAsyncHookHandler {
  const realm = (auth.realm ?? 'cairn').replaceAll('"', '');
  const challenge = `Bearer realm="${realm}", Basic realm="${realm}", charset="UTF-8"`;
  // A browser answers a Basic challenge to a script's request with its own password dialog; the
  // web UI marks its requests (X-Requested-With) to be challenged for a bearer token only.
  const scriptChallenge = `Bearer realm="${realm}", charset="UTF-8"`;
  const refuse = (reply: FastifyReply, message: string): CairnError => {
    const fromScript = reply.request.headers['x-requested-with'] === 'XMLHttpRequest';
    reply.header('www-authenticate', fromScript ? scriptChallenge : challenge);
    return new CairnError('UNAUTHENTICATED', message);
  };
  return async (request, reply) => {
    const pattern = request.routeOptions.url;
    const access = routeAccess(request.method, pattern);
    if (access === 'public') return;
    const credentials = parseAuthorization(request.headers.authorization);
    const cookie = credentials.kind === 'none' ? readSessionCookie(request.headers.cookie) : undefined;
    if (cookie !== undefined && auth.sessions) {
      let principal: Principal;
      try {
        const session = await auth.sessions.verify(cookie);
        if (!SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== session.csrfToken)
          throw new CairnError(
            'PERMISSION_DENIED',
            `${request.method} with a session cookie needs the session's CSRF token in the X-CSRF-Token header`,
            { details: { csrf: 'missing or wrong' } },
          );
        principal = session.principal;
      } catch (err) {
        if (isCairnError(err) && err.code === 'UNAUTHENTICATED')
          throw refuse(reply, err.hint ? `${err.message}: ${err.hint}` : err.message);
        throw err;
      }
      return admit(request, principal, access, pattern);
    }
    if (credentials.kind === 'none')
      throw refuse(
        reply,
        'authentication required: send a token as "Authorization: Bearer <token>" (MLFLOW_TRACKING_TOKEN) ' +
          'or a user name and password with HTTP Basic (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD)',
      );
    if (credentials.kind === 'malformed') throw refuse(reply, credentials.message);
    let principal: Principal;
    try {
      principal =
        credentials.kind === 'bearer'
          ? await auth.store.verifyBearer(credentials.token)
          : await auth.store.verifyBasic(credentials.user, credentials.password);
    } catch (err) {
      if (isCairnError(err) && err.code === 'UNAUTHENTICATED')
        throw refuse(reply, err.hint ? `${err.message}: ${err.hint}` : err.message);
      throw err;
    }
    admit(request, principal, access, pattern);
  };
}

/** Lets `principal` through when its role is enough for `access`; PERMISSION_DENIED otherwise. */
function admit(
  request: FastifyRequest,
  principal: Principal,
  access: Exclude<ReturnType<typeof routeAccess>, 'public'>,
  pattern: string | undefined,
): void {
  if (!roleAllows(principal.role, access))
    throw new CairnError(
      'PERMISSION_DENIED',
      `${principal.name} has the ${principal.role} role; ${request.method} ${pattern ?? request.url.split('?')[0]} needs ${access}`,
      { details: { role: principal.role, required: access } },
    );
  principals.set(request, principal);
}
