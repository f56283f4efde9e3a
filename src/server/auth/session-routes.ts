import type { FastifyRequest } from 'fastify';
import { CairnError, errors, isCairnError } from '../../kernel/errors.ts';
import { type Principal, ROLES } from '../../security/roles.ts';
import type { SessionStore } from '../../security/session-store.ts';
import { API_ERROR_SCHEMA } from '../api/openapi-schemas.ts';
import type { RouteModule } from '../create-server.ts';
import { parseAuthorization } from './credentials.ts';
import type { ServerAuth } from './install-auth.ts';
import {
  CSRF_HEADER,
  clearedSessionCookie,
  readSessionCookie,
  SAFE_METHODS,
  sessionSetCookie,
} from './session-cookie.ts';

const sessionState = {
  type: 'object',
  description:
    'Who the browser acts as. `role` is what the caller may do: with authentication off, everything (`admin`).',
  required: ['auth_enabled', 'signed_in', 'role'],
  properties: {
    auth_enabled: { type: 'boolean', description: 'whether the server requires credentials' },
    signed_in: { type: 'boolean', description: 'whether the request carried valid credentials' },
    name: { type: 'string', description: 'the user name, or `token:<name>`' },
    kind: { type: 'string', enum: ['user', 'token'] },
    role: { type: ['string', 'null'], enum: [...ROLES, null] },
    csrf_token: {
      type: 'string',
      description: 'with a session cookie: send it as `X-CSRF-Token` on every request that writes',
    },
    expires_at: { type: 'integer', description: 'when the session ends, in milliseconds since the epoch' },
  },
} as const;

/** The routes' schemas: validation, serialization and the OpenAPI document. */
const SESSION_ROUTE_SCHEMAS = {
  get: {
    operationId: 'getSession',
    tags: ['session'],
    summary: 'Who am I',
    description:
      'Whether authentication is on and who the request acts as (session cookie or Authorization header). ' +
      'Never 401: a caller without credentials gets `signed_in: false`.',
    response: { 200: sessionState },
  },
  signIn: {
    operationId: 'signIn',
    tags: ['session'],
    summary: 'Sign in (web UI)',
    description:
      'Checks a user name and password, or a token, and starts a session: the answer sets the ' +
      '`cairn_session` cookie (HttpOnly, SameSite=Strict; Secure over HTTPS) and carries the CSRF token ' +
      'that requests writing with that cookie must send as `X-CSRF-Token`. 412 when authentication is off.',
    body: {
      type: 'object',
      additionalProperties: false,
      properties: {
        username: { type: 'string', minLength: 1, maxLength: 128 },
        password: { type: 'string', minLength: 1, maxLength: 1024 },
        token: { type: 'string', minLength: 1, maxLength: 200 },
      },
    },
    response: { 201: sessionState, 401: API_ERROR_SCHEMA, 412: API_ERROR_SCHEMA },
  },
  signOut: {
    operationId: 'signOut',
    tags: ['session'],
    summary: 'Sign out (web UI)',
    description:
      'Ends the session of the cookie (which needs its `X-CSRF-Token`) and clears the cookie. Without a session it changes nothing.',
    response: { 200: sessionState, 403: API_ERROR_SCHEMA },
  },
} as const;

interface SignInBody {
  username?: string;
  password?: string;
  token?: string;
}

const OFF = { auth_enabled: false, signed_in: false, role: 'admin' } as const;
const ANONYMOUS = { auth_enabled: true, signed_in: false, role: null } as const;

function describe(principal: Principal) {
  return {
    auth_enabled: true,
    signed_in: true,
    name: principal.name,
    kind: principal.kind,
    role: principal.role,
  };
}

/**
 * The web UI's sign-in, under /api/v1 and open to anyone (ROUTE_ROLES): `GET /session` (who am
 * I), `POST /session` (sign in with `{username, password}` or `{token}`: 201 and the session
 * cookie), `DELETE /session` (sign out). Credentials are checked by the server's ServerAuth;
 * without authentication every caller may do everything, and there is nothing to sign in to.
 */
