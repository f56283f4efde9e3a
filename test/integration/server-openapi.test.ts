import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { ROLES, type Role } from '../../src/security/roles.ts';
import { API_ERROR_SCHEMA } from '../../src/server/api/openapi-schemas.ts';
import { authRoutesOf } from '../../src/server/auth/install-auth.ts';
import { routeAccess } from '../../src/server/auth/route-roles.ts';
import { createServer, type RouteModule } from '../../src/server/create-server.ts';
import { serverRouteModules } from '../../src/server/server-wiring.ts';
import { pythonGate } from '../support/services.ts';
import { tempDir } from '../support/tmp-dir.ts';
import { openVariant, type Variant, variants } from './server-harness.ts';

type Json = Record<string, unknown>;
type Operation = Json & { responses: Record<string, Json>; parameters?: Json[] };

const DOC_URL = '/api/v1/openapi.json';

interface Built {
  app: FastifyInstance;
  tokens: Record<Role, string>;
  close(): Promise<void>;
}

/** The real server (every route module of server-wiring.ts), with or without auth, plus `extra` API modules. */
async function build(options: { auth: boolean; extra?: RouteModule[] }): Promise<Built> {
  const opened = await openVariant(variants()[0] as Variant);
  const auth = opened.backends.auth;
  const modules = serverRouteModules(options.auth ? auth : undefined);
  modules.api.push(...(options.extra ?? []));
  const app = createServer(opened.backends.deps, options.auth ? { auth: { store: auth } } : {}, modules);
  await app.ready();
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) tokens[role] = (await auth.createToken({ role, name: `openapi-${role}` })).token;
  return {
    app,
    tokens,
    close: async () => {
      await app.close();
      await opened.close();
    },
  };
}

async function documentOf(server: Built): Promise<Json> {
  const res = await server.app.inject({
    method: 'GET',
    url: DOC_URL,
    headers: { authorization: `Bearer ${server.tokens.viewer}` },
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as Json;
}

/** `METHOD /path/{param}` of every operation in the document. */
function operationsOf(doc: Json): Map<string, Operation> {
  const ops = new Map<string, Operation>();
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Operation>>))
    for (const [method, op] of Object.entries(item)) ops.set(`${method.toUpperCase()} ${path}`, op);
  return ops;
}

/** The routes the server registered (auth's own list) that the document must describe, as `METHOD /path/{param}`. */
function registeredRoutes(app: FastifyInstance): Map<string, string> {
  const routes = authRoutesOf(app).filter(
    (r) => r.url.startsWith('/api/v1/') || r.url === '/healthz' || r.url === '/readyz',
  );
  const gets = new Set(routes.filter((r) => r.method === 'GET').map((r) => r.url));
  const keyed = new Map<string, string>();
  for (const r of routes) {
    // Fastify answers HEAD for every GET by itself; the document lists the GET.
    if (r.method === 'HEAD' && gets.has(r.url)) continue;
    keyed.set(`${r.method} ${r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`, r.url);
  }
  return keyed;
}

const ajv = new Ajv2020({ strict: false, allErrors: true });

/** Checks an answer against the schema the document gives for its status. */
function assertConforms(doc: Json, op: Operation, res: LightMyRequestResponse, where: string): void {
  let response = op.responses[String(res.statusCode)];
  assert.ok(response, `${where}: status ${res.statusCode} is not documented: ${res.body}`);
  const ref = response.$ref as string | undefined;
  if (ref)
    response = (doc.components as Json & { responses: Record<string, Json> }).responses[
      ref.split('/').pop() as string
    ] as Json;
  const content = (response.content as Record<string, { schema: Json }>)['application/json'];
  assert.ok(content, `${where}: no JSON content documented for ${res.statusCode}`);
  const schema = content.schema.$ref
    ? (((doc.components as Json).schemas as Json).Error as Json)
    : content.schema;
  const validate = ajv.compile(schema);
  assert.ok(validate(res.json()), `${where}: ${ajv.errorsText(validate.errors)}\n${res.body}`);
  assert.match(String(res.headers['content-type']), /^application\/json/);
}

