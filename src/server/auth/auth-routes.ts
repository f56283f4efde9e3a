import type { FastifyInstance } from 'fastify';
import type { AuthStore, TokenInfo, User } from '../../security/auth-store.ts';
import { parseDuration } from '../../security/duration.ts';
import { ROLES, type Role } from '../../security/roles.ts';
import { API_ERROR_SCHEMA } from '../api/openapi-schemas.ts';
import type { RouteModule } from '../create-server.ts';
import { principalOf } from './install-auth.ts';

const role = { type: 'string', enum: [...ROLES] } as const;
const nullableInt = { type: ['integer', 'null'] } as const;
const tokenInfo = {
  type: 'object',
  description: 'A token as listed: everything but its secret. Times are milliseconds since the epoch.',
  required: ['id', 'role', 'name', 'createdBy', 'createdAt', 'expiresAt', 'revokedAt', 'lastUsedAt'],
  properties: {
    id: { type: 'string', description: '16 hex digits; not secret' },
    role,
    name: { type: ['string', 'null'] },
    createdBy: { type: ['string', 'null'] },
    createdAt: { type: 'integer' },
    expiresAt: nullableInt,
    revokedAt: nullableInt,
    lastUsedAt: nullableInt,
  },
} as const;
const user = {
  type: 'object',
  description: 'A user (never the password). Times are milliseconds since the epoch.',
  required: ['name', 'role', 'createdAt', 'updatedAt'],
  properties: {
    name: { type: 'string' },
    role,
    createdAt: { type: 'integer' },
    updatedAt: { type: 'integer' },
  },
} as const;

/** The routes' schemas: validation, serialization and the OpenAPI document. */
const AUTH_ROUTE_SCHEMAS = {
  createToken: {
    operationId: 'createToken',
    tags: ['auth'],
    summary: 'Create a token',
    description:
      'Issues a token with the given role; the answer carries the plaintext `token`, shown this once ' +
      '(only a hash is stored). `expiresIn` is a lifetime such as `30d`; without it the token lasts until revoked.',
    body: {
      type: 'object',
      required: ['role'],
      additionalProperties: false,
      properties: {
        role,
        name: { type: 'string', minLength: 1, maxLength: 100 },
        expiresIn: {
          type: 'string',
          pattern: '^[0-9]+[mhdw]$',
          description: 'minutes, hours, days or weeks (15m, 12h, 30d, 4w); at most 10 years',
        },
      },
    },
    response: {
      201: {
        ...tokenInfo,
        description: 'The new token, with its plaintext (`cairn_<id>_<secret>`) this once.',
        required: [...tokenInfo.required, 'token'],
        properties: { ...tokenInfo.properties, token: { type: 'string' } },
      },
    },
  },
  listTokens: {
    operationId: 'listTokens',
    tags: ['auth'],
    summary: 'List tokens',
    description: 'Every token, revoked and expired ones included, without secrets.',
    response: {
      200: {
        type: 'object',
        required: ['tokens'],
        properties: { tokens: { type: 'array', items: tokenInfo } },
      },
    },
  },
  revokeToken: {
    operationId: 'revokeToken',
    tags: ['auth'],
    summary: 'Revoke a token',
    description: 'Revokes the token at once (revoking it again changes nothing) and answers it.',
    params: {
      type: 'object',
      required: ['id'],
      properties: { id: { type: 'string', pattern: '^[0-9a-f]{16}$', description: "the token's id" } },
    },
    response: { 200: { ...tokenInfo, description: 'The revoked token.' }, 404: API_ERROR_SCHEMA },
  },
  createUser: {
    operationId: 'createUser',
    tags: ['auth'],
    summary: 'Create a user',
    description: 'Adds a user who signs in with HTTP Basic; the password is stored only as a scrypt hash.',
    body: {
      type: 'object',
      required: ['name', 'password', 'role'],
      additionalProperties: false,
      properties: {
        name: {
          type: 'string',
          pattern: '^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$',
          description: 'letters, digits and . _ @ + -, starting with a letter or digit',
        },
        password: { type: 'string', minLength: 8, maxLength: 1024 },
        role,
      },
    },
    response: { 201: { ...user, description: 'The new user.' }, 409: API_ERROR_SCHEMA },
  },
  listUsers: {
    operationId: 'listUsers',
    tags: ['auth'],
    summary: 'List users',
    description: 'Every user, without passwords.',
    response: {
      200: {
        type: 'object',
        required: ['users'],
        properties: { users: { type: 'array', items: user } },
      },
    },
  },
} as const;

interface CreateTokenBody {
  role: Role;
  name?: string;
  /** A lifetime such as `30d`; without it the token lasts until revoked. */
  expiresIn?: string;
}

interface CreateUserBody {
  name: string;
  password: string;
  role: Role;
}

/**
 * Cairn's API for managing credentials, mounted under /api/v1 (admins only, per ROUTE_ROLES):
 * POST /tokens → 201 `{ token, ...TokenInfo }` (the plaintext once), GET /tokens, DELETE
 * /tokens/:id (revoke), POST /users → 201, GET /users. Register it only when auth is on.
 */
export function authApiRoutes(store: AuthStore): RouteModule {
  return (app: FastifyInstance) => {
    app.post<{ Body: CreateTokenBody }>(
      '/tokens',
      { schema: AUTH_ROUTE_SCHEMAS.createToken },
      async (request, reply) => {
        const { role: wanted, name, expiresIn } = request.body;
        const issuer = principalOf(request);
        const created = await store.createToken({
          role: wanted,
          ...(name !== undefined ? { name } : {}),
          ...(expiresIn !== undefined ? { expiresInMs: parseDuration(expiresIn) } : {}),
          ...(issuer ? { createdBy: issuer.name } : {}),
        });
        return reply.status(201).send({ token: created.token, ...created.info });
      },
    );
    app.get(
      '/tokens',
      { schema: AUTH_ROUTE_SCHEMAS.listTokens },
      async (): Promise<{ tokens: TokenInfo[] }> => ({ tokens: await store.listTokens() }),
    );
    app.delete<{ Params: { id: string } }>(
      '/tokens/:id',
      { schema: AUTH_ROUTE_SCHEMAS.revokeToken },
      async (request): Promise<TokenInfo> => store.revokeToken(request.params.id),
    );
    app.post<{ Body: CreateUserBody }>(
      '/users',
      { schema: AUTH_ROUTE_SCHEMAS.createUser },
      async (request, reply) => reply.status(201).send(await store.createUser(request.body)),
    );
    app.get(
      '/users',
      { schema: AUTH_ROUTE_SCHEMAS.listUsers },
      async (): Promise<{ users: User[] }> => ({ users: await store.listUsers() }),
    );
  };
}
