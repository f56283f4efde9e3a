import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import {
  buildOpenApiDocument,
  type DescribedRoute,
  isDocumentedUrl,
  type RouteSchema,
} from './openapi-document.ts';
import { OPENAPI_ROUTE_SCHEMA } from './openapi-schemas.ts';

/**
 * Records every route registered on `app` after this call that the OpenAPI document describes
 * (see isDocumentedUrl), with its schema: call it before any route. The list is complete once
 * `app.ready()` resolved.
 */
export function collectDocumentedRoutes(app: FastifyInstance): readonly DescribedRoute[] {
  const routes: DescribedRoute[] = [];
  app.addHook('onRoute', (route) => {
    if (!isDocumentedUrl(route.url)) return;
    for (const method of [route.method].flat())
      routes.push({
        method,
        url: route.url,
        ...(route.schema ? { schema: route.schema as RouteSchema } : {}),
      });
  });
  return routes;
}

/**
 * `GET /openapi.json` on `app` (mounted under /api/v1): the document of `routes`, built on the
 * first request, when every route is registered, and then sent as it is.
 */
export function openApiRoute(
  app: FastifyInstance,
  routes: readonly DescribedRoute[],
  options: { auth: boolean },
): void {
  let body: string | undefined;
  app.get('/openapi.json', { schema: OPENAPI_ROUTE_SCHEMA }, async (_request, reply) => {
    body ??= JSON.stringify(buildOpenApiDocument(routes, { auth: options.auth, version: cairnVersion() }));
    // A string is sent as it is, past the response schema's serializer.
    return reply.type('application/json; charset=utf-8').send(body);
  });
}

function cairnVersion(): string {
  const url = new URL('../../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}
