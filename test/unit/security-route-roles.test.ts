import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  type Access,
  expandRulePath,
  matchingRule,
  ROUTE_ROLES,
  routeAccess,
} from '../../src/server/auth/route-roles.ts';

const MLFLOW = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'];
const ARTIFACTS = ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts'];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** MLflow's REST endpoints (MLflow 2.x/3.x server) and who may call each. */
const MLFLOW_ENDPOINTS: [string, string, Access][] = [
  ['POST', 'experiments/create', 'editor'],
  ['GET', 'experiments/get', 'viewer'],
  ['GET', 'experiments/get-by-name', 'viewer'],
  ['GET', 'experiments/search', 'viewer'],
  ['POST', 'experiments/search', 'viewer'],
  ['POST', 'experiments/search-datasets', 'viewer'],
  ['POST', 'experiments/update', 'editor'],
  ['POST', 'experiments/delete', 'editor'],
  ['POST', 'experiments/restore', 'editor'],
  ['POST', 'experiments/set-experiment-tag', 'editor'],
  ['POST', 'runs/create', 'editor'],
  ['GET', 'runs/get', 'viewer'],
  ['POST', 'runs/search', 'viewer'],
  ['POST', 'runs/update', 'editor'],
  ['POST', 'runs/delete', 'editor'],
  ['POST', 'runs/restore', 'editor'],
  ['POST', 'runs/log-metric', 'editor'],
  ['POST', 'runs/log-parameter', 'editor'],
  ['POST', 'runs/log-batch', 'editor'],
  ['POST', 'runs/log-model', 'editor'],
  ['POST', 'runs/log-inputs', 'editor'],
  ['POST', 'runs/set-tag', 'editor'],
  ['POST', 'runs/delete-tag', 'editor'],
  ['GET', 'metrics/get-history', 'viewer'],
  ['GET', 'metrics/get-history-bulk-interval', 'viewer'],
  ['POST', 'metrics/get-history-bulk-interval', 'viewer'],
  ['GET', 'artifacts/list', 'viewer'],
  ['POST', 'registered-models/create', 'editor'],
  ['GET', 'registered-models/get', 'viewer'],
  ['GET', 'registered-models/search', 'viewer'],
  ['POST', 'registered-models/search', 'viewer'],
  ['POST', 'registered-models/rename', 'editor'],
  ['PATCH', 'registered-models/update', 'editor'],
  ['DELETE', 'registered-models/delete', 'editor'],
  ['GET', 'registered-models/get-latest-versions', 'viewer'],
  ['POST', 'registered-models/get-latest-versions', 'viewer'],
  ['POST', 'registered-models/set-tag', 'editor'],
  ['DELETE', 'registered-models/delete-tag', 'editor'],
  ['POST', 'registered-models/alias', 'editor'],
  ['DELETE', 'registered-models/alias', 'editor'],
  ['GET', 'registered-models/alias', 'viewer'],
  ['POST', 'model-versions/create', 'editor'],
  ['GET', 'model-versions/get', 'viewer'],
  ['GET', 'model-versions/search', 'viewer'],
  ['POST', 'model-versions/search', 'viewer'],
  ['PATCH', 'model-versions/update', 'editor'],
  ['DELETE', 'model-versions/delete', 'editor'],
  ['GET', 'model-versions/get-download-uri', 'viewer'],
  ['POST', 'model-versions/transition-stage', 'editor'],
  ['POST', 'model-versions/set-tag', 'editor'],
  ['DELETE', 'model-versions/delete-tag', 'editor'],
  ['POST', 'logged-models/search', 'viewer'],
  ['POST', 'users/create', 'admin'],
  ['PATCH', 'users/update-password', 'admin'],
  ['GET', 'users/get', 'admin'],
  ['POST', 'experiments/permissions/create', 'admin'],
  ['GET', 'experiments/permissions/get', 'admin'],
  ['DELETE', 'registered-models/permissions/delete', 'admin'],
];

