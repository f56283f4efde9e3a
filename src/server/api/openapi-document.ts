import { ROLES } from '../../security/roles.ts';
import { type Access, routeAccess } from '../auth/route-roles.ts';
import { API_ERROR_SCHEMA } from './openapi-schemas.ts';

type JsonSchema = Readonly<Record<string, unknown>>;
type Json = Record<string, unknown>;

/** The parts of a Fastify route schema the document is made from. */
export interface RouteSchema {
  summary?: string;
  description?: string;
  tags?: readonly string[];
  operationId?: string;
  deprecated?: boolean;
  params?: JsonSchema;
  querystring?: JsonSchema;
  headers?: JsonSchema;
  body?: JsonSchema;
  /** By status code (`200`, `'4xx'`, `'default'`). */
  response?: Readonly<Record<string, JsonSchema>>;
}

/** A route as Fastify registered it. */
export interface DescribedRoute {
  method: string;
  /** Fastify's pattern, prefix included: `/api/v1/tokens/:id`. */
  url: string;
  schema?: RouteSchema;
}

export interface OpenApiOptions {
  /** Whether the server checks credentials: then operations carry `security` and 401/403. */
  auth: boolean;
  /** The server's version, for `info.version`. */
  version: string;
}

/** Which routes the document describes: Cairn's own API and the health probes, not MLflow's. */
export function isDocumentedUrl(url: string): boolean {
  return url.startsWith('/api/v1/') || url === '/healthz' || url === '/readyz';
}

/** `/api/v1/tokens/:id` → `/api/v1/tokens/{id}` (a regex constraint `:id(^\d+$)` is dropped). */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)(\([^)]*\))?/g, '{$1}').replace(/\*/g, '{*}');
}

const ERROR_RESPONSES: Record<string, string> = {
  '400': 'the request does not match the operation (body, parameters) or is malformed',
  '401': 'no valid credentials: none, malformed, unknown, wrong, expired or revoked',
  '403': "valid credentials whose role is below the operation's",
  '404': 'the named thing does not exist',
  '409': 'the thing to create exists already, or another operation holds it',
  '413': 'the request body is larger than the server accepts',
  '500': 'an unexpected failure (logged by the server; the body has no internals)',
  '503': 'a backing store is not reachable, or the server is stopping',
};

const SUCCESS_TEXT: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted' };
const METHOD_ORDER = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const SECURED = [{ bearerAuth: [] }, { basicAuth: [] }];

/**
 * Builds the OpenAPI 3.1 document of `routes` (those isDocumentedUrl accepts) from their own
 * JSON schemas: path, query and header parameters, the JSON body, and a response per status.
 * Error statuses refer to one shared response per status whose body is API_ERROR_SCHEMA; every
 * operation may answer 400 and 500, one with a body 413. Who may call an operation comes from
 * ROUTE_ROLES: its role is in the description and in `x-cairn-role`, and with `auth` a
 * non-public operation takes a bearer token or HTTP Basic and may answer 401 (and 403 when it
 * needs more than the weakest role). A HEAD route Fastify added beside a GET is left out.
 */
export function buildOpenApiDocument(routes: readonly DescribedRoute[], options: OpenApiOptions): Json {
  const documented = routes.filter((r) => isDocumentedUrl(r.url));
  const gets = new Set(documented.filter((r) => r.method === 'GET').map((r) => r.url));
  const paths: Record<string, Record<string, Json>> = {};
  const usedErrors = new Set<string>();
  const tags = new Set<string>();
  for (const route of documented) {
    if (route.method === 'HEAD' && gets.has(route.url)) continue;
    const path = openApiPath(route.url);
    const operation = operationOf(route, path, options);
    for (const [status, response] of Object.entries(operation.responses as Json))
      if ((response as Json).$ref) usedErrors.add(status);
    for (const tag of (operation.tags as string[] | undefined) ?? []) tags.add(tag);
    paths[path] ??= {};
    (paths[path] as Record<string, Json>)[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Cairn API',
      version: options.version,
      description:
        "Cairn's own API, under /api/v1, and the health probes. MLflow's REST API, served by the same " +
        'server under /api/2.0/mlflow, is not described here. Errors answer `{code, message, details?}` ' +
        'with the matching HTTP status. ' +
        (options.auth
          ? 'Authentication is on: send a Cairn token as `Authorization: Bearer <token>` or a user name and ' +
            'password with HTTP Basic; each operation names the role it needs.'
          : 'This server runs without authentication; each operation names the role it needs when ' +
            'authentication is on.'),
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    tags: [...tags].sort().map((name) => ({ name })),
    paths: Object.fromEntries(
      Object.keys(paths)
        .sort()
        .map((p) => [p, sortMethods(paths[p] as Record<string, Json>)]),
    ),
    components: {
      schemas: { Error: clone(API_ERROR_SCHEMA) },
      responses: Object.fromEntries([...usedErrors].sort().map((s) => [errorName(s), errorResponse(s)])),
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'A Cairn token, `cairn_<id>_<secret>` (`cairn token create`, `POST /api/v1/tokens`).',
        },
        basicAuth: { type: 'http', scheme: 'basic', description: 'A Cairn user name and password.' },
      },
    },
  };
}