describe('the OpenAPI document of /api/v1 (auth on)', () => {
  let server: Built;
  let doc: Json;
  before(async () => {
    server = await build({ auth: true });
    doc = await documentOf(server);
  });
  after(async () => {
    await server?.close();
  });

  it('is served to viewers as OpenAPI 3.1 JSON, and not to anonymous callers', async () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.equal((doc.info as Json).title, 'Cairn API');
    const anonymous = await server.app.inject({ method: 'GET', url: DOC_URL });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.json().code, 'UNAUTHENTICATED');
    const op = operationsOf(doc).get(`GET ${DOC_URL}`) as Operation;
    const res = await server.app.inject({
      method: 'GET',
      url: DOC_URL,
      headers: { authorization: `Bearer ${server.tokens.viewer}` },
    });
    assertConforms(doc, op, res, `GET ${DOC_URL}`);
    assert.deepEqual(res.json(), doc, 'the same document on every request');
  });

  it('lists exactly the routes registered under /api/v1, plus /healthz and /readyz', () => {
    const registered = registeredRoutes(server.app);
    const documented = operationsOf(doc);
    assert.deepEqual([...documented.keys()].sort(), [...registered.keys()].sort());
    for (const known of [
      'GET /api/v1/models/{name}/versions/{version}/lineage',
      `GET ${DOC_URL}`,
      'POST /api/v1/tokens',
      'GET /api/v1/tokens',
      'DELETE /api/v1/tokens/{id}',
      'POST /api/v1/users',
      'GET /api/v1/users',
      'GET /healthz',
      'GET /readyz',
    ])
      assert.ok(documented.has(known), `${known} is documented`);
    assert.ok(![...documented.keys()].some((k) => k.includes('/api/2.0/')), "MLflow's API is not described");
  });

  it('gives every operation a summary, a success response schema and the shared error responses', () => {
    const components = doc.components as Json & { responses: Record<string, Json>; schemas: Json };
    assert.deepEqual(components.schemas.Error, JSON.parse(JSON.stringify(API_ERROR_SCHEMA)));
    const ids = new Set<string>();
    for (const [key, op] of operationsOf(doc)) {
      assert.ok(typeof op.summary === 'string' && op.summary, `${key} has a summary`);
      assert.ok(!ids.has(op.operationId as string), `${key}: operationId ${op.operationId} is unique`);
      ids.add(op.operationId as string);
      const success = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
      assert.equal(success.length, 1, `${key} documents one success status`);
      const content = success[0]?.[1].content as Record<string, { schema: Json }> | undefined;
      // JSON, or a file download described by its media type.
      const schema = content?.['application/json']?.schema ?? content?.['*/*']?.schema;
      assert.ok(schema?.type, `${key} has a response schema for its success status (add it to the route)`);
      for (const status of ['400', '500']) assert.ok(op.responses[status], `${key} documents ${status}`);
      for (const [status, response] of Object.entries(op.responses)) {
        if (status.startsWith('2')) continue;
        const name = (response.$ref as string | undefined)?.replace('#/components/responses/', '');
        assert.ok(name && components.responses[name], `${key} ${status} refers to a shared error response`);
        assert.deepEqual(((components.responses[name].content as Json)['application/json'] as Json).schema, {
          $ref: '#/components/schemas/Error',
        });
      }
    }
  });

  it('takes security and the role each operation needs from ROUTE_ROLES', () => {
    const schemes = (doc.components as Json).securitySchemes as Record<string, Json>;
    assert.deepEqual(schemes.bearerAuth?.scheme, 'bearer');
    assert.deepEqual(schemes.basicAuth?.scheme, 'basic');
    const registered = registeredRoutes(server.app);
    for (const [key, op] of operationsOf(doc)) {
      const [method, url] = [key.split(' ')[0] as string, registered.get(key) as string];
      const access = routeAccess(method, url);
      assert.equal(op['x-cairn-role'], access, key);
      if (access === 'public') {
        assert.deepEqual(op.security, [], `${key} is open`);
        // Signing in is open to anyone, and answers wrong credentials with 401.
        if (key !== 'POST /api/v1/session') assert.equal(op.responses['401'], undefined, key);
        assert.match(op.description as string, /no credentials needed/);
        continue;
      }
      assert.deepEqual(op.security, [{ bearerAuth: [] }, { basicAuth: [] }], key);
      assert.ok(op.responses['401'], `${key} documents 401`);
      assert.equal(Boolean(op.responses['403']), access !== 'viewer', `${key}: 403 only above viewer`);
      assert.match(op.description as string, new RegExp(`Needs the \`${access}\` role`), key);
    }
    assert.equal(operationsOf(doc).get('POST /api/v1/tokens')?.['x-cairn-role'], 'admin');
    assert.equal(operationsOf(doc).get('GET /healthz')?.['x-cairn-role'], 'public');
  });

  it('answers what the document says, keeping every field and error detail', async () => {
    const ops = operationsOf(doc);
    const admin = { authorization: `Bearer ${server.tokens.admin}` };
    const call = async (key: string, url: string, payload?: Json) => {
      const method = key.split(' ')[0] as 'GET';
      const res = await server.app.inject({ method, url, headers: admin, ...(payload ? { payload } : {}) });
      assertConforms(doc, ops.get(key) as Operation, res, `${key} (${url})`);
      return res;
    };
    await call('GET /healthz', '/healthz');
    await call('GET /readyz', '/readyz');
    const created = (
      await call('POST /api/v1/tokens', '/api/v1/tokens', { role: 'viewer', name: 'ci' })
    ).json();
    assert.deepEqual(Object.keys(created).sort(), [
      'createdAt',
      'createdBy',
      'expiresAt',
      'id',
      'lastUsedAt',
      'name',
      'revokedAt',
      'role',
      'token',
    ]);
    assert.equal((await call('GET /api/v1/tokens', '/api/v1/tokens')).json().tokens.length, 4);
    const revoked = await call('DELETE /api/v1/tokens/{id}', `/api/v1/tokens/${created.id}`);
    assert.equal(typeof revoked.json().revokedAt, 'number');
    const missing = await call('DELETE /api/v1/tokens/{id}', '/api/v1/tokens/0123456789abcdef');
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json().details, { id: '0123456789abcdef' }, 'details survive serialization');
    const user = { name: 'ada', password: 'a long password', role: 'editor' };
    assert.equal((await call('POST /api/v1/users', '/api/v1/users', user)).statusCode, 201);
    const again = await call('POST /api/v1/users', '/api/v1/users', user);
    assert.equal(again.statusCode, 409);
    assert.deepEqual(again.json().details, { user: 'ada' });
    assert.equal((await call('GET /api/v1/users', '/api/v1/users')).json().users[0].name, 'ada');
    const bad = await call('POST /api/v1/users', '/api/v1/users', { ...user, name: 'a:b' });
    assert.equal(bad.json().code, 'INVALID_ARGUMENT');

    const lineageKey = 'GET /api/v1/models/{name}/versions/{version}/lineage';
    const headers = { authorization: `Bearer ${server.tokens.editor}` };
    const mlflow = (path: string, body: Json) =>
      server.app.inject({ method: 'POST', url: `/api/2.0/mlflow${path}`, headers, payload: body });
    const experiment = (await mlflow('/experiments/create', { name: 'openapi' })).json().experiment_id;
    const run = (await mlflow('/runs/create', { experiment_id: experiment })).json().run.info;
    const tags = [
      ['mlflow.source.git.commit', 'c0ffee'],
      ['cairn.stage.train.status', 'done'],
      ['cairn.stage.train.duration_ms', '12'],
    ].map(([key, value]) => ({ key, value }));
    assert.equal((await mlflow('/runs/log-batch', { run_id: run.run_id, tags })).statusCode, 200);
    await mlflow('/registered-models/create', { name: 'churn' });
    const version = await mlflow('/model-versions/create', {
      name: 'churn',
      source: `${run.artifact_uri}/model`,
      run_id: run.run_id,
    });
    assert.equal(version.statusCode, 200, version.body);
    const lineage = await call(lineageKey, '/api/v1/models/churn/versions/1/lineage?verify=true');
    assert.equal(lineage.statusCode, 200);
    assert.deepEqual(lineage.json().lock_entry, {
      stages: { train: { status: 'done', duration_ms: 12 } },
      outputs: {},
    });
    const absent = await call(lineageKey, '/api/v1/models/churn/versions/2/lineage');
    assert.equal(absent.statusCode, 404);
    assert.deepEqual(absent.json().details, { name: 'churn', version: '2' });
    assert.equal((await call(lineageKey, '/api/v1/models/churn/versions/x/lineage')).statusCode, 400);
  });
});