export const sessionRoutes: RouteModule = (app, _deps, options) => {
  const auth = options.auth;
  // Without authentication no sign-in is refused for its credentials: no 401 to document.
  const signInSchema = auth
    ? SESSION_ROUTE_SCHEMAS.signIn
    : { ...SESSION_ROUTE_SCHEMAS.signIn, response: { 201: sessionState, 412: API_ERROR_SCHEMA } };
  const signOutSchema = auth
    ? SESSION_ROUTE_SCHEMAS.signOut
    : { ...SESSION_ROUTE_SCHEMAS.signOut, response: { 200: sessionState } };
  app.get('/session', { schema: SESSION_ROUTE_SCHEMAS.get }, async (request) => {
    if (!auth) return OFF;
    const cookie = readSessionCookie(request.headers.cookie);
    const credentials = parseAuthorization(request.headers.authorization);
    try {
      if (credentials.kind === 'bearer') return describe(await auth.store.verifyBearer(credentials.token));
      if (credentials.kind === 'basic')
        return describe(await auth.store.verifyBasic(credentials.user, credentials.password));
      if (credentials.kind === 'none' && cookie !== undefined && auth.sessions) {
        const session = await auth.sessions.verify(cookie);
        return {
          ...describe(session.principal),
          csrf_token: session.csrfToken,
          expires_at: session.expiresAt,
        };
      }
    } catch (err) {
      if (!(isCairnError(err) && err.code === 'UNAUTHENTICATED')) throw err;
    }
    return ANONYMOUS;
  });

  app.post<{ Body: SignInBody }>('/session', { schema: signInSchema }, async (request, reply) => {
    if (!auth)
      throw errors.precondition('authentication is off on this server: there is nothing to sign in to');
    if (!auth.sessions)
      throw errors.precondition('this server keeps no web sessions: send a token or HTTP Basic credentials');
    const principal = await check(auth, request.body);
    const { id, session } = await auth.sessions.create(principal);
    const maxAge = Math.floor((session.expiresAt - Date.now()) / 1000);
    reply.header('set-cookie', sessionSetCookie(id, maxAge, isHttps(request)));
    return reply.status(201).send({
      ...describe(principal),
      csrf_token: session.csrfToken,
      expires_at: session.expiresAt,
    });
  });

  app.delete('/session', { schema: signOutSchema }, async (request, reply) => {
    if (!auth) return OFF;
    const cookie = readSessionCookie(request.headers.cookie);
    if (cookie !== undefined && auth.sessions) await endSession(auth.sessions, cookie, request);
    reply.header('set-cookie', clearedSessionCookie(isHttps(request)));
    return ANONYMOUS;
  });
};

async function check(auth: ServerAuth, body: SignInBody): Promise<Principal> {
  const { username, password, token } = body;
  if (token !== undefined && username === undefined && password === undefined)
    return auth.store.verifyBearer(token);
  if (token === undefined && username !== undefined && password !== undefined)
    return auth.store.verifyBasic(username, password);
  throw errors.invalid('sign in with either "username" and "password", or "token"');
}

/** Ends the cookie's session: a writing request, so it needs the session's CSRF token. */
async function endSession(
  sessions: Pick<SessionStore, 'verify' | 'end'>,
  cookie: string,
  request: FastifyRequest,
): Promise<void> {
  let csrf: string;
  try {
    csrf = (await sessions.verify(cookie)).csrfToken;
  } catch (err) {
    if (isCairnError(err) && err.code === 'UNAUTHENTICATED') return;
    throw err;
  }
  if (!SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== csrf)
    throw new CairnError(
      'PERMISSION_DENIED',
      'signing out needs the session\u2019s CSRF token in X-CSRF-Token',
    );
  await sessions.end(cookie);
}

function isHttps(request: FastifyRequest): boolean {
  return request.protocol === 'https';
}