describe('route roles', () => {
  it("gives each MLflow endpoint the role MLflow's semantics call for, under both prefixes", () => {
    for (const prefix of MLFLOW)
      for (const [method, endpoint, access] of MLFLOW_ENDPOINTS)
        assert.equal(routeAccess(method, `${prefix}/${endpoint}`), access, `${method} ${prefix}/${endpoint}`);
  });

  it('lets viewers download artifacts and editors upload and delete them', () => {
    for (const prefix of ARTIFACTS) {
      for (const url of [`${prefix}/artifacts`, `${prefix}/artifacts/*`]) {
        assert.equal(routeAccess('GET', url), 'viewer');
        assert.equal(routeAccess('HEAD', url), 'viewer');
      }
      assert.equal(routeAccess('PUT', `${prefix}/artifacts/*`), 'editor');
      assert.equal(routeAccess('DELETE', `${prefix}/artifacts/*`), 'editor');
      assert.equal(routeAccess('POST', `${prefix}/mpu/create/*`), 'editor');
    }
  });

  it("keeps Cairn's API readable by viewers, writable by editors, and users and tokens to admins", () => {
    assert.equal(routeAccess('GET', '/api/v1/deployments'), 'viewer');
    assert.equal(routeAccess('POST', '/api/v1/deployments/:name/rollback'), 'editor');
    assert.equal(routeAccess('DELETE', '/api/v1/deployments/:name'), 'editor');
    for (const method of METHODS)
      for (const url of [
        '/api/v1/tokens',
        '/api/v1/tokens/:id',
        '/api/v1/users',
        '/api/v1/users/:name/password',
      ])
        assert.equal(routeAccess(method, url), 'admin', `${method} ${url}`);
    assert.equal(
      routeAccess('GET', '/api/v1/usersettings'),
      'viewer',
      'only /users and below are admin-only',
    );
  });

  it('keeps /healthz and /readyz open to anyone, for every method', () => {
    for (const method of METHODS) {
      assert.equal(routeAccess(method, '/healthz'), 'public');
      assert.equal(routeAccess(method, '/readyz'), 'public');
    }
    assert.equal(routeAccess('GET', '/healthz/extra'), 'admin', 'only the exact path is open');
  });

  it('asks admin for any route no rule names, and never opens one by default', () => {
    for (const [method, url] of [
      ['GET', '/index.html'],
      ['POST', '/'],
      ['GET', '/internal/debug'],
      ['POST', '/graphql'],
      ['GET', '/api/2.0/mlflow-other/x'],
      ['GET', '/api/3.0/mlflow/traces'],
      ['OPTIONS', '/api/2.0/mlflow/runs/get'],
      ['TRACE', '/api/v1/deployments'],
      ['POST', '/metrics'],
      ['GET', '/api/2.0/mlflowx/runs/get'],
    ] as const)
      assert.equal(routeAccess(method, url), 'admin', `${method} ${url}`);
  });

  it('needs only valid credentials for a path without any route (then 404)', () => {
    assert.equal(routeAccess('GET', undefined), 'viewer');
    assert.equal(routeAccess('DELETE', undefined), 'viewer');
  });

  it('matches methods in any case', () => {
    assert.equal(routeAccess('get', '/api/2.0/mlflow/runs/get'), 'viewer');
    assert.equal(routeAccess('post', '/api/2.0/mlflow/runs/create'), 'editor');
  });

  it('has no dead rule: every rule decides at least one route, with its own access', () => {
    for (const [index, rule] of ROUTE_ROLES.entries()) {
      const methods = rule.methods === '*' ? METHODS : rule.methods.split(' ');
      const paths = expandRulePath(rule.path).flatMap((p) =>
        p.endsWith('/**') ? [p.slice(0, -3), `${p.slice(0, -3)}/x`, `${p.slice(0, -3)}/x/:id`] : [p],
      );
      const decided = methods.flatMap((m) =>
        paths.filter((p) => matchingRule(m, p) === rule).map((p) => `${m} ${p}`),
      );
      assert.ok(
        decided.length > 0,
        `rule ${index} (${rule.methods} ${rule.path}) is shadowed by an earlier rule`,
      );
      for (const sample of decided) {
        const [m, p] = sample.split(' ') as [string, string];
        assert.equal(routeAccess(m, p), rule.access, sample);
      }
    }
  });

  it('lists only valid methods and paths', () => {
    for (const rule of ROUTE_ROLES) {
      if (rule.methods !== '*') for (const m of rule.methods.split(' ')) assert.ok(METHODS.includes(m), m);
      assert.match(rule.path, /^(\/|\{mlflow\}\/|\{artifacts\}\/)/);
      assert.ok(!rule.path.slice(0, -3).includes('*'), `${rule.path}: only a trailing /** is supported`);
    }
  });

  it('is documented row for row in docs/security.md', () => {
    const doc = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');
    const start = doc.indexOf('| methods ');
    const end = doc.indexOf('| anything else', start);
    assert.ok(start > 0 && end > start, 'docs/security.md has no route table');
    const rows = doc
      .slice(start, end)
      .split('\n')
      .slice(2)
      .filter((line) => line.startsWith('|'))
      .map((line) =>
        line
          .split('|')
          .slice(1, 4)
          .map((cell) => cell.trim().replaceAll('`', '')),
      );
    const expected = ROUTE_ROLES.map((r) => [
      r.methods === '*' ? 'any' : r.methods,
      r.path,
      r.access === 'public' ? 'nobody' : r.access,
    ]);
    assert.deepEqual(rows, expected);
  });
});