function operationOf(route: DescribedRoute, path: string, options: OpenApiOptions): Json {
  const schema = route.schema ?? {};
  const access = routeAccess(route.method, route.url);
  const parameters = [
    ...pathParameters(path, schema.params),
    ...objectParameters('query', schema.querystring),
    ...objectParameters('header', schema.headers),
  ];
  const responses: Json = {};
  const errors = new Set(['400', '500']);
  if (schema.body) errors.add('413');
  if (options.auth && access !== 'public') {
    errors.add('401');
    if (access !== ROLES[0]) errors.add('403');
  }
  const own: Json = {};
  for (const [code, body] of Object.entries(schema.response ?? {})) {
    const status = /^[1-5]xx$/i.test(code) ? code.toUpperCase() : code;
    if (!/^[45]/.test(status)) responses[status] = successResponse(status, body);
    else if (body === API_ERROR_SCHEMA) errors.add(status);
    else own[status] = { ...successResponse(status, body), description: ERROR_RESPONSES[status] ?? 'error' };
  }
  if (!Object.keys(responses).some((s) => s.startsWith('2'))) responses['200'] = { description: 'OK' };
  for (const status of [...errors].sort())
    responses[status] = { $ref: `#/components/responses/${errorName(status)}` };
  Object.assign(responses, own);
  return {
    ...(schema.tags?.length ? { tags: [...schema.tags] } : {}),
    ...(schema.summary ? { summary: schema.summary } : {}),
    description: [schema.description, roleText(access, options.auth)].filter(Boolean).join('\n\n'),
    operationId: schema.operationId ?? operationId(route.method, path),
    ...(parameters.length ? { parameters } : {}),
    ...(schema.body
      ? {
          requestBody: {
            required: true,
            ...(typeof schema.body.description === 'string' ? { description: schema.body.description } : {}),
            content: { 'application/json': { schema: clone(schema.body) } },
          },
        }
      : {}),
    responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b))),
    ...(options.auth ? { security: access === 'public' ? [] : SECURED } : {}),
    ...(schema.deprecated ? { deprecated: true } : {}),
    'x-cairn-role': access,
  };
}

function roleText(access: Access, auth: boolean): string {
  if (access === 'public') return 'Open to anyone: no credentials needed.';
  const higher = ROLES.slice(ROLES.indexOf(access) + 1);
  const who = `the \`${access}\` role${higher.length ? ` (or ${higher.map((r) => `\`${r}\``).join(', ')})` : ''}`;
  return auth ? `Needs ${who}.` : `Needs ${who} when authentication is on (it is off on this server).`;
}

function successResponse(status: string, body: JsonSchema): Json {
  const description =
    typeof body.description === 'string' ? body.description : (SUCCESS_TEXT[status] ?? 'Success');
  if (status === '204') return { description };
  // A file download (a string schema with a contentMediaType) answers its file's own type.
  if (typeof body.contentMediaType === 'string')
    return {
      description,
      content: { '*/*': { schema: { type: 'string', contentMediaType: body.contentMediaType } } },
    };
  return { description, content: { 'application/json': { schema: clone(body) } } };
}

/** Every `{name}` of the path, described by the route's params schema where it has one. */
function pathParameters(path: string, params: JsonSchema | undefined): Json[] {
  const properties = (params?.properties ?? {}) as Record<string, JsonSchema>;
  return [...path.matchAll(/\{([^}]+)\}/g)].map(([, name]) =>
    parameter(name as string, 'path', true, properties[name as string] ?? { type: 'string' }),
  );
}

function objectParameters(where: 'query' | 'header', schema: JsonSchema | undefined): Json[] {
  const properties = (schema?.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema?.required ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => parameter(name, where, required.has(name), s));
}

function parameter(name: string, where: string, required: boolean, schema: JsonSchema): Json {
  return {
    name,
    in: where,
    required,
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
    schema: clone(schema),
  };
}

function errorResponse(status: string): Json {
  return {
    description: ERROR_RESPONSES[status] ?? `error ${status}`,
    ...(status === '401'
      ? {
          headers: {
            'WWW-Authenticate': {
              description:
                'The schemes the server accepts: `Bearer realm="cairn", Basic realm="cairn", charset="UTF-8"`.',
              schema: { type: 'string' },
            },
          },
        }
      : {}),
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
}

const ERROR_NAMES: Record<string, string> = {
  '400': 'BadRequest',
  '401': 'Unauthorized',
  '403': 'Forbidden',
  '404': 'NotFound',
  '409': 'Conflict',
  '413': 'PayloadTooLarge',
  '500': 'InternalError',
  '503': 'Unavailable',
};

function errorName(status: string): string {
  return ERROR_NAMES[status] ?? `Error${status}`;
}

/** `GET /api/v1/tokens/{id}` → `getTokensById`. */
function operationId(method: string, path: string): string {
  const words = path
    .replace(/^\/api\/v1\//, '/')
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      const param = /^\{(.+)\}$/.exec(segment)?.[1];
      return (param ? `by-${param}` : segment).replace(/[^A-Za-z0-9]+/g, '-');
    })
    .flatMap((s) => s.split('-'))
    .filter(Boolean);
  return method.toLowerCase() + words.map((w) => (w[0] as string).toUpperCase() + w.slice(1)).join('');
}

function sortMethods(operations: Record<string, Json>): Record<string, Json> {
  return Object.fromEntries(
    Object.entries(operations).sort(([a], [b]) => METHOD_ORDER.indexOf(a) - METHOD_ORDER.indexOf(b)),
  );
}

/** A plain-JSON copy, so the document never shares (or lets anyone change) a route's schema. */
function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
