import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../kernel/errors.ts';
import { isMlflowUrl } from '../mlflow/mlflow-namespaces.ts';

/**
 * Which `Host` headers and which browser origins the server answers.
 *
 * **Hosts** stop DNS rebinding: a web page on `evil.example` whose name is made to resolve to
 * 127.0.0.1 can send requests to a server on this machine, but its browser still sends
 * `Host: evil.example`. A request is answered when its Host (the port aside) is an IP address —
 * an address cannot be rebound, the browser sends exactly what the page was loaded from —,
 * `localhost`, or a name in `hosts` (exact, or `*.example.com` for every name below
 * example.com; `*` alone turns the check off). A request without a Host header (HTTP/1.0, some
 * probes) does not come from a browser and is answered.
 *
 * **Origins** are the CORS policy: a browser request carrying an `Origin` other than the server's
 * own (the same scheme-less host and port as its Host) is refused unless the origin is listed in
 * `corsOrigins`; listed origins get `Access-Control-Allow-Origin` and their preflight requests
 * (OPTIONS) are answered. None is listed by default.
 */
export interface OriginPolicy {
  /** Names beyond `localhost` and IP addresses, e.g. `mlflow.example.com`, `*.internal`, `*`. */
  hosts: readonly string[];
  /** Origins allowed to call the API from a browser, e.g. `https://notebooks.example.com`. */
  corsOrigins: readonly string[];
}

/** Routes answered whatever the Host: load balancers and probes address servers in many ways. */
const HOST_EXEMPT = new Set(['/healthz', '/readyz', '/health', '/version']);
const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const ALLOWED_HEADERS = 'authorization, content-type';

/** Checks a list of hosts given by a user (`--allowed-hosts`); returns them normalised. */
export function parseAllowedHosts(list: readonly string[], source: string): string[] {
  return list.map((raw) => {
    const host = raw.trim().toLowerCase().replace(/\.$/, '');
    const bare = host.startsWith('*.') ? host.slice(2) : host;
    if (host !== '*' && !/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(bare))
      throw errors.invalid(`${source}: ${JSON.stringify(raw)} is not a host name`, {
        hint: 'give names such as mlflow.example.com or *.example.com, without a scheme or port',
      });
    return host;
  });
}

/** Checks a list of origins given by a user (`--cors-origins`); returns them normalised. */
export function parseCorsOrigins(list: readonly string[], source: string): string[] {
  return list.map((raw) => {
    const text = raw.trim();
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== text.replace(/\/$/, '').toLowerCase())
      throw errors.invalid(`${source}: ${JSON.stringify(raw)} is not an origin`, {
        hint: 'give scheme, host and port only, such as https://notebooks.example.com or http://localhost:8888',
      });
    return url.origin;
  });
}

/** The host name of a Host header, without port or brackets, lowercase. */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') >= 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return (colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h).replace(/\.$/, '');
}

/** True when the server answers a request whose Host header is `header`. */
export function hostAllowed(header: string | undefined, hosts: readonly string[]): boolean {
  if (header === undefined || header === '') return true;
  const name = hostName(header);
  if (isIP(name) !== 0 || name === 'localhost') return true;
  return hosts.some((h) => h === '*' || h === name || (h.startsWith('*.') && name.endsWith(h.slice(1))));
}

/**
 * Installs the policy as the first thing every request meets, before authentication: a refused
 * Host or origin gets 403 whatever the credentials, and a preflight is answered without them (a
 * browser sends none with it).
 */
export function installOriginPolicy(app: FastifyInstance, policy: OriginPolicy): void {
  const origins = new Set(policy.corsOrigins);
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const host = request.headers.host;
    if (!HOST_EXEMPT.has(path) && !hostAllowed(host, policy.hosts))
      return refuse(
        request,
        reply,
        `the Host header ${JSON.stringify(host)} is not one this server answers to (a request for another name may come from a DNS rebinding attack)`,
        'address the server by IP address or localhost, or allow the name with cairn server --allowed-hosts',
      );
    const origin = request.headers.origin;
    if (origin === undefined) return;
    const allowed = origins.has(origin);
    if (!allowed && !sameOrigin(origin, host))
      return refuse(
        request,
        reply,
        `cross-origin request from ${JSON.stringify(origin)} refused`,
        'allow the origin with cairn server --cors-origins',
      );
    if (!allowed) return;
    reply.header('access-control-allow-origin', origin);
    reply.header('vary', 'Origin');
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined)
      return reply
        .status(204)
        .header('access-control-allow-methods', ALLOWED_METHODS)
        .header('access-control-allow-headers', ALLOWED_HEADERS)
        .header('access-control-max-age', '600')
        .send();
  });
}

/** The origin of the page is the server itself (a browser sends Origin on its own POSTs too). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

function refuse(request: FastifyRequest, reply: FastifyReply, message: string, hint: string) {
  const text = `${message}; ${hint}`;
  return isMlflowUrl(request.url)
    ? reply.status(403).send({ error_code: 'PERMISSION_DENIED', message: text })
    : reply.status(403).send({ code: 'PERMISSION_DENIED', message: text });
}
