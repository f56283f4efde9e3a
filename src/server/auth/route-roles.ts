import type { Role } from '../../security/roles.ts';

/** Who may call a route: anyone, or a credential with at least this role. */
export type Access = Role | 'public';

export interface RouteRule {
  /** `*` or a space-separated list of HTTP methods. */
  methods: string;
  /**
   * A route pattern. `{mlflow}` stands for both MLflow prefixes (/api/2.0/mlflow and
   * /ajax-api/2.0/mlflow), `{artifacts}` for both artifact-proxy prefixes; `/**` at the end
   * matches the path itself and everything below it.
   */
  path: string;
  access: Access;
}

const READ = 'GET HEAD';
const WRITE = 'POST PUT PATCH DELETE';

/**
 * THE table of who may call what, checked top to bottom; the first rule that matches decides.
 * A route no rule matches needs admin: a new endpoint is never open by accident.
 * A request that matches no route at all needs valid credentials (any role) and then gets 404.
 */
export const ROUTE_ROLES: readonly RouteRule[] = [
  { methods: '*', path: '/healthz', access: 'public' },
  { methods: '*', path: '/readyz', access: 'public' },
  // MLflow's probes: clients ask /version before some calls, as MLflow's own server allows.
  { methods: READ, path: '/health', access: 'public' },
  { methods: READ, path: '/version', access: 'public' },
  // Managing users and tokens, Cairn's and MLflow's auth API alike.
  { methods: '*', path: '/api/v1/users/**', access: 'admin' },
  { methods: '*', path: '/api/v1/tokens/**', access: 'admin' },
  { methods: '*', path: '{mlflow}/users/**', access: 'admin' },
  { methods: '*', path: '{mlflow}/experiments/permissions/**', access: 'admin' },
  { methods: '*', path: '{mlflow}/registered-models/permissions/**', access: 'admin' },
  // MLflow reads that clients send as POST.
  { methods: 'POST', path: '{mlflow}/runs/search', access: 'viewer' },
  { methods: 'POST', path: '{mlflow}/experiments/search', access: 'viewer' },
  { methods: 'POST', path: '{mlflow}/experiments/search-datasets', access: 'viewer' },
  { methods: 'POST', path: '{mlflow}/registered-models/search', access: 'viewer' },
  { methods: 'POST', path: '{mlflow}/registered-models/get-latest-versions', access: 'viewer' },
  { methods: 'POST', path: '{mlflow}/model-versions/search', access: 'viewer' },
  { methods: 'POST', path: '{mlflow}/metrics/get-history-bulk-interval', access: 'viewer' },
  { methods: 'POST', path: '{mlflow}/logged-models/search', access: 'viewer' },
  // Everything else in MLflow's API and the artifact proxy: reads for viewers, writes for editors.
  { methods: READ, path: '{mlflow}/**', access: 'viewer' },
  { methods: WRITE, path: '{mlflow}/**', access: 'editor' },
  { methods: READ, path: '{artifacts}/**', access: 'viewer' },
  { methods: WRITE, path: '{artifacts}/**', access: 'editor' },
  // Cairn's own API.
  { methods: READ, path: '/api/v1/**', access: 'viewer' },
  // MLflow 3 clients ask what the server supports before moving artifacts.
  { methods: READ, path: '/api/3.0/mlflow/server-info', access: 'viewer' },
  { methods: READ, path: '/ajax-api/3.0/mlflow/server-info', access: 'viewer' },
  { methods: WRITE, path: '/api/v1/**', access: 'editor' },
  { methods: READ, path: '/metrics', access: 'viewer' },
];

/** What a route needs when no rule names it. */
export const DEFAULT_ACCESS: Access = 'admin';
/** What a request for a path without a route needs before it is told 404. */
export const NOT_FOUND_ACCESS: Access = 'viewer';

const PREFIXES: Record<string, readonly string[]> = {
  '{mlflow}': ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'],
  '{artifacts}': ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts'],
};

interface CompiledRule {
  rule: RouteRule;
  methods: ReadonlySet<string> | '*';
  exact: string[];
  /** Each ends with '/'. */
  under: string[];
}

/** A rule's path with `{mlflow}` / `{artifacts}` spelled out: one path per prefix. */
export function expandRulePath(path: string): string[] {
  for (const [token, prefixes] of Object.entries(PREFIXES))
    if (path.startsWith(token)) return prefixes.map((p) => p + path.slice(token.length));
  return [path];
}

function compile(rule: RouteRule): CompiledRule {
  const methods = rule.methods === '*' ? '*' : new Set(rule.methods.split(' '));
  const paths = expandRulePath(rule.path);
  const tree = rule.path.endsWith('/**');
  const bases = tree ? paths.map((p) => p.slice(0, -3)) : paths;
  return { rule, methods, exact: bases, under: tree ? bases.map((b) => `${b}/`) : [] };
}

const COMPILED = ROUTE_ROLES.map(compile);

/** The first rule of ROUTE_ROLES that covers `method` on the route pattern `routeUrl`. */
export function matchingRule(method: string, routeUrl: string): RouteRule | undefined {
  const m = method.toUpperCase();
  for (const c of COMPILED) {
    if (c.methods !== '*' && !c.methods.has(m)) continue;
    if (c.exact.includes(routeUrl) || c.under.some((u) => routeUrl.startsWith(u))) return c.rule;
  }
  return undefined;
}

/**
 * What calling `method` on the route registered as `routeUrl` needs (the route's pattern, e.g.
 * `/api/v1/tokens/:id`, as Fastify matched it; undefined when no route matched).
 */
export function routeAccess(method: string, routeUrl: string | undefined): Access {
  if (routeUrl === undefined) return NOT_FOUND_ACCESS;
  return matchingRule(method, routeUrl)?.access ?? DEFAULT_ACCESS;
}