describe('the OpenAPI document follows the routes the server registers', () => {
  it('describes a route a new module adds, from that route’s own schemas', async () => {
    const widget = { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } as const;
    const params = { type: 'object', properties: { id: { type: 'string', pattern: '^w[0-9]+$' } } } as const;
    const extra: RouteModule = (app) => {
      app.get('/widgets/:id', { schema: { params, response: { 200: widget } } }, async () => ({ id: 'w1' }));
      app.post('/widgets', { schema: { body: widget, response: { 201: widget } } }, async () => ({
        id: 'w1',
      }));
    };
    const server = await build({ auth: true, extra: [extra] });
    try {
      const ops = operationsOf(await documentOf(server));
      const get = ops.get('GET /api/v1/widgets/{id}');
      assert.ok(get, 'the new GET is documented');
      assert.deepEqual(get.parameters, [
        { name: 'id', in: 'path', required: true, schema: params.properties.id },
      ]);
      assert.deepEqual(((get.responses['200'] as Json).content as Json)['application/json'], {
        schema: widget,
      });
      assert.equal(get['x-cairn-role'], 'viewer');
      const create = ops.get('POST /api/v1/widgets') as Operation;
      assert.deepEqual(create.requestBody, {
        required: true,
        content: { 'application/json': { schema: widget } },
      });
      assert.equal(create['x-cairn-role'], 'editor');
      assert.ok(create.responses['413'] && create.responses['403']);
      assert.deepEqual([...ops.keys()].sort(), [...registeredRoutes(server.app).keys()].sort());
    } finally {
      await server.close();
    }
  });

  it('describes a server without authentication: no security, no 401 or 403, no credential routes', async () => {
    const server = await build({ auth: false });
    try {
      const res = await server.app.inject({ method: 'GET', url: DOC_URL });
      assert.equal(res.statusCode, 200);
      const doc = res.json() as Json;
      assert.match((doc.info as Json).description as string, /without authentication/);
      const ops = operationsOf(doc);
      assert.ok(ops.has('GET /api/v1/models/{name}/versions/{version}/lineage'));
      assert.ok(![...ops.keys()].some((k) => k.includes('/tokens') || k.includes('/users')));
      for (const [key, op] of ops) {
        assert.equal(op.security, undefined, key);
        assert.equal(op.responses['401'] ?? op.responses['403'], undefined, key);
        if (op['x-cairn-role'] !== 'public')
          assert.match(op.description as string, /when authentication is on/);
      }
    } finally {
      await server.close();
    }
  });
});

