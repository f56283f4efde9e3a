import type { FastifyInstance } from 'fastify';
import type { AuthStore, TokenInfo, User } from '../../security/auth-store.ts';
import { parseDuration } from '../../security/duration.ts';
import { ROLES, type Role } from '../../security/roles.ts';
import type { RouteModule } from '../create-server.ts';
import { principalOf } from './install-auth.ts';

const role = { type: 'string', enum: [...ROLES] } as const;
const nullableInt = { type: ['integer', 'null'] } as const;
const tokenInfo = {
  type: 'object',
  properties: {
    id: { type: 'string' },
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
  properties: {
    name: { type: 'string' },
    role,
    createdAt: { type: 'integer' },
    updatedAt: { type: 'integer' },
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
      {
        schema: {
          body: {
            type: 'object',
            required: ['role'],
            additionalProperties: false,
            properties: {
              role,
              name: { type: 'string', minLength: 1, maxLength: 100 },
              expiresIn: { type: 'string', pattern: '^[0-9]+[mhdw]$' },
            },
          },
          response: {
            201: { ...tokenInfo, properties: { ...tokenInfo.properties, token: { type: 'string' } } },
          },
        },
      },
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
      {
        schema: {
          response: { 200: { type: 'object', properties: { tokens: { type: 'array', items: tokenInfo } } } },
        },
      },
      async (): Promise<{ tokens: TokenInfo[] }> => ({ tokens: await store.listTokens() }),
    );
    app.delete<{ Params: { id: string } }>(
      '/tokens/:id',
      {
        schema: {
          params: {
            type: 'object',
            required: ['id'],
            properties: { id: { type: 'string', pattern: '^[0-9a-f]{16}$' } },
          },
          response: { 200: tokenInfo },
        },
      },
      async (request): Promise<TokenInfo> => store.revokeToken(request.params.id),
    );
    app.post<{ Body: CreateUserBody }>(
      '/users',
      {
        schema: {
          body: {
            type: 'object',
            required: ['name', 'password', 'role'],
            additionalProperties: false,
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 128 },
              password: { type: 'string', minLength: 8, maxLength: 1024 },
              role,
            },
          },
          response: { 201: user },
        },
      },
      async (request, reply) => reply.status(201).send(await store.createUser(request.body)),
    );
    app.get(
      '/users',
      {
        schema: {
          response: { 200: { type: 'object', properties: { users: { type: 'array', items: user } } } },
        },
      },
      async (): Promise<{ users: User[] }> => ({ users: await store.listUsers() }),
    );
  };
}