const python = pythonGate();

describe('the OpenAPI document against the official OpenAPI 3.1 schema', { skip: python.skip }, () => {
  /** Runs openapi-spec-validator (the OpenAPI Initiative's JSON Schema for 3.1, plus its semantic checks). */
  async function validate(doc: unknown): Promise<{ ok: boolean; output: string }> {
    const file = join(await tempDir('cairn-openapi-'), 'openapi.json');
    await writeFile(file, JSON.stringify(doc));
    const r = spawnSync(
      python.value as string,
      [
        '-c',
        [
          'import json, sys',
          'from openapi_spec_validator import validate',
          'from openapi_spec_validator.versions.shortcuts import get_spec_version',
          'spec = json.load(open(sys.argv[1]))',
          'print(get_spec_version(spec))',
          'validate(spec)',
        ].join('\n'),
        file,
      ],
      { encoding: 'utf8' },
    );
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
  }

  it('validates, with and without authentication', async () => {
    for (const auth of [true, false]) {
      const server = await build({ auth });
      try {
        const result = await validate(await documentOf(server));
        assert.ok(result.ok, `auth ${auth}: ${result.output}`);
        assert.match(result.output, /OpenAPIV31|3\.1/);
      } finally {
        await server.close();
      }
    }
  });

  it('is checked for real: a broken document is refused', async () => {
    const server = await build({ auth: true });
    try {
      const doc = await documentOf(server);
      const lineage = (doc.paths as Record<string, Record<string, Operation>>)[
        '/api/v1/models/{name}/versions/{version}/lineage'
      ]?.get as Operation;
      lineage.parameters = lineage.parameters?.filter((p) => p.name !== 'version');
      const result = await validate(doc);
      assert.ok(!result.ok, 'a path parameter without its declaration must be refused');
      assert.match(result.output, /version/);
    } finally {
      await server.close();
    }
  });
});
